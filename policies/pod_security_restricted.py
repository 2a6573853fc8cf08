"""Pods meet the Kubernetes Pod Security Standard "restricted", checked before admission.

The namespaces enforce `restricted` too, but the admission controller rejects
pods only when the ReplicaSet creates them, long after `pulumi up` reported
success. Checked for every container, init and ephemeral ones included, with
the effective value: a container's securityContext field overrides the pod's
(runAsNonRoot, runAsUser, seccompProfile); the others exist on one level only.
Baseline's `windowsOptions.hostProcess` (pod and container, false or unset)
and `procMount` (`Default` or unset) are checked too: both are forbidden by
every level above privileged. Capability names are compared as Pod Security
admission compares them, exactly: the container runtime accepts `drop: ["All"]`
(containerd matches "ALL" case-insensitively), but admission in a `restricted`
namespace looks for the string `ALL` and rejects the pod, so `All` is
reported, with that reason, rather than accepted.
Deliberately left out: AppArmor and SELinux options (node-dependent), sysctls
and volume types other than hostPath (restricted allows the ones used here).
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .kubernetes_resource import containers, effective_security_context, pod_template, subject
from .resource_properties import UNKNOWN, describe, field, items

ALLOWED_ADDED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")


def _false_or_unset(value) -> bool:
    return value is None or value is False


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    _, pod_spec = template
    who = subject(args.resource_type, args.props, args.name)

    value = field(pod_spec, "securityContext", "windowsOptions", "hostProcess")
    if not _false_or_unset(value):
        report_violation(f"{who} pod spec securityContext.windowsOptions.hostProcess ({describe(value)}) "
                         "must be false or unset.")
    for name in HOST_NAMESPACES:
        value = field(pod_spec, name)
        if not _false_or_unset(value):
            report_violation(f"{who} pod spec {name} ({describe(value)}) must be false or unset.")
    for index, volume in enumerate(items(field(pod_spec, "volumes"))):
        host_path = field(volume, "hostPath")
        if host_path is not None:
            name = field(volume, "name")
            label = f"volume '{name}'" if isinstance(name, str) else f"volume #{index}"
            report_violation(f"{who} {label} hostPath ({describe(host_path)}) must be unset.")

    for container in containers(pod_spec):
        def check(path: str, value, requirement: str) -> None:
            report_violation(f"{who} {container.label} {path} ({describe(value)}) must {requirement}.")

        value = effective_security_context(container.value, pod_spec, "runAsNonRoot")
        if value is not True:
            check("securityContext.runAsNonRoot", value, "be true (on the container or the pod)")
        value = effective_security_context(container.value, pod_spec, "runAsUser")
        if value is UNKNOWN or value == 0:
            check("securityContext.runAsUser", value, "not be 0 (root)")
        value = field(container.value, "securityContext", "allowPrivilegeEscalation")
        if value is not False:
            check("securityContext.allowPrivilegeEscalation", value, "be false")
        value = field(container.value, "securityContext", "privileged")
        if not _false_or_unset(value):
            check("securityContext.privileged", value, "be false or unset")
        value = field(container.value, "securityContext", "windowsOptions", "hostProcess")
        if not _false_or_unset(value):
            check("securityContext.windowsOptions.hostProcess", value, "be false or unset")
        value = field(container.value, "securityContext", "procMount")
        if value not in (None, "Default"):
            check("securityContext.procMount", value, "be Default or unset")
        drop = field(container.value, "securityContext", "capabilities", "drop")
        dropped = [] if drop is UNKNOWN else list(items(drop))
        if drop is UNKNOWN or "ALL" not in dropped:
            spelled = any(isinstance(name, str) and name.upper() == "ALL" for name in dropped)
            check("securityContext.capabilities.drop", drop,
                  "include ALL (upper case: Pod Security admission compares it exactly)" if spelled else "include ALL")
        add = field(container.value, "securityContext", "capabilities", "add")
        if add is UNKNOWN or not set(items(add)) <= ALLOWED_ADDED_CAPABILITIES:
            check("securityContext.capabilities.add", add, "add nothing but NET_BIND_SERVICE")
        value = effective_security_context(container.value, pod_spec, "seccompProfile", "type")
        if value != "RuntimeDefault":
            check("securityContext.seccompProfile.type", value, "be RuntimeDefault (on the container or the pod)")
        for index, port in enumerate(items(field(container.value, "ports"))):
            host_port = field(port, "hostPort")
            if port is UNKNOWN or not (host_port is None or host_port == 0):
                check(f"ports[{index}].hostPort", UNKNOWN if port is UNKNOWN else host_port, "be unset")


POLICY = ResourceValidationPolicy(
    name="pod-security-restricted",
    description="Pods must meet the Pod Security Standard restricted: non-root, no escalation, "
                "all capabilities dropped, RuntimeDefault seccomp, no host namespaces, paths or ports.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

"""pod-security-restricted: Sol's hardened Deployment passes; each case breaks one field."""
import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_OBJECT_VALUE

from policies import offline
from policies.pod_security_restricted import POLICY

SOL = "Deployment 'matrix/sol'"
POD = "spec.template.spec"
MAIN = f"{POD}.containers.0"
INIT = f"{POD}.initContainers.0"
C = f"{SOL} container 'sol'"
I = f"{SOL} initContainer 'create-data-directories'"


def check(manifest):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest)


def sol(path=None, value=None):
    manifest = offline.corpus_manifest("Deployment", "matrix/sol")
    return manifest if path is None else offline.changed(manifest, path, value)


def test_restricted_pod_passes():
    assert check(sol()) == []


def test_net_bind_service_may_be_added():
    assert check(sol(f"{MAIN}.securityContext.capabilities.add", ["NET_BIND_SERVICE"])) == []


def test_pod_level_values_apply_when_the_container_sets_none():
    manifest = sol()
    for container in (manifest["spec"]["template"]["spec"]["containers"][0],
                      manifest["spec"]["template"]["spec"]["initContainers"][0]):
        for key in ("runAsNonRoot", "runAsUser", "seccompProfile"):
            del container["securityContext"][key]
    assert check(manifest) == []


@pytest.mark.parametrize("path, value, expected", [
    (f"{MAIN}.securityContext.runAsNonRoot", False,
     f"{C} securityContext.runAsNonRoot (false) must be true (on the container or the pod)."),
    (f"{MAIN}.securityContext.runAsUser", 0, f"{C} securityContext.runAsUser (0) must not be 0 (root)."),
    (f"{MAIN}.securityContext.allowPrivilegeEscalation", True,
     f"{C} securityContext.allowPrivilegeEscalation (true) must be false."),
    (f"{MAIN}.securityContext.allowPrivilegeEscalation", offline.DELETE,
     f"{C} securityContext.allowPrivilegeEscalation (unset) must be false."),
    (f"{MAIN}.securityContext.privileged", True, f"{C} securityContext.privileged (true) must be false or unset."),
    (f"{MAIN}.securityContext.capabilities.drop", ["NET_RAW"],
     f'{C} securityContext.capabilities.drop (["NET_RAW"]) must include ALL.'),
    (f"{MAIN}.securityContext.capabilities", offline.DELETE,
     f"{C} securityContext.capabilities.drop (unset) must include ALL."),
    (f"{MAIN}.securityContext.capabilities.add", ["NET_BIND_SERVICE", "SYS_ADMIN"],
     f'{C} securityContext.capabilities.add (["NET_BIND_SERVICE", "SYS_ADMIN"]) must add nothing but NET_BIND_SERVICE.'),
    (f"{MAIN}.securityContext.seccompProfile.type", "Unconfined",
     f"{C} securityContext.seccompProfile.type ('Unconfined') must be RuntimeDefault (on the container or the pod)."),
    (f"{INIT}.securityContext.privileged", True, f"{I} securityContext.privileged (true) must be false or unset."),
    (f"{POD}.hostNetwork", True, f"{SOL} pod spec hostNetwork (true) must be false or unset."),
    (f"{POD}.hostPID", True, f"{SOL} pod spec hostPID (true) must be false or unset."),
    (f"{POD}.hostIPC", True, f"{SOL} pod spec hostIPC (true) must be false or unset."),
    (f"{POD}.volumes.1", {"name": "tmp", "hostPath": {"path": "/tmp"}},
     f'{SOL} volume \'tmp\' hostPath ({{"path": "/tmp"}}) must be unset.'),
    (f"{MAIN}.ports", [{"containerPort": 8080, "hostPort": 8080}], f"{C} ports[0].hostPort (8080) must be unset."),
    (f"{MAIN}.securityContext.capabilities.drop", ["All"],
     f'{C} securityContext.capabilities.drop (["All"]) must include ALL (upper case: Pod Security admission '
     "compares it exactly)."),
    (f"{MAIN}.securityContext.procMount", "Unmasked",
     f"{C} securityContext.procMount ('Unmasked') must be Default or unset."),
    (f"{MAIN}.securityContext.windowsOptions", {"hostProcess": True},
     f"{C} securityContext.windowsOptions.hostProcess (true) must be false or unset."),
    (f"{POD}.securityContext.windowsOptions", {"hostProcess": True},
     f"{SOL} pod spec securityContext.windowsOptions.hostProcess (true) must be false or unset."),
])
def test_one_broken_field_is_reported(path, value, expected):
    assert check(sol(path, value)) == [expected]


@pytest.mark.parametrize("path, value", [
    (f"{MAIN}.securityContext.procMount", "Default"),
    (f"{MAIN}.securityContext.windowsOptions", {"hostProcess": False}),
    (f"{POD}.securityContext.windowsOptions", {"runAsUserName": "ContainerUser"}),
    (f"{MAIN}.securityContext.capabilities.drop", ["NET_RAW", "ALL"]),
])
def test_baseline_fields_at_their_safe_values_pass(path, value):
    assert check(sol(path, value)) == []


def test_container_false_overrides_pod_true():
    manifest = sol(f"{POD}.securityContext.runAsNonRoot", True)
    assert check(offline.changed(manifest, f"{INIT}.securityContext.runAsNonRoot", False)) == [
        f"{I} securityContext.runAsNonRoot (false) must be true (on the container or the pod)."]


def test_unset_everywhere_reports_each_container():
    manifest = sol(f"{POD}.securityContext.seccompProfile", offline.DELETE)
    manifest = offline.changed(manifest, f"{MAIN}.securityContext.seccompProfile", offline.DELETE)
    manifest = offline.changed(manifest, f"{INIT}.securityContext.seccompProfile", offline.DELETE)
    rule = "securityContext.seccompProfile.type (unset) must be RuntimeDefault (on the container or the pod)."
    assert check(manifest) == [f"{I} {rule}", f"{C} {rule}"]


def test_unknown_security_field_is_a_violation():
    assert check(sol(f"{MAIN}.securityContext.allowPrivilegeEscalation", UNKNOWN_BOOLEAN_VALUE)) == [
        f"{C} securityContext.allowPrivilegeEscalation (unknown at preview) must be false."]


def test_unknown_host_network_is_a_violation():
    assert check(sol(f"{POD}.hostNetwork", UNKNOWN_BOOLEAN_VALUE)) == [
        f"{SOL} pod spec hostNetwork (unknown at preview) must be false or unset."]


def test_unknown_security_context_reports_every_field():
    assert check(sol(f"{MAIN}.securityContext", UNKNOWN_OBJECT_VALUE)) == [
        f"{C} securityContext.runAsNonRoot (unknown at preview) must be true (on the container or the pod).",
        f"{C} securityContext.runAsUser (unknown at preview) must not be 0 (root).",
        f"{C} securityContext.allowPrivilegeEscalation (unknown at preview) must be false.",
        f"{C} securityContext.privileged (unknown at preview) must be false or unset.",
        f"{C} securityContext.windowsOptions.hostProcess (unknown at preview) must be false or unset.",
        f"{C} securityContext.procMount (unknown at preview) must be Default or unset.",
        f"{C} securityContext.capabilities.drop (unknown at preview) must include ALL.",
        f"{C} securityContext.capabilities.add (unknown at preview) must add nothing but NET_BIND_SERVICE.",
        f"{C} securityContext.seccompProfile.type (unknown at preview) must be RuntimeDefault (on the container or the pod).",
    ]


def test_plain_pods_are_checked():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "matrix"},
           "spec": {**sol()["spec"]["template"]["spec"], "hostPID": True}}
    assert check(pod) == ["Pod 'matrix/debug' pod spec hostPID (true) must be false or unset."]

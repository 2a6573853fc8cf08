"""Every Service with a selector selects the pods of at least one workload of the scan.

A Service whose selector matches no pod template has no endpoints: every
request to it fails, and nothing in `kubectl apply` says so (a label renamed
in the Deployment but not in the Service is the usual cause). Matched as
kube-proxy's endpoint controller matches: same namespace, every selector
label equal on the pod template of a workload (any kind that runs pods,
`kubernetes_resource.pod_template()`). Unknown at preview: a Service whose
namespace or selector is unknown, or a namespace holding a workload whose
labels are unknown, cannot be shown dangling and passes. Deliberately left
out: Services without a selector (ExternalName, or Endpoints managed by
hand or by an operator), and pods created by operators from custom resources
(list such a Service as `namespace/name` in `allowedServices`).
"""
from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, ReportViolation, StackValidationArgs, StackValidationPolicy

from .kubernetes_resource import effective_namespace, kind_of, object_name, pod_template, subject
from .resource_properties import UNKNOWN, describe, field, keys, schema_with_defaults, settings

DEFAULTS = {"allowedServices": []}


def _matches(selector: Any, labels: Any) -> Any:
    """Whether a Service selector (a plain label map) selects pod labels: True, False or UNKNOWN."""
    if labels is UNKNOWN:
        return UNKNOWN
    answers = [field(selector, key) == field(labels, key) if UNKNOWN not in (field(selector, key), field(labels, key))
               else UNKNOWN for key in keys(selector)]
    if False in answers:
        return False
    return UNKNOWN if UNKNOWN in answers else True


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    allowed = set(settings(args.get_config(), DEFAULTS)["allowedServices"])
    pod_labels: dict[Any, list[Any]] = {}
    for resource in args.resources:
        template = pod_template(resource.resource_type, resource.props)
        if template is not None:
            pod_labels.setdefault(effective_namespace(resource.props), []).append(field(template[0], "labels"))
    for service in args.resources:
        if kind_of(service.resource_type, "core") != "Service":
            continue
        namespace, selector = effective_namespace(service.props), field(service.props, "spec", "selector")
        if namespace is UNKNOWN or selector is UNKNOWN or selector is None or not keys(selector):
            continue
        if f"{namespace}/{object_name(service.props, service.name)}" in allowed:
            continue
        candidates = pod_labels.get(namespace, []) + pod_labels.get(UNKNOWN, [])
        if any(_matches(selector, labels) is not False for labels in candidates):
            continue
        report_violation(f"{subject(service.resource_type, service.props, service.name)} spec.selector "
                         f"({describe(selector)}) must select the pods of a workload in namespace '{namespace}' "
                         "(none of this scan matches: the Service would have no endpoints; or list "
                         f"'{namespace}/{object_name(service.props, service.name)}' in allowedServices).",
                         service.urn)


POLICY = StackValidationPolicy(
    name="service-selects-pods",
    description="Every Service with a selector must select the pods of a workload in its namespace.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=schema_with_defaults({
        "allowedServices": {"type": "array", "items": {"type": "string"},
                            "description": "Services ('namespace/name') whose pods another controller creates. "
                                           "Default: none."},
    }, DEFAULTS)),
)

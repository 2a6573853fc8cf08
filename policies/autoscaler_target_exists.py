"""Every HorizontalPodAutoscaler targets a workload of the scan.

An HPA whose `scaleTargetRef` names nothing scales nothing; the controller
only logs `FailedGetScale` (a renamed Deployment left its HPA behind, or a
chart's `autoscaling.enabled` names the wrong kind). Matched as the HPA
controller resolves it (`kubernetes_resource.scales()`): same namespace,
kind and name. Unknown at preview: an HPA or a candidate whose namespace,
kind or name is unknown may be matched and passes. Deliberately left out:
targets that are custom resources with a scale subresource (Argo Rollouts,
KEDA ScaledObjects' targets): only kinds the scan holds are known; list such
an HPA (`namespace/name`) in `allowedAutoscalers`.
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, ReportViolation, StackValidationArgs, StackValidationPolicy

from .kubernetes_resource import effective_namespace, kind_of, object_name, scales, subject
from .resource_properties import UNKNOWN, describe, field, schema_with_defaults, settings

DEFAULTS = {"allowedAutoscalers": []}


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    allowed = set(settings(args.get_config(), DEFAULTS)["allowedAutoscalers"])
    for autoscaler in args.resources:
        if kind_of(autoscaler.resource_type, "autoscaling") != "HorizontalPodAutoscaler":
            continue
        namespace = effective_namespace(autoscaler.props)
        if namespace is UNKNOWN or f"{namespace}/{object_name(autoscaler.props, autoscaler.name)}" in allowed:
            continue
        if any(scales(autoscaler.props, resource.resource_type, resource.props, resource.name) is not False
               for resource in args.resources if resource is not autoscaler):
            continue
        target = field(autoscaler.props, "spec", "scaleTargetRef")
        shown = f"{describe(field(target, 'kind'))} {describe(field(target, 'name'))}"
        report_violation(f"{subject(autoscaler.resource_type, autoscaler.props, autoscaler.name)} "
                         f"spec.scaleTargetRef ({shown}) must name a workload of this scan in namespace "
                         f"'{namespace}' (it would scale nothing; or list "
                         f"'{namespace}/{object_name(autoscaler.props, autoscaler.name)}' in allowedAutoscalers).",
                         autoscaler.urn)


POLICY = StackValidationPolicy(
    name="autoscaler-target-exists",
    description="Every HorizontalPodAutoscaler must target a workload of the scan.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=schema_with_defaults({
        "allowedAutoscalers": {"type": "array", "items": {"type": "string"},
                               "description": "HPAs ('namespace/name') targeting custom resources. Default: none."},
    }, DEFAULTS)),
)

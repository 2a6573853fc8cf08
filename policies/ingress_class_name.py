"""An Ingress names its controller with `spec.ingressClassName`.

Without it the Ingress goes to whichever class is marked default, or to none,
and the deprecated `kubernetes.io/ingress.class` annotation is ignored by
current ingress-nginx unless configured otherwise. `allowedClasses` narrows
the names (null, the default, allows any).
"""
from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .kubernetes_resource import kind_of, subject
from .resource_properties import describe, field, schema_with_defaults, settings

DEFAULTS = {"allowedClasses": None}


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type, "networking.k8s.io") != "Ingress":
        return
    allowed = settings(args.get_config(), DEFAULTS)["allowedClasses"]
    class_name = field(args.props, "spec", "ingressClassName")
    who = subject(args.resource_type, args.props, args.name)
    if not (isinstance(class_name, str) and class_name):
        report_violation(f"{who} spec.ingressClassName ({describe(class_name)}) must be set.")
    elif allowed is not None and class_name not in allowed:
        report_violation(f"{who} spec.ingressClassName ({describe(class_name)}) must be one of: {', '.join(allowed)}.")


POLICY = ResourceValidationPolicy(
    name="ingress-class-name",
    description="Ingresses must name their ingress class in spec.ingressClassName.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=schema_with_defaults({
        "allowedClasses": {"type": ["array", "null"], "items": {"type": "string"},
                           "description": "Ingress classes allowed; null allows any. Default: null."},
    }, DEFAULTS)),
)

"""ExternalSecrets use the `external-secrets.io/v1` API.

v1beta1 is deprecated since ESO 0.16 and no longer served by newer releases:
an object written against it breaks on an operator upgrade. `allowedVersions`
exists for a cluster whose operator is too old to serve v1.
"""
from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .kubernetes_resource import kubernetes_type, subject
from .resource_properties import schema_with_defaults, settings

ESO_GROUP = "external-secrets.io"
DEFAULTS = {"allowedVersions": ["v1"]}


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    parsed = kubernetes_type(args.resource_type)
    if parsed is None or parsed.group != ESO_GROUP or parsed.kind != "ExternalSecret":
        return
    allowed = settings(args.get_config(), DEFAULTS)["allowedVersions"]
    if parsed.version not in allowed:
        wanted = " or ".join(f"{ESO_GROUP}/{version}" for version in allowed)
        report_violation(f"{subject(args.resource_type, args.props, args.name)} apiVersion "
                         f"('{parsed.api_version}') must be {wanted}.")


POLICY = ResourceValidationPolicy(
    name="external-secret-api-version",
    description="ExternalSecrets must use apiVersion external-secrets.io/v1, not the deprecated v1beta1.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=schema_with_defaults({
        "allowedVersions": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                            "description": "external-secrets.io API versions allowed. Default: v1."},
    }, DEFAULTS)),
)

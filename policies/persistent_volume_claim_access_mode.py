"""Claims use only the access modes the platform supports: one writer by default.

ReadWriteOnce and ReadWriteOncePod are what Azure Disk (the AKS default class)
offers and what the single-writer rules assume; ReadWriteMany needs Azure
Files and a service built for concurrent writers. Another mode is allowed by
adding it to `allowedAccessModes` (and the claim to the single-writer rule's
`sharedClaimNames`).
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
from .resource_properties import UNKNOWN, describe, field, items, schema_with_defaults, settings

DEFAULTS = {"allowedAccessModes": ["ReadWriteOnce", "ReadWriteOncePod"]}


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type, "core") != "PersistentVolumeClaim":
        return
    allowed = settings(args.get_config(), DEFAULTS)["allowedAccessModes"]
    modes = field(args.props, "spec", "accessModes")
    listed = list(items(modes))
    if modes is UNKNOWN or not listed or any(mode not in allowed for mode in listed):
        report_violation(f"{subject(args.resource_type, args.props, args.name)} spec.accessModes ({describe(modes)}) "
                         f"must use only {', '.join(allowed)}.")


POLICY = ResourceValidationPolicy(
    name="persistent-volume-claim-access-mode",
    description="PersistentVolumeClaims must use only the allowed access modes (ReadWriteOnce, ReadWriteOncePod).",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=schema_with_defaults({
        "allowedAccessModes": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                               "description": "Access modes a claim may use. Default: ReadWriteOnce, ReadWriteOncePod."},
    }, DEFAULTS)),
)

"""Claims use an allowed StorageClass, or none (the cluster's default class).

When `allowedStorageClasses` is set, a named class must be on it (the class
decides replication, reclaim policy and whether the volume can be expanded);
when it is null (the default) any class is allowed. Prod allows only the
program's retaining class (`platform-retain-zrs`). An empty string, which
disables dynamic provisioning, counts as a class name.

A claim without `storageClassName` gets the cluster default (managed-csi on
AKS, reclaimPolicy Delete) and still passes here, in prod too: whether a claim
may lose its disk depends on who mounts it, which one resource cannot see. So
the stack rule `persistent-volume-claim-retained` refuses the default (and any
class that does not retain) for the claims single writers mount, and this rule
stays a plain allow list.
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

DEFAULTS = {"allowedStorageClasses": None}


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type, "core") != "PersistentVolumeClaim":
        return
    allowed = settings(args.get_config(), DEFAULTS)["allowedStorageClasses"]
    if allowed is None:
        return
    storage_class = field(args.props, "spec", "storageClassName")
    if storage_class is not None and storage_class not in allowed:
        choices = ", ".join(allowed) if allowed else "none"
        report_violation(f"{subject(args.resource_type, args.props, args.name)} spec.storageClassName "
                         f"({describe(storage_class)}) must be unset (cluster default) or one of: {choices}.")


POLICY = ResourceValidationPolicy(
    name="persistent-volume-claim-storage-class",
    description="PersistentVolumeClaims must use the cluster default or an allowed StorageClass.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=schema_with_defaults({
        "allowedStorageClasses": {"type": ["array", "null"], "items": {"type": "string"},
                                  "description": "StorageClasses a claim may name; null allows any. "
                                                 "A claim without a class always passes. Default: null."},
    }, DEFAULTS)),
)

"""An ExternalSecret keeps its Secret when the Key Vault secret disappears (`deletionPolicy: Retain`).

With Delete (or Merge) a Key Vault secret deleted or unreadable for a moment
(a Workload Identity hiccup, a purge) empties the Kubernetes Secret and the
next pod start fails. Unset is fine: Retain is ESO's default. Mandatory in
prod, advisory in staging (see the stack's policy config).
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .external_secret_api_version import ESO_GROUP
from .kubernetes_resource import kind_of, subject
from .resource_properties import describe, field


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type, ESO_GROUP) != "ExternalSecret":
        return
    deletion_policy = field(args.props, "spec", "target", "deletionPolicy")
    if deletion_policy is not None and deletion_policy != "Retain":
        report_violation(f"{subject(args.resource_type, args.props, args.name)} spec.target.deletionPolicy "
                         f"({describe(deletion_policy)}) must be Retain.")


POLICY = ResourceValidationPolicy(
    name="external-secret-deletion-policy",
    description="ExternalSecrets must retain their Secret when the provider secret is gone (deletionPolicy Retain).",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

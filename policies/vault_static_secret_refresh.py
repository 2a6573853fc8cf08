"""A VaultStaticSecret re-reads Vault on a schedule (`refreshAfter`).

Without it VSO reads the secret once; a rotated credential never reaches the
pod, and the stale one keeps working only until Vault revokes it.
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .go_duration import duration_seconds
from .kubernetes_resource import kind_of, subject
from .resource_properties import describe, field

VSO_GROUP = "secrets.hashicorp.com"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type, VSO_GROUP) != "VaultStaticSecret":
        return
    refresh_after = field(args.props, "spec", "refreshAfter")
    seconds = duration_seconds(refresh_after)
    if seconds is None or seconds <= 0:
        report_violation(f"{subject(args.resource_type, args.props, args.name)} spec.refreshAfter "
                         f"({describe(refresh_after)}) must be a non-zero duration such as 60s.")


POLICY = ResourceValidationPolicy(
    name="vault-static-secret-refresh",
    description="VaultStaticSecrets must set refreshAfter so that rotated secrets reach the cluster.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

"""An ExternalSecret keeps following Key Vault: `refreshInterval` is not zero.

A zero interval makes ESO fetch once and never again, so a rotated Key Vault
secret never reaches the cluster. Unset is fine (ESO's default is 1h).
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .external_secret_api_version import ESO_GROUP
from .go_duration import duration_seconds
from .kubernetes_resource import kind_of, subject
from .resource_properties import describe, field


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type, ESO_GROUP) != "ExternalSecret":
        return
    interval = field(args.props, "spec", "refreshInterval")
    if interval is None:
        return
    seconds = duration_seconds(interval)
    if seconds is None or seconds <= 0:
        report_violation(f"{subject(args.resource_type, args.props, args.name)} spec.refreshInterval "
                         f"({describe(interval)}) must be a non-zero duration such as 1h.")


POLICY = ResourceValidationPolicy(
    name="external-secret-refresh-interval",
    description="ExternalSecrets must refresh: refreshInterval must not be 0.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

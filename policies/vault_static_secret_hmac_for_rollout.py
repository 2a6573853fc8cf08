"""A VaultStaticSecret that restarts workloads keeps `hmacSecretData` on.

VSO decides that a secret changed, and so that `rolloutRestartTargets` must
be restarted, by comparing HMACs of the data; with `hmacSecretData: false` a
rotation updates the Secret but never restarts the pod that read it at start.
Unset is fine: the CRD defaults it to true.
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .kubernetes_resource import kind_of, subject
from .resource_properties import UNKNOWN, describe, field, items
from .vault_static_secret_refresh import VSO_GROUP


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type, VSO_GROUP) != "VaultStaticSecret":
        return
    targets = field(args.props, "spec", "rolloutRestartTargets")
    if targets is not UNKNOWN and not list(items(targets)):
        return
    hmac = field(args.props, "spec", "hmacSecretData")
    if hmac is UNKNOWN or hmac is False:
        report_violation(f"{subject(args.resource_type, args.props, args.name)} spec.hmacSecretData "
                         f"({describe(hmac)}) must not be false while spec.rolloutRestartTargets is set.")


POLICY = ResourceValidationPolicy(
    name="vault-static-secret-hmac-for-rollout",
    description="VaultStaticSecrets with rolloutRestartTargets must keep hmacSecretData enabled.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

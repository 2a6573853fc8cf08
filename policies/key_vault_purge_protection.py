"""Key Vaults turn purge protection on: a soft-deleted secret cannot be purged before its retention ends.

Without it one compromised or careless principal can delete and purge the
secrets prod runs on. It cannot be turned off once on, so it is advisory in
staging (vaults there are recreated freely) and mandatory in prod.
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .azure_resource import is_azure_native
from .key_vault_rbac_authorization import vault_label
from .resource_properties import describe, field


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_azure_native(args.resource_type, "keyvault", "Vault"):
        return
    value = field(args.props, "properties", "enablePurgeProtection")
    if value is not True:
        report_violation(f"{vault_label(args)} properties.enablePurgeProtection ({describe(value)}) must be true.")


POLICY = ResourceValidationPolicy(
    name="key-vault-purge-protection",
    description="Key Vaults must enable purge protection.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

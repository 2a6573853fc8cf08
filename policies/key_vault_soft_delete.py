"""Key Vaults keep soft delete on: a deleted secret can be recovered for its retention period.

Unset passes: Azure turns soft delete on for every new vault and it cannot be
turned off afterwards; only an explicit false (rejected by Azure anyway for
new vaults) or an unknown value is reported.
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .azure_resource import is_azure_native
from .key_vault_rbac_authorization import vault_label
from .resource_properties import describe, field


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_azure_native(args.resource_type, "keyvault", "Vault"):
        return
    value = field(args.props, "properties", "enableSoftDelete")
    if not (value is None or value is True):
        report_violation(f"{vault_label(args)} properties.enableSoftDelete ({describe(value)}) must be true or unset.")


POLICY = ResourceValidationPolicy(
    name="key-vault-soft-delete",
    description="Key Vaults must keep soft delete enabled.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

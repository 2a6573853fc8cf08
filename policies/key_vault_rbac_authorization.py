"""Key Vaults authorize data access with Azure RBAC, not access policies.

Workload Identity grants each service's identity `Key Vault Secrets User` on
the vault (or one secret); access policies grant vault-wide rights, cannot be
scoped to a secret and are not governed by PIM or deny assignments.
Unset fails: the API default is access policies.
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .azure_resource import is_azure_native
from .resource_properties import describe, field


def vault_label(args: ResourceValidationArgs) -> str:
    name = field(args.props, "vaultName")
    return f"Vault '{name if isinstance(name, str) else args.name}'"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_azure_native(args.resource_type, "keyvault", "Vault"):
        return
    value = field(args.props, "properties", "enableRbacAuthorization")
    if value is not True:
        report_violation(f"{vault_label(args)} properties.enableRbacAuthorization ({describe(value)}) must be true.")


POLICY = ResourceValidationPolicy(
    name="key-vault-rbac-authorization",
    description="Key Vaults must use Azure RBAC for data access (enableRbacAuthorization).",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

"""The Azure Key Vault that External Secrets reads: referenced by id, or created safely.

When created, the vault uses Azure RBAC (`enableRbacAuthorization`; the SDK
default is access policies, under which a role assignment grants nothing),
soft delete, and purge protection in prod (it can never be turned off again,
which is why dev and staging leave it off: their vaults can be recreated
under the same name). The vault is protected and retained: its secrets are
data, and `pulumi destroy` must not take them.
"""
from __future__ import annotations

from typing import Optional

import pulumi

from config_models.azure import AzureSpec, KeyVaultSpec


def build_vault_properties(spec: KeyVaultSpec, tenant_id: str, environment: str) -> dict:
    assert spec.create is not None
    properties = {
        "tenantId": tenant_id,
        "sku": {"family": "A", "name": spec.create.sku},
        "enableRbacAuthorization": True,
        "enableSoftDelete": True,
        "softDeleteRetentionInDays": spec.create.soft_delete_retention_days,
    }
    properties.update(build_network_properties(spec.create.network))
    if environment == "prod":
        # The API rejects an explicit `false`; leaving it out means "off".
        properties["enablePurgeProtection"] = True
    return properties


def build_network_properties(network) -> dict:
    """`publicNetworkAccess` and `networkAcls`: deny unless listed.

    With nothing listed, public access is off and only private endpoints
    reach the vault. Listed ranges and subnets need public access on with a
    default action of Deny (Azure's model). `bypass: None`: no "trusted Azure
    service" exception, since none of them needs this vault.
    """
    if network.public_access == "open":
        return {"publicNetworkAccess": "Enabled",
                "networkAcls": {"defaultAction": "Allow", "bypass": "None"}}
    if not network.allowed_ip_ranges and not network.allowed_subnet_ids:
        return {"publicNetworkAccess": "Disabled",
                "networkAcls": {"defaultAction": "Deny", "bypass": "None"}}
    return {"publicNetworkAccess": "Enabled", "networkAcls": {
        "defaultAction": "Deny",
        "bypass": "None",
        "ipRules": [{"value": cidr} for cidr in network.allowed_ip_ranges],
        "virtualNetworkRules": [{"id": subnet, "ignoreMissingVnetServiceEndpoint": False}
                                for subnet in network.allowed_subnet_ids],
    }}


class AzureKeyVault(pulumi.ComponentResource):
    """A Key Vault in RBAC mode, created here or referenced."""

    vault_id: pulumi.Output[str]
    """ARM id, the scope of role assignments."""
    vault_url: pulumi.Output[str]
    """https://<name>.vault.azure.net/, for the SecretStore."""

    def __init__(self, name: str, azure: AzureSpec, environment: str,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:azure:AzureKeyVault", name, None, opts)
        spec = azure.key_vault
        if spec.create is not None:
            import pulumi_azure_native as azure_native

            self.vault = azure_native.keyvault.Vault(
                f"{name}-vault",
                vault_name=spec.create.name,
                resource_group_name=azure.resource_group_name,
                location=azure.location,
                properties=build_vault_properties(spec, azure.tenant_id, environment),
                opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
            )
            self.vault_id = self.vault.id
        else:
            self.vault_id = pulumi.Output.from_input(spec.id)
        self.vault_url = pulumi.Output.from_input(spec.vault_url)
        self.register_outputs({"vault_id": self.vault_id, "vault_url": self.vault_url})

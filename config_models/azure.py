"""The Azure side of a stack: subscription, tenant, resource group, Key Vault and AKS cluster.

Only identifiers live here; the resources are built by `azure_key_vault`,
`workload_identity` and `aks_node_pool`. Identifiers are validated in shape
(GUIDs, ARM ids, https URLs) so that a typo fails at config time, not as an
Azure 400 in the middle of `pulumi up`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from config_models.backup import BackupStorageSpec
from config_models.base import ConfigModel
from config_models.kubernetes_quantity import cpu_millicores, memory_bytes
from platform_facts.aks_allocatable import ALLOCATABLE_BY_VM_SIZE as SHARED_ALLOCATABLE_TABLE


class ScalingBounds(ConfigModel):
    min_count: int = Field(ge=0, le=1000, description="The floor. Required.")
    max_count: int = Field(ge=1, le=1000, description="The maximum. Required.")


class NodePoolSpec(ConfigModel):
    name: str = Field(description="Agent pool name: lowercase letters and digits, at most 12. Required.")
    vm_size: str = Field(description="VM size, one of the sizes in the headroom table. Required.")
    mode: Literal["System", "User"] = Field("User", description="Default: User.")
    min_count: int = Field(ge=0, le=1000, description="Autoscaler floor. Required.")
    max_count: int = Field(ge=1, le=1000, description="Autoscaler maximum. Required.")
    initial_count: Optional[int] = Field(None, ge=0, description="Nodes at creation, then ignored. Default: minCount.")
    owner_approved_bounds: ScalingBounds = Field(
        description="Must equal {minCount, maxCount}: the owner's confirmation of a resize. Required."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not (value.isalnum() and value.islower() and 1 <= len(value) <= 12 and value[0].isalpha()):
            raise ValueError(f"{value!r} must be 1-12 lowercase letters and digits, starting with a letter")
        return value

    @field_validator("vm_size")
    @classmethod
    def _vm_size(cls, value: str) -> str:
        if value not in ALLOCATABLE_BY_VM_SIZE:
            raise ValueError(f"{value!r} has no allocatable entry for the headroom check "
                             f"(known: {sorted(ALLOCATABLE_BY_VM_SIZE)}; add it in platform_facts/aks_allocatable.py)")
        return value

    @model_validator(mode="after")
    def _bounds(self) -> "NodePoolSpec":
        if self.min_count > self.max_count:
            raise ValueError(f"minCount {self.min_count} must not exceed maxCount {self.max_count}")
        if self.initial_count is not None and not self.min_count <= self.initial_count <= self.max_count:
            raise ValueError(f"initialCount {self.initial_count} must be between minCount {self.min_count} "
                             f"and maxCount {self.max_count}")
        approved = self.owner_approved_bounds
        if (approved.min_count, approved.max_count) != (self.min_count, self.max_count):
            raise ValueError(
                f"minCount/maxCount {self.min_count}/{self.max_count} differ from ownerApprovedBounds "
                f"{approved.min_count}/{approved.max_count}: resizing the pool needs the owner's confirmation "
                f"(set ownerApprovedBounds to {{minCount: {self.min_count}, maxCount: {self.max_count}}})"
            )
        return self


class ManagedClusterSpec(ConfigModel):
    dns_prefix: str = Field(description="DNS prefix of the API server. Required.")
    kubernetes_version: Optional[str] = Field(None, description="Default: the AKS default version.")
    system_vm_size: str = Field("Standard_B2s", description="VM size of the system pool. Default: Standard_B2s.")
    system_node_count: int = Field(1, ge=1, description="Nodes in the system pool. Default: 1.")


class AksClusterSpec(ConfigModel):
    name: str = Field(description="AKS cluster name. Required.")
    managed: Optional[ManagedClusterSpec] = Field(
        None, description="Create and own the cluster. Default: the cluster exists and is only referenced."
    )
    node_pool: NodePoolSpec = Field(description="The autoscaled workload pool. Required.")


_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_VAULT_ID = re.compile(
    r"^/subscriptions/[0-9a-f-]{36}/resourceGroups/[-\w.()]+/providers/Microsoft\.KeyVault/vaults/"
    r"(?P<name>[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9])$"
)
_VAULT_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")


def check_guid(value: str) -> str:
    if not _GUID.match(value):
        raise ValueError(f"{value!r} must be a lowercase GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
    return value


class KeyVaultNetworkSpec(ConfigModel):
    """Who may reach the vault over the network; what is not listed is denied."""

    allowed_ip_ranges: list[str] = Field(
        default_factory=list, description="Public address ranges allowed, e.g. 203.0.113.0/24. Default: none.")
    allowed_subnet_ids: list[str] = Field(
        default_factory=list, description="ARM ids of VNet subnets allowed (with the Microsoft.KeyVault service "
                                          "endpoint), e.g. the AKS node subnet. Default: none.")
    public_access: Optional[Literal["open"]] = Field(
        None, description="`open`: any address may connect (Azure RBAC still decides). Refused in prod. "
                          "Default: only the listed networks and private endpoints.")

    @field_validator("allowed_ip_ranges")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        import ipaddress

        for cidr in value:
            try:
                network = ipaddress.ip_network(cidr, strict=True)
            except ValueError as error:
                raise ValueError(f"{cidr!r} is not a CIDR ({error})") from None
            if network.prefixlen == 0:
                raise ValueError(f"{cidr!r} allows every address; use publicAccess: open, which prod refuses")
        return value

    @field_validator("allowed_subnet_ids")
    @classmethod
    def _subnets(cls, value: list[str]) -> list[str]:
        for subnet in value:
            if not _SUBNET_ID.match(subnet):
                raise ValueError(f"{subnet!r} must be a subnet ARM id (/subscriptions/<guid>/resourceGroups/<rg>/"
                                 "providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>)")
        return value


_SUBNET_ID = re.compile(
    r"^/subscriptions/[0-9a-f-]{36}/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+/"
    r"subnets/[^/]+$")


class KeyVaultCreateSpec(ConfigModel):
    name: str = Field(description="Vault name, 3-24 letters, digits and '-', globally unique. Required.")
    sku: Literal["standard", "premium"] = Field("standard", description="Default: standard.")
    soft_delete_retention_days: int = Field(90, ge=7, le=90, description="Default: 90.")
    network: KeyVaultNetworkSpec = Field(
        default_factory=KeyVaultNetworkSpec, description="Network access. Default: public access off; only private "
                                                         "endpoints.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _VAULT_NAME.match(value):
            raise ValueError(f"{value!r} must be a Key Vault name (3-24 letters, digits and '-', starting with a letter)")
        return value


class KeyVaultSpec(ConfigModel):
    """Exactly one of `id` (an existing vault) or `create`."""

    id: Optional[str] = Field(None, description="ARM id of an existing vault (its RBAC mode is the owner's job).")
    create: Optional[KeyVaultCreateSpec] = Field(None, description="Create the vault with RBAC, soft delete, purge protection in prod.")

    @field_validator("id")
    @classmethod
    def _id(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not _VAULT_ID.match(value):
            raise ValueError(
                f"{value!r} must be a Key Vault ARM id "
                "(/subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>)"
            )
        return value

    @model_validator(mode="after")
    def _one(self) -> "KeyVaultSpec":
        if (self.id is None) == (self.create is None):
            raise ValueError("a Key Vault needs exactly one of `id` (existing vault) or `create`")
        return self

    @property
    def name(self) -> str:
        return self.create.name if self.create is not None else _VAULT_ID.match(self.id)["name"]

    @property
    def vault_url(self) -> str:
        return f"https://{self.name.lower()}.vault.azure.net/"


class AzureSpec(ConfigModel):
    subscription_id: str = Field(description="Subscription GUID. Required.")
    tenant_id: str = Field(description="Entra ID tenant GUID. Required.")
    resource_group_name: str = Field(description="Resource group of the cluster, vault and identities. Required.")
    location: str = Field(description="Azure region, e.g. westeurope. Required.")
    key_vault: Optional[KeyVaultSpec] = Field(None, description="Required if a service uses azureKeyVault.")
    oidc_issuer_url: Optional[str] = Field(
        None, description="AKS OIDC issuer URL; required unless the program manages the cluster."
    )
    cluster: Optional[AksClusterSpec] = Field(None, description="The AKS cluster and its autoscaled pool. Default: none.")
    backup_storage: Optional[BackupStorageSpec] = Field(
        None, description="Storage account the single writers' Litestream sidecars replicate to. Required if a "
                          "service has data.backup.")

    @field_validator("subscription_id", "tenant_id")
    @classmethod
    def _guid(cls, value: str) -> str:
        return check_guid(value)

    @field_validator("oidc_issuer_url")
    @classmethod
    def _issuer(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not value.startswith("https://"):
            raise ValueError(f"{value!r} must be an https:// URL (az aks show --query oidcIssuerProfile.issuerUrl)")
        return value


@dataclass(frozen=True)
class Allocatable:
    cpu_millicores: Fraction
    memory_bytes: Fraction


ALLOCATABLE_BY_VM_SIZE: dict[str, Allocatable] = {
    vm_size: Allocatable(cpu_millicores(amounts["cpu"]), memory_bytes(amounts["memory"]))
    for vm_size, amounts in SHARED_ALLOCATABLE_TABLE.items()
}

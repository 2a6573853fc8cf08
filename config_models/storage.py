"""The config models of `storage.classes`: StorageClasses the stack creates or names as existing."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from config_models.base import ConfigModel
from config_models.kubernetes_names import check_dns_subdomain

AZURE_DISK_PROVISIONER = "disk.csi.azure.com"
ZONE_REDUNDANT_SKUS = ("StandardSSD_ZRS", "Premium_ZRS")


class CreatedStorageClassSpec(ConfigModel):
    sku_name: Literal["StandardSSD_ZRS", "Premium_ZRS", "StandardSSD_LRS", "Premium_LRS", "Standard_LRS"] = Field(
        "StandardSSD_ZRS", description="Azure Disk SKU; ZRS where the region has it. Default: StandardSSD_ZRS.")


class ExistingStorageClassSpec(ConfigModel):
    reclaim_policy: Literal["Retain", "Delete"] = Field(
        description="The class's reclaimPolicy on the cluster (kubectl get storageclass). Required.")


class StorageClassSpec(ConfigModel):
    """Exactly one of `create` (the program creates it, retaining) or `existing` (declared)."""

    create: Optional[CreatedStorageClassSpec] = Field(None, description="Create it: Azure Disk CSI, Retain.")
    existing: Optional[ExistingStorageClassSpec] = Field(None, description="It exists on the cluster already.")

    @model_validator(mode="after")
    def _one(self) -> "StorageClassSpec":
        if (self.create is None) == (self.existing is None):
            raise ValueError("a storage class needs exactly one of `create` or `existing`")
        return self

    @property
    def retains(self) -> bool:
        return self.create is not None or (self.existing is not None and self.existing.reclaim_policy == "Retain")


class StorageSpec(ConfigModel):
    classes: dict[str, StorageClassSpec] = Field(default_factory=dict,
                                                 description="StorageClass name -> created or existing. Default: none.")

    @field_validator("classes")
    @classmethod
    def _names(cls, value: dict[str, StorageClassSpec]) -> dict[str, StorageClassSpec]:
        for name in value:
            check_dns_subdomain(name)
        return value

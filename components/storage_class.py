"""StorageClasses whose disks outlive their claims, and the rule that prod's single writers use one.

Pulumi's `protect` and `retainOnDelete` keep Pulumi from deleting a claim,
but the disk follows the claim's StorageClass: AKS's default `managed-csi`
has `reclaimPolicy: Delete`, so `kubectl delete pvc`, or deleting the
namespace, deletes the Azure disk and the only copy of a single writer's
SQLite file. A class created here always has `reclaimPolicy: Retain` (the
released PersistentVolume and its disk stay until someone deletes them on
purpose), `allowVolumeExpansion: true` (a full disk is grown in place),
`volumeBindingMode: WaitForFirstConsumer` (the disk is created in the zone
where the pod is scheduled), on Azure Disk CSI with a zone-redundant SKU by
default (ZRS disks survive a zone outage and attach in any zone of the
region; use an LRS SKU only where the region has no ZRS).

Classes the cluster already has are declared with their reclaim policy, so
the rule can be checked: in prod every single-writer claim names a class, and
that class retains. Anything else is refused before a resource exists.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Optional

import pulumi
from pydantic import Field, field_validator, model_validator

from .config_model import ConfigModel
from .kubernetes_names import check_dns_subdomain

if TYPE_CHECKING:
    from .stack_config import StackConfig

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


def check_storage(config: "StackConfig") -> list[str]:
    """Every claim's class is declared; in prod every single writer's class retains its disk."""
    problems = []
    classes = config.storage.classes
    for name, service in sorted(config.services.items()):
        for volume in service.claims():
            key = f"services.{name}.data.storageClass"
            if volume.storage_class is None:
                if config.environment == "prod":
                    problems.append(f"{key}: unset in prod, so the claim gets the cluster's default class, whose "
                                    "reclaimPolicy is Delete on AKS (managed-csi); name a class from storage.classes "
                                    "that retains its disks")
                continue
            spec = classes.get(volume.storage_class)
            if spec is None:
                problems.append(f"{key}: {volume.storage_class!r} is not declared under storage.classes (create it, "
                                "or declare it as existing with its reclaimPolicy)")
            elif config.environment == "prod" and not spec.retains:
                problems.append(f"{key}: {volume.storage_class!r} has reclaimPolicy Delete, which deletes the disk "
                                "with the claim; prod's single writers need a class that retains (storage.classes."
                                "<name>.create)")
    return problems


def build_storage_class(name: str, spec: CreatedStorageClassSpec, labels: dict[str, str]) -> dict:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name, "labels": labels},
        "provisioner": AZURE_DISK_PROVISIONER,
        "parameters": {"skuName": spec.sku_name},
        "reclaimPolicy": "Retain",
        "allowVolumeExpansion": True,
        "volumeBindingMode": "WaitForFirstConsumer",
    }


class RetainedStorageClass(pulumi.ComponentResource):
    """A StorageClass whose disks stay when their claims go."""

    def __init__(self, name: str, spec: CreatedStorageClassSpec, labels: dict[str, str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:kubernetes:RetainedStorageClass", name, None, opts)
        import pulumi_kubernetes as k8s

        manifest = build_storage_class(name, spec, labels)
        # Protected: its parameters are immutable, and a replacement would briefly leave claims without it.
        self.storage_class = k8s.storage.v1.StorageClass(
            f"{name}-storage-class", metadata=manifest["metadata"], provisioner=manifest["provisioner"],
            parameters=manifest["parameters"], reclaim_policy=manifest["reclaimPolicy"],
            allow_volume_expansion=manifest["allowVolumeExpansion"],
            volume_binding_mode=manifest["volumeBindingMode"],
            opts=pulumi.ResourceOptions(parent=self, protect=True))
        self.register_outputs({})

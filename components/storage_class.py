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

from typing import Optional

import pulumi

from config_models.storage import AZURE_DISK_PROVISIONER, CreatedStorageClassSpec


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

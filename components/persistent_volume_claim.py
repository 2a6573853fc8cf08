"""A PersistentVolumeClaim that no Pulumi operation can delete.

The claim is `protect`ed, so `pulumi destroy` and any change that would
replace it (access mode, StorageClass: both immutable in Kubernetes) stop at
preview instead of dropping the volume; and `retain_on_delete`, so even after
someone unprotects it, Pulumi only forgets the claim and leaves the data on
the cluster. Moving data to a new claim is a manual, documented migration
(README, "Changing a volume"). Resizing is an in-place update and is allowed
when the StorageClass permits expansion.
"""
from __future__ import annotations

from typing import Literal, Optional

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator

from .config_model import ConfigModel
from .kubernetes_names import check_dns_subdomain
from .sqlite_backup import BackupSpec
from .kubernetes_quantity import parse_quantity


class VolumeSpec(ConfigModel):
    """The data volume of a single-writer service."""

    claim_name: str = Field(description="metadata.name of the PersistentVolumeClaim. Required.")
    size: str = Field(description="Requested storage as a Kubernetes quantity, e.g. 1Gi. Required.")
    access_mode: Literal["ReadWriteOnce", "ReadWriteOncePod"] = Field(
        "ReadWriteOnce", description="ReadWriteOnce or ReadWriteOncePod (one pod cluster-wide). Default: ReadWriteOnce."
    )
    storage_class: Optional[str] = Field(
        None, description="StorageClass name. Default: unset, so the cluster's default StorageClass is used."
    )
    mount_path: str = Field("/data", description="Where the claim is mounted in the container. Default: /data.")
    backup: Optional[BackupSpec] = Field(
        None, description="Continuous Litestream backup of SQLite files on it. Required in prod. Default: none.")

    @field_validator("claim_name")
    @classmethod
    def _claim_name(cls, value: str) -> str:
        return check_dns_subdomain(value)

    @field_validator("storage_class")
    @classmethod
    def _storage_class(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else check_dns_subdomain(value)

    @field_validator("size")
    @classmethod
    def _size(cls, value: str) -> str:
        bytes_requested = parse_quantity(value)
        if bytes_requested < 2**20:
            raise ValueError(f"{value!r} is below 1Mi; a storage request needs a unit such as 1Gi")
        return value

    @field_validator("mount_path")
    @classmethod
    def _mount_path(cls, value: str) -> str:
        if not value.startswith("/") or value == "/" or ".." in value.split("/"):
            raise ValueError(f"{value!r} must be an absolute directory other than / (e.g. /data)")
        return value.rstrip("/")


def build_claim_manifest(spec: VolumeSpec, namespace: str, labels: dict[str, str]) -> dict:
    """The claim's object; `storageClassName` is omitted (not null) to get the cluster default."""
    claim_spec: dict = {
        "accessModes": [spec.access_mode],
        "resources": {"requests": {"storage": spec.size}},
    }
    if spec.storage_class is not None:
        claim_spec["storageClassName"] = spec.storage_class
    return {
        "metadata": {
            "name": spec.claim_name,
            "namespace": namespace,
            "labels": labels,
            # Most StorageClasses bind on first consumer (WaitForFirstConsumer);
            # Pulumi waiting for Bound before creating that consumer would hang.
            "annotations": {"pulumi.com/skipAwait": "true"},
        },
        "spec": claim_spec,
    }


class PersistentVolumeClaim(pulumi.ComponentResource):
    """A protected, retained claim for one service's data."""

    claim_name: str
    """metadata.name of the claim, for the Deployment's volume."""

    def __init__(self, name: str, spec: VolumeSpec, namespace: str, labels: dict[str, str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:kubernetes:PersistentVolumeClaim", name, None, opts)
        manifest = build_claim_manifest(spec, namespace, labels)
        self.claim = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-claim",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
        )
        self.claim_name = spec.claim_name
        self.register_outputs({"claim_name": self.claim_name})

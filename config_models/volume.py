"""The config model of a workload's PersistentVolumeClaim (`data`, `volumes`)."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, field_validator

from config_models.backup import BackupSpec
from config_models.base import ConfigModel
from config_models.kubernetes_names import check_dns_subdomain
from config_models.kubernetes_quantity import parse_quantity


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

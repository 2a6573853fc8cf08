"""The config models of a single writer's Litestream backup (`data.backup`) and of `azure.backupStorage`."""
from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import Field, field_validator

from config_models.base import ConfigModel
from config_models.kubernetes_quantity import cpu_millicores, memory_bytes


class BackupSpec(ConfigModel):
    """Litestream replication of SQLite files on the data volume to the stack's backup storage."""

    databases: list[str] = Field(description="SQLite files relative to the data mount, e.g. [sol.db]. Required.")
    image: str = Field("litestream", description="release.images entry of the Litestream image. Default: litestream.")

    @field_validator("databases")
    @classmethod
    def _databases(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("[] backs up nothing; list the SQLite files (e.g. [sol.db]) or remove backup")
        for path in value:
            if path.startswith("/") or ".." in path.split("/") or path.endswith("/") or not path:
                raise ValueError(f"{path!r} must be a file relative to the data mount (e.g. sol.db)")
        if len(set(value)) != len(value):
            raise ValueError(f"{value!r} lists a file twice")
        return value


class BackupStorageSpec(ConfigModel):
    """The storage account the single writers replicate to; one blob container per service."""

    account_name: str = Field(description="Storage account name, 3-24 lowercase letters and digits. Required.")
    sku_name: Literal["Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS", "Standard_LRS"] = Field(
        "Standard_ZRS", description="Redundancy; zone-redundant by default. Default: Standard_ZRS.")
    soft_delete_days: int = Field(14, ge=7, le=365, description="Days a deleted blob or container can be "
                                                                "recovered. Default: 14.")

    @field_validator("account_name")
    @classmethod
    def _account_name(cls, value: str) -> str:
        if not (3 <= len(value) <= 24 and value.isalnum() and value == value.lower()):
            raise ValueError(f"{value!r} must be 3-24 lowercase letters and digits (a storage account name)")
        return value


SIDECAR_REQUESTS = {"cpu": "20m", "memory": "64Mi"}


def sidecar_requests() -> tuple[Fraction, Fraction]:
    return cpu_millicores(SIDECAR_REQUESTS["cpu"]), memory_bytes(SIDECAR_REQUESTS["memory"])


def backup_container_name(service_name: str) -> str:
    return f"{service_name}-backup"


def backup_service_account(service_name: str) -> str:
    return f"{service_name}-backup"

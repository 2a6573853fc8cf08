"""Continuous backup of a single writer's SQLite files with Litestream, to Azure Blob, with Workload Identity.

A single writer keeps its only copy of its state on one disk. With
`services.<name>.data.backup`, its pod gets:
- `litestream-restore-<n>` init containers, one per database, before the
  app (and before its migration): `litestream restore -if-db-not-exists
  -if-replica-exists`, so a volume that lost its database gets it back from
  the replica, a new service with no replica starts empty, and an existing
  database is never overwritten;
- a `litestream` native sidecar (an init container with `restartPolicy:
  Always`: it starts before the app and stops after it), `litestream
  replicate` streaming each WAL change to the container;
- both hardened like the app (same user, read-only root, no capabilities),
  with the config in a ConfigMap and its checksum on the pod.

Authentication is Workload Identity only: no account key and no SAS token
exist. The pod runs as `<name>-backup`, a ServiceAccount federated with its
own user-assigned identity, which holds "Storage Blob Data Contributor" on
its one blob container. The webhook's token goes to the Litestream
containers alone (`azure.workload.identity/skip-containers`), and
`AZURE_TOKEN_CREDENTIALS` narrows Litestream's DefaultAzureCredential to
the workload identity, so a pod without it fails closed.

The storage account (`azure.backupStorage`) is created protected: blob soft
delete and versioning on, TLS 1.2 at least, no public blob access, shared
keys off. Litestream 0.5 (the image in `release.images.<backup.image>`) takes
one replica per database: `dbs[].replica` with `type: abs`.
"""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal, Optional

import pulumi
from pydantic import Field, field_validator

from .config_model import ConfigModel
from .kubernetes_quantity import cpu_millicores, memory_bytes
from .pod_hardening import container_security_context

if TYPE_CHECKING:
    from .azure_environment import AzureSpec

LITESTREAM_CONFIG_PATH = "/etc/litestream/litestream.yml"
LITESTREAM_CONFIG_KEY = "litestream.yml"
LITESTREAM_CHECKSUM_ANNOTATION = "checksum/litestream"
WORKLOAD_IDENTITY_USE_LABEL = "azure.workload.identity/use"
WORKLOAD_IDENTITY_SKIP_CONTAINERS = "azure.workload.identity/skip-containers"
SIDECAR_REQUESTS = {"cpu": "20m", "memory": "64Mi"}
SIDECAR_MEMORY_LIMIT = "256Mi"


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


def backup_container_name(service_name: str) -> str:
    return f"{service_name}-backup"


def backup_service_account(service_name: str) -> str:
    return f"{service_name}-backup"


def build_litestream_config(service_name: str, mount_path: str, backup: BackupSpec, account_name: str) -> str:
    """litestream.yml: one `abs` replica per database, no key (Workload Identity)."""
    lines = ["# Rendered by the program (components/sqlite_backup.py); authentication is Workload Identity.",
             "dbs:"]
    for database in backup.databases:
        lines += [f"  - path: {mount_path}/{database}",
                  "    replica:",
                  "      type: abs",
                  f"      account-name: {account_name}",
                  f"      bucket: {backup_container_name(service_name)}",
                  f"      path: {service_name}/{database}"]
    return "\n".join(lines) + "\n"


def _litestream_container(name: str, image: str, args: list[str], identity, data_volume: str, mount_path: str,
                          restart_always: bool = False) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": args,
        # Only the workload identity: never the node's managed identity or anything else azidentity tries.
        "env": [{"name": "AZURE_TOKEN_CREDENTIALS", "value": "WorkloadIdentityCredential"}],
        "securityContext": container_security_context(identity),
        "resources": {"requests": dict(SIDECAR_REQUESTS), "limits": {"memory": SIDECAR_MEMORY_LIMIT}},
        "volumeMounts": [
            {"name": data_volume, "mountPath": mount_path},
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "litestream", "mountPath": LITESTREAM_CONFIG_PATH, "subPath": LITESTREAM_CONFIG_KEY,
             "readOnly": True},
        ],
    }
    if restart_always:
        container["restartPolicy"] = "Always"
    return container


def restore_containers(backup: BackupSpec, image: str, identity, data_volume: str,
                       mount_path: str) -> list[dict[str, Any]]:
    return [
        _litestream_container(
            f"litestream-restore-{index}", image,
            ["restore", "-config", LITESTREAM_CONFIG_PATH, "-if-db-not-exists", "-if-replica-exists",
             f"{mount_path}/{database}"], identity, data_volume, mount_path)
        for index, database in enumerate(backup.databases)
    ]


def replicate_sidecar(image: str, identity, data_volume: str, mount_path: str) -> dict[str, Any]:
    return _litestream_container("litestream", image, ["replicate", "-config", LITESTREAM_CONFIG_PATH],
                                 identity, data_volume, mount_path, restart_always=True)


def sidecar_requests() -> tuple[Fraction, Fraction]:
    return cpu_millicores(SIDECAR_REQUESTS["cpu"]), memory_bytes(SIDECAR_REQUESTS["memory"])


def check_backup(config) -> list[str]:
    """Prod's single writers are backed up; a backup needs the stack's storage and an OIDC issuer."""
    problems = []
    storage = config.azure.backup_storage if config.azure is not None else None
    for name, service in sorted(config.services.items()):
        backup = getattr(getattr(service, "data", None), "backup", None)
        if service.claims() and backup is None and config.environment == "prod":
            problems.append(f"services.{name}.data.backup: required in prod for a single writer (its only copy of "
                            "its data is on one disk; back it up continuously with Litestream: "
                            "backup: {databases: [<file>.db]})")
        if backup is not None and storage is None:
            problems.append(f"services.{name}.data.backup: the stack has no azure.backupStorage (add it with the "
                            "storage account name)")
    return problems


class BackupStorage(pulumi.ComponentResource):
    """The storage account, its blob service settings, and one container per backed-up service."""

    def __init__(self, name: str, azure: "AzureSpec", services: list[str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:azure:BackupStorage", name, None, opts)
        import pulumi_azure_native as azure_native

        spec = azure.backup_storage
        assert spec is not None
        # The replicas are the backups: neither Pulumi nor a destroy may take them.
        kept = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)
        self.account = azure_native.storage.StorageAccount(
            f"{name}-account",
            account_name=spec.account_name,
            resource_group_name=azure.resource_group_name,
            location=azure.location,
            kind="StorageV2",
            sku={"name": spec.sku_name},
            minimum_tls_version="TLS1_2",
            enable_https_traffic_only=True,
            allow_blob_public_access=False,
            # No account keys: only Entra ID (Workload Identity) can write.
            allow_shared_key_access=False,
            default_to_o_auth_authentication=True,
            opts=kept,
        )
        self.blob_service = azure_native.storage.BlobServiceProperties(
            f"{name}-blob-service",
            account_name=self.account.name,
            resource_group_name=azure.resource_group_name,
            blob_services_name="default",
            is_versioning_enabled=True,
            delete_retention_policy={"enabled": True, "days": spec.soft_delete_days},
            container_delete_retention_policy={"enabled": True, "days": spec.soft_delete_days},
            opts=kept,
        )
        self.container_ids: dict[str, pulumi.Output[str]] = {}
        for service in sorted(services):
            container = azure_native.storage.BlobContainer(
                f"{name}-{service}-container",
                account_name=self.account.name,
                resource_group_name=azure.resource_group_name,
                container_name=backup_container_name(service),
                public_access="None",
                opts=pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(depends_on=[self.blob_service])),
            )
            self.container_ids[service] = container.id
        self.register_outputs({})

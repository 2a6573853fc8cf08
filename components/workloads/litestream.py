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

from typing import Any

from components.workloads.pod_hardening import container_security_context
from config_models.backup import SIDECAR_REQUESTS, BackupSpec, backup_container_name

LITESTREAM_CONFIG_PATH = "/etc/litestream/litestream.yml"
LITESTREAM_CONFIG_KEY = "litestream.yml"
LITESTREAM_CHECKSUM_ANNOTATION = "checksum/litestream"
WORKLOAD_IDENTITY_USE_LABEL = "azure.workload.identity/use"
WORKLOAD_IDENTITY_SKIP_CONTAINERS = "azure.workload.identity/skip-containers"
SIDECAR_MEMORY_LIMIT = "256Mi"






def build_litestream_config(service_name: str, mount_path: str, backup: BackupSpec, account_name: str) -> str:
    """litestream.yml: one `abs` replica per database, no key (Workload Identity)."""
    # The header names this file's old path on purpose: the ConfigMap's checksum is on the pod template, so
    # any edit here restarts (Recreate: stops) every backed-up single writer on the next `pulumi up`.
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





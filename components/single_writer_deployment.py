"""Kind `singleWriter`: a Deployment for a service that must never run twice: one writer, one volume.

SQLite (the Sol case) corrupts or locks when two pods open the same file, and
a ReadWriteOnce volume cannot attach to two nodes. So replicas are fixed at 1,
the strategy is `Recreate` (old pod gone before the new one starts), names are
explicit and stable, and Pulumi replaces the object delete-first. None of this
is configurable: `replicas`, `strategy` and `autoscaling` exist in the config
only to give a clear error when someone tries to change them.

A release migration runs as the `migrate` init container of the new pod:
Recreate has already stopped the old writer, so the step never runs beside
it on the same file, and the app starts only once it has succeeded.

Deliberately left out: horizontal scaling, PodDisruptionBudgets (a PDB on one
replica blocks node drains) and sidecars.
"""
from __future__ import annotations

import posixpath
from fractions import Fraction
from typing import Any, Literal, Optional

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator

from .config_model import ConfigModel
from .kubernetes_quantity import cpu_millicores, memory_bytes
from .persistent_volume_claim import VolumeSpec
from .pod_hardening import container_security_context
from .pod_template import (
    CONFIG_CHECKSUM_ANNOTATION,
    DATA_VOLUME,
    SECRET_MAPPING_CHECKSUM_ANNOTATION,
    DataMount,
    PodExtras,
    build_config_map_data,
    build_migration_container,
)
from .pod_template import build_pod_template as build_common_pod_template
from .sqlite_backup import (
    LITESTREAM_CHECKSUM_ANNOTATION,
    LITESTREAM_CONFIG_KEY,
    WORKLOAD_IDENTITY_SKIP_CONTAINERS,
    WORKLOAD_IDENTITY_USE_LABEL,
    backup_service_account,
    build_litestream_config,
    replicate_sidecar,
    restore_containers,
    sidecar_requests,
)
from .workload_spec import (
    MigrationSpec,
    content_checksum,
    ServingWorkloadSpec,
    migration_components,
    selector_labels,
    workload_labels,
)

__all__ = [
    "CONFIG_CHECKSUM_ANNOTATION", "SECRET_MAPPING_CHECKSUM_ANNOTATION", "SingleWriterSpec", "SingleWriterDeployment",
    "build_pod_template", "build_deployment_manifest",
]

# The create-data-directories init container's fixed requests.
DATA_DIRECTORIES_REQUESTS = {"cpu": "10m", "memory": "16Mi"}


class DataDirectoriesSpec(ConfigModel):
    """An init container that creates directories on the data volume before the service starts."""

    image: str = Field(description="Name of the release.images entry whose image has `mkdir` (e.g. busybox). Required.")
    paths: list[str] = Field(description="Directories relative to the data mount, e.g. matrix-state. Required.")

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one path is required (or remove dataDirectories)")
        for path in value:
            if path.startswith("/") or ".." in path.split("/") or not path.strip("/"):
                raise ValueError(f"{path!r} must be a directory relative to the data mount (e.g. matrix-state)")
        return value


class SingleWriterSpec(ServingWorkloadSpec):
    """A single-writer service: one pod, its data on a claim, its secrets from one or more sources."""

    kind: Literal["singleWriter"] = Field("singleWriter", description="singleWriter (the default kind).")
    replicas: Literal[1] = Field(1, description="Always 1: a single writer. Present only to reject other values.")
    strategy: Literal["Recreate"] = Field("Recreate", description="Always Recreate. Present only to reject other values.")
    autoscaling: None = Field(None, description="Never: a single writer is not scaled. Present only to reject it.")
    data: VolumeSpec = Field(description="The data volume. Required.")
    data_directories: Optional[DataDirectoriesSpec] = Field(
        None, description="Init container creating directories on the volume. Default: none."
    )
    migration: Optional[MigrationSpec] = Field(
        None, description="Migration run in the new pod, before the app, once the old pod has stopped. Default: none."
    )
    termination_grace_period_seconds: int = Field(
        30, ge=0, description="Seconds between SIGTERM and SIGKILL; SQLite needs time to checkpoint. Default: 30."
    )

    @field_validator("replicas", mode="before")
    @classmethod
    def _replicas(cls, value: Any) -> Any:
        if value != 1:
            raise ValueError(
                f"{value!r} is not allowed: a single-writer deployment runs exactly 1 replica "
                "(its data is on a ReadWriteOnce volume); remove the key, or use kind: replicated for a "
                "stateless service"
            )
        return value

    @field_validator("strategy", mode="before")
    @classmethod
    def _strategy(cls, value: Any) -> Any:
        if value != "Recreate":
            raise ValueError(
                f"{value!r} is not allowed: a single writer must stop before its replacement starts, "
                "so the strategy is always Recreate; remove the key"
            )
        return value

    @field_validator("autoscaling", mode="before")
    @classmethod
    def _autoscaling(cls, value: Any) -> Any:
        if value is not None:
            raise ValueError(
                f"{value!r} is not allowed: a HorizontalPodAutoscaler would start a second writer on the same "
                "SQLite file (and a ReadWriteOnce volume cannot follow it); remove the key, or use kind: "
                "replicated for a stateless service"
            )
        return value

    # The facts the cross-resource checks read (see workload_spec.WorkloadSpec).

    def release_components(self, name: str) -> dict[str, str]:
        used = super().release_components(name)
        if self.data_directories is not None:
            used.setdefault(self.data_directories.image, f"services.{name}.dataDirectories.image")
        used.update({k: v for k, v in migration_components(name, self.migration).items() if k not in used})
        if self.data.backup is not None:
            used.setdefault(self.data.backup.image, f"services.{name}.data.backup.image")
        return used

    def release_migration(self) -> Optional[MigrationSpec]:
        return self.migration

    def pod_requests(self) -> tuple[Fraction, Fraction]:
        cpu, memory = self.container_requests()
        if self.data.backup is not None:
            # A native sidecar runs beside the app: its requests add up.
            sidecar_cpu, sidecar_memory = sidecar_requests()
            cpu, memory = cpu + sidecar_cpu, memory + sidecar_memory
        if self.data_directories is not None:
            cpu = max(cpu, cpu_millicores(DATA_DIRECTORIES_REQUESTS["cpu"]))
            memory = max(memory, memory_bytes(DATA_DIRECTORIES_REQUESTS["memory"]))
        return cpu, memory

    def pods_at_floor(self) -> int:
        return 1

    def rollout_surge_pods(self) -> int:
        # Recreate stops the old pod first; the migration runs inside the new one.
        return 0

    def claims(self) -> list[VolumeSpec]:
        return [self.data]


def build_pod_template(
    name: str,
    spec: SingleWriterSpec,
    environment: str,
    image: str,
    config_map_data: dict[str, str],
    init_image: Optional[str] = None,
    extra_annotations: Optional[dict[str, str]] = None,
    migration_image: Optional[str] = None,
    backup_image: Optional[str] = None,
    litestream_config: Optional[str] = None,
) -> dict[str, Any]:
    """The single writer's pod template: the common pod plus its claim, init containers and backup sidecar."""
    data = DataMount(spec.data.claim_name, spec.data.mount_path)
    init_containers: list[dict[str, Any]] = []
    if spec.data_directories is not None:
        if init_image is None:
            raise ValueError(f"service {name!r}: dataDirectories needs its image")
        directories = [posixpath.join(spec.data.mount_path, path.strip("/")) for path in spec.data_directories.paths]
        init_containers.append({
            "name": "create-data-directories",
            "image": init_image,
            "imagePullPolicy": "IfNotPresent",
            "command": ["mkdir", "-p", *directories],
            # Same user as the service, so what it creates is the service's;
            # fsGroup already made the volume writable by that group.
            "securityContext": container_security_context(spec.identity),
            "resources": {"requests": dict(DATA_DIRECTORIES_REQUESTS), "limits": {"memory": "32Mi"}},
            "volumeMounts": [{"name": DATA_VOLUME, "mountPath": spec.data.mount_path}],
        })
    backup = spec.data.backup
    if backup is not None:
        if backup_image is None or litestream_config is None:
            raise ValueError(f"service {name!r}: data.backup needs its image and its Litestream config")
        # Restore before anything opens the database: the migration, then the app.
        init_containers += restore_containers(backup, backup_image, spec.identity, DATA_VOLUME, spec.data.mount_path)
    if spec.migration is not None:
        if migration_image is None:
            raise ValueError(f"service {name!r}: migration needs its image")
        # After the directories exist (and the database is restored), before the app: the old writer is gone
        # (Recreate).
        init_containers.append(build_migration_container(spec, spec.migration, migration_image, data))
    annotations = dict(extra_annotations or {})
    pod_spec: dict[str, Any] = {}
    labels: dict[str, str] = {}
    if backup is not None:
        # Last init container, restartPolicy Always: starts once the database exists, stops after the app.
        init_containers.append(replicate_sidecar(backup_image, spec.identity, DATA_VOLUME, spec.data.mount_path))
        pod_spec["serviceAccountName"] = backup_service_account(name)
        labels[WORKLOAD_IDENTITY_USE_LABEL] = "true"
        # The federated token only where it is used: never in the app or its migration.
        others = [name] + [c["name"] for c in init_containers if not c["name"].startswith("litestream")]
        annotations[WORKLOAD_IDENTITY_SKIP_CONTAINERS] = ";".join(others)
        annotations[LITESTREAM_CHECKSUM_ANNOTATION] = content_checksum(litestream_config)
    template = build_common_pod_template(
        name, spec, environment, image, config_map_data,
        PodExtras(data=data, init_containers=init_containers, annotations=annotations, pod_spec=pod_spec),
    )
    if backup is not None:
        template["metadata"]["labels"].update(labels)
        template["spec"]["volumes"].append(
            {"name": "litestream", "configMap": {"name": litestream_config_map_name(name)}})
    return template


def litestream_config_map_name(name: str) -> str:
    return f"{name}-litestream"


def build_deployment_manifest(name: str, spec: SingleWriterSpec, environment: str, pod_template: dict[str, Any],
                              annotations: Optional[dict[str, str]] = None) -> dict:
    metadata: dict[str, Any] = {"name": name, "namespace": spec.namespace, "labels": workload_labels(name, environment)}
    if annotations:
        metadata["annotations"] = dict(sorted(annotations.items()))
    return {
        "metadata": metadata,
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector_labels(name)},
            "template": pod_template,
        },
    }


def config_map_resource(component: pulumi.ComponentResource, name: str, spec: Any, environment: str,
                        config_map_data: dict[str, str]) -> Optional[k8s.core.v1.ConfigMap]:
    """The ConfigMap of the workload's config files, if it has any (shared by every kind)."""
    if spec.config_files is None:
        return None
    return k8s.core.v1.ConfigMap(
        f"{name}-config",
        metadata={
            "name": spec.config_files.config_map_name,
            "namespace": spec.namespace,
            "labels": workload_labels(name, environment),
        },
        data=config_map_data,
        opts=pulumi.ResourceOptions(parent=component, delete_before_replace=True),
    )


class SingleWriterDeployment(pulumi.ComponentResource):
    """One pod of one service, with its ConfigMap; replaced delete-first so two writers never overlap."""

    deployment_name: str
    """metadata.name of the Deployment (VaultStaticSecret restart targets point here)."""
    image: str
    """The digest-pinned image the container runs."""

    def __init__(
        self,
        name: str,
        spec: SingleWriterSpec,
        environment: str,
        image: str,
        file_contents: dict[str, str],
        init_image: Optional[str] = None,
        extra_annotations: Optional[dict[str, str]] = None,
        deployment_annotations: Optional[dict[str, str]] = None,
        migration_image: Optional[str] = None,
        backup_image: Optional[str] = None,
        backup_account: Optional[str] = None,
        backup_client_id: Any = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ):
        super().__init__("platform:kubernetes:SingleWriterDeployment", name, None, opts)
        config_map_data = build_config_map_data(spec, file_contents)
        config_map = config_map_resource(self, name, spec, environment, config_map_data)
        depends_on: list[pulumi.Resource] = []
        if config_map is not None:
            self.config_map = config_map
            depends_on.append(config_map)
        litestream_config = None
        if spec.data.backup is not None:
            assert backup_account is not None
            litestream_config = build_litestream_config(name, spec.data.mount_path, spec.data.backup, backup_account)
            labels = workload_labels(name, environment)
            self.litestream_config = k8s.core.v1.ConfigMap(
                f"{name}-litestream-config",
                metadata={"name": litestream_config_map_name(name), "namespace": spec.namespace, "labels": labels},
                data={LITESTREAM_CONFIG_KEY: litestream_config},
                opts=pulumi.ResourceOptions(parent=self))
            # The identity the Litestream containers run as; the webhook trades its token for Entra ID's.
            self.backup_service_account = k8s.core.v1.ServiceAccount(
                f"{name}-backup-service-account",
                metadata={"name": backup_service_account(name), "namespace": spec.namespace, "labels": labels,
                          "annotations": {"azure.workload.identity/client-id": backup_client_id}},
                # The webhook projects its own token; no API token is mounted.
                automount_service_account_token=False,
                opts=pulumi.ResourceOptions(parent=self))
            depends_on += [self.litestream_config, self.backup_service_account]
        pod_template = build_pod_template(
            name, spec, environment, image, config_map_data, init_image, extra_annotations, migration_image,
            backup_image, litestream_config,
        )
        manifest = build_deployment_manifest(name, spec, environment, pod_template, deployment_annotations)
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, depends_on=depends_on),
        )
        self.deployment_name = name
        self.image = image
        self.register_outputs({"deployment_name": self.deployment_name, "image": self.image})

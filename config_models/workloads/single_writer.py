"""The config model of `kind: singleWriter` (the default): one replica, Recreate, data on a claim."""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Literal, Optional

from pydantic import Field, field_validator

from config_models.backup import BackupSpec, sidecar_requests
from config_models.base import ConfigModel
from config_models.kubernetes_quantity import cpu_millicores, memory_bytes
from config_models.volume import VolumeSpec
from config_models.workloads.workload import MigrationSpec, ServingWorkloadSpec, migration_components

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

    def backup(self) -> Optional[BackupSpec]:
        return self.data.backup

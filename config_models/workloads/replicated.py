"""The config model of `kind: replicated`: stateless, 2+ replicas, RollingUpdate, a PodDisruptionBudget."""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field, field_validator, model_validator

from config_models.api_server_name_limits import DerivedName
from config_models.base import ConfigModel
from config_models.workloads.workload import MigrationSpec, ServingWorkloadSpec, migration_components

# Prod's minimum: one pod may be evicted or lost while another serves.
PROD_MIN_REPLICAS = 2


class AutoscalingSpec(ConfigModel):
    min_replicas: int = Field(ge=1, description="Floor of the HorizontalPodAutoscaler; at least 2 in prod. Required.")
    max_replicas: int = Field(ge=1, description="Ceiling. Required.")
    target_cpu_utilization_percent: int = Field(
        70, ge=1, le=100, description="Average CPU use, in percent of requests, the HPA aims at. Default: 70.")

    @model_validator(mode="after")
    def _bounds(self) -> "AutoscalingSpec":
        if self.max_replicas < self.min_replicas:
            raise ValueError(f"maxReplicas {self.max_replicas} is below minReplicas {self.min_replicas}")
        return self


class DrainSpec(ConfigModel):
    pre_stop_sleep_seconds: int = Field(
        5, ge=1, le=120, description="Seconds the pod keeps serving after it is told to stop, while endpoints "
                                     "deregister; terminationGracePeriodSeconds must exceed it. Default: 5.")


class ReplicatedSpec(ServingWorkloadSpec):
    """A stateless service: interchangeable replicas, rolled and drained without an outage."""

    kind: Literal["replicated"] = Field(description="replicated. Required for this kind.")
    replicas: Optional[int] = Field(
        None, ge=1, description="Pod count; at least 2 in prod. Default: 2, or autoscaling.minReplicas.")
    autoscaling: Optional[AutoscalingSpec] = Field(None, description="A HorizontalPodAutoscaler. Default: none.")
    drain: DrainSpec = Field(default_factory=DrainSpec, description="Graceful stop. Default: 5 s preStop sleep.")
    data: None = Field(None, description="Never: a replicated workload has no claim. Present only to reject it.")
    migration: Optional[MigrationSpec] = Field(
        None, description="A Job, once per image digest, that the rollout waits for. Default: none.")

    @field_validator("data", mode="before")
    @classmethod
    def _no_claim(cls, value: Any) -> Any:
        if value is not None:
            raise ValueError(
                "a replicated workload cannot have a data claim: its replicas would open the same files at once "
                "(and a ReadWriteOnce volume attaches to one node); use kind: singleWriter, or keep the state in "
                "a database the replicas share"
            )
        return value

    @model_validator(mode="after")
    def _scaling(self) -> "ReplicatedSpec":
        if self.autoscaling is not None and self.replicas is not None:
            raise ValueError(
                f"replicas {self.replicas} and autoscaling are both set; the HorizontalPodAutoscaler owns the "
                "count, so remove replicas and set autoscaling.minReplicas"
            )
        if self.termination_grace_period_seconds <= self.drain.pre_stop_sleep_seconds:
            raise ValueError(
                f"terminationGracePeriodSeconds {self.termination_grace_period_seconds} must exceed "
                f"drain.preStopSleepSeconds {self.drain.pre_stop_sleep_seconds}, or the pod is killed before "
                "it finishes its requests (add the app's own shutdown time)"
            )
        return self

    @property
    def floor_replicas(self) -> int:
        if self.autoscaling is not None:
            return self.autoscaling.min_replicas
        return self.replicas if self.replicas is not None else PROD_MIN_REPLICAS

    # The facts the cross-resource checks read (see workload_spec.WorkloadSpec).

    def release_components(self, name: str) -> dict[str, str]:
        used = super().release_components(name)
        used.update({k: v for k, v in migration_components(name, self.migration).items() if k not in used})
        return used

    def release_migration(self) -> Optional[MigrationSpec]:
        return self.migration

    def pods_at_floor(self) -> int:
        return self.floor_replicas

    def rollout_surge_pods(self) -> int:
        # maxSurge, plus the migration Job's pod, which runs just before.
        return MAX_SURGE + (1 if self.migration is not None else 0)

    def derived_names(self, name: str) -> list[DerivedName]:
        names = super().derived_names(name)
        if self.migration is not None:
            # The digest part has a fixed length, so any digest stands for the real one.
            names.append(DerivedName(f"services.{name}", name, "the migration Job name",
                                     migration_job_name(name, "@sha256:" + "0" * 64), "jobName"))
        return names

    def _replica_problem(self, name: str) -> Optional[str]:
        if self.floor_replicas >= PROD_MIN_REPLICAS:
            return None
        key = "autoscaling.minReplicas" if self.autoscaling is not None else "replicas"
        return (f"services.{name}.{key}: {self.floor_replicas} is below {PROD_MIN_REPLICAS} for a replicated "
                "workload in prod (one pod must keep serving while another is evicted or rolled; "
                f"set {key}: {PROD_MIN_REPLICAS})")

    def kind_problems(self, name: str, environment: str) -> list[str]:
        problem = self._replica_problem(name)
        return [problem] if problem is not None and environment == "prod" else []

    def kind_warnings(self, name: str, environment: str) -> list[str]:
        problem = self._replica_problem(name)
        return [problem.replace(" in prod (", " (prod refuses this; ")] if (
            problem is not None and environment != "prod") else []


MAX_SURGE = 1
MIGRATION_DIGEST_CHARACTERS = 12


def migration_job_name(name: str, image: str) -> str:
    """`<name>-migrate-<first 12 hex of the digest>`: one Job per release digest."""
    digest = image.rsplit("@sha256:", 1)[-1]
    return f"{name}-migrate-{digest[:MIGRATION_DIGEST_CHARACTERS]}"

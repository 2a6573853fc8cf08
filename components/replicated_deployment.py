"""Kind `replicated`: a stateless service run as several interchangeable pods that never all stop at once.

What keeps it serving (the memQL mesh's rules, seed section 7):
- at least 2 replicas in prod, rolled with `RollingUpdate`, `maxUnavailable: 0`
  and `maxSurge: 1`: a new pod is Ready before an old one goes;
- a PodDisruptionBudget (`maxUnavailable: 1`) so node drains and upgrades
  evict one pod at a time, yet never stall;
- topology spread across nodes (required) and zones (preferred), so one node
  or zone lost is not the service lost;
- a `preStop` sleep, so the endpoint is removed before SIGTERM arrives, and a
  termination grace period longer than it, so in-flight streams drain;
- an optional HorizontalPodAutoscaler, whose floor is the replica count;
- no claim: replicas would share it, which is what a single writer is for.

A release migration is a Job named after the image digest, which the
Deployment depends on: Pulumi waits for it to succeed before it touches the
Deployment, so no new pod serves an unmigrated schema; a failed Job fails the
update there, and the old pods keep serving.
"""
from __future__ import annotations

from typing import Any, Literal, Optional

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator, model_validator

from .api_server_name_limits import DerivedName
from .config_model import ConfigModel
from .pod_template import PodExtras, build_config_map_data, build_migration_pod_template, build_pod_template
from .single_writer_deployment import config_map_resource
from .workload_spec import (
    MigrationSpec,
    ServingWorkloadSpec,
    WorkloadInputs,
    migration_components,
    selector_labels,
    workload_labels,
)

# Prod's minimum: one pod may be evicted or lost while another serves.
PROD_MIN_REPLICAS = 2
MAX_SURGE = 1
DISRUPTION_BUDGET_MAX_UNAVAILABLE = 1
MIGRATION_DIGEST_CHARACTERS = 12


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


def migration_job_name(name: str, image: str) -> str:
    """`<name>-migrate-<first 12 hex of the digest>`: one Job per release digest."""
    digest = image.rsplit("@sha256:", 1)[-1]
    return f"{name}-migrate-{digest[:MIGRATION_DIGEST_CHARACTERS]}"


def build_replicated_pod_template(name: str, spec: ReplicatedSpec, environment: str, image: str,
                                  config_map_data: dict[str, str],
                                  extra_annotations: Optional[dict[str, str]] = None) -> dict[str, Any]:
    selector = {"matchLabels": selector_labels(name)}
    spread = [
        {
            # Required across nodes: two replicas on one node is one failure from none.
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "DoNotSchedule",
            # A cordoned (draining) node is not a place to balance onto.
            "nodeTaintsPolicy": "Honor",
            "labelSelector": selector,
            # Count each ReplicaSet on its own, so a rollout's surge pod is not held back by the old pods.
            "matchLabelKeys": ["pod-template-hash"],
        },
        {
            # Preferred across zones: a region or pool without zones still schedules.
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": selector,
            "matchLabelKeys": ["pod-template-hash"],
        },
    ]
    return build_pod_template(name, spec, environment, image, config_map_data, PodExtras(
        # The sleep action needs no shell in the image (distroless has none).
        lifecycle={"preStop": {"sleep": {"seconds": spec.drain.pre_stop_sleep_seconds}}},
        pod_spec={"topologySpreadConstraints": spread},
        annotations=dict(extra_annotations or {}),
    ))


def build_replicated_manifests(name: str, spec: ReplicatedSpec, environment: str, pod_template: dict[str, Any],
                               annotations: Optional[dict[str, str]] = None) -> dict[str, dict]:
    """Deployment, PodDisruptionBudget and (if configured) HorizontalPodAutoscaler manifests."""
    labels = workload_labels(name, environment)
    metadata: dict[str, Any] = {"name": name, "namespace": spec.namespace, "labels": labels}
    if annotations:
        metadata["annotations"] = dict(sorted(annotations.items()))
    deployment_spec: dict[str, Any] = {
        "strategy": {"type": "RollingUpdate",
                     "rollingUpdate": {"maxUnavailable": 0, "maxSurge": MAX_SURGE}},
        "revisionHistoryLimit": 3,
        "selector": {"matchLabels": selector_labels(name)},
        "template": pod_template,
    }
    # With an HPA the count is its to set; a replicas field here would fight it on every update.
    if spec.autoscaling is None:
        deployment_spec = {"replicas": spec.floor_replicas, **deployment_spec}
    manifests = {
        "deployment": {"metadata": metadata, "spec": deployment_spec},
        "disruption_budget": {
            "metadata": {"name": name, "namespace": spec.namespace, "labels": labels},
            "spec": {"maxUnavailable": DISRUPTION_BUDGET_MAX_UNAVAILABLE,
                     "selector": {"matchLabels": selector_labels(name)},
                     # A pod that is not Ready serves nothing; evicting it never costs availability,
                     # and keeping it would stall a drain when every replica is unready.
                     "unhealthyPodEvictionPolicy": "AlwaysAllow"},
        },
    }
    if spec.autoscaling is not None:
        manifests["autoscaler"] = {
            "metadata": {"name": name, "namespace": spec.namespace, "labels": labels},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicas": spec.autoscaling.min_replicas,
                "maxReplicas": spec.autoscaling.max_replicas,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                    "type": "Utilization", "averageUtilization": spec.autoscaling.target_cpu_utilization_percent}}}],
            },
        }
    return manifests


def build_migration_job(name: str, spec: ReplicatedSpec, environment: str, image: str,
                        config_map_data: dict[str, str], release_image: str) -> dict[str, Any]:
    migration = spec.migration
    assert migration is not None
    return {
        "metadata": {
            "name": migration_job_name(name, release_image),
            "namespace": spec.namespace,
            "labels": {**workload_labels(name, environment), "app.kubernetes.io/component": "migration"},
            "annotations": {"platform/migrates-release": release_image},
        },
        "spec": {
            "backoffLimit": migration.backoff_limit,
            "activeDeadlineSeconds": migration.active_deadline_seconds,
            "template": build_migration_pod_template(name, spec, environment, migration, image, config_map_data),
        },
    }


class ReplicatedDeployment(pulumi.ComponentResource):
    """A stateless service's Deployment, its disruption budget, its autoscaler and its release migration."""

    deployment_name: str
    image: str

    def __init__(self, name: str, spec: ReplicatedSpec, inputs: WorkloadInputs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:kubernetes:ReplicatedDeployment", name, None, opts)
        image = inputs.images[name]
        config_map_data = build_config_map_data(spec, inputs.file_contents)
        # Children do not inherit the component's dependencies (its claims and Secrets); the
        # Job and the Deployment must still wait for them.
        depends_on: list[pulumi.Resource] = list(opts.depends_on or []) if opts is not None else []
        config_map = config_map_resource(self, name, spec, inputs.environment, config_map_data)
        if config_map is not None:
            depends_on.append(config_map)
        if spec.migration is not None:
            migration_image = inputs.images[spec.migration.image or name]
            job = build_migration_job(name, spec, inputs.environment, migration_image, config_map_data, image)
            self.migration_job = k8s.batch.v1.Job(
                f"{name}-migration", metadata=job["metadata"], spec=job["spec"],
                # The Job is named after the digest: a new release is a new Job; a changed
                # step for the same digest replaces it under the same name, so delete first.
                opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, depends_on=list(depends_on)),
            )
            # Pulumi waits for a Job to succeed; the Deployment changes only after.
            depends_on.append(self.migration_job)
        pod_template = build_replicated_pod_template(
            name, spec, inputs.environment, image, config_map_data, inputs.pod_annotations)
        manifests = build_replicated_manifests(
            name, spec, inputs.environment, pod_template, inputs.workload_annotations)
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment", metadata=manifests["deployment"]["metadata"],
            spec=manifests["deployment"]["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )
        self.disruption_budget = k8s.policy.v1.PodDisruptionBudget(
            f"{name}-disruption-budget", metadata=manifests["disruption_budget"]["metadata"],
            spec=manifests["disruption_budget"]["spec"], opts=pulumi.ResourceOptions(parent=self),
        )
        if "autoscaler" in manifests:
            self.autoscaler = k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{name}-autoscaler", metadata=manifests["autoscaler"]["metadata"],
                spec=manifests["autoscaler"]["spec"],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.deployment]),
            )
        self.deployment_name = name
        self.image = image
        self.register_outputs({"deployment_name": name, "image": image})

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

from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from components.workloads.pod_template import (
    PodExtras, build_config_map_data, build_migration_pod_template, build_pod_template, config_map_resource,
)
from components.workloads.workload_inputs import WorkloadInputs
from config_models.workloads.replicated import MAX_SURGE, ReplicatedSpec, migration_job_name
from config_models.workloads.workload import selector_labels, workload_labels

DISRUPTION_BUDGET_MAX_UNAVAILABLE = 1






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

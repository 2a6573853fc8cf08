"""Kind `cronJob`: a stateless task on a schedule, hardened like every other pod.

Runs never overlap unless asked (`concurrencyPolicy: Forbid`, or `Replace`;
`Allow` is refused: a slow run plus the next one is two of the same task at
once). A missed start is skipped once `startingDeadlineSeconds` has passed,
so a controller that was down does not fire a burst of catch-up runs. Every
run has a deadline, and the history of finished Jobs is bounded.

No claim: a scheduled run mounting a single writer's ReadWriteOnce volume
would open its SQLite file beside the writer (or wait forever for the volume
on another node). Tasks that need the data belong inside the writer's pod.
"""
from __future__ import annotations

from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from components.workloads.pod_template import PodExtras, build_config_map_data, build_pod_template, config_map_resource
from components.workloads.workload_inputs import WorkloadInputs
from config_models.workloads.cron_job import CronJobSpec
from config_models.workloads.workload import workload_labels


def build_cron_job_manifest(name: str, spec: CronJobSpec, environment: str, image: str,
                            config_map_data: dict[str, str],
                            extra_annotations: Optional[dict[str, str]] = None,
                            annotations: Optional[dict[str, str]] = None) -> dict[str, Any]:
    pod_template = build_pod_template(name, spec, environment, image, config_map_data, PodExtras(
        # A failed run is a failed pod counted against backoffLimit, not a container restart loop.
        pod_spec={"restartPolicy": "Never"},
        annotations=dict(extra_annotations or {}),
    ))
    metadata: dict[str, Any] = {"name": name, "namespace": spec.namespace,
                                "labels": workload_labels(name, environment)}
    if annotations:
        metadata["annotations"] = dict(sorted(annotations.items()))
    cron_spec: dict[str, Any] = {
        "schedule": spec.schedule,
        "concurrencyPolicy": spec.concurrency_policy,
        "startingDeadlineSeconds": spec.starting_deadline_seconds,
        "successfulJobsHistoryLimit": spec.successful_jobs_history_limit,
        "failedJobsHistoryLimit": spec.failed_jobs_history_limit,
        "suspend": spec.suspend,
        "jobTemplate": {
            "metadata": {"labels": workload_labels(name, environment)},
            "spec": {
                "backoffLimit": spec.backoff_limit,
                "activeDeadlineSeconds": spec.active_deadline_seconds,
                "template": pod_template,
            },
        },
    }
    if spec.time_zone is not None:
        cron_spec["timeZone"] = spec.time_zone
    return {"metadata": metadata, "spec": cron_spec}


class ScheduledJob(pulumi.ComponentResource):
    """A CronJob and its ConfigMap."""

    cron_job_name: str
    image: str

    def __init__(self, name: str, spec: CronJobSpec, inputs: WorkloadInputs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:kubernetes:ScheduledJob", name, None, opts)
        image = inputs.images[name]
        config_map_data = build_config_map_data(spec, inputs.file_contents)
        config_map = config_map_resource(self, name, spec, inputs.environment, config_map_data)
        manifest = build_cron_job_manifest(name, spec, inputs.environment, image, config_map_data,
                                           inputs.pod_annotations, inputs.workload_annotations)
        self.cron_job = k8s.batch.v1.CronJob(
            f"{name}-cron-job", metadata=manifest["metadata"], spec=manifest["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[config_map] if config_map is not None else []),
        )
        self.cron_job_name = name
        self.image = image
        self.register_outputs({"cron_job_name": name, "image": image})

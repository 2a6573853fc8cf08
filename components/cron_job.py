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

import zoneinfo
from typing import Any, Literal, Optional

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator

from .api_server_name_limits import DerivedName
from .cron_schedule import check_cron_schedule
from .pod_template import PodExtras, build_config_map_data, build_pod_template
from .single_writer_deployment import config_map_resource
from .workload_spec import WorkloadInputs, WorkloadSpec, workload_labels


class CronJobSpec(WorkloadSpec):
    """A scheduled task."""

    kind: Literal["cronJob"] = Field(description="cronJob. Required for this kind.")
    schedule: str = Field(description="Cron schedule, e.g. '*/15 * * * *' or '@daily'. Required.")
    time_zone: Optional[str] = Field(None, description="IANA time zone of the schedule, e.g. Europe/Paris. "
                                                       "Default: the controller's (UTC on AKS).")
    concurrency_policy: Literal["Forbid", "Replace"] = Field(
        "Forbid", description="Forbid (skip a run while one is active) or Replace (stop it). Default: Forbid.")
    starting_deadline_seconds: int = Field(
        300, ge=10, description="A run that cannot start within this many seconds of its time is skipped. "
                                "Default: 300.")
    successful_jobs_history_limit: int = Field(3, ge=0, le=20, description="Finished Jobs kept. Default: 3.")
    failed_jobs_history_limit: int = Field(3, ge=0, le=20, description="Failed Jobs kept. Default: 3.")
    backoff_limit: int = Field(2, ge=0, le=10, description="Retries of a failed run. Default: 2.")
    active_deadline_seconds: int = Field(3600, ge=1, description="A run taking longer is stopped. Default: 3600.")
    suspend: bool = Field(False, description="Stop scheduling new runs. Default: false.")
    data: None = Field(None, description="Never: a scheduled task has no claim. Present only to reject it.")

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        return check_cron_schedule(value)

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: Optional[str]) -> Optional[str]:
        if value is None:
            return value
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Etc/UTC, Europe/Paris)") from None
        return value

    @field_validator("concurrency_policy", mode="before")
    @classmethod
    def _concurrency(cls, value: Any) -> Any:
        if value == "Allow":
            raise ValueError("'Allow' is not allowed: a slow run and the next would run the same task twice at "
                             "once; use Forbid (the default) or Replace")
        return value

    @field_validator("data", mode="before")
    @classmethod
    def _no_claim(cls, value: Any) -> Any:
        if value is not None:
            raise ValueError("a cronJob cannot have a data claim: a run would open a single writer's files "
                             "beside it; run the task inside the writer's pod, or remove the key")
        return value

    # The facts the cross-resource checks read (see workload_spec.WorkloadSpec).

    def pods_at_floor(self) -> int:
        # A run may be active when the pool sits at its floor.
        return 1

    def rollout_surge_pods(self) -> int:
        return 0

    def derived_names(self, name: str) -> list[DerivedName]:
        return [*super().derived_names(name),
                DerivedName(f"services.{name}", name, "the CronJob name", name, "cronJobName")]


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

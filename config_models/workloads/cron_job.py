"""The config model of `kind: cronJob`: a stateless task on a schedule."""
from __future__ import annotations

import zoneinfo
from typing import Any, Literal, Optional

from pydantic import Field, field_validator

from config_models.api_server_name_limits import DerivedName
from config_models.cron_schedule import check_cron_schedule
from config_models.workloads.workload import WorkloadSpec


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

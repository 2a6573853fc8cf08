"""A smoke check a service declares: the proof, after a rollout, that the service works, not only that it runs.

`stackctl verify` runs every declared check against the live stack and
records the result; prod takes an image only after a green verification
(stackctl/verification_record.py). A check is either a command run where
`stackctl verify` runs (it reaches the service through its route, or uses
kubectl), or an in-cluster Job running one of the release's images with a
command, such as memQL's deep gate. The command's exit status is the result:
0 passes, anything else fails, and a command that cannot start, or a Job that
cannot be created or does not finish in time, fails too. There is no skip.

Deliberately left out: retries (a flaky check is a finding, not noise to
hide), and checks that are not a process exit status (HTTP bodies, metrics).
"""
from __future__ import annotations

from typing import Optional

from pydantic import Field, field_validator, model_validator

from config_models.base import ConfigModel
from config_models.kubernetes_names import check_dns_label


class SmokeCheckJob(ConfigModel):
    """An in-cluster Job: the check runs where the service runs, with the cluster's network and DNS."""

    image: str = Field(description="release.images entry whose pinned image the Job runs, e.g. memql-bff. Required.")
    command: list[str] = Field(description="The Job's container command, e.g. [./memql, gate, --deep]. Required.")
    args: Optional[list[str]] = Field(None, description="Its args. Default: none.")

    @field_validator("command")
    @classmethod
    def _command(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("[] must name the program that checks (e.g. [./memql, gate, --deep])")
        return value


class SmokeCheckSpec(ConfigModel):
    """One check of a service: exactly one of `command` (run locally) or `job` (run in the cluster)."""

    name: str = Field(description="A DNS label naming the check in the verification record, e.g. deep-gate. "
                                  "Required.")
    command: Optional[list[str]] = Field(
        None, description="Program and arguments run by `stackctl verify` from the project root, with STACK, "
                          "SERVICE and NAMESPACE in its environment. Default: none (then `job` is required).")
    job: Optional[SmokeCheckJob] = Field(None, description="An in-cluster Job instead. Default: none.")
    timeout_seconds: int = Field(300, ge=1, le=3600, description="A check still running after this fails. "
                                                                 "Default: 300.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_dns_label(value)

    @field_validator("command")
    @classmethod
    def _command(cls, value: Optional[list[str]]) -> Optional[list[str]]:
        if value is not None and not value:
            raise ValueError("[] must name the program that checks (e.g. [scripts/smoke, sol])")
        return value

    @model_validator(mode="after")
    def _one_way_to_run(self) -> "SmokeCheckSpec":
        if (self.command is None) == (self.job is None):
            raise ValueError(f"smoke check {self.name!r} must have exactly one of `command` (run by stackctl "
                             "verify) or `job` (run in the cluster)")
        return self

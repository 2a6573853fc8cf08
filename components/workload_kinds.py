"""The registry of workload kinds: `services.<name>.kind` -> its config model and its component.

Adding a kind is one new file (its `WorkloadSpec` subclass, answering the
facts in `workload_spec.py`, and its component taking `(name, spec, inputs,
opts)`) plus one line in `WORKLOAD_KINDS` below. The stack checks
(`stack_checks.py`) and `service_stack.deploy_stack` read only those facts and
this table, so neither changes. A service without `kind` is a single writer,
the kind every stack file written before kinds existed meant.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Callable, Optional, Union

import pulumi
from pydantic import Discriminator, Tag

from .config_model import UNION_TAG_PREFIX
from .cron_job import CronJobSpec, ScheduledJob
from .replicated_deployment import ReplicatedDeployment, ReplicatedSpec
from .single_writer_deployment import SingleWriterDeployment, SingleWriterSpec
from .workload_spec import WorkloadInputs, WorkloadSpec

DEFAULT_KIND = "singleWriter"
# Prefix of the tags pydantic puts in error locations; config_model drops them from key paths.
KIND_TAG_PREFIX = UNION_TAG_PREFIX


def _deploy_single_writer(name: str, spec: SingleWriterSpec, inputs: WorkloadInputs,
                          opts: Optional[pulumi.ResourceOptions]) -> pulumi.ComponentResource:
    return SingleWriterDeployment(
        name, spec, inputs.environment, inputs.images[name], inputs.file_contents,
        init_image=inputs.images[spec.data_directories.image] if spec.data_directories else None,
        extra_annotations=inputs.pod_annotations, deployment_annotations=inputs.workload_annotations,
        migration_image=inputs.images[spec.migration.image or name] if spec.migration else None,
        backup_image=inputs.images[spec.data.backup.image] if spec.data.backup else None,
        backup_account=inputs.backup_account, backup_client_id=inputs.backup_client_id,
        opts=opts,
    )


@dataclass(frozen=True)
class WorkloadKind:
    spec: type[WorkloadSpec]
    deploy: Callable[[str, Any, WorkloadInputs, Optional[pulumi.ResourceOptions]], pulumi.ComponentResource]
    summary: str


WORKLOAD_KINDS: dict[str, WorkloadKind] = {
    "singleWriter": WorkloadKind(SingleWriterSpec, _deploy_single_writer,
                                 "one replica, Recreate, data on a claim (SQLite)"),
    "replicated": WorkloadKind(ReplicatedSpec, ReplicatedDeployment,
                               "stateless, 2+ replicas, RollingUpdate, PodDisruptionBudget"),
    "cronJob": WorkloadKind(CronJobSpec, ScheduledJob, "a stateless task on a schedule"),
}


def _kind_of(value: Any) -> str:
    kind = value.get("kind", DEFAULT_KIND) if isinstance(value, dict) else getattr(value, "kind", DEFAULT_KIND)
    # An unknown kind gets a tag no member has: pydantic then reports union_tag_invalid.
    return f"{KIND_TAG_PREFIX}{kind}"


AnyWorkloadSpec = Annotated[
    Union[tuple(Annotated[kind.spec, Tag(f"{KIND_TAG_PREFIX}{name}")] for name, kind in WORKLOAD_KINDS.items())],
    Discriminator(_kind_of),
]
"""The model of one `services.<name>` entry: the member its `kind` names."""


def deploy_workload(name: str, spec: WorkloadSpec, inputs: WorkloadInputs,
                    opts: Optional[pulumi.ResourceOptions] = None) -> pulumi.ComponentResource:
    return WORKLOAD_KINDS[spec.kind].deploy(name, spec, inputs, opts)  # type: ignore[attr-defined]

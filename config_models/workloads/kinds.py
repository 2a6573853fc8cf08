"""The workload kinds a stack file may name: `services.<name>.kind` -> its config model.

Adding a kind is one config model here (a `WorkloadSpec` subclass answering
the facts in `workload.py`), one component in `components/workloads/`, and
one line in each registry (`WORKLOAD_KIND_MODELS` here,
`components.workloads.kinds.WORKLOAD_KIND_COMPONENTS` there; a test holds
their keys equal). The stack checks and the `Service` component read only
those facts, so neither changes. A service without `kind` is a single
writer, the kind every stack file written before kinds existed meant.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Union

from pydantic import Discriminator, Tag

from config_models.base import UNION_TAG_PREFIX
from config_models.workloads.cron_job import CronJobSpec
from config_models.workloads.replicated import ReplicatedSpec
from config_models.workloads.single_writer import SingleWriterSpec
from config_models.workloads.workload import WorkloadSpec

DEFAULT_KIND = "singleWriter"
# Prefix of the tags pydantic puts in error locations; config_models.base drops them from key paths.
KIND_TAG_PREFIX = UNION_TAG_PREFIX


@dataclass(frozen=True)
class WorkloadKindModel:
    spec: type[WorkloadSpec]
    summary: str


WORKLOAD_KIND_MODELS: dict[str, WorkloadKindModel] = {
    "singleWriter": WorkloadKindModel(SingleWriterSpec, "one replica, Recreate, data on a claim (SQLite)"),
    "replicated": WorkloadKindModel(ReplicatedSpec, "stateless, 2+ replicas, RollingUpdate, PodDisruptionBudget"),
    "cronJob": WorkloadKindModel(CronJobSpec, "a stateless task on a schedule"),
}


def _kind_of(value: Any) -> str:
    kind = value.get("kind", DEFAULT_KIND) if isinstance(value, dict) else getattr(value, "kind", DEFAULT_KIND)
    # An unknown kind gets a tag no member has: pydantic then reports union_tag_invalid.
    return f"{KIND_TAG_PREFIX}{kind}"


AnyWorkloadSpec = Annotated[
    Union[tuple(Annotated[kind.spec, Tag(f"{KIND_TAG_PREFIX}{name}")]
                for name, kind in WORKLOAD_KIND_MODELS.items())],
    Discriminator(_kind_of),
]
"""The model of one `services.<name>` entry: the member its `kind` names."""

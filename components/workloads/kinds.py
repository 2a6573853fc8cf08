"""The component of each workload kind: `services.<name>.kind` -> what registers its resources.

The keys are those of `config_models.workloads.kinds.WORKLOAD_KIND_MODELS`
(a test holds them equal). Every component takes `(name, spec, inputs, opts)`;
the kinds never import each other, and share what they share through
`pod_template.py` below them.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import pulumi

from components.workloads.cron_job import ScheduledJob
from components.workloads.replicated_deployment import ReplicatedDeployment
from components.workloads.single_writer_deployment import SingleWriterDeployment
from components.workloads.workload_inputs import WorkloadInputs
from config_models.workloads.workload import WorkloadSpec

WorkloadComponent = Callable[[str, Any, WorkloadInputs, Optional[pulumi.ResourceOptions]], pulumi.ComponentResource]
WORKLOAD_KIND_COMPONENTS: dict[str, WorkloadComponent] = {
    "singleWriter": SingleWriterDeployment,
    "replicated": ReplicatedDeployment,
    "cronJob": ScheduledJob,
}


def deploy_workload(name: str, spec: WorkloadSpec, inputs: WorkloadInputs,
                    opts: Optional[pulumi.ResourceOptions] = None) -> pulumi.ComponentResource:
    return WORKLOAD_KIND_COMPONENTS[spec.kind](name, spec, inputs, opts)  # type: ignore[attr-defined]

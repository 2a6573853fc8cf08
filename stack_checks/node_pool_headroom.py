"""The node-pool headroom check, done at preview: do the workloads fit on the autoscaler's floor?

The sum of every workload's pod requests at the floor (a pod requests the
larger of its containers' sum and its largest init container), plus the pods a
release adds while it rolls out (a replicated workload's surge pod and its
migration Job; none for a single writer, whose Recreate stops the old pod
first), must fit in `minCount × allocatable(vmSize)`. Each workload states
those numbers itself (`WorkloadSpec.pods_at_floor`, `rollout_surge_pods`,
`pod_requests`), whatever its kind. If it does not,
pods stay Pending whenever the autoscaler has scaled down to its floor.
Staging warns; prod fails. The message shows the numbers.

Allocatable per VM size comes from `policies/aks_allocatable.py`, the table
the policy pack's headroom rule uses too, so the two checks cannot disagree.
"""
from __future__ import annotations

from fractions import Fraction

from config_models.azure import ALLOCATABLE_BY_VM_SIZE
from config_models.kubernetes_quantity import format_millicores
from config_models.workloads.workload import WorkloadSpec
from platform_facts.kubernetes_quantity import format_mebibytes


def headroom_problem(workloads: dict[str, WorkloadSpec], vm_size: str, min_count: int,
                     key_path: str) -> str | None:
    """None if the workloads fit on the floor, else the message with the numbers."""
    allocatable = ALLOCATABLE_BY_VM_SIZE[vm_size]
    cpu = memory = Fraction(0)
    pods = surge = 0
    for spec in workloads.values():
        pod_cpu, pod_memory = spec.pod_requests()
        pods, surge = pods + spec.pods_at_floor(), surge + spec.rollout_surge_pods()
        count = spec.pods_at_floor() + spec.rollout_surge_pods()
        cpu, memory = cpu + pod_cpu * count, memory + pod_memory * count
    capacity_cpu = allocatable.cpu_millicores * min_count
    capacity_memory = allocatable.memory_bytes * min_count
    if cpu <= capacity_cpu and memory <= capacity_memory:
        return None
    return (
        f"{key_path}: workloads request {format_millicores(cpu)} CPU and {format_mebibytes(memory)} memory "
        f"({pods} pods + {surge} rollout surge), but the floor of {min_count} x {vm_size} allocates "
        f"{format_millicores(Fraction(capacity_cpu))} CPU and {format_mebibytes(Fraction(capacity_memory))} memory "
        "(raise minCount, use a larger vmSize, or lower requests)"
    )

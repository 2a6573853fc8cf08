"""The node pools, at their minimum size, fit the requests of every Deployment, surge included.

The cluster autoscaler only adds nodes after a pod is already Pending; the
floor of the pools is what is there when a release rolls at 3 a.m. So the sum,
over all Deployments, of each pod's requests (per resource, the larger of the
containers' sum and the biggest init container) times its replica count plus
the rolling-update surge (`maxSurge`, default 25% of the replica count rounded
up; none for Recreate) must fit in the sum over pools of `minCount` (or `count`
without autoscaling) times the allocatable CPU and memory of the pool's `vmSize`.

The replica count is `spec.replicas` (1 when unset), raised to the
`minReplicas` (default 1) of a HorizontalPodAutoscaler that scales the
Deployment: an HPA never goes below its minimum, and a Deployment it manages
usually leaves `replicas` unset. An HPA whose target or minimum is unknown at
preview and that may scale a Deployment makes that Deployment's count unknown.

Allocatable per VM size is policy config (`allocatable`), defaulting to the
table in `platform_facts/aks_allocatable.py`, which the program's own headroom check uses too.

Deliberately left out: DaemonSet pods (system add-ons differ by cluster),
taints and bin-packing (a pod fits in the sum, not necessarily on one node),
StatefulSets (none here), and CronJobs and Jobs: their pods are short-lived
and run beside the services only for minutes, so like the program's own check,
which counts Deployments only, this rule does not reserve room for them.
Stacks without a node pool are not checked.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Optional

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from platform_facts.aks_allocatable import ALLOCATABLE_BY_VM_SIZE
from .aks_node_pool_autoscaling import node_pools
from platform_facts.kubernetes_quantity import format_mebibytes, format_millicores, parse_quantity
from .kubernetes_resource import containers, kind_of, pod_template, scales, subject
from .resource_properties import UNKNOWN, describe, field, schema_with_defaults, settings

DEFAULTS = {"allocatable": ALLOCATABLE_BY_VM_SIZE}
RESOURCES = ("cpu", "memory")


def _pod_requests(pod_spec: Any) -> Optional[dict[str, Fraction]]:
    """Scheduling requests of one pod; None if any request is unknown at preview."""
    regular = {resource: Fraction(0) for resource in RESOURCES}
    init = {resource: Fraction(0) for resource in RESOURCES}
    for container in containers(pod_spec, include_ephemeral=False):
        for resource in RESOURCES:
            value = field(container.value, "resources", "requests", resource)
            if value is UNKNOWN:
                return None
            amount = parse_quantity(value) or Fraction(0)  # missing: container-resources reports it
            if container.label.startswith("initContainer"):
                init[resource] = max(init[resource], amount)
            else:
                regular[resource] += amount
    return {resource: max(regular[resource], init[resource]) for resource in RESOURCES}


def _surge(props: Any, replicas: int) -> Optional[int]:
    strategy = field(props, "spec", "strategy")
    strategy_type = field(strategy, "type")
    if strategy_type == "Recreate":
        return 0
    if strategy_type not in (None, "RollingUpdate"):
        return None
    max_surge = field(strategy, "rollingUpdate", "maxSurge")
    if max_surge is None:
        max_surge = "25%"
    if isinstance(max_surge, str) and max_surge.endswith("%"):
        try:
            return math.ceil(replicas * float(max_surge[:-1]) / 100)
        except ValueError:
            return None
    if isinstance(max_surge, (int, float)) and not isinstance(max_surge, bool):
        return int(max_surge)
    return None


def _replica_count(resource: Any, autoscalers: list[Any]) -> Any:
    """spec.replicas (1 when unset), raised to the minReplicas of any HPA that scales it; UNKNOWN if unknown."""
    replicas = field(resource.props, "spec", "replicas")
    counts = [1 if replicas is None else replicas]
    for autoscaler in autoscalers:
        matched = scales(autoscaler.props, resource.resource_type, resource.props, resource.name)
        if matched is False:
            continue
        minimum = field(autoscaler.props, "spec", "minReplicas")
        counts.append(UNKNOWN if matched is UNKNOWN else 1 if minimum is None else minimum)
    if not all(isinstance(count, (int, float)) and not isinstance(count, bool) for count in counts):
        return UNKNOWN
    return max(counts)


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    table = settings(args.get_config(), DEFAULTS)["allocatable"]
    have = {resource: Fraction(0) for resource in RESOURCES}
    pool_labels, problems = [], []
    for resource in args.resources:
        for pool in node_pools(resource.resource_type, resource.props, resource.name):
            autoscaling = field(pool.props, "enableAutoScaling")
            nodes = field(pool.props, "minCount" if autoscaling is True else "count")
            vm_size = field(pool.props, "vmSize")
            if not isinstance(nodes, (int, float)) or isinstance(nodes, bool) or not isinstance(vm_size, str):
                problems.append(f"{pool.label} (minCount or count {describe(nodes)}, vmSize {describe(vm_size)})")
                continue
            if vm_size not in table:
                report_violation(f"{pool.label} vmSize ({describe(vm_size)}) must be in the allocatable table of "
                                 f"node-pool-headroom (known: {', '.join(sorted(table))}).", resource.urn)
                continue
            for name in RESOURCES:
                have[name] += int(nodes) * (parse_quantity(table[vm_size][name]) or Fraction(0))
            pool_labels.append(f"{pool.label}: {int(nodes)} x {vm_size}")
    if not pool_labels and not problems:
        return  # no node pool in this stack

    need = {resource: Fraction(0) for resource in RESOURCES}
    autoscalers = [resource for resource in args.resources
                   if kind_of(resource.resource_type, "autoscaling") == "HorizontalPodAutoscaler"]
    for resource in args.resources:
        if kind_of(resource.resource_type, "apps") != "Deployment":
            continue
        replicas = _replica_count(resource, autoscalers)
        template = pod_template(resource.resource_type, resource.props)
        requests = _pod_requests(template[1])
        surge = _surge(resource.props, replicas) if isinstance(replicas, (int, float)) else None
        if requests is None or surge is None or not isinstance(replicas, (int, float)):
            problems.append(f"{subject(resource.resource_type, resource.props, resource.name)} "
                            "(replicas, strategy or requests)")
            continue
        for name in RESOURCES:
            need[name] += requests[name] * (int(replicas) + surge)

    if problems:
        report_violation(f"Node-pool headroom inputs must be known at preview: {'; '.join(problems)}.")
        return
    if need["cpu"] > have["cpu"] or need["memory"] > have["memory"]:
        report_violation(
            f"Deployments' requests including rolling-update surge ({format_millicores(need['cpu'])} CPU, "
            f"{format_mebibytes(need['memory'])} memory) must fit the node pools at minimum size "
            f"({'; '.join(pool_labels)}: {format_millicores(have['cpu'])} CPU, "
            f"{format_mebibytes(have['memory'])} memory allocatable).")


POLICY = StackValidationPolicy(
    name="node-pool-headroom",
    description="The node pools at minimum size must fit every Deployment's requests, rolling-update surge included.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=schema_with_defaults({
        "allocatable": {
            "type": "object",
            "additionalProperties": {
                "type": "object", "required": ["cpu", "memory"],
                "properties": {"cpu": {"type": "string"}, "memory": {"type": "string"}},
            },
            "description": "VM size -> allocatable cpu and memory of one node, as Kubernetes quantities. "
                           "Default: AKS 1.29+ reservations for Standard_B2s, Standard_B4ms, Standard_D2s_v5, "
                           "Standard_D4s_v5 (see the module docstring).",
        },
    }, DEFAULTS)),
)

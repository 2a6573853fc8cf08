"""AKS node pools autoscale, between a sane minimum and maximum, with a floor.

The cluster autoscaler adds nodes when pods are pending and removes idle ones;
with `minCount` above `maxCount` AKS rejects the pool, and a floor of at least
2 nodes in prod (`minCountFloor`) means a node drain or a zone outage never
leaves the pool empty. Pools are `AgentPool` resources or the
`agentPoolProfiles` of a `ManagedCluster`; `node_pools()` is also what the
headroom rule counts. Deliberately left out: `maxCount` ceilings (a cost
question) and VM sizes (the headroom rule's table lists the known ones).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .azure_resource import is_azure_native
from .resource_properties import describe, field, items, schema_with_defaults, settings

DEFAULTS = {"minCountFloor": 1}


@dataclass(frozen=True)
class NodePool:
    label: str  # `AgentPool 'user'`, `ManagedCluster 'aks' agentPoolProfiles 'system'`
    props: Any  # the pool's fields: enableAutoScaling, minCount, maxCount, count, vmSize, mode


def node_pools(resource_type: str, props: Any, name: str) -> list[NodePool]:
    if is_azure_native(resource_type, "containerservice", "AgentPool"):
        pool_name = field(props, "agentPoolName")
        return [NodePool(f"AgentPool '{pool_name if isinstance(pool_name, str) else name}'", props)]
    if is_azure_native(resource_type, "containerservice", "ManagedCluster"):
        cluster_name = field(props, "resourceName")
        cluster = f"ManagedCluster '{cluster_name if isinstance(cluster_name, str) else name}'"
        pools = []
        for index, profile in enumerate(items(field(props, "agentPoolProfiles"))):
            profile_name = field(profile, "name")
            label = f"'{profile_name}'" if isinstance(profile_name, str) else f"#{index}"
            pools.append(NodePool(f"{cluster} agentPoolProfiles {label}", profile))
        return pools
    return []


def _count(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    floor = settings(args.get_config(), DEFAULTS)["minCountFloor"]
    for pool in node_pools(args.resource_type, args.props, args.name):
        enabled = field(pool.props, "enableAutoScaling")
        if enabled is not True:
            report_violation(f"{pool.label} enableAutoScaling ({describe(enabled)}) must be true.")
        min_count, max_count = field(pool.props, "minCount"), field(pool.props, "maxCount")
        if not _count(min_count):
            report_violation(f"{pool.label} minCount ({describe(min_count)}) must be set.")
        elif min_count < floor:
            report_violation(f"{pool.label} minCount ({describe(min_count)}) must be at least {floor}.")
        if not _count(max_count):
            report_violation(f"{pool.label} maxCount ({describe(max_count)}) must be set.")
        elif _count(min_count) and min_count > max_count:
            report_violation(f"{pool.label} minCount ({describe(min_count)}) must be at most "
                             f"maxCount ({describe(max_count)}).")


POLICY = ResourceValidationPolicy(
    name="aks-node-pool-autoscaling",
    description="AKS node pools must autoscale with minCount <= maxCount and minCount at least the floor.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=schema_with_defaults({
        "minCountFloor": {"type": "integer", "minimum": 0,
                          "description": "Smallest minCount allowed (2 in prod). Default: 1."},
    }, DEFAULTS)),
)

"""Every PodDisruptionBudget lets at least one healthy pod be evicted, alone and against the workloads it selects.

A budget that allows no eviction stops `kubectl drain`, and with it every AKS
node-image and Kubernetes upgrade, until someone deletes the budget by hand.
Judged alone (`pod_disruption_budget.budget_fault()` without a pod count):
`maxUnavailable: 0` or `0%`, and `minAvailable: 100%`, block whatever the
replicas. Judged against each Deployment, StatefulSet, ReplicaSet or
ReplicationController of the scan in the budget's namespace whose pod
template labels its selector matches (`selector_matches()`), at that
workload's `spec.replicas` (unset: 1): `minAvailable` at or above the count
blocks too (`minAvailable: 1` on one replica, `minAvailable: 2` on two).
Unknown at preview: a budget number unknown is reported; a budget whose
namespace or selector is unknown is judged alone. Deliberately left out:
workloads with a HorizontalPodAutoscaler (the count moves; the budget is judged
alone), `unhealthyPodEvictionPolicy` (about unhealthy pods, not healthy ones)
and budgets that keep no pod (`replicated-deployment-availability` asks for
one that keeps a pod on the Deployments that need it).
"""
from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from .kubernetes_resource import effective_namespace, kind_of, pod_template, scales, selector_matches, subject
from .pod_disruption_budget import budget_fault, is_number
from .resource_properties import UNKNOWN, describe, field

WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"})
DRAIN = "a node drain, and with it every AKS node upgrade, waits until the budget is deleted"


def _numbers(budget: Any) -> str:
    shown = [f"{name} {value if isinstance(value, str) else describe(value)}"
             for name in ("minAvailable", "maxUnavailable")
             if (value := field(budget.props, "spec", name)) is not None]
    return ", ".join(shown) or "neither minAvailable nor maxUnavailable (minAvailable 1)"


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    budgets, workloads, autoscalers = [], [], []
    for resource in args.resources:
        kind = kind_of(resource.resource_type)
        if kind == "PodDisruptionBudget" and kind_of(resource.resource_type, "policy"):
            budgets.append(resource)
        elif kind in WORKLOAD_KINDS and pod_template(resource.resource_type, resource.props) is not None:
            workloads.append(resource)
        elif kind == "HorizontalPodAutoscaler":
            autoscalers.append(resource)
    for budget in budgets:
        who = subject(budget.resource_type, budget.props, budget.name)
        minimum, maximum = (field(budget.props, "spec", name) for name in ("minAvailable", "maxUnavailable"))
        alone = budget_fault(minimum, maximum, None)
        if alone in ("blocks", UNKNOWN):
            report_violation(f"{who} ({'a number unknown at preview' if alone is UNKNOWN else _numbers(budget)}) "
                             f"must allow at least one eviction ({DRAIN}).", budget.urn)
            continue
        namespace, selector = effective_namespace(budget.props), field(budget.props, "spec", "selector")
        if namespace is UNKNOWN or selector is UNKNOWN:
            continue
        for workload in workloads:
            if effective_namespace(workload.props) != namespace:
                continue
            if any(scales(autoscaler.props, workload.resource_type, workload.props, workload.name) is not False
                   for autoscaler in autoscalers):
                continue
            labels, _ = pod_template(workload.resource_type, workload.props)
            if selector_matches(selector, field(labels, "labels")) is not True:
                continue
            replicas = field(workload.props, "spec", "replicas")
            count = 1 if replicas is None else replicas
            if not is_number(count):
                continue
            if budget_fault(minimum, maximum, int(count)) == "blocks":
                report_violation(f"{who} ({_numbers(budget)}) must allow at least one eviction of "
                                 f"{subject(workload.resource_type, workload.props, workload.name)}, which runs "
                                 f"{int(count)} replica(s) ({DRAIN}).", budget.urn)


POLICY = StackValidationPolicy(
    name="pod-disruption-budget-allows-eviction",
    description="Every PodDisruptionBudget must allow at least one eviction, alone and at its workloads' replicas.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

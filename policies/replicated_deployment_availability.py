"""A Deployment that is not a single writer stays available through node drains and rollouts.

A stateless service runs several pods so that losing one is not an outage,
but three settings decide whether that holds. (a) At least 2 replicas:
`spec.replicas`, or, when it is unset, the `minReplicas` (default 1) of a
HorizontalPodAutoscaler in the same namespace that targets the Deployment by
kind and name; an unset count without one is 1, and any HPA that scales it
must keep at least 2 too. (b) Exactly one PodDisruptionBudget in its
namespace selecting its pod template's labels (`selector_matches()`) that
allows at least one eviction, else every drain stalls, and keeps at least one
pod, else a drain empties the service; the eviction API refuses outright to
evict a pod that two budgets select. The budget's numbers are judged against
the replica floor of (a) (percentages rounded up, as the disruption
controller does); while that floor is below 2 or unknown, (a) reports it and
only a budget that blocks or empties the service whatever the count is
reported. (c) A RollingUpdate with `maxUnavailable: 0` (unset means 25%),
so a rollout starts a new pod before it stops an old one.

Single writers (`single_writer_claims()`, with `sharedClaimNames` meaning
what it means for `single-writer-deployment`) are left to the single-writer
rules, which require the opposite. Unknown values at preview count against
the Deployment, never for it: an unknown count, strategy or budget number is
reported "(unknown at preview)"; an HPA or budget whose target, namespace or
selector is unknown can neither satisfy a rule nor be shown harmless, so it
is named in the violation. Deliberately left out: `maxSurge` (the API server
rejects 0 beside `maxUnavailable: 0`), topology spread and preStop hooks
(the program sets them; their absence degrades, it does not break, a drain).
"""
from __future__ import annotations

from typing import Any, Optional

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from .kubernetes_resource import effective_namespace, kind_of, pod_template, scales, selector_matches, subject
from .pod_disruption_budget import budget_fault
from .resource_properties import UNKNOWN, describe, field
from .single_writer_deployment import CONFIG_SCHEMA, single_writer_claims

ONE_POD = "(one pod is an outage whenever its node drains)"
ROLLOUT = "(a rollout must start a new pod before it stops an old one)"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _names(resources: list[Any]) -> str:
    return ", ".join(subject(r.resource_type, r.props, r.name) for r in resources)


def _in_namespace(resources: list[tuple[Any, Any]], namespace: Any) -> list[Any]:
    """Of (namespace, resource) pairs, the resources that are, or may be (either namespace unknown), in `namespace`."""
    return [resource for own, resource in resources if namespace is UNKNOWN or own is UNKNOWN or own == namespace]


def _replica_floor(deployment: Any, autoscalers: list[Any], report_violation: ReportViolation) -> Optional[int]:
    """(a): reports what may leave fewer than 2 pods; returns the lowest count, once it is known to be at least 2."""
    who = subject(deployment.resource_type, deployment.props, deployment.name)
    replicas = field(deployment.props, "spec", "replicas")
    counts, established = [], True
    if replicas is not None:
        if _number(replicas) and replicas >= 2:
            counts.append(int(replicas))
        else:
            established = False
            report_violation(f"{who} spec.replicas ({describe(replicas)}) must be at least 2 {ONE_POD}.",
                             deployment.urn)
    scaling = []  # (autoscaler, whether its target is known to be this Deployment)
    for autoscaler in autoscalers:
        matched = scales(autoscaler.props, deployment.resource_type, deployment.props, deployment.name)
        if matched is not False:
            scaling.append((autoscaler, matched is True))
    if replicas is None and not any(known for _, known in scaling):
        established = False
        maybe = [autoscaler for autoscaler, _ in scaling]
        if maybe:
            shown = f"unset: 1 unless {_names(maybe)}, whose target is unknown at preview, scales it"
        else:
            shown = "unset: 1, and no HorizontalPodAutoscaler targets it"
        report_violation(f"{who} spec.replicas ({shown}) must be at least 2, or a HorizontalPodAutoscaler with "
                         f"minReplicas at least 2 must scale it {ONE_POD}.", deployment.urn)
    for autoscaler, known in scaling:
        minimum = field(autoscaler.props, "spec", "minReplicas")
        if _number(minimum) and minimum >= 2:
            counts.append(int(minimum))  # the lowest count it may scale to, even if it only may be the target
            continue
        established = False
        shown = "unset: 1" if minimum is None else describe(minimum)
        target = "" if known else ", which its target (unknown at preview) may be"
        report_violation(f"{subject(autoscaler.resource_type, autoscaler.props, autoscaler.name)} spec.minReplicas "
                         f"({shown}) must be at least 2 for {who}{target} {ONE_POD}.", autoscaler.urn)
    return min(counts) if established and counts else None


def _describe_budget(budget: Any) -> str:
    numbers = [(name, field(budget.props, "spec", name)) for name in ("minAvailable", "maxUnavailable")]
    shown = [f"{name} {value if isinstance(value, str) else describe(value)}"  # 1.0 on the wire reads 1
             for name, value in numbers if value is not None]
    if any(value is UNKNOWN for _, value in numbers):
        return "a budget unknown at preview"
    return ", ".join(shown) or "minAvailable 1 by default"


def _check_budgets(deployment: Any, budgets: list[Any], pods: Optional[int], report_violation: ReportViolation) -> None:
    """(b): exactly one budget selects the pods, and it allows an eviction while keeping a pod."""
    who = subject(deployment.resource_type, deployment.props, deployment.name)
    namespace = effective_namespace(deployment.props)
    labels = field(pod_template(deployment.resource_type, deployment.props)[0], "labels")
    selecting, maybe = [], []
    for budget in budgets:
        same_namespace = namespace is not UNKNOWN and effective_namespace(budget.props) == namespace
        matched = selector_matches(field(budget.props, "spec", "selector"), labels)
        if matched is True and same_namespace:
            selecting.append(budget)
        elif matched is not False:
            maybe.append(budget)
    if len(selecting) + len(maybe) > 1 and selecting:
        shown = _names(selecting) + (f", and maybe {_names(maybe)} (unknown at preview)" if maybe else "")
        report_violation(f"{who} must be selected by one PodDisruptionBudget, not several ({shown}): the eviction "
                         "API refuses to evict a pod that two budgets select.", deployment.urn)
        return
    if not selecting:
        where = "its namespace" if namespace is UNKNOWN else f"namespace '{namespace}'"
        why = (f"{_names(maybe)} may, but whether {'it does' if len(maybe) == 1 else 'they do'} is unknown at "
               "preview" if maybe else f"none in {where} selects its pods")
        report_violation(f"{who} must be selected by a PodDisruptionBudget that allows an eviction and keeps a pod "
                         f"running ({why}).", deployment.urn)
        return
    budget, = selecting
    fault = budget_fault(field(budget.props, "spec", "minAvailable"), field(budget.props, "spec", "maxUnavailable"),
                          pods)
    if fault is None:
        return
    named = f"{subject(budget.resource_type, budget.props, budget.name)} ({_describe_budget(budget)})"
    if fault == "blocks":
        message = f"{named} must allow evicting a pod of {who}: it would block every node drain."
    elif fault == "empties":
        message = f"{named} must keep a pod of {who} running: a node drain could evict every one."
    else:
        message = f"{named} must allow evicting a pod of {who} and keep another running."
    report_violation(message, budget.urn)


def _check_strategy(deployment: Any, report_violation: ReportViolation) -> None:
    """(c): RollingUpdate with maxUnavailable 0."""
    who = subject(deployment.resource_type, deployment.props, deployment.name)
    strategy = field(deployment.props, "spec", "strategy")
    strategy_type = field(strategy, "type")
    if strategy_type not in (None, "RollingUpdate"):
        report_violation(f"{who} spec.strategy.type ({describe(strategy_type)}) must be RollingUpdate with "
                         f"maxUnavailable 0 {ROLLOUT}.", deployment.urn)
        return
    max_unavailable = field(strategy, "rollingUpdate", "maxUnavailable")
    if (_number(max_unavailable) and max_unavailable == 0) or max_unavailable == "0%":
        return
    shown = "'25%' by default" if max_unavailable is None else describe(max_unavailable)
    report_violation(f"{who} spec.strategy.rollingUpdate.maxUnavailable ({shown}) must be 0 {ROLLOUT}.",
                     deployment.urn)


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    deployments, autoscalers, budgets = [], [], []
    for resource in args.resources:
        if kind_of(resource.resource_type, "apps") == "Deployment":
            if not single_writer_claims(resource.resource_type, resource.props, config):
                deployments.append(resource)
        elif kind_of(resource.resource_type, "autoscaling") == "HorizontalPodAutoscaler":
            autoscalers.append((effective_namespace(resource.props), resource))
        elif kind_of(resource.resource_type, "policy") == "PodDisruptionBudget":
            budgets.append((effective_namespace(resource.props), resource))
    for deployment in deployments:
        namespace = effective_namespace(deployment.props)
        pods = _replica_floor(deployment, _in_namespace(autoscalers, namespace), report_violation)
        _check_budgets(deployment, _in_namespace(budgets, namespace), pods, report_violation)
        _check_strategy(deployment, report_violation)


POLICY = StackValidationPolicy(
    name="replicated-deployment-availability",
    description="A Deployment that is not a single writer must run at least 2 replicas under one "
                "PodDisruptionBudget that allows an eviction, and roll with maxUnavailable 0.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG_SCHEMA,
)

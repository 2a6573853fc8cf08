"""No PodDisruptionBudget blocks draining the one pod of a single-writer Deployment.

With one replica, `minAvailable: 1` (or any non-zero minimum, or
`maxUnavailable: 0`) means the pod may never be evicted, so every node drain,
AKS upgrade and autoscaler scale-down stalls on it. A single writer accepts the
short outage of a restart instead. A budget selects the Deployment when it is
in the same namespace and its selector matches the pod template's labels; a
budget whose selector or numbers are unknown at preview but that could select
it is reported (it cannot be shown harmless). `sharedClaimNames` means what it
means for `single-writer-deployment`.
"""
from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from .kubernetes_resource import effective_namespace, kind_of, pod_template, selector_matches, subject
from .no_autoscaler_on_single_writer import single_writers
from .resource_properties import UNKNOWN, describe, field
from .single_writer_deployment import CONFIG_SCHEMA, describe_claims


def _blocks(value: Any, blocking_when_zero: bool) -> Any:
    """Whether minAvailable (blocking when non-zero) or maxUnavailable (blocking when zero) blocks one replica."""
    if value is None:
        return False
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, str) and value.endswith("%"):
        try:
            number = float(value[:-1])
        except ValueError:
            return UNKNOWN
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        return UNKNOWN
    return (number == 0) if blocking_when_zero else (number > 0)


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    writers = single_writers(args)
    for resource in args.resources:
        if kind_of(resource.resource_type, "policy") != "PodDisruptionBudget":
            continue
        namespace = effective_namespace(resource.props)
        min_available = field(resource.props, "spec", "minAvailable")
        max_unavailable = field(resource.props, "spec", "maxUnavailable")
        if min_available is None and max_unavailable is None:
            min_available = 1  # the API server's default for a budget that sets neither
        blocks = [_blocks(min_available, False), _blocks(max_unavailable, True)]
        if True in blocks:
            name, value = ("minAvailable", min_available) if blocks[0] is True else ("maxUnavailable", max_unavailable)
            budget = f"{name} {value if isinstance(value, str) else describe(value)}"  # 1.0 on the wire reads 1
        elif UNKNOWN in blocks:
            budget = "a budget unknown at preview"
        else:
            continue
        for (writer_namespace, _), (deployment, claims) in sorted(writers.items(), key=lambda item: item[0]):
            if namespace is not UNKNOWN and namespace != writer_namespace:
                continue
            labels = field(pod_template(deployment.resource_type, deployment.props)[0], "labels")
            if selector_matches(field(resource.props, "spec", "selector"), labels) is False:
                continue
            report_violation(
                f"{subject(resource.resource_type, resource.props, resource.name)} ({budget}) must not select "
                f"single-writer {subject(deployment.resource_type, deployment.props, deployment.name)} "
                f"(one replica, claim {describe_claims(claims)}): it would block every node drain.", resource.urn)


POLICY = StackValidationPolicy(
    name="no-disruption-budget-on-single-writer",
    description="No PodDisruptionBudget may keep the single replica of a single-writer Deployment from being evicted.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG_SCHEMA,
)

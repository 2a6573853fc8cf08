"""Every app container of a replicated workload has a readiness probe.

With several replicas behind a Service, readiness is what keeps traffic off a
pod that is starting, stuck or draining, and what a rolling update waits for:
without it a pod counts as available the moment its processes start, so
`maxUnavailable: 0` guarantees nothing. A workload is replicated when it is a
Deployment, StatefulSet, ReplicaSet or ReplicationController with
`spec.replicas` of 2 or more (or unknown at preview), or one that a
HorizontalPodAutoscaler of the stack targets (`kubernetes_resource.scales()`)
with `maxReplicas` of 2 or more. Each container in `spec.containers` needs a
`readinessProbe` with a handler (`httpGet`, `tcpSocket`, `exec` or `grpc`).
Deliberately left out: single-replica workloads (a single writer has nothing
to fail over to, `single-writer-liveness-probe` restarts it instead), DaemonSets
(one pod per node, no Service choice between replicas on the node), init
containers and native sidecars (not what a Service routes to), and a probe's
numbers (its period and thresholds are the service's own tuning).
"""
from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from .kubernetes_resource import kind_of, pod_template, scales, subject
from .pod_disruption_budget import is_number
from .resource_properties import UNKNOWN, describe, field, items

REPLICATED_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"})
PROBE_HANDLERS = ("httpGet", "tcpSocket", "exec", "grpc")


def _replicas_shown(resource: Any, autoscalers: list[Any]) -> Any:
    """How the message states the workload's replicas; None when it is not replicated."""
    replicas = field(resource.props, "spec", "replicas")
    if replicas is UNKNOWN:
        return "replicas unknown at preview"
    if is_number(replicas) and replicas >= 2:
        return f"{describe(replicas)} replicas"
    for autoscaler in autoscalers:
        maximum = field(autoscaler.props, "spec", "maxReplicas")
        if scales(autoscaler.props, resource.resource_type, resource.props, resource.name) is True and \
                (maximum is UNKNOWN or (is_number(maximum) and maximum >= 2)):
            return f"up to {describe(maximum)} replicas by " \
                   f"{subject(autoscaler.resource_type, autoscaler.props, autoscaler.name)}"
    return None


def _has_readiness_probe(container: Any) -> Any:
    probe = field(container, "readinessProbe")
    if probe is UNKNOWN:
        return UNKNOWN
    return probe is not None and any(field(probe, handler) is not None for handler in PROBE_HANDLERS)


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    autoscalers = [resource for resource in args.resources
                   if kind_of(resource.resource_type, "autoscaling") == "HorizontalPodAutoscaler"]
    for resource in args.resources:
        if kind_of(resource.resource_type, "core", "apps") not in REPLICATED_KINDS:
            continue
        template = pod_template(resource.resource_type, resource.props)
        if template is None:
            continue
        replicas = _replicas_shown(resource, autoscalers)
        if replicas is None:
            continue
        who = subject(resource.resource_type, resource.props, resource.name)
        containers = field(template[1], "containers")
        entries = [UNKNOWN] if containers is UNKNOWN else list(items(containers))
        for index, container in enumerate(entries):
            name = field(container, "name")
            label = f"container '{name}'" if isinstance(name, str) else f"containers[{index}]"
            found = _has_readiness_probe(container)
            if found is not True:
                shown = "unknown at preview" if found is UNKNOWN else "unset"
                report_violation(f"{who} {label} readinessProbe ({shown}) must be set with a handler ({replicas}: "
                                 "without it a pod takes traffic and counts as available before it can serve).",
                                 resource.urn)


POLICY = StackValidationPolicy(
    name="replicated-workload-readiness-probe",
    description="Every app container of a workload with two or more replicas must have a readiness probe.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

"""Every container requests CPU and memory and has a memory limit.

Requests are what the scheduler and the node-pool headroom check count; a
memory limit keeps one leaking pod from evicting its neighbours. A CPU limit
is deliberately not required: it throttles a single-writer service that could
use idle CPU, and requests already guarantee its share. Ephemeral containers
are skipped (Kubernetes forbids resources on them).
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from platform_facts.kubernetes_quantity import parse_quantity
from .kubernetes_resource import containers, pod_template, subject
from .resource_properties import UNKNOWN, describe, field

REQUIRED = (("requests", "cpu"), ("requests", "memory"), ("limits", "memory"))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    _, pod_spec = template
    who = subject(args.resource_type, args.props, args.name)
    for container in containers(pod_spec, include_ephemeral=False):
        values = {}
        for section, resource in REQUIRED:
            value = field(container.value, "resources", section, resource)
            values[(section, resource)] = value
            if value is UNKNOWN or parse_quantity(value) is None:
                report_violation(f"{who} {container.label} resources.{section}.{resource} ({describe(value)}) "
                                 "must be set to a quantity such as 100m or 256Mi.")
        request = parse_quantity(values[("requests", "memory")])
        limit = parse_quantity(values[("limits", "memory")])
        if request is not None and limit is not None and limit < request:
            report_violation(f"{who} {container.label} resources.limits.memory ({describe(values[('limits', 'memory')])}) "
                             f"must be at least resources.requests.memory ({describe(values[('requests', 'memory')])}).")


POLICY = ResourceValidationPolicy(
    name="container-resources",
    description="Containers must request CPU and memory and set a memory limit.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

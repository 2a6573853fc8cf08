"""Every container runs with a read-only root filesystem.

A writable image filesystem is where an attacker drops tools and where an
application hides state that disappears on restart; data belongs on the claim
and scratch space on an emptyDir. Ephemeral (debug) containers are exempt: they
exist to poke around. Deliberately left out: checking that /tmp is mounted.
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .kubernetes_resource import containers, pod_template, subject
from .resource_properties import describe, field


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    _, pod_spec = template
    who = subject(args.resource_type, args.props, args.name)
    for container in containers(pod_spec, include_ephemeral=False):
        value = field(container.value, "securityContext", "readOnlyRootFilesystem")
        if value is not True:
            report_violation(f"{who} {container.label} securityContext.readOnlyRootFilesystem "
                             f"({describe(value)}) must be true.")


POLICY = ResourceValidationPolicy(
    name="read-only-root-filesystem",
    description="Containers must run with a read-only root filesystem.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

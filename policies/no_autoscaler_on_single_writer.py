"""No HorizontalPodAutoscaler scales a single-writer Deployment.

An HPA overrides `replicas`, so the second pod it adds either waits forever
for the ReadWriteOnce volume or opens the same SQLite file. A stack rule,
because the HPA and its target are two resources. The target is matched by
namespace, kind and name; an HPA whose target is unknown at preview cannot be
matched and passes (its target is nearly always a Deployment's name output).
`sharedClaimNames` means what it means for `single-writer-deployment`.
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from .kubernetes_resource import effective_namespace, kind_of, object_name, subject
from .resource_properties import field
from .single_writer_deployment import CONFIG_SCHEMA, describe_claims, single_writer_claims


def single_writers(args: StackValidationArgs) -> dict[tuple, tuple]:
    """(namespace, name) -> (resource, claims) for every single-writer Deployment of the stack."""
    found = {}
    for resource in args.resources:
        claims = single_writer_claims(resource.resource_type, resource.props, args.get_config())
        if claims:
            key = (effective_namespace(resource.props), object_name(resource.props, resource.name))
            found[key] = (resource, claims)
    return found


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    writers = single_writers(args)
    for resource in args.resources:
        if kind_of(resource.resource_type, "autoscaling") != "HorizontalPodAutoscaler":
            continue
        target = field(resource.props, "spec", "scaleTargetRef")
        if field(target, "kind") != "Deployment":
            continue
        key = (effective_namespace(resource.props), field(target, "name"))
        if key in writers:
            deployment, claims = writers[key]
            report_violation(
                f"{subject(resource.resource_type, resource.props, resource.name)} must not target single-writer "
                f"{subject(deployment.resource_type, deployment.props, deployment.name)} "
                f"(it mounts claim {describe_claims(claims)} and must stay at 1 replica).", resource.urn)


POLICY = StackValidationPolicy(
    name="no-autoscaler-on-single-writer",
    description="No HorizontalPodAutoscaler may target a Deployment that mounts a ReadWriteOnce claim.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG_SCHEMA,
)

"""Every rollout-restart target of a VaultStaticSecret exists, and restarts without overlap.

VSO restarts the targets when the secret rotates. A target that does not
exist (a typo, a renamed service) means the rotation never reaches the pod;
it must be a Deployment of the same namespace in this stack, matched by
metadata.name. That Deployment must use Recreate: a rollout restart of a
RollingUpdate Deployment starts the new pod before the old one stops, two
writers on one volume. A target unknown at preview is reported.
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from .kubernetes_resource import effective_namespace, kind_of, object_name, subject
from .resource_properties import UNKNOWN, describe, field, items
from .vault_static_secret_refresh import VSO_GROUP


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    deployments = {}
    for resource in args.resources:
        if kind_of(resource.resource_type, "apps") == "Deployment":
            key = (effective_namespace(resource.props), object_name(resource.props, resource.name))
            deployments[key] = resource
    for resource in args.resources:
        if kind_of(resource.resource_type, VSO_GROUP) != "VaultStaticSecret":
            continue
        who = subject(resource.resource_type, resource.props, resource.name)
        namespace = effective_namespace(resource.props)
        for index, target in enumerate(items(field(resource.props, "spec", "rolloutRestartTargets"))):
            kind, name = field(target, "kind"), field(target, "name")
            path = f"{who} spec.rolloutRestartTargets[{index}]"
            if UNKNOWN in (target, kind, name, namespace):
                report_violation(f"{path} (kind {describe(kind)}, name {describe(name)}) must be known at preview.",
                                 resource.urn)
            elif kind != "Deployment":
                report_violation(f"{path} kind ({describe(kind)}) must be Deployment.", resource.urn)
            elif (namespace, name) not in deployments:
                report_violation(f"{path} Deployment '{namespace}/{name}' must exist in this stack.", resource.urn)
            else:
                deployment = deployments[(namespace, name)]
                strategy = field(deployment.props, "spec", "strategy", "type")
                if strategy != "Recreate":
                    shown = "'RollingUpdate' by default" if strategy is None else describe(strategy)
                    report_violation(f"{path} {subject(deployment.resource_type, deployment.props, deployment.name)} "
                                     f"spec.strategy.type ({shown}) must be Recreate.", resource.urn)


POLICY = StackValidationPolicy(
    name="vault-static-secret-rollout-targets",
    description="VaultStaticSecret rollout-restart targets must be Deployments of the stack using Recreate.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

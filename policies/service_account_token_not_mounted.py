"""Pods mount no service-account token unless they use Azure Workload Identity.

No workload here talks to the Kubernetes API, so a mounted token is only
something to steal. The exception is a pod labelled for Workload Identity
(`azure.workload.identity/use: "true"`), whose projected token is how it signs
in to Azure (External Secrets, Key Vault). The pod-level field is required
because it overrides whatever the ServiceAccount says.
"""
from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .kubernetes_resource import pod_template, subject
from .resource_properties import describe, field, schema_with_defaults, settings

DEFAULTS = {"identityPodLabels": {"azure.workload.identity/use": "true"}}


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    pod_metadata, pod_spec = template
    identity_labels = settings(args.get_config(), DEFAULTS)["identityPodLabels"]
    # An unknown label value cannot prove the exemption, so it does not grant it.
    if identity_labels and all(field(pod_metadata, "labels", key) == value for key, value in identity_labels.items()):
        return
    value = field(pod_spec, "automountServiceAccountToken")
    if value is not False:
        wanted = ", ".join(f'{key}: "{value}"' for key, value in sorted(identity_labels.items()))
        report_violation(f"{subject(args.resource_type, args.props, args.name)} pod spec automountServiceAccountToken "
                         f"({describe(value)}) must be false (only pods labelled {wanted} may mount a token).")


POLICY = ResourceValidationPolicy(
    name="service-account-token-not-mounted",
    description="Pods must not mount a service-account token unless they use Azure Workload Identity.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=schema_with_defaults({
        "identityPodLabels": {
            "type": "object", "additionalProperties": {"type": "string"},
            "description": "Pod labels (all must match) that mark an identity-bound pod allowed a token. "
                           "Default: azure.workload.identity/use: \"true\".",
        },
    }, DEFAULTS)),
)

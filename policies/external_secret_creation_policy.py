"""An ExternalSecret owns the Secret it writes (`target.creationPolicy: Owner`).

With Owner the Secret carries an owner reference: it is garbage-collected with
the ExternalSecret and cannot be claimed by two of them. Merge writes into a
Secret someone else manages, None leaves no trace of who wrote it. Unset is
fine: Owner is ESO's default.
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .external_secret_api_version import ESO_GROUP
from .kubernetes_resource import kind_of, subject
from .resource_properties import describe, field


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type, ESO_GROUP) != "ExternalSecret":
        return
    creation_policy = field(args.props, "spec", "target", "creationPolicy")
    if creation_policy is not None and creation_policy != "Owner":
        report_violation(f"{subject(args.resource_type, args.props, args.name)} spec.target.creationPolicy "
                         f"({describe(creation_policy)}) must be Owner.")


POLICY = ResourceValidationPolicy(
    name="external-secret-creation-policy",
    description="ExternalSecrets must own their target Secret (creationPolicy Owner).",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

"""Every PersistentVolumeClaim is `protect`ed, so no Pulumi operation can delete its data.

A claim's access mode and StorageClass are immutable: a config change there
makes Pulumi replace the claim, which deletes the volume (the Sol database).
With `protect` the preview stops instead. A stack rule reading the resource
options the engine passes (`PolicyResource.opts.protect`). `retain_on_delete`
is not among the options the engine passes to policies, so it is checked by
the program's tests, not here. Not applicable to plain YAML, which has no
resource options (`stackctl policy --manifests` disables this rule).
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from .kubernetes_resource import kind_of, subject


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for resource in args.resources:
        if kind_of(resource.resource_type, "core") != "PersistentVolumeClaim":
            continue
        if not resource.opts.protect:
            report_violation(f"{subject(resource.resource_type, resource.props, resource.name)} must be protected "
                             "(ResourceOptions(protect=True)) so that no update or destroy deletes its volume.",
                             resource.urn)


POLICY = StackValidationPolicy(
    name="persistent-volume-claim-protected",
    description="PersistentVolumeClaims must be registered with protect=True.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

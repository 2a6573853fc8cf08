"""A single writer's claim names a StorageClass that retains its volume.

`protect` stops Pulumi from deleting a claim, but the disk follows the claim's
StorageClass: with `reclaimPolicy: Delete` (AKS's default classes,
`managed-csi` included) a `kubectl delete pvc`, or deleting the namespace,
deletes the Azure disk and the writer's only copy of its data with it. So each
claim a single writer mounts (`single_writer_deployment.single_writer_claims()`,
with `sharedClaimNames`) must name a class that retains: a
`storage.k8s.io/v1 StorageClass` of the stack with `reclaimPolicy: Retain`,
or, for a class the stack does not create, one listed in
`retainingStorageClasses` (default none). A class the stack creates is judged
by its own `reclaimPolicy` (unset is Delete), whatever the list says. An unset
`storageClassName` is the cluster default (Delete on AKS) and is refused; so
is `""` (no class: the pre-bound volume's policy is not in the stack).

`persistent-volume-claim-storage-class` still lets any claim leave the class
unset; this rule is what refuses that for single writers. A claim the stack
does not register (created by hand or by another stack) is outside what the
pack sees and is not checked. A writer whose claim name or namespace is
unknown at preview is reported, since no claim can be shown to be the one it
mounts; an unknown class or reclaim policy is reported too.
"""
from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from .kubernetes_resource import effective_namespace, kind_of, object_name, subject
from .no_autoscaler_on_single_writer import single_writers
from .resource_properties import UNKNOWN, describe, field, schema_with_defaults, settings
from .single_writer_deployment import CONFIG_SCHEMA as SINGLE_WRITER_SCHEMA

DEFAULTS = {"retainingStorageClasses": []}
CONFIG_SCHEMA = PolicyConfigSchema(properties={
    **SINGLE_WRITER_SCHEMA.properties,
    **schema_with_defaults({
        "retainingStorageClasses": {"type": "array", "items": {"type": "string"},
                                    "description": "StorageClasses the stack does not create that are known to "
                                                   "have reclaimPolicy Retain. Default: none."},
    }, DEFAULTS),
})
RETAIN = "must name a StorageClass with reclaimPolicy Retain"


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    listed = set(settings(args.get_config(), DEFAULTS)["retainingStorageClasses"])
    classes = {object_name(resource.props, resource.name): resource for resource in args.resources
               if kind_of(resource.resource_type, "storage.k8s.io") == "StorageClass"}
    claims = {(effective_namespace(resource.props), object_name(resource.props, resource.name)): resource
              for resource in args.resources if kind_of(resource.resource_type, "core") == "PersistentVolumeClaim"}
    mounted_by: dict[tuple, list] = {}
    for (namespace, _), (deployment, names) in sorted(single_writers(args).items(), key=lambda item: str(item[0])):
        writer = subject(deployment.resource_type, deployment.props, deployment.name)
        for name in names:
            if name == "<unknown>" or namespace is UNKNOWN:
                report_violation(f"{writer} claim '{name}' must be known at preview so that its StorageClass can be "
                                 "shown to retain (its name or namespace is unknown).", deployment.urn)
            elif (namespace, name) in claims:
                mounted_by.setdefault((namespace, name), []).append(writer)

    for key, writers in sorted(mounted_by.items(), key=lambda item: str(item[0])):
        claim = claims[key]
        storage_class = field(claim.props, "spec", "storageClassName")
        if storage_class is None:
            shown = "unset: the cluster default, reclaimPolicy Delete on AKS"
        elif storage_class is UNKNOWN or storage_class == "":
            shown = describe(storage_class)
        elif storage_class in classes:
            policy = field(classes[storage_class].props, "reclaimPolicy")
            if policy == "Retain":
                continue
            shown = (f"'{storage_class}', whose reclaimPolicy is "
                     f"{'unset (Delete)' if policy is None else describe(policy)}")
        elif storage_class in listed:
            continue
        else:
            shown = f"'{storage_class}', neither a StorageClass of the stack nor in retainingStorageClasses"
        report_violation(
            f"{subject(claim.resource_type, claim.props, claim.name)} spec.storageClassName ({shown}) {RETAIN} "
            f"because single-writer {', '.join(writers)} keeps its only data there.", claim.urn)


POLICY = StackValidationPolicy(
    name="persistent-volume-claim-retained",
    description="A claim mounted by a single-writer Deployment must use a StorageClass with reclaimPolicy Retain.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG_SCHEMA,
)

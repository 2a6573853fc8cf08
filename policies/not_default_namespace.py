"""No namespaced object lands in the `default` namespace.

`default` has no Pod Security label, no quota and no owner; an object there
usually means a forgotten `metadata.namespace`, which Pulumi fills with the
provider's namespace. Kinds without a namespace are skipped; a CRD kind that is
cluster-scoped but unknown to this pack goes into `clusterScopedKinds`.
An unknown namespace passes: it is nearly always a Namespace resource's output,
unknown on the first preview, and cannot be `default` then.
"""
from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .kubernetes_resource import CLUSTER_SCOPED_KINDS, kubernetes_type, object_namespace, subject
from .resource_properties import UNKNOWN, describe, schema_with_defaults, settings

DEFAULTS = {"clusterScopedKinds": []}


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    parsed = kubernetes_type(args.resource_type)
    if parsed is None:
        return
    extra = set(settings(args.get_config(), DEFAULTS)["clusterScopedKinds"])
    if parsed.kind in CLUSTER_SCOPED_KINDS or parsed.kind in extra:
        return
    namespace = object_namespace(args.props)
    if namespace is UNKNOWN:
        return
    if namespace in (None, "", "default"):
        report_violation(f"{subject(args.resource_type, args.props, args.name)} metadata.namespace "
                         f"({describe(namespace)}) must name a namespace other than default.")


POLICY = ResourceValidationPolicy(
    name="not-default-namespace",
    description="Namespaced objects must not be created in the default namespace.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=schema_with_defaults({
        "clusterScopedKinds": {"type": "array", "items": {"type": "string"},
                               "description": "Extra cluster-scoped kinds (CRDs) to skip. Default: none."},
    }, DEFAULTS)),
)

"""No stack owns a namespace the cluster owns: no Namespace object for it, no NetworkPolicy in it.

A stack's Namespace object carries the `restricted` Pod Security label, and
its NetworkPolicies a default deny. In `kube-system` that cuts CoreDNS off
from every pod and stops system pods from being replaced; the namespaces of
the ingress data planes and the DNS are the platform's, not a stack's. The
fixed list is shared with the program (`platform_facts/cluster_owned_namespaces.py`);
`platformNamespaces` adds the platform's own (the program reads them from
its `network` config). An unknown name or namespace passes: it is a
Namespace resource's output, unknown on the first preview.
"""
from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from platform_facts.cluster_owned_namespaces import CLUSTER_OWNED_NAMESPACES

from .kubernetes_resource import kubernetes_type, object_namespace, subject
from .resource_properties import field, schema_with_defaults, settings

DEFAULTS = {"platformNamespaces": ["ingress-nginx", "envoy-gateway-system"]}


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    parsed = kubernetes_type(args.resource_type)
    if parsed is None or parsed.kind not in ("Namespace", "NetworkPolicy"):
        return
    owned = set(CLUSTER_OWNED_NAMESPACES) | set(settings(args.get_config(), DEFAULTS)["platformNamespaces"])
    if parsed.kind == "Namespace":
        name = field(args.props, "metadata", "name")
        if isinstance(name, str) and name in owned:
            report_violation(f"{subject(args.resource_type, args.props, args.name)} must not be created or owned "
                             f"by a stack: the cluster owns {name!r} (deploy into a namespace of your own).")
        return
    namespace = object_namespace(args.props)
    if isinstance(namespace, str) and namespace in owned:
        report_violation(f"{subject(args.resource_type, args.props, args.name)} must not isolate pods in "
                         f"{namespace!r}: the cluster owns that namespace and its pods.")


POLICY = ResourceValidationPolicy(
    name="not-cluster-owned-namespace",
    description="No Namespace object or NetworkPolicy for a namespace the cluster owns.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=schema_with_defaults({
        "platformNamespaces": {"type": "array", "items": {"type": "string"},
                               "description": "The platform's own namespaces (DNS, ingress data planes), "
                                              "beside kube-system, kube-public, kube-node-lease and default. "
                                              "Default: ingress-nginx, envoy-gateway-system."},
    }, DEFAULTS)),
)

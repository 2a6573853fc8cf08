"""Services stay inside the cluster: type ClusterIP, no external IPs, unless allowed by name.

A `NodePort` Service opens its port on every node, and a `LoadBalancer` one
also asks Azure for a public address; NetworkPolicies do not see node ports
(kube-proxy forwards them before any pod policy applies), so either would
bypass the namespaces' default-deny and the routes' TLS. Traffic from outside
enters through the ingress controller or the Gateway; a Service that must be
reachable from outside (such a controller's own LoadBalancer, should a stack
install one) is listed in `allowedExposedServices` (`namespace/name`, default
none).

`ExternalName` is refused too, although it opens no port: it is a DNS alias an
Ingress or HTTPRoute backend can name, and the ingress controller then proxies
to whatever host or other namespace's Service the alias names
(CVE-2021-25740), a flow no NetworkPolicy of the stack describes. A ClusterIP
Service with `spec.externalIPs` is exposed the same way as a NodePort (and
lets its author capture traffic to those IPs cluster-wide, CVE-2020-8554), so
it needs the same allowance. An unset type is ClusterIP; an unknown one is
reported. The allow list is matched on the Service's namespace and name; a
Service whose namespace is unknown at preview cannot be matched and is reported.
"""
from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .kubernetes_resource import effective_namespace, kind_of, object_name, subject
from .resource_properties import UNKNOWN, describe, field, items, schema_with_defaults, settings

DEFAULTS = {"allowedExposedServices": []}


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type, "core") != "Service":
        return
    namespace = effective_namespace(args.props)
    identity = f"{'<unknown>' if namespace is UNKNOWN else namespace}/{object_name(args.props, args.name)}"
    if namespace is not UNKNOWN and identity in settings(args.get_config(), DEFAULTS)["allowedExposedServices"]:
        return
    who = subject(args.resource_type, args.props, args.name)
    unless = f"(or list '{identity}' in allowedExposedServices)"
    service_type = field(args.props, "spec", "type")
    if service_type not in (None, "ClusterIP"):
        report_violation(f"{who} spec.type ({describe(service_type)}) must be ClusterIP {unless}.")
    external_ips = field(args.props, "spec", "externalIPs")
    if external_ips is UNKNOWN or list(items(external_ips)):
        report_violation(f"{who} spec.externalIPs ({describe(external_ips)}) must be unset {unless}.")


POLICY = ResourceValidationPolicy(
    name="service-type-cluster-ip",
    description="Services must be ClusterIP without external IPs unless allowed by name.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=schema_with_defaults({
        "allowedExposedServices": {"type": "array", "items": {"type": "string"},
                                   "description": "Services ('namespace/name') that may be NodePort, LoadBalancer "
                                                  "or ExternalName, or carry externalIPs. Default: none."},
    }, DEFAULTS)),
)

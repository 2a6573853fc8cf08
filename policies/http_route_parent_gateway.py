"""Every HTTPRoute attaches to a Gateway of the stack, through a listener that serves one of its hostnames.

A route is only served once a Gateway accepts it: without a parent, or with
parents that do not exist, it sits in the cluster routing nothing, and a
typo in a `sectionName` or a hostname that no listener serves does the same
silently (only the route's status says so). A route passes when at least one
of its `spec.parentRefs` resolves the way the Gateway API resolves it:
- `group` defaults to `gateway.networking.k8s.io` and `kind` to `Gateway`;
  a parent of another kind (a mesh Service) does not count;
- `namespace` defaults to the route's own namespace; the Gateway must be
  registered in the same stack under that namespace and `metadata.name`;
- with a `sectionName`, the Gateway must have a listener of that name whose
  `hostname` is unset, or intersects one of the route's `spec.hostnames`
  (`*.` wildcards as the API matches them); a route without hostnames takes
  the listener's.
When none resolves, each parent is reported with its reason.

Deliberately left out: a listener's `allowedRoutes` (it selects namespaces
by labels the stack may not hold), `port`, the route's rules, and other route
kinds (GRPCRoute, TLSRoute). Names and namespaces only relate resources, but
an unknown one cannot be shown to resolve, so such a parent is reported.
"""
from __future__ import annotations

from typing import Any, Optional

from pulumi_policy import EnforcementLevel, PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy

from .kubernetes_resource import effective_namespace, kind_of, subject
from .resource_properties import UNKNOWN, describe, field, items

GATEWAY_GROUP = "gateway.networking.k8s.io"
NOT_IN_STACK = "must name a Gateway of the stack."


def _suffix_match(wildcard: str, host: str) -> bool:
    # `*.example.org` matches `a.example.org` and `a.b.example.org`, never `example.org`.
    return wildcard.startswith("*.") and host.endswith(wildcard[1:]) and len(host) > len(wildcard) - 1


def hostnames_intersect(listener_hostname: Any, route_hostname: Any) -> bool:
    """Whether a listener's hostname and a route's hostname can match one request host."""
    if not isinstance(listener_hostname, str) or not isinstance(route_hostname, str):
        return False
    return (listener_hostname == route_hostname or _suffix_match(listener_hostname, route_hostname)
            or _suffix_match(route_hostname, listener_hostname))


def _gateways(resources: list[PolicyResource]) -> dict[tuple[str, str], PolicyResource]:
    """The stack's Gateways by namespace and metadata.name (an unknown or generated name cannot be referenced)."""
    found = {}
    for resource in resources:
        if kind_of(resource.resource_type, GATEWAY_GROUP) != "Gateway":
            continue
        namespace, name = effective_namespace(resource.props), field(resource.props, "metadata", "name")
        if isinstance(namespace, str) and isinstance(name, str) and name:
            found[(namespace, name)] = resource
    return found


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else "<unknown>"


def _listener_problem(gateway: PolicyResource, section: str, route_hostnames: Any) -> Optional[str]:
    """Why a Gateway's listener `section` does not take the route, or None if it does."""
    listeners = field(gateway.props, "spec", "listeners")
    candidates = list(items(listeners))
    listener = next((entry for entry in candidates if field(entry, "name") == section), None)
    if listener is None:
        unknown = any(entry is UNKNOWN or field(entry, "name") is UNKNOWN for entry in candidates)
        return "must name a listener of that Gateway" + (" (its listeners are unknown at preview)." if unknown else ".")
    hostname = field(listener, "hostname")
    wanted = list(items(route_hostnames))
    if hostname is None or (route_hostnames is not UNKNOWN and not wanted):
        return None
    if any(hostnames_intersect(hostname, route_hostname) for route_hostname in wanted):
        return None
    return (f"must name a listener whose hostname ({describe(hostname)}) matches one of spec.hostnames "
            f"({describe(route_hostnames)}).")


def _parent_problem(ref: Any, route_namespace: Any, route_hostnames: Any,
                    gateways: dict[tuple[str, str], PolicyResource]) -> Optional[str]:
    """Why one parentRef does not attach the route to a Gateway of the stack (text after the ref), or None."""
    if ref is UNKNOWN:
        return f"(unknown at preview) {NOT_IN_STACK}"
    group, kind, name = field(ref, "group"), field(ref, "kind"), field(ref, "name")
    namespace, section = field(ref, "namespace"), field(ref, "sectionName")
    group = GATEWAY_GROUP if group is None else group
    kind = "Gateway" if kind is None else kind
    namespace = route_namespace if namespace is None else namespace
    # `Gateway 'edge/platform'`, `Service 'forge/forge'` (a mesh parent, core group), `Gateway.example.org '...'`.
    kind_shown = _shown(kind) if group in (GATEWAY_GROUP, "", UNKNOWN) else f"{_shown(kind)}.{group}"
    label = f"{kind_shown} '{_shown(namespace)}/{_shown(name)}'"
    if section is not None:
        label += f" sectionName {describe(section)}"
    if UNKNOWN in (group, kind, namespace, name):
        return f"({label}, unknown at preview) {NOT_IN_STACK}"
    gateway = gateways.get((namespace, name)) if (group, kind) == (GATEWAY_GROUP, "Gateway") else None
    if gateway is None:
        return f"({label}) {NOT_IN_STACK}"
    if section is None:
        return None
    if section is UNKNOWN:
        return f"({label}) must name a listener of that Gateway."
    problem = _listener_problem(gateway, section, route_hostnames)
    return None if problem is None else f"({label}) {problem}"


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    gateways = _gateways(args.resources)
    for resource in args.resources:
        if kind_of(resource.resource_type, GATEWAY_GROUP) != "HTTPRoute":
            continue
        who = subject(resource.resource_type, resource.props, resource.name)
        refs = field(resource.props, "spec", "parentRefs")
        entries = list(items(refs))
        if refs is UNKNOWN or not entries:
            report_violation(f"{who} spec.parentRefs ({describe(refs)}) {NOT_IN_STACK}", resource.urn)
            continue
        namespace = effective_namespace(resource.props)
        hostnames = field(resource.props, "spec", "hostnames")
        problems = [_parent_problem(ref, namespace, hostnames, gateways) for ref in entries]
        if None in problems:
            continue
        for index, problem in enumerate(problems):
            report_violation(f"{who} spec.parentRefs[{index}] {problem}", resource.urn)


POLICY = StackValidationPolicy(
    name="http-route-parent-gateway",
    description="HTTPRoutes must attach to a Gateway of the stack, through a listener serving one of their hostnames.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

"""Every Ingress and HTTPRoute backend names a Service of the scan, on a port that Service has.

A route to a missing Service, or to a port it does not expose, answers 503
for its whole path (ingress-nginx) or is marked `ResolvedRefs: False`
(Gateway API) after a successful apply. Checked: each Ingress
`spec.defaultBackend` and `spec.rules[].http.paths[].backend.service`
(name, and `port.number` or `port.name` against the Service's `spec.ports`),
in the Ingress's namespace; each HTTPRoute `spec.rules[].backendRefs[]` of
kind `Service` (the default) in the core group, in `namespace` or the
route's, its `port` against the Service's ports. Unknown at preview: a
backend or Service whose name, namespace or ports are unknown cannot be shown
missing and passes. Deliberately left out: `resource` backends and backendRefs
of other kinds (custom resources the scan cannot resolve), and whether a
ReferenceGrant allows a cross-namespace backendRef (the Gateway API
implementation reports that itself, `RefNotPermitted`).
"""
from __future__ import annotations

from typing import Any, Iterator, Optional

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from .kubernetes_resource import effective_namespace, kind_of, object_name, subject
from .resource_properties import UNKNOWN, field, items

GATEWAY_GROUP = "gateway.networking.k8s.io"


def _ingress_backends(props: Any) -> Iterator[tuple[str, Any, Any, Any]]:
    """(label, service name, port number, port name) of every service backend of an Ingress."""
    default = field(props, "spec", "defaultBackend", "service")
    if default is not None:
        yield ("spec.defaultBackend", field(default, "name"), field(default, "port", "number"),
               field(default, "port", "name"))
    for rule_index, rule in enumerate(items(field(props, "spec", "rules"))):
        for path_index, path in enumerate(items(field(rule, "http", "paths"))):
            service = field(path, "backend", "service")
            if service is not None:
                yield (f"spec.rules[{rule_index}].http.paths[{path_index}].backend", field(service, "name"),
                       field(service, "port", "number"), field(service, "port", "name"))


def _route_backends(props: Any, namespace: Any) -> Iterator[tuple[str, Any, Any, Any]]:
    """(label, namespace, service name, port) of every Service backendRef of an HTTPRoute."""
    for rule_index, rule in enumerate(items(field(props, "spec", "rules"))):
        for ref_index, ref in enumerate(items(field(rule, "backendRefs"))):
            kind, group = field(ref, "kind"), field(ref, "group")
            if kind not in (None, "Service") or group not in (None, ""):
                continue
            own = field(ref, "namespace")
            yield (f"spec.rules[{rule_index}].backendRefs[{ref_index}]", namespace if own is None else own,
                   field(ref, "name"), field(ref, "port"))


def _port_problem(service: Any, number: Any, name: Any) -> Optional[str]:
    ports = field(service.props, "spec", "ports")
    if ports is UNKNOWN or UNKNOWN in (number, name):
        return None
    listed = list(items(ports))
    if UNKNOWN in listed:
        return None
    if number is not None and number not in [field(port, "port") for port in listed]:
        return f"port {number}"
    if name is not None and name not in [field(port, "name") for port in listed]:
        return f"port '{name}'"
    return None


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    services: dict[tuple[str, str], Any] = {}
    for resource in args.resources:
        if kind_of(resource.resource_type, "core") == "Service":
            namespace = effective_namespace(resource.props)
            if namespace is not UNKNOWN and field(resource.props, "metadata", "name") is not UNKNOWN:
                services[(namespace, object_name(resource.props, resource.name))] = resource

    def check(route: Any, label: str, namespace: Any, name: Any, number: Any, port_name: Any) -> None:
        if UNKNOWN in (namespace, name) or not isinstance(name, str):
            return
        who = subject(route.resource_type, route.props, route.name)
        service = services.get((namespace, name))
        if service is None:
            report_violation(f"{who} {label} must name a Service of this scan ('{namespace}/{name}' is not one: "
                             "the route would answer 503).", route.urn)
            return
        problem = _port_problem(service, number, port_name)
        if problem:
            report_violation(f"{who} {label} must use a port Service '{namespace}/{name}' exposes ({problem} is "
                             "not in its spec.ports).", route.urn)

    for route in args.resources:
        kind = kind_of(route.resource_type)
        namespace = effective_namespace(route.props)
        if kind == "Ingress" and kind_of(route.resource_type, "networking.k8s.io"):
            for label, name, number, port_name in _ingress_backends(route.props):
                check(route, label, namespace, name, number, port_name)
        elif kind == "HTTPRoute" and kind_of(route.resource_type, GATEWAY_GROUP):
            for label, backend_namespace, name, number in _route_backends(route.props, namespace):
                check(route, label, backend_namespace, name, number, None)


POLICY = StackValidationPolicy(
    name="route-backend-exists",
    description="Every Ingress and HTTPRoute backend must name a Service of the scan and a port it exposes.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

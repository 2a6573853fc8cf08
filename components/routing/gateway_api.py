"""Emit a `RoutingPlan` as Gateway API objects, with Envoy Gateway policies for what the core API lacks.

- One `Gateway` (`gateway.networking.k8s.io/v1`) in `routing.edgeNamespace`,
  with one listener per host: HTTPS terminating the environment's certificate
  (`certificate.py`, same namespace, so no ReferenceGrant), or plain HTTP when
  `routing.tls` is unset. Listeners admit routes only from the namespaces the
  routes live in.
- One `HTTPRoute` per route, in its service's namespace, attached to its
  host's listener: a `PathPrefix` match, a `URLRewrite` with
  `ReplacePrefixMatch: /` in subpath mode, `timeouts.request` from
  `timeouts.requestSeconds`. The root route's HTTPRoute redirects `/` to its
  prefix (subpath mode); in subdomain mode a `root-redirect` HTTPRoute sends
  the bare host to the root route's host.

Why Envoy Gateway for the rest: it is a conformant Gateway API
implementation from the Envoy project, and the one whose policy CRDs express
both missing pieces per route, attached by `targetRefs` to the HTTPRoute:
`SecurityPolicy.extAuth` (forward auth: Envoy allows only a 200 from the auth
service, and appends the request path to `extAuth.http.path`) and
`BackendTrafficPolicy` (`requestBuffer.limit` for the body size,
`timeout.http.streamIdleTimeout` for idle and WebSocket timeouts; WebSocket
upgrades are on for every route). What it cannot express is refused in
`routing.UNSUPPORTED_SETTINGS`.
"""
from __future__ import annotations

from typing import Any

import pulumi

from components.routing.plan import PlannedRoute, RoutingPlan
from config_models.routing import RoutingSpec, parse_cluster_local_url

GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1"
ENVOY_GATEWAY_API_VERSION = "gateway.envoyproxy.io/v1alpha1"
GATEWAY_GROUP = "gateway.networking.k8s.io"


def quantity(size_bytes: int) -> str:
    """Bytes as the largest exact binary quantity (536870912 -> 512Mi)."""
    for suffix, factor in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if size_bytes % factor == 0:
            return f"{size_bytes // factor}{suffix}"
    return str(size_bytes)


def listener_name(host: str, tls: bool) -> str:
    return f"{'https' if tls else 'http'}-{host.replace('.', '-')}"


def _hosts(plan: RoutingPlan) -> list[str]:
    hosts = {route.host for route in plan.routes}
    if plan.host_redirect is not None:
        hosts.add(plan.host_redirect.host)
    return sorted(hosts)


def build_gateway(plan: RoutingPlan, routing: RoutingSpec, labels: dict[str, str]) -> dict:
    tls = routing.tls is not None
    namespaces = sorted({route.namespace for route in plan.routes}
                        | ({plan.host_redirect.namespace} if plan.host_redirect else set()))
    listeners = []
    for host in _hosts(plan):
        listener: dict[str, Any] = {
            "name": listener_name(host, tls),
            "hostname": host,
            "protocol": "HTTPS" if tls else "HTTP",
            "port": 443 if tls else 80,
            "allowedRoutes": {"namespaces": {"from": "Selector", "selector": {"matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": namespaces}]}}},
        }
        if tls:
            assert plan.certificate is not None
            listener["tls"] = {"mode": "Terminate", "certificateRefs": [
                {"group": "", "kind": "Secret", "name": plan.certificate.secret_name}]}
        listeners.append(listener)
    return {
        "apiVersion": GATEWAY_API_VERSION,
        "kind": "Gateway",
        "metadata": {"name": routing.gateway.name, "namespace": routing.edge_namespace, "labels": labels},
        "spec": {"gatewayClassName": routing.gateway.gateway_class_name, "listeners": listeners},
    }


def _parent(routing: RoutingSpec, host: str) -> dict:
    return {"group": GATEWAY_GROUP, "kind": "Gateway", "name": routing.gateway.name,
            "namespace": routing.edge_namespace, "sectionName": listener_name(host, routing.tls is not None)}


def build_http_route(route: PlannedRoute, routing: RoutingSpec, labels: dict[str, str]) -> dict:
    rule: dict[str, Any] = {
        "matches": [{"path": {"type": "PathPrefix", "value": route.public_prefix}}],
        "backendRefs": [{"name": route.service, "port": route.port_number}],
    }
    if route.strip_prefix:
        rule["filters"] = [{"type": "URLRewrite", "urlRewrite": {
            "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}]
    if route.request_timeout_seconds is not None:
        rule["timeouts"] = {"request": f"{route.request_timeout_seconds}s"}
    rules = [rule]
    if route.redirect_root:
        rules.append({
            "matches": [{"path": {"type": "Exact", "value": "/"}}],
            "filters": [{"type": "RequestRedirect", "requestRedirect": {
                "path": {"type": "ReplaceFullPath", "replaceFullPath": f"{route.public_prefix}/"},
                "statusCode": 302}}],
        })
    return {
        "apiVersion": GATEWAY_API_VERSION,
        "kind": "HTTPRoute",
        "metadata": {"name": route.name, "namespace": route.namespace, "labels": labels},
        "spec": {"parentRefs": [_parent(routing, route.host)], "hostnames": [route.host], "rules": rules},
    }


def build_host_redirect_route(plan: RoutingPlan, routing: RoutingSpec, labels: dict[str, str]) -> dict:
    redirect = plan.host_redirect
    assert redirect is not None
    return {
        "apiVersion": GATEWAY_API_VERSION,
        "kind": "HTTPRoute",
        "metadata": {"name": "root-redirect", "namespace": redirect.namespace, "labels": labels},
        "spec": {
            "parentRefs": [_parent(routing, redirect.host)],
            "hostnames": [redirect.host],
            "rules": [{"filters": [{"type": "RequestRedirect", "requestRedirect": {
                "hostname": redirect.target_host, "statusCode": 302}}]}],
        },
    }


def _target(route: PlannedRoute) -> list[dict]:
    return [{"group": GATEWAY_GROUP, "kind": "HTTPRoute", "name": route.name}]


def build_security_policy(route: PlannedRoute, labels: dict[str, str]) -> dict:
    assert route.forward_auth_url is not None
    service, namespace, port, path = parse_cluster_local_url(route.forward_auth_url)
    backend: dict[str, Any] = {"name": service, "port": port}
    if namespace != route.namespace:
        backend["namespace"] = namespace
    http: dict[str, Any] = {"backendRefs": [backend], "path": path}
    if route.forward_auth_response_headers:
        http["headersToBackend"] = list(route.forward_auth_response_headers)
    return {
        "apiVersion": ENVOY_GATEWAY_API_VERSION,
        "kind": "SecurityPolicy",
        "metadata": {"name": f"{route.name}-forward-auth", "namespace": route.namespace, "labels": labels},
        "spec": {"targetRefs": _target(route), "extAuth": {"http": http}},
    }


REFERENCE_GRANT_API_VERSION = "gateway.networking.k8s.io/v1beta1"  # its storage version in Gateway API v1.6


def build_forward_auth_reference_grant(route: PlannedRoute, labels: dict[str, str]) -> dict | None:
    """A ReferenceGrant letting the route's SecurityPolicy reach an auth Service in another namespace.

    Gateway API refuses a cross-namespace backend reference unless the target
    namespace grants it; without the grant Envoy Gateway rejects the policy and
    every request to the route fails. The grant names the one Service, from
    SecurityPolicies of the route's namespace only.
    """
    assert route.forward_auth_url is not None
    service, namespace, _, _ = parse_cluster_local_url(route.forward_auth_url)
    if namespace == route.namespace:
        return None
    return {
        "apiVersion": REFERENCE_GRANT_API_VERSION,
        "kind": "ReferenceGrant",
        "metadata": {"name": f"{route.name}-forward-auth-from-{route.namespace}", "namespace": namespace,
                     "labels": labels},
        "spec": {
            "from": [{"group": "gateway.envoyproxy.io", "kind": "SecurityPolicy", "namespace": route.namespace}],
            "to": [{"group": "", "kind": "Service", "name": service}],
        },
    }


def build_backend_traffic_policy(route: PlannedRoute, labels: dict[str, str]) -> dict | None:
    spec: dict[str, Any] = {}
    if route.request_body_size_bytes is not None:
        spec["requestBuffer"] = {"limit": quantity(route.request_body_size_bytes)}
    idle = max(route.idle_timeout_seconds or 0, route.websocket_timeout_seconds or 0)
    if idle:
        spec["timeout"] = {"http": {"streamIdleTimeout": f"{idle}s"}}
    if not spec:
        return None
    return {
        "apiVersion": ENVOY_GATEWAY_API_VERSION,
        "kind": "BackendTrafficPolicy",
        "metadata": {"name": f"{route.name}-traffic", "namespace": route.namespace, "labels": labels},
        "spec": {"targetRefs": _target(route), **spec},
    }


def build_gateway_api_objects(plan: RoutingPlan, routing: RoutingSpec, labels: dict[str, str]) -> list[dict]:
    objects = [build_gateway(plan, routing, labels)]
    for route in plan.routes:
        objects.append(build_http_route(route, routing, labels))
        if route.forward_auth_url is not None:
            objects.append(build_security_policy(route, labels))
            grant = build_forward_auth_reference_grant(route, labels)
            if grant is not None:
                objects.append(grant)
        traffic = build_backend_traffic_policy(route, labels)
        if traffic is not None:
            objects.append(traffic)
    if plan.host_redirect is not None:
        objects.append(build_host_redirect_route(plan, routing, labels))
    return objects


def emit_gateway_api(plan: RoutingPlan, routing: RoutingSpec, labels: dict[str, str],
                     opts: pulumi.ResourceOptions) -> None:
    import pulumi_kubernetes as k8s

    for manifest in build_gateway_api_objects(plan, routing, labels):
        meta = manifest["metadata"]
        k8s.apiextensions.CustomResource(
            f"{meta['namespace']}-{meta['name']}-{manifest['kind'].lower()}",
            api_version=manifest["apiVersion"], kind=manifest["kind"], metadata=meta, spec=manifest["spec"],
            opts=opts)

"""Routing coherence: TLS and the edge namespace where needed, routes to real service ports, no host and
path routed twice, and only settings each implementation can express.
"""
from __future__ import annotations

from typing import Any, Optional

from config_models.routing import _CLUSTER_LOCAL_URL, RouteSpec, RoutingSpec, route_host_and_prefix

# What each implementation can express, per route setting; a setting outside
# its set is refused with the reason.
UNSUPPORTED_SETTINGS: dict[str, dict[str, str]] = {
    "ingressNginx": {
        "timeouts.requestSeconds": "ingress-nginx has no whole-request timeout, only idle timeouts between reads "
                                   "(use timeouts.idleSeconds)",
    },
    "gatewayApi": {
        "forwardAuth.signinPath": "Envoy Gateway's extAuth returns the auth service's own denial; it cannot "
                                  "redirect to a sign-in page (make the auth service answer 302 itself)",
        "requestBodySize+websocket": "Envoy Gateway's request buffer, which enforces the body size, turns off "
                                     "WebSocket upgrades on the route (split the route, or drop one)",
    },
}


def _settings_in_use(route: RouteSpec) -> dict[str, Any]:
    used: dict[str, Any] = {}
    if route.timeouts is not None and route.timeouts.request_seconds is not None:
        used["timeouts.requestSeconds"] = route.timeouts.request_seconds
    if route.forward_auth is not None and route.forward_auth.signin_path is not None:
        used["forwardAuth.signinPath"] = route.forward_auth.signin_path
    if route.request_body_size is not None and route.websocket is not None:
        used["requestBodySize+websocket"] = route.request_body_size
    return used


def check_routing(routing: RoutingSpec, services: dict, environment: str,
                  namespaces: Optional[set[str]] = None) -> list[str]:
    problems = []
    if environment == "prod" and routing.tls is None:
        problems.append("routing.tls: required in prod (set routing.tls.clusterIssuer)")
    needs_edge = routing.tls is not None or "gatewayApi" in routing.implementation
    if needs_edge and routing.edge_namespace is None:
        problems.append("routing.edgeNamespace: required with routing.tls or the gatewayApi implementation (a "
                        "namespace under `namespaces` for the certificate and the Gateway)")
    elif (routing.edge_namespace is not None and namespaces is not None
          and routing.edge_namespace not in namespaces):
        problems.append(f"routing.edgeNamespace: {routing.edge_namespace!r} is not declared under namespaces "
                        f"(declared: {sorted(namespaces)})")
    if routing.root_route is not None and routing.root_route not in routing.routes:
        problems.append(f"routing.rootRoute: {routing.root_route!r} is not a route (routes: {sorted(routing.routes)})")
    claimed: dict[tuple[str, str], str] = {}

    def claim(host: str, path: str, owner: str, key: str) -> None:
        if (host, path) in claimed:
            problems.append(f"{key}: {host}{path} is already routed by {claimed[(host, path)]} (a host and path "
                            "can be claimed by one route only)")
        else:
            claimed[(host, path)] = owner

    if routing.mode == "subdomain" and routing.root_route is not None:
        claimed[(routing.host, "/")] = "the rootRoute redirect of the bare host"
    for name, route in sorted(routing.routes.items()):
        if route.service not in services:
            problems.append(f"routing.routes.{name}.service: {route.service!r} is not a service "
                            f"(services: {sorted(services)})")
            continue
        ports = services[route.service].routable_ports()
        if not ports:
            problems.append(f"routing.routes.{name}.service: {route.service!r} is a "
                            f"{services[route.service].kind} workload and serves no port (route to a service "
                            "with ports)")
            continue
        if route.port not in ports:
            problems.append(f"routing.routes.{name}.port: {route.port!r} is not a port of service "
                            f"{route.service!r} (ports: {ports}; add it under services.{route.service}.ports)")
        host, prefix = route_host_and_prefix(routing, name)
        key = f"routing.routes.{name}.{'path' if routing.mode == 'subpath' else 'subdomain'}"
        claim(host, prefix, f"route {name!r}", key)
        auth = route.forward_auth
        if auth is not None and auth.signin_path is not None:
            claim(host, f"{prefix.rstrip('/')}{auth.signin_path}", f"the sign-in path of route {name!r}",
                  f"routing.routes.{name}.forwardAuth.signinPath")
        for implementation in routing.implementation:
            for setting, value in _settings_in_use(route).items():
                reason = UNSUPPORTED_SETTINGS[implementation].get(setting)
                if reason is not None:
                    problems.append(f"routing.routes.{name}.{setting.split('+')[0]}: {value!r} cannot be expressed "
                                    f"by routing.implementation {implementation} ({reason})")
        if "gatewayApi" in routing.implementation and auth is not None and not _CLUSTER_LOCAL_URL.match(auth.url):
            problems.append(f"routing.routes.{name}.forwardAuth.url: {auth.url!r} is not an in-cluster Service URL, "
                            "which the gatewayApi implementation needs for its extAuth backend "
                            "(http://<service>.<namespace>.svc.cluster.local:<port>/<path>)")
    return problems

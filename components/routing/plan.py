"""HTTP routing: which host and path reach which service, independent of the objects that implement it.

The config describes routes once; `plan_routing` turns them into a
`RoutingPlan` for one of two modes, chosen by one key:
- `subpath`: every route under the environment's one host (`/forge/`,
  `/chat/`), the prefix stripped so backends see `/`, and `/` redirected to
  `rootRoute`;
- `subdomain`: each route on its own host (`forge.<host>`), served at `/`,
  and the bare host redirected to `rootRoute`'s host.
Services follow their routes through `${route.<name>.url}` references in their
env and config files (`route_references.py`), so the one switch moves the apps
with the routes.

Emitters turn the plan into objects, selected by `routing.implementation`:
`ingressNginx` (`ingress_nginx.py`, ingress-nginx Ingresses; the project is
retired upstream, maintenance ended in March 2026) and `gatewayApi`
(`gateway_api.py`, a Gateway API `Gateway` and `HTTPRoute`s, with Envoy
Gateway policies for what the core API lacks). Listing both renders both, for
the one release of a migration. A per-route setting an implementation cannot
express is refused at config time, naming the implementation.

TLS: one cert-manager `Certificate` per environment covers every host in the
`routing.edgeNamespace` (`certificate.py`): each host is requested exactly
once, however many namespaces its routes live in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from config_models.kubernetes_quantity import memory_bytes
from config_models.routing import RoutingSpec, TimeoutsSpec, route_host_and_prefix


@dataclass(frozen=True)
class PlannedRoute:
    """One route, resolved for a mode; what every emitter consumes."""

    name: str
    namespace: str
    host: str
    path_prefix: str          # "/" in subdomain mode, "/forge" in subpath mode
    strip_prefix: bool        # backends see "/" instead of the prefix
    service: str
    port: str
    port_number: int
    redirect_root: bool       # subpath mode: "/" on this host redirects to this route's prefix
    tls: bool
    forward_auth_url: Optional[str]
    forward_auth_signin_path: Optional[str]   # public path, e.g. /chat/login; served without auth
    forward_auth_signin_url: Optional[str]
    forward_auth_response_headers: tuple[str, ...]
    websocket_timeout_seconds: Optional[int]
    request_body_size_bytes: Optional[int]
    request_timeout_seconds: Optional[int]
    idle_timeout_seconds: Optional[int]

    @property
    def public_prefix(self) -> str:
        return self.path_prefix.rstrip("/") or "/"


@dataclass(frozen=True)
class PlannedHostRedirect:
    """Subdomain mode: the bare host redirects to the root route's host."""

    host: str
    target_host: str
    namespace: str            # the root route's namespace
    service: str              # the root route's service (ingress-nginx needs a backend it never calls)
    port: str
    tls: bool


@dataclass(frozen=True)
class PlannedCertificate:
    name: str
    namespace: str
    secret_name: str
    hosts: tuple[str, ...]
    cluster_issuer: str


@dataclass(frozen=True)
class RoutingPlan:
    routes: tuple[PlannedRoute, ...]
    host_redirect: Optional[PlannedHostRedirect]
    certificate: Optional[PlannedCertificate]




def certificate_secret_name(host: str) -> str:
    return f"{host.replace('.', '-')}-tls"




def plan_routing(routing: RoutingSpec, services: dict) -> RoutingPlan:
    """Resolve every route for the configured mode; the only place the mode matters."""
    plans = []
    for name, route in sorted(routing.routes.items()):
        host, prefix = route_host_and_prefix(routing, name)
        auth = route.forward_auth
        signin_path = signin_url = None
        if auth is not None and auth.signin_path is not None:
            signin_path = f"{prefix.rstrip('/')}{auth.signin_path}"
            signin_url = f"{'https' if routing.tls else 'http'}://{host}{signin_path}"
        service = services[route.service]
        port_number = next(port.container_port for port in service.ports if port.name == route.port)
        timeouts = route.timeouts or TimeoutsSpec()
        plans.append(PlannedRoute(
            name=name,
            namespace=service.namespace,
            host=host,
            path_prefix=prefix,
            strip_prefix=routing.mode == "subpath",
            service=route.service,
            port=route.port,
            port_number=port_number,
            redirect_root=routing.mode == "subpath" and routing.root_route == name,
            tls=routing.tls is not None,
            forward_auth_url=auth.url if auth else None,
            forward_auth_signin_path=signin_path,
            forward_auth_signin_url=signin_url,
            forward_auth_response_headers=tuple(auth.response_headers) if auth else (),
            websocket_timeout_seconds=route.websocket.timeout_seconds if route.websocket else None,
            request_body_size_bytes=int(memory_bytes(route.request_body_size)) if route.request_body_size else None,
            request_timeout_seconds=timeouts.request_seconds,
            idle_timeout_seconds=timeouts.idle_seconds,
        ))
    redirect = None
    if routing.mode == "subdomain" and routing.root_route is not None:
        root = next(plan for plan in plans if plan.name == routing.root_route)
        redirect = PlannedHostRedirect(host=routing.host, target_host=root.host, namespace=root.namespace,
                                       service=root.service, port=root.port, tls=root.tls)
    certificate = None
    if routing.tls is not None:
        hosts = sorted({plan.host for plan in plans} | ({redirect.host} if redirect else set()))
        certificate = PlannedCertificate(
            name=certificate_secret_name(routing.host), namespace=routing.edge_namespace or "",
            secret_name=certificate_secret_name(routing.host), hosts=tuple(hosts),
            cluster_issuer=routing.tls.cluster_issuer)
    return RoutingPlan(tuple(plans), redirect, certificate)

"""HTTP routing: which host and path reach which service, independent of the object that implements it.

The config describes routes once; `plan_routes` turns them into
`PlannedRoute`s for one of two modes, chosen by one key:
- `subpath`: every route under the environment's one host (`/forge/`,
  `/chat/`), the prefix stripped so backends see `/`, and `/` redirected to a
  chosen route;
- `subdomain`: each route on its own host (`forge.<host>`), served at `/`.

Emitters turn plans into objects: `ingress_nginx` emits
`networking.k8s.io/v1` Ingresses for ingress-nginx. ingress-nginx is retired
upstream (maintenance ended in March 2026), so nothing in the plan is
nginx-specific: a Gateway API `HTTPRoute` emitter can consume the same plans.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Optional

import pulumi
from pydantic import Field, field_validator

from .config_model import ConfigModel
from .kubernetes_names import check_dns_label, check_dns_subdomain

_PATH_PREFIX = re.compile(r"^(/[a-z0-9][a-z0-9._-]*)+$")


class ForwardAuthSpec(ConfigModel):
    url: str = Field(description="URL the proxy asks before every request; 2xx lets it through. Required.")
    signin_path: Optional[str] = Field(
        None, description="Path, within the route, to send unauthenticated users to (e.g. /login). Default: none (401)."
    )
    response_headers: list[str] = Field(
        default_factory=list, description="Headers copied from the auth response to the request. Default: none."
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} must be an http:// or https:// URL")
        return value

    @field_validator("signin_path")
    @classmethod
    def _signin(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not value.startswith("/"):
            raise ValueError(f"{value!r} must be a path starting with / (relative to the route)")
        return value


class WebSocketSpec(ConfigModel):
    timeout_seconds: int = Field(3600, ge=1, le=86400, description="Idle timeout of an upgraded connection. Default: 3600.")


class RouteSpec(ConfigModel):
    service: str = Field(description="Name of the service (under `services`) to route to. Required.")
    port: str = Field("http", description="Name of one of the service's ports. Default: http.")
    path: Optional[str] = Field(None, description="Prefix in subpath mode. Default: /<route name>.")
    subdomain: Optional[str] = Field(None, description="Host label in subdomain mode. Default: the route name.")
    forward_auth: Optional[ForwardAuthSpec] = Field(None, description="Authenticate every request first. Default: none.")
    websocket: Optional[WebSocketSpec] = Field(None, description="Long-lived upgraded connections. Default: none.")

    @field_validator("path")
    @classmethod
    def _path(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not _PATH_PREFIX.match(value.rstrip("/")):
            raise ValueError(f"{value!r} must be a path prefix such as /forge (lowercase, no regex characters)")
        return None if value is None else value.rstrip("/")

    @field_validator("subdomain")
    @classmethod
    def _subdomain(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else check_dns_label(value)


class TlsSpec(ConfigModel):
    cluster_issuer: str = Field(description="cert-manager ClusterIssuer that signs the certificate. Required.")


class RoutingSpec(ConfigModel):
    mode: Literal["subpath", "subdomain"] = Field("subpath", description="subpath or subdomain. Default: subpath.")
    host: str = Field(description="The environment's host; subdomain mode prefixes it. Required.")
    ingress_class_name: str = Field("nginx", description="IngressClass. Default: nginx.")
    tls: Optional[TlsSpec] = Field(None, description="TLS from cert-manager. Default: none (required in prod).")
    root_route: Optional[str] = Field(None, description="Subpath mode: route that `/` redirects to. Default: none.")
    routes: dict[str, RouteSpec] = Field(description="Route name -> route. Required, at least one.")

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        return check_dns_subdomain(value)

    @field_validator("routes")
    @classmethod
    def _routes(cls, value: dict[str, RouteSpec]) -> dict[str, RouteSpec]:
        if not value:
            raise ValueError("at least one route is required (or remove routing)")
        for name in value:
            check_dns_label(name)
        return value


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
    redirect_root: bool       # "/" on this host redirects to this route's prefix
    tls_cluster_issuer: Optional[str]
    forward_auth_url: Optional[str]
    forward_auth_signin_url: Optional[str]
    forward_auth_response_headers: tuple[str, ...]
    websocket_timeout_seconds: Optional[int]


def check_routing(routing: RoutingSpec, services: dict, environment: str) -> list[str]:
    problems = []
    if environment == "prod" and routing.tls is None:
        problems.append("routing.tls: required in prod (set routing.tls.clusterIssuer)")
    if routing.root_route is not None and routing.root_route not in routing.routes:
        problems.append(f"routing.rootRoute: {routing.root_route!r} is not a route (routes: {sorted(routing.routes)})")
    paths: dict[str, str] = {}
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
        path = route.path or f"/{name}"
        if path in paths:
            problems.append(f"routing.routes.{name}.path: {path!r} is already routed by {paths[path]!r}")
        paths[path] = name
    return problems


def plan_routes(routing: RoutingSpec, services: dict) -> list[PlannedRoute]:
    """Resolve every route for the configured mode; the only place the mode matters."""
    plans = []
    for name, route in sorted(routing.routes.items()):
        if routing.mode == "subpath":
            host, prefix = routing.host, route.path or f"/{name}"
        else:
            host, prefix = f"{route.subdomain or name}.{routing.host}", "/"
        auth = route.forward_auth
        signin = None
        if auth is not None and auth.signin_path is not None:
            signin = f"https://{host}{prefix.rstrip('/')}{auth.signin_path}"
        plans.append(PlannedRoute(
            name=name,
            namespace=services[route.service].namespace,
            host=host,
            path_prefix=prefix,
            strip_prefix=routing.mode == "subpath",
            service=route.service,
            port=route.port,
            redirect_root=routing.mode == "subpath" and routing.root_route == name,
            tls_cluster_issuer=routing.tls.cluster_issuer if routing.tls else None,
            forward_auth_url=auth.url if auth else None,
            forward_auth_signin_url=signin,
            forward_auth_response_headers=tuple(auth.response_headers) if auth else (),
            websocket_timeout_seconds=route.websocket.timeout_seconds if route.websocket else None,
        ))
    return plans


class Routing(pulumi.ComponentResource):
    """Every route of the environment, emitted as ingress-nginx Ingresses."""

    hosts: list[str]
    """Distinct hosts served."""

    def __init__(self, name: str, routing: RoutingSpec, services: dict, labels: dict[str, str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:routing:Routing", name, None, opts)
        import pulumi_kubernetes as k8s

        from .ingress_nginx import build_ingress

        plans = plan_routes(routing, services)
        for plan in plans:
            manifest = build_ingress(plan, routing.ingress_class_name, labels)
            k8s.networking.v1.Ingress(
                f"{plan.name}-ingress", metadata=manifest["metadata"], spec=manifest["spec"],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.hosts = sorted({plan.host for plan in plans})
        self.register_outputs({"hosts": self.hosts})

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

import re
from dataclasses import dataclass
from typing import Any, Literal, Optional

import pulumi
from pydantic import Field, field_validator

from .config_model import ConfigModel
from .kubernetes_names import check_dns_label, check_dns_subdomain
from .kubernetes_quantity import memory_bytes, parse_quantity

_PATH_PREFIX = re.compile(r"^(/[a-z0-9][a-z0-9._-]*)+$")
_CLUSTER_LOCAL_URL = re.compile(
    r"^http://(?P<service>[a-z0-9-]+)\.(?P<namespace>[a-z0-9-]+)\.svc(?:\.cluster\.local)?:(?P<port>[0-9]+)"
    r"(?P<path>/[^?#]*)?$")
IMPLEMENTATIONS = ("ingressNginx", "gatewayApi")


class ForwardAuthSpec(ConfigModel):
    url: str = Field(description="URL the proxy asks before every request; success lets it through. Required.")
    signin_path: Optional[str] = Field(
        None, description="Path, within the route, to send unauthenticated users to (e.g. /login); it is served "
                          "without auth. ingressNginx only. Default: none (401).")
    response_headers: list[str] = Field(
        default_factory=list, description="Headers copied from the auth response to the request. Default: none."
    )
    external: bool = Field(
        False, description="The auth service is not rendered by this stack (another team's, or outside the "
                           "cluster), so the URL is not resolved against `services`. Default: false (the URL must "
                           "name a Service and port this stack renders).")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} must be an http:// or https:// URL")
        return value

    @field_validator("signin_path")
    @classmethod
    def _signin(cls, value: Optional[str]) -> Optional[str]:
        if value is None:
            return value
        if not _PATH_PREFIX.match(value.rstrip("/")):
            raise ValueError(f"{value!r} must be a path such as /login, relative to the route (no regex characters)")
        return value.rstrip("/")


class WebSocketSpec(ConfigModel):
    timeout_seconds: int = Field(3600, ge=1, le=86400, description="Idle timeout of an upgraded connection. Default: 3600.")


class TimeoutsSpec(ConfigModel):
    request_seconds: Optional[int] = Field(
        None, ge=1, le=86400, description="Whole request, first byte to last. gatewayApi only. Default: the "
                                          "implementation's.")
    idle_seconds: Optional[int] = Field(
        None, ge=1, le=86400, description="Silence allowed between two reads or writes. Default: the "
                                          "implementation's (60 s for ingress-nginx).")


class RouteSpec(ConfigModel):
    service: str = Field(description="Name of the service (under `services`) to route to. Required.")
    port: str = Field("http", description="Name of one of the service's ports. Default: http.")
    path: Optional[str] = Field(None, description="Prefix in subpath mode. Default: /<route name>.")
    subdomain: Optional[str] = Field(None, description="Host label in subdomain mode. Default: the route name.")
    forward_auth: Optional[ForwardAuthSpec] = Field(None, description="Authenticate every request first. Default: none.")
    websocket: Optional[WebSocketSpec] = Field(None, description="Long-lived upgraded connections. Default: none.")
    request_body_size: Optional[str] = Field(
        None, description="Largest request body accepted, a quantity such as 512Mi (git pushes, uploads). "
                          "Default: the implementation's (1 MiB for ingress-nginx).")
    timeouts: Optional[TimeoutsSpec] = Field(None, description="Request and idle timeouts. Default: none.")

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

    @field_validator("request_body_size", mode="before")
    @classmethod
    def _body_size(cls, value: Any) -> Any:
        if value is None:
            return value
        value = str(value)
        parse_quantity(value)
        if memory_bytes(value) < 1024 or memory_bytes(value) != int(memory_bytes(value)):
            raise ValueError(f"{value!r} must be a whole number of bytes, at least 1Ki (e.g. 512Mi)")
        return value


class TlsSpec(ConfigModel):
    cluster_issuer: str = Field(description="cert-manager ClusterIssuer that signs the certificate. Required.")


class GatewaySpec(ConfigModel):
    name: str = Field("platform", description="metadata.name of the Gateway. Default: platform.")
    gateway_class_name: str = Field("envoy-gateway", description="GatewayClass of the installed Envoy Gateway. "
                                                                  "Default: envoy-gateway.")

    @field_validator("name", "gateway_class_name")
    @classmethod
    def _names(cls, value: str) -> str:
        return check_dns_subdomain(value)


class RoutingSpec(ConfigModel):
    mode: Literal["subpath", "subdomain"] = Field("subpath", description="subpath or subdomain. Default: subpath.")
    implementation: list[Literal["ingressNginx", "gatewayApi"]] = Field(
        default_factory=lambda: ["ingressNginx"],
        description="ingressNginx, gatewayApi, or both during a migration. Default: ingressNginx.")
    host: str = Field(description="The environment's host; subdomain mode prefixes it. Required.")
    edge_namespace: Optional[str] = Field(
        None, description="Namespace (under `namespaces`) of the certificate and the Gateway. Required with tls or "
                          "gatewayApi.")
    ingress_class_name: str = Field("nginx", description="IngressClass (ingressNginx). Default: nginx.")
    gateway: GatewaySpec = Field(default_factory=GatewaySpec, description="The Gateway (gatewayApi).")
    tls: Optional[TlsSpec] = Field(None, description="TLS from cert-manager. Default: none (required in prod).")
    root_route: Optional[str] = Field(None, description="Route that `/` of the environment's host redirects to. "
                                                        "Default: none.")
    routes: dict[str, RouteSpec] = Field(description="Route name -> route. Required, at least one.")

    @field_validator("implementation", mode="before")
    @classmethod
    def _implementation(cls, value: Any) -> Any:
        value = [value] if isinstance(value, str) else value
        if isinstance(value, list) and not value:
            raise ValueError("[] names no implementation (ingressNginx, gatewayApi, or both during a migration)")
        if isinstance(value, list) and len(set(map(str, value))) != len(value):
            raise ValueError(f"{value!r} names an implementation twice")
        return value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        return check_dns_subdomain(value)

    @field_validator("edge_namespace")
    @classmethod
    def _edge(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else check_dns_label(value)

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


def route_host_and_prefix(routing: RoutingSpec, name: str) -> tuple[str, str]:
    route = routing.routes[name]
    if routing.mode == "subpath":
        return routing.host, route.path or f"/{name}"
    return f"{route.subdomain or name}.{routing.host}", "/"


def certificate_secret_name(host: str) -> str:
    return f"{host.replace('.', '-')}-tls"


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


def parse_cluster_local_url(url: str) -> tuple[str, str, int, str]:
    """(service, namespace, port, path) of `http://<service>.<namespace>.svc.cluster.local:<port>/<path>`."""
    match = _CLUSTER_LOCAL_URL.match(url)
    if match is None:
        raise ValueError(f"{url!r} is not an in-cluster Service URL")
    return match["service"], match["namespace"], int(match["port"]), match["path"] or "/"


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


class Routing(pulumi.ComponentResource):
    """Every route of the environment: its certificate and the objects of each configured implementation."""

    hosts: list[str]
    """Distinct hosts served."""

    def __init__(self, name: str, routing: RoutingSpec, services: dict, labels: dict[str, str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:routing:Routing", name, None, opts)
        import pulumi_kubernetes as k8s

        from .certificate import build_certificate
        from .gateway_api import emit_gateway_api
        from .ingress_nginx import emit_ingress_nginx

        plan = plan_routing(routing, services)
        child = pulumi.ResourceOptions(parent=self)
        if plan.certificate is not None:
            manifest = build_certificate(plan.certificate, labels)
            k8s.apiextensions.CustomResource(
                f"{plan.certificate.name}-certificate", api_version=manifest["apiVersion"], kind=manifest["kind"],
                metadata=manifest["metadata"], spec=manifest["spec"], opts=child)
        if "ingressNginx" in routing.implementation:
            emit_ingress_nginx(plan, routing.ingress_class_name, labels, child)
        if "gatewayApi" in routing.implementation:
            emit_gateway_api(plan, routing, labels, child)
        self.hosts = sorted({route.host for route in plan.routes})
        self.register_outputs({"hosts": self.hosts})

"""The config models of `routing` (routes, forward auth, TLS, the gateway) and the hosts and paths they give."""
from __future__ import annotations

import re
from typing import Any, Literal, Optional

from pydantic import Field, field_validator

from config_models.base import ConfigModel
from config_models.kubernetes_names import check_dns_label, check_dns_subdomain
from config_models.kubernetes_quantity import memory_bytes, parse_quantity

_PATH_PREFIX = re.compile(r"^(/[a-z0-9][a-z0-9._-]*)+$")
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


_CLUSTER_LOCAL_URL = re.compile(
    r"^http://(?P<service>[a-z0-9-]+)\.(?P<namespace>[a-z0-9-]+)\.svc(?:\.cluster\.local)?:(?P<port>[0-9]+)"
    r"(?P<path>/[^?#]*)?$")


def route_host_and_prefix(routing: RoutingSpec, name: str) -> tuple[str, str]:
    route = routing.routes[name]
    if routing.mode == "subpath":
        return routing.host, route.path or f"/{name}"
    return f"{route.subdomain or name}.{routing.host}", "/"


def parse_cluster_local_url(url: str) -> tuple[str, str, int, str]:
    """(service, namespace, port, path) of `http://<service>.<namespace>.svc.cluster.local:<port>/<path>`."""
    match = _CLUSTER_LOCAL_URL.match(url)
    if match is None:
        raise ValueError(f"{url!r} is not an in-cluster Service URL")
    return match["service"], match["namespace"], int(match["port"]), match["path"] or "/"

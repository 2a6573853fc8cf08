"""Emit a `RoutingPlan` as `networking.k8s.io/v1` Ingresses for ingress-nginx.

Everything nginx-specific lives here: the regex path that strips a prefix
(`/forge(/|$)(.*)` rewritten to `/$2`, which needs `pathType:
ImplementationSpecific`), the `app-root` redirect, and the auth, body-size and
timeout annotations. No snippet annotations are ever emitted (they are
disabled by default in ingress-nginx and the policy pack rejects them).

TLS: hosts are listed under `tls` without a `secretName`, so the controller
serves the environment's one certificate as its default
(`--default-ssl-certificate`, see `certificate.py`) and redirects HTTP to HTTPS.

A forward-auth sign-in path gets its own Ingress without the auth
annotations: the `auth-url` annotation protects every location of its
Ingress, and a sign-in page behind its own auth can never be reached.
ingress-nginx orders regex locations by descending length, so the sign-in
path's longer regex is matched before the route's.
"""
from __future__ import annotations

from typing import Optional

import pulumi

from components.routing.plan import PlannedHostRedirect, PlannedRoute, RoutingPlan

NGINX = "nginx.ingress.kubernetes.io"


def nginx_size(size_bytes: int) -> str:
    """Bytes in nginx's units (k, m, g are powers of 1024)."""
    for suffix, factor in (("g", 2**30), ("m", 2**20), ("k", 2**10)):
        if size_bytes % factor == 0:
            return f"{size_bytes // factor}{suffix}"
    return str(size_bytes)


def _tls(host: str, tls: bool) -> Optional[list[dict]]:
    return [{"hosts": [host]}] if tls else None


def _ingress(name: str, namespace: str, host: str, path: str, path_type: str, service: str, port: str,
             ingress_class_name: str, labels: dict[str, str], annotations: dict[str, str], tls: bool) -> dict:
    spec: dict = {
        "ingressClassName": ingress_class_name,
        "rules": [{
            "host": host,
            "http": {"paths": [{
                "path": path,
                "pathType": path_type,
                "backend": {"service": {"name": service, "port": {"name": port}}},
            }]},
        }],
    }
    if tls:
        spec["tls"] = _tls(host, tls)
    return {
        "metadata": {"name": name, "namespace": namespace, "labels": labels,
                     "annotations": dict(sorted(annotations.items()))},
        "spec": spec,
    }


def build_ingress(plan: PlannedRoute, ingress_class_name: str, labels: dict[str, str]) -> dict:
    annotations: dict[str, str] = {}
    if plan.strip_prefix:
        path, path_type = f"{plan.path_prefix}(/|$)(.*)", "ImplementationSpecific"
        annotations[f"{NGINX}/use-regex"] = "true"
        annotations[f"{NGINX}/rewrite-target"] = "/$2"
        # Lets the backend build absolute links under its prefix.
        annotations[f"{NGINX}/x-forwarded-prefix"] = plan.path_prefix
    else:
        path, path_type = "/", "Prefix"
    if plan.redirect_root:
        annotations[f"{NGINX}/app-root"] = f"{plan.path_prefix}/"
    if plan.forward_auth_url is not None:
        annotations[f"{NGINX}/auth-url"] = plan.forward_auth_url
        if plan.forward_auth_signin_url is not None:
            annotations[f"{NGINX}/auth-signin"] = plan.forward_auth_signin_url
        if plan.forward_auth_response_headers:
            annotations[f"{NGINX}/auth-response-headers"] = ",".join(plan.forward_auth_response_headers)
    idle = plan.idle_timeout_seconds
    if plan.websocket_timeout_seconds is not None:
        # ingress-nginx upgrades WebSockets by itself; without these the
        # connection is cut after the default 60 s of silence.
        idle = max(idle or 0, plan.websocket_timeout_seconds)
    if idle is not None:
        annotations[f"{NGINX}/proxy-read-timeout"] = str(idle)
        annotations[f"{NGINX}/proxy-send-timeout"] = str(idle)
    if plan.request_body_size_bytes is not None:
        annotations[f"{NGINX}/proxy-body-size"] = nginx_size(plan.request_body_size_bytes)
    return _ingress(plan.name, plan.namespace, plan.host, path, path_type, plan.service, plan.port,
                    ingress_class_name, labels, annotations, plan.tls)


def build_signin_ingress(plan: PlannedRoute, ingress_class_name: str, labels: dict[str, str]) -> dict:
    """The sign-in path of a forward-auth route, served without auth."""
    assert plan.forward_auth_signin_path is not None
    annotations: dict[str, str] = {}
    if plan.strip_prefix:
        backend_path = plan.forward_auth_signin_path[len(plan.path_prefix.rstrip("/")):]
        path, path_type = f"{plan.forward_auth_signin_path}(/|$)(.*)", "ImplementationSpecific"
        annotations[f"{NGINX}/use-regex"] = "true"
        annotations[f"{NGINX}/rewrite-target"] = f"{backend_path}$1$2"
        annotations[f"{NGINX}/x-forwarded-prefix"] = plan.path_prefix
    else:
        path, path_type = plan.forward_auth_signin_path, "Prefix"
    return _ingress(f"{plan.name}-signin", plan.namespace, plan.host, path, path_type, plan.service, plan.port,
                    ingress_class_name, labels, annotations, plan.tls)


def build_host_redirect_ingress(redirect: PlannedHostRedirect, ingress_class_name: str,
                                labels: dict[str, str]) -> dict:
    """Subdomain mode's bare host, redirected (302) to the root route's host."""
    scheme = "https" if redirect.tls else "http"
    annotations = {f"{NGINX}/temporal-redirect": f"{scheme}://{redirect.target_host}/"}
    # The backend is required by the API and never called: the redirect answers first.
    return _ingress("root-redirect", redirect.namespace, redirect.host, "/", "Prefix", redirect.service,
                    redirect.port, ingress_class_name, labels, annotations, redirect.tls)


def build_ingresses(plan: RoutingPlan, ingress_class_name: str, labels: dict[str, str]) -> list[dict]:
    manifests = []
    for route in plan.routes:
        manifests.append(build_ingress(route, ingress_class_name, labels))
        if route.forward_auth_signin_path is not None:
            manifests.append(build_signin_ingress(route, ingress_class_name, labels))
    if plan.host_redirect is not None:
        manifests.append(build_host_redirect_ingress(plan.host_redirect, ingress_class_name, labels))
    return manifests


def emit_ingress_nginx(plan: RoutingPlan, ingress_class_name: str, labels: dict[str, str],
                       opts: pulumi.ResourceOptions) -> None:
    import pulumi_kubernetes as k8s

    for manifest in build_ingresses(plan, ingress_class_name, labels):
        k8s.networking.v1.Ingress(
            f"{manifest['metadata']['name']}-ingress", metadata=manifest["metadata"], spec=manifest["spec"],
            opts=opts)

"""Emit a `PlannedRoute` as a `networking.k8s.io/v1` Ingress for ingress-nginx.

Everything nginx-specific lives here: the regex path that strips a prefix
(`/forge(/|$)(.*)` rewritten to `/$2`, which needs `pathType:
ImplementationSpecific`), the `app-root` redirect, and the auth and timeout
annotations. No snippet annotations are ever emitted (they are disabled by
default in ingress-nginx and the policy pack rejects them).
"""
from __future__ import annotations

from .routing import PlannedRoute

NGINX = "nginx.ingress.kubernetes.io"
CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"


def tls_secret_name(host: str) -> str:
    return f"{host.replace('.', '-')}-tls"


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
    if plan.websocket_timeout_seconds is not None:
        # ingress-nginx upgrades WebSockets by itself; without these the
        # connection is cut after the default 60 s of silence.
        annotations[f"{NGINX}/proxy-read-timeout"] = str(plan.websocket_timeout_seconds)
        annotations[f"{NGINX}/proxy-send-timeout"] = str(plan.websocket_timeout_seconds)
    spec: dict = {
        "ingressClassName": ingress_class_name,
        "rules": [{
            "host": plan.host,
            "http": {"paths": [{
                "path": path,
                "pathType": path_type,
                "backend": {"service": {"name": plan.service, "port": {"name": plan.port}}},
            }]},
        }],
    }
    if plan.tls_cluster_issuer is not None:
        annotations[CLUSTER_ISSUER_ANNOTATION] = plan.tls_cluster_issuer
        spec["tls"] = [{"hosts": [plan.host], "secretName": tls_secret_name(plan.host)}]
    return {
        "metadata": {
            "name": plan.name,
            "namespace": plan.namespace,
            "labels": labels,
            "annotations": dict(sorted(annotations.items())),
        },
        "spec": spec,
    }

"""Routing: the two modes, the nginx emitter, and the one-key switch between modes."""
from __future__ import annotations

import pytest
import yaml

from components.config_model import ConfigError, validate_config
from components.ingress_nginx import build_ingress
from components.routing import RoutingSpec, check_routing, plan_routes
from components.single_writer_deployment import SingleWriterSpec
from stack_file_edits import edit_stack_file

SERVICE = {"resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}},
           "data": {"claimName": "d", "size": "1Gi"}, "ports": [{"name": "http", "containerPort": 8080}]}
SERVICES = {name: validate_config(SingleWriterSpec, {**SERVICE, "namespace": name}) for name in ("forge", "chat")}
ROUTING = {
    "host": "edge.example.org", "tls": {"clusterIssuer": "letsencrypt"}, "rootRoute": "forge",
    "routes": {
        "forge": {"service": "forge"},
        "chat": {"service": "chat", "forwardAuth": {"url": "http://auth.chat.svc:8080/verify", "signinPath": "/login",
                                                    "responseHeaders": ["X-User"]},
                 "websocket": {"timeoutSeconds": 600}},
    },
}


def _ingresses(mode: str) -> dict[str, dict]:
    routing = validate_config(RoutingSpec, {**ROUTING, "mode": mode})
    return {plan.name: build_ingress(plan, "nginx", {}) for plan in plan_routes(routing, SERVICES)}


def test_subpath_mode_strips_the_prefix_with_a_regex_path_and_redirects_root():
    ingresses = _ingresses("subpath")
    forge = ingresses["forge"]
    (rule,) = forge["spec"]["rules"]
    assert rule["host"] == "edge.example.org"
    (path,) = rule["http"]["paths"]
    assert path == {"path": "/forge(/|$)(.*)", "pathType": "ImplementationSpecific",
                    "backend": {"service": {"name": "forge", "port": {"name": "http"}}}}
    annotations = forge["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/rewrite-target"] == "/$2"
    assert annotations["nginx.ingress.kubernetes.io/use-regex"] == "true"
    assert annotations["nginx.ingress.kubernetes.io/app-root"] == "/forge/"
    assert annotations["cert-manager.io/cluster-issuer"] == "letsencrypt"
    assert forge["spec"]["tls"] == [{"hosts": ["edge.example.org"], "secretName": "edge-example-org-tls"}]
    assert forge["metadata"]["namespace"] == "forge"
    assert "nginx.ingress.kubernetes.io/app-root" not in ingresses["chat"]["metadata"]["annotations"]


def test_forward_auth_and_websocket_timeouts_are_per_route():
    chat = _ingresses("subpath")["chat"]["metadata"]["annotations"]
    assert chat["nginx.ingress.kubernetes.io/auth-url"] == "http://auth.chat.svc:8080/verify"
    assert chat["nginx.ingress.kubernetes.io/auth-signin"] == "https://edge.example.org/chat/login"
    assert chat["nginx.ingress.kubernetes.io/auth-response-headers"] == "X-User"
    assert chat["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "600"
    forge = _ingresses("subpath")["forge"]["metadata"]["annotations"]
    assert not any("auth-" in key or "proxy-" in key for key in forge)


def test_subdomain_mode_gives_each_route_its_host_at_root():
    chat = _ingresses("subdomain")["chat"]
    (rule,) = chat["spec"]["rules"]
    assert rule["host"] == "chat.edge.example.org"
    assert rule["http"]["paths"][0]["path"] == "/" and rule["http"]["paths"][0]["pathType"] == "Prefix"
    annotations = chat["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/auth-signin"] == "https://chat.edge.example.org/login"
    assert "nginx.ingress.kubernetes.io/rewrite-target" not in annotations
    assert chat["spec"]["tls"] == [{"hosts": ["chat.edge.example.org"], "secretName": "chat-edge-example-org-tls"}]


def test_no_snippet_annotation_is_ever_emitted():
    for mode in ("subpath", "subdomain"):
        for ingress in _ingresses(mode).values():
            assert not any(key.endswith("-snippet") for key in ingress["metadata"]["annotations"])


@pytest.mark.parametrize("change, environment, expected", [
    ({"tls": None}, "prod", ["routing.tls: required in prod (set routing.tls.clusterIssuer)"]),
    ({"rootRoute": "ci"}, "staging", ["routing.rootRoute: 'ci' is not a route (routes: ['chat', 'forge'])"]),
    ({"routes": {"forge": {"service": "forge", "port": "web"}}}, "staging",
     ["routing.routes.forge.port: 'web' is not a port of service 'forge' (ports: ['http']; "
      "add it under services.forge.ports)"]),
    ({"routes": {"ci": {"service": "woodpecker"}}, "rootRoute": None}, "staging",
     ["routing.routes.ci.service: 'woodpecker' is not a service (services: ['chat', 'forge'])"]),
])
def test_routing_rules(change, environment, expected):
    routing = validate_config(RoutingSpec, {**ROUTING, **change})
    assert check_routing(routing, SERVICES, environment) == expected


def test_regex_characters_in_a_prefix_are_refused():
    with pytest.raises(ConfigError) as raised:
        validate_config(RoutingSpec, {**ROUTING, "routes": {"forge": {"service": "forge", "path": "/forge.*"}}})
    assert raised.value.problems == [
        "routes.forge.path: '/forge.*' must be a path prefix such as /forge (lowercase, no regex characters)"]


def test_switching_the_mode_in_a_config_copy_changes_only_the_ingress_hosts(scratch_project, rendered):
    from stackctl.render import render_stack

    def to_subdomain(config):
        config["routing"]["mode"] = "subdomain"
    copy = edit_stack_file(scratch_project / "Pulumi.staging.yaml", scratch_project / "subdomain.yaml", to_subdomain)
    render_stack("staging", scratch_project / "out", config_file=copy, root=scratch_project)
    original = rendered["staging"][1]
    before = {str(p.relative_to(original)): p.read_text() for p in original.rglob("*.yaml")}
    after = {str(p.relative_to(scratch_project / "out")): p.read_text() for p in (scratch_project / "out").rglob("*.yaml")}
    assert sorted(before) == sorted(after)
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == ["chat/Ingress-chat.yaml", "forge/Ingress-forge.yaml", "memql/Ingress-identity.yaml",
                       "memql/Ingress-memql-audio.yaml", "memql/Ingress-memql.yaml"]
    hosts = sorted(yaml.safe_load(after[name])["spec"]["rules"][0]["host"] for name in changed)
    assert hosts == ["chat.platform.staging.sunbeam.pt", "forge.platform.staging.sunbeam.pt",
                     "identity.platform.staging.sunbeam.pt", "memql-audio.platform.staging.sunbeam.pt",
                     "memql.platform.staging.sunbeam.pt"]

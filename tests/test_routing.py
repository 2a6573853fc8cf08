"""Routing: the two modes, both implementations, route validation, route references and the one certificate.

Golden renders of the four combinations (ingressNginx or gatewayApi, subpath
or subdomain) hold the routing objects and every Deployment and ConfigMap, so
a review sees the apps' URLs move with the routes. Refresh them after an
intended change with `STACKCTL_REFRESH_ROUTING_GOLDEN=1 .venv/bin/python -m
pytest tests/test_routing.py -k golden` and review the diff.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from config_models.base import ConfigError, validate_config
from components.routing.gateway_api import build_gateway_api_objects
from components.routing.ingress_nginx import build_ingresses
from stack_checks.route_references import reference_problems, route_addresses, substitute
from config_models.routing import RoutingSpec
from stack_checks.routing import check_routing
from components.routing.plan import plan_routing
from config_models.workloads.single_writer import SingleWriterSpec
from stack_file_edits import edit_stack_file

GOLDEN = Path(__file__).parent / "golden" / "routing"
ROUTING_KINDS = {"Ingress", "HTTPRoute", "Gateway", "Certificate", "SecurityPolicy", "BackendTrafficPolicy"}
SERVICE = {"resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}},
           "data": {"claimName": "d", "size": "1Gi"}, "ports": [{"name": "http", "containerPort": 8080}]}
SERVICES = {name: validate_config(SingleWriterSpec, {**SERVICE, "namespace": name}) for name in ("forge", "chat")}
ROUTING = {
    "host": "edge.example.org", "edgeNamespace": "edge", "tls": {"clusterIssuer": "letsencrypt"},
    "rootRoute": "forge",
    "routes": {
        "forge": {"service": "forge", "requestBodySize": "512Mi"},
        "chat": {"service": "chat",
                 "forwardAuth": {"url": "http://auth.chat.svc.cluster.local:8080/verify", "signinPath": "/login",
                                 "responseHeaders": ["X-User"]},
                 "websocket": {"timeoutSeconds": 600}},
    },
}
NAMESPACES = {"edge", "forge", "chat"}


def _routing(**change) -> RoutingSpec:
    return validate_config(RoutingSpec, {**ROUTING, **change})


def _ingresses(mode: str) -> dict[str, dict]:
    plan = plan_routing(_routing(mode=mode), SERVICES)
    return {ingress["metadata"]["name"]: ingress for ingress in build_ingresses(plan, "nginx", {})}


# ingress-nginx

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
    assert annotations["nginx.ingress.kubernetes.io/app-root"] == "/forge/"
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "512m"
    # The environment's one certificate is the controller's default: no secretName, no per-Ingress order.
    assert forge["spec"]["tls"] == [{"hosts": ["edge.example.org"]}]
    assert not any(key.startswith("cert-manager.io/") for key in annotations)
    assert "nginx.ingress.kubernetes.io/app-root" not in ingresses["chat"]["metadata"]["annotations"]


def test_forward_auth_protects_the_route_and_serves_its_sign_in_path_without_auth():
    ingresses = _ingresses("subpath")
    chat = ingresses["chat"]["metadata"]["annotations"]
    assert chat["nginx.ingress.kubernetes.io/auth-url"] == "http://auth.chat.svc.cluster.local:8080/verify"
    assert chat["nginx.ingress.kubernetes.io/auth-signin"] == "https://edge.example.org/chat/login"
    assert chat["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "600"
    signin = ingresses["chat-signin"]
    assert not any("auth-" in key for key in signin["metadata"]["annotations"])
    (path,) = signin["spec"]["rules"][0]["http"]["paths"]
    assert path["path"] == "/chat/login(/|$)(.*)"
    assert signin["metadata"]["annotations"]["nginx.ingress.kubernetes.io/rewrite-target"] == "/login$1$2"
    # ingress-nginx tries regex locations longest first: the sign-in path must be the longer one.
    route_path = ingresses["chat"]["spec"]["rules"][0]["http"]["paths"][0]["path"]
    assert len(path["path"]) > len(route_path)


def test_subdomain_mode_gives_each_route_its_host_and_redirects_the_bare_host_to_the_root_route():
    ingresses = _ingresses("subdomain")
    (rule,) = ingresses["chat"]["spec"]["rules"]
    assert rule["host"] == "chat.edge.example.org"
    assert rule["http"]["paths"][0] == {"path": "/", "pathType": "Prefix",
                                        "backend": {"service": {"name": "chat", "port": {"name": "http"}}}}
    assert ingresses["chat-signin"]["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/login"
    redirect = ingresses["root-redirect"]
    assert redirect["spec"]["rules"][0]["host"] == "edge.example.org"
    assert redirect["metadata"]["annotations"] == {
        "nginx.ingress.kubernetes.io/temporal-redirect": "https://forge.edge.example.org/"}


def test_no_snippet_annotation_is_ever_emitted():
    for mode in ("subpath", "subdomain"):
        for ingress in _ingresses(mode).values():
            assert not any(key.endswith("-snippet") for key in ingress["metadata"]["annotations"])


# Gateway API

def _gateway_objects(mode: str, **change) -> dict[tuple[str, str], dict]:
    routes = {**ROUTING["routes"], "chat": {**ROUTING["routes"]["chat"], "forwardAuth": {
        "url": "http://auth.chat.svc.cluster.local:8080/verify", "responseHeaders": ["X-User"]}}}
    routing = _routing(mode=mode, implementation="gatewayApi", routes=routes, **change)
    objects = build_gateway_api_objects(plan_routing(routing, SERVICES), routing, {})
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def test_gateway_terminates_tls_per_host_with_the_one_certificate_and_admits_only_the_routes_namespaces():
    gateway = _gateway_objects("subdomain")[("Gateway", "platform")]
    assert gateway["metadata"]["namespace"] == "edge"
    listeners = {listener["hostname"]: listener for listener in gateway["spec"]["listeners"]}
    assert sorted(listeners) == ["chat.edge.example.org", "edge.example.org", "forge.edge.example.org"]
    for listener in listeners.values():
        assert listener["protocol"] == "HTTPS" and listener["port"] == 443
        assert listener["tls"] == {"mode": "Terminate", "certificateRefs": [
            {"group": "", "kind": "Secret", "name": "edge-example-org-tls"}]}
        assert listener["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]["values"] == [
            "chat", "forge"]


def test_subpath_http_route_rewrites_the_prefix_and_redirects_root():
    forge = _gateway_objects("subpath")[("HTTPRoute", "forge")]
    assert forge["spec"]["parentRefs"] == [{
        "group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "platform", "namespace": "edge",
        "sectionName": "https-edge-example-org"}]
    route_rule, root_rule = forge["spec"]["rules"]
    assert route_rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/forge"}}]
    assert route_rule["filters"] == [{"type": "URLRewrite", "urlRewrite": {
        "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}]
    assert route_rule["backendRefs"] == [{"name": "forge", "port": 8080}]
    assert root_rule["filters"][0]["requestRedirect"]["path"] == {"type": "ReplaceFullPath", "replaceFullPath": "/forge/"}


def test_envoy_gateway_policies_carry_forward_auth_body_size_and_idle_timeouts():
    objects = _gateway_objects("subdomain")
    auth = objects[("SecurityPolicy", "chat-forward-auth")]["spec"]
    assert auth["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "chat"}]
    assert auth["extAuth"]["http"] == {"backendRefs": [{"name": "auth", "port": 8080}], "path": "/verify",
                                       "headersToBackend": ["X-User"]}
    assert objects[("BackendTrafficPolicy", "forge-traffic")]["spec"]["requestBuffer"] == {"limit": "512Mi"}
    assert objects[("BackendTrafficPolicy", "chat-traffic")]["spec"]["timeout"] == {
        "http": {"streamIdleTimeout": "600s"}}
    redirect = objects[("HTTPRoute", "root-redirect")]
    assert redirect["spec"]["hostnames"] == ["edge.example.org"]
    assert redirect["spec"]["rules"][0]["filters"][0]["requestRedirect"] == {
        "hostname": "forge.edge.example.org", "statusCode": 302}


# Validation

@pytest.mark.parametrize("change, environment, expected", [
    ({"tls": None}, "prod", ["routing.tls: required in prod (set routing.tls.clusterIssuer)"]),
    ({"rootRoute": "ci"}, "staging", ["routing.rootRoute: 'ci' is not a route (routes: ['chat', 'forge'])"]),
    ({"routes": {"forge": {"service": "forge", "port": "web"}}}, "staging",
     ["routing.routes.forge.port: 'web' is not a port of service 'forge' (ports: ['http']; "
      "add it under services.forge.ports)"]),
    ({"routes": {"ci": {"service": "woodpecker"}}, "rootRoute": None}, "staging",
     ["routing.routes.ci.service: 'woodpecker' is not a service (services: ['chat', 'forge'])"]),
    ({"edgeNamespace": None}, "staging",
     ["routing.edgeNamespace: required with routing.tls or the gatewayApi implementation (a namespace under "
      "`namespaces` for the certificate and the Gateway)"]),
    ({"edgeNamespace": "ingress"}, "staging",
     ["routing.edgeNamespace: 'ingress' is not declared under namespaces (declared: ['chat', 'edge', 'forge'])"]),
    ({"routes": {"forge": {"service": "forge"}, "git": {"service": "forge", "path": "/forge"}}}, "staging",
     ["routing.routes.git.path: edge.example.org/forge is already routed by route 'forge' (a host and path can "
      "be claimed by one route only)"]),
    ({"mode": "subdomain", "routes": {"forge": {"service": "forge"}, "git": {"service": "forge",
                                                                             "subdomain": "forge"}}}, "staging",
     ["routing.routes.git.subdomain: forge.edge.example.org/ is already routed by route 'forge' (a host and path "
      "can be claimed by one route only)"]),
    ({"routes": {"forge": {"service": "forge"}, "chat": {
        "service": "chat", "path": "/forge/login"}, "auth": {
        "service": "chat", "path": "/forge", "forwardAuth": {"url": "http://a.b.svc:1/", "signinPath": "/login"}}},
      "rootRoute": None}, "staging",
     ["routing.routes.chat.path: edge.example.org/forge/login is already routed by the sign-in path of route "
      "'auth' (a host and path can be claimed by one route only)",
      "routing.routes.forge.path: edge.example.org/forge is already routed by route 'auth' (a host and path can be "
      "claimed by one route only)"]),
    ({"routes": {**ROUTING["routes"], "forge": {"service": "forge", "timeouts": {"requestSeconds": 30}}}}, "staging",
     ["routing.routes.forge.timeouts.requestSeconds: 30 cannot be expressed by routing.implementation ingressNginx "
      "(ingress-nginx has no whole-request timeout, only idle timeouts between reads (use timeouts.idleSeconds))"]),
    ({"implementation": ["ingressNginx", "gatewayApi"]}, "staging",
     ["routing.routes.chat.forwardAuth.signinPath: '/login' cannot be expressed by routing.implementation "
      "gatewayApi (Envoy Gateway's extAuth returns the auth service's own denial; it cannot redirect to a "
      "sign-in page (make the auth service answer 302 itself))"]),
    ({"implementation": "gatewayApi", "routes": {"chat": {
        "service": "chat", "requestBodySize": "10Mi", "websocket": {},
        "forwardAuth": {"url": "https://auth.example.org/verify"}}}, "rootRoute": None}, "staging",
     ["routing.routes.chat.requestBodySize: '10Mi' cannot be expressed by routing.implementation gatewayApi "
      "(Envoy Gateway's request buffer, which enforces the body size, turns off WebSocket upgrades on the route "
      "(split the route, or drop one))",
      "routing.routes.chat.forwardAuth.url: 'https://auth.example.org/verify' is not an in-cluster Service URL, "
      "which the gatewayApi implementation needs for its extAuth backend "
      "(http://<service>.<namespace>.svc.cluster.local:<port>/<path>)"]),
])
def test_routing_rules(change, environment, expected):
    assert check_routing(_routing(**change), SERVICES, environment, NAMESPACES) == expected


def test_a_subdomain_route_cannot_take_the_bare_host_the_root_redirect_answers():
    # The bare host is claimed by the rootRoute redirect, so a route on it would be a second claim;
    # a route's host is always <label>.<host>, so the only way to collide is another route's label.
    assert check_routing(_routing(mode="subdomain"), SERVICES, "staging", NAMESPACES) == []


@pytest.mark.parametrize("data, message", [
    ({"routes": {"forge": {"service": "forge", "path": "/forge.*"}}},
     "routes.forge.path: '/forge.*' must be a path prefix such as /forge (lowercase, no regex characters)"),
    ({"routes": {"forge": {"service": "forge", "requestBodySize": "lots"}}},
     "routes.forge.requestBodySize: 'lots' is not a Kubernetes quantity such as 1Gi, 512Mi, 100m or 0.5"),
    ({"implementation": "traefik"},
     "implementation[0]: 'traefik' is invalid: Input should be 'ingressNginx' or 'gatewayApi'"),
])
def test_bad_route_values_are_refused(data, message):
    with pytest.raises(ConfigError) as raised:
        validate_config(RoutingSpec, {**ROUTING, **data})
    assert raised.value.problems == [message]


# Route references

def test_route_addresses_follow_the_mode_and_the_scheme():
    assert route_addresses(_routing(mode="subpath"))["forge"].__dict__ == {
        "url": "https://edge.example.org/forge/", "host": "edge.example.org", "path": "/forge"}
    assert route_addresses(_routing(mode="subdomain"))["forge"].__dict__ == {
        "url": "https://forge.edge.example.org/", "host": "forge.edge.example.org", "path": "/"}
    assert route_addresses(_routing(tls=None))["chat"].url == "http://edge.example.org/chat/"


def test_references_are_substituted_checked_and_escapable():
    addresses = route_addresses(_routing())
    text = "ROOT_URL = ${route.forge.url}\n; literal: $${route.forge.url}\n"
    assert reference_problems(text, "key", addresses) == []
    assert substitute(text, addresses) == "ROOT_URL = https://edge.example.org/forge/\n; literal: ${route.forge.url}\n"
    assert reference_problems("${route.ci.url} ${route.forge.port}", "services.x.env.A", addresses) == [
        "services.x.env.A: '${route.ci.url}' refers to route 'ci', which does not exist (routes: ['chat', 'forge'])",
        "services.x.env.A: '${route.forge.port}' asks for 'port' of route 'forge' (fields: url, host, path)",
    ]


def test_an_unknown_reference_in_a_stack_is_refused_naming_the_key(scratch_project, project_root):
    from stack_checks.load import load_stack

    bad = edit_stack_file(scratch_project / "Pulumi.staging.yaml", scratch_project / "bad.yaml",
                          lambda c: c["services"]["chat"]["env"].__setitem__("CHAT_BASE_PATH", "${route.chats.path}"))
    with pytest.raises(ConfigError) as raised:
        load_stack(scratch_project, "staging", bad)
    assert raised.value.problems == [
        "services.chat.env.CHAT_BASE_PATH: '${route.chats.path}' refers to route 'chats', which does not exist "
        "(routes: ['chat', 'forge', 'identity', 'memql', 'memql-audio'])"]


# The real stacks, in every mode and implementation

def _render_variant(scratch_project: Path, implementation: str, mode: str) -> Path:
    from stackctl.render import render_stack

    def edit(config):
        config["routing"]["mode"] = mode
        config["routing"]["implementation"] = implementation
        if implementation == "gatewayApi":
            # Envoy Gateway cannot redirect to a sign-in page; the auth service answers 302 itself.
            del config["routing"]["routes"]["chat"]["forwardAuth"]["signinPath"]
    copy = edit_stack_file(scratch_project / "Pulumi.staging.yaml", scratch_project / f"{implementation}-{mode}.yaml",
                           edit)
    out = scratch_project / f"out-{implementation}-{mode}"
    render_stack("staging", out, config_file=copy, root=scratch_project)
    return out


def _routing_and_apps(out: Path) -> dict[str, str]:
    files = {}
    for path in sorted(out.rglob("*.yaml")):
        relative = str(path.relative_to(out))
        kind = path.name.split("-", 1)[0]
        if kind in ROUTING_KINDS | {"ConfigMap", "Deployment"}:
            files[relative] = path.read_text()
    return files


VARIANTS = [(implementation, mode) for implementation in ("ingressNginx", "gatewayApi")
            for mode in ("subpath", "subdomain")]


@pytest.mark.parametrize("implementation, mode", VARIANTS)
def test_each_mode_and_implementation_renders_as_its_golden_files(implementation, mode, scratch_project):
    actual = _routing_and_apps(_render_variant(scratch_project, implementation, mode))
    golden = GOLDEN / f"{implementation}-{mode}"
    if os.environ.get("STACKCTL_REFRESH_ROUTING_GOLDEN") == "1":
        shutil.rmtree(golden, ignore_errors=True)
        for name, text in actual.items():
            (golden / name).parent.mkdir(parents=True, exist_ok=True)
            (golden / name).write_text(text)
    expected = {str(p.relative_to(golden)): p.read_text() for p in sorted(golden.rglob("*.yaml"))}
    assert sorted(actual) == sorted(expected), "see the module docstring to refresh the routing goldens"
    for name in expected:
        assert actual[name] == expected[name], f"{implementation}-{mode}/{name} differs from its golden file"


def test_switching_the_mode_moves_every_apps_urls_with_the_routes():
    def text(variant: str, name: str) -> str:
        return (GOLDEN / variant / name).read_text()
    forge_config = "forge/ConfigMap-forge-config.yaml"
    assert "ROOT_URL = https://platform.staging.sunbeam.pt/forge/" in text("ingressNginx-subpath", forge_config)
    assert "DOMAIN = platform.staging.sunbeam.pt" in text("ingressNginx-subpath", forge_config)
    assert "ROOT_URL = https://forge.platform.staging.sunbeam.pt/" in text("ingressNginx-subdomain", forge_config)
    assert "DOMAIN = forge.platform.staging.sunbeam.pt" in text("ingressNginx-subdomain", forge_config)
    chat = "chat/Deployment-chat.yaml"
    assert "value: /chat\n" in text("ingressNginx-subpath", chat)
    assert "value: /\n" in text("ingressNginx-subdomain", chat)
    bff = "memql/Deployment-memql-bff.yaml"
    assert "https://platform.staging.sunbeam.pt/memql/" in text("ingressNginx-subpath", bff)
    assert "https://memql.platform.staging.sunbeam.pt/" in text("ingressNginx-subdomain", bff)
    # The URL is in the pod template, so pods restart onto the new address.
    assert text("ingressNginx-subpath", bff) != text("ingressNginx-subdomain", bff)
    # The implementation changes the routing objects only, never the apps.
    for mode in ("subpath", "subdomain"):
        assert text(f"ingressNginx-{mode}", forge_config) == text(f"gatewayApi-{mode}", forge_config)


@pytest.mark.parametrize("implementation, mode", VARIANTS)
def test_exactly_one_certificate_is_requested_per_host(implementation, mode):
    golden = GOLDEN / f"{implementation}-{mode}"
    documents = [yaml.safe_load(path.read_text()) for path in golden.rglob("*.yaml")]
    certificates = [d for d in documents if d["kind"] == "Certificate"]
    requested = [host for certificate in certificates for host in certificate["spec"]["dnsNames"]]
    assert len(requested) == len(set(requested)), "a host is requested twice"
    served = set()
    for document in documents:
        if document["kind"] == "Ingress":
            served |= {rule["host"] for rule in document["spec"]["rules"]}
            assert "secretName" not in str(document["spec"]["tls"])
            assert not any(k.startswith("cert-manager.io/") for k in document["metadata"].get("annotations", {}))
        elif document["kind"] == "Gateway":
            served |= {listener["hostname"] for listener in document["spec"]["listeners"]}
    assert served and served == set(requested)

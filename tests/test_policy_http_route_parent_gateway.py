"""http-route-parent-gateway: the forge HTTPRoute attached to the edge Gateway's forge listener passes; one field changes per case."""
from pathlib import Path

import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.http_route_parent_gateway import POLICY

GOLDEN = Path(__file__).resolve().parent / "golden" / "routing"
FORGE = "HTTPRoute 'forge/forge'"
NOT_IN_STACK = "must name a Gateway of the stack."
PARENT = "Gateway 'edge/platform' sectionName 'https-forge'"


def gateway(path=None, value=None):
    listeners = [{"name": f"https-{name}", "hostname": f"{name}.sunbeam.pt", "port": 443, "protocol": "HTTPS",
                  "tls": {"mode": "Terminate", "certificateRefs": [{"group": "", "kind": "Secret", "name": "platform-tls"}]}}
                 for name in ("chat", "forge")]
    manifest = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                "metadata": {"name": "platform", "namespace": "edge"},
                "spec": {"gatewayClassName": "envoy-gateway", "listeners": listeners}}
    return manifest if path is None else offline.changed(manifest, path, value)


def route(path=None, value=None):
    manifest = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                "metadata": {"name": "forge", "namespace": "forge"},
                "spec": {"hostnames": ["forge.sunbeam.pt"],
                         "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "platform",
                                         "namespace": "edge", "sectionName": "https-forge"}],
                         "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                                    "backendRefs": [{"name": "forge", "port": 3000}]}]}}
    return manifest if path is None else offline.changed(manifest, path, value)


def check(*manifests):
    return offline.check_stack(POLICY, [offline.resource_from_manifest(manifest) for manifest in manifests])


def reported(*problems):
    return [("forge/forge", f"{FORGE} spec.parentRefs{problem}") for problem in problems]


def test_route_attached_to_its_listener_passes():
    assert check(gateway(), route()) == []


@pytest.mark.parametrize("path, value", [
    ("spec.parentRefs.0.sectionName", offline.DELETE),
    ("spec.parentRefs.0.group", offline.DELETE),  # the API's defaults: gateway.networking.k8s.io, Gateway
    ("spec.parentRefs.0.kind", offline.DELETE),
    ("spec.hostnames", offline.DELETE),  # the route takes the listener's hostname
    ("spec.hostnames", []),
    ("spec.hostnames", ["git.sunbeam.pt", "forge.sunbeam.pt"]),
    ("spec.hostnames", ["*.sunbeam.pt"]),
])
def test_other_resolving_parents_pass(path, value):
    assert check(gateway(), route(path, value)) == []


@pytest.mark.parametrize("path, value", [
    ("spec.listeners.1.hostname", offline.DELETE),
    ("spec.listeners.1.hostname", "*.sunbeam.pt"),
])
def test_listener_serving_every_or_a_wildcard_host_passes(path, value):
    assert check(gateway(path, value), route()) == []


def test_parent_in_the_route_namespace_by_default_passes():
    local = offline.changed(gateway("metadata.namespace", "forge"), "metadata.name", "local")
    assert check(local, route("spec.parentRefs.0", {"name": "local"})) == []


@pytest.mark.parametrize("refs, shown", [(offline.DELETE, "unset"), ([], "[]"), (UNKNOWN_ARRAY_VALUE, "unknown at preview")])
def test_route_without_parents_is_reported(refs, shown):
    assert check(gateway(), route("spec.parentRefs", refs)) == [
        ("forge/forge", f"{FORGE} spec.parentRefs ({shown}) {NOT_IN_STACK}")]


def test_parent_gateway_outside_the_stack_is_reported():
    assert check(route()) == reported(f"[0] ({PARENT}) {NOT_IN_STACK}")


@pytest.mark.parametrize("path, value, parent", [
    ("spec.parentRefs.0.name", "other", "Gateway 'edge/other' sectionName 'https-forge'"),
    ("spec.parentRefs.0.namespace", offline.DELETE, "Gateway 'forge/platform' sectionName 'https-forge'"),
    ("spec.parentRefs.0.kind", "Service", "Service 'edge/platform' sectionName 'https-forge'"),
    ("spec.parentRefs.0.group", "", "Gateway 'edge/platform' sectionName 'https-forge'"),
    ("spec.parentRefs.0.group", "example.org", "Gateway.example.org 'edge/platform' sectionName 'https-forge'"),
])
def test_parent_that_is_not_a_gateway_of_the_stack_is_reported(path, value, parent):
    assert check(gateway(), route(path, value)) == reported(f"[0] ({parent}) {NOT_IN_STACK}")


@pytest.mark.parametrize("path, parent", [
    ("spec.parentRefs.0.name", "Gateway 'edge/<unknown>' sectionName 'https-forge'"),
    ("spec.parentRefs.0.namespace", "Gateway '<unknown>/platform' sectionName 'https-forge'"),
])
def test_unknown_parent_is_reported(path, parent):
    assert check(gateway(), route(path, UNKNOWN_STRING_VALUE)) == reported(
        f"[0] ({parent}, unknown at preview) {NOT_IN_STACK}")


def test_unknown_parent_entry_is_reported():
    assert check(gateway(), route("spec.parentRefs.0", UNKNOWN_OBJECT_VALUE)) == reported(
        f"[0] (unknown at preview) {NOT_IN_STACK}")


def test_missing_listener_is_reported():
    assert check(gateway(), route("spec.parentRefs.0.sectionName", "https-git")) == reported(
        "[0] (Gateway 'edge/platform' sectionName 'https-git') must name a listener of that Gateway.")


def test_unknown_section_name_is_reported():
    assert check(gateway(), route("spec.parentRefs.0.sectionName", UNKNOWN_STRING_VALUE)) == reported(
        "[0] (Gateway 'edge/platform' sectionName unknown at preview) must name a listener of that Gateway.")


@pytest.mark.parametrize("listeners", [UNKNOWN_ARRAY_VALUE, [UNKNOWN_OBJECT_VALUE]])
def test_unknown_listeners_are_reported(listeners):
    assert check(gateway("spec.listeners", listeners), route()) == reported(
        f"[0] ({PARENT}) must name a listener of that Gateway (its listeners are unknown at preview).")


@pytest.mark.parametrize("hostnames, shown", [
    (["git.sunbeam.pt"], '["git.sunbeam.pt"]'),
    (["forge.example.org"], '["forge.example.org"]'),
    (["*.forge.sunbeam.pt"], '["*.forge.sunbeam.pt"]'),
    (UNKNOWN_ARRAY_VALUE, "unknown at preview"),
    ([UNKNOWN_STRING_VALUE], '["unknown at preview"]'),
])
def test_listener_of_another_host_is_reported(hostnames, shown):
    assert check(gateway(), route("spec.hostnames", hostnames)) == reported(
        f"[0] ({PARENT}) must name a listener whose hostname ('forge.sunbeam.pt') matches one of spec.hostnames "
        f"({shown}).")


def test_unknown_listener_hostname_is_reported():
    assert check(gateway("spec.listeners.1.hostname", UNKNOWN_STRING_VALUE), route()) == reported(
        f"[0] ({PARENT}) must name a listener whose hostname (unknown at preview) matches one of spec.hostnames "
        '(["forge.sunbeam.pt"]).')


def test_wildcard_listener_does_not_serve_its_bare_domain():
    bare = route("spec.hostnames", ["sunbeam.pt"])
    assert check(gateway("spec.listeners.1.hostname", "*.sunbeam.pt"), bare) == reported(
        f"[0] ({PARENT}) must name a listener whose hostname ('*.sunbeam.pt') matches one of spec.hostnames "
        '(["sunbeam.pt"]).')


def test_one_resolving_parent_is_enough():
    refs = [{"name": "elsewhere", "namespace": "edge"}, route()["spec"]["parentRefs"][0]]
    assert check(gateway(), route("spec.parentRefs", refs)) == []


def test_every_parent_is_reported_when_none_resolves():
    refs = [{"name": "elsewhere", "namespace": "edge"}, {**route()["spec"]["parentRefs"][0], "sectionName": "https-git"}]
    assert check(gateway(), route("spec.parentRefs", refs)) == reported(
        f"[0] (Gateway 'edge/elsewhere') {NOT_IN_STACK}",
        "[1] (Gateway 'edge/platform' sectionName 'https-git') must name a listener of that Gateway.")


def test_routes_of_other_apis_are_not_checked():
    assert check(route("apiVersion", "example.org/v1")) == []


@pytest.mark.parametrize("render", sorted(path.name for path in GOLDEN.glob("gatewayApi-*")))
def test_golden_gateway_renders_pass(render):
    resources = offline.load_manifests(GOLDEN / render)
    assert any(r.resource_type.endswith(":HTTPRoute") for r in resources)
    assert offline.check_stack(POLICY, resources) == []

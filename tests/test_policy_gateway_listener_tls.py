"""gateway-listener-tls: the edge Gateway (one HTTPS listener per host, the environment's certificate) passes; one field changes per case."""
from pathlib import Path

import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.gateway_listener_tls import POLICY

GOLDEN = Path(__file__).resolve().parent / "golden" / "routing"
PLATFORM = "Gateway 'edge/platform'"
FORGE = f"{PLATFORM} listener 'https-forge'"


def listener(name, hostname):
    return {"name": name, "hostname": hostname, "port": 443, "protocol": "HTTPS",
            "allowedRoutes": {"namespaces": {"from": "Selector", "selector": {"matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["chat", "forge"]}]}}},
            "tls": {"mode": "Terminate", "certificateRefs": [{"group": "", "kind": "Secret", "name": "platform-tls"}]}}


def gateway(path=None, value=None):
    manifest = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                "metadata": {"name": "platform", "namespace": "edge"},
                "spec": {"gatewayClassName": "envoy-gateway", "listeners": [
                    listener("https-chat", "chat.sunbeam.pt"), listener("https-forge", "forge.sunbeam.pt")]}}
    return manifest if path is None else offline.changed(manifest, path, value)


def check(manifest):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest)


def test_https_listeners_with_a_certificate_pass():
    assert check(gateway()) == []


@pytest.mark.parametrize("path, value", [
    ("spec.listeners.1.protocol", "TLS"),
    ("spec.listeners.1.tls.mode", offline.DELETE),  # Terminate is the API's default
    ("spec.listeners.1.hostname", offline.DELETE),
])
def test_other_terminating_listeners_pass(path, value):
    assert check(gateway(path, value)) == []


@pytest.mark.parametrize("protocol, shown", [("HTTP", "'HTTP'"), ("TCP", "'TCP'"), ("https", "'https'"),
                                             (offline.DELETE, "unset")])
def test_plain_listener_is_reported(protocol, shown):
    assert check(gateway("spec.listeners.1.protocol", protocol)) == [f"{FORGE} protocol ({shown}) must be HTTPS or TLS."]


def test_http_listener_without_tls_is_reported_once():
    plain = offline.changed(gateway("spec.listeners.1.protocol", "HTTP"), "spec.listeners.1.tls", offline.DELETE)
    assert check(plain) == [f"{FORGE} protocol ('HTTP') must be HTTPS or TLS."]


def test_unknown_protocol_is_reported():
    assert check(gateway("spec.listeners.1.protocol", UNKNOWN_STRING_VALUE)) == [
        f"{FORGE} protocol (unknown at preview) must be HTTPS or TLS."]


@pytest.mark.parametrize("mode, shown", [("Passthrough", "'Passthrough'"), (UNKNOWN_STRING_VALUE, "unknown at preview")])
def test_mode_other_than_terminate_is_reported(mode, shown):
    assert check(gateway("spec.listeners.1.tls.mode", mode)) == [f"{FORGE} tls.mode ({shown}) must be Terminate."]


@pytest.mark.parametrize("references, shown", [([], "[]"), (offline.DELETE, "unset"),
                                               (UNKNOWN_ARRAY_VALUE, "unknown at preview")])
def test_listener_without_certificate_is_reported(references, shown):
    assert check(gateway("spec.listeners.1.tls.certificateRefs", references)) == [
        f"{FORGE} tls.certificateRefs ({shown}) must name at least one certificate."]


def test_listener_without_tls_block_is_reported():
    assert check(gateway("spec.listeners.1.tls", offline.DELETE)) == [
        f"{FORGE} tls.certificateRefs (unset) must name at least one certificate."]


def test_unnamed_listener_is_named_by_position():
    assert check(offline.changed(gateway("spec.listeners.1.protocol", "HTTP"), "spec.listeners.1.name", offline.DELETE)) == [
        f"{PLATFORM} listener #1 protocol ('HTTP') must be HTTPS or TLS."]


def test_unknown_listener_is_reported():
    assert check(gateway("spec.listeners.1", UNKNOWN_OBJECT_VALUE)) == [
        f"{PLATFORM} spec.listeners[1] (unknown at preview) must be HTTPS or TLS, terminating TLS with a certificate."]


def test_unknown_listener_list_is_reported():
    assert check(gateway("spec.listeners", UNKNOWN_ARRAY_VALUE)) == [
        f"{PLATFORM} spec.listeners (unknown at preview) must be HTTPS or TLS, terminating TLS with a certificate."]


def test_each_listener_is_checked():
    assert check(gateway("spec.listeners.0.protocol", "HTTP")) == [
        f"{PLATFORM} listener 'https-chat' protocol ('HTTP') must be HTTPS or TLS."]


@pytest.mark.parametrize("api_version", ["networking.istio.io/v1", "example.org/v1"])
def test_gateways_of_other_apis_are_not_checked(api_version):
    assert check(offline.changed(gateway("spec.listeners.1.protocol", "HTTP"), "apiVersion", api_version)) == []


@pytest.mark.parametrize("render", sorted(path.name for path in GOLDEN.glob("gatewayApi-*")))
def test_golden_gateway_renders_pass(render):
    gateways = [r for r in offline.load_manifests(GOLDEN / render) if r.resource_type.endswith(":Gateway")]
    assert len(gateways) == 1
    assert check(dict(gateways[0].props)) == []

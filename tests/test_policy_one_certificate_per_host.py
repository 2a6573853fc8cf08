"""one-certificate-per-host: one Certificate in the edge namespace lists every host; one change per case adds a second.

The happy path is the program's shape: the environment's Certificate, and
Ingresses that list their hosts under `spec.tls` without `secretName` or
issuer annotation. A second holder of a host is a second Certificate, or an
issuer annotation that makes cert-manager's ingress-shim (or gateway-shim)
create one.
"""
from pathlib import Path

import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.one_certificate_per_host import POLICY

GOLDEN = Path(__file__).resolve().parent / "golden" / "routing"
HOST = "platform.sunbeam.pt"
EDGE = "Certificate 'edge/platform-tls'"
REASON = "(one certificate per host)."


def certificate(*dns_names, name="platform-tls", namespace="edge"):
    return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": name, "namespace": namespace},
            "spec": {"secretName": name, "dnsNames": list(dns_names),
                     "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "letsencrypt"}}}


def ingress(namespace, annotations=None, secret_name=None, host=HOST):
    entry = {"hosts": [host], **({"secretName": secret_name} if secret_name is not None else {})}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": namespace, "namespace": namespace, **({"annotations": annotations} if annotations else {})},
            "spec": {"ingressClassName": "nginx", "tls": [entry], "rules": [{"host": host, "http": {"paths": [{
                "path": f"/{namespace}", "pathType": "Prefix",
                "backend": {"service": {"name": namespace, "port": {"name": "http"}}}}]}}]}}


def gateway(annotations=None, secret_name="platform-tls", hostname=HOST):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "platform", "namespace": "edge", **({"annotations": annotations} if annotations else {})},
            "spec": {"gatewayClassName": "envoy-gateway", "listeners": [{
                "name": "https", "hostname": hostname, "port": 443, "protocol": "HTTPS",
                "tls": {"mode": "Terminate", "certificateRefs": [{"group": "", "kind": "Secret", "name": secret_name}]}}]}}


def program_shape():
    return [certificate(HOST, "forge.sunbeam.pt"), ingress("forge"), ingress("chat")]


def check(*manifests):
    return offline.check_stack(POLICY, [offline.resource_from_manifest(manifest) for manifest in manifests])


def test_one_certificate_for_every_host_passes():
    assert check(*program_shape()) == []


def test_gateway_serving_the_certificate_passes():
    assert check(certificate(HOST), gateway()) == []


def test_the_corpus_lone_annotated_ingress_passes():
    # One ingress-shim Certificate for forge.sunbeam.pt, and no other: one certificate per host.
    assert offline.check_stack(POLICY, offline.corpus_resources()) == []


def test_second_certificate_for_a_host_is_reported():
    assert check(*program_shape(), certificate(HOST, name="forge-tls", namespace="forge")) == [
        ("forge/forge-tls", f"Certificate 'forge/forge-tls' must not list host '{HOST}', which {EDGE} lists already "
                            f"{REASON}")]


def test_each_shared_host_of_a_second_certificate_is_reported():
    assert check(*program_shape(), certificate("forge.sunbeam.pt", HOST, name="other", namespace="edge")) == [
        ("edge/other", f"Certificate 'edge/other' must not list host 'forge.sunbeam.pt', which {EDGE} lists already "
                       f"{REASON}"),
        ("edge/other", f"Certificate 'edge/other' must not list host '{HOST}', which {EDGE} lists already {REASON}")]


@pytest.mark.parametrize("annotation, value", [
    ("cert-manager.io/cluster-issuer", "letsencrypt"),
    ("cert-manager.io/issuer", "letsencrypt"),
    ("kubernetes.io/tls-acme", "true"),
])
def test_issuer_annotation_ordering_a_second_certificate_is_reported(annotation, value):
    annotated = ingress("forge", {annotation: value}, secret_name="forge-tls")
    assert check(certificate(HOST), annotated, ingress("chat")) == [
        ("forge/forge", f"Ingress 'forge/forge' annotation '{annotation}' must be removed: it makes cert-manager's "
                        f"Certificate 'forge/forge-tls' list host '{HOST}', which {EDGE} lists already {REASON}")]


def test_annotation_on_every_namespace_of_a_shared_host_is_reported():
    # The shape issue 13 removed: subpath routes of one host in three namespaces, each with the annotation.
    annotations = {"cert-manager.io/cluster-issuer": "letsencrypt"}
    shared = [ingress(namespace, annotations, secret_name="platform-tls") for namespace in ("forge", "chat", "memql")]
    first = "Ingress 'forge/forge' (its ingress-shim Certificate 'forge/platform-tls')"
    assert check(*shared) == [
        (f"{namespace}/{namespace}", f"Ingress '{namespace}/{namespace}' annotation 'cert-manager.io/cluster-issuer' "
                                     f"must be removed: it makes cert-manager's Certificate '{namespace}/platform-tls' "
                                     f"list host '{HOST}', which {first} lists already {REASON}")
        for namespace in ("chat", "memql")]


@pytest.mark.parametrize("annotated", [
    ingress("forge", {"cert-manager.io/cluster-issuer": "letsencrypt"}),  # no secretName: ingress-shim skips the entry
    ingress("forge", {"kubernetes.io/tls-acme": "false"}, secret_name="forge-tls"),
    ingress("forge", {"cert-manager.io/cluster-issuer": "letsencrypt"}, secret_name="forge-tls", host="git.sunbeam.pt"),
])
def test_annotation_that_orders_no_second_certificate_passes(annotated):
    assert check(certificate(HOST), annotated) == []


def test_annotated_ingresses_sharing_one_secret_order_one_certificate():
    annotations = {"cert-manager.io/cluster-issuer": "letsencrypt"}
    assert check(ingress("forge", annotations, secret_name="platform-tls"),
                 offline.changed(ingress("forge", annotations, secret_name="platform-tls"), "metadata.name", "forge-2")) == []


def test_unknown_annotations_that_may_order_a_second_certificate_are_reported():
    unknown = offline.changed(ingress("forge", secret_name="forge-tls"), "metadata.annotations", UNKNOWN_OBJECT_VALUE)
    assert check(certificate(HOST), unknown) == [
        ("forge/forge", "Ingress 'forge/forge' metadata.annotations (unknown at preview) must be known without an "
                        f"issuer annotation: one would make cert-manager's Certificate 'forge/forge-tls' list host "
                        f"'{HOST}', which {EDGE} lists already {REASON}")]


def test_unknown_secret_name_of_an_annotated_ingress_is_a_certificate_of_its_own():
    annotated = ingress("forge", {"cert-manager.io/cluster-issuer": "letsencrypt"}, secret_name=UNKNOWN_STRING_VALUE)
    assert check(certificate(HOST), annotated) == [
        ("forge/forge", "Ingress 'forge/forge' annotation 'cert-manager.io/cluster-issuer' must be removed: it makes "
                        f"cert-manager's Certificate 'forge/<unknown>' list host '{HOST}', which {EDGE} lists already "
                        f"{REASON}")]


def test_annotated_gateway_ordering_a_second_certificate_is_reported():
    annotated = gateway({"cert-manager.io/cluster-issuer": "letsencrypt"}, secret_name="gateway-tls")
    assert check(certificate(HOST), annotated) == [
        ("edge/platform", "Gateway 'edge/platform' annotation 'cert-manager.io/cluster-issuer' must be removed: it "
                          f"makes cert-manager's Certificate 'edge/gateway-tls' list host '{HOST}', which {EDGE} lists "
                          f"already {REASON}")]


def test_annotated_gateway_filling_the_certificate_secret_is_the_same_certificate():
    # gateway-shim would own Certificate 'edge/platform-tls': the same object, not a second order.
    assert check(certificate(HOST), gateway({"cert-manager.io/cluster-issuer": "letsencrypt"})) == []


@pytest.mark.parametrize("dns_names", [[HOST, HOST], UNKNOWN_ARRAY_VALUE, [UNKNOWN_STRING_VALUE]])
def test_names_listed_twice_by_one_certificate_or_unknown_pass(dns_names):
    assert check(offline.changed(certificate(), "spec.dnsNames", dns_names), ingress("forge")) == []


@pytest.mark.parametrize("render", sorted(path.name for path in GOLDEN.iterdir()))
def test_golden_routing_renders_request_one_certificate_per_host(render):
    resources = offline.load_manifests(GOLDEN / render)
    assert sum(r.resource_type == "kubernetes:cert-manager.io/v1:Certificate" for r in resources) == 1
    assert offline.check_stack(POLICY, resources) == []

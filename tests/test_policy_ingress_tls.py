"""ingress-tls: the forge Ingress (TLS for forge.sunbeam.pt) passes; one field changes per case.

The rule is a stack rule: an entry without `secretName` passes only when a
cert-manager Certificate of the same stack lists the host (the controller's
default certificate), so the cases add or change that Certificate.
"""
from pathlib import Path

import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.ingress_tls import POLICY

FORGE = "Ingress 'forge/forge'"
DEFAULT_CERTIFICATE = ("must name the certificate Secret, or be listed by a cert-manager Certificate of the stack "
                       "(the controller's default certificate).")
GOLDEN = Path(__file__).resolve().parent / "golden" / "routing"


def check(*manifests):
    return offline.check_stack(POLICY, [offline.resource_from_manifest(manifest) for manifest in manifests])


def ingress(path=None, value=None):
    manifest = offline.corpus_manifest("Ingress", "forge/forge")
    return manifest if path is None else offline.changed(manifest, path, value)


def without_secret(path=None, value=None):
    """The forge Ingress as the program renders it: hosts under spec.tls, no secretName, no issuer annotation."""
    manifest = offline.changed(ingress("spec.tls.0.secretName", offline.DELETE), "metadata.annotations",
                               {"nginx.ingress.kubernetes.io/proxy-body-size": "64m"})
    return manifest if path is None else offline.changed(manifest, path, value)


def certificate(*dns_names):
    """The environment's one Certificate, in the edge namespace."""
    return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": "sunbeam-pt-tls", "namespace": "edge"},
            "spec": {"secretName": "sunbeam-pt-tls", "dnsNames": list(dns_names),
                     "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "letsencrypt"}}}


def test_tls_for_every_host_passes():
    assert check(ingress()) == []


def test_wildcard_certificate_covers_one_label():
    assert check(ingress("spec.tls.0.hosts", ["*.sunbeam.pt"])) == []


@pytest.mark.parametrize("tls, shown", [(offline.DELETE, "unset"), ([], "[]"), (UNKNOWN_ARRAY_VALUE, "unknown at preview")])
def test_missing_tls_is_reported(tls, shown):
    assert check(ingress("spec.tls", tls)) == [
        ("forge/forge", f"{FORGE} spec.tls ({shown}) must list a certificate for every host.")]


@pytest.mark.parametrize("hosts", [["git.sunbeam.pt"], ["*.example.org"], [UNKNOWN_STRING_VALUE]])
def test_uncovered_host_is_reported(hosts):
    assert check(ingress("spec.tls.0.hosts", hosts)) == [
        ("forge/forge", f"{FORGE} spec.rules[0].host ('forge.sunbeam.pt') must be listed in spec.tls[].hosts.")]


def test_unknown_host_is_reported():
    assert check(ingress("spec.rules.0.host", UNKNOWN_STRING_VALUE)) == [
        ("forge/forge", f"{FORGE} spec.rules[0].host (unknown at preview) must be listed in spec.tls[].hosts.")]


# --- an entry without secretName: the controller's default certificate ---------------------------

@pytest.mark.parametrize("dns_names", [["forge.sunbeam.pt"], ["chat.sunbeam.pt", "forge.sunbeam.pt"], ["*.sunbeam.pt"]])
def test_default_certificate_listing_the_host_passes(dns_names):
    assert check(without_secret(), certificate(*dns_names)) == []


@pytest.mark.parametrize("secret_name, shown", [
    (offline.DELETE, "unset"), ("", "''"), (UNKNOWN_STRING_VALUE, "unknown at preview")])
def test_entry_without_secret_and_without_certificate_is_reported(secret_name, shown):
    assert check(ingress("spec.tls.0.secretName", secret_name)) == [
        ("forge/forge", f"{FORGE} spec.tls[0].hosts[0] ('forge.sunbeam.pt', secretName {shown}) {DEFAULT_CERTIFICATE}")]


@pytest.mark.parametrize("dns_names", [["chat.sunbeam.pt"], ["*.forge.sunbeam.pt"], ["sunbeam.pt"], [UNKNOWN_STRING_VALUE],
                                       UNKNOWN_ARRAY_VALUE])
def test_default_certificate_not_listing_the_host_is_reported(dns_names):
    other = offline.changed(certificate(), "spec.dnsNames", dns_names)
    assert check(without_secret(), other) == [
        ("forge/forge", f"{FORGE} spec.tls[0].hosts[0] ('forge.sunbeam.pt', secretName unset) {DEFAULT_CERTIFICATE}")]


def test_only_a_cert_manager_certificate_counts():
    # A look-alike of another API group is not what cert-manager fills the default Secret from.
    look_alike = offline.changed(certificate("forge.sunbeam.pt"), "apiVersion", "example.org/v1")
    assert check(without_secret(), look_alike) == [
        ("forge/forge", f"{FORGE} spec.tls[0].hosts[0] ('forge.sunbeam.pt', secretName unset) {DEFAULT_CERTIFICATE}")]


def test_unknown_tls_host_without_secret_is_reported():
    assert check(without_secret("spec.tls.0.hosts", [UNKNOWN_STRING_VALUE]), certificate("forge.sunbeam.pt")) == [
        ("forge/forge", f"{FORGE} spec.tls[0].hosts[0] (unknown at preview, secretName unset) {DEFAULT_CERTIFICATE}"),
        ("forge/forge", f"{FORGE} spec.rules[0].host ('forge.sunbeam.pt') must be listed in spec.tls[].hosts.")]


def test_each_uncovered_host_of_a_shared_entry_is_reported():
    two_hosts = without_secret("spec.tls.0.hosts", ["git.sunbeam.pt", "forge.sunbeam.pt"])
    assert check(two_hosts, certificate("forge.sunbeam.pt")) == [
        ("forge/forge", f"{FORGE} spec.tls[0].hosts[0] ('git.sunbeam.pt', secretName unset) {DEFAULT_CERTIFICATE}")]


@pytest.mark.parametrize("render", sorted(path.name for path in GOLDEN.glob("ingressNginx-*")))
def test_golden_ingress_nginx_renders_pass(render):
    # The program's own shape: Ingresses in several namespaces, one Certificate in the edge namespace.
    resources = offline.load_manifests(GOLDEN / render)
    assert any(r.resource_type.endswith(":Ingress") for r in resources)
    assert offline.check_stack(POLICY, resources) == []

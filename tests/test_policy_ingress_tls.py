"""ingress-tls: the forge Ingress (TLS for forge.sunbeam.pt) passes; one field changes per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.ingress_tls import POLICY

FORGE = "Ingress 'forge/forge'"


def check(manifest):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest)


def ingress(path=None, value=None):
    manifest = offline.corpus_manifest("Ingress", "forge/forge")
    return manifest if path is None else offline.changed(manifest, path, value)


def test_tls_for_every_host_passes():
    assert check(ingress()) == []


def test_wildcard_certificate_covers_one_label():
    assert check(ingress("spec.tls.0.hosts", ["*.sunbeam.pt"])) == []


@pytest.mark.parametrize("tls, shown", [(offline.DELETE, "unset"), ([], "[]"), (UNKNOWN_ARRAY_VALUE, "unknown at preview")])
def test_missing_tls_is_reported(tls, shown):
    assert check(ingress("spec.tls", tls)) == [f"{FORGE} spec.tls ({shown}) must list a certificate for every host."]


@pytest.mark.parametrize("hosts", [["git.sunbeam.pt"], ["*.example.org"], [UNKNOWN_STRING_VALUE]])
def test_uncovered_host_is_reported(hosts):
    assert check(ingress("spec.tls.0.hosts", hosts)) == [
        f"{FORGE} spec.rules[0].host ('forge.sunbeam.pt') must be listed in spec.tls[].hosts."]


def test_unknown_host_is_reported():
    assert check(ingress("spec.rules.0.host", UNKNOWN_STRING_VALUE)) == [
        f"{FORGE} spec.rules[0].host (unknown at preview) must be listed in spec.tls[].hosts."]


def test_missing_secret_name_is_reported():
    assert check(ingress("spec.tls.0.secretName", offline.DELETE)) == [
        f"{FORGE} spec.tls[0].secretName (unset) must name the certificate Secret."]

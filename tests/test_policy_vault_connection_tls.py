"""vault-connection-tls: Sol's VaultConnection (https, verified, with the CA) passes; one field changes per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.vault_connection_tls import POLICY

CONNECTION = "VaultConnection 'matrix/sol-vault-connection'"


def check(manifest):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest)


def connection(path=None, value=None):
    manifest = offline.corpus_manifest("VaultConnection", "matrix/sol-vault-connection")
    return manifest if path is None else offline.changed(manifest, path, value)


def test_https_verified_with_ca_passes():
    assert check(connection()) == []


def test_unset_skip_tls_verify_is_false():
    assert check(connection("spec.skipTLSVerify", offline.DELETE)) == []


@pytest.mark.parametrize("address, shown", [
    ("http://openbao.openbao.svc.cluster.local:8200", "'http://openbao.openbao.svc.cluster.local:8200'"),
    (offline.DELETE, "unset"),
    (UNKNOWN_STRING_VALUE, "unknown at preview"),
])
def test_address_must_be_https(address, shown):
    assert check(connection("spec.address", address)) == [f"{CONNECTION} spec.address ({shown}) must be an https:// URL."]


@pytest.mark.parametrize("skip, shown", [(True, "true"), (UNKNOWN_BOOLEAN_VALUE, "unknown at preview")])
def test_tls_verification_must_stay_on(skip, shown):
    assert check(connection("spec.skipTLSVerify", skip)) == [
        f"{CONNECTION} spec.skipTLSVerify ({shown}) must be false or unset."]


@pytest.mark.parametrize("ca, shown", [(offline.DELETE, "unset"), ("", "''"), (UNKNOWN_STRING_VALUE, "unknown at preview")])
def test_the_servers_ca_must_be_given(ca, shown):
    assert check(connection("spec.caCertSecretRef", ca)) == [
        f"{CONNECTION} spec.caCertSecretRef ({shown}) must name the Secret holding the server's CA certificate "
        "(ca.crt)."]


@pytest.mark.parametrize("name", ["vault-connection-http", "vault-connection-skip-tls-verify"])
def test_the_corpus_bad_cases_are_reported(name):
    [bad] = offline.load_manifests(offline.CORPUS / "bad" / f"{name}.yaml")
    assert len(check(dict(bad.props))) == 1


def test_other_kinds_are_ignored():
    assert check(offline.corpus_manifest("VaultStaticSecret", "matrix/sol-secrets")) == []

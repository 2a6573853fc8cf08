"""no-literal-secret-manifest: Secrets with values are reported, the annotated public CA Secret passes."""
import base64

import pytest
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.no_literal_secret_manifest import POLICY, certificate_problem

CA = offline.corpus_manifest("Secret", "matrix/sol-vault-ca")["stringData"]["ca.crt"]
# Spelled in two parts so that no secret scanner mistakes this test for a leaked key.
KEY_BLOCK = "-----BEGIN " + "PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END " + "PRIVATE KEY-----\n"
LITERAL = ("must not hold literal values ({}): they would sit in the program, the Pulumi state and the manifest; "
           "sync it from OpenBao or Key Vault (VaultStaticSecret, ExternalSecret) instead.")
EXCEPTION = ("Secret 'matrix/sol-vault-ca', annotated platform/public-certificate, must hold only ca.crt with PEM "
             "CERTIFICATE blocks ({}).")


def check(manifest):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest)


def ca_secret(path=None, value=None):
    manifest = offline.corpus_manifest("Secret", "matrix/sol-vault-ca")
    return manifest if path is None else offline.changed(manifest, path, value)


def secret(**sections):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "forge-admin", "namespace": "forge"},
            "type": "Opaque", **sections}


def b64(text):
    return base64.b64encode(text.encode()).decode()


def test_the_annotated_public_ca_passes():
    assert check(ca_secret()) == []


def test_the_ca_as_base64_data_passes():
    assert check(offline.changed(ca_secret("stringData", offline.DELETE), "data", {"ca.crt": b64(CA)})) == []


def test_a_bundle_of_certificates_passes():
    manifest = ca_secret()
    manifest["stringData"]["ca.crt"] = CA + "\n" + CA
    assert check(manifest) == []


@pytest.mark.parametrize("secret_type", ["Opaque", "kubernetes.io/service-account-token"])
def test_a_secret_without_values_passes(secret_type):
    assert check({**secret(), "type": secret_type}) == []
    assert check({**secret(data={}, stringData={}), "type": secret_type}) == []


def test_empty_values_hold_nothing():
    assert check(secret(stringData={"password": ""})) == []


@pytest.mark.parametrize("sections, shown", [
    ({"stringData": {"password": "hunter2"}}, "stringData.password"),
    ({"data": {"password": b64("hunter2")}}, "data.password"),
    ({"data": {"username": b64("admin")}, "stringData": {"password": "hunter2"}}, "data.username, stringData.password"),
    ({"stringData": {"password": UNKNOWN_STRING_VALUE}}, "stringData.password (unknown at preview)"),
    ({"data": UNKNOWN_OBJECT_VALUE}, "data (unknown at preview)"),
])
def test_literal_values_are_reported(sections, shown):
    assert check(secret(**sections)) == [f"Secret 'forge/forge-admin' {LITERAL.format(shown)}"]


def test_a_service_account_token_secret_with_data_is_literal_too():
    manifest = {**secret(data={"token": b64("eyJhbGciOi")}), "type": "kubernetes.io/service-account-token"}
    assert check(manifest) == [f"Secret 'forge/forge-admin' {LITERAL.format('data.token')}"]


@pytest.mark.parametrize("annotation", ["false", "True", offline.DELETE])
def test_the_exception_needs_the_annotation_set_to_true(annotation):
    manifest = ca_secret("metadata.annotations.platform/public-certificate", annotation)
    assert check(manifest) == [f"Secret 'matrix/sol-vault-ca' {LITERAL.format('stringData.ca.crt')}"]


@pytest.mark.parametrize("value, problem", [
    (CA + KEY_BLOCK, "stringData.ca.crt holds a private key"),
    (KEY_BLOCK, "stringData.ca.crt holds a private key"),
    ("not a certificate", "stringData.ca.crt holds no PEM CERTIFICATE block"),
    (CA.replace("CERTIFICATE", "X509 CRL"), "stringData.ca.crt holds PEM X509 CRL blocks"),
    (CA + "password=hunter2\n", "stringData.ca.crt holds text outside its PEM CERTIFICATE blocks"),
    (UNKNOWN_STRING_VALUE, "stringData.ca.crt is unknown at preview"),
])
def test_the_exception_needs_certificates_only(value, problem):
    manifest = ca_secret()
    manifest["stringData"]["ca.crt"] = value
    assert check(manifest) == [EXCEPTION.format(problem)]


def test_the_exception_allows_no_other_key():
    manifest = ca_secret()
    manifest["stringData"]["token"] = "s.abc"
    assert check(manifest) == [EXCEPTION.format("stringData.token is not ca.crt")]


@pytest.mark.parametrize("data, problem", [
    ({"ca.crt": "not base64!"}, "data.ca.crt is not base64 of PEM text"),
    ({"ca.crt": b64(KEY_BLOCK)}, "data.ca.crt holds a private key"),
    (UNKNOWN_OBJECT_VALUE, "data is unknown at preview"),
])
def test_the_exception_reads_data_as_base64(data, problem):
    assert check(ca_secret("data", data)) == [EXCEPTION.format(problem)]


def test_the_corpus_bad_case_is_reported():
    [bad] = offline.load_manifests(offline.CORPUS / "bad" / "public-certificate-extra-key.yaml")
    assert check(dict(bad.props)) == [EXCEPTION.format("stringData.token is not ca.crt")]


def test_certificate_problem_accepts_what_the_program_renders():
    assert certificate_problem(CA) is None


def test_other_kinds_are_ignored():
    assert check(offline.corpus_manifest("ConfigMap", "matrix/sol-config")) == []


def test_a_third_party_manifest_through_stackctl_policy_manifests(tmp_path, capsys):
    from stackctl import __main__ as stackctl

    (tmp_path / "chart.yaml").write_text((offline.CORPUS / "bad" / "secret-literal-data.yaml").read_text())
    assert stackctl.main(["policy", "--manifests", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split(None, 3) == ["no-literal-secret-manifest", "forge/forge-admin", "mandatory",
                                       "Secret 'forge/forge-admin' " + LITERAL.format("data.username, data.password")]
    assert lines[-1] == "1 resource, 1 violation (1 mandatory)"

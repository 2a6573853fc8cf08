"""secret-key-coverage: the good corpus (Sol from a VaultStaticSecret, Forgejo from an ExternalSecret) passes."""
import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.secret_key_coverage import POLICY

SOL = "Deployment 'matrix/sol' container 'sol'"
FORGE = "Deployment 'forge/forge' container 'forge'"


def check(*replacements, **config):
    resources = offline.overlay(offline.corpus_resources(), *map(offline.resource_from_manifest, replacements))
    return offline.check_stack(POLICY, resources, config)


def sol(path, value):
    return offline.changed(offline.corpus_manifest("Deployment", "matrix/sol"), path, value)


def vault_static_secret(path, value):
    return offline.changed(offline.corpus_manifest("VaultStaticSecret", "matrix/sol-secrets"), path, value)


def external_secret(path, value):
    return offline.changed(offline.corpus_manifest("ExternalSecret", "forge/forge-secrets"), path, value)


def test_every_key_is_provided():
    assert check() == []


def test_key_missing_from_the_vault_annotation():
    annotations = {"stackctl/provided-keys": "matrix-access-token,matrix-device-id"}
    assert check(vault_static_secret("metadata.annotations", annotations)) == [(
        "matrix/sol",
        f"Key 'mistral-api-key' of Secret 'matrix/sol-secrets' read by {SOL} env SOL_MISTRAL_API_KEY must be provided "
        "by its source (provided: matrix-access-token, matrix-device-id).")]


def test_vault_static_secret_without_annotation_declares_nothing():
    problems = check(vault_static_secret("metadata.annotations", {}))
    assert [message.split(" read by")[0] for _, message in problems] == [
        "Key 'matrix-access-token' of Secret 'matrix/sol-secrets'",
        "Key 'matrix-device-id' of Secret 'matrix/sol-secrets'",
        "Key 'mistral-api-key' of Secret 'matrix/sol-secrets'"]
    assert problems[0][1].endswith("(provided: none declared (stackctl/provided-keys)).")


def test_external_secret_keys_come_from_its_data():
    data = [{"secretKey": "secret-key", "remoteRef": {"key": "forge-secret-key"}}]
    assert check(external_secret("spec.data", data)) == [(
        "forge/forge",
        f"Key 'internal-token' of Secret 'forge/forge-secrets' read by {FORGE} env FORGEJO__security__INTERNAL_TOKEN "
        "must be provided by its source (provided: secret-key).")]


def test_external_secret_target_name_defaults_to_its_own_name():
    assert check(external_secret("spec.target.name", offline.DELETE)) == []


def test_secret_of_another_name_is_not_a_source():
    assert check(external_secret("spec.target.name", "forge-credentials")) == [
        ("forge/forge", f"Secret 'forge/forge-secrets' read by {FORGE} env {name} must be created by an "
                        "ExternalSecret, VaultStaticSecret or Secret in this stack.")
        for name in ("FORGEJO__security__SECRET_KEY", "FORGEJO__security__INTERNAL_TOKEN")]


def test_plain_secret_provides_its_data_keys():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sol-extra", "namespace": "matrix"},
              "stringData": {"webhook": "x"}}
    reader = sol("spec.template.spec.containers.0.envFrom", [{"secretRef": {"name": "sol-extra"}}])
    assert check(secret, reader) == []
    assert check(reader) == [("matrix/sol", f"Secret 'matrix/sol-extra' read by {SOL} envFrom[0] must be created by "
                                            "an ExternalSecret, VaultStaticSecret or Secret in this stack.")]


def test_source_in_another_namespace_does_not_count():
    moved = offline.resource_from_manifest(vault_static_secret("metadata.namespace", "forge"))
    resources = [r for r in offline.corpus_resources() if r.name != "matrix/sol-secrets"] + [moved]
    assert [message.split(" read by")[0] for _, message in offline.check_stack(POLICY, resources)] == [
        "Secret 'matrix/sol-secrets'"] * 3


def test_unknown_reference_is_reported():
    assert check(sol("spec.template.spec.containers.0.env.1.valueFrom.secretKeyRef.key", UNKNOWN_STRING_VALUE)) == [(
        "matrix/sol", f"Secret reference of {SOL} env SOL_MATRIX_ACCESS_TOKEN (Secret 'sol-secrets', "
                      "key unknown at preview) must be known at preview.")]


def test_unknown_env_list_is_reported():
    assert check(sol("spec.template.spec.containers.0.env", UNKNOWN_ARRAY_VALUE)) == [(
        "matrix/sol", f"Secret reference of {SOL} env (Secret unknown at preview, key unknown at preview) "
                      "must be known at preview.")]


@pytest.mark.parametrize("annotation", ["provided-keys.example.com"])
def test_annotation_is_configurable(annotation):
    annotations = {annotation: "matrix-access-token,matrix-device-id,mistral-api-key"}
    assert check(vault_static_secret("metadata.annotations", annotations), providedKeysAnnotation=annotation) == []

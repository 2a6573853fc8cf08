"""external-secret-api-version: external-secrets.io/v1 passes, v1beta1 is reported."""
from policies import offline
from policies.external_secret_api_version import POLICY


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def external_secret(api_version=None):
    manifest = offline.corpus_manifest("ExternalSecret", "forge/forge-secrets")
    return manifest if api_version is None else offline.changed(manifest, "apiVersion", api_version)


def test_v1_passes():
    assert check(external_secret()) == []


def test_v1beta1_is_reported():
    assert check(external_secret("external-secrets.io/v1beta1")) == [
        "ExternalSecret 'forge/forge-secrets' apiVersion ('external-secrets.io/v1beta1') must be external-secrets.io/v1."]


def test_allowed_versions_are_configurable():
    assert check(external_secret("external-secrets.io/v1beta1"), allowedVersions=["v1", "v1beta1"]) == []


def test_secret_store_is_not_an_external_secret():
    assert check(offline.changed(offline.corpus_manifest("SecretStore", "forge/forge-key-vault"), "apiVersion",
                                 "external-secrets.io/v1beta1")) == []

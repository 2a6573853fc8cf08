"""vault-static-secret-hmac-for-rollout: HMAC must stay on while rollout targets are set."""
import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_BOOLEAN_VALUE

from policies import offline
from policies.vault_static_secret_hmac_for_rollout import POLICY

RULE = "must not be false while spec.rolloutRestartTargets is set."


def check(manifest):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest)


def secret(path=None, value=None):
    manifest = offline.corpus_manifest("VaultStaticSecret", "matrix/sol-secrets")
    return manifest if path is None else offline.changed(manifest, path, value)


def test_hmac_with_targets_passes():
    assert check(secret()) == []


def test_unset_hmac_defaults_to_true():
    assert check(secret("spec.hmacSecretData", offline.DELETE)) == []


@pytest.mark.parametrize("value, shown", [(False, "false"), (UNKNOWN_BOOLEAN_VALUE, "unknown at preview")])
def test_hmac_off_with_targets_is_reported(value, shown):
    assert check(secret("spec.hmacSecretData", value)) == [
        f"VaultStaticSecret 'matrix/sol-secrets' spec.hmacSecretData ({shown}) {RULE}"]


def test_hmac_off_without_targets_passes():
    manifest = secret("spec.rolloutRestartTargets", [])
    assert check(offline.changed(manifest, "spec.hmacSecretData", False)) == []


def test_unknown_targets_count_as_set():
    manifest = secret("spec.rolloutRestartTargets", UNKNOWN_ARRAY_VALUE)
    assert check(offline.changed(manifest, "spec.hmacSecretData", False)) == [
        f"VaultStaticSecret 'matrix/sol-secrets' spec.hmacSecretData (false) {RULE}"]

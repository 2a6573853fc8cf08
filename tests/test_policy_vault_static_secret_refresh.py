"""vault-static-secret-refresh: sol-secrets (refreshAfter 30s) passes; refreshAfter changes per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import offline
from policies.vault_static_secret_refresh import POLICY


def check(manifest):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest)


def secret(refresh_after=None):
    manifest = offline.corpus_manifest("VaultStaticSecret", "matrix/sol-secrets")
    return manifest if refresh_after is None else offline.changed(manifest, "spec.refreshAfter", refresh_after)


@pytest.mark.parametrize("refresh_after", [None, "60s", "1h30m", "0.5h"])
def test_refresh_passes(refresh_after):
    assert check(secret(refresh_after)) == []


@pytest.mark.parametrize("refresh_after, shown", [(offline.DELETE, "unset"), ("0s", "'0s'"), ("0", "'0'"),
                                                  ("soon", "'soon'"), (UNKNOWN_STRING_VALUE, "unknown at preview")])
def test_missing_or_zero_refresh_is_reported(refresh_after, shown):
    assert check(secret(refresh_after)) == [
        f"VaultStaticSecret 'matrix/sol-secrets' spec.refreshAfter ({shown}) must be a non-zero duration such as 60s."]

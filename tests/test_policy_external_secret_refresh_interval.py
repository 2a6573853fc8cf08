"""external-secret-refresh-interval: forge-secrets (1h) passes; refreshInterval changes per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import offline
from policies.external_secret_refresh_interval import POLICY


def check(manifest):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest)


def external_secret(interval=None):
    manifest = offline.corpus_manifest("ExternalSecret", "forge/forge-secrets")
    return manifest if interval is None else offline.changed(manifest, "spec.refreshInterval", interval)


@pytest.mark.parametrize("interval", [None, "15m", offline.DELETE])
def test_refreshing_passes(interval):
    assert check(external_secret(interval)) == []


@pytest.mark.parametrize("interval, shown", [("0", "'0'"), ("0s", "'0s'"), ("0h0m", "'0h0m'"), ("hourly", "'hourly'"),
                                             (UNKNOWN_STRING_VALUE, "unknown at preview")])
def test_zero_interval_is_reported(interval, shown):
    assert check(external_secret(interval)) == [
        f"ExternalSecret 'forge/forge-secrets' spec.refreshInterval ({shown}) must be a non-zero duration such as 1h."]

"""external-secret-creation-policy: Owner (or unset) passes; target.creationPolicy changes per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import offline
from policies.external_secret_creation_policy import POLICY


def check(manifest):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest)


def external_secret(value=None):
    manifest = offline.corpus_manifest("ExternalSecret", "forge/forge-secrets")
    return manifest if value is None else offline.changed(manifest, "spec.target.creationPolicy", value)


@pytest.mark.parametrize("value", [None, offline.DELETE])
def test_owner_passes(value):
    assert check(external_secret(value)) == []


@pytest.mark.parametrize("value, shown", [("Merge", "'Merge'"), ("None", "'None'"), ("Orphan", "'Orphan'"),
                                          (UNKNOWN_STRING_VALUE, "unknown at preview")])
def test_other_policies_are_reported(value, shown):
    assert check(external_secret(value)) == [
        f"ExternalSecret 'forge/forge-secrets' spec.target.creationPolicy ({shown}) must be Owner."]

"""persistent-volume-claim-access-mode: sol-data (ReadWriteOncePod) passes; the access modes change per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE

from policies import offline
from policies.persistent_volume_claim_access_mode import POLICY

CLAIM = "PersistentVolumeClaim 'matrix/sol-data'"


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def claim(modes=None):
    manifest = offline.corpus_manifest("PersistentVolumeClaim", "matrix/sol-data")
    return manifest if modes is None else offline.changed(manifest, "spec.accessModes", modes)


@pytest.mark.parametrize("modes", [["ReadWriteOncePod"], ["ReadWriteOnce"]])
def test_single_writer_modes_pass(modes):
    assert check(claim(modes)) == []


@pytest.mark.parametrize("modes, shown", [
    (["ReadWriteMany"], '["ReadWriteMany"]'),
    (["ReadWriteOnce", "ReadOnlyMany"], '["ReadWriteOnce", "ReadOnlyMany"]'),
    ([], "[]"),
    (offline.DELETE, "unset"),
    (UNKNOWN_ARRAY_VALUE, "unknown at preview"),
])
def test_other_modes_are_reported(modes, shown):
    assert check(claim(modes)) == [f"{CLAIM} spec.accessModes ({shown}) must use only ReadWriteOnce, ReadWriteOncePod."]


def test_allowed_modes_are_configurable():
    assert check(claim(["ReadWriteMany"]), allowedAccessModes=["ReadWriteMany"]) == []

"""persistent-volume-claim-storage-class: the cluster default always passes; named classes must be listed."""
import json
from pathlib import Path

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import offline
from policies.persistent_volume_claim_storage_class import POLICY

ALLOWED = ["platform-retain-zrs", "managed-csi-premium"]


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def claim(storage_class=None):
    manifest = offline.corpus_manifest("PersistentVolumeClaim", "forge/forge-data")
    return manifest if storage_class is None else offline.changed(manifest, "spec.storageClassName", storage_class)


def test_listed_class_passes():
    assert check(claim(), allowedStorageClasses=ALLOWED) == []


def test_cluster_default_passes():
    assert check(claim(offline.DELETE), allowedStorageClasses=ALLOWED) == []


def test_any_class_passes_without_a_list():
    assert check(claim("azurefile")) == []


@pytest.mark.parametrize("storage_class, shown", [("managed-csi", "'managed-csi'"), ("", "''"),
                                                  (UNKNOWN_STRING_VALUE, "unknown at preview")])
def test_unlisted_class_is_reported(storage_class, shown):
    assert check(claim(storage_class), allowedStorageClasses=ALLOWED) == [
        f"PersistentVolumeClaim 'forge/forge-data' spec.storageClassName ({shown}) must be unset (cluster default) "
        "or one of: platform-retain-zrs, managed-csi-premium."]


def test_prod_allows_only_the_retaining_class_and_still_the_cluster_default():
    # An unset class still passes here; persistent-volume-claim-retained refuses it for single writers.
    config = json.loads((Path(__file__).resolve().parent.parent / "policies" / "config" / "prod.json").read_text())
    allowed = config[POLICY.name]["allowedStorageClasses"]
    assert allowed == ["platform-retain-zrs"]
    assert check(claim(), allowedStorageClasses=allowed) == []
    assert check(claim(offline.DELETE), allowedStorageClasses=allowed) == []
    assert check(claim("managed-csi"), allowedStorageClasses=allowed) == [
        "PersistentVolumeClaim 'forge/forge-data' spec.storageClassName ('managed-csi') must be unset (cluster "
        "default) or one of: platform-retain-zrs."]

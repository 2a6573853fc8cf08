import pytest

from config_models.base import ConfigError, validate_config
from components.persistent_volume_claim import PersistentVolumeClaim
from config_models.volume import VolumeSpec
from stackctl.render import record_resources


def _claim(**fields):
    spec = VolumeSpec(claim_name="sol-data", size="1Gi", **fields)
    (claim,) = record_resources(lambda: PersistentVolumeClaim("sol-data", spec, "matrix", {"a": "b"})).resources
    return claim


def test_claim_is_protected_and_retained_so_destroy_never_deletes_data():
    claim = _claim()
    assert claim.protect and claim.retain_on_delete, claim.urn
    assert claim.inputs["spec"] == {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    assert claim.inputs["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}


def test_storage_class_is_set_only_when_configured():
    assert _claim(storage_class="managed-csi-premium", access_mode="ReadWriteOncePod").inputs["spec"] == {
        "accessModes": ["ReadWriteOncePod"],
        "resources": {"requests": {"storage": "1Gi"}},
        "storageClassName": "managed-csi-premium",
    }


@pytest.mark.parametrize("size, message", [
    ("1GB", "size: '1GB' is not a Kubernetes quantity such as 1Gi, 512Mi, 100m or 0.5"),
    ("lots", "size: 'lots' is not a Kubernetes quantity such as 1Gi, 512Mi, 100m or 0.5"),
    ("100", "size: '100' is below 1Mi; a storage request needs a unit such as 1Gi"),
])
def test_sizes_must_be_kubernetes_quantities(size, message):
    with pytest.raises(ConfigError) as raised:
        validate_config(VolumeSpec, {"claimName": "sol-data", "size": size})
    assert raised.value.problems == [message]

"""single-writer-deployment: Sol (one replica, Recreate, claim sol-data) passes; one field changes per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.single_writer_deployment import POLICY

SOL = "Deployment 'matrix/sol'"
BECAUSE = "because it mounts claim 'sol-data'."


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def sol(path=None, value=None):
    manifest = offline.corpus_manifest("Deployment", "matrix/sol")
    return manifest if path is None else offline.changed(manifest, path, value)


def test_one_replica_recreate_passes():
    assert check(sol()) == []


def test_unset_replicas_defaults_to_one():
    assert check(sol("spec.replicas", offline.DELETE)) == []


@pytest.mark.parametrize("replicas, shown", [(2, "2"), (0, "0"), (UNKNOWN_NUMBER_VALUE, "unknown at preview")])
def test_replicas_must_be_one(replicas, shown):
    assert check(sol("spec.replicas", replicas)) == [f"{SOL} spec.replicas ({shown}) must be 1 {BECAUSE}"]


@pytest.mark.parametrize("strategy, shown", [
    ({"type": "RollingUpdate"}, "'RollingUpdate'"),
    (offline.DELETE, "'RollingUpdate' by default"),
    ({"type": UNKNOWN_STRING_VALUE}, "unknown at preview"),
])
def test_strategy_must_be_recreate(strategy, shown):
    assert check(sol("spec.strategy", strategy)) == [f"{SOL} spec.strategy.type ({shown}) must be Recreate {BECAUSE}"]


def test_deployment_without_claim_may_scale():
    manifest = sol("spec.replicas", 3)
    manifest["spec"]["template"]["spec"]["volumes"] = [{"name": "tmp", "emptyDir": {}}]
    assert check(manifest) == []


def test_shared_claims_are_exempt():
    assert check(sol("spec.replicas", 3), sharedClaimNames=["sol-data"]) == []


def test_unknown_claim_counts_as_single_writer():
    assert check(offline.changed(sol("spec.replicas", 2), "spec.template.spec.volumes.0.persistentVolumeClaim.claimName",
                                 UNKNOWN_STRING_VALUE)) == [
        f"{SOL} spec.replicas (2) must be 1 because it mounts claim '<unknown>'."]

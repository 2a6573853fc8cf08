"""persistent-volume-claim-retained: the corpus (both writers on the stack's Retain class) passes; one change per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import offline
from policies.persistent_volume_claim_retained import POLICY

SOL_DATA = "PersistentVolumeClaim 'matrix/sol-data' spec.storageClassName"
RULE = ("must name a StorageClass with reclaimPolicy Retain because single-writer Deployment 'matrix/sol' keeps its "
        "only data there.")


def check(*manifests, without=(), **config):
    resources = [r for r in offline.corpus_resources() if r.name not in without]
    return offline.check_stack(POLICY, offline.overlay(resources, *map(offline.resource_from_manifest, manifests)),
                               config)


def sol_data(storage_class):
    manifest = offline.corpus_manifest("PersistentVolumeClaim", "matrix/sol-data")
    return offline.changed(manifest, "spec.storageClassName", storage_class)


def storage_class(path, value):
    return offline.changed(offline.corpus_manifest("StorageClass", "platform-retain-zrs"), path, value)


def test_claims_on_the_stacks_retaining_class_pass():
    assert check() == []


@pytest.mark.parametrize("value, shown", [
    (offline.DELETE, "unset: the cluster default, reclaimPolicy Delete on AKS"),
    ("", "''"),
    (UNKNOWN_STRING_VALUE, "unknown at preview"),
    ("managed-csi", "'managed-csi', neither a StorageClass of the stack nor in retainingStorageClasses"),
])
def test_a_writers_claim_without_a_retaining_class_is_reported(value, shown):
    assert check(sol_data(value)) == [("matrix/sol-data", f"{SOL_DATA} ({shown}) {RULE}")]


def test_a_class_outside_the_stack_passes_when_declared_retaining():
    assert check(sol_data("managed-csi-retain"), retainingStorageClasses=["managed-csi-retain"]) == []


@pytest.mark.parametrize("value, shown", [("Delete", "'Delete'"), (offline.DELETE, "unset (Delete)"),
                                          (UNKNOWN_STRING_VALUE, "unknown at preview")])
def test_the_stacks_class_is_judged_by_its_own_reclaim_policy(value, shown):
    forge_rule = RULE.replace("matrix/sol", "forge/forge")
    assert check(storage_class("reclaimPolicy", value), retainingStorageClasses=["platform-retain-zrs"]) == [
        ("forge/forge-data", f"PersistentVolumeClaim 'forge/forge-data' spec.storageClassName ('platform-retain-zrs', "
                             f"whose reclaimPolicy is {shown}) {forge_rule}"),
        ("matrix/sol-data", f"{SOL_DATA} ('platform-retain-zrs', whose reclaimPolicy is {shown}) {RULE}"),
    ]


def test_without_the_class_in_the_stack_its_name_alone_does_not_retain():
    assert check(without=["platform-retain-zrs"]) == [
        ("forge/forge-data", "PersistentVolumeClaim 'forge/forge-data' spec.storageClassName ('platform-retain-zrs', "
                             "neither a StorageClass of the stack nor in retainingStorageClasses) "
                             + RULE.replace("matrix/sol", "forge/forge")),
        ("matrix/sol-data", f"{SOL_DATA} ('platform-retain-zrs', neither a StorageClass of the stack nor in "
                            f"retainingStorageClasses) {RULE}"),
    ]


def test_a_claim_no_single_writer_mounts_is_not_checked():
    assert check(sol_data(offline.DELETE), without=["matrix/sol"]) == []


def test_a_shared_claim_is_not_checked():
    assert check(sol_data(offline.DELETE), sharedClaimNames=["sol-data"]) == []


def test_a_claim_outside_the_stack_is_not_checked():
    assert check(without=["matrix/sol-data"]) == []


def test_a_writer_whose_claim_name_is_unknown_is_reported():
    deployment = offline.changed(offline.corpus_manifest("Deployment", "matrix/sol"),
                                 "spec.template.spec.volumes.0.persistentVolumeClaim.claimName", UNKNOWN_STRING_VALUE)
    assert check(deployment) == [
        ("matrix/sol", "Deployment 'matrix/sol' claim '<unknown>' must be known at preview so that its StorageClass "
                       "can be shown to retain (its name or namespace is unknown).")]


def test_the_corpus_bad_case_is_reported_for_both_writers():
    resources = offline.overlay(offline.corpus_resources(),
                                *offline.load_manifests(offline.CORPUS / "bad" / "storage-class-delete.yaml"))
    assert [name for name, _ in offline.check_stack(POLICY, resources)] == ["forge/forge-data", "matrix/sol-data"]


def test_a_writer_whose_namespace_is_unknown_is_reported():
    deployment = offline.changed(offline.corpus_manifest("Deployment", "matrix/sol"), "metadata.namespace",
                                 UNKNOWN_STRING_VALUE)
    resources = [r for r in offline.corpus_resources() if r.name != "matrix/sol"]
    resources.append(offline.Resource("kubernetes:apps/v1:Deployment", "sol", deployment))
    assert offline.check_stack(POLICY, resources) == [
        ("sol", "Deployment '<unknown>/sol' claim 'sol-data' must be known at preview so that its StorageClass "
                "can be shown to retain (its name or namespace is unknown).")]

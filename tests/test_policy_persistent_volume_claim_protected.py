"""persistent-volume-claim-protected: reads the protect option the engine passes with each resource."""
from policies import offline
from policies.persistent_volume_claim_protected import POLICY


def claims(protect):
    return [offline.Resource(r.resource_type, r.name, r.props, opts=offline.ResourceOptions(protect=protect))
            for r in offline.corpus_resources() if r.resource_type.endswith(":PersistentVolumeClaim")]


def test_protected_claims_pass():
    assert offline.check_stack(POLICY, claims(protect=True)) == []


def test_unprotected_claims_are_reported():
    rule = "must be protected (ResourceOptions(protect=True)) so that no update or destroy deletes its volume."
    assert offline.check_stack(POLICY, claims(protect=False)) == [
        ("forge/forge-data", f"PersistentVolumeClaim 'forge/forge-data' {rule}"),
        ("matrix/sol-data", f"PersistentVolumeClaim 'matrix/sol-data' {rule}")]


def test_other_resources_are_ignored():
    unprotected = [r for r in offline.corpus_resources() if not r.resource_type.endswith(":PersistentVolumeClaim")]
    assert offline.check_stack(POLICY, unprotected) == []

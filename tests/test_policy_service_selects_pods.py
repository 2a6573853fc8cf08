"""service-selects-pods: the corpus Services select their Deployments; one change per case."""
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE

from policies import offline
from policies.service_selects_pods import POLICY

FORGE = "Service 'forge/forge' spec.selector"


def check(*manifests, without=(), **config):
    resources = [r for r in offline.corpus_resources() if r.name not in without]
    resources = offline.overlay(resources, *map(offline.resource_from_manifest, manifests))
    return offline.check_stack(POLICY, resources, config)


def forge(path=None, value=None):
    manifest = offline.corpus_manifest("Service", "forge/forge")
    return manifest if path is None else offline.changed(manifest, path, value)


def test_the_corpus_passes():
    assert check() == []


def test_a_selector_no_pod_matches_is_reported():
    assert check(forge("spec.selector", {"app": "forgejo"})) == [("forge/forge", (
        f"{FORGE} ({{\"app\": \"forgejo\"}}) must select the pods of a workload in namespace 'forge' (none of this "
        "scan matches: the Service would have no endpoints; or list 'forge/forge' in allowedServices)."))]


def test_every_selector_label_must_match():
    selector = {"app.kubernetes.io/name": "forge", "tier": "web"}
    assert len(check(forge("spec.selector", selector))) == 1


def test_a_workload_in_another_namespace_does_not_count():
    moved = offline.changed(forge(), "metadata.namespace", "matrix")
    assert [name for name, _ in check(moved, without=["forge/forge"])] == ["matrix/forge"]


def test_the_deployment_gone_leaves_its_service_dangling():
    resources = [r for r in offline.corpus_resources()
                 if not (r.resource_type.endswith(":Deployment") and r.name == "forge/forge")]
    assert [name for name, _ in offline.check_stack(POLICY, resources)] == ["forge/forge"]


def test_services_without_selector_unknown_selector_and_allowed_ones_pass():
    assert check(forge("spec.selector", offline.DELETE)) == []
    assert check(forge("spec.selector", UNKNOWN_OBJECT_VALUE)) == []
    assert check(forge("spec.selector", {"app": "forgejo"}), allowedServices=["forge/forge"]) == []

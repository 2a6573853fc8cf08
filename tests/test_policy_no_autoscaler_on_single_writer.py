"""no-autoscaler-on-single-writer: an HPA targeting Sol is reported; others pass."""
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import offline
from policies.no_autoscaler_on_single_writer import POLICY


def hpa(target="sol", namespace="matrix", kind="Deployment"):
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "sol", "namespace": namespace},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target},
                     "minReplicas": 1, "maxReplicas": 3}}


def check(*manifests, **config):
    resources = offline.corpus_resources() + [offline.resource_from_manifest(m) for m in manifests]
    return offline.check_stack(POLICY, resources, config)


def test_no_autoscaler_passes():
    assert check() == []


def test_autoscaler_on_single_writer_is_reported():
    assert check(hpa()) == [("matrix/sol", "HorizontalPodAutoscaler 'matrix/sol' must not target single-writer "
                                           "Deployment 'matrix/sol' (it mounts claim 'sol-data' and must stay at 1 replica).")]


def test_autoscaler_elsewhere_passes():
    assert check(hpa(namespace="forge")) == []
    assert check(hpa(target="web")) == []
    assert check(hpa(kind="StatefulSet")) == []


def test_unknown_target_cannot_be_matched():
    assert check(hpa(target=UNKNOWN_STRING_VALUE)) == []


def test_shared_claim_is_not_a_single_writer():
    assert check(hpa(), sharedClaimNames=["sol-data"]) == []

"""autoscaler-target-exists: an HPA on memQL's BFF passes; a target the scan lacks is reported."""
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import offline
from policies.autoscaler_target_exists import POLICY


def autoscaler(kind="Deployment", name="memql-bff"):
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "memql-bff", "namespace": "memql"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": name},
                     "minReplicas": 2, "maxReplicas": 4}}


def check(manifest, **config):
    resources = offline.corpus_resources() + [offline.resource_from_manifest(manifest)]
    return offline.check_stack(POLICY, resources, config)


def test_an_autoscaler_on_a_workload_of_the_scan_passes():
    assert check(autoscaler()) == []


def test_a_missing_name_or_wrong_kind_is_reported():
    assert check(autoscaler(name="memql-bf")) == [("memql/memql-bff", (
        "HorizontalPodAutoscaler 'memql/memql-bff' spec.scaleTargetRef ('Deployment' 'memql-bf') must name a "
        "workload of this scan in namespace 'memql' (it would scale nothing; or list 'memql/memql-bff' in "
        "allowedAutoscalers)."))]
    assert len(check(autoscaler(kind="StatefulSet"))) == 1


def test_unknown_targets_and_allowed_autoscalers_pass():
    assert check(autoscaler(name=UNKNOWN_STRING_VALUE)) == []
    assert check(autoscaler(kind="Rollout", name="memql-bff"), allowedAutoscalers=["memql/memql-bff"]) == []

"""replicated-workload-readiness-probe: the corpus (memQL's BFF, two replicas, probed) passes; one field per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE, UNKNOWN_OBJECT_VALUE

from policies import offline
from policies.replicated_workload_readiness_probe import POLICY

BFF = "Deployment 'memql/memql-bff' container 'memql-bff' readinessProbe"
WHY = "without it a pod takes traffic and counts as available before it can serve)."
PROBE = "spec.template.spec.containers.0.readinessProbe"


def check(*manifests, base=None):
    resources = offline.overlay(base if base is not None else offline.corpus_resources(),
                                *map(offline.resource_from_manifest, manifests))
    return [message for _, message in offline.check_stack(POLICY, resources)]


def bff(path=None, value=None):
    manifest = offline.corpus_manifest("Deployment", "memql/memql-bff")
    return manifest if path is None else offline.changed(manifest, path, value)


def test_the_corpus_passes():
    assert check() == []


def test_a_replicated_container_without_probe_is_reported():
    assert check(bff(PROBE, offline.DELETE)) == [f"{BFF} (unset) must be set with a handler (2 replicas: {WHY}"]


def test_a_probe_without_handler_is_reported():
    assert check(bff(PROBE, {"periodSeconds": 5})) == [f"{BFF} (unset) must be set with a handler (2 replicas: {WHY}"]


@pytest.mark.parametrize("handler", [{"tcpSocket": {"port": "http"}}, {"grpc": {"port": 9090}},
                                     {"exec": {"command": ["true"]}}])
def test_every_handler_counts(handler):
    assert check(bff(PROBE, handler)) == []


def test_unknowns_are_reported():
    assert check(bff(PROBE, UNKNOWN_OBJECT_VALUE)) == [
        f"{BFF} (unknown at preview) must be set with a handler (2 replicas: {WHY}"]
    assert check(offline.changed(bff(PROBE, offline.DELETE), "spec.replicas", UNKNOWN_NUMBER_VALUE)) == [
        f"{BFF} (unset) must be set with a handler (replicas unknown at preview: {WHY}"]


def test_one_replica_is_not_replicated():
    assert check(offline.changed(bff(PROBE, offline.DELETE), "spec.replicas", 1)) == []


def test_an_autoscaler_makes_it_replicated():
    autoscaler = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                  "metadata": {"name": "memql-bff", "namespace": "memql"},
                  "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "memql-bff"},
                           "minReplicas": 1, "maxReplicas": 4}}
    single = offline.changed(bff(PROBE, offline.DELETE), "spec.replicas", offline.DELETE)
    assert check(single, autoscaler) == [
        f"{BFF} (unset) must be set with a handler (up to 4 replicas by HorizontalPodAutoscaler "
        f"'memql/memql-bff': {WHY}"]


def test_stateful_sets_are_checked_and_daemon_sets_are_not():
    for kind, expected in (("StatefulSet", 1), ("DaemonSet", 0)):
        manifest = {**bff(PROBE, offline.DELETE), "kind": kind}
        if kind == "DaemonSet":
            del manifest["spec"]["replicas"], manifest["spec"]["strategy"]
        assert len(check(manifest, base=[])) == expected, kind

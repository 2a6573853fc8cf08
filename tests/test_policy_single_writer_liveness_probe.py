"""single-writer-liveness-probe: Sol (a single writer with a liveness probe) passes; one field changes per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.single_writer_liveness_probe import POLICY

SOL = "Deployment 'matrix/sol'"
BECAUSE = ("must be set because it is a single writer (claim 'sol-data'): a hung writer is never restarted and "
           "keeps the only writer slot.")
CONTAINER = "spec.template.spec.containers.0"


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def sol(path=None, value=None):
    manifest = offline.corpus_manifest("Deployment", "matrix/sol")
    return manifest if path is None else offline.changed(manifest, path, value)


def test_sol_with_its_probe_passes():
    assert check(sol()) == []


@pytest.mark.parametrize("probe, shown", [
    (offline.DELETE, "unset"),
    ({"periodSeconds": 30}, "no handler"),
    (UNKNOWN_OBJECT_VALUE, "unknown at preview"),
])
def test_the_app_container_needs_a_probe(probe, shown):
    assert check(sol(f"{CONTAINER}.livenessProbe", probe)) == [
        f"{SOL} container 'sol' livenessProbe ({shown}) {BECAUSE}"]


@pytest.mark.parametrize("handler", [{"exec": {"command": ["sol", "health"]}}, {"tcpSocket": {"port": 9090}},
                                     {"grpc": {"port": 9090}}])
def test_any_handler_will_do(handler):
    assert check(sol(f"{CONTAINER}.livenessProbe", handler)) == []


def test_a_sidecar_in_containers_needs_one_too():
    manifest = sol()
    manifest["spec"]["template"]["spec"]["containers"].append({"name": "replicate", "image": "litestream"})
    assert check(manifest) == [f"{SOL} container 'replicate' livenessProbe (unset) {BECAUSE}"]


def test_init_containers_need_none():
    manifest = sol()
    assert "livenessProbe" not in manifest["spec"]["template"]["spec"]["initContainers"][0]
    assert check(manifest) == []


@pytest.mark.parametrize("path, value, label, claim", [
    ("spec.template.spec.containers", UNKNOWN_ARRAY_VALUE, "containers", "sol-data"),
    (CONTAINER, UNKNOWN_OBJECT_VALUE, "container #0", "sol-data"),
    ("spec.template.spec", UNKNOWN_OBJECT_VALUE, "containers", "<unknown>"),  # its volumes are unknown too
])
def test_unknown_containers_are_reported(path, value, label, claim):
    assert check(sol(path, value)) == [
        f"{SOL} {label} livenessProbe (unknown at preview) " + BECAUSE.replace("sol-data", claim)]


def test_a_deployment_without_claim_is_not_a_single_writer():
    manifest = sol(f"{CONTAINER}.livenessProbe", offline.DELETE)
    manifest["spec"]["template"]["spec"]["volumes"] = [{"name": "tmp", "emptyDir": {}}]
    assert check(manifest) == []


def test_shared_claims_are_exempt():
    assert check(sol(f"{CONTAINER}.livenessProbe", offline.DELETE), sharedClaimNames=["sol-data"]) == []


def test_an_unknown_claim_counts_as_single_writer():
    manifest = offline.changed(sol(f"{CONTAINER}.livenessProbe", offline.DELETE),
                               "spec.template.spec.volumes.0.persistentVolumeClaim.claimName", UNKNOWN_STRING_VALUE)
    assert check(manifest) == [f"{SOL} container 'sol' livenessProbe (unset) " +
                               BECAUSE.replace("'sol-data'", "'<unknown>'")]


def test_other_workload_kinds_are_left_to_their_rules():
    pod = offline.corpus_manifest("Deployment", "matrix/sol")["spec"]["template"]
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": "matrix"},
           "spec": {"template": pod}}
    job["spec"]["template"]["spec"]["containers"][0].pop("livenessProbe")
    assert check(job) == []

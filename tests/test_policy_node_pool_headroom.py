"""node-pool-headroom: requests x (replicas + surge) of all Deployments against minCount x allocatable."""
import pytest
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.node_pool_headroom import POLICY

# Sol: 100m/256Mi (its init container is smaller); Forgejo: 200m/512Mi. Both Recreate: 300m, 768Mi.


def pool(**changes):
    props = {"agentPoolName": "user", "vmSize": "Standard_B2s", "enableAutoScaling": True, "minCount": 1,
             "maxCount": 3, "count": 1, **changes}
    return offline.Resource("azure-native:containerservice:AgentPool", "user-pool", props)


def check(*resources, deployments=None, **config):
    workloads = deployments if deployments is not None else offline.corpus_resources()
    return [message for _, message in offline.check_stack(POLICY, list(workloads) + list(resources), config)]


def scaled_sol(replicas, strategy):
    manifest = offline.corpus_manifest("Deployment", "matrix/sol")
    manifest["spec"].update(replicas=replicas, strategy=strategy)
    manifest["spec"]["template"]["spec"]["volumes"] = []  # not a single writer any more
    return offline.resource_from_manifest(manifest)


def test_corpus_fits_one_small_node():
    assert check(pool()) == []


def test_stack_without_node_pool_is_not_checked():
    assert check() == []


def test_overcommitted_pool_is_reported_with_the_numbers():
    sol = scaled_sol(12, {"type": "Recreate"})
    assert check(pool(), deployments=[sol]) == [
        "Deployments' requests including rolling-update surge (1200m CPU, 3072Mi memory) must fit the node pools at "
        "minimum size (AgentPool 'user': 1 x Standard_B2s: 1900m CPU, 2840Mi memory allocatable)."]


@pytest.mark.parametrize("strategy, need_cpu", [
    ({"type": "Recreate"}, "1000m"),             # 10 replicas
    ({"type": "RollingUpdate"}, "1300m"),        # + 25% of 10, rounded up: 3
    ({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}, "1100m"),
    ({}, "1300m"),
])
def test_surge_counts_for_rolling_updates(strategy, need_cpu):
    sol = scaled_sol(10, strategy)
    message, = check(pool(minCount=0), deployments=[sol])
    assert f"({need_cpu} CPU," in message


def test_floor_uses_count_without_autoscaling():
    assert check(pool(enableAutoScaling=False, count=0)) != []


def test_unknown_vm_size_must_be_in_the_table():
    assert check(pool(vmSize="Standard_E2s_v5")) == [
        "AgentPool 'user' vmSize ('Standard_E2s_v5') must be in the allocatable table of node-pool-headroom "
        "(known: Standard_B2s, Standard_B4ms, Standard_D2s_v5, Standard_D4s_v5)."]


def test_table_is_configurable():
    assert check(pool(vmSize="Standard_E2s_v5"), allocatable={"Standard_E2s_v5": {"cpu": "1900m", "memory": "13Gi"}}) == []


def test_unknown_inputs_are_reported():
    assert check(pool(vmSize=UNKNOWN_STRING_VALUE)) == [
        "Node-pool headroom inputs must be known at preview: AgentPool 'user' (minCount or count 1, "
        "vmSize unknown at preview)."]


def test_init_container_counts_when_larger():
    manifest = offline.corpus_manifest("Deployment", "matrix/sol")
    manifest["spec"]["template"]["spec"]["initContainers"][0]["resources"]["requests"]["cpu"] = "2"
    message, = check(pool(), deployments=[offline.resource_from_manifest(manifest)])
    assert message.startswith("Deployments' requests including rolling-update surge (2000m CPU, 256Mi memory)")


def autoscaler(min_replicas, target="sol", namespace="matrix"):
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target}, "maxReplicas": 20}
    if min_replicas is not None:
        spec["minReplicas"] = min_replicas
    return offline.resource_from_manifest({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "sol", "namespace": namespace}, "spec": spec})


def rolling_sol(replicas):
    """Sol rolling with maxSurge 1, as the program renders a replicated workload; replicas None leaves it unset."""
    sol = scaled_sol(replicas, {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}})
    if replicas is None:
        del sol.props["spec"]["replicas"]
    return sol


@pytest.mark.parametrize("replicas, min_replicas, need_cpu", [
    (None, 10, "1100m"),  # the HPA's floor stands in for the unset count, + 1 surge
    (None, None, "200m"),  # an HPA without minReplicas keeps 1
    (2, 10, "1100m"),  # the HPA raises a lower count to its floor
    (10, 2, "1100m"),  # and a higher count is applied at every update
])
def test_autoscaler_minimum_counts_for_the_replicas(replicas, min_replicas, need_cpu):
    message, = check(pool(minCount=0), autoscaler(min_replicas), deployments=[rolling_sol(replicas)])
    assert f"({need_cpu} CPU," in message


@pytest.mark.parametrize("elsewhere", [{"target": "web"}, {"namespace": "forge"}])
def test_autoscaler_of_another_deployment_does_not_count(elsewhere):
    message, = check(pool(minCount=0), autoscaler(10, **elsewhere), deployments=[rolling_sol(None)])
    assert "(200m CPU," in message


@pytest.mark.parametrize("hpa", [autoscaler(UNKNOWN_NUMBER_VALUE), autoscaler(10, target=UNKNOWN_STRING_VALUE)])
def test_autoscaler_unknown_at_preview_is_reported(hpa):
    assert check(pool(), hpa, deployments=[rolling_sol(None)]) == [
        "Node-pool headroom inputs must be known at preview: Deployment 'matrix/sol' (replicas, strategy or requests)."]


def test_cron_jobs_and_jobs_are_left_out():
    pod = offline.corpus_manifest("Deployment", "matrix/sol")["spec"]["template"]
    pod["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "64"
    cron_job = offline.resource_from_manifest({
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "report", "namespace": "matrix"},
        "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": pod}}}})
    job = offline.resource_from_manifest({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "sol-migrate", "namespace": "matrix"},
        "spec": {"template": pod}})
    assert check(pool(), cron_job, job) == []

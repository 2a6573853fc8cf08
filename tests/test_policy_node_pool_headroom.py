"""node-pool-headroom: requests x (replicas + surge) of all Deployments against minCount x allocatable."""
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

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

"""The autoscaled node pool: bounds, the owner gate, protection, and the headroom check."""
from __future__ import annotations

import pytest

from config_models.azure import AksClusterSpec
from components.aks_node_pool import AksNodePool
from config_models.base import ConfigError, validate_config
from stack_checks.load import load_stack
from stack_file_edits import edit_stack_file
from stackctl.render import record_resources

POOL = {"name": "nodepool1", "vmSize": "Standard_B2s", "minCount": 2, "maxCount": 5,
        "ownerApprovedBounds": {"minCount": 2, "maxCount": 5}}


def _cluster(**pool):
    return validate_config(AksClusterSpec, {"name": "aks-test", "nodePool": {**POOL, **pool}})


def test_pool_autoscales_is_protected_and_ignores_count_after_creation():
    (pool,) = record_resources(lambda: AksNodePool("aks", _cluster(), "rg", "westeurope")).resources
    assert pool.type == "azure-native:containerservice:AgentPool"
    assert {key: pool.inputs[key] for key in ("enableAutoScaling", "minCount", "maxCount", "count", "vmSize", "mode")} \
        == {"enableAutoScaling": True, "minCount": 2, "maxCount": 5, "count": 2, "vmSize": "Standard_B2s",
            "mode": "User"}
    assert pool.inputs["resourceName"] == "aks-test"
    assert pool.protect and pool.ignore_changes == ("count",), pool.urn


def test_managed_cluster_has_oidc_and_workload_identity_and_feeds_the_issuer():
    cluster = validate_config(AksClusterSpec, {"name": "aks-test", "managed": {"dnsPrefix": "aks-test"},
                                               "nodePool": POOL})
    result = record_resources(lambda: AksNodePool("aks", cluster, "rg", "westeurope"))
    managed = next(r for r in result.resources if r.type == "azure-native:containerservice:ManagedCluster")
    assert managed.inputs["oidcIssuerProfile"] == {"enabled": True}
    assert managed.inputs["securityProfile"] == {"workloadIdentity": {"enabled": True}}
    assert managed.protect

    def issuer():
        node_pool = AksNodePool("aks", cluster, "rg", "westeurope")
        return {"issuer": node_pool.oidc_issuer_url}
    assert record_resources(issuer).outputs == {"issuer": "${ManagedCluster:aks-cluster.oidcIssuerURL}"}


@pytest.mark.parametrize("pool, message", [
    ({"minCount": 6, "ownerApprovedBounds": {"minCount": 6, "maxCount": 5}},
     "nodePool: minCount 6 must not exceed maxCount 5"),
    ({"minCount": 3},
     "nodePool: minCount/maxCount 3/5 differ from ownerApprovedBounds 2/5: resizing the pool needs the owner's "
     "confirmation (set ownerApprovedBounds to {minCount: 3, maxCount: 5})"),
    ({"maxCount": 8},
     "nodePool: minCount/maxCount 2/8 differ from ownerApprovedBounds 2/5: resizing the pool needs the owner's "
     "confirmation (set ownerApprovedBounds to {minCount: 2, maxCount: 8})"),
    ({"vmSize": "Standard_X1"},
     "nodePool.vmSize: 'Standard_X1' has no allocatable entry for the headroom check (known: ['Standard_B2s', "
     "'Standard_B4ms', 'Standard_D2s_v5', 'Standard_D4s_v5']; add it in "
     "platform_facts/aks_allocatable.py)"),
])
def test_bounds_and_owner_gate(pool, message):
    with pytest.raises(ConfigError) as raised:
        _cluster(**pool)
    assert raised.value.problems == [message]


def _greedy_forge(config):
    config["services"]["forge"]["resources"] = {"requests": {"cpu": "3", "memory": "17Gi"},
                                                "limits": {"memory": "17Gi"}}


def test_prod_fails_when_requests_exceed_the_floor_with_the_numbers(scratch_project):
    bad = edit_stack_file(scratch_project / "Pulumi.prod.yaml", scratch_project / "bad.yaml", _greedy_forge)
    with pytest.raises(ConfigError) as raised:
        load_stack(scratch_project, "prod", bad)
    assert raised.value.problems == [
        "azure.cluster.nodePool: workloads request 5110m CPU and 21696Mi memory (15 pods + 7 rollout surge), but the floor "
        "of 3 x Standard_D2s_v5 allocates 5700m CPU and 17580Mi memory (raise minCount, use a larger vmSize, or "
        "lower requests)"]


def test_staging_only_warns_with_the_same_numbers(scratch_project):
    from stackctl.render import collect_resources

    bad = edit_stack_file(scratch_project / "Pulumi.staging.yaml", scratch_project / "bad.yaml", _greedy_forge)
    result = collect_resources("staging", bad, scratch_project)
    assert result.warnings == [
        "azure.cluster.nodePool: workloads request 5110m CPU and 21696Mi memory (15 pods + 7 rollout surge), but the floor "
        "of 2 x Standard_B2s allocates 3800m CPU and 5680Mi memory (raise minCount, use a larger vmSize, or lower "
        "requests)"]


def test_prod_floor_is_at_least_two(scratch_project):
    def floor_one(config):
        pool = config["azure"]["cluster"]["nodePool"]
        pool["minCount"] = 1
        pool["ownerApprovedBounds"]["minCount"] = 1
    bad = edit_stack_file(scratch_project / "Pulumi.prod.yaml", scratch_project / "bad.yaml", floor_one)
    with pytest.raises(ConfigError) as raised:
        load_stack(scratch_project, "prod", bad)
    assert raised.value.problems[0] == (
        "azure.cluster.nodePool.minCount: 1 is below prod's floor of 2 (one node must be able to drain while "
        "another serves)")
    # One node cannot hold the workloads either; both are reported.
    assert raised.value.problems[1].startswith("azure.cluster.nodePool: workloads request ")
    assert len(raised.value.problems) == 2

"""aks-node-pool-autoscaling: an autoscaling pool (2..5) passes; one field changes per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE

from policies import offline
from policies.aks_node_pool_autoscaling import POLICY

AGENT_POOL = "azure-native:containerservice:AgentPool"
POOL = "AgentPool 'user'"


def pool(path=None, value=None):
    props = {"agentPoolName": "user", "resourceGroupName": "rg-platform-prod", "resourceName": "aks-platform-prod",
             "mode": "User", "vmSize": "Standard_D2s_v5", "enableAutoScaling": True, "count": 2,
             "minCount": 2, "maxCount": 5}
    return props if path is None else offline.changed(props, path, value)


def check(props, resource_type=AGENT_POOL, **config):
    return offline.check_resource(POLICY, resource_type, props, config)


def test_autoscaling_pool_passes():
    assert check(pool(), minCountFloor=2) == []


def test_versioned_type_token_is_checked():
    assert check(pool("enableAutoScaling", False), "azure-native:containerservice/v20240801:AgentPool") == [
        f"{POOL} enableAutoScaling (false) must be true."]


@pytest.mark.parametrize("path, value, expected", [
    ("enableAutoScaling", False, f"{POOL} enableAutoScaling (false) must be true."),
    ("enableAutoScaling", offline.DELETE, f"{POOL} enableAutoScaling (unset) must be true."),
    ("enableAutoScaling", UNKNOWN_BOOLEAN_VALUE, f"{POOL} enableAutoScaling (unknown at preview) must be true."),
    ("minCount", 6, f"{POOL} minCount (6) must be at most maxCount (5)."),
    ("minCount", offline.DELETE, f"{POOL} minCount (unset) must be set."),
    ("maxCount", UNKNOWN_NUMBER_VALUE, f"{POOL} maxCount (unknown at preview) must be set."),
])
def test_one_bad_field_is_reported(path, value, expected):
    assert check(pool(path, value)) == [expected]


def test_floor_comes_from_config():
    assert check(pool("minCount", 1)) == []
    assert check(pool("minCount", 1), minCountFloor=2) == [f"{POOL} minCount (1) must be at least 2."]


def test_managed_cluster_profiles_are_checked():
    cluster = {"resourceName": "aks-platform-prod", "agentPoolProfiles": [
        {**pool(), "name": "system", "mode": "System"},
        {**pool(), "name": "user", "enableAutoScaling": False}]}
    assert check(cluster, "azure-native:containerservice:ManagedCluster") == [
        "ManagedCluster 'aks-platform-prod' agentPoolProfiles 'user' enableAutoScaling (false) must be true."]

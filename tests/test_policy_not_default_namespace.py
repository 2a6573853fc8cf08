"""not-default-namespace: namespaced objects name a namespace other than default."""
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import offline
from policies.not_default_namespace import POLICY


def check(manifest, resource_type=None, **config):
    return offline.check_resource(POLICY, resource_type or offline.resource_type_of(manifest), manifest, config)


def config_map(namespace):
    return offline.changed(offline.corpus_manifest("ConfigMap", "matrix/sol-config"), "metadata.namespace", namespace)


def test_own_namespace_passes():
    assert check(config_map("matrix")) == []


@pytest.mark.parametrize("namespace, shown", [("default", "'default'"), (offline.DELETE, "unset")])
def test_default_namespace_is_reported(namespace, shown):
    assert check(config_map(namespace)) == [
        f"ConfigMap 'default/sol-config' metadata.namespace ({shown}) must name a namespace other than default."]


def test_unknown_namespace_passes():
    # a Namespace resource's output, unknown on the first preview
    assert check(config_map(UNKNOWN_STRING_VALUE)) == []


def test_cluster_scoped_kinds_are_skipped():
    assert check(offline.corpus_manifest("Namespace", "matrix")) == []


def test_extra_cluster_scoped_kinds_are_configurable():
    manifest = {"apiVersion": "example.com/v1", "kind": "GlobalThing", "metadata": {"name": "x"}}
    assert check(manifest, clusterScopedKinds=["GlobalThing"]) == []
    assert check(manifest) == [
        "GlobalThing 'default/x' metadata.namespace (unset) must name a namespace other than default."]


def test_non_kubernetes_resources_are_skipped():
    assert check({"name": "x"}, "azure-native:keyvault:Vault") == []

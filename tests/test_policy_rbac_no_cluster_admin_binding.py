"""rbac-no-cluster-admin-binding: the corpus bindings pass; a binding to cluster-admin is reported."""
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import offline
from policies.rbac_no_cluster_admin_binding import POLICY


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def binding(kind, name, path=None, value=None):
    manifest = offline.corpus_manifest(kind, name)
    return manifest if path is None else offline.changed(manifest, path, value)


def test_the_corpus_bindings_pass():
    assert check(binding("ClusterRoleBinding", "forge-namespace-reader")) == []
    assert check(binding("RoleBinding", "forge/forge-leader-election")) == []


@pytest.mark.parametrize("kind, name, who, identity", [
    ("ClusterRoleBinding", "forge-namespace-reader", "ClusterRoleBinding 'forge-namespace-reader'",
     "ClusterRoleBinding/forge-namespace-reader"),
    ("RoleBinding", "forge/forge-leader-election", "RoleBinding 'forge/forge-leader-election'",
     "RoleBinding/forge/forge-leader-election"),
])
def test_cluster_admin_is_reported_cluster_wide_and_namespaced(kind, name, who, identity):
    manifest = offline.changed(binding(kind, name, "roleRef.kind", "ClusterRole"), "roleRef.name", "cluster-admin")
    assert check(manifest) == [
        f"{who} roleRef ('ClusterRole' 'cluster-admin') must not be the ClusterRole 'cluster-admin' (bind a role "
        f"with the verbs and resources needed; or list '{identity}' in allowedBindings)."]
    assert check(manifest, allowedBindings=[identity]) == []


def test_an_unknown_role_name_is_reported():
    manifest = binding("ClusterRoleBinding", "forge-namespace-reader", "roleRef.name", UNKNOWN_STRING_VALUE)
    assert [message.split(" must")[0] for message in check(manifest)] == [
        "ClusterRoleBinding 'forge-namespace-reader' roleRef ('ClusterRole' unknown at preview)"]


def test_a_namespaced_role_named_cluster_admin_is_not_the_cluster_role():
    manifest = binding("RoleBinding", "forge/forge-leader-election", "roleRef.name", "cluster-admin")
    assert check(manifest) == []

"""rbac-no-cluster-wide-secret-reads: ClusterRoles may not read Secrets unless named; Roles may."""
import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE

from policies import offline
from policies.rbac_no_cluster_wide_secret_reads import POLICY
from policies.resource_properties import describe

READER = "ClusterRole 'forge-namespace-reader'"
WHY = ("(bound cluster-wide it reads every namespace's Secrets; grant it in a Role per namespace; "
       "or list 'ClusterRole/forge-namespace-reader' in allowedRoles).")


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def with_rule(kind, name, rule):
    manifest = offline.corpus_manifest(kind, name)
    manifest["rules"].append(rule)
    return manifest


def test_the_corpus_roles_pass():
    assert check(offline.corpus_manifest("ClusterRole", "forge-namespace-reader")) == []
    assert check(offline.corpus_manifest("Role", "forge/forge-leader-election")) == []


@pytest.mark.parametrize("verbs", [["get"], ["list"], ["watch"], ["*"]])
def test_a_cluster_role_reading_secrets_is_reported(verbs):
    rule = {"apiGroups": [""], "resources": ["secrets"], "verbs": verbs}
    assert check(with_rule("ClusterRole", "forge-namespace-reader", rule)) == [
        f"{READER} rules[1] ({describe(rule)}) must not grant get, list or watch on secrets without "
        f"resourceNames {WHY}"]


def test_unknown_verbs_are_reported():
    rule = {"apiGroups": [""], "resources": ["secrets"], "verbs": UNKNOWN_ARRAY_VALUE}
    assert len(check(with_rule("ClusterRole", "forge-namespace-reader", rule))) == 1


@pytest.mark.parametrize("rule", [
    {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["forge-tls"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "update"]},
])
def test_named_secrets_and_writes_pass_in_a_cluster_role(rule):
    assert check(with_rule("ClusterRole", "forge-namespace-reader", rule)) == []


def test_a_namespaced_role_may_read_its_namespace_secrets():
    rule = {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}
    assert check(with_rule("Role", "forge/forge-leader-election", rule)) == []

"""rbac-no-wildcard: the corpus chart's ClusterRole passes; one rule changes per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE

from policies import offline
from policies.rbac_no_wildcard import POLICY

READER = "ClusterRole 'forge-namespace-reader'"
WHY = ("(a wildcard also grants what later APIs add; list the verbs and resources needed; "
       "or list 'ClusterRole/forge-namespace-reader' in allowedRoles).")


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def reader(path=None, value=None):
    manifest = offline.corpus_manifest("ClusterRole", "forge-namespace-reader")
    return manifest if path is None else offline.changed(manifest, path, value)


def test_named_verbs_and_resources_pass():
    assert check(reader()) == []
    assert check(offline.corpus_manifest("Role", "forge/forge-leader-election")) == []


@pytest.mark.parametrize("path, value, shown", [
    ("rules.0.verbs", ["*"], '{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["*"]}'),
    ("rules.0.resources", ["*"], '{"apiGroups": [""], "resources": ["*"], "verbs": ["get", "list", "watch"]}'),
    ("rules.0.resources", ["pods/*"], '{"apiGroups": [""], "resources": ["pods/*"], "verbs": ["get", "list", "watch"]}'),
    ("rules.0.verbs", UNKNOWN_ARRAY_VALUE,
     '{"apiGroups": [""], "resources": ["namespaces"], "verbs": "unknown at preview"}'),
])
def test_wildcards_and_unknowns_are_reported(path, value, shown):
    assert check(reader(path, value)) == [f"{READER} rules[0] ({shown}) must not use '*' in verbs or resources {WHY}"]


def test_a_wildcard_api_group_alone_passes():
    assert check(reader("rules.0.apiGroups", ["*"])) == []


def test_an_allowed_role_passes():
    assert check(reader("rules.0.verbs", ["*"]), allowedRoles=["ClusterRole/forge-namespace-reader"]) == []


def test_aggregated_cluster_roles_are_left_to_their_parts():
    aggregated = offline.changed(reader("rules.0.verbs", ["*"]), "aggregationRule",
                                 {"clusterRoleSelectors": [{"matchLabels": {"aggregate": "true"}}]})
    assert check(aggregated) == []


def test_other_kinds_are_ignored():
    assert check(offline.corpus_manifest("Service", "forge/forge")) == []

"""rbac-no-privilege-escalation-verbs: escalate, bind and impersonate are reported unless narrowed by name."""
import pytest

from policies import offline
from policies.rbac_no_privilege_escalation_verbs import POLICY
from policies.resource_properties import describe

READER = "ClusterRole 'forge-namespace-reader'"
WHY = ("(each lets its holder grant itself more than it was given; "
       "or list 'ClusterRole/forge-namespace-reader' in allowedRoles).")


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def with_rule(rule):
    manifest = offline.corpus_manifest("ClusterRole", "forge-namespace-reader")
    manifest["rules"].append(rule)
    return manifest


def test_the_corpus_roles_pass():
    assert check(offline.corpus_manifest("ClusterRole", "forge-namespace-reader")) == []
    assert check(offline.corpus_manifest("Role", "forge/forge-leader-election")) == []


@pytest.mark.parametrize("rule", [
    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["escalate"]},
    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["bind"]},
    {"apiGroups": [""], "resources": ["users", "groups"], "verbs": ["impersonate"]},
    {"apiGroups": ["authentication.k8s.io"], "resources": ["userextras/scopes"], "verbs": ["impersonate"]},
    {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
])
def test_escalation_verbs_are_reported(rule):
    assert check(with_rule(rule)) == [
        f"{READER} rules[1] ({describe(rule)}) must not grant escalate or bind on roles, or impersonate, "
        f"without resourceNames {WHY}"]


@pytest.mark.parametrize("rule", [
    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "resourceNames": ["forge-reader"],
     "verbs": ["bind"]},
    {"apiGroups": [""], "resources": ["serviceaccounts"], "resourceNames": ["forge"], "verbs": ["impersonate"]},
    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"],
     "verbs": ["get", "list", "create"]},
])
def test_named_objects_and_ordinary_verbs_pass(rule):
    assert check(with_rule(rule)) == []

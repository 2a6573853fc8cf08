"""rbac-no-pod-exec-attach: the corpus Role passes; exec/attach grants, wildcards included, are reported."""
import pytest

from policies import offline
from policies.rbac_no_pod_exec_attach import POLICY
from policies.resource_properties import describe

ROLE = "Role 'forge/forge-leader-election'"
WHY = ("(exec and attach run as the pod, with its token and Secrets; "
       "or list 'Role/forge/forge-leader-election' in allowedRoles).")


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def role_with(rule):
    manifest = offline.corpus_manifest("Role", "forge/forge-leader-election")
    manifest["rules"].append(rule)
    return manifest


def test_the_corpus_role_passes():
    assert check(offline.corpus_manifest("Role", "forge/forge-leader-election")) == []


@pytest.mark.parametrize("resources, verbs", [
    (["pods/exec"], ["create"]), (["pods/attach"], ["get"]), (["pods/*"], ["create"]), (["*"], ["*"]),
    (["*/exec"], ["create"]),
])
def test_exec_and_attach_are_reported(resources, verbs):
    rule = {"apiGroups": [""], "resources": resources, "verbs": verbs}
    assert check(role_with(rule)) == [
        f"{ROLE} rules[3] ({describe(rule)}) must not grant create or get on pods/exec or pods/attach {WHY}"]


@pytest.mark.parametrize("rule", [
    {"apiGroups": [""], "resources": ["pods/log", "pods/portforward"], "verbs": ["get", "create"]},
    {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["list"]},
    {"apiGroups": ["apps"], "resources": ["pods/exec"], "verbs": ["create"]},
])
def test_other_subresources_verbs_and_groups_pass(rule):
    assert check(role_with(rule)) == []


def test_the_message_quotes_the_rule():
    rule = {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}
    assert check(role_with(rule)) == [
        f'{ROLE} rules[3] ({{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}}) must not grant '
        f"create or get on pods/exec or pods/attach {WHY}"]

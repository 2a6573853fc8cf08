"""rbac-no-pod-creation: the corpus Role passes; create on pods, wildcards included, is reported."""
import pytest

from policies import offline
from policies.rbac_no_pod_creation import POLICY
from policies.resource_properties import describe

ROLE = "Role 'forge/forge-leader-election'"
WHY = ("(a pod's creator picks its service account and mounts any Secret of the namespace; "
       "or list 'Role/forge/forge-leader-election' in allowedRoles).")


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def role_with(rule):
    manifest = offline.corpus_manifest("Role", "forge/forge-leader-election")
    manifest["rules"].append(rule)
    return manifest


def test_the_corpus_role_passes():
    assert check(offline.corpus_manifest("Role", "forge/forge-leader-election")) == []


@pytest.mark.parametrize("rule", [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]},
    {"apiGroups": ["*"], "resources": ["pods"], "verbs": ["*"]},
    {"apiGroups": [""], "resources": ["*"], "verbs": ["create"]},
])
def test_pod_creation_is_reported(rule):
    assert check(role_with(rule)) == [f"{ROLE} rules[3] ({describe(rule)}) must not grant create on pods {WHY}"]


@pytest.mark.parametrize("rule", [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "delete"]},
    {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create"]},
    {"apiGroups": [""], "resources": ["pods/eviction"], "verbs": ["create"]},
])
def test_reading_pods_creating_workloads_and_evicting_pass(rule):
    assert check(role_with(rule)) == []


def test_an_allowed_role_passes():
    rule = {"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}
    assert check(role_with(rule), allowedRoles=["Role/forge/forge-leader-election"]) == []
    assert len(check(role_with(rule), allowedRoles=["Role/other/forge-leader-election"])) == 1

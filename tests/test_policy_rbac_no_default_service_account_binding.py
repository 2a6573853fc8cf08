"""rbac-no-default-service-account-binding: bindings to a namespace's `default` account are reported."""
import pytest

from policies import offline
from policies.rbac_no_default_service_account_binding import POLICY

WHO = "RoleBinding 'forge/forge-leader-election'"
WHY = ("must not be a namespace's default service account (every pod that names no account runs as it; give the "
       "workload its own; or list 'RoleBinding/forge/forge-leader-election' in allowedBindings).")


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def binding(path=None, value=None):
    manifest = offline.corpus_manifest("RoleBinding", "forge/forge-leader-election")
    return manifest if path is None else offline.changed(manifest, path, value)


def test_the_corpus_bindings_pass():
    assert check(binding()) == []
    assert check(offline.corpus_manifest("ClusterRoleBinding", "forge-namespace-reader")) == []


@pytest.mark.parametrize("account, shown", [
    ({"kind": "ServiceAccount", "name": "default", "namespace": "forge"}, "ServiceAccount 'forge/default'"),
    ({"kind": "ServiceAccount", "name": "default"}, "ServiceAccount 'forge/default'"),  # the binding's namespace
    ({"kind": "ServiceAccount", "name": "default", "namespace": "matrix"}, "ServiceAccount 'matrix/default'"),
])
def test_default_accounts_are_reported(account, shown):
    assert check(binding("subjects", [account])) == [f"{WHO} subjects[0] ({shown}) {WHY}"]


def test_an_allowed_binding_passes():
    manifest = binding("subjects.0.name", "default")
    assert check(manifest, allowedBindings=["RoleBinding/forge/forge-leader-election"]) == []


@pytest.mark.parametrize("account", [
    {"kind": "User", "name": "default"},
    {"kind": "Group", "name": "system:serviceaccounts:forge"},
    {"kind": "ServiceAccount", "name": "default-backup", "namespace": "forge"},
])
def test_other_subjects_pass(account):
    assert check(binding("subjects", [account])) == []

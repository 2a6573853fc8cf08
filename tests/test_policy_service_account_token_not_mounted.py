"""service-account-token-not-mounted: Sol mounts no token; only Workload Identity pods may."""
import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.service_account_token_not_mounted import POLICY

PATH = "spec.template.spec.automountServiceAccountToken"

RULE = 'must be false (only pods labelled azure.workload.identity/use: "true" may mount a token).'


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def sol(path=None, value=None):
    manifest = offline.corpus_manifest("Deployment", "matrix/sol")
    return manifest if path is None else offline.changed(manifest, path, value)


def identity_pod(label_value="true"):
    manifest = sol(PATH, True)
    manifest["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"] = label_value
    return manifest


def test_no_token_passes():
    assert check(sol()) == []


@pytest.mark.parametrize("value, shown", [(True, "true"), (offline.DELETE, "unset"),
                                          (UNKNOWN_BOOLEAN_VALUE, "unknown at preview")])
def test_token_is_reported(value, shown):
    assert check(sol(PATH, value)) == [
        f"Deployment 'matrix/sol' pod spec automountServiceAccountToken ({shown}) {RULE}"]


def test_workload_identity_pod_may_mount_a_token():
    assert check(identity_pod()) == []


@pytest.mark.parametrize("label_value", ["false", UNKNOWN_STRING_VALUE])
def test_other_label_values_grant_nothing(label_value):
    assert check(identity_pod(label_value)) == [
        f"Deployment 'matrix/sol' pod spec automountServiceAccountToken (true) {RULE}"]


def test_identity_labels_are_configurable():
    manifest = sol(PATH, True)
    manifest["spec"]["template"]["metadata"]["labels"]["identity"] = "yes"
    assert check(manifest, identityPodLabels={"identity": "yes"}) == []

"""namespace-default-deny: the good corpus (default-deny in matrix and forge) passes; one change per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.namespace_default_deny import POLICY

RULE = ("must have a default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, "
        "no ingress or egress rules) for its workloads")


def deny(namespace="matrix", path=None, value=None):
    manifest = offline.corpus_manifest("NetworkPolicy", f"{namespace}/default-deny")
    return manifest if path is None else offline.changed(manifest, path, value)


def check(*manifests, without=()):
    """The corpus with `manifests` replacing (or added to) its objects, and the `without` names removed."""
    resources = [r for r in offline.corpus_resources() if r.name not in without]
    return offline.check_stack(POLICY, offline.overlay(resources, *map(offline.resource_from_manifest, manifests)))


def test_the_corpus_with_default_deny_in_each_namespace_passes():
    assert check() == []


def test_a_namespace_without_any_policy_is_reported_on_its_namespace():
    assert check(without=["matrix/default-deny"]) == [("matrix", f"Namespace 'matrix' {RULE} Deployment 'sol'.")]


def test_a_namespace_the_stack_does_not_register_is_reported_on_its_first_workload():
    assert check(without=["matrix/default-deny", "matrix"]) == [
        ("matrix/sol", f"Namespace 'matrix' {RULE} Deployment 'sol'.")]


@pytest.mark.parametrize("path, value, gap", [
    ("spec.policyTypes", ["Ingress"], "policyTypes lacks Egress"),
    ("spec.policyTypes", ["Egress"], "policyTypes lacks Ingress"),
    ("spec.policyTypes", offline.DELETE, "policyTypes lacks Ingress, policyTypes lacks Egress"),
    ("spec.policyTypes", UNKNOWN_ARRAY_VALUE, "policyTypes unknown at preview"),
    ("spec.ingress", [{}], "ingress has 1 allow rule(s)"),
    ("spec.egress", [{"ports": [{"port": 53, "protocol": "UDP"}]}], "egress has 1 allow rule(s)"),
    ("spec.egress", UNKNOWN_ARRAY_VALUE, "egress unknown at preview"),
    ("spec.podSelector", UNKNOWN_OBJECT_VALUE, "podSelector unknown at preview"),
])
def test_an_all_pods_policy_that_does_not_deny_is_reported_with_its_gap(path, value, gap):
    assert check(deny(path=path, value=value)) == [
        ("matrix", f"Namespace 'matrix' {RULE} Deployment 'sol'; NetworkPolicy 'default-deny': {gap}.")]


@pytest.mark.parametrize("selector", [{"matchLabels": {"app.kubernetes.io/name": "sol"}},
                                      {"matchExpressions": [{"key": "app", "operator": "Exists"}]}])
def test_a_policy_selecting_some_pods_does_not_count(selector):
    assert check(deny(path="spec.podSelector", value=selector)) == [
        ("matrix", f"Namespace 'matrix' {RULE} Deployment 'sol'.")]


@pytest.mark.parametrize("selector", [{"matchLabels": {}}, {"matchExpressions": []}])
def test_an_empty_selector_written_out_selects_every_pod(selector):
    assert check(deny(path="spec.podSelector", value=selector)) == []


def test_explicitly_empty_rules_still_deny():
    assert check(offline.changed(deny(path="spec.ingress", value=[]), "spec.egress", [])) == []


def test_a_policy_in_another_namespace_does_not_count():
    assert check(deny(path="metadata.namespace", value="forge"), without=["matrix/default-deny"]) == [
        ("matrix", f"Namespace 'matrix' {RULE} Deployment 'sol'.")]


def test_a_policy_whose_namespace_is_unknown_does_not_count():
    moved = offline.resource_from_manifest(deny(path="metadata.namespace", value=UNKNOWN_STRING_VALUE))
    resources = [r for r in offline.corpus_resources() if r.name != "matrix/default-deny"] + [moved]
    assert offline.check_stack(POLICY, resources) == [("matrix", f"Namespace 'matrix' {RULE} Deployment 'sol'.")]


def test_every_workload_kind_of_the_namespace_is_named():
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate", "namespace": "matrix"},
           "spec": {"template": {"spec": {"containers": []}}}}
    cron_job = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "report", "namespace": "matrix"},
                "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}}}
    assert check(job, cron_job, without=["matrix/default-deny"]) == [
        ("matrix", f"Namespace 'matrix' {RULE} Deployment 'sol', Job 'migrate', CronJob 'report'.")]


def test_a_workload_in_an_unlisted_namespace_is_reported_and_the_default_namespace_too():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug"}, "spec": {"containers": []}}
    assert check(pod) == [("debug", f"Namespace 'default' {RULE} Pod 'debug'.")]


def test_a_workload_whose_namespace_is_unknown_is_reported():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": UNKNOWN_STRING_VALUE},
           "spec": {"containers": []}}
    assert [message for _, message in check(pod)] == [
        f"Namespace '<unknown>' {RULE} Pod 'debug'; their namespace is unknown at preview."]


def test_a_namespace_without_workloads_needs_no_policy():
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "edge"}}
    assert check(namespace) == []


def test_pods_of_custom_resources_are_not_workloads_here():
    # Only built-in kinds have a pod template the pack can read (kubernetes_resource.pod_template()).
    rollout = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r", "namespace": "x"},
               "spec": {"template": {"spec": {"containers": []}}}}
    assert check(rollout) == []


# --- Cilium (AKS's Cilium dataplane): the policies as Cilium's docs and charts write them ---------

CILIUM_DENY_ALL = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: default-deny, namespace: matrix}
spec:
  endpointSelector: {}
  ingress:
  - {}
  egress:
  - {}
"""


def cilium(text, **changes):
    import yaml
    manifest = yaml.safe_load(text)
    for path, value in changes.items():
        manifest = offline.changed(manifest, path.replace("__", "."), value)
    return manifest


def test_a_cilium_deny_all_policy_isolates_its_namespace():
    assert check(cilium(CILIUM_DENY_ALL), without=["matrix/default-deny"]) == []


def test_cilium_enable_default_deny_without_sections_isolates():
    assert check(cilium(CILIUM_DENY_ALL, spec__ingress=offline.DELETE, spec__egress=offline.DELETE,
                        spec__enableDefaultDeny={"ingress": True, "egress": True}),
                 without=["matrix/default-deny"]) == []


def test_cilium_directions_add_up_across_policies_and_specs():
    ingress_only = cilium(CILIUM_DENY_ALL, spec__egress=offline.DELETE)
    egress_only = cilium(CILIUM_DENY_ALL, metadata__name="deny-egress", spec__ingress=offline.DELETE)
    assert check(ingress_only, egress_only, without=["matrix/default-deny"]) == []
    as_specs = cilium(CILIUM_DENY_ALL, spec=offline.DELETE,
                      specs=[{"endpointSelector": {}, "ingress": [{}]}, {"endpointSelector": {}, "egressDeny": [{}]}])
    assert check(as_specs, without=["matrix/default-deny"]) == []


@pytest.mark.parametrize("changes, gap", [
    ({"spec__egress": offline.DELETE}, None),
    ({"spec__egress": [{"toEntities": ["world"]}]}, "egress has 1 allow rule(s)"),
    ({"spec__enableDefaultDeny": {"egress": False}}, None),
    ({"spec__endpointSelector": {"matchLabels": {"app": "sol"}}}, None),
    ({"spec__ingress": UNKNOWN_ARRAY_VALUE}, "ingress unknown at preview"),
])
def test_cilium_policies_that_leave_a_direction_open_do_not_count(changes, gap):
    why = f"; CiliumNetworkPolicy 'default-deny': {gap}" if gap else ""
    assert check(cilium(CILIUM_DENY_ALL, **changes), without=["matrix/default-deny"]) == [
        ("matrix", f"Namespace 'matrix' {RULE} Deployment 'sol'{why}.")]


def test_a_cilium_clusterwide_deny_all_isolates_every_namespace():
    clusterwide = cilium(CILIUM_DENY_ALL, kind="CiliumClusterwideNetworkPolicy", metadata={"name": "default-deny"})
    assert check(clusterwide, without=["matrix/default-deny", "forge/default-deny"]) == []
    ingress_only = cilium(CILIUM_DENY_ALL, kind="CiliumClusterwideNetworkPolicy", metadata={"name": "default-deny"},
                          spec__egress=offline.DELETE)
    assert [name for name, _ in check(ingress_only, without=["matrix/default-deny"])] == ["matrix"]

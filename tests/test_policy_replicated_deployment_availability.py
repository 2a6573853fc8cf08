"""replicated-deployment-availability: Sol made stateless passes; one field changes per case.

The happy path is the good corpus with Sol's claim swapped for an emptyDir (so
it is no single writer), 2 replicas rolling with maxUnavailable 0 and
maxSurge 1, under a budget of maxUnavailable 1, as the program renders a
replicated workload. Forgejo stays a single writer and must stay unreported.
"""
import pytest
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.replicated_deployment_availability import POLICY

SOL = "Deployment 'matrix/sol'"
BUDGET = "PodDisruptionBudget 'matrix/sol'"
SCALER = "HorizontalPodAutoscaler 'matrix/sol-autoscaler'"
ONE_POD = "(one pod is an outage whenever its node drains)"
ROLLOUT = "(a rollout must start a new pod before it stops an old one)"
SELECTS_SOL = {"matchLabels": {"app.kubernetes.io/name": "sol"}}
NO_AUTOSCALER = (f"{SOL} spec.replicas (unset: 1, and no HorizontalPodAutoscaler targets it) must be at least 2, "
                 f"or a HorizontalPodAutoscaler with minReplicas at least 2 must scale it {ONE_POD}.")
NO_BUDGET = (f"{SOL} must be selected by a PodDisruptionBudget that allows an eviction and keeps a pod running "
             "(none in namespace 'matrix' selects its pods).")
BLOCKS = f"must allow evicting a pod of {SOL}: it would block every node drain."
EMPTIES = f"must keep a pod of {SOL} running: a node drain could evict every one."


def stateless_sol(path=None, value=None):
    manifest = offline.corpus_manifest("Deployment", "matrix/sol")
    manifest["spec"].update(replicas=2, strategy={"type": "RollingUpdate",
                                                  "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}})
    manifest["spec"]["template"]["spec"]["volumes"][0] = {"name": "data", "emptyDir": {}}
    return manifest if path is None else offline.changed(manifest, path, value)


def budget(name="sol", namespace="matrix", selector=SELECTS_SOL, **numbers):
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": selector, **(numbers if numbers else {"maxUnavailable": 1})}}


def autoscaler(min_replicas=2, target="sol", namespace="matrix", kind="Deployment"):
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target}, "maxReplicas": 6}
    if min_replicas is not offline.DELETE:
        spec["minReplicas"] = min_replicas
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "sol-autoscaler", "namespace": namespace}, "spec": spec}


def check(sol=None, budgets=None, autoscalers=(), **config):
    """(resource, message) pairs for the good corpus with Sol replaced, plus budgets and autoscalers."""
    replaced = offline.resource_from_manifest(sol if sol is not None else stateless_sol())
    extra = list(budgets if budgets is not None else [budget()]) + list(autoscalers)
    resources = offline.overlay(offline.corpus_resources(), replaced) + [offline.resource_from_manifest(m)
                                                                        for m in extra]
    return offline.check_stack(POLICY, resources, config)


def test_replicated_deployment_under_one_budget_passes():
    assert check() == []


def test_single_writers_are_left_to_their_own_rules():
    assert offline.check_stack(POLICY, offline.corpus_resources()) == []


def test_shared_claim_is_not_a_single_writer():
    sol = offline.corpus_manifest("Deployment", "matrix/sol")  # 1 replica, Recreate, claim sol-data
    assert check(sol, budgets=[], sharedClaimNames=["sol-data"]) == [
        ("matrix/sol", f"{SOL} spec.replicas (1) must be at least 2 {ONE_POD}."),
        ("matrix/sol", NO_BUDGET),
        ("matrix/sol", f"{SOL} spec.strategy.type ('Recreate') must be RollingUpdate with maxUnavailable 0 {ROLLOUT}."),
    ]


# (a) replicas


@pytest.mark.parametrize("replicas", [2, 3, 2.0])  # the engine sends every number as a double
def test_two_or_more_replicas_pass(replicas):
    assert check(stateless_sol("spec.replicas", replicas)) == []


@pytest.mark.parametrize("replicas, shown", [(1, "1"), (0, "0"), (UNKNOWN_NUMBER_VALUE, "unknown at preview")])
def test_fewer_than_two_replicas_are_reported(replicas, shown):
    assert check(stateless_sol("spec.replicas", replicas)) == [
        ("matrix/sol", f"{SOL} spec.replicas ({shown}) must be at least 2 {ONE_POD}.")]


def test_unset_replicas_without_autoscaler_is_one():
    assert check(stateless_sol("spec.replicas", offline.DELETE)) == [("matrix/sol", NO_AUTOSCALER)]


@pytest.mark.parametrize("min_replicas", [2, 3.0])
def test_unset_replicas_under_an_autoscaler_of_two_or_more_pass(min_replicas):
    assert check(stateless_sol("spec.replicas", offline.DELETE), autoscalers=[autoscaler(min_replicas)]) == []


@pytest.mark.parametrize("min_replicas, shown", [(1, "1"), (offline.DELETE, "unset: 1"),
                                                 (UNKNOWN_NUMBER_VALUE, "unknown at preview")])
def test_autoscaler_below_two_is_reported(min_replicas, shown):
    assert check(stateless_sol("spec.replicas", offline.DELETE), autoscalers=[autoscaler(min_replicas)]) == [
        ("matrix/sol-autoscaler", f"{SCALER} spec.minReplicas ({shown}) must be at least 2 for {SOL} {ONE_POD}.")]


def test_autoscaler_below_two_is_reported_even_beside_replicas():
    assert check(autoscalers=[autoscaler(1)]) == [
        ("matrix/sol-autoscaler", f"{SCALER} spec.minReplicas (1) must be at least 2 for {SOL} {ONE_POD}.")]


@pytest.mark.parametrize("elsewhere", [{"namespace": "forge"}, {"target": "web"}, {"kind": "StatefulSet"}])
def test_autoscaler_of_something_else_does_not_count(elsewhere):
    assert check(stateless_sol("spec.replicas", offline.DELETE), autoscalers=[autoscaler(**elsewhere)]) == [
        ("matrix/sol", NO_AUTOSCALER)]


def test_autoscaler_with_unknown_target_cannot_stand_in_for_replicas():
    assert check(stateless_sol("spec.replicas", offline.DELETE),
                 autoscalers=[autoscaler(target=UNKNOWN_STRING_VALUE)]) == [
        ("matrix/sol", f"{SOL} spec.replicas (unset: 1 unless {SCALER}, whose target is unknown at preview, scales "
                       f"it) must be at least 2, or a HorizontalPodAutoscaler with minReplicas at least 2 must scale "
                       f"it {ONE_POD}.")]


def test_autoscaler_with_unknown_target_below_two_is_reported():
    assert check(autoscalers=[autoscaler(1, target=UNKNOWN_STRING_VALUE)]) == [
        ("matrix/sol-autoscaler", f"{SCALER} spec.minReplicas (1) must be at least 2 for {SOL}, which its target "
                                  f"(unknown at preview) may be {ONE_POD}.")]


# (b) the disruption budget


@pytest.mark.parametrize("numbers", [{"maxUnavailable": 1}, {"maxUnavailable": "50%"}, {"minAvailable": 1},
                                     {"minAvailable": 1.0}, {"minAvailable": "50%"}, {}])
def test_budget_that_allows_one_eviction_and_keeps_a_pod_passes(numbers):
    assert check(budgets=[budget(**numbers)]) == []


@pytest.mark.parametrize("budgets", [
    [],
    [budget(namespace="forge")],
    [budget(selector={"matchLabels": {"app.kubernetes.io/name": "forge"}})],
    [budget(selector=None)],  # a budget without a selector selects nothing
])
def test_no_budget_selecting_the_pods_is_reported(budgets):
    assert check(budgets=budgets) == [("matrix/sol", NO_BUDGET)]


@pytest.mark.parametrize("numbers, shown", [
    ({"maxUnavailable": 0}, "maxUnavailable 0"),
    ({"maxUnavailable": "0%"}, "maxUnavailable 0%"),
    ({"minAvailable": 2}, "minAvailable 2"),
    ({"minAvailable": "100%"}, "minAvailable 100%"),
    ({"minAvailable": "60%"}, "minAvailable 60%"),  # of 2 pods, rounded up: 2
])
def test_budget_that_blocks_eviction_is_reported(numbers, shown):
    assert check(budgets=[budget(**numbers)]) == [("matrix/sol", f"{BUDGET} ({shown}) {BLOCKS}")]


@pytest.mark.parametrize("numbers, shown", [
    ({"maxUnavailable": 2}, "maxUnavailable 2"),
    ({"maxUnavailable": "100%"}, "maxUnavailable 100%"),
    ({"minAvailable": 0}, "minAvailable 0"),
])
def test_budget_that_lets_a_drain_evict_every_pod_is_reported(numbers, shown):
    assert check(budgets=[budget(**numbers)]) == [("matrix/sol", f"{BUDGET} ({shown}) {EMPTIES}")]


def test_budget_numbers_are_judged_against_the_autoscaler_floor():
    sol = stateless_sol("spec.replicas", 4)
    assert check(sol, budgets=[budget(minAvailable=2)], autoscalers=[autoscaler(2)]) == [
        ("matrix/sol", f"{BUDGET} (minAvailable 2) {BLOCKS}")]


def test_budget_numbers_unknown_at_preview_are_reported():
    assert check(budgets=[budget(maxUnavailable=UNKNOWN_NUMBER_VALUE)]) == [
        ("matrix/sol", f"{BUDGET} (a budget unknown at preview) must allow evicting a pod of {SOL} and keep "
                       "another running.")]


@pytest.mark.parametrize("changes", [{"selector": UNKNOWN_OBJECT_VALUE}, {"namespace": UNKNOWN_STRING_VALUE}])
def test_budget_that_only_may_select_the_pods_is_reported(changes):
    shown = "PodDisruptionBudget '<unknown>/sol'" if "namespace" in changes else BUDGET
    assert check(budgets=[budget(**changes)]) == [
        ("matrix/sol", f"{SOL} must be selected by a PodDisruptionBudget that allows an eviction and keeps a pod "
                       f"running ({shown} may, but whether it does is unknown at preview).")]


def test_pod_labels_unknown_at_preview_cannot_be_matched():
    assert check(stateless_sol("spec.template.metadata.labels", UNKNOWN_OBJECT_VALUE)) == [
        ("matrix/sol", f"{SOL} must be selected by a PodDisruptionBudget that allows an eviction and keeps a pod "
                       f"running ({BUDGET} may, but whether it does is unknown at preview).")]


def test_two_budgets_selecting_the_pods_are_reported():
    assert check(budgets=[budget(), budget(name="sol-extra")]) == [
        ("matrix/sol", f"{SOL} must be selected by one PodDisruptionBudget, not several ({BUDGET}, "
                       "PodDisruptionBudget 'matrix/sol-extra'): the eviction API refuses to evict a pod that two "
                       "budgets select.")]


def test_a_second_budget_that_may_select_the_pods_is_reported():
    assert check(budgets=[budget(), budget(name="sol-extra", selector=UNKNOWN_OBJECT_VALUE)]) == [
        ("matrix/sol", f"{SOL} must be selected by one PodDisruptionBudget, not several ({BUDGET}, and maybe "
                       "PodDisruptionBudget 'matrix/sol-extra' (unknown at preview)): the eviction API refuses to "
                       "evict a pod that two budgets select.")]


# (c) the rollout


@pytest.mark.parametrize("path, value", [
    ("spec.strategy.rollingUpdate.maxUnavailable", "0%"),
    ("spec.strategy.type", offline.DELETE),  # RollingUpdate by default
])
def test_rolling_update_without_unavailable_pods_passes(path, value):
    assert check(stateless_sol(path, value)) == []


@pytest.mark.parametrize("strategy_type, shown", [("Recreate", "'Recreate'"),
                                                  (UNKNOWN_STRING_VALUE, "unknown at preview")])
def test_strategy_must_be_rolling_update(strategy_type, shown):
    assert check(stateless_sol("spec.strategy.type", strategy_type)) == [
        ("matrix/sol", f"{SOL} spec.strategy.type ({shown}) must be RollingUpdate with maxUnavailable 0 {ROLLOUT}.")]


@pytest.mark.parametrize("path, value, shown", [
    ("spec.strategy.rollingUpdate.maxUnavailable", offline.DELETE, "'25%' by default"),
    ("spec.strategy", offline.DELETE, "'25%' by default"),
    ("spec.strategy.rollingUpdate.maxUnavailable", 1, "1"),
    ("spec.strategy.rollingUpdate.maxUnavailable", "25%", "'25%'"),
    ("spec.strategy.rollingUpdate.maxUnavailable", UNKNOWN_NUMBER_VALUE, "unknown at preview"),
])
def test_max_unavailable_must_be_zero(path, value, shown):
    assert check(stateless_sol(path, value)) == [
        ("matrix/sol", f"{SOL} spec.strategy.rollingUpdate.maxUnavailable ({shown}) must be 0 {ROLLOUT}.")]


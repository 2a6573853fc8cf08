"""no-disruption-budget-on-single-writer: a budget that keeps Sol's one pod from eviction is reported."""
import pytest
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE, UNKNOWN_OBJECT_VALUE

from policies import offline
from policies.no_disruption_budget_on_single_writer import POLICY

SELECTS_SOL = {"matchLabels": {"app.kubernetes.io/name": "sol"}}
RULE = "must not select single-writer Deployment 'matrix/sol' (one replica, claim 'sol-data'): it would block every node drain."


def budget(selector=SELECTS_SOL, **numbers):
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "sol", "namespace": "matrix"},
            "spec": {"selector": selector, **numbers}}


def check(*manifests):
    resources = offline.corpus_resources() + [offline.resource_from_manifest(m) for m in manifests]
    return offline.check_stack(POLICY, resources)


def test_no_budget_passes():
    assert check() == []


@pytest.mark.parametrize("numbers, shown", [
    ({"minAvailable": 1}, "minAvailable 1"),
    ({"minAvailable": 1.0}, "minAvailable 1"),  # the engine sends every number as a double
    ({"minAvailable": "100%"}, "minAvailable 100%"),
    ({"maxUnavailable": 0}, "maxUnavailable 0"),
    ({"maxUnavailable": "0%"}, "maxUnavailable 0%"),
    ({}, "minAvailable 1"),
    ({"minAvailable": UNKNOWN_NUMBER_VALUE}, "a budget unknown at preview"),
])
def test_blocking_budget_is_reported(numbers, shown):
    assert check(budget(**numbers)) == [("matrix/sol", f"PodDisruptionBudget 'matrix/sol' ({shown}) {RULE}")]


@pytest.mark.parametrize("numbers", [{"minAvailable": 0}, {"maxUnavailable": 1}, {"maxUnavailable": "100%"}])
def test_budget_that_allows_eviction_passes(numbers):
    assert check(budget(**numbers)) == []


@pytest.mark.parametrize("selector", [
    {"matchLabels": {"app.kubernetes.io/name": "forge"}},
    {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "NotIn", "values": ["sol"]}]},
    None,
])
def test_budget_selecting_other_pods_passes(selector):
    assert check(budget(selector=selector, minAvailable=1)) == []


@pytest.mark.parametrize("selector", [{}, {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "Exists"}]},
                                      UNKNOWN_OBJECT_VALUE])
def test_budget_that_may_select_sol_is_reported(selector):
    assert check(budget(selector=selector, minAvailable=1)) == [
        ("matrix/sol", f"PodDisruptionBudget 'matrix/sol' (minAvailable 1) {RULE}")]

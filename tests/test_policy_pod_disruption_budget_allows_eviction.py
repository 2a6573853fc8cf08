"""pod-disruption-budget-allows-eviction: memQL's BFF budget (maxUnavailable 1) passes; one number per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE

from policies import offline
from policies.pod_disruption_budget_allows_eviction import POLICY

PDB = "PodDisruptionBudget 'memql/memql-bff'"
DRAIN = "(a node drain, and with it every AKS node upgrade, waits until the budget is deleted)."


def check(*manifests):
    resources = offline.overlay(offline.corpus_resources(), *map(offline.resource_from_manifest, manifests))
    return [message for _, message in offline.check_stack(POLICY, resources)]


def budget(**numbers):
    manifest = offline.corpus_manifest("PodDisruptionBudget", "memql/memql-bff")
    manifest["spec"].pop("maxUnavailable")
    manifest["spec"].update(numbers)
    return manifest


def test_the_corpus_passes():
    assert check() == []


@pytest.mark.parametrize("numbers, shown", [
    ({"maxUnavailable": 0}, "maxUnavailable 0"),
    ({"maxUnavailable": "0%"}, "maxUnavailable 0%"),
    ({"minAvailable": "100%"}, "minAvailable 100%"),
])
def test_budgets_that_block_whatever_the_replicas(numbers, shown):
    assert check(budget(**numbers)) == [f"{PDB} ({shown}) must allow at least one eviction {DRAIN}"]


@pytest.mark.parametrize("numbers, shown", [
    ({"minAvailable": 2}, "minAvailable 2"),
    ({"minAvailable": 3}, "minAvailable 3"),
    ({"minAvailable": "60%"}, "minAvailable 60%"),  # 60% of 2 rounds up to 2
])
def test_budgets_that_block_at_the_workloads_replicas(numbers, shown):
    assert check(budget(**numbers)) == [
        f"{PDB} ({shown}) must allow at least one eviction of Deployment 'memql/memql-bff', which runs 2 "
        f"replica(s) {DRAIN}"]


def test_a_budget_that_sets_neither_is_min_available_one():
    assert check(budget()) == []
    single = offline.changed(offline.corpus_manifest("Deployment", "memql/memql-bff"), "spec.replicas", 1)
    assert check(budget(), single) == [
        f"{PDB} (neither minAvailable nor maxUnavailable (minAvailable 1)) must allow at least one eviction of "
        f"Deployment 'memql/memql-bff', which runs 1 replica(s) {DRAIN}"]


@pytest.mark.parametrize("numbers", [{"minAvailable": 1}, {"maxUnavailable": 1}, {"maxUnavailable": "10%"},
                                     {"minAvailable": "50%"}])
def test_budgets_that_allow_an_eviction_pass(numbers):
    assert check(budget(**numbers)) == []


def test_an_unknown_number_is_reported():
    assert check(budget(maxUnavailable=UNKNOWN_NUMBER_VALUE)) == [
        f"{PDB} (a number unknown at preview) must allow at least one eviction {DRAIN}"]


def test_a_budget_selecting_another_workload_is_judged_alone():
    other = offline.changed(budget(minAvailable=2), "spec.selector.matchLabels", {"app.kubernetes.io/name": "x"})
    assert check(other) == []

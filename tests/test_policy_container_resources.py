"""container-resources: one request or limit changes per case on Sol's Deployment."""
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import offline
from policies.container_resources import POLICY

RESOURCES = "spec.template.spec.containers.0.resources"
SOL = "Deployment 'matrix/sol' container 'sol'"
QUANTITY = "must be set to a quantity such as 100m or 256Mi."


def check(manifest):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest)


def sol(path=None, value=None):
    manifest = offline.corpus_manifest("Deployment", "matrix/sol")
    return manifest if path is None else offline.changed(manifest, path, value)


def test_requests_and_memory_limit_pass():
    assert check(sol()) == []


def test_cpu_limit_is_not_required_but_allowed():
    assert check(sol(f"{RESOURCES}.limits.cpu", "500m")) == []


def test_numbers_are_quantities():
    assert check(sol(f"{RESOURCES}.requests.cpu", 1)) == []


@pytest.mark.parametrize("path, value, expected", [
    ("requests.cpu", offline.DELETE, f"{SOL} resources.requests.cpu (unset) {QUANTITY}"),
    ("requests.memory", "lots", f"{SOL} resources.requests.memory ('lots') {QUANTITY}"),
    ("limits.memory", offline.DELETE, f"{SOL} resources.limits.memory (unset) {QUANTITY}"),
    ("limits.memory", UNKNOWN_STRING_VALUE, f"{SOL} resources.limits.memory (unknown at preview) {QUANTITY}"),
    ("limits.memory", "128Mi",
     f"{SOL} resources.limits.memory ('128Mi') must be at least resources.requests.memory ('256Mi')."),
])
def test_missing_or_bad_resources_are_reported(path, value, expected):
    assert check(sol(f"{RESOURCES}.{path}", value)) == [expected]


def test_init_container_requests_are_required():
    assert check(sol("spec.template.spec.initContainers.0.resources", offline.DELETE)) == [
        f"Deployment 'matrix/sol' initContainer 'create-data-directories' resources.{name} (unset) {QUANTITY}"
        for name in ("requests.cpu", "requests.memory", "limits.memory")]

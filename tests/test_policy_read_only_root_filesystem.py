"""read-only-root-filesystem: one field changes per case on Sol's Deployment."""
import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE

from policies import offline
from policies.read_only_root_filesystem import POLICY

PATH = "spec.template.spec.containers.0.securityContext.readOnlyRootFilesystem"
SOL = "Deployment 'matrix/sol' container 'sol'"


def check(manifest):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest)


def sol(path=None, value=None):
    manifest = offline.corpus_manifest("Deployment", "matrix/sol")
    return manifest if path is None else offline.changed(manifest, path, value)


def test_read_only_root_filesystem_passes():
    assert check(sol()) == []


@pytest.mark.parametrize("value, shown", [(False, "false"), (offline.DELETE, "unset"),
                                          (UNKNOWN_BOOLEAN_VALUE, "unknown at preview")])
def test_writable_root_filesystem_is_reported(value, shown):
    assert check(sol(PATH, value)) == [f"{SOL} securityContext.readOnlyRootFilesystem ({shown}) must be true."]


def test_init_containers_are_checked():
    path = "spec.template.spec.initContainers.0.securityContext.readOnlyRootFilesystem"
    assert check(sol(path, False)) == [
        "Deployment 'matrix/sol' initContainer 'create-data-directories' "
        "securityContext.readOnlyRootFilesystem (false) must be true."]


def test_ephemeral_containers_are_exempt():
    assert check(sol("spec.template.spec.ephemeralContainers", [{"name": "debug", "image": "busybox"}])) == []

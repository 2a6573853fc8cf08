"""The rendered stacks: golden files, determinism, and strict schema validation.

Refresh the golden files after an intended change with:
    .venv/bin/stackctl render staging --out tests/golden/staging
    .venv/bin/stackctl render prod --out tests/golden/prod
and review the diff like any other change.
"""
from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from custom_resource_models import Metadata, SPEC_MODELS

GOLDEN = Path(__file__).parent / "golden"
KUBERNETES_VERSION = "1.32"
CLUSTER_SCOPED_KINDS = {"Namespace", "StorageClass"}
# Custom resources whose schemas kubernetes-validate does not have: the
# server-side tests apply them against CRDs from the upstream modules
# (scripts/generate-crds), with the API server's strict field validation.
SERVER_VALIDATED_GROUPS = {"cert-manager.io", "gateway.networking.k8s.io", "gateway.envoyproxy.io"}


def _tree(directory: Path) -> dict[str, str]:
    """Every file of a render but its marker: the manifests and the `.stackctl/` outputs and summaries."""
    return {str(path.relative_to(directory)): path.read_text() for path in sorted(directory.rglob("*"))
            if path.is_file() and path.name != ".stackctl-render"}


def _kubernetes_documents(out: Path) -> list[dict]:
    # Only Kubernetes objects carry a .yaml suffix in a render (kubectl apply -R takes the tree as it is).
    return [yaml.safe_load(path.read_text()) for path in sorted(out.rglob("*.yaml"))]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_render_matches_golden_files(stack, rendered):
    _, out = rendered[stack]
    actual, expected = _tree(out), _tree(GOLDEN / stack)
    assert sorted(actual) == sorted(expected), "rendered file set differs from tests/golden (see module docstring)"
    for name in expected:
        assert actual[name] == expected[name], f"{stack}/{name} differs from its golden file"


def test_render_is_byte_identical_across_runs(rendered, tmp_path):
    from stackctl.render import render_stack

    render_stack("staging", tmp_path / "again")
    assert _tree(tmp_path / "again") == _tree(rendered["staging"][1])


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_document_is_complete(stack, rendered):
    _, out = rendered[stack]
    documents = _kubernetes_documents(out)
    assert documents
    for document in documents:
        assert document["apiVersion"] and document["kind"] and document["metadata"]["name"]
        if document["kind"] not in CLUSTER_SCOPED_KINDS:
            assert document["metadata"]["namespace"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_builtin_objects_validate_strictly_against_kubernetes_schemas(stack, rendered):
    _, out = rendered[stack]
    checked = 0
    for document in _kubernetes_documents(out):
        if (document["apiVersion"], document["kind"]) in SPEC_MODELS:
            continue
        if document["apiVersion"].split("/")[0] in SERVER_VALIDATED_GROUPS:
            continue
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        checked += 1
    assert checked >= 4


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_custom_resources_validate_against_typed_spec_models(stack, rendered):
    _, out = rendered[stack]
    seen = set()
    for document in _kubernetes_documents(out):
        key = (document["apiVersion"], document["kind"])
        if key in SPEC_MODELS:
            assert set(document) == {"apiVersion", "kind", "metadata", "spec"}
            Metadata.model_validate(document["metadata"])
            SPEC_MODELS[key].model_validate(document["spec"])
            seen.add(key[1])
    assert {"VaultStaticSecret", "VaultAuth", "VaultConnection"} <= seen


def test_strict_validation_catches_a_misplaced_field(rendered):
    _, out = rendered["staging"]
    deployment = yaml.safe_load((out / "matrix" / "Deployment-sol.yaml").read_text())
    deployment["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFileSystem"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_sol_is_deployed_as_the_seed_describes_with_the_hardening(stack, rendered):
    _, out = rendered[stack]
    deployment = yaml.safe_load((out / "matrix" / "Deployment-sol.yaml").read_text())
    spec = deployment["spec"]
    assert (spec["replicas"], spec["strategy"]) == (1, {"type": "Recreate"})
    pod = spec["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False and pod["enableServiceLinks"] is False
    assert pod["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532, "fsGroup": 65532,
        "fsGroupChangePolicy": "OnRootMismatch", "seccompProfile": {"type": "RuntimeDefault"},
    }
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}}
    assert container["image"].startswith("registry.sunbeam.pt/studio/sol@sha256:")
    env = {item["name"]: item for item in container["env"]}
    assert env["SOL_CONFIG"]["value"] == "/etc/sol/sol.toml"
    assert env["SOL_SYSTEM_PROMPT"]["value"] == "/etc/sol/system_prompt.md"
    assert {name: item["valueFrom"]["secretKeyRef"]["key"] for name, item in env.items() if "valueFrom" in item} == {
        "SOL_MATRIX_ACCESS_TOKEN": "matrix-access-token",
        "SOL_MATRIX_DEVICE_ID": "matrix-device-id",
        "SOL_MISTRAL_API_KEY": "mistral-api-key",
    }
    mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
    assert mounts["/etc/sol/sol.toml"] == {"name": "config", "mountPath": "/etc/sol/sol.toml",
                                           "subPath": "sol.toml", "readOnly": True}
    assert mounts["/etc/sol/system_prompt.md"]["subPath"] == "system_prompt.md"
    assert mounts["/data"]["name"] == "data" and mounts["/tmp"]["name"] == "tmp"
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert volumes["data"]["persistentVolumeClaim"] == {"claimName": "sol-data"}
    assert "emptyDir" in volumes["tmp"]
    init = next(c for c in pod["initContainers"] if c["name"] == "create-data-directories")
    assert init["command"] == ["mkdir", "-p", "/data/matrix-state"]
    assert init["securityContext"]["runAsUser"] == 65532
    assert "checksum/config" in spec["template"]["metadata"]["annotations"]

    claim = yaml.safe_load((out / "matrix" / "PersistentVolumeClaim-sol-data.yaml").read_text())
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    # The retaining class the program creates, never the cluster default (which deletes disks on AKS).
    assert claim["spec"]["storageClassName"] == "platform-retain-zrs"
    storage_class = yaml.safe_load((out / "_cluster" / "StorageClass-platform-retain-zrs.yaml").read_text())
    assert storage_class["reclaimPolicy"] == "Retain" and storage_class["allowVolumeExpansion"] is True
    config_map = yaml.safe_load((out / "matrix" / "ConfigMap-sol-config.yaml").read_text())
    assert sorted(config_map["data"]) == ["sol.toml", "system_prompt.md"]
    secret = yaml.safe_load((out / "matrix" / "VaultStaticSecret-sol-secrets.yaml").read_text())
    assert secret["spec"]["path"] == "sol" and secret["spec"]["mount"] == "secret"
    assert secret["spec"]["rolloutRestartTargets"] == [{"kind": "Deployment", "name": "sol"}]
    assert secret["metadata"]["annotations"]["stackctl/provided-keys"] == \
        "matrix-access-token,matrix-device-id,mistral-api-key"
    namespace = yaml.safe_load((out / "_cluster" / "Namespace-matrix.yaml").read_text())
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_config_change_changes_the_pod_template_checksum(scratch_project, rendered):
    from stackctl.render import render_stack

    (scratch_project / "config" / "sol" / "sol.toml").write_text("[matrix]\nuser_id = \"@sol2:sunbeam.pt\"\n")
    result = render_stack("staging", scratch_project / "out", root=scratch_project)
    changed = yaml.safe_load((scratch_project / "out" / "matrix" / "Deployment-sol.yaml").read_text())
    original = yaml.safe_load((rendered["staging"][1] / "matrix" / "Deployment-sol.yaml").read_text())
    key = "checksum/config"
    assert changed["spec"]["template"]["metadata"]["annotations"][key] != \
        original["spec"]["template"]["metadata"]["annotations"][key]
    assert result.resources

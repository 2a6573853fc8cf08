"""`stackctl local` and its scratch copy (stackctl/engine_workspace.py), without the engine.

The engine runs are in tests/e2e (test_stackctl_local_flow.py); here: what the
copy changes in a stack file (exactly two things), that a refresh keeps the
salt the local backend wrote, and the bad-input exits.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stackctl.engine_workspace import LOCAL_CONFIG, local_stack_file_text, sync_scratch_project

ROOT = Path(__file__).resolve().parent.parent


def test_the_copy_drops_the_secrets_provider_and_skips_cloud_resources():
    source = ROOT / "Pulumi.staging.yaml"
    text = source.read_text()
    assert text.count("\nsecretsprovider:") + text.startswith("secretsprovider:") == 1
    local = local_stack_file_text(text, source)
    assert "secretsprovider:" not in local
    assert local.endswith(LOCAL_CONFIG)
    original, copied = yaml.safe_load(text), yaml.safe_load(local)
    assert copied["config"].pop("platform:kubernetes") == {"skipCloudResourcesWithoutPlugins": True}
    del original["secretsprovider"]
    assert copied == original, "the copy changes nothing else"


def test_a_stack_file_that_sets_kubernetes_is_refused_naming_the_fix():
    with pytest.raises(ValueError, match="already sets platform:kubernetes; merge skipCloudResourcesWithoutPlugins"):
        local_stack_file_text("config:\n  platform:kubernetes:\n    renderYamlToDirectory: x\n", Path("Pulumi.x.yaml"))


def test_a_refresh_keeps_the_salt_and_never_writes_the_repository(tmp_path):
    before = {p.name: p.read_bytes() for p in ROOT.glob("Pulumi*.yaml")}
    dest = tmp_path / "project"
    sync_scratch_project(ROOT, dest, ("staging",))
    stack_file = dest / "Pulumi.staging.yaml"
    stack_file.write_text(stack_file.read_text() + "encryptionsalt: v1:abc:def\n")  # as `stack init` writes it
    sync_scratch_project(ROOT, dest, ("staging",))
    assert stack_file.read_text().endswith(LOCAL_CONFIG + "encryptionsalt: v1:abc:def\n")
    assert (dest / "releases").is_dir() and (dest / "config").is_dir() and (dest / "Pulumi.yaml").is_file()
    assert {p.name: p.read_bytes() for p in ROOT.glob("Pulumi*.yaml")} == before


def _local(*argv: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stackctl", "local", *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=env)


def test_an_unknown_stack_lists_the_stacks():
    done = _local("stagign", "preview")
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        f"error: stack: 'stagign' (there is no Pulumi.stagign.yaml in --root {ROOT}; stacks there: prod, staging)")


def test_no_cluster_is_bad_input_naming_the_flag(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    done = _local("staging", "up", env=env)
    assert done.returncode == 2
    assert done.stderr.startswith("error: --kubeconfig: '' (name the local cluster's kubeconfig, or set KUBECONFIG")


def test_engine_steps_read_as_pulumi_preview_json_by_stackctl_risk():
    """EngineResult.preview_json: the engine's step events in the shape `stackctl risk --preview` reads."""
    from stackctl.engine_workspace import EngineResult
    from stackctl.risk import changes_from_preview

    urn = "urn:pulumi:staging::platform::platform:x:SingleWriter$kubernetes:apps/v1:Deployment::sol-deployment"
    old = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "sol", "namespace": "matrix"}}
    new = {**old, "spec": {"replicas": 1}}
    result = EngineResult("preview", 0, "", 1.0, [
        {"op": "same", "urn": urn.replace("sol-deployment", "x"), "type": "kubernetes:core/v1:Namespace"},
        {"op": "update", "urn": urn, "type": "kubernetes:apps/v1:Deployment",
         "oldState": {"type": "kubernetes:apps/v1:Deployment", "urn": urn, "inputs": old},
         "newState": {"type": "kubernetes:apps/v1:Deployment", "urn": urn, "inputs": new}},
    ], {"same": 1, "update": 1})
    document = result.preview_json()
    assert document["changeSummary"] == {"same": 1, "update": 1}
    assert [step["op"] for step in document["steps"]] == ["same", "update"]
    (change,) = changes_from_preview(document, "events")
    assert (change.op, change.type, change.name, change.old, change.new) == (
        "update", "kubernetes:apps/v1:Deployment", "matrix/sol", old, new)


def test_a_refused_preview_is_still_written_for_stackctl_risk(tmp_path, monkeypatch):
    """The engine refuses to replace a protected claim: the preview fails, yet its steps and the refusal are
    what a reviewer needs, so --preview-json writes them and the exit is 1 (findings).

    The engine is stood in for (tests/e2e records a real refused preview: the access-mode golden); this checks
    only what `stackctl local` does with a failed preview's result.
    """
    import argparse

    from stackctl import local
    from stackctl.engine_workspace import EngineResult, EngineWorkspace

    root = tmp_path / "root"
    root.mkdir()
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.staging.yaml"):
        (root / name).write_bytes((ROOT / name).read_bytes())
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    urn = "urn:pulumi:staging::platform::kubernetes:core/v1:PersistentVolumeClaim::sol-data-claim"
    refused = EngineResult(
        "preview", 1, "error: preview failed", 1.0,
        steps=[{"op": "replace", "urn": urn, "type": "kubernetes:core/v1:PersistentVolumeClaim"}],
        diagnostics=[{"urn": urn, "severity": "error",
                      "message": f'unable to replace resource "{urn}"\nas it is currently marked for protection'}])
    monkeypatch.setattr("stackctl.engine_workspace.built_engine", lambda: (tmp_path / "engine", ""))
    monkeypatch.setattr(EngineWorkspace, "run", lambda self, *args, **kwargs: refused)
    written = tmp_path / "preview.json"
    args = argparse.Namespace(root=root, stack="staging", operation="preview", kubeconfig=kubeconfig,
                              no_policy_pack=True, preview_json=written, output="text")
    assert local.run(args) == 1
    document = yaml.safe_load(written.read_text())
    assert [step["op"] for step in document["steps"]] == ["replace"]
    assert "marked for protection" in document["diagnostics"][0]["message"]

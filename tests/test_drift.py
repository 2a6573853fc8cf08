"""`stackctl drift`: the live cluster against the images the release block pins."""
from __future__ import annotations

import json
import subprocess
import sys

import yaml


def _live_from_golden(project_root, stack="staging"):
    items = [yaml.safe_load(path.read_text())
             for path in sorted((project_root / "tests" / "golden" / stack).rglob("Deployment-*.yaml"))]
    return {"apiVersion": "v1", "kind": "List", "items": items}


def _drift(project_root, live, tmp_path):
    live_file = tmp_path / "live.json"
    live_file.write_text(json.dumps(live))
    return subprocess.run([sys.executable, "-m", "stackctl", "drift", "staging", "--live", str(live_file)],
                          cwd=project_root, capture_output=True, text=True, timeout=120)


def test_cluster_running_the_pinned_images_has_no_drift(project_root, tmp_path):
    completed = _drift(project_root, _live_from_golden(project_root), tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == "no drift: 3 Deployments run the images stack staging pins\n"


def test_a_hand_set_image_and_a_missing_deployment_are_drift(project_root, tmp_path):
    live = _live_from_golden(project_root)
    sol = next(item for item in live["items"] if item["metadata"]["name"] == "sol")
    sol["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.sunbeam.pt/studio/sol:hotfix"
    live["items"] = [item for item in live["items"] if item["metadata"]["name"] != "chat"]
    completed = _drift(project_root, live, tmp_path)
    assert completed.returncode == 1
    assert completed.stderr.splitlines() == [
        "drift: 2 difference(s) between the cluster and stack staging:",
        "  Deployment chat/chat: not running on the cluster",
        "  Deployment matrix/sol containers/sol: runs registry.sunbeam.pt/studio/sol:hotfix, release pins "
        "registry.sunbeam.pt/studio/sol@sha256:be539f2bd0ce7b4a99a4dd1ebe22954331a5e1cb7f53152f95e7315914eb0317",
    ]

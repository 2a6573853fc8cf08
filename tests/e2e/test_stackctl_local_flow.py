"""The README's "try `pulumi up` locally" flow on a fresh clone: it works, and `git status` stays clean.

`stackctl local STACK up` runs the program under the engine through the
Automation API on a scratch copy (`.pulumi-local/`, git-ignored), so nothing
tracked changes: before, `pulumi stack init` rewrote `Pulumi.staging.yaml`
(its comments and `secretsprovider:` gone, an `encryptionsalt:` added).
The clone is of the committed tree (HEAD); it runs after the engine story
(file order), on a cluster emptied of that story's objects.
"""
from __future__ import annotations

import os
import subprocess
import sys

from conftest import remove_stack_objects
from e2e_support import ROOT, wait_for


def _git(*args: str, cwd) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def test_local_up_on_a_fresh_clone_leaves_git_status_clean(kubectl, crds, ingress_controller, engine, tmp_path):
    remove_stack_objects(kubectl)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=300)
    (clone / ".venv").symlink_to(ROOT / ".venv")  # scripts/bootstrap's environments, git-ignored
    (clone / "policies" / "venv").symlink_to(ROOT / "policies" / "venv")
    assert _git("status", "--porcelain", "--ignored=no", cwd=clone) == ""
    env = {**os.environ, "KUBECONFIG": kubectl.kubeconfig}

    def local(operation: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "stackctl", "local", "staging", operation], cwd=clone,
                              env=env, capture_output=True, text=True, timeout=1800)

    up = local("up")
    assert up.returncode == 0, up.stdout[-8000:] + up.stderr[-8000:]
    assert "platform@v0.1.0" in up.stdout + up.stderr, "the policy pack did not run"
    wait_for(lambda: kubectl.json("deployment", "sol", "-n", "matrix")["status"].get("availableReplicas") == 1,
             "sol available after `stackctl local staging up`")
    again = local("preview")
    assert again.returncode == 0, again.stdout[-8000:] + again.stderr[-8000:]
    assert _git("status", "--porcelain", "--ignored=no", cwd=clone) == "", "the local flow changed a tracked file"
    assert (clone / ".pulumi-local" / "state").is_dir()

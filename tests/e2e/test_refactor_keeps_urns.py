"""A refactor that moves resources must not replace them: `pulumi up` before it and after it, under the real engine.

Both stacks are brought up by the program as it was at `URN_BASELINE` (a
clone of this repository checked out there), then the same clone is checked
out at HEAD and updated again with the same state. The second update must
create, update, replace and delete nothing that exists in the cluster; the
only creates allowed are component resources that are new at HEAD (for the
`Service` component: one `platform:services:Service` per service, which are
state-only and own what used to sit at the top of the stack, carried over by
`aliases`). The protected claims and the namespaces keep their UIDs.

This is the guard for every later refactor: move `URN_BASELINE` forward to
the commit before the next change that moves resources, and this test proves
that change carries its URNs over. STACKCTL_URN_BASELINE overrides it. It
tests committed trees (HEAD of this repository), not uncommitted edits.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import remove_stack_objects
from e2e_support import ROOT, resource_type, wait_for

# The last commit before `Service` parented each service's resources.
URN_BASELINE = os.environ.get("STACKCTL_URN_BASELINE", "36b533ca6d823f2cd86fa34f01aec4501ea5ba32")
# Component types that do not exist at the baseline; creating them changes nothing in the cluster.
NEW_COMPONENT_TYPES = {"platform:services:Service"}
CLAIMS = {"staging": {"matrix": "sol-data", "forge": "forge-data", "chat": "chat-history"}}
CLAIMS["prod"] = CLAIMS["staging"]


def _git(*args: str, cwd) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=300).stdout


def _uids(kubectl, stack: str) -> dict[str, str]:
    uids = {f"namespace/{n}": kubectl.json("namespace", n)["metadata"]["uid"] for n in CLAIMS[stack]}
    for namespace, claim in CLAIMS[stack].items():
        uids[f"pvc/{namespace}/{claim}"] = kubectl.json("pvc", claim, "-n", namespace)["metadata"]["uid"]
    return uids


@pytest.fixture(scope="module")
def baseline_clone(tmp_path_factory):
    clone = tmp_path_factory.mktemp("urn-baseline") / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=300)
    resolved = subprocess.run(["git", "rev-parse", "--verify", f"{URN_BASELINE}^{{commit}}"], cwd=clone,
                              capture_output=True, text=True)
    assert resolved.returncode == 0, (
        f"URN_BASELINE {URN_BASELINE} is not a commit of this repository's history (a shallow clone?): "
        "clone with full history, or set STACKCTL_URN_BASELINE to a commit that exists")
    (clone / ".venv").symlink_to(ROOT / ".venv")  # scripts/bootstrap's environment, git-ignored
    return clone


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_moving_resources_under_new_components_replaces_nothing(stack, baseline_clone, kubectl, crds,
                                                                ingress_controller, engine, tmp_path):
    clone = baseline_clone
    remove_stack_objects(kubectl)  # both stacks use the same namespace names; the stale state stays unused
    env = {**os.environ, "KUBECONFIG": kubectl.kubeconfig}

    def local(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "stackctl", *args], cwd=clone, env=env,
                              capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, f"stackctl {' '.join(args)} at {_git('rev-parse', 'HEAD', cwd=clone)}" \
                                     f"exited {done.returncode}:\n{done.stdout[-8000:]}\n{done.stderr[-8000:]}"
        return done

    head = _git("rev-parse", "HEAD", cwd=ROOT).strip()
    _git("checkout", "--quiet", "--detach", URN_BASELINE, cwd=clone)
    local("local", stack, "up", "--no-policy-pack")
    wait_for(lambda: kubectl.json("deployment", "sol", "-n", "matrix")["status"].get("availableReplicas") == 1,
             f"sol available after the baseline's up of {stack}")
    before = _uids(kubectl, stack)

    _git("checkout", "--quiet", "--detach", head, cwd=clone)
    preview_file = tmp_path / "preview.json"
    local("local", stack, "preview", "--no-policy-pack", "--preview-json", str(preview_file))
    steps = json.loads(preview_file.read_text())["steps"]
    changed = [(s["op"], s["urn"]) for s in steps if s["op"] != "same"]
    unexpected = [(op, urn) for op, urn in changed if not (op == "create" and resource_type(urn) in NEW_COMPONENT_TYPES)]
    assert unexpected == [], f"moving to {head[:12]} would change {stack}: {unexpected}"
    new_components = [urn for op, urn in changed if op == "create"]

    up = json.loads(local("--output", "json", "local", stack, "up", "--no-policy-pack").stdout)
    summary = up["changeSummary"]
    assert {op: n for op, n in summary.items() if op != "same"} == (
        {"create": len(new_components)} if new_components else {}), summary
    assert _uids(kubectl, stack) == before, "a namespace or a protected claim was re-created"

    again = json.loads(local("--output", "json", "local", stack, "preview", "--no-policy-pack").stdout)
    summary = again["changeSummary"]
    assert set(summary) <= {"same"}, f"a second preview at HEAD still has changes: {summary}"

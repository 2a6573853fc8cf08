"""`stackctl verify --kubectl` against a real API server: staging applied, then made healthy step by step.

The local control plane has no secret operators, so right after the apply
every VaultStaticSecret and ExternalSecret is unsynced and verify must fail
on exactly those checks (while the Deployments, made Ready by kwok, pass).
Playing the operators' part (the status they write, the Secrets they
create) turns it green. An in-cluster smoke Job runs through the same
kubectl as verify does.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from stackctl.verification_record import read_records

ROOT = Path(__file__).resolve().parents[2]


def _verify(kubectl, tmp_path: Path) -> subprocess.CompletedProcess:
    ended = datetime.now(timezone.utc) - timedelta(minutes=10)
    history = tmp_path / "history.json"
    history.write_text(json.dumps([{"version": 3, "kind": "update", "result": "succeeded",
                                    "startTime": (ended - timedelta(minutes=2)).isoformat(),
                                    "endTime": ended.isoformat()}]))
    env = {**os.environ, "KUBECONFIG": kubectl.kubeconfig,
           "PATH": f"{Path(kubectl.binary).parent}:{os.environ['PATH']}"}
    return subprocess.run([sys.executable, "-m", "stackctl", "verify", "staging", "--kubectl", "--history",
                           str(history), "--record", str(tmp_path / "records.yaml")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_verify_fails_on_unsynced_secrets_then_passes_once_synced(kubectl, stack, tmp_path):
    if stack.name != "staging":
        pytest.skip("verify gates promotion from staging")
    for deployment in kubectl.json("deployments", "--all-namespaces")["items"]:
        metadata = deployment["metadata"]
        kubectl("-n", metadata["namespace"], "rollout", "status", f"deployment/{metadata['name']}",
                "--timeout=180s", timeout=240)

    red = _verify(kubectl, tmp_path)
    assert red.returncode == 1, red.stdout + red.stderr
    failed = [line for line in red.stdout.splitlines() if line.startswith("FAIL")]
    assert failed and all(line.startswith("FAIL  secret ") or " Job " in line for line in failed), failed
    assert "FAIL  secret matrix/sol-secrets (VaultStaticSecret sol-secrets): not synced" in red.stdout
    assert "PASS  rollout Deployment matrix/sol: pinned digests, rollout complete" in red.stdout

    # The operators' part: the status each writes and the Secret it creates, with the declared keys.
    for kind in ("vaultstaticsecrets.secrets.hashicorp.com", "externalsecrets.external-secrets.io"):
        for sync in kubectl.json(kind, "--all-namespaces")["items"]:
            metadata, spec = sync["metadata"], sync["spec"]
            status = ({"lastGeneration": metadata["generation"], "secretMAC": "stand-in"}
                      if sync["kind"] == "VaultStaticSecret" else
                      {"conditions": [{"type": "Ready", "status": "True", "reason": "SecretSynced",
                                       "message": "stand-in", "lastTransitionTime": "2026-01-01T00:00:00Z"}]})
            kubectl("-n", metadata["namespace"], "patch", kind, metadata["name"], "--subresource=status",
                    "--type=merge", "-p", json.dumps({"status": status}))
            target = (spec.get("destination") or spec.get("target") or {}).get("name") or metadata["name"]
            keys = metadata["annotations"]["stackctl/provided-keys"].split(",")
            kubectl("-n", metadata["namespace"], "create", "secret", "generic", target,
                    *[f"--from-literal={key}=stand-in" for key in keys])
    kubectl("wait", "--all-namespaces", "--for=condition=Complete", "job", "--all", "--timeout=120s", timeout=180)

    green = _verify(kubectl, tmp_path)
    assert green.returncode == 0, green.stdout + green.stderr
    assert ", 0 failed, 0 skipped" in green.stdout
    print(f"\nred: {red.stdout.splitlines()[-1]}\ngreen: {green.stdout.splitlines()[-1]}")
    assert [record.result for record in read_records(tmp_path / "records.yaml").verifications] == \
        ["failed", "passed"]


def test_an_in_cluster_smoke_job_runs_to_completion(kubectl, stack):
    if stack.name != "staging":
        pytest.skip("one stack is enough")
    from config_models.smoke_check import SmokeCheckJob, SmokeCheckSpec
    from stackctl.promotion.stack_file import read_stack_file
    from stackctl.verify import SmokeCheckPlan, run_job_check, run_kubectl

    image = read_stack_file(ROOT, "staging").images["busybox"].image
    plan = SmokeCheckPlan("sol", "matrix", SmokeCheckSpec(
        name="answers", job=SmokeCheckJob(image="busybox", command=["true"]), timeout_seconds=90), image)
    outcome = run_job_check(plan, "staging", run_kubectl([kubectl.binary, f"--kubeconfig={kubectl.kubeconfig}"]))
    assert outcome.result == "passed", outcome.detail

"""Sol's secret chain, run for real: OpenBao `secret/sol` -> VaultStaticSecret -> Secret -> rollout.

Everything in the `matrix` namespace is applied exactly as the program renders it (see
conftest: only the CA the render trusts is one made here). OpenBao holds the stack's own
policies and Kubernetes auth roles, taken from the render's summaries. The tests run in file
order on one cluster: the wrong CA first (VSO has never connected), then the sync, the rotation,
the denied path, and the silent drop of a key last.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from secret_chain_support import MEASURED, OBSERVED, ROOT, events_for, rendered, secret_data, wait_until

NAMESPACE = "matrix"
SOL_VALUES = {"matrix-access-token": "syt_chain_test", "matrix-device-id": "CHAINDEV", "mistral-api-key": "k-1"}
CHAT_VALUES = {"secret-key": "chat-only"}


def _event_text(cluster, kind: str, name: str, since: str = "") -> str:
    """The object's events, oldest first; with `since` (RFC 3339, seconds), only those seen at or after it:
    the VaultStaticSecret keeps its name across the tests, and so its older events."""
    return "\n".join(f"{e.get('reason')}: {e.get('message')}" for e in events_for(cluster, NAMESPACE, kind, name)
                     if (e.get("lastTimestamp") or e.get("eventTime") or "") >= since)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _replica_sets(cluster) -> dict[str, dict]:
    items = cluster.json("replicasets", "-n", NAMESPACE, "-l", "app.kubernetes.io/name=sol")["items"]
    return {rs["metadata"]["name"]: rs for rs in items}


def _rollout_complete(cluster) -> bool:
    deployment = cluster.json("deployment", "-n", NAMESPACE, "sol")
    status, wanted = deployment.get("status", {}), deployment["spec"].get("replicas", 1)
    return (status.get("observedGeneration", 0) >= deployment["metadata"]["generation"]
            and status.get("updatedReplicas", 0) == wanted and status.get("availableReplicas", 0) == wanted
            and status.get("replicas", 0) == wanted)


@pytest.fixture(scope="module")
def sol(cluster, operators, kubernetes_auth, applied_namespaces, openbao, render):
    """OpenBao holds Sol's (and chat's) values; the matrix namespace is applied with the committed CA."""
    openbao.ok("POST", "secret/data/sol", {"data": SOL_VALUES})
    openbao.ok("POST", "secret/data/chat", {"data": CHAT_VALUES})
    files = sorted(p for p in (render / NAMESPACE).glob("*.yaml") if p.name != "Secret-sol-vault-ca.yaml")
    # The stack's committed CA (the golden render's Secret): it did not sign this OpenBao's certificate.
    committed_ca = ROOT / "tests" / "golden" / "staging" / NAMESPACE / "Secret-sol-vault-ca.yaml"
    cluster("apply", "--server-side", "--field-manager=stackctl-secret-chain", "-f", str(committed_ca))
    cluster("apply", "--server-side", "--field-manager=stackctl-secret-chain", *sum((["-f", str(f)] for f in files), []))
    return render


def test_a_wrong_ca_fails_visibly_and_syncs_nothing(cluster, sol, vault_proxy):
    text = wait_until("VSO to report the TLS failure on the VaultStaticSecret",
                      lambda: "x509" in (t := _event_text(cluster, "VaultStaticSecret", "sol-secrets")) and t, 120)
    assert "certificate signed by unknown authority" in text, text
    OBSERVED["wrong CA, VaultStaticSecret events"] = text
    assert vault_proxy.tunnels, "VSO never reached OpenBao's rendered address"
    assert secret_data(cluster, NAMESPACE, "sol-secrets") is None


def test_the_rendered_ca_makes_the_secret_appear_with_exactly_the_provided_keys(cluster, sol, render):
    start = time.monotonic()
    cluster("apply", "--server-side", "--field-manager=stackctl-secret-chain",
            "-f", str(render / NAMESPACE / "Secret-sol-vault-ca.yaml"))
    data = wait_until("Secret sol-secrets", lambda: secret_data(cluster, NAMESPACE, "sol-secrets"), 120)
    MEASURED["sync after the CA fix (includes VSO's retry backoff, at most 10 s)"] = time.monotonic() - start
    vss = rendered(render, f"{NAMESPACE}/VaultStaticSecret-sol-secrets.yaml")
    provided = vss["metadata"]["annotations"]["stackctl/provided-keys"].split(",")
    assert sorted(data) == sorted(provided), f"the Secret holds {sorted(data)}, the stack provides {provided}"
    assert data == SOL_VALUES


def test_the_deployment_reads_the_synced_secret_and_its_pods_are_ready(cluster, sol):
    wait_until("Deployment sol rollout", lambda: _rollout_complete(cluster), 180)
    deployment = cluster.json("deployment", "-n", NAMESPACE, "sol")
    refs = {(env["valueFrom"]["secretKeyRef"]["name"], env["valueFrom"]["secretKeyRef"]["key"],
             env["valueFrom"]["secretKeyRef"].get("optional"))
            for container in deployment["spec"]["template"]["spec"]["containers"]
            for env in container.get("env", []) if "secretKeyRef" in env.get("valueFrom", {})}
    assert refs == {("sol-secrets", key, False) for key in SOL_VALUES}, refs
    pods = cluster.json("pods", "-n", NAMESPACE, "-l", "app.kubernetes.io/name=sol")["items"]
    assert pods and all(any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"])
                        for p in pods), [p["status"] for p in pods]


def test_a_rotation_in_openbao_rolls_the_deployment_within_the_refresh_interval(cluster, sol, openbao, render):
    before = _replica_sets(cluster)
    refresh = rendered(render, f"{NAMESPACE}/VaultStaticSecret-sol-secrets.yaml")["spec"]["refreshAfter"]
    assert refresh.endswith("s")
    start = time.monotonic()
    # The runbook's one command for a rotation (docs/runbook.md, "Rotate a secret").
    rotate = openbao.cli("kv", "patch", "-mount=secret", "sol", "mistral-api-key=k-2")
    assert rotate.returncode == 0, rotate.stderr
    wait_until("the rotated value in Secret sol-secrets",
               lambda: (secret_data(cluster, NAMESPACE, "sol-secrets") or {}).get("mistral-api-key") == "k-2",
               int(refresh[:-1]) + 30)
    MEASURED["rotation: OpenBao write -> Secret updated"] = time.monotonic() - start
    new = wait_until("a new ReplicaSet for sol", lambda: set(_replica_sets(cluster)) - set(before), 120)
    wait_until("the rollout of the new ReplicaSet", lambda: _rollout_complete(cluster), 180)
    MEASURED["rotation: OpenBao write -> new ReplicaSet Ready"] = time.monotonic() - start
    assert MEASURED["rotation: OpenBao write -> new ReplicaSet Ready"] < int(refresh[:-1]) + 30
    template = cluster.json("deployment", "-n", NAMESPACE, "sol")["spec"]["template"]["metadata"]
    assert "vso.secrets.hashicorp.com/restartedAt" in template.get("annotations", {}), template
    assert len(new) == 1, new


def test_the_same_vault_auth_cannot_read_another_services_path(cluster, sol):
    # A VaultStaticSecret made by the test, reusing Sol's rendered VaultAuth for chat's path.
    probe = {
        "apiVersion": "secrets.hashicorp.com/v1beta1", "kind": "VaultStaticSecret",
        "metadata": {"name": "sol-reads-chat", "namespace": NAMESPACE},
        "spec": {"vaultAuthRef": "sol-vault-auth", "mount": "secret", "type": "kv-v2", "path": "chat",
                 "refreshAfter": "60s", "destination": {"name": "sol-reads-chat", "create": True}},
    }
    cluster("apply", "--server-side", "--field-manager=stackctl-secret-chain", "-f", "-", input=json.dumps(probe))
    try:
        text = wait_until("VSO to report the denial", lambda: "permission denied" in (
            t := _event_text(cluster, "VaultStaticSecret", "sol-reads-chat")) and t, 90)
        assert "403" in text, text
        OBSERVED["another service's path, VaultStaticSecret events"] = " ".join(text.split())
        assert secret_data(cluster, NAMESPACE, "sol-reads-chat") is None
    finally:
        cluster("delete", "vaultstaticsecret", "-n", NAMESPACE, "sol-reads-chat", "--ignore-not-found")


def _drift(cluster, tmp_path: Path, with_secrets: bool) -> subprocess.CompletedProcess:
    kinds = "deployments,statefulsets,cronjobs,jobs" + (",secrets" if with_secrets else "")
    live = cluster("get", kinds, "-n", NAMESPACE, "-o", "json").stdout
    return subprocess.run([sys.executable, "-m", "stackctl", "drift", "staging", "--live", "/dev/stdin"],
                          input=live, cwd=ROOT, capture_output=True, text=True, timeout=300)


def _matrix_lines(completed: subprocess.CompletedProcess) -> list[str]:
    return [line.strip() for line in (completed.stdout + completed.stderr).splitlines() if f" {NAMESPACE}/" in line]


def test_a_key_missing_in_openbao_is_dropped_silently_by_vso_and_reported_by_drift(cluster, sol, openbao, tmp_path):
    before = _replica_sets(cluster)
    start, since = time.monotonic(), _now()
    remaining = {k: v for k, v in SOL_VALUES.items() if k != "mistral-api-key"}
    openbao.ok("POST", "secret/data/sol", {"data": remaining})
    data = wait_until("VSO to sync the partial Secret",
                      lambda: (d := secret_data(cluster, NAMESPACE, "sol-secrets")) is not None
                      and "mistral-api-key" not in d and d, 90)
    MEASURED["missing key: OpenBao write -> partial Secret"] = time.monotonic() - start
    # What VSO does: it syncs the keys OpenBao holds, reports success, and restarts the Deployment.
    assert sorted(data) == sorted(remaining)
    reasons = wait_until("VSO's event for the partial sync", lambda: (
        t := _event_text(cluster, "VaultStaticSecret", "sol-secrets", since)) and t, 60)
    assert "SecretSynced" in reasons or "SecretRotated" in reasons, reasons
    assert "Error" not in reasons, reasons
    OBSERVED["key missing in OpenBao, VaultStaticSecret events (no error)"] = reasons
    wait_until("the restart VSO triggers", lambda: set(_replica_sets(cluster)) - set(before), 120)
    # kwok has no kubelet, so the new pod is Ready here. A kubelet would refuse to start it
    # (CreateContainerConfigError: the secretKeyRef is optional: false) while the old ReplicaSet
    # keeps serving; either way nothing in VSO or the rollout says a key is gone: drift must.
    wait_until("the restart to finish under kwok", lambda: _rollout_complete(cluster), 180)

    unguarded = _drift(cluster, tmp_path, with_secrets=False)
    assert not _matrix_lines(unguarded), unguarded.stdout
    guarded = _drift(cluster, tmp_path, with_secrets=True)
    assert guarded.returncode == 1, guarded.stdout + guarded.stderr
    assert _matrix_lines(guarded) == [
        "Secret matrix/sol-secrets: missing key(s) mistral-api-key that the workloads read; VaultStaticSecret "
        "matrix/sol-secrets synced only matrix-access-token, matrix-device-id (add the key at the source, then "
        "the controller syncs it)",
    ], guarded.stdout
    OBSERVED["key missing in OpenBao, stackctl drift without secrets (exit %d)" % unguarded.returncode] = \
        "\n".join(_matrix_lines(unguarded)) or "(nothing about matrix)"
    OBSERVED["key missing in OpenBao, stackctl drift with secrets (exit %d)" % guarded.returncode] = \
        "\n".join(_matrix_lines(guarded))

    # Restoring the key at the source clears the finding.
    openbao.ok("POST", "secret/data/sol", {"data": {**SOL_VALUES, "mistral-api-key": "k-3"}})
    wait_until("the restored key", lambda: "mistral-api-key" in (secret_data(cluster, NAMESPACE, "sol-secrets") or {}),
               90)
    wait_until("the rollout after the restore", lambda: _rollout_complete(cluster), 180)
    assert not _matrix_lines(_drift(cluster, tmp_path, with_secrets=True))

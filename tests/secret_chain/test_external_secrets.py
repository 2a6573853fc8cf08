"""memQL's secret chain, run for real: store -> ExternalSecret -> Secret -> envFrom, for the six roles.

Azure Key Vault cannot run here. The ONLY substitution: each rendered SecretStore (provider
azurekv, Workload Identity) is replaced by a SecretStore of the same name and namespace using
ESO's `fake` provider, holding a test value for every remote key the rendered ExternalSecrets
ask for. The ExternalSecrets, Deployments and everything else in `memql` are applied exactly as
rendered, and the tests check that the ExternalSecrets on the cluster still equal the render.
What this does not prove: Key Vault's own access rules and the Workload Identity federation.
"""
from __future__ import annotations

import json
import time

import pytest

from secret_chain_harness import fake_value, stand_in_store
from secret_chain_support import MEASURED, OBSERVED, events_for, rendered, secret_data, wait_until

NAMESPACE = "memql"


def _differences(live, wanted, path="spec") -> list[str]:
    """Where `live` lacks a field of `wanted` or holds another value (the API server may add CRD defaults)."""
    if isinstance(wanted, dict):
        if not isinstance(live, dict):
            return [f"{path}: {live!r}, rendered {wanted!r}"]
        return [d for k, v in wanted.items() for d in _differences(live.get(k), v, f"{path}.{k}")]
    if isinstance(wanted, list):
        if not isinstance(live, list) or len(live) != len(wanted):
            return [f"{path}: {live!r}, rendered {wanted!r}"]
        return [d for i, (a, b) in enumerate(zip(live, wanted)) for d in _differences(a, b, f"{path}[{i}]")]
    return [] if live == wanted else [f"{path}: {live!r}, rendered {wanted!r}"]


def _ready(cluster, name: str) -> bool:
    es = cluster.json("externalsecret", "-n", NAMESPACE, name)
    return any(c["type"] == "Ready" and c["status"] == "True" for c in es.get("status", {}).get("conditions", []))


def _deployment_available(cluster, name: str) -> bool:
    deployment = cluster.json("deployment", "-n", NAMESPACE, name)
    status, wanted = deployment.get("status", {}), deployment["spec"].get("replicas", 1)
    return (status.get("observedGeneration", 0) >= deployment["metadata"]["generation"]
            and status.get("updatedReplicas", 0) == wanted and status.get("availableReplicas", 0) == wanted)


@pytest.fixture(scope="module")
def memql(cluster, operators, applied_namespaces, render):
    external_secrets = {p.stem.split("-", 1)[1]: rendered(render, f"{NAMESPACE}/{p.name}")
                        for p in sorted((render / NAMESPACE).glob("ExternalSecret-*.yaml"))}
    stores = [rendered(render, f"{NAMESPACE}/{p.name}") for p in sorted((render / NAMESPACE).glob("SecretStore-*.yaml"))]
    assert len(external_secrets) == 6 and len(stores) == 6, (sorted(external_secrets), len(stores))
    for store in stores:
        assert "azurekv" in store["spec"]["provider"], store
        keys = [item["remoteRef"]["key"] for es in external_secrets.values()
                if es["spec"]["secretStoreRef"]["name"] == store["metadata"]["name"] for item in es["spec"]["data"]]
        assert keys, f"no ExternalSecret uses the store {store['metadata']['name']}"
        cluster("apply", "--server-side", "--field-manager=stackctl-secret-chain", "-f", "-",
                input=json.dumps(stand_in_store(store, keys)))
    files = sorted(p for p in (render / NAMESPACE).glob("*.yaml") if not p.name.startswith("SecretStore-"))
    start = time.monotonic()
    cluster("apply", "--server-side", "--field-manager=stackctl-secret-chain", *sum((["-f", str(f)] for f in files), []))
    return external_secrets, start


def test_the_rendered_external_secrets_sync_through_the_stand_in_stores(cluster, memql):
    external_secrets, start = memql
    for name in external_secrets:
        wait_until(f"ExternalSecret {name} Ready", lambda name=name: _ready(cluster, name), 120)
    MEASURED["ESO: apply -> all six ExternalSecrets Ready"] = time.monotonic() - start
    for name, es in external_secrets.items():
        live = cluster.json("externalsecret", "-n", NAMESPACE, name)
        assert not _differences(live["spec"], es["spec"]), (name, _differences(live["spec"], es["spec"]))
        assert live["metadata"]["annotations"]["stackctl/provided-keys"] == \
            es["metadata"]["annotations"]["stackctl/provided-keys"]
        target = es["spec"]["target"]["name"]
        data = secret_data(cluster, NAMESPACE, target)
        provided = es["metadata"]["annotations"]["stackctl/provided-keys"].split(",")
        assert sorted(data) == sorted(provided), (target, sorted(data), provided)
        assert data == {item["secretKey"]: fake_value(item["remoteRef"]["key"]) for item in es["spec"]["data"]}
        # creationPolicy Owner: ESO owns the Secret (deleted with its ExternalSecret, recreated if deleted)
        assert es["spec"]["target"]["creationPolicy"] == "Owner"
        owners = cluster.json("secret", "-n", NAMESPACE, target)["metadata"].get("ownerReferences", [])
        assert [(o["kind"], o["name"], o.get("controller")) for o in owners] == [("ExternalSecret", name, True)], owners


def test_the_six_roles_deployments_read_their_secrets_and_become_available(cluster, memql):
    external_secrets, _ = memql
    targets = {es["spec"]["target"]["name"] for es in external_secrets.values()}
    deployments = cluster.json("deployments", "-n", NAMESPACE)["items"]
    assert len(deployments) == 6, [d["metadata"]["name"] for d in deployments]
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        refs = {ref["secretRef"]["name"]: ref["secretRef"].get("optional")
                for c in deployment["spec"]["template"]["spec"]["containers"] for ref in c.get("envFrom", [])
                if "secretRef" in ref}
        assert refs == {f"{name}-secrets": False}, (name, refs)
        assert f"{name}-secrets" in targets
        wait_until(f"Deployment {name} available", lambda name=name: _deployment_available(cluster, name), 240)


def test_a_deleted_secret_comes_back(cluster, memql):
    cluster("-n", NAMESPACE, "delete", "secret", "memql-bff-secrets", "--wait=true")
    start = time.monotonic()
    data = wait_until("ESO to recreate memql-bff-secrets", lambda: secret_data(cluster, NAMESPACE, "memql-bff-secrets"),
                      60)
    MEASURED["ESO: deleted Secret -> recreated"] = time.monotonic() - start
    assert data == {"MEMQL_MASTER_KEY": "fake-memql-master-key", "MEMQL_GENESIS_B64": "fake-memql-genesis-b64",
                    "MEMORY_NODES_DATABASE_DSN": "fake-memory-nodes-database-dsn"}


def test_deletion_policy_retain_keeps_the_secret_when_the_key_vault_secret_is_gone(cluster, memql, render):
    external_secrets, _ = memql
    es = external_secrets["memql-voice-secrets"]
    assert es["spec"]["target"]["deletionPolicy"] == "Retain"
    before = secret_data(cluster, NAMESPACE, "memql-voice-secrets")
    store = rendered(render, f"{NAMESPACE}/SecretStore-{es['spec']['secretStoreRef']['name']}.yaml")
    cluster("apply", "--server-side", "--field-manager=stackctl-secret-chain", "-f", "-",
            input=json.dumps(stand_in_store(store, [])))
    # An operator forcing a refresh now instead of waiting for refreshInterval (1h):
    cluster("-n", NAMESPACE, "annotate", "--overwrite", "externalsecret", "memql-voice-secrets",
            f"force-sync={time.time()}")
    def failed_condition():
        conditions = cluster.json("externalsecret", "-n", NAMESPACE, "memql-voice-secrets")["status"]["conditions"]
        ready = next(c for c in conditions if c["type"] == "Ready")
        return ready["status"] == "False" and ready
    ready = wait_until("ESO to report the missing Key Vault secret", failed_condition, 60)
    # Loud: Ready=False with the key named, and the pods keep the values they had (Retain).
    assert ready["reason"] == "SecretSyncedError", ready
    text = "\n".join(f"{e.get('reason')}: {e.get('message')}"
                     for e in events_for(cluster, NAMESPACE, "ExternalSecret", "memql-voice-secrets"))
    assert "Secret does not exist" in text or "not found" in text.lower(), text
    OBSERVED["key gone from the store, ExternalSecret Ready condition and events"] = \
        f"{ready['reason']}: {ready.get('message')}\n{text}"
    assert secret_data(cluster, NAMESPACE, "memql-voice-secrets") == before


def test_a_second_apply_of_the_rendered_external_secrets_after_eso_wrote_them_back(cluster, memql, render):
    # ESO adds its finalizer with a full Update, which writes spec back in Go's canonical form
    # under ESO's field manager: the next `pulumi up` (server-side apply, not forced) conflicted on
    # .spec.refreshInterval while the render said "1h"; it renders "1h0m0s" now.
    files = sorted((render / NAMESPACE).glob("ExternalSecret-*.yaml"))
    proc = cluster("apply", "--server-side", "--field-manager=stackctl-secret-chain",
                   *sum((["-f", str(f)] for f in files), []), check=False)
    OBSERVED["second server-side apply of the rendered ExternalSecrets"] = (
        f"exit {proc.returncode}\n{proc.stdout.strip()}\n{proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr

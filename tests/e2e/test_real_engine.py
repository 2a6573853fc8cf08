"""The real Pulumi engine (CLI and Kubernetes provider) against a real API server.

One ordered story over one project copy per route (tests/e2e/conftest.py:
the program as an Automation API inline program, and, where a full
installation is on PATH, `pulumi` on the project directory), each step
asserting what the engine and the cluster really did:

 staging: up with the policy pack -> a second run changes nothing -> a new
 digest is exactly one in-place Deployment update and the pod rolls -> an
 access-mode change and `pulumi destroy` are refused because the claims are
 protected -> bad config fails with the program's message, no traceback;
 prod: the provenance gate (the release ledger, releases/) refuses a digest
 staging never ran -> up with the policy pack (after staging's objects are
 removed from the cluster out of band: both stacks use the same namespace
 names; staging's state is left stale) -> a service removed from config
 leaves its claim bound.

What does not run here, and why: the Azure resources (AKS node pool, Key
Vault, workload identities) and the Vault server resources (policies, auth
roles) need the azure-native and vault provider plugins, which cannot be
installed on this machine (Azure itself cannot run here). The copied stack
files opt in to `platform:kubernetes.skipCloudResourcesWithoutPlugins`, so the
program skips them with one warning each (components/provider_plugins.py, decided once per run; the
changes to the copies are in stackctl/engine_workspace.py,
`local_stack_file_text`). Every Kubernetes object of the
stacks, including the VaultStaticSecret/ExternalSecret custom resources
(CRDs from scripts/generate-crds), is created on the API server for real.
Pods become Ready through kwok (no kubelet, no image pulls) and Ingresses get
their address from a stand-in controller (conftest `ingress_controller`).

Storage: the program creates the StorageClass `platform-retain-zrs` (Azure
Disk CSI, reclaimPolicy Retain, WaitForFirstConsumer) and the single writers'
claims name it. Azure Disk CSI cannot run here; static provisioning stands in
for it: `scripts/local-cluster up` pre-creates Retain PersistentVolumes of
that class (not the class itself, which `pulumi up` creates), and the
scheduler binds each claim to one when the first pod mounting it is placed.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from e2e_support import (
    KEY_VAULT_STORE_TYPE, ROOT, TRACEBACK, Project, StandInStoreWorkspace, change_summary, resource_type, steps,
    wait_for,
)
from secret_chain_harness import STAND_IN_LABEL, fake_value, secret_data

SERVICES = {"sol": "matrix", "forge": "forge", "chat": "chat"}  # service -> namespace
CLAIMS = {"sol": "sol-data", "forge": "forge-data", "chat": "chat-history"}
# What the engine says about a protected resource it would have to replace,
# and one it would have to delete (matched with whitespace collapsed: the
# engine wraps long lines).
REPLACE_PROTECTED = "as it is currently marked for protection"
DELETE_PROTECTED = "cannot be deleted because it is protected"
PROTECTED_URN = re.compile(r'resource "(urn:pulumi:[^"]+)" ' + DELETE_PROTECTED)


def flat(text: str) -> str:
    return " ".join(text.split())


def never_ran_digest(image: str, salt: str) -> str:
    repo = image.split("@", 1)[0]
    return f"{repo}@sha256:{hashlib.sha256(salt.encode()).hexdigest()}"


def edit_config(project: Project, stack: str, edit) -> None:
    """Edits the copy's Pulumi.<stack>.yaml (a plain YAML rewrite; the repo's file is untouched)."""
    path = project.stack_file(stack)
    doc = yaml.safe_load(path.read_text())
    edit(doc["config"])
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def images(project: Project, stack: str) -> dict[str, str]:
    doc = yaml.safe_load(project.stack_file(stack).read_text())
    return {name: spec["image"] for name, spec in doc["config"]["platform:release"]["images"].items()}


def deployment(kubectl, service: str) -> dict:
    return kubectl.json("deployment", service, "-n", SERVICES[service])


def pods_of(kubectl, service: str) -> list[dict]:
    selector = deployment(kubectl, service)["spec"]["selector"]["matchLabels"]
    return kubectl.json("pods", "-n", SERVICES[service], "-l",
                        ",".join(f"{k}={v}" for k, v in selector.items()))["items"]


def ready(pod: dict) -> bool:
    return (pod.get("status", {}).get("phase") == "Running" and not pod["metadata"].get("deletionTimestamp")
            and any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", [])))


def app_image(obj: dict) -> str:
    spec = obj["spec"]["template"]["spec"] if "template" in obj["spec"] else obj["spec"]
    return spec["containers"][0]["image"]


def claim_class(project: Project, stack: str, service: str) -> str:
    """The StorageClass the stack file names for the service's claim."""
    doc = yaml.safe_load(project.stack_file(stack).read_text())
    return doc["config"]["platform:services"][service]["data"]["storageClass"]


def assert_stack_on_cluster(kubectl, project: Project, stack: str) -> None:
    want = images(project, stack)
    for service, namespace in SERVICES.items():
        ns = kubectl.json("namespace", namespace)
        assert ns["metadata"]["labels"].get("pod-security.kubernetes.io/enforce") == "restricted", ns["metadata"]
        dep = deployment(kubectl, service)
        assert app_image(dep) == want[service]
        assert dep["spec"]["replicas"] == 1 and dep["spec"]["strategy"]["type"] == "Recreate"
        assert dep["status"].get("availableReplicas") == 1, dep["status"]
        pods = wait_for(lambda: [p for p in pods_of(kubectl, service) if ready(p)], f"a Ready {service} pod")
        assert [app_image(p) for p in pods] == [want[service]]
        claim = wait_for(lambda: (c := kubectl.json("pvc", CLAIMS[service], "-n", namespace))
                         ["status"].get("phase") == "Bound" and c, f"claim {CLAIMS[service]} Bound")
        # bound to a volume of the class it names, which retains (a static PV standing in for an Azure disk)
        class_name = claim_class(project, stack, service)
        assert claim["spec"]["storageClassName"] == class_name, claim["spec"]
        assert kubectl.json("storageclass", class_name)["reclaimPolicy"] == "Retain"
        pv = kubectl.json("pv", claim["spec"]["volumeName"])
        assert pv["spec"]["storageClassName"] == class_name and pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert kubectl.json("vaultstaticsecret", "sol-secrets", "-n", "matrix")["spec"]["path"] == "sol"
    assert kubectl.json("externalsecret", "-n", "forge")["items"], "forge's ExternalSecret"
    assert {i["metadata"]["name"] for i in kubectl.json("ingress", "-A")["items"]}, "the routing Ingresses"


def no_traceback(result) -> None:
    assert TRACEBACK not in result.output, f"a Python traceback in the output:\n{result.describe()}"


def no_program_traceback(result) -> None:
    """When a step fails the engine cancels the program, and the language host
    sometimes prints the KeyboardInterrupt that cancelling raises (in
    pulumi-language-python-exec, not in the program). Anything else is a bug."""
    if TRACEBACK in result.output:
        assert "KeyboardInterrupt" in result.output, result.describe()
        assert "__main__.py" not in result.output and "/components/" not in result.output, result.describe()


# --------------------------------------------------------------------------- engine


def provider_plugin_info_version(binary: Path) -> str:
    """GetPluginInfo, asked of the provider binary over its gRPC interface."""
    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import provider_pb2_grpc

    proc = subprocess.Popen([str(binary), "127.0.0.1:1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = proc.stdout.readline().strip()
        assert port.isdigit(), f"the provider printed {port!r}, not its port: {proc.stderr.read()}"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            return provider_pb2_grpc.ResourceProviderStub(channel).GetPluginInfo(empty_pb2.Empty(), timeout=60).version
    finally:
        proc.kill()
        proc.wait()


def test_engine_is_the_pinned_build(project: Project, engine: Path):
    """The CLI is the version users pin; the provider says honestly what it is (docs/engine.md)."""
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().split()
                if line.startswith(("pulumi==", "pulumi-kubernetes==")))
    assert project.pulumi("version").stdout.strip() == f"v{pins['pulumi']}"
    if project.route == "cli":
        return  # a user's installation: its provider is whatever it installed
    served = re.search(r"^PROVIDER_VERSION=(v\S+)$", (ROOT / "scripts" / "build-engine").read_text(), re.M).group(1)
    provider = engine / "plugins" / "pulumi-resource-kubernetes"
    assert provider_plugin_info_version(provider) == served.removeprefix("v")
    assert served != f"v{pins['pulumi-kubernetes']}", "the tests' provider must never be labelled as the release"
    assert f"pulumi-resource-kubernetes {served}" in (engine / ".complete").read_text()
    # No Python language host: the program runs inline (stackctl/engine_workspace.py).
    assert not (engine / "bin" / "pulumi-language-python").exists()


# --------------------------------------------------------------------------- staging


def test_staging_up_with_policy_pack(project: Project, kubectl, summary):
    result = project.run("up", "staging", policy=True)
    summary.append(f"e2e: pulumi up staging (policy pack, from empty): {result.seconds:.0f}s")
    no_traceback(result)
    assert "platform@v0.1.0" in result.output, "the policy pack did not run:\n" + result.describe()
    # The Azure and Vault parts are skipped, visibly (see the module docstring).
    assert "pulumi-azure-native plugin absent" in result.output
    assert "pulumi-vault plugin absent" in result.output
    assert_stack_on_cluster(kubectl, project, "staging")
    assert project.outputs("staging")["releaseDigests"] == images(project, "staging")


VAULT_STATIC_SECRET = "kubernetes:secrets.hashicorp.com/v1beta1:VaultStaticSecret"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
PROVIDED_KEYS = "stackctl/provided-keys"


def declared(project: Project, stack: str, resource_type: str) -> list[dict]:
    """The inputs of every resource of `resource_type` in the stack's state: what the stack declares."""
    return [r["inputs"] for r in project.state(stack) if r["type"] == resource_type]


def expected_secret_data(project: Project, stack: str, vault_values) -> dict[tuple[str, str], dict[str, str]]:
    """(namespace, Secret) -> the data each declared sync must write: OpenBao's values for a
    VaultStaticSecret, the stand-in store's for an ExternalSecret; exactly the provided keys."""
    expected = {}
    for vss in declared(project, stack, VAULT_STATIC_SECRET):
        meta, spec = vss["metadata"], vss["spec"]
        keys = meta["annotations"][PROVIDED_KEYS].split(",")
        expected[(meta["namespace"], spec["destination"]["name"])] = {k: vault_values[spec["path"]][k] for k in keys}
    for es in declared(project, stack, EXTERNAL_SECRET):
        meta, spec = es["metadata"], es["spec"]
        data = {item["secretKey"]: fake_value(item["remoteRef"]["key"]) for item in spec["data"]}
        assert sorted(data) == sorted(meta["annotations"][PROVIDED_KEYS].split(",")), (meta, data)
        expected[(meta["namespace"], spec["target"]["name"])] = data
    return expected


def available(deployment: dict) -> bool:
    status, wanted = deployment.get("status", {}), deployment["spec"].get("replicas", 1)
    conditions = {c["type"]: c["status"] for c in status.get("conditions", [])}
    return (status.get("observedGeneration", 0) >= deployment["metadata"]["generation"]
            and conditions.get("Available") == "True" and status.get("updatedReplicas") == wanted
            and status.get("availableReplicas") == wanted and status.get("replicas") == wanted)


def seconds_between(earlier: str, later: str) -> float:
    from datetime import datetime
    return (datetime.fromisoformat(later.replace("Z", "+00:00"))
            - datetime.fromisoformat(earlier.replace("Z", "+00:00"))).total_seconds()


def test_staging_up_ends_with_every_secret_synced_and_every_deployment_available(project: Project, kubectl,
                                                                                 chain_render, summary):
    """Issue 24, item 3: with VSO and ESO running, the staging `up` above ends with every Secret
    the stack declares synced (exactly its provided keys, with the source's values) and every
    Deployment Available. The sources: OpenBao holds a value for each key (conftest `openbao`);
    Azure Key Vault cannot run here, so ONLY its SecretStores are stand-ins of the same name,
    swapped as the engine registers them (e2e_support.StandInStoreWorkspace)."""
    if not isinstance(project.workspace, StandInStoreWorkspace):
        pytest.skip("the Key Vault stand-in is a transform of the inline program; the CLI route runs "
                    "__main__.py unchanged, so its stores stay Azure Key Vault, which cannot run here")
    from conftest import vault_values
    values = vault_values(chain_render)
    expected = expected_secret_data(project, "staging", values)
    # What the stack declares: two OpenBao paths (sol, chat) and seven Key Vault Secrets (forge, memQL's six roles).
    assert len(declared(project, "staging", VAULT_STATIC_SECRET)) == 2, sorted(expected)
    assert len(declared(project, "staging", EXTERNAL_SECRET)) == 7, sorted(expected)
    stores = [r["inputs"] for r in project.state("staging") if r["type"] == KEY_VAULT_STORE_TYPE]
    assert stores and all(s["metadata"]["labels"].items() >= STAND_IN_LABEL.items() and "fake" in s["spec"]["provider"]
                          for s in stores), "every Key Vault SecretStore is the stand-in"

    def synced():
        return all(secret_data(kubectl, ns, name) == data for (ns, name), data in expected.items())
    wait_for(synced, "every declared Secret synced with exactly its keys", timeout=120, interval=1)
    latencies = []
    for kind, resource in (("vaultstaticsecret", VAULT_STATIC_SECRET), ("externalsecret", EXTERNAL_SECRET)):
        for sync in declared(project, "staging", resource):
            meta = sync["metadata"]
            live = kubectl.json(kind, meta["name"], "-n", meta["namespace"])
            target = (sync["spec"].get("destination") or sync["spec"].get("target"))["name"]
            secret = kubectl.json("secret", target, "-n", meta["namespace"])
            latencies.append(seconds_between(live["metadata"]["creationTimestamp"],
                                             secret["metadata"]["creationTimestamp"]))
            if kind == "externalsecret":
                ready = {c["type"]: c for c in live["status"]["conditions"]}["Ready"]
                assert ready["status"] == "True", (meta["name"], ready)
            else:
                assert live["status"]["lastGeneration"] == live["metadata"]["generation"], live["status"]
    summary.append(f"e2e: secret sync after `up` created each sync object (API server seconds): max "
                   f"{max(latencies):.0f}s over {len(latencies)} Secrets")

    deployments = [d for d in declared(project, "staging", "kubernetes:apps/v1:Deployment")]
    assert len(deployments) == 9, [d["metadata"]["name"] for d in deployments]  # sol, forge, chat, memQL's six
    for d in deployments:
        name, namespace = d["metadata"]["name"], d["metadata"]["namespace"]
        wait_for(lambda: available(kubectl.json("deployment", name, "-n", namespace)),
                 f"Deployment {namespace}/{name} Available", timeout=120, interval=1)
        # Each reads only Secrets the stack declares, and never optionally.
        spec = kubectl.json("deployment", name, "-n", namespace)["spec"]["template"]["spec"]
        refs = [(env["valueFrom"]["secretKeyRef"]["name"], env["valueFrom"]["secretKeyRef"].get("optional"))
                for c in spec["containers"] for env in c.get("env", []) if "secretKeyRef" in env.get("valueFrom", {})]
        refs += [(ref["secretRef"]["name"], ref["secretRef"].get("optional"))
                 for c in spec["containers"] for ref in c.get("envFrom", []) if "secretRef" in ref]
        refs += [(v["secret"]["secretName"], v["secret"].get("optional")) for v in spec.get("volumes", [])
                 if "secret" in v]
        for secret, optional in refs:
            assert (namespace, secret) in expected and optional is False, (namespace, name, secret, optional)


def test_second_up_changes_nothing(project: Project):
    preview = project.run("preview", "staging", policy=True)
    assert set(change_summary(preview)) == {"same"}, change_summary(preview)
    assert change_summary(preview)["same"] > 10
    up = project.run("up", "staging")
    assert set(up.change_summary) == {"same"}, up.describe()


def risk_of_real_preview(project: Project, preview, stack: str, golden_name: str, tmp_path: Path) -> None:
    """`stackctl risk` on the engine's own preview of the change, compared with a golden file.

    The steps come from the engine's events in the shape `pulumi preview --json` writes
    (EngineResult.preview_json); refresh the golden with STACKCTL_REFRESH_RISK_GOLDEN=1 and review it.
    """
    recorded = tmp_path / "preview.json"
    recorded.write_text(json.dumps(preview.preview_json()))
    done = subprocess.run(
        [sys.executable, "-m", "stackctl", "risk", stack, "--preview", str(recorded),
         "--ledger", str(project.dir / "releases" / "staging-verified.yaml"),
         "--verifications", str(project.dir / "releases" / "staging-verifications.yaml")],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    golden = ROOT / "tests" / "golden" / "risk" / golden_name
    if os.environ.get("STACKCTL_REFRESH_RISK_GOLDEN"):
        golden.write_text(done.stdout)
    assert done.stdout == golden.read_text(), f"{golden} differs; refresh with STACKCTL_REFRESH_RISK_GOLDEN=1 and review"


def test_digest_change_is_one_in_place_update_and_the_pod_rolls(project: Project, kubectl, tmp_path):
    before = {p["metadata"]["uid"] for p in pods_of(kubectl, "sol")}
    generation = deployment(kubectl, "sol")["metadata"]["generation"]
    new = never_ran_digest(images(project, "staging")["sol"], "e2e-new-sol-release")
    edit_config(project, "staging", lambda c: c["platform:release"]["images"]["sol"].update(image=new))

    preview = project.run("preview", "staging", policy=True)
    changed = [s for s in steps(preview) if s.get("op") != "same"]
    assert [(s["op"], resource_type(s["urn"])) for s in changed] == [("update", "kubernetes:apps/v1:Deployment")], changed
    assert changed[0]["urn"].endswith("::sol-deployment"), changed[0]["urn"]
    assert set(change_summary(preview)) == {"same", "update"} and change_summary(preview)["update"] == 1

    risk_of_real_preview(project, preview, "staging", "staging-engine-digest-change.md", tmp_path)

    project.run("up", "staging", policy=True)
    dep = deployment(kubectl, "sol")
    assert app_image(dep) == new and dep["metadata"]["generation"] == generation + 1
    pods = wait_for(lambda: (ps := pods_of(kubectl, "sol")) and all(ready(p) for p in ps) and
                    {p["metadata"]["uid"] for p in ps}.isdisjoint(before) and ps, "the new sol pod")
    assert [app_image(p) for p in pods] == [new]
    assert project.outputs("staging")["releaseDigests"]["sol"] == new


def test_claim_access_mode_change_is_refused_as_protected(project: Project, kubectl, tmp_path):
    """The engine refuses to replace the protected claim, and its preview still says what it would
    have done: the replacement steps (their reason the access mode) and an error diagnostic on the
    claim's URN, which is what `pulumi preview --json` lists too. `stackctl risk` reads both: data
    at risk, refused."""
    edit_config(project, "staging",
                lambda c: c["platform:services"]["sol"]["data"].update(accessMode="ReadWriteOncePod"))
    try:
        result = project.run("preview", "staging", check=False)
        assert result.returncode != 0, result.describe()
        assert REPLACE_PROTECTED in flat(result.output), result.describe()
        assert "unable to replace resource" in result.output and "::sol-data-claim" in result.output
        no_program_traceback(result)
        changed = [s for s in steps(result) if s.get("op") != "same"]
        assert {(s["op"], s["urn"].rsplit("::", 1)[-1]) for s in changed} == {
            ("create-replacement", "sol-data-claim"), ("replace", "sol-data-claim"),
            ("delete-replaced", "sol-data-claim")}, changed
        refusals = [d for d in result.preview_json()["diagnostics"]
                    if d["severity"] == "error" and REPLACE_PROTECTED in flat(d["message"])]
        assert [d["urn"].rsplit("::", 1)[-1] for d in refusals] == ["sol-data-claim"], result.diagnostics
        risk_of_real_preview(project, result, "staging", "staging-engine-claim-access-mode-change.md", tmp_path)
    finally:
        edit_config(project, "staging",
                    lambda c: c["platform:services"]["sol"]["data"].update(accessMode="ReadWriteOnce"))
    assert kubectl.json("pvc", "sol-data", "-n", "matrix")["spec"]["accessModes"] == ["ReadWriteOnce"]


def test_a_new_network_allow_is_one_policy_update_reported_as_privilege_widened(project: Project, tmp_path):
    """A config edit that allows a new flow (sol may reach a Pushgateway in `monitoring`) previews as
    one in-place update of sol's egress NetworkPolicy; `stackctl risk` names the new egress rule."""
    original = project.stack_file("staging").read_text()
    pushgateway = {"name": "pushgateway", "namespace": "monitoring",
                   "podLabels": {"app.kubernetes.io/name": "prometheus-pushgateway"}, "ports": [9091]}
    edit_config(project, "staging", lambda c: c["platform:services"]["sol"]["egress"].append(pushgateway))
    try:
        preview = project.run("preview", "staging", policy=True)
    finally:
        project.stack_file("staging").write_text(original)
    changed = [s for s in steps(preview) if s.get("op") != "same"]
    assert [(s["op"], resource_type(s["urn"]), s["urn"].rsplit("::", 1)[-1]) for s in changed] == [
        ("update", "kubernetes:networking.k8s.io/v1:NetworkPolicy", "matrix-sol-egress")], changed
    risk_of_real_preview(project, preview, "staging", "staging-engine-new-network-allow.md", tmp_path)


def test_bad_config_fails_preview_with_the_programs_message(project: Project):
    edit_config(project, "staging", lambda c: c["platform:services"]["sol"].update(replicas=3))
    try:
        result = project.run("preview", "staging", check=False)
    finally:
        edit_config(project, "staging", lambda c: c["platform:services"]["sol"].pop("replicas"))
    assert result.returncode != 0, result.describe()
    assert "services.sol.replicas: 3 is not allowed" in result.output, result.describe()
    assert "nothing was changed" in result.output
    no_traceback(result)


def test_destroy_is_refused_while_claims_are_protected(project: Project, kubectl):
    """The engine refuses each protected resource its delete walk reaches: always the three
    claims (nothing depends on them); what waits for a refused one to go (the claim's namespace,
    the StorageClass it names, both protected too) is not reached, so not every protected
    resource is named. Nothing is deleted, from the state or the cluster."""
    state = project.state("staging")
    before = [r["urn"] for r in state]
    protected = {r["urn"] for r in state if r.get("protect")}
    result = project.run("destroy", "staging", check=False)
    assert result.returncode != 0, result.describe()
    refused = set(PROTECTED_URN.findall(flat(result.output)))
    assert refused and refused <= protected, (sorted(refused - protected), result.describe())
    for claim in ("sol-data-claim", "forge-data-claim", "chat-data-claim"):
        assert f"PersistentVolumeClaim::{claim}\" cannot be deleted" in flat(result.output)
    assert [r["urn"] for r in project.state("staging")] == before, "destroy deleted something from the state"
    for service, namespace in SERVICES.items():
        assert kubectl.exists("deployment", service, "-n", namespace), f"destroy deleted {service}"
        assert kubectl.exists("pvc", CLAIMS[service], "-n", namespace)
    assert kubectl.exists("storageclass", claim_class(project, "staging", "sol"))


def stackctl(*args: str, kubeconfig: str | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"KUBECONFIG": kubeconfig} if kubeconfig else {})}
    return subprocess.run([sys.executable, "-m", "stackctl", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


def staging_evidence(project: Project, directory: Path) -> tuple[Path, Path]:
    """Staging's real `pulumi stack output --json` and `stack history --json`, saved as CI saves them."""
    outputs, history = directory / "staging-outputs.json", directory / "staging-history.json"
    outputs.write_text(project.pulumi("stack", "output", "--json", stack="staging").stdout)
    history.write_text(project.pulumi("stack", "history", "--json", stack="staging").stdout)
    return outputs, history


def verify_staging(project: Project, kubectl, history: Path) -> subprocess.CompletedProcess:
    """`stackctl verify staging` against the live cluster, recorded in the copy's releases/."""
    return stackctl("verify", "staging", "--kubectl", "--history", str(history), "--root", str(project.dir),
                    kubeconfig=kubectl.kubeconfig)


def promote_sol(project: Project, outputs: Path, history: Path, *extra: str) -> subprocess.CompletedProcess:
    return stackctl("promote", "--from", "staging", "--to", "prod", "--only", "sol", "--root", str(project.dir),
                    "--verify-against", str(outputs), "--history", str(history), "--min-soak-hours", "0",
                    "--override-gate", "end-to-end test: staging was updated minutes ago", *extra, timeout=300)


def verdicts(done: subprocess.CompletedProcess) -> dict[str, str]:
    """`stackctl verify`'s text output: check name -> PASS or FAIL (with its detail)."""
    lines = [line for line in done.stdout.splitlines() if line.startswith(("PASS  ", "FAIL  "))]
    return {line[6:].split(": ", 1)[0]: line for line in lines}


def test_verification_gate_red_on_a_missing_key_then_green(project: Project, kubectl, openbao, chain_render,
                                                           tmp_path, summary):
    """Issue 25: `stackctl verify staging` on the live stack, both ways, with the operators running.

    Red: a key the config expects is gone from OpenBao. VSO syncs what is left and reports
    success (the silent drop, tests/secret_chain); verify must not: it fails that one check,
    records the red result, and `stackctl promote` refuses sol, naming the command that makes the
    evidence. Green: the key restored, every check passes (0 failed, 0 skipped), and the record
    is what the release flow's promotion below relies on, without --override-verification.
    Deleting the Secret makes VSO sync now (it re-syncs a deleted destination at once) instead
    of after refreshAfter (60 s).
    """
    if not isinstance(project.workspace, StandInStoreWorkspace):
        pytest.skip("needs every Secret synced: the Key Vault stand-in exists on the automation route only")
    from conftest import vault_values
    chat = vault_values(chain_render)["chat"]
    gone = "oauth-client-secret"
    outputs, history = staging_evidence(project, tmp_path)
    target = ("chat", "chat-secrets")

    def resync(values: dict[str, str]) -> None:
        openbao.ok("POST", "secret/data/chat", {"data": values})
        kubectl("delete", "secret", target[1], "-n", target[0], "--wait=true")
        start = time.monotonic()
        wait_for(lambda: secret_data(kubectl, *target) == values, f"Secret {target[1]} synced to {sorted(values)}",
                 timeout=60, interval=0.5)
        summary.append(f"e2e: VSO re-sync of the deleted Secret chat/chat-secrets ({len(values)} key(s)): "
                       f"{time.monotonic() - start:.1f}s")
        # VSO restarts chat when the data changes (rolloutRestartTargets); verify wants the rollout done.
        wait_for(lambda: available(kubectl.json("deployment", "chat", "-n", "chat")), "chat's restart rolled out",
                 timeout=120, interval=1)

    try:
        resync({k: v for k, v in chat.items() if k != gone})
        red = verify_staging(project, kubectl, history)
        assert red.returncode == 1, red.stdout + red.stderr
        failed = {name: line for name, line in verdicts(red).items() if line.startswith("FAIL")}
        assert failed == {"secret chat/chat-secrets (VaultStaticSecret chat-secrets)":
                          "FAIL  secret chat/chat-secrets (VaultStaticSecret chat-secrets): "
                          f"Secret chat/chat-secrets lacks keys ['{gone}']"}, red.stdout
        assert f"{len(verdicts(red)) - 1} passed, 1 failed, 0 skipped" in red.stdout, red.stdout
        refused = promote_sol(project, outputs, history)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "failed: secret chat/chat-secrets (VaultStaticSecret chat-secrets)" in flat(refused.stderr), \
            refused.stderr
        assert "stackctl verify staging" in refused.stderr, refused.stderr
    finally:
        resync(chat)

    green = verify_staging(project, kubectl, history)
    assert green.returncode == 0, green.stdout + green.stderr
    passed = verdicts(green)
    assert passed and all(line.startswith("PASS") for line in passed.values()), green.stdout
    # every check ran: the update, each workload's rollout, each declared Secret
    kinds = {name.split(" ", 1)[0] for name in passed}
    assert kinds == {"newest", "rollout", "secret"}, sorted(passed)
    assert sum(name.startswith("secret ") for name in passed) == 9, sorted(passed)
    assert f"{len(passed)} passed, 0 failed, 0 skipped" in green.stdout, green.stdout
    summary.append(f"e2e: stackctl verify staging: red with a key gone from OpenBao, then green: "
                   f"{len(passed)} passed, 0 failed, 0 skipped")


# --------------------------------------------------------------------------- prod


def test_provenance_gate_refuses_a_digest_staging_never_ran(project: Project):
    """Prod's gate (release.promotionGate.ledger): prod may run only images the
    release ledger says staging ran; it is a config-time check, so the preview
    fails before anything is registered, naming the component and the image."""
    gate = yaml.safe_load(project.stack_file("prod").read_text())["config"]["platform:release"]["promotionGate"]
    ledger = yaml.safe_load((project.dir / gate["ledger"]).read_text())
    assert images(project, "prod")["sol"] in {e["image"] for e in ledger["releases"] if e["component"] == "sol"}
    rogue = never_ran_digest(images(project, "prod")["sol"], "e2e-never-in-staging")
    original = project.stack_file("prod").read_text()
    edit_config(project, "prod", lambda c: c["platform:release"]["images"]["sol"].update(image=rogue))
    try:
        result = project.run("preview", "prod", policy=True, check=False)
    finally:
        project.stack_file("prod").write_text(original)
    assert result.returncode != 0, result.describe()
    out = flat(result.output)
    assert "invalid config in Pulumi.prod.yaml; nothing was changed" in out, result.describe()
    assert f"provenance gate: release.images.sol.image: '{rogue}': staging never ran it" in out, result.describe()
    for other in ("forge", "chat", "busybox"):
        assert f"release.images.{other}.image" not in out
    no_traceback(result)


def _clear_staging_from_cluster(kubectl, project: Project) -> None:
    """Both stacks use the same names: remove staging's objects out of band.

    Its namespaces (and so everything in them) and its cluster-scoped objects
    (the StorageClass), as staging's state lists them: prod, on a cluster of
    its own in reality, creates the same ones. Staging's Pulumi state is kept
    (the prod gate reads its outputs); it is stale from here on, which nothing
    below relies on.
    """
    namespaces, cluster_scoped = [], []
    for resource in project.state("staging"):
        outputs = resource.get("outputs") or {}
        meta = outputs.get("metadata") or {}
        if not resource["type"].startswith("kubernetes:") or "kind" not in outputs or meta.get("namespace"):
            continue
        if outputs["kind"] == "Namespace":
            namespaces.append(meta["name"])
        else:
            cluster_scoped.append(f"{outputs['kind'].lower()}/{meta['name']}")
    assert set(SERVICES.values()) <= set(namespaces), namespaces
    assert "storageclass/platform-retain-zrs" in cluster_scoped, cluster_scoped
    kubectl("delete", "namespace", *namespaces, "--wait=true", "--timeout=300s", timeout=360)
    kubectl("delete", *cluster_scoped, "--wait=true", "--timeout=120s", timeout=180)
    for pv in kubectl.json("pv")["items"]:
        if pv.get("status", {}).get("phase") == "Released":  # reclaimPolicy Retain: make it Available again
            kubectl("patch", "pv", pv["metadata"]["name"], "--type=json",
                    "-p", '[{"op": "remove", "path": "/spec/claimRef"}]')


def test_prod_up_with_policy_pack(project: Project, kubectl, summary):
    _clear_staging_from_cluster(kubectl, project)
    result = project.run("up", "prod", policy=True)
    summary.append(f"e2e: pulumi up prod (policy pack, from empty): {result.seconds:.0f}s")
    no_traceback(result)
    assert "platform@v0.1.0" in result.output
    outputs = project.outputs("prod")
    assert outputs["environment"] == "prod"
    assert outputs["releaseDigests"] == images(project, "prod")
    assert_stack_on_cluster(kubectl, project, "prod")


def test_release_flow_across_pull_requests_on_the_real_engine(project: Project, kubectl, tmp_path):
    """Issue 11's and 25's scenarios under the engine: staging runs a newer sol than prod (since the digest test).

    A prod change touching no image previews as one update while staging is ahead; `stackctl promote` with
    the real `pulumi stack output/history --json` of staging and its green verification (no override)
    records the ledger entry, prod's preview shows sol's update alone, and prod's up runs it; the rollback
    to the release prod ran before passes the gate and rolls the pod back.
    """
    staging_sol, prod_sol = images(project, "staging")["sol"], images(project, "prod")["sol"]
    assert staging_sol != prod_sol

    # 1. Staging ahead: prod's own changes still pass.
    original = project.stack_file("prod").read_text()
    edit_config(project, "prod", lambda c: c["platform:services"]["sol"]["resources"]["limits"].update(memory="640Mi"))
    preview = project.run("preview", "prod", policy=True)
    changed = [s for s in steps(preview) if s.get("op") != "same"]
    assert [(s["op"], s["urn"].rsplit("::", 1)[-1]) for s in changed] == [("update", "sol-deployment")], changed
    project.stack_file("prod").write_text(original)

    # 2. Promotion from staging's real evidence: the green verification recorded while staging ran
    #    (test_verification_gate_red_on_a_missing_key_then_green), so no override of it.
    if not isinstance(project.workspace, StandInStoreWorkspace):
        pytest.skip("the promotion needs the green verification, which needs the Key Vault stand-in (automation "
                    "route only)")
    outputs, history = staging_evidence(project, tmp_path)
    promoted = promote_sol(project, outputs, history)
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    assert "Verification override" not in promoted.stdout + promoted.stderr, promoted.stdout + promoted.stderr
    ledger = yaml.safe_load((project.dir / "releases" / "staging-verified.yaml").read_text())["releases"]
    assert (ledger[-1]["component"], ledger[-1]["image"], ledger[-1]["stack"]) == ("sol", staging_sol, "staging")
    # The prod preview of the promotion: sol's Deployment, in place, and nothing else.
    preview = project.run("preview", "prod", policy=True)
    changed = [s for s in steps(preview) if s.get("op") != "same"]
    assert [(s["op"], s["urn"].rsplit("::", 1)[-1]) for s in changed] == [("update", "sol-deployment")], changed
    up = project.run("up", "prod", policy=True)
    no_traceback(up)
    wait_for(lambda: [app_image(p) for p in pods_of(kubectl, "sol") if ready(p)] == [staging_sol],
             "prod's sol pod on the promoted image")

    # 3. Emergency rollback to the release prod ran before: recorded, so the gate admits it.
    edit_config(project, "prod", lambda c: c["platform:release"]["images"]["sol"].update(image=prod_sol))
    rollback = project.run("up", "prod", policy=True)
    no_traceback(rollback)
    wait_for(lambda: [app_image(p) for p in pods_of(kubectl, "sol") if ready(p)] == [prod_sol],
             "prod's sol pod back on the previous image")
    assert project.outputs("prod")["releaseDigests"]["sol"] == prod_sol


def test_removed_service_leaves_its_claim_bound(project: Project, kubectl):
    claim_before = kubectl.json("pvc", "chat-history", "-n", "chat")
    claim_urns = [r["urn"] for r in project.state("prod")
                  if r["type"] == "kubernetes:core/v1:PersistentVolumeClaim" and r["urn"].endswith("::chat-data-claim")]
    assert len(claim_urns) == 1, claim_urns

    def remove_chat(config):
        del config["platform:services"]["chat"]
        del config["platform:release"]["images"]["chat"]
        del config["platform:routing"]["routes"]["chat"]
    edit_config(project, "prod", remove_chat)

    # 1. The claim is protected: the up refuses to delete it, and changes nothing.
    refused = project.run("up", "prod", policy=True, check=False)
    assert refused.returncode != 0, refused.describe()
    assert DELETE_PROTECTED in flat(refused.output) and "::chat-data-claim" in refused.output, refused.describe()
    assert kubectl.exists("deployment", "chat", "-n", "chat"), "the refused up deleted the Deployment"

    # 2. Unprotected, the up goes through; retainOnDelete leaves the claim on the cluster.
    project.pulumi("state", "unprotect", claim_urns[0], "--yes", stack="prod")
    project.run("up", "prod", policy=True)
    wait_for(lambda: not kubectl.exists("deployment", "chat", "-n", "chat"), "the chat Deployment to go")
    assert claim_urns[0] not in [r["urn"] for r in project.state("prod")], "the claim is still in the state"
    claim = kubectl.json("pvc", "chat-history", "-n", "chat")
    assert claim["metadata"]["uid"] == claim_before["metadata"]["uid"], "the claim was recreated"
    assert claim["status"]["phase"] == "Bound"
    assert claim["spec"]["volumeName"] == claim_before["spec"]["volumeName"]
    pv = kubectl.json("pv", claim["spec"]["volumeName"])
    assert pv["status"]["phase"] == "Bound" and pv["spec"]["claimRef"]["uid"] == claim["metadata"]["uid"]
    # The other services are untouched.
    for service in ("sol", "forge"):
        assert [p for p in pods_of(kubectl, service) if ready(p)]


@pytest.fixture(autouse=True)
def _cwd_is_irrelevant(monkeypatch, tmp_path):
    """Nothing here may depend on the test process's working directory."""
    monkeypatch.chdir(tmp_path)

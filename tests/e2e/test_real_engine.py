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
from pathlib import Path

import pytest
import yaml

from e2e_support import (
    ROOT, TRACEBACK, Project, change_summary, resource_type, steps, wait_for,
)

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


def test_claim_access_mode_change_is_refused_as_protected(project: Project, kubectl):
    edit_config(project, "staging",
                lambda c: c["platform:services"]["sol"]["data"].update(accessMode="ReadWriteOncePod"))
    try:
        result = project.run("preview", "staging", check=False)
        assert result.returncode != 0, result.describe()
        assert REPLACE_PROTECTED in flat(result.output), result.describe()
        assert "unable to replace resource" in result.output and "::sol-data-claim" in result.output
        no_program_traceback(result)
    finally:
        edit_config(project, "staging",
                    lambda c: c["platform:services"]["sol"]["data"].update(accessMode="ReadWriteOnce"))
    assert kubectl.json("pvc", "sol-data", "-n", "matrix")["spec"]["accessModes"] == ["ReadWriteOnce"]


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
    """Issue 11's scenarios under the engine: staging runs a newer sol than prod (since the digest test).

    A prod change touching no image previews as one update while staging is ahead; `stackctl promote` with
    the real `pulumi stack output/history --json` of staging records the ledger entry and prod's up runs it;
    the rollback to the release prod ran before passes the gate and rolls the pod back.
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

    # 2. Promotion from staging's real evidence: verify staging live, then promote.
    outputs, history = tmp_path / "staging-outputs.json", tmp_path / "staging-history.json"
    outputs.write_text(project.pulumi("stack", "output", "--json", stack="staging").stdout)
    history.write_text(project.pulumi("stack", "history", "--json", stack="staging").stdout)
    verify = subprocess.run(
        [sys.executable, "-m", "stackctl", "verify", "staging", "--kubectl", "--history", str(history),
         "--root", str(project.dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "KUBECONFIG": kubectl.kubeconfig})
    # No secret operator runs in this cluster, so the secret checks fail and the record is red;
    # every rollout check passes (the workloads run the digests staging pins).
    assert verify.returncode == 1, verify.stdout + verify.stderr
    assert " 0 skipped" in verify.stdout + verify.stderr, verify.stdout + verify.stderr
    promote = [sys.executable, "-m", "stackctl", "promote", "--from", "staging", "--to", "prod", "--only", "sol",
               "--root", str(project.dir), "--verify-against", str(outputs), "--history", str(history),
               "--min-soak-hours", "0", "--override-gate", "end-to-end test: staging was updated minutes ago"]
    refused = subprocess.run(promote, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "stackctl verify staging" in refused.stderr, refused.stderr
    promoted = subprocess.run(
        promote + ["--override-verification", "end-to-end test: no secret operator runs on this cluster"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    ledger = yaml.safe_load((project.dir / "releases" / "staging-verified.yaml").read_text())["releases"]
    assert (ledger[-1]["component"], ledger[-1]["image"], ledger[-1]["stack"]) == ("sol", staging_sol, "staging")
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

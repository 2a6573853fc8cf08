"""Both rendered stacks against a real API server (scripts/local-cluster): server-side apply,
NetworkPolicies stored as rendered, rollouts, claim binding to the retaining class the stack
creates and volumes outliving deleted claims, idempotent re-apply, claim immutability, Pod
Security `restricted`, and what keeps a replicated Deployment serving: surge-only rolling
updates, one replica per node, its PodDisruptionBudget refusing a second eviction, and a release
migration Job outside its Service.

Left out, storage: the stacks' class `platform-retain-zrs` provisions Azure disks
(disk.csi.azure.com), which cannot run here. Static provisioning stands in for Azure Disk CSI:
the local cluster pre-creates Retain PersistentVolumes of that class (conftest.py), so "binds"
and "Released" below are the real PV binder's and scheduler's behaviour on such volumes, and the
class's reclaimPolicy is checked on the applied StorageClass rather than on a provisioned disk.

Skipped unless STACKCTL_CLUSTER_TESTS=1 or STACKCTL_KUBECONFIG is set (see conftest.py).
"""
from __future__ import annotations

import json
import re
import time
from typing import Any, Callable
from urllib.parse import urlencode

import pytest

from cluster_support import FIELD_MANAGER, AppliedStack, Kubectl, apply_args, assert_no_warnings

ROLLOUT_TIMEOUT = "120s"


def _key(obj: dict) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return obj["kind"], meta.get("namespace", ""), meta["name"]


def _live(kubectl: Kubectl, stack: AppliedStack) -> dict[tuple[str, str, str], dict]:
    """The live objects of every manifest of the stack, by (kind, namespace, name)."""
    args = ["get", "-o", "json", "--show-managed-fields"]
    for f in stack.files():
        args += ["-f", str(f)]
    listed = json.loads(kubectl(*args).stdout)
    items = listed["items"] if listed.get("kind") == "List" else [listed]
    return {_key(o): o for o in items}


def _wait_rollouts(kubectl: Kubectl, stack: AppliedStack) -> None:
    for dep in stack.of_kind("Deployment"):
        meta = dep["metadata"]
        kubectl("rollout", "status", f"deployment/{meta['name']}", "-n", meta["namespace"],
                f"--timeout={ROLLOUT_TIMEOUT}", timeout=180)


def _selector(matchlabels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(matchlabels.items()))


def _is_ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def _running_pods(kubectl: Kubectl, dep: dict) -> list[dict]:
    """The Deployment's pods that are not terminating (Ready or not)."""
    meta = dep["metadata"]
    pods = kubectl.json("pods", "-n", meta["namespace"], "-l", _selector(dep["spec"]["selector"]["matchLabels"]))
    return [p for p in pods["items"] if p["metadata"].get("deletionTimestamp") is None]


def _poll(what: str, fetch: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 60) -> Any:
    """fetch() until done(value), or fail after `timeout` seconds showing the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached in {timeout:.0f}s; last seen:\n{json.dumps(value, indent=1)}")
        time.sleep(0.5)


def test_every_object_is_applied_server_side_without_warnings(kubectl, stack):
    assert stack.namespace_files, "the render has no Namespace"
    assert stack.of_kind("Deployment") and stack.of_kind("PersistentVolumeClaim")
    kinds = {o["kind"] for o in stack.objects}
    assert {"VaultConnection", "VaultAuth", "VaultStaticSecret", "SecretStore", "ExternalSecret"} <= kinds
    # among them every NetworkPolicy (issue 14, item 4), the StorageClass and the edge Certificate
    assert {"NetworkPolicy", "StorageClass", "Certificate"} <= kinds, sorted(kinds)
    for proc in stack.applies:
        assert proc.returncode == 0, f"apply failed:\n{proc.stdout}\n{proc.stderr}"
        assert_no_warnings(proc, f"server-side apply of {stack.name}")
    applied_lines = [line for p in stack.applies for line in p.stdout.splitlines()]
    assert len(applied_lines) == len(stack.objects), "\n".join(applied_lines)
    assert all(line.endswith(" serverside-applied") for line in applied_lines), "\n".join(applied_lines)
    live = _live(kubectl, stack)
    assert set(live) == {_key(o) for o in stack.objects}
    for obj in live.values():
        managers = {m["manager"] for m in obj["metadata"].get("managedFields", [])}
        assert FIELD_MANAGER in managers, f"{_key(obj)} not managed by {FIELD_MANAGER}: {managers}"


def test_every_deployment_rolls_out_with_ready_pods(kubectl, stack):
    nodes = {n["metadata"]["name"] for n in kubectl.json("nodes")["items"]}
    _wait_rollouts(kubectl, stack)
    for dep in stack.of_kind("Deployment"):
        meta = dep["metadata"]
        replicas = dep["spec"]["replicas"]
        live = kubectl.json("deployment", meta["name"], "-n", meta["namespace"])
        assert live["status"].get("readyReplicas") == replicas >= 1, (meta["name"], live["status"])
        assert live["status"].get("updatedReplicas") == replicas
        running = _running_pods(kubectl, dep)
        assert len(running) == replicas, [p["metadata"]["name"] for p in running]
        for pod in running:
            assert pod["spec"]["nodeName"] in nodes
            assert pod["status"]["phase"] == "Running"
            assert _is_ready(pod), pod["status"]


def _not_kept(rendered: Any, stored: Any, path: str = "spec") -> list[str]:
    """Where `stored` lost or changed what `rendered` says; fields the server only added (defaults) are fine."""
    if isinstance(rendered, dict) and isinstance(stored, dict):
        return [p for key, value in rendered.items()
                for p in (_not_kept(value, stored[key], f"{path}.{key}") if key in stored else [f"{path}.{key}"])]
    if isinstance(rendered, list) and isinstance(stored, list) and len(rendered) == len(stored):
        return [p for i, (r, s) in enumerate(zip(rendered, stored)) for p in _not_kept(r, s, f"{path}[{i}]")]
    return [] if rendered == stored else [f"{path}: rendered {rendered!r}, stored {stored!r}"]


def test_every_network_policy_is_accepted_and_stored_as_rendered(kubectl, stack):
    """Issue 14, item 4: each NetworkPolicy of the stack is admitted by the API server (the apply
    test shows it applied with no warning) and stored with every rendered field intact, not
    silently dropped or rewritten; every namespace the stack owns has its default-deny."""
    policies = stack.of_kind("NetworkPolicy")
    deny = {p["metadata"]["namespace"] for p in policies if p["metadata"]["name"] == "default-deny"}
    assert deny == set(stack.namespaces), f"namespaces without default-deny: {sorted(set(stack.namespaces) - deny)}"
    live = _live(kubectl, stack)
    for policy in policies:
        stored = live[_key(policy)]
        assert not _not_kept(policy["spec"], stored["spec"]), (_key(policy), _not_kept(policy["spec"], stored["spec"]))
        assert stored["metadata"]["labels"] == policy["metadata"]["labels"], _key(policy)


def _storage_class(stack: AppliedStack, name: str) -> dict:
    """The rendered StorageClass `name`: the stacks create every class their claims name."""
    rendered = [c for c in stack.of_kind("StorageClass") if c["metadata"]["name"] == name]
    assert rendered, f"a claim names StorageClass {name!r}, which the {stack.name} stack does not create"
    return rendered[0]


def test_every_claim_binds_to_a_volume_of_the_class_it_names(kubectl, stack):
    """Each claim names a class the stack creates; on the server that class retains its volumes
    (reclaimPolicy Retain) and binds at the first consumer, and the claim binds to a PV of that
    class that retains too. The PVs are the local cluster's static pool: static provisioning
    stands in for Azure Disk CSI, which would create one disk per claim with the class's policy."""
    claims = stack.of_kind("PersistentVolumeClaim")
    assert claims
    for claim in claims:
        meta = claim["metadata"]
        class_name = claim["spec"].get("storageClassName")
        assert class_name, f"claim {meta['namespace']}/{meta['name']} names no class: it would get the default's"
        rendered_class = _storage_class(stack, class_name)
        live_class = kubectl.json("storageclass", class_name)
        for field in ("provisioner", "reclaimPolicy", "volumeBindingMode", "parameters"):
            assert live_class.get(field) == rendered_class.get(field), (class_name, field, live_class.get(field))
        assert live_class["reclaimPolicy"] == "Retain", live_class
        assert live_class["volumeBindingMode"] == "WaitForFirstConsumer", live_class

        kubectl("wait", "--for=jsonpath={.status.phase}=Bound", f"pvc/{meta['name']}",
                "-n", meta["namespace"], "--timeout=60s")
        live = kubectl.json("pvc", meta["name"], "-n", meta["namespace"])
        assert live["spec"]["storageClassName"] == class_name
        assert live["spec"]["accessModes"] == claim["spec"]["accessModes"]
        pv = kubectl.json("pv", live["spec"]["volumeName"])
        assert pv["spec"]["storageClassName"] == class_name, pv["spec"]
        assert pv["spec"]["persistentVolumeReclaimPolicy"] == live_class["reclaimPolicy"], pv["spec"]
        assert pv["spec"]["claimRef"]["name"] == meta["name"]
        assert pv["spec"]["claimRef"]["namespace"] == meta["namespace"]
        assert pv["spec"]["claimRef"]["uid"] == live["metadata"]["uid"]
        assert pv["status"]["phase"] == "Bound"


RETAIN_PROBE_IMAGE = "registry.example/retain-probe@sha256:" + "0" * 64


@pytest.mark.parametrize("deleted", ["claim", "namespace"])
def test_a_deleted_claim_leaves_its_volume_released_not_deleted(kubectl, stack, deleted):
    """Issue 16: `kubectl delete pvc`, or deleting the namespace, must not delete the disk. Copies
    of the stack's claims (same spec, so the class it creates) are mounted by one pod in a
    namespace of their own, bound, then the claims are deleted (`claim`: the pod, then the claims;
    `namespace`: the whole namespace). Each volume must stay, same uid, Released, still holding
    the deleted claim's reference, Retain. The volumes are the local pool's: static provisioning
    stands in for Azure Disk CSI, whose disk would follow the PV's reclaimPolicy the same way."""
    ns = f"{stack.name}-retain-probe-{deleted}"
    claims = stack.of_kind("PersistentVolumeClaim")
    copies = [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": c["metadata"]["name"], "namespace": ns}, "spec": c["spec"]} for c in claims]
    volumes = [{"name": f"claim-{i}", "persistentVolumeClaim": {"claimName": c["metadata"]["name"]}}
               for i, c in enumerate(claims)]
    consumer = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "consumer", "namespace": ns},
                "spec": {"containers": [{"name": "c", "image": RETAIN_PROBE_IMAGE,
                                         "volumeMounts": [{"name": v["name"], "mountPath": f"/{v['name']}"}
                                                          for v in volumes]}],
                         "volumes": volumes}}
    kubectl("create", "namespace", ns)
    released: list[str] = []
    try:
        kubectl("apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "-f", "-",
                input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [*copies, consumer]}))
        kubectl("wait", "--for=jsonpath={.status.phase}=Bound", "pvc", "--all", "-n", ns, "--timeout=60s")
        bound = {c["metadata"]["name"]: c for c in kubectl.json("pvc", "-n", ns)["items"]}
        assert set(bound) == {c["metadata"]["name"] for c in claims}
        before = {name: kubectl.json("pv", c["spec"]["volumeName"]) for name, c in bound.items()}
        for name, pv in before.items():
            class_name = bound[name]["spec"]["storageClassName"]
            assert kubectl.json("storageclass", class_name)["reclaimPolicy"] == "Retain", class_name
            assert pv["spec"]["storageClassName"] == class_name, pv["spec"]
            assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain", pv["spec"]

        if deleted == "claim":
            kubectl("delete", "pod", "consumer", "-n", ns, "--wait=true", "--timeout=60s", timeout=120)
            kubectl("delete", "pvc", "--all", "-n", ns, "--wait=true", "--timeout=60s", timeout=120)
        else:
            kubectl("delete", "namespace", ns, "--wait=true", "--timeout=120s", timeout=180)
        for name, pv in before.items():
            pv_name = pv["metadata"]["name"]

            def current(pv_name: str = pv_name) -> dict | None:
                got = kubectl("get", "pv", pv_name, "-o", "json", "--ignore-not-found")
                return json.loads(got.stdout) if got.stdout.strip() else None

            after = _poll(f"PersistentVolume {pv_name} of deleted claim {ns}/{name} no longer Bound", current,
                          lambda v: v is None or v.get("status", {}).get("phase") != "Bound")
            assert after is not None, f"PersistentVolume {pv_name} was deleted with its claim {ns}/{name}"
            released.append(pv_name)
            assert after["metadata"]["uid"] == pv["metadata"]["uid"], f"{pv_name} was deleted and recreated"
            assert after["metadata"].get("deletionTimestamp") is None, f"{pv_name} is being deleted"
            assert after["status"]["phase"] == "Released", (pv_name, after["status"])
            assert after["spec"]["claimRef"]["uid"] == bound[name]["metadata"]["uid"], after["spec"]["claimRef"]
            assert after["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    finally:
        kubectl("delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=120s", timeout=180)
        for pv_name in released:  # back to the pool: with Retain, nothing else makes them Available
            kubectl("patch", "pv", pv_name, "--type=json", "-p", '[{"op": "remove", "path": "/spec/claimRef"}]')


def test_reapplying_the_stack_changes_nothing(kubectl, stack):
    _wait_rollouts(kubectl, stack)
    for claim in stack.of_kind("PersistentVolumeClaim"):
        kubectl("wait", "--for=jsonpath={.status.phase}=Bound", f"pvc/{claim['metadata']['name']}",
                "-n", claim["metadata"]["namespace"], "--timeout=60s")
    before = _live(kubectl, stack)
    for files in (stack.namespace_files, stack.object_files):
        proc = kubectl(*apply_args(*files))
        assert_no_warnings(proc, "re-apply")
    after = _live(kubectl, stack)
    assert set(before) == set(after)
    changed = {
        key: (before[key]["metadata"]["resourceVersion"], after[key]["metadata"]["resourceVersion"])
        for key in before
        if before[key]["metadata"]["resourceVersion"] != after[key]["metadata"]["resourceVersion"]
        or before[key]["metadata"].get("generation") != after[key]["metadata"].get("generation")
    }
    assert not changed, f"re-apply wrote objects: {changed}"
    diff_args = ["diff", "--server-side", f"--field-manager={FIELD_MANAGER}"]
    for f in stack.files():
        diff_args += ["-f", str(f)]
    diff = kubectl(*diff_args, check=False)
    assert diff.returncode == 0 and diff.stdout == "", f"diff exit {diff.returncode}:\n{diff.stdout}{diff.stderr}"


IMMUTABLE = re.compile(
    r'PersistentVolumeClaim "[^"]+" is invalid: spec: Forbidden: spec is immutable after creation '
    r"except resources\.requests and volumeAttributesClassName for bound claims"
)


@pytest.mark.parametrize("change", ["accessModes", "storageClassName", "both"])
def test_a_bound_claims_access_mode_and_class_are_immutable(kubectl, stack, change):
    for claim in stack.of_kind("PersistentVolumeClaim"):
        meta = claim["metadata"]
        kubectl("wait", "--for=jsonpath={.status.phase}=Bound", f"pvc/{meta['name']}",
                "-n", meta["namespace"], "--timeout=60s")
        before = kubectl.json("pvc", meta["name"], "-n", meta["namespace"])
        other_mode = "ReadWriteMany" if before["spec"]["accessModes"] != ["ReadWriteMany"] else "ReadWriteOnce"
        spec = {}
        if change in ("accessModes", "both"):
            spec["accessModes"] = [other_mode]
        if change in ("storageClassName", "both"):
            spec["storageClassName"] = "another-class"
        proc = kubectl("patch", "pvc", meta["name"], "-n", meta["namespace"], "--type=merge",
                       "-p", json.dumps({"spec": spec}), check=False)
        assert proc.returncode != 0, f"the server accepted {spec} on bound claim {meta['name']}"
        assert IMMUTABLE.search(proc.stderr), proc.stderr
        after = kubectl.json("pvc", meta["name"], "-n", meta["namespace"])
        assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
        assert after["spec"] == before["spec"]


def test_pod_security_restricted_admitted_the_pods(kubectl, stack):
    _wait_rollouts(kubectl, stack)
    for ns in stack.namespaces:
        labels = kubectl.json("namespace", ns)["metadata"]["labels"]
        for mode in ("enforce", "warn", "audit"):
            assert labels.get(f"pod-security.kubernetes.io/{mode}") == "restricted", labels

    # enforcement is live: a pod without the hardening is refused in every stack namespace
    for ns in stack.namespaces:
        bare = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "psa-probe", "namespace": ns},
                "spec": {"containers": [{"name": "c", "image": "registry.example/probe@sha256:" + "0" * 64}]}}
        proc = kubectl("create", "--dry-run=server", "-f", "-", input=json.dumps(bare), check=False)
        assert proc.returncode != 0
        assert 'violates PodSecurity "restricted:latest"' in proc.stderr, proc.stderr

    # and each pod of the stack (the Deployments' and the finished Jobs'), submitted again as a
    # plain Pod, passes it without a warning
    for job in stack.of_kind("Job"):
        kubectl("wait", "--for=condition=Complete", f"job/{job['metadata']['name']}",
                "-n", job["metadata"]["namespace"], f"--timeout={ROLLOUT_TIMEOUT}", timeout=180)
    workload_namespaces = {o["metadata"]["namespace"] for o in stack.of_kind("Deployment") + stack.of_kind("Job")}
    seen = 0
    for ns in sorted(workload_namespaces):
        for pod in kubectl.json("pods", "-n", ns)["items"]:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            spec = dict(pod["spec"])
            for assigned in ("nodeName", "priority"):  # set by the scheduler and the Priority plugin
                spec.pop(assigned, None)
            copy = {"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": pod["metadata"]["name"] + "-psa", "namespace": ns,
                                 "labels": {"stackctl/psa-check": "true"}},
                    "spec": spec}
            proc = kubectl("create", "--dry-run=server", "-f", "-", input=json.dumps(copy), check=False)
            assert proc.returncode == 0, proc.stderr
            assert_no_warnings(proc, f"pod {pod['metadata']['name']}")
            seen += 1
    # one pod per replica, and one per Job (each succeeds at its first attempt here)
    assert seen == sum(d["spec"]["replicas"] for d in stack.of_kind("Deployment")) + len(stack.of_kind("Job"))


# ---------------------------------------------------------------- replicated Deployments

# memQL's roles, the stacks' `replicated` workloads; each has a PodDisruptionBudget of its own name.
REPLICATED = tuple(f"memql-{role}" for role in ("agent", "bff", "cognition", "identity", "planner", "voice"))
REPLICAS = 2
ROLLED = "memql-bff"     # the one whose pod template the rolling-update test changes
EVICTED = "memql-voice"  # the one whose pods the eviction test evicts
WATCH_REPLAY_SECONDS = 3
EVICTION_RESPONSE = re.compile(r'"Response" verb="POST" url="[^"]*/eviction" status="(\d{3})')


def _replicated(stack: AppliedStack) -> list[dict]:
    """The rendered replicated Deployments; fails unless exactly these have a disruption budget."""
    deployments = {(d["metadata"]["namespace"], d["metadata"]["name"]): d for d in stack.of_kind("Deployment")}
    budgets = {(b["metadata"]["namespace"], b["metadata"]["name"]) for b in stack.of_kind("PodDisruptionBudget")}
    expected = {("memql", name) for name in REPLICATED}
    assert budgets == expected, f"disruption budgets {sorted(budgets)}, expected one per replicated Deployment"
    assert expected <= set(deployments), f"Deployments missing: {sorted(expected - set(deployments))}"
    return [deployments[key] for key in sorted(expected)]


def _replicated_named(stack: AppliedStack, name: str) -> dict:
    [dep] = [d for d in _replicated(stack) if d["metadata"]["name"] == name]
    return dep


def _rollout(kubectl: Kubectl, dep: dict) -> None:
    meta = dep["metadata"]
    kubectl("rollout", "status", f"deployment/{meta['name']}", "-n", meta["namespace"],
            f"--timeout={ROLLOUT_TIMEOUT}", timeout=180)


def _settled_budget(kubectl: Kubectl, dep: dict) -> dict:
    """The Deployment's live PodDisruptionBudget, once the disruption controller counts every replica healthy."""
    meta = dep["metadata"]
    return _poll(
        f"PodDisruptionBudget {meta['namespace']}/{meta['name']} with {REPLICAS} healthy pods and 1 disruption allowed",
        lambda: kubectl.json("pdb", meta["name"], "-n", meta["namespace"]),
        lambda pdb: pdb.get("status", {}).get("observedGeneration") == pdb["metadata"]["generation"]
        and pdb["status"].get("currentHealthy", 0) >= REPLICAS and pdb["status"].get("disruptionsAllowed") == 1,
    )


def _raw_list(kubectl: Kubectl, collection: str, **query: str) -> dict:
    """A list straight from the API server: unlike `kubectl get -o json`, it carries its resourceVersion."""
    return json.loads(kubectl("get", "--raw", f"{collection}?{urlencode(query)}").stdout)


def _replay(kubectl: Kubectl, collection: str, resource_version: str, **query: str) -> list[dict]:
    """Every watch event on the collection after resource_version, in the order the server stored them."""
    query = {**query, "watch": "1", "resourceVersion": resource_version, "timeoutSeconds": str(WATCH_REPLAY_SECONDS)}
    out = kubectl("get", "--raw", f"{collection}?{urlencode(query)}", timeout=WATCH_REPLAY_SECONDS + 60).stdout
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    # an ERROR event (410 Gone: resourceVersion too old) would mean the replay is incomplete
    assert all(e["type"] in ("ADDED", "MODIFIED", "DELETED") for e in events), [
        e for e in events if e["type"] not in ("ADDED", "MODIFIED", "DELETED")]
    return events


def _evict(kubectl: Kubectl, namespace: str, pod: str) -> tuple[int, str]:
    """POST an Eviction for the pod: the HTTP status the server answered, and kubectl's output."""
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": pod, "namespace": namespace}}
    # -v=6 logs each response's status line; kubectl's error text alone does not name the code
    proc = kubectl("create", "--raw", f"/api/v1/namespaces/{namespace}/pods/{pod}/eviction", "-f", "-", "-v=6",
                   input=json.dumps(eviction), check=False)
    codes = EVICTION_RESPONSE.findall(proc.stderr)
    assert codes, f"no eviction response in kubectl's log:\n{proc.stderr}"
    return int(codes[-1]), proc.stdout + proc.stderr


def test_every_replicated_deployment_rolls_out_one_ready_replica_per_node(kubectl, stack):
    schedulable = [n["metadata"]["name"] for n in kubectl.json("nodes")["items"] if not n["spec"].get("unschedulable")]
    assert len(schedulable) >= REPLICAS, (
        f"the cluster has {len(schedulable)} schedulable nodes {schedulable}; a replicated Deployment's "
        f"required hostname spread needs {REPLICAS} (STACKCTL_CLUSTER_NODES)")
    for dep in _replicated(stack):
        meta = dep["metadata"]
        _rollout(kubectl, dep)
        live = kubectl.json("deployment", meta["name"], "-n", meta["namespace"])
        assert live["spec"]["replicas"] == REPLICAS, meta["name"]
        assert live["spec"]["strategy"] == {
            "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}, meta["name"]
        # fields the API server drops without a word when their feature gate is off
        rendered_pod, live_pod = dep["spec"]["template"]["spec"], live["spec"]["template"]["spec"]
        assert live_pod["topologySpreadConstraints"] == rendered_pod["topologySpreadConstraints"], meta["name"]
        assert [c.get("lifecycle") for c in live_pod["containers"]] == [
            c.get("lifecycle") for c in rendered_pod["containers"]], meta["name"]
        status = live["status"]
        assert status.get("readyReplicas") == status.get("availableReplicas") == REPLICAS, (meta["name"], status)
        assert status.get("updatedReplicas") == REPLICAS, (meta["name"], status)
        pods = _running_pods(kubectl, dep)
        assert len(pods) == REPLICAS and all(_is_ready(p) for p in pods), [
            (p["metadata"]["name"], p["status"].get("phase")) for p in pods]
        placed = sorted(p["spec"]["nodeName"] for p in pods)
        assert len(set(placed)) == REPLICAS, f"{meta['name']}: two replicas on one node: {placed}"


def test_every_replicated_deployment_has_a_budget_allowing_one_disruption(kubectl, stack):
    for dep in _replicated(stack):
        meta = dep["metadata"]
        _rollout(kubectl, dep)
        pdb = _settled_budget(kubectl, dep)
        assert pdb["spec"]["maxUnavailable"] == 1 and "minAvailable" not in pdb["spec"], pdb["spec"]
        live = kubectl.json("deployment", meta["name"], "-n", meta["namespace"])
        assert pdb["spec"]["selector"] == live["spec"]["selector"], meta["name"]
        status = pdb["status"]
        assert status["expectedPods"] == REPLICAS, status
        assert status["currentHealthy"] >= REPLICAS, status
        assert status["desiredHealthy"] == REPLICAS - 1, status
        assert status["disruptionsAllowed"] == 1, status


def test_a_rolling_update_never_has_fewer_available_pods_than_replicas(kubectl, stack):
    dep = _replicated_named(stack, ROLLED)
    ns, name = dep["metadata"]["namespace"], dep["metadata"]["name"]
    selector = _selector(dep["spec"]["selector"]["matchLabels"])
    _rollout(kubectl, dep)
    before = kubectl.json("deployment", name, "-n", ns)
    pods_before = _raw_list(kubectl, f"/api/v1/namespaces/{ns}/pods", labelSelector=selector)
    assert len(pods_before["items"]) == REPLICAS

    # A manager of its own: applied as the stack's manager, this partial object would remove every
    # other field that manager owns.
    change = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
              "spec": {"template": {"metadata": {"annotations": {"stackctl.test/rolled": "1"}}}}}
    kubectl("apply", "--server-side", f"--field-manager={FIELD_MANAGER}-rollout", "-f", "-", input=json.dumps(change))
    rollout = kubectl("rollout", "status", f"deployment/{name}", "-n", ns, f"--timeout={ROLLOUT_TIMEOUT}",
                      timeout=180, check=False)
    assert rollout.returncode == 0, f"{rollout.stdout}\n{rollout.stderr}"

    # The Deployment's status, in every version the server stored while it rolled.
    versions = [e["object"] for e in _replay(kubectl, f"/apis/apps/v1/namespaces/{ns}/deployments",
                                             before["metadata"]["resourceVersion"],
                                             fieldSelector=f"metadata.name={name}")]
    assert versions and versions[-1]["metadata"]["generation"] == before["metadata"]["generation"] + 1
    available = [v.get("status", {}).get("availableReplicas", 0) for v in versions]
    assert min(available) >= REPLICAS, f"availableReplicas went down to {min(available)}: {available}"
    final = versions[-1]["status"]
    assert final["observedGeneration"] == versions[-1]["metadata"]["generation"], final
    assert final.get("updatedReplicas") == final.get("availableReplicas") == final.get("replicas") == REPLICAS, final

    # And the pods themselves, event by event: the Ready pods not terminating never fall below the
    # replica count, and a surge pod is Ready before an old pod stops.
    pods = {p["metadata"]["name"]: p for p in pods_before["items"]}
    serving = []
    for event in _replay(kubectl, f"/api/v1/namespaces/{ns}/pods", pods_before["metadata"]["resourceVersion"],
                         labelSelector=selector):
        pod = event["object"]
        if event["type"] == "DELETED":
            pods.pop(pod["metadata"]["name"], None)
        else:
            pods[pod["metadata"]["name"]] = pod
        serving.append(sum(_is_ready(p) for p in pods.values() if p["metadata"].get("deletionTimestamp") is None))
    old = {p["metadata"]["name"] for p in pods_before["items"]}
    assert old.isdisjoint(pods), f"old pods left after the rollout: {sorted(old & set(pods))}"
    assert len(pods) == REPLICAS, sorted(pods)
    assert min(serving) >= REPLICAS, f"Ready pods went down to {min(serving)}: {serving}"
    assert max(serving) == REPLICAS + 1, f"no surge pod was Ready next to the old ones: {serving}"


def test_the_release_migration_completes_outside_its_service(kubectl, stack):
    jobs = stack.of_kind("Job")
    assert jobs, "the stack renders no release migration Job"
    for job in jobs:
        ns, job_name = job["metadata"]["namespace"], job["metadata"]["name"]
        match = re.fullmatch(r"(.+)-migrate-[0-9a-f]{12}", job_name)
        assert match, f"Job {job_name} is not named <deployment>-migrate-<12 hex of the digest>"
        dep = _replicated_named(stack, match.group(1))
        name = dep["metadata"]["name"]
        kubectl("wait", "--for=condition=Complete", f"job/{job_name}", "-n", ns, f"--timeout={ROLLOUT_TIMEOUT}",
                timeout=180)
        live = kubectl.json("job", job_name, "-n", ns)
        assert live["status"].get("succeeded") == 1, live["status"]
        assert live["spec"]["template"]["spec"]["restartPolicy"] == "Never"

        service = kubectl.json("service", name, "-n", ns)
        chosen = service["spec"]["selector"]
        job_pods = kubectl.json("pods", "-n", ns, "-l", f"batch.kubernetes.io/job-name={job_name}")["items"]
        assert job_pods, f"no pod of Job {job_name}"
        for pod in job_pods:
            labels = pod["metadata"]["labels"]
            assert labels.get("app.kubernetes.io/name") != name, f"migration pod {pod['metadata']['name']}: {labels}"
            assert not chosen.items() <= labels.items(), (
                f"Service {name} (selector {chosen}) selects migration pod {pod['metadata']['name']}")

        # what the Service's selector picks on the server: the Deployment's pods, nothing else
        _rollout(kubectl, dep)
        replica_sets = {
            rs["metadata"]["name"] for rs in kubectl.json("replicasets", "-n", ns)["items"]
            if any(o["kind"] == "Deployment" and o["name"] == name for o in rs["metadata"].get("ownerReferences", []))
        }
        selected = kubectl.json("pods", "-n", ns, "-l", _selector(chosen))["items"]
        strangers = [p["metadata"]["name"] for p in selected
                     if not any(o["kind"] == "ReplicaSet" and o["name"] in replica_sets
                                for o in p["metadata"].get("ownerReferences", []))]
        assert not strangers, f"Service {name} selects pods not of Deployment {name}: {strangers}"
        deployment_pods = sorted(p["metadata"]["name"] for p in _running_pods(kubectl, dep) if _is_ready(p))
        assert len(deployment_pods) == REPLICAS, deployment_pods

        def ready_endpoints() -> list[str]:
            slices = kubectl.json("endpointslices", "-n", ns, "-l", f"kubernetes.io/service-name={name}")["items"]
            return sorted(e["targetRef"]["name"] for s in slices for e in s.get("endpoints") or []
                          if e.get("conditions", {}).get("ready"))

        _poll(f"EndpointSlices of Service {ns}/{name} listing exactly {deployment_pods}",
              ready_endpoints, lambda names: names == deployment_pods)


def test_a_second_eviction_is_refused_while_the_first_replacement_is_not_ready(kubectl, stack):
    dep = _replicated_named(stack, EVICTED)
    ns, name = dep["metadata"]["namespace"], dep["metadata"]["name"]
    _rollout(kubectl, dep)
    _settled_budget(kubectl, dep)
    first, second = sorted(p["metadata"]["name"] for p in _running_pods(kubectl, dep))

    # Cordon every node first, as `kubectl drain` does: the replacement for the first evicted pod then
    # stays Pending, so the second eviction deterministically meets a budget with no disruption left.
    # Uncordoned, kwok makes the replacement Ready within milliseconds, and the disruption controller
    # may rightly allow the second eviction before it is sent: the outcome would depend on timing.
    cordoned = [n["metadata"]["name"] for n in kubectl.json("nodes")["items"] if not n["spec"].get("unschedulable")]
    kubectl("cordon", *cordoned)
    try:
        code, output = _evict(kubectl, ns, first)
        assert code == 201, f"the first eviction was refused:\n{output}"

        def replaced(pods: list[dict]) -> bool:
            names = {p["metadata"]["name"] for p in pods}
            return first not in names and len(names - {second}) == 1

        pods = _poll(f"a replacement for evicted pod {first}", lambda: _running_pods(kubectl, dep), replaced)
        [replacement] = [p for p in pods if p["metadata"]["name"] != second]
        assert not _is_ready(replacement) and not replacement["spec"].get("nodeName"), replacement["status"]

        code, output = _evict(kubectl, ns, second)
        assert code == 429, f"the second eviction was answered {code}, not 429:\n{output}"
        assert f"The disruption budget {name} needs 1 healthy pods and has 1 currently" in output, output
        survivor = kubectl.json("pod", second, "-n", ns)
        assert survivor["metadata"].get("deletionTimestamp") is None and _is_ready(survivor), survivor["metadata"]
    finally:
        kubectl("uncordon", *cordoned)

    # once the replacement runs, the Deployment is whole and the budget allows one disruption again
    _rollout(kubectl, dep)
    assert _settled_budget(kubectl, dep)["status"]["currentHealthy"] == REPLICAS

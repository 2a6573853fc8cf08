"""Both rendered stacks against a real API server (scripts/local-cluster): server-side apply,
rollouts, claim binding, idempotent re-apply, claim immutability and Pod Security `restricted`.

Skipped unless STACKCTL_CLUSTER_TESTS=1 or STACKCTL_KUBECONFIG is set (see conftest.py).
"""
from __future__ import annotations

import json
import re

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


def test_every_object_is_applied_server_side_without_warnings(kubectl, stack):
    assert stack.namespace_files, "the render has no Namespace"
    assert stack.of_kind("Deployment") and stack.of_kind("PersistentVolumeClaim")
    kinds = {o["kind"] for o in stack.objects}
    assert {"VaultConnection", "VaultAuth", "VaultStaticSecret", "SecretStore", "ExternalSecret"} <= kinds
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
        live = kubectl.json("deployment", meta["name"], "-n", meta["namespace"])
        assert live["status"].get("readyReplicas") == dep["spec"]["replicas"] == 1
        assert live["status"].get("updatedReplicas") == 1
        selector = ",".join(f"{k}={v}" for k, v in dep["spec"]["selector"]["matchLabels"].items())
        pods = kubectl.json("pods", "-n", meta["namespace"], "-l", selector)["items"]
        running = [p for p in pods if p["metadata"].get("deletionTimestamp") is None]
        assert len(running) == 1, [p["metadata"]["name"] for p in pods]
        pod = running[0]
        assert pod["spec"]["nodeName"] in nodes
        assert pod["status"]["phase"] == "Running"
        ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
        assert ready.get("Ready") == "True", pod["status"]


def test_every_claim_binds_to_a_volume_of_the_default_class(kubectl, stack):
    default_classes = [
        sc["metadata"]["name"] for sc in kubectl.json("storageclass")["items"]
        if sc["metadata"].get("annotations", {}).get("storageclass.kubernetes.io/is-default-class") == "true"
    ]
    assert len(default_classes) == 1, default_classes
    for claim in stack.of_kind("PersistentVolumeClaim"):
        meta = claim["metadata"]
        assert "storageClassName" not in claim["spec"], "rendered claims rely on the default class"
        kubectl("wait", "--for=jsonpath={.status.phase}=Bound", f"pvc/{meta['name']}",
                "-n", meta["namespace"], "--timeout=60s")
        live = kubectl.json("pvc", meta["name"], "-n", meta["namespace"])
        assert live["spec"]["storageClassName"] == default_classes[0]
        assert live["spec"]["accessModes"] == claim["spec"]["accessModes"]
        pv = kubectl.json("pv", live["spec"]["volumeName"])
        assert pv["spec"]["claimRef"]["name"] == meta["name"]
        assert pv["spec"]["claimRef"]["namespace"] == meta["namespace"]
        assert pv["status"]["phase"] == "Bound"


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

    # and each running pod of the stack, submitted again as a plain Pod, passes it without a warning
    deployment_namespaces = {d["metadata"]["namespace"] for d in stack.of_kind("Deployment")}
    seen = 0
    for ns in sorted(deployment_namespaces):
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
    assert seen == len(stack.of_kind("Deployment"))

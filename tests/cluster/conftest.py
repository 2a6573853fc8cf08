"""Fixtures for the server-side tests: a local control plane and the stacks applied to it.

The tests here need a Kubernetes API server. They run when STACKCTL_CLUSTER_TESTS=1 (a
cluster is started with `scripts/local-cluster up` for the session and always stopped with
`down`) or when STACKCTL_KUBECONFIG names an existing cluster (used as is, never stopped;
it needs kwok-style nodes that make pods Ready, and Available PersistentVolumes of the class
the single writers' claims name, `platform-retain-zrs`, with no StorageClass of that name:
the stack creates it). Otherwise they are skipped, so `pytest tests` stays offline and quick.

Storage stand-in: the stacks create `platform-retain-zrs` on Azure Disk CSI, which cannot run
here; static provisioning stands in for it. `scripts/local-cluster up` pre-creates a pool of
Retain hostPath PVs carrying that storageClassName (STACKCTL_CLUSTER_STORAGE_CLASSES), and the
scheduler binds each claim to one of them when the first pod mounting it is placed. What is
tested is the class the stack applies and how claims of it bind and are released; that a real
provisioner copies the class's reclaimPolicy onto the disks it creates is not.

Each stack (staging, prod) is rendered fresh with `stackctl render`, applied server-side,
tested, and its namespaces and cluster-scoped objects (the StorageClass) deleted before the
next stack: both stacks use the same names, and each would have a cluster of its own.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cluster_support import (
    FIELD_MANAGER, AppliedStack, Kubectl, PendingRender, apply_args, assert_no_warnings, kubernetes_files,
)

ROOT = Path(__file__).resolve().parents[2]
LOCAL_CLUSTER = ROOT / "scripts" / "local-cluster"
GENERATE_CRDS = ROOT / "scripts" / "generate-crds"
STACKS = ("staging", "prod")

_peak_rss: dict[str, int] = {}


def _enabled() -> bool:
    return bool(os.environ.get("STACKCTL_KUBECONFIG")) or os.environ.get("STACKCTL_CLUSTER_TESTS") == "1"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "cluster: needs a Kubernetes API server (STACKCTL_CLUSTER_TESTS=1 or STACKCTL_KUBECONFIG)",
    )


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason="server-side tests: set STACKCTL_CLUSTER_TESTS=1 (or STACKCTL_KUBECONFIG)")
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.cluster)
            if not _enabled():
                item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    if _peak_rss:
        total = sum(_peak_rss.values())
        parts = ", ".join(f"{name} {kib // 1024} MiB" for name, kib in sorted(_peak_rss.items()))
        terminalreporter.write_line(f"local cluster peak RSS (VmHWM): {total // 1024} MiB total ({parts})")


def _cluster_env_bin() -> str | None:
    """The bin directory `scripts/local-cluster env` exports, if kubectl is built there."""
    out = subprocess.run([str(LOCAL_CLUSTER), "env"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("export PATH="):
            bindir = line[len("export PATH="):].split(":", 1)[0].strip("'\"")
            if (Path(bindir) / "kubectl").exists():
                return bindir
    return None


def _record_peak_rss() -> None:
    state = Path(os.environ.get("STACKCTL_CLUSTER_DIR", "/tmp/stackctl-cluster"))
    for pidfile in sorted((state / "pids").glob("*.pid")):
        try:
            status = Path(f"/proc/{pidfile.read_text().strip()}/status").read_text()
        except (OSError, ValueError):
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                _peak_rss[pidfile.stem] = int(line.split()[1])


def _render(stack: str, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "stackctl", "render", stack, "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


@pytest.fixture(scope="session")
def renders(tmp_path_factory) -> dict[str, Path]:
    """Fresh renders of both stacks, started before the cluster so they overlap with `up`."""
    base = tmp_path_factory.mktemp("cluster-render")
    jobs = {stack: (_render(stack, base / stack), base / stack) for stack in STACKS}
    return {stack: PendingRender(proc, out) for stack, (proc, out) in jobs.items()}


@pytest.fixture(scope="session")
def kubectl(renders) -> Kubectl:
    """kubectl on the test cluster: STACKCTL_KUBECONFIG's, or a local cluster up for the session."""
    existing = os.environ.get("STACKCTL_KUBECONFIG")
    if existing:
        binary = os.environ.get("STACKCTL_KUBECTL") or (
            str(Path(b) / "kubectl") if (b := _cluster_env_bin()) else shutil.which("kubectl")
        )
        assert binary, "no kubectl: set STACKCTL_KUBECTL or build it with scripts/local-cluster build"
        yield Kubectl(binary, existing)
        return
    status = subprocess.run([str(LOCAL_CLUSTER), "status"], capture_output=True, text=True)
    if "running (pid" in status.stdout:
        # someone else's cluster in the same state directory: neither reuse nor stop it
        pytest.fail(f"a local cluster is already up; run the tests on it with STACKCTL_KUBECONFIG "
                    f"or stop it with scripts/local-cluster down\n{status.stdout}")
    try:
        up = subprocess.run([str(LOCAL_CLUSTER), "up"], capture_output=True, text=True, timeout=1800)
        assert up.returncode == 0, f"scripts/local-cluster up failed:\n{up.stdout}\n{up.stderr}"
        kubeconfig = up.stdout.strip().splitlines()[-1]
        bindir = _cluster_env_bin()
        assert bindir, "scripts/local-cluster env names no bin directory holding kubectl"
        yield Kubectl(str(Path(bindir) / "kubectl"), kubeconfig)
        _record_peak_rss()
    finally:
        down = subprocess.run([str(LOCAL_CLUSTER), "down"], capture_output=True, text=True, timeout=300)
        if down.returncode != 0:
            print(f"scripts/local-cluster down failed:\n{down.stdout}\n{down.stderr}", file=sys.stderr)


@pytest.fixture(scope="session")
def crds(kubectl, tmp_path_factory) -> list[str]:
    """The CRDs of the custom resources the stacks render, applied and Established."""
    out = tmp_path_factory.mktemp("crds")
    gen = subprocess.run([str(GENERATE_CRDS), str(out)], capture_output=True, text=True, timeout=1800)
    assert gen.returncode == 0, f"scripts/generate-crds failed:\n{gen.stderr}"
    proc = kubectl("apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "-f", str(out))
    assert_no_warnings(proc, "applying the CRDs")
    names = [yaml.safe_load(p.read_text())["metadata"]["name"] for p in sorted(out.glob("*.yaml"))]
    kubectl("wait", "--for=condition=Established", "--timeout=60s", *[f"crd/{n}" for n in names])
    return names


def _recycle_released_volumes(kubectl: Kubectl) -> None:
    """Make the local pool's Released volumes Available again (reclaimPolicy Retain, no provisioner)."""
    for pv in kubectl.json("pv")["items"]:
        if pv.get("status", {}).get("phase") == "Released":
            kubectl("patch", "pv", pv["metadata"]["name"], "--type=json",
                    "-p", '[{"op": "remove", "path": "/spec/claimRef"}]')


@pytest.fixture(scope="session", params=STACKS)
def stack(request, kubectl, crds, renders) -> AppliedStack:
    """One stack applied server-side (namespaces first); its namespaces deleted afterwards."""
    render_dir = renders[request.param].result()
    ns_files, obj_files = kubernetes_files(render_dir)
    applied = AppliedStack(
        name=request.param, render_dir=render_dir, namespace_files=ns_files, object_files=obj_files,
        objects=[yaml.safe_load(p.read_text()) for p in ns_files + obj_files],
    )
    leftovers = [n for n in applied.namespaces
                 if kubectl("get", "namespace", n, check=False).returncode == 0]
    assert not leftovers, f"namespaces {leftovers} already exist on the test cluster"
    try:
        applied.applies.append(kubectl(*apply_args(*ns_files), check=False))
        applied.applies.append(kubectl(*apply_args(*obj_files), check=False))
        yield applied
    finally:
        kubectl("delete", "namespace", *applied.namespaces, "--ignore-not-found", "--wait=true",
                "--timeout=180s", timeout=240)
        cluster_scoped = [f"{o['kind'].lower()}/{o['metadata']['name']}" for o in applied.objects
                          if o["kind"] != "Namespace" and not o["metadata"].get("namespace")]
        if cluster_scoped:
            kubectl("delete", *cluster_scoped, "--ignore-not-found", "--wait=true", "--timeout=60s", timeout=120)
        _recycle_released_volumes(kubectl)

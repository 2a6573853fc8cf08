"""Fixtures of the real-engine end-to-end tests (tests/e2e).

They run the real Pulumi engine against a real Kubernetes API server, never
render mode, by two routes (the `project` fixture's parameter):
- "automation": the program as an Automation API inline program, with the CLI
  and Kubernetes provider `scripts/build-engine` builds from the Go module
  proxy (docs/engine.md). scripts/test builds it; when it is not built, every
  test here is skipped and the run ends with ONE line saying why and how to
  build it.
- "cli": `pulumi up` on the project directory, as users run it, where a full
  Pulumi installation (the CLI with its Python language host) is on PATH;
  otherwise that half is skipped with ONE line saying why.
STACKCTL_E2E=0 skips them all.

The cluster: STACKCTL_KUBECONFIG if set (used as is, never stopped; it needs
nodes that make pods Ready, e.g. kwok, and Available PersistentVolumes of
the class the single writers' claims name, `platform-retain-zrs`, with no
StorageClass of that name: the program creates it), else
`scripts/local-cluster up` for the session (its own state directory and
ports, so it never collides with a cluster another suite started) and `down`
at the end. That class is Azure Disk CSI, which cannot run here: static
provisioning stands in for it (`up` pre-creates Retain PVs of the class;
STACKCTL_CLUSTER_STORAGE_CLASSES in scripts/local-cluster).

Run them with:  .venv/bin/python -m pytest -q tests/e2e
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from e2e_support import (  # noqa: E402
    ENGINE_ROUTES, GENERATE_CRDS, LOCAL_CLUSTER, FakeIngressController, Kubectl, full_installation, make_project,
)
from stackctl.engine_workspace import built_engine, local_cluster_env  # noqa: E402

# Own state directory and ports for the local cluster (scripts/local-cluster reads these).
CLUSTER_ENV = local_cluster_env(os.environ.get("STACKCTL_E2E_CLUSTER_DIR", "/tmp/stackctl-e2e-cluster"))

_skip_reason: str | None = None
_cli_skip_reason: str | None = None
_summary: list[str] = []
_engine: Path | None = None


def _decide() -> None:
    global _skip_reason, _cli_skip_reason, _engine
    if os.environ.get("STACKCTL_E2E") == "0":
        _skip_reason = "tests/e2e skipped: STACKCTL_E2E=0"
        return
    _engine, why = built_engine()
    if _engine is None:
        _skip_reason = (
            "tests/e2e SKIPPED (all): the Pulumi engine is not built here"
            f" ({why.splitlines()[0] if why else 'scripts/build-engine --check failed'}). Build it with `scripts/build-engine` (about 15 min cold on 2 cores, seconds warm;"
            " docs/engine.md), then run `.venv/bin/python -m pytest -q tests/e2e`."
        )
    if full_installation()[0] is None:
        _cli_skip_reason = "tests/e2e CLI route SKIPPED: " + full_installation()[1]


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: real Pulumi engine against a real API server (tests/e2e)")


def _is_e2e(item) -> bool:
    return HERE in Path(str(item.fspath)).resolve().parents


def pytest_collection_modifyitems(config, items):
    mine = [item for item in items if _is_e2e(item)]
    if not mine:
        return
    _decide()
    for item in mine:
        item.add_marker(pytest.mark.e2e)
        if _skip_reason:
            item.add_marker(pytest.mark.skip(reason=_skip_reason))
        elif _cli_skip_reason and "[cli]" in item.nodeid:
            item.add_marker(pytest.mark.skip(reason=_cli_skip_reason))


def pytest_generate_tests(metafunc):
    if "project" in metafunc.fixturenames:
        metafunc.parametrize("route", ENGINE_ROUTES, scope="session")


def pytest_terminal_summary(terminalreporter):
    if _skip_reason:
        terminalreporter.write_line(_skip_reason, yellow=True, bold=True)
    elif _cli_skip_reason:
        terminalreporter.write_line(_cli_skip_reason, yellow=True, bold=True)
    for line in _summary:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def summary() -> list[str]:
    """Lines printed at the end of the run (timings)."""
    return _summary


@pytest.fixture(scope="session")
def engine() -> Path:
    """The engine directory scripts/build-engine built (bin/pulumi, plugins/, home/)."""
    assert _engine is not None
    return _engine


def _cluster_bin(env: dict[str, str]) -> str:
    out = subprocess.run([str(LOCAL_CLUSTER), "env"], capture_output=True, text=True, env=env, check=True).stdout
    for line in out.splitlines():
        line = line.removeprefix("export ")
        if line.startswith("PATH="):
            bindir = line[len("PATH="):].split(":", 1)[0].strip("'\"")
            if (Path(bindir) / "kubectl").exists():
                return str(Path(bindir) / "kubectl")
    raise AssertionError(f"scripts/local-cluster env names no bin directory with kubectl:\n{out}")


@pytest.fixture(scope="session")
def kubectl(summary) -> Kubectl:
    existing = os.environ.get("STACKCTL_KUBECONFIG")
    env = {**os.environ, **CLUSTER_ENV}
    if existing:
        binary = os.environ.get("STACKCTL_KUBECTL") or _cluster_bin(env)
        yield Kubectl(binary, existing)
        return
    start = time.monotonic()
    try:
        up = subprocess.run([str(LOCAL_CLUSTER), "up"], capture_output=True, text=True, timeout=3600, env=env)
        assert up.returncode == 0, f"scripts/local-cluster up failed:\n{up.stdout}\n{up.stderr[-6000:]}"
        summary.append(f"e2e: scripts/local-cluster up: {time.monotonic() - start:.0f}s")
        yield Kubectl(_cluster_bin(env), up.stdout.strip().splitlines()[-1])
    finally:
        down = subprocess.run([str(LOCAL_CLUSTER), "down"], capture_output=True, text=True, timeout=600, env=env)
        if down.returncode != 0:
            print(f"scripts/local-cluster down failed:\n{down.stdout}\n{down.stderr}", file=sys.stderr)


@pytest.fixture(scope="session")
def crds(kubectl, tmp_path_factory) -> list[str]:
    """The VSO and ESO CustomResourceDefinitions the stacks' custom resources need."""
    out = tmp_path_factory.mktemp("crds")
    gen = subprocess.run([str(GENERATE_CRDS), str(out)], capture_output=True, text=True, timeout=3600)
    assert gen.returncode == 0, f"scripts/generate-crds failed:\n{gen.stderr[-6000:]}"
    kubectl("apply", "--server-side", "-f", str(out))
    names = [yaml.safe_load(p.read_text())["metadata"]["name"] for p in sorted(out.glob("*.yaml"))]
    kubectl("wait", "--for=condition=Established", "--timeout=120s", *[f"crd/{n}" for n in names])
    return names


@pytest.fixture(scope="session")
def ingress_controller(kubectl):
    with FakeIngressController(kubectl) as controller:
        yield controller


@pytest.fixture(scope="session")
def project(route, engine, kubectl, crds, ingress_controller, tmp_path_factory):
    """The project copy with staging and prod stacks initialised in a temp file backend, on an empty cluster."""
    remove_stack_objects(kubectl)  # what an earlier route's story left
    base = tmp_path_factory.mktemp(f"e2e-{route}")
    proj = make_project(base / "project", engine, base / "state", kubectl.kubeconfig, route)
    for stack in ("staging", "prod"):
        proj.pulumi("stack", "init", stack)
    return proj


SYSTEM_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}


def remove_stack_objects(kubectl) -> None:
    """Every namespace but the cluster's own, the StorageClasses the stacks create, and Released volumes freed."""
    namespaces = [n["metadata"]["name"] for n in kubectl.json("namespace")["items"]
                  if n["metadata"]["name"] not in SYSTEM_NAMESPACES]
    if namespaces:
        kubectl("delete", "namespace", *namespaces, "--wait=true", "--timeout=300s", timeout=360)
    kubectl("delete", "storageclass", "platform-retain-zrs", "--ignore-not-found", "--wait=true", timeout=180)
    for pv in kubectl.json("pv")["items"]:
        if pv.get("status", {}).get("phase") == "Released":  # reclaimPolicy Retain: make it Available again
            kubectl("patch", "pv", pv["metadata"]["name"], "--type=json",
                    "-p", '[{"op": "remove", "path": "/spec/claimRef"}]')



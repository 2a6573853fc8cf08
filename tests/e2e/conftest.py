"""Fixtures of the real-engine end-to-end tests (tests/e2e).

They run the built Pulumi engine (`scripts/build-engine`; docs/engine.md)
against a real Kubernetes API server, never render mode. They run whenever
the engine is built; otherwise every test here is skipped and the run ends
with ONE line saying why and how to build it. STACKCTL_E2E=0 skips them too.

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
    GENERATE_CRDS, LOCAL_CLUSTER, FakeIngressController, Kubectl, engine_bin, make_project,
)

# Own state directory and ports for the local cluster (scripts/local-cluster reads these).
CLUSTER_ENV = {
    "STACKCTL_CLUSTER_DIR": os.environ.get("STACKCTL_E2E_CLUSTER_DIR", "/tmp/stackctl-e2e-cluster"),
    "STACKCTL_ETCD_PORT": "24790",
    "STACKCTL_ETCD_PEER_PORT": "24800",
    "STACKCTL_APISERVER_PORT": "18443",
    "STACKCTL_CONTROLLER_MANAGER_PORT": "18257",
    "STACKCTL_SCHEDULER_PORT": "18259",
}

_skip_reason: str | None = None
_summary: list[str] = []
_engine: Path | None = None


def _decide() -> None:
    global _skip_reason, _engine
    if os.environ.get("STACKCTL_E2E") == "0":
        _skip_reason = "tests/e2e skipped: STACKCTL_E2E=0"
        return
    _engine, why = engine_bin()
    if _engine is None:
        _skip_reason = (
            "tests/e2e SKIPPED (all): the real Pulumi engine is not built here"
            f" ({why.splitlines()[0] if why else 'scripts/build-engine --check failed'}). Build it with `scripts/build-engine` (about 35 min cold on 2 cores, under 2 min with warm Go caches;"
            " docs/engine.md), then run `.venv/bin/python -m pytest -q tests/e2e`."
        )


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


def pytest_terminal_summary(terminalreporter):
    if _skip_reason:
        terminalreporter.write_line(_skip_reason, yellow=True, bold=True)
    for line in _summary:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def summary() -> list[str]:
    """Lines printed at the end of the run (timings)."""
    return _summary


@pytest.fixture(scope="session")
def engine() -> Path:
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
def project(engine, kubectl, crds, ingress_controller, tmp_path_factory):
    """The project copy with staging and prod stacks initialised in a temp file backend."""
    base = tmp_path_factory.mktemp("e2e")
    proj = make_project(base / "project", engine, base / "state", kubectl.kubeconfig)
    for stack in ("staging", "prod"):
        proj.pulumi("stack", "init", stack)
    return proj



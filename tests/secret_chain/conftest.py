"""Fixtures for the secret-chain tests: a local control plane, VSO and ESO, and a real OpenBao.

What runs (all on 127.0.0.1, all stopped at the end of the session, whatever happens):
- a local control plane (`scripts/local-cluster up`, kwok nodes make pods Ready);
- Vault Secrets Operator and External Secrets Operator as processes with a kubeconfig
  (`scripts/secret-operators up`, built from the Go module proxy on the first run);
- `bao server -dev` with a TLS listener and a CONNECT proxy for the rendered OpenBao name
  (tests/secret_chain_harness.py, shared with tests/e2e, says how and why).

What is rendered: the staging stack, by the program (`render_stack`), from a copy of
Pulumi.staging.yaml whose `vault.caCertFile` names the CA made here (the committed example CA
has no key anyone holds); everything else is the stack's own config. The project is seen
through a temporary root of symlinks so nothing is written into the repository.

OpenBao is configured from the render's summaries (`.stackctl/cloud/vault-*`): the stack's own read
policies and Kubernetes auth roles, so the tests prove exactly those are enough.

Run with STACKCTL_SECRET_CHAIN_TESTS=1 (scripts/test does); skipped otherwise. The cluster's
state directory is STACKCTL_CLUSTER_DIR (default /tmp/stackctl-secret-chain-cluster); the cluster
and the controllers take free ports.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cluster"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cluster_support import Kubectl, apply_args, kubernetes_files  # noqa: E402
from secret_chain_harness import (  # noqa: E402
    TestPki, configure_kubernetes_auth, make_pki, openbao_server, operators_down, operators_env, operators_up,
    render_trusting_test_ca, run, vault_proxy as start_vault_proxy,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from secret_chain_support import MEASURED, OBSERVED, ROOT  # noqa: E402
from stackctl.engine_workspace import local_cluster_env  # noqa: E402

LOCAL_CLUSTER = ROOT / "scripts" / "local-cluster"
# Own state directory and free ports for the cluster (the machine is shared with other runs).
CLUSTER_ENV = local_cluster_env(os.environ.get("STACKCTL_CLUSTER_DIR", "/tmp/stackctl-secret-chain-cluster"))
STATE = CLUSTER_ENV["STACKCTL_CLUSTER_DIR"]


def _enabled() -> bool:
    return os.environ.get("STACKCTL_SECRET_CHAIN_TESTS") == "1"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason="secret-chain tests: set STACKCTL_SECRET_CHAIN_TESTS=1 (scripts/test does)")
    for item in items:
        if here in Path(str(item.fspath)).parents and not _enabled():
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    for what, seconds in MEASURED.items():
        terminalreporter.write_line(f"secret chain: {what}: {seconds:.1f}s")
    for what, text in OBSERVED.items():
        lines = text.splitlines()[-4:]  # the latest events; older ones belong to earlier steps
        terminalreporter.write_line(f"secret chain: {what}:\n    " + "\n    ".join(lines))


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> TestPki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def render(tmp_path_factory, pki) -> Path:
    """The staging stack rendered by the program, trusting the CA made here for OpenBao."""
    return render_trusting_test_ca("staging", pki, tmp_path_factory.mktemp("project"),
                                   tmp_path_factory.getbasetemp() / "render-staging")


@pytest.fixture(scope="session")
def openbao(tmp_path_factory, pki):
    with openbao_server(tmp_path_factory.mktemp("openbao"), pki) as server:
        yield server


@pytest.fixture(scope="session")
def vault_proxy(openbao):
    with start_vault_proxy(openbao) as proxy:
        yield proxy


# ---------------------------------------------------------------- the cluster and the controllers

def _script_env(script: Path) -> dict[str, str]:
    out = run([str(script), "env"], 60, f"{script.name} env", {**os.environ, **CLUSTER_ENV}).stdout
    values = {}
    for line in out.splitlines():
        if line.startswith("export ") and "=" in line:
            key, value = line[len("export "):].split("=", 1)
            values[key] = value.strip("'\"")
    return values


_operators_env: dict[str, str] = {}


@pytest.fixture(scope="session")
def cluster(render) -> Kubectl:
    """A local control plane for the session, always brought down."""
    env = {**os.environ, **CLUSTER_ENV}
    status = subprocess.run([str(LOCAL_CLUSTER), "status"], capture_output=True, text=True, env=env)
    if "running (pid" in status.stdout:
        pytest.fail(f"a local cluster is already up in {STATE}; stop it (STACKCTL_CLUSTER_DIR={STATE} "
                    f"scripts/local-cluster down) or set STACKCTL_CLUSTER_DIR to another directory\n{status.stdout}")
    try:
        up = run([str(LOCAL_CLUSTER), "up"], 3600, "scripts/local-cluster up", env)
        kubeconfig = up.stdout.strip().splitlines()[-1]
        bindir = _script_env(LOCAL_CLUSTER)["PATH"].split(":", 1)[0]
        yield Kubectl(str(Path(bindir) / "kubectl"), kubeconfig)
    finally:
        # the controllers' pid files live in the cluster's state directory: stop them first
        operators_down(_operators_env or env)
        down = subprocess.run([str(LOCAL_CLUSTER), "down"], capture_output=True, text=True, timeout=300, env=env)
        if down.returncode != 0:
            print(f"scripts/local-cluster down failed:\n{down.stdout}\n{down.stderr}", file=sys.stderr)


@pytest.fixture(scope="session")
def kubernetes_auth(cluster, openbao, render):
    """OpenBao's Kubernetes auth against the local API server, with the stack's own roles and policies."""
    applied = configure_kubernetes_auth(cluster, openbao, render)
    assert "matrix-sol-read" in applied["policies"] and "matrix-sol" in applied["roles"], applied
    return applied


@pytest.fixture(scope="session")
def operators(cluster, vault_proxy):
    """VSO and ESO running against the cluster (built on the first run), stopped by `cluster`."""
    _operators_env.update(operators_env(STATE, vault_proxy))
    MEASURED["scripts/secret-operators up (CRDs installed, both controllers healthy)"] = operators_up(_operators_env)
    return Path(STATE) / "logs"


@pytest.fixture(scope="session")
def applied_namespaces(cluster, render):
    """The render's namespaces and cluster-scoped objects (StorageClass), applied once."""
    namespaces, _ = kubernetes_files(render)
    cluster(*apply_args(*namespaces, *sorted((render / "_cluster").glob("StorageClass-*.yaml"))))
    return [yaml.safe_load(p.read_text())["metadata"]["name"] for p in namespaces]

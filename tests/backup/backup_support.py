"""Real Litestream against Azurite on 127.0.0.1, for the backup test and the restore benchmark.

What it models: the pieces of a single writer's backup that can run on this
machine. `litestream_config` renders the litestream.yml the program renders
for the sidecar and the restore init container (plus the Azurite endpoint and
a control socket, which only a test needs); `Litestream` runs the very
commands the pod runs (`replicate` in the sidecar, `restore` in the init
container); `Azurite` is the Azure Blob service they talk to.

What it leaves out: authentication as the pod does it. In the cluster
Litestream authenticates with Workload Identity (azidentity's
DefaultAzureCredential reading AZURE_CLIENT_ID, AZURE_TENANT_ID and
AZURE_FEDERATED_TOKEN_FILE); that needs Microsoft Entra ID, which cannot run
here, and Azurite accepts only shared keys and SAS. So here, and only here,
Litestream gets Azurite's published development key through the
LITESTREAM_AZURE_ACCOUNT_KEY environment variable. The rendered config never
holds a key, in the test or in the program.

The tools come from `scripts/build-backup-tools` (cached outside the repository).
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Iterator, Optional

import yaml

ROOT = Path(__file__).resolve().parents[2]
BUILD_BACKUP_TOOLS = ROOT / "scripts" / "build-backup-tools"

# Azurite's well-known development account, published in Azurite's README
# ("Default Storage Account"): not a secret, and accepted by Azurite only.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

# The Blob REST API version this module's own requests ask for (Azurite 3.35 serves it).
BLOB_API_VERSION = "2021-08-06"


@dataclass(frozen=True)
class BackupTools:
    litestream: Path
    azurite_blob: Path


def backup_tools() -> tuple[Optional[BackupTools], str]:
    """The cached Litestream and Azurite (`scripts/build-backup-tools --check`), or None and why not."""
    proc = subprocess.run([str(BUILD_BACKUP_TOOLS), "--check"], capture_output=True, text=True, timeout=60)
    paths = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    if proc.returncode == 0 and {"LITESTREAM", "AZURITE_BLOB"} <= paths.keys():
        return BackupTools(Path(paths["LITESTREAM"]), Path(paths["AZURITE_BLOB"])), ""
    reason = "; ".join(line.removeprefix("build-backup-tools: ") for line in proc.stderr.splitlines()
                       if "build them with" not in line)
    return None, reason or f"scripts/build-backup-tools --check exited {proc.returncode}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen, timeout: float = 30) -> int:
    """SIGTERM, then SIGKILL after `timeout` seconds; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
    return proc.returncode


class Azurite:
    """azurite-blob on 127.0.0.1 with its data in `location`; a context manager that always stops it."""

    def __init__(self, azurite_blob: Path, location: Path, port: Optional[int] = None):
        self.binary = azurite_blob
        self.location = location
        self.port = port or free_port()
        self.log_path = location / "azurite.log"
        self.process: Optional[subprocess.Popen] = None

    @property
    def endpoint(self) -> str:
        """The Blob service URL, path-style as the emulator serves it (the account is the first segment)."""
        return f"http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT}"

    def start(self, timeout: float = 60) -> "Azurite":
        self.location.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        # --skipApiVersionCheck: Litestream's azblob SDK may ask for a newer API version than this
        # Azurite knows. --loose: ignore headers Azurite does not implement. --disableTelemetry:
        # Azurite would otherwise try to send usage data out of the machine.
        self.process = subprocess.Popen(
            ["nice", "-n", "5", str(self.binary), "--blobHost", "127.0.0.1", "--blobPort", str(self.port),
             "--location", str(self.location), "--skipApiVersionCheck", "--loose", "--disableTelemetry"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"azurite-blob exited with {self.process.returncode} while starting:\n"
                                   f"{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"azurite-blob did not listen on 127.0.0.1:{self.port} within {timeout:.0f}s:\n"
                                       f"{self.log_tail()}")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=15)
            self.process = None

    def __enter__(self) -> "Azurite":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # ---- the Blob REST API, signed with the account's shared key (stdlib only)

    def _request(self, method: str, resource: str, query: dict[str, str]) -> bytes:
        """One Shared Key request (learn.microsoft.com, "Authorize with Shared Key") to /<account>/<resource>."""
        url_path = f"/{AZURITE_ACCOUNT}/{resource}"
        headers = {"x-ms-date": formatdate(usegmt=True), "x-ms-version": BLOB_API_VERSION}
        canonical_headers = "".join(f"{k}:{v}\n" for k, v in sorted(headers.items()))
        # Path-style (emulator) URLs repeat the account: /<account>/<account>/<resource>.
        canonical_resource = f"/{AZURITE_ACCOUNT}{url_path}" + "".join(
            f"\n{k.lower()}:{v}" for k, v in sorted(query.items()))
        # Every request here has an empty body: Content-Length 0 is signed as "" (API version 2015-02-21+).
        string_to_sign = "\n".join([method] + [""] * 11) + "\n" \
            + canonical_headers + canonical_resource
        signature = base64.b64encode(hmac.new(base64.b64decode(AZURITE_ACCOUNT_KEY), string_to_sign.encode(),
                                              hashlib.sha256).digest()).decode()
        headers["Authorization"] = f"SharedKey {AZURITE_ACCOUNT}:{signature}"
        if method == "PUT":
            headers["Content-Length"] = "0"
        url = f"http://127.0.0.1:{self.port}{urllib.parse.quote(url_path)}?{urllib.parse.urlencode(query)}"
        # data=None: urllib would add a Content-Type (which is signed) to any request with a body.
        request = urllib.request.Request(url, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"Azurite {method} {url}: HTTP {error.code}: {error.read().decode(errors='replace')}") \
                from None

    def create_container(self, name: str) -> None:
        """Creates a private container, as the program does for each service with a backup."""
        self._request("PUT", name, {"restype": "container"})

    def list_blobs(self, container: str, prefix: str = "") -> dict[str, int]:
        """Blob name -> size in bytes, every page."""
        blobs: dict[str, int] = {}
        marker = ""
        while True:
            query = {"restype": "container", "comp": "list"}
            if prefix:
                query["prefix"] = prefix
            if marker:
                query["marker"] = marker
            root = ElementTree.fromstring(self._request("GET", container, query))
            for blob in root.iter("Blob"):
                blobs[blob.findtext("Name")] = int(blob.findtext("Properties/Content-Length") or 0)
            marker = root.findtext("NextMarker") or ""
            if not marker:
                return blobs

@dataclass(frozen=True)
class FileState:
    inode: int
    mtime_ns: int
    size: int
    sha256: str


class Volume:
    """The directory standing for the pod's /data volume, holding one database file."""

    def __init__(self, path: Path, db_file: str):
        self.path = path
        self.db_path = path / db_file
        path.mkdir(parents=True, exist_ok=True)

    def state(self) -> dict[str, FileState]:
        """Every file on the volume (Litestream's metadata directory included), by path relative to it."""
        return {
            str(p.relative_to(self.path)): FileState(p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size,
                                                     hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(self.path.rglob("*")) if p.is_file()
        }

    def wipe(self) -> None:
        """Loses everything on the volume: the database, its -wal and -shm, Litestream's metadata."""
        for entry in self.path.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        if any(self.path.iterdir()):
            raise RuntimeError(f"{self.path} is not empty after the wipe")


def litestream_config(db_path: Path, account: str, container: str, replica_path: str, *,
                      endpoint: Optional[str] = None, sync_interval: Optional[str] = None,
                      socket_path: Optional[Path] = None) -> dict:
    """The litestream.yml of one service, in the shape the program renders.

    Program-rendered keys: `dbs[].path`, and one `replica` (Litestream 0.5
    takes a single replica per database; the old `replicas` list is deprecated
    and refuses a second entry) with `type: abs`, `account-name`, `bucket`
    (the container) and `path` (`<service>/<file>`). No `account-key` and no
    `sas-token`: with neither, Litestream 0.5 authenticates with azidentity's
    DefaultAzureCredential, which includes Workload Identity.

    Test-only keys: `endpoint` (Azurite's URL instead of
    https://<account>.blob.core.windows.net), `sync-interval` and the control
    `socket` that `litestream sync -wait` talks to.
    """
    replica: dict = {"type": "abs", "account-name": account, "bucket": container, "path": replica_path}
    if endpoint:
        replica["endpoint"] = endpoint
    if sync_interval:
        replica["sync-interval"] = sync_interval
    config: dict = {"dbs": [{"path": str(db_path), "replica": replica}]}
    if socket_path:
        config["socket"] = {"enabled": True, "path": str(socket_path)}
    return config


class Litestream:
    """The litestream binary with one config file, run as the sidecar and the init container run it."""

    def __init__(self, binary: Path, config: dict, config_path: Path, *, account_key: Optional[str],
                 env: Optional[dict[str, str]] = None):
        self.binary = binary
        self.config = config
        self.config_path = config_path
        config_path.parent.mkdir(parents=True, exist_ok=True)
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        # Nothing Azure- or Litestream-related leaks in from the caller's environment.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("LITESTREAM_", "AZURE_"))}
        self.env.update(env or {})
        if account_key:
            # Test only: stands in for Workload Identity, which cannot run here (see the module docstring).
            self.env["LITESTREAM_AZURE_ACCOUNT_KEY"] = account_key

    @property
    def db_path(self) -> Path:
        return Path(self.config["dbs"][0]["path"])

    @property
    def socket_path(self) -> Path:
        return Path(self.config["socket"]["path"])

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(["nice", "-n", "5", str(self.binary), *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def restore_command(self) -> list[str]:
        """The init container's arguments: restore only onto an empty volume, and only from an existing replica."""
        return ["restore", "-config", str(self.config_path), "-if-db-not-exists", "-if-replica-exists",
                str(self.db_path)]

    def restore(self, timeout: float = 600, *, isolated: bool = False) -> subprocess.CompletedProcess:
        """The restore step; `isolated` runs it in a network namespace of its own where one can be made."""
        if isolated:
            return subprocess.run([*network_namespace_prefix(), "nice", "-n", "5", str(self.binary),
                                   *self.restore_command()], env=self.env, capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL)
        return self.run(*self.restore_command(), timeout=timeout)

    @contextlib.contextmanager
    def replicating(self, log_path: Path, ready_timeout: float = 60) -> Iterator[subprocess.Popen]:
        """`litestream replicate` (the sidecar) until the block ends; ready once its control socket listens."""
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(["nice", "-n", "5", str(self.binary), "replicate", "-config", str(self.config_path)],
                                    env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        try:
            deadline = time.monotonic() + ready_timeout
            while not self.socket_path.is_socket():
                if proc.poll() is not None:
                    raise RuntimeError(f"litestream replicate exited with {proc.returncode}:\n{_tail(log_path)}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"litestream replicate opened no control socket within {ready_timeout:.0f}s:\n"
                                       f"{_tail(log_path)}")
                time.sleep(0.05)
            yield proc
        finally:
            code = stop_process(proc)
            if code not in (0, -signal.SIGTERM):
                raise RuntimeError(f"litestream replicate exited with {code} on SIGTERM:\n{_tail(log_path)}")

    def sync_wait(self, timeout_seconds: int = 120) -> dict:
        """`litestream sync -wait`: force a sync and return once the replica holds the database's latest TXID."""
        proc = self.run("sync", "-wait", "-json", "-timeout", str(timeout_seconds), "-socket", str(self.socket_path),
                        str(self.db_path), timeout=timeout_seconds + 30)
        if proc.returncode != 0:
            raise RuntimeError(f"litestream sync -wait failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        result = json.loads(proc.stdout)
        if result.get("replica_txid", -1) < result["txid"]:
            raise RuntimeError(f"litestream sync -wait returned before the replica caught up: {result}")
        return result


def network_namespace_prefix() -> list[str]:
    """A command prefix running a program with no network but its own loopback, or [] where none can be made."""
    for prefix in (["unshare", "--net", "--"], ["unshare", "--user", "--map-root-user", "--net", "--"]):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=30).returncode == 0:
                return prefix
        except (OSError, subprocess.TimeoutExpired):
            pass
    return []


@contextlib.contextmanager
def short_socket_dir() -> Iterator[Path]:
    """A directory for a unix socket, removed afterwards: pytest's tmp paths can exceed the 107-byte limit."""
    with tempfile.TemporaryDirectory(prefix="ls-", dir="/tmp") as path:
        yield Path(path)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"

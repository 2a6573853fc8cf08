"""Backup and restore of a single writer's SQLite database, with real Litestream and Azurite (issue 16, item 3).

Each test plays a pod's life on a directory standing for its volume (/data):
the restore init container (`litestream restore -config ... -if-db-not-exists
-if-replica-exists /data/sol.db`), then the app writing rows while the
Litestream sidecar (`litestream replicate`) ships them to an Azure Blob
container, then the loss of the volume's files and a new pod restoring them.
The litestream.yml is the one the program renders (`litestream_config`), plus
Azurite's endpoint and a control socket that only the test uses.

Authentication is the one thing that differs from the cluster. There the
sidecar and the init container authenticate by Workload Identity: no key is
rendered, and Litestream 0.5 falls back to azidentity's
DefaultAzureCredential, which reads AZURE_CLIENT_ID, AZURE_TENANT_ID and
AZURE_FEDERATED_TOKEN_FILE from the workload-identity webhook. That needs
Microsoft Entra ID and cannot run here, and Azurite takes only shared keys and
SAS. So in this test, and only in it, Azurite's published development key
stands in for Workload Identity, passed as LITESTREAM_AZURE_ACCOUNT_KEY; the
config file holds no key here either, and the program never renders one.
"""
from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from backup_support import (
    AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY, Litestream, Volume, litestream_config, short_socket_dir,
)

SERVICE = "sol"
DB_FILE = "sol.db"
REPLICA_PATH = f"{SERVICE}/{DB_FILE}"

Row = tuple[int, str, bytes]


def make_rows(first_id: int, count: int, seed: int) -> list[Row]:
    rng = random.Random(seed)
    return [(i, f"message {i}", rng.randbytes(200 + i % 300)) for i in range(first_id, first_id + count)]


def app_writes(db_path: Path, rows: list[Row], batches: int = 5) -> None:
    """What the app does: open (or create) the database in WAL mode and commit rows in a few transactions."""
    db = sqlite3.connect(db_path)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA busy_timeout = 5000")
        db.execute("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, body TEXT NOT NULL, blob BLOB)")
        db.commit()
        size = -(-len(rows) // batches)
        for start in range(0, len(rows), size):
            with db:
                db.executemany("INSERT INTO messages (id, body, blob) VALUES (?, ?, ?)", rows[start:start + size])
    finally:
        db.close()


def read_rows(db_path: Path) -> list[Row]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return db.execute("SELECT id, body, blob FROM messages ORDER BY id").fetchall()
    finally:
        db.close()


@pytest.fixture
def socket_dir():
    """Where `litestream replicate` opens its control socket (for `litestream sync -wait`)."""
    with short_socket_dir() as path:
        yield path


def service_litestream(tools, azurite, container: str, volume: Volume, etc: Path, socket_dir: Path) -> Litestream:
    config = litestream_config(volume.db_path, AZURITE_ACCOUNT, container, REPLICA_PATH, endpoint=azurite.endpoint,
                               sync_interval="1s", socket_path=socket_dir / "litestream.sock")
    return Litestream(tools.litestream, config, etc / "litestream.yml", account_key=AZURITE_ACCOUNT_KEY)


def run_pod(litestream: Litestream, volume: Volume, rows: list[Row], log: Path) -> dict:
    """A pod's life: the restore step, then the app writing `rows` while the sidecar replicates them.

    Returns `litestream sync -wait`'s answer, given once the replica holds every row.
    """
    restore = litestream.restore()
    assert restore.returncode == 0, f"restore step failed:\n{restore.stdout}\n{restore.stderr}"
    with litestream.replicating(log):
        app_writes(volume.db_path, rows)
        return litestream.sync_wait()


@dataclass
class BackedUp:
    litestream: Litestream
    volume: Volume
    rows: list[Row]
    first_restore_output: str


@pytest.fixture
def wiped_and_restored(tools, azurite, container, tmp_path, socket_dir) -> BackedUp:
    """Rows written and replicated by a first pod, the volume wiped, and the restore step of the next pod run."""
    volume = Volume(tmp_path / "data", DB_FILE)
    litestream = service_litestream(tools, azurite, container, volume, tmp_path / "etc", socket_dir)
    rows = make_rows(1, 500, seed=16)
    synced = run_pod(litestream, volume, rows, tmp_path / "replicate.log")
    assert synced["replica_txid"] >= synced["txid"] > 0

    blobs = azurite.list_blobs(container)
    assert blobs, "the replica is empty after `litestream sync -wait`"
    assert all(name.startswith(f"{REPLICA_PATH}/") for name in blobs), \
        f"blobs outside the service's path {REPLICA_PATH}/: {sorted(blobs)}"

    volume.wipe()
    restore = litestream.restore()
    assert restore.returncode == 0, f"restore step failed:\n{restore.stdout}\n{restore.stderr}"
    assert volume.db_path.is_file(), f"restore step wrote no {DB_FILE}:\n{restore.stdout}\n{restore.stderr}"
    return BackedUp(litestream, volume, rows, restore.stdout + restore.stderr)


def test_the_restore_step_brings_back_every_replicated_row(wiped_and_restored):
    assert read_rows(wiped_and_restored.volume.db_path) == wiped_and_restored.rows


def test_a_second_restore_leaves_the_populated_volume_untouched(wiped_and_restored):
    backed_up = wiped_and_restored
    read_rows(backed_up.volume.db_path)  # the app has opened it since: -wal and -shm may exist now
    before = backed_up.volume.state()
    assert DB_FILE in before

    again = backed_up.litestream.restore()

    assert again.returncode == 0, f"second restore failed:\n{again.stdout}\n{again.stderr}"
    assert "database already exists, skipping" in again.stdout + again.stderr
    assert backed_up.volume.state() == before  # same files, inodes, mtimes, sizes and bytes
    assert read_rows(backed_up.volume.db_path) == backed_up.rows


def test_first_start_of_a_new_service_restores_nothing(tools, azurite, container, tmp_path, socket_dir):
    """An empty container and an empty volume: the restore step succeeds and writes nothing."""
    volume = Volume(tmp_path / "data", DB_FILE)
    litestream = service_litestream(tools, azurite, container, volume, tmp_path / "etc", socket_dir)

    restore = litestream.restore()

    assert restore.returncode == 0, f"restore step failed on a new service:\n{restore.stdout}\n{restore.stderr}"
    assert "no matching backups found" in restore.stdout + restore.stderr
    assert list(volume.path.iterdir()) == []
    assert azurite.list_blobs(container) == {}


def test_a_restored_database_keeps_replicating(tools, azurite, container, tmp_path, socket_dir):
    """Pod 1 writes, the volume is lost, pod 2 restores and writes more, the volume is lost again, pod 3 has both."""
    volume = Volume(tmp_path / "data", DB_FILE)
    litestream = service_litestream(tools, azurite, container, volume, tmp_path / "etc", socket_dir)
    first, second = make_rows(1, 200, seed=1), make_rows(201, 200, seed=2)

    run_pod(litestream, volume, first, tmp_path / "replicate-1.log")
    volume.wipe()
    run_pod(litestream, volume, second, tmp_path / "replicate-2.log")
    assert read_rows(volume.db_path) == first + second
    volume.wipe()

    restore = litestream.restore()
    assert restore.returncode == 0, f"restore step failed:\n{restore.stdout}\n{restore.stderr}"
    assert read_rows(volume.db_path) == first + second


def test_without_a_key_litestream_asks_workload_identity(tools, tmp_path, socket_dir):
    """The rendered config (no account-key, no sas-token) sends Litestream to Workload Identity.

    Litestream 0.5.18 then builds azidentity's DefaultAzureCredential
    (abs/replica_client.go, ReplicaClient.Init); AZURE_TOKEN_CREDENTIALS narrows
    it to WorkloadIdentityCredential, as the sidecar should, so a pod the
    webhook did not inject fails closed instead of trying the node's managed
    identity. Here the webhook's variables are absent, so the credential cannot
    even be built and nothing is contacted (with them, it would ask Entra ID
    first); the restore also runs in a network namespace of its own where the
    machine allows one, so nothing could be.
    """
    volume = Volume(tmp_path / "data", DB_FILE)
    config = litestream_config(volume.db_path, "examplestorageaccount", "sol-backup", REPLICA_PATH,
                               endpoint="https://127.0.0.1:9/examplestorageaccount")
    litestream = Litestream(tools.litestream, config, tmp_path / "etc" / "litestream.yml", account_key=None,
                            env={"AZURE_TOKEN_CREDENTIALS": "WorkloadIdentityCredential"})
    assert "account-key" not in litestream.config_path.read_text()

    restore = litestream.restore(isolated=True)

    assert restore.returncode != 0
    assert "DefaultAzureCredential: failed to acquire a token" in restore.stderr, restore.stderr
    assert "WorkloadIdentityCredential: no client ID specified" in restore.stderr, restore.stderr
    assert list(volume.path.iterdir()) == []


def test_the_restore_step_fails_when_the_container_does_not_exist(tools, azurite, tmp_path, socket_dir):
    """-if-replica-exists covers an empty container, not a missing one: the program must create it first."""
    volume = Volume(tmp_path / "data", DB_FILE)
    litestream = service_litestream(tools, azurite, "never-created", volume, tmp_path / "etc", socket_dir)

    restore = litestream.restore()

    assert restore.returncode != 0
    assert "ContainerNotFound" in restore.stderr
    assert list(volume.path.iterdir()) == []


def test_the_restore_step_looks_only_at_the_database_file(tools, azurite, container, tmp_path, socket_dir):
    """A volume counts as empty when its database file is missing, whatever else is on it.

    Litestream 0.5.18 then restores beside a stray -wal and leaves it in place
    (`prepareOutputPath` in cmd/litestream/restore.go checks the -wal, -shm
    and -journal only when the database file exists), and SQLite would replay
    a valid stray WAL onto the restored file. So whoever deletes a database to
    force a restore must delete its -wal and -shm with it.
    """
    volume = Volume(tmp_path / "data", DB_FILE)
    litestream = service_litestream(tools, azurite, container, volume, tmp_path / "etc", socket_dir)
    rows = make_rows(1, 50, seed=3)
    run_pod(litestream, volume, rows, tmp_path / "replicate.log")
    volume.wipe()
    stray = volume.path / f"{DB_FILE}-wal"
    stray.write_bytes(b"not a WAL")

    restore = litestream.restore()

    assert restore.returncode == 0, f"restore step failed:\n{restore.stdout}\n{restore.stderr}"
    assert stray.read_bytes() == b"not a WAL"
    assert read_rows(volume.db_path) == rows  # SQLite ignores this stray: its header is not a WAL header


def test_the_restore_benchmark_runs(project_root):
    """bench/restore_bench.py at a tiny size: it restores, checks every row, and prints its figures."""
    bench = subprocess.run([sys.executable, str(project_root / "bench" / "restore_bench.py"), "--size-mb", "2",
                            "--repeat", "1", "--tail-mb", "1", "--tail-transactions", "5"],
                           capture_output=True, text=True, timeout=300)
    assert bench.returncode == 0, f"{bench.stdout}\n{bench.stderr}"
    last = bench.stdout.splitlines()[-1]
    assert last.startswith("restore of ") and "every row checked" in last, bench.stdout

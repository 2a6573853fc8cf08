"""Benchmark of a single writer's restore: Litestream restoring a ~100 MB SQLite database from Azurite.

Builds a SQLite database of about `--size-mb` MiB (rows of random, hence
incompressible, 4000-byte blobs, one per 4 KiB page), starts `litestream replicate` on it as the
sidecar does, and times until `litestream sync -wait` reports the replica
holding the database's latest transaction (the first backup of an existing
database). Then, as a running app would, commits `--tail-transactions`
transactions rewriting `--tail-mb` MiB of rows, so a restore has to apply a
snapshot and the changes after it. Then, `--repeat` times, wipes the volume
and times the restore step exactly as the init container runs it
(`litestream restore -config ... -if-db-not-exists -if-replica-exists <db>`),
and checks the restored rows against the database the app left (untimed).
Prints the database size, the replica's size, the replication time and every
restore time, the best, and MiB/s.

Everything runs on 127.0.0.1 (Azurite's Blob service on a free port, data in
a temporary directory), with Litestream and Azurite under `nice` on this
shared 2-core machine, so the figures bound Litestream's own cost (LTX
decoding, page writes, fsync) rather than Azure's network: a restore from a
real storage account adds the transfer time of the replica. Authentication is
Azurite's development key (see tests/backup/backup_support.py: Workload
Identity cannot run here). A benchmark, not a test: it asserts correctness of
the restore, never a time.

    scripts/build-backup-tools && .venv/bin/python bench/restore_bench.py [--size-mb 100] [--repeat 3]
        [--tail-mb 10] [--tail-transactions 100]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT / "tests" / "backup"))

from backup_support import (  # noqa: E402
    AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY, Azurite, Litestream, Volume, backup_tools, litestream_config,
    short_socket_dir,
)

MB = 1024 * 1024
PAGE_BYTES = 4096  # SQLite's default page size
ROW_BYTES = 4000  # one row per page: the most a 4 KiB table leaf holds without an overflow page is 4061
DB_FILE = "bench.db"


def say(line: str) -> None:
    print(line, flush=True)


def write_database(path: Path, size_mb: int) -> int:
    """A WAL-mode database of about `size_mb` MiB; returns its row count."""
    rows = size_mb * MB // PAGE_BYTES
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
        batch = 1000
        for start in range(0, rows, batch):
            with db:
                db.executemany("INSERT INTO blobs (id, payload) VALUES (?, ?)",
                               [(i, os.urandom(ROW_BYTES)) for i in range(start, min(start + batch, rows))])
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return rows


def rewrite_rows(path: Path, rows: int, tail_mb: int, transactions: int) -> int:
    """Rewrites `tail_mb` MiB of random rows in `transactions` commits; returns the rows rewritten."""
    per_transaction = max(1, tail_mb * MB // ROW_BYTES // max(1, transactions))
    rng = random.Random(100)
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA busy_timeout = 10000")
        for _ in range(transactions):
            with db:
                db.executemany("UPDATE blobs SET payload = ? WHERE id = ?",
                               [(os.urandom(ROW_BYTES), rng.randrange(rows)) for _ in range(per_transaction)])
    finally:
        db.close()
    return per_transaction * transactions


def read_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        count = 0
        for (payload,) in db.execute("SELECT payload FROM blobs ORDER BY id"):
            digest.update(payload)
            count += 1
        if db.execute("PRAGMA quick_check").fetchone() != ("ok",):
            raise RuntimeError(f"PRAGMA quick_check failed on the restored {path}")
    finally:
        db.close()
    return count, digest.hexdigest()


def tool_version(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, timeout=60).stdout.strip() or "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=100, help="database size in MB. Default: 100.")
    parser.add_argument("--repeat", type=int, default=3, help="restores; the best counts. Default: 3.")
    parser.add_argument("--tail-mb", type=int, default=10, help="MiB of rows rewritten after the first backup."
                        " Default: 10.")
    parser.add_argument("--tail-transactions", type=int, default=100, help="commits they take. Default: 100.")
    args = parser.parse_args(argv)

    tools, why = backup_tools()
    if tools is None:
        say(f"restore_bench: Litestream and Azurite are not built ({why}); run scripts/build-backup-tools first")
        return 2
    say(f"litestream {tool_version([str(tools.litestream), 'version'])}, "
        f"azurite {tool_version([str(tools.azurite_blob), '--version'])}, {os.cpu_count()} cores (shared), "
        f"Litestream and Azurite under nice")

    with tempfile.TemporaryDirectory(prefix="restore-bench-") as work, short_socket_dir() as sockets:
        base = Path(work)
        volume = Volume(base / "data", DB_FILE)
        start = time.perf_counter()
        rows = write_database(volume.db_path, args.size_mb)
        db_bytes = volume.db_path.stat().st_size
        say(f"database: {rows} rows of {ROW_BYTES} random bytes, {db_bytes / MB:.1f} MiB"
            f" (written in {time.perf_counter() - start:.1f} s)")

        with Azurite(tools.azurite_blob, base / "azurite") as azurite:
            container = "restore-bench"
            azurite.create_container(container)
            config = litestream_config(volume.db_path, AZURITE_ACCOUNT, container, f"bench/{DB_FILE}",
                                       endpoint=azurite.endpoint, socket_path=sockets / "litestream.sock")
            litestream = Litestream(tools.litestream, config, base / "etc" / "litestream.yml",
                                    account_key=AZURITE_ACCOUNT_KEY)

            start = time.perf_counter()
            with litestream.replicating(base / "replicate.log"):
                synced = litestream.sync_wait(timeout_seconds=1800)
                replication = time.perf_counter() - start
                say(f"first backup: {replication:.2f} s from `litestream replicate` start to `sync -wait` returning"
                    f" (txid {synced['txid']}, {db_bytes / MB / replication:.1f} MiB/s)")
                if args.tail_transactions > 0 and args.tail_mb > 0:
                    rewritten = rewrite_rows(volume.db_path, rows, args.tail_mb, args.tail_transactions)
                    start = time.perf_counter()
                    synced = litestream.sync_wait(timeout_seconds=1800)
                    say(f"then {args.tail_transactions} commits rewriting {rewritten} rows"
                        f" ({rewritten * ROW_BYTES / MB:.1f} MiB): replica caught up"
                        f" {time.perf_counter() - start:.2f} s after the last commit (txid {synced['txid']})")
            blobs = azurite.list_blobs(container)
            levels: dict[str, int] = {}
            for name in blobs:  # <path>/ltx/<level>/<min txid>-<max txid>.ltx
                levels[name.split("/")[-2]] = levels.get(name.split("/")[-2], 0) + 1
            say(f"replica: {sum(blobs.values()) / MB:.1f} MiB in {len(blobs)} LTX files"
                f" ({', '.join(f'level {level}: {n}' for level, n in sorted(levels.items(), key=lambda x: int(x[0])))})")
            expected = read_digest(volume.db_path)
            db_bytes = volume.db_path.stat().st_size

            times = []
            for attempt in range(1, args.repeat + 1):
                volume.wipe()
                start = time.perf_counter()
                restore = litestream.restore(timeout=1800)
                elapsed = time.perf_counter() - start
                if restore.returncode != 0 or not volume.db_path.is_file():
                    say(f"restore {attempt} failed ({restore.returncode}):\n{restore.stdout}\n{restore.stderr}")
                    return 1
                times.append(elapsed)
                say(f"restore {attempt}: {elapsed:.2f} s ({volume.db_path.stat().st_size / MB / elapsed:.1f} MiB/s)")

            restored = read_digest(volume.db_path)
            if restored != expected:
                say(f"restored database differs: {restored[0]} rows, digest {restored[1][:12]}"
                    f" (the app left {expected[0]} rows, digest {expected[1][:12]})")
                return 1
            best = min(times)
            say(f"restore of {db_bytes / MB:.1f} MiB: best {best:.2f} s of {len(times)}"
                f" ({db_bytes / MB / best:.1f} MiB/s); every row checked against the database the app left")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Helpers shared by the secret-chain tests and their fixtures."""
from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# latencies the tests measure, printed in the terminal summary (conftest)
MEASURED: dict[str, float] = {}
# what the controllers reported in the failure cases, printed beside them (for the runbook)
OBSERVED: dict[str, str] = {}


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


def rendered(render: Path, relative: str) -> dict:
    return yaml.safe_load((render / relative).read_text())


def events_for(cluster, namespace: str, kind: str, name: str) -> list[dict]:
    items = cluster.json("events", "-n", namespace,
                         f"--field-selector=involvedObject.kind={kind},involvedObject.name={name}")["items"]
    return sorted(items, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")


def secret_data(cluster, namespace: str, name: str) -> dict | None:
    proc = cluster("-n", namespace, "get", "secret", name, "-o", "json", check=False)
    if proc.returncode != 0:
        return None
    return {k: base64.b64decode(v).decode() for k, v in (json.loads(proc.stdout).get("data") or {}).items()}

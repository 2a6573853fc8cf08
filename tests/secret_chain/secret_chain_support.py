"""Helpers shared by the secret-chain tests and their fixtures (the harness itself is tests/secret_chain_harness.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from secret_chain_harness import ROOT, events_for, secret_data, wait_until  # noqa: E402

__all__ = ["MEASURED", "OBSERVED", "ROOT", "events_for", "rendered", "secret_data", "wait_until"]

# latencies the tests measure, printed in the terminal summary (conftest)
MEASURED: dict[str, float] = {}
# what the controllers reported in the failure cases, printed beside them (for the runbook)
OBSERVED: dict[str, str] = {}


def rendered(render: Path, relative: str) -> dict:
    return yaml.safe_load((render / relative).read_text())

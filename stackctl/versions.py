"""The versions `stackctl --version` reports: stackctl's own and the Pulumi SDKs'.

The SDK versions matter more than stackctl's: the engine plugins a run
downloads are keyed by them, and requirements.txt pins them exactly. Each is
read from the installed distribution and shown beside its pin when the two
differ, so a stale virtualenv shows itself.
"""
from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from typing import Optional

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"

# The distributions whose versions decide which engine plugins and policy SDK a run uses.
PULUMI_DISTRIBUTIONS = ("pulumi", "pulumi-kubernetes", "pulumi-azure-native", "pulumi-vault", "pulumi-policy")


def pinned_versions(requirements: Path = REQUIREMENTS) -> dict[str, str]:
    """`name==version` lines of a requirements file, by lower-case name (comments and options skipped)."""
    pins = {}
    try:
        text = requirements.read_text(encoding="utf-8")
    except OSError:
        return pins
    for line in text.splitlines():
        match = re.match(r"^\s*([A-Za-z0-9._-]+)\s*==\s*([^\s;#]+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def _installed(distribution: str) -> Optional[str]:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def installed_versions() -> list[tuple[str, Optional[str], Optional[str]]]:
    """(name, installed version or None, pinned version or None): stackctl first, then the Pulumi SDKs."""
    pins = pinned_versions()
    rows = [("stackctl", _installed("stackctl") or "(not installed: run scripts/bootstrap)", None)]
    for name in PULUMI_DISTRIBUTIONS:
        installed = _installed(name)
        if installed is None and name not in pins:
            continue  # pulumi-policy: a test tool, absent from the lean set-up
        rows.append((name, installed, pins.get(name)))
    return rows

"""Fixtures of the backup and restore tests (tests/backup): real Litestream, real Azurite.

They run whenever `scripts/build-backup-tools` has built Litestream and
Azurite (cached outside the repository); otherwise every test here is
skipped and the run ends with ONE line saying why and how to build them.
STACKCTL_BACKUP_TESTS=0 skips them too.

Azurite runs once for the session on a free port of 127.0.0.1, with its data
in a temporary directory, and is always stopped at the end; each test uses a
container of its own.

Run them with:  scripts/build-backup-tools && .venv/bin/python -m pytest -q tests/backup
"""
from __future__ import annotations

import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from backup_support import Azurite, BackupTools, backup_tools  # noqa: E402

_skip_reason: str | None = None
_tools: BackupTools | None = None


def _decide() -> None:
    global _skip_reason, _tools
    if os.environ.get("STACKCTL_BACKUP_TESTS") == "0":
        _skip_reason = "tests/backup skipped: STACKCTL_BACKUP_TESTS=0"
        return
    _tools, why = backup_tools()
    if _tools is None:
        _skip_reason = (
            f"tests/backup SKIPPED (all): Litestream and Azurite are not built here ({why}). Build them with"
            " `scripts/build-backup-tools` (about 6 minutes cold on 2 cores, seconds when cached), then run"
            " `.venv/bin/python -m pytest -q tests/backup`."
        )


def pytest_configure(config):
    config.addinivalue_line("markers", "backup: real Litestream against Azurite (tests/backup)")


def _is_backup(item) -> bool:
    return HERE in Path(str(item.fspath)).resolve().parents


def pytest_collection_modifyitems(config, items):
    mine = [item for item in items if _is_backup(item)]
    if not mine:
        return
    _decide()
    for item in mine:
        item.add_marker(pytest.mark.backup)
        if _skip_reason:
            item.add_marker(pytest.mark.skip(reason=_skip_reason))


def pytest_terminal_summary(terminalreporter):
    if _skip_reason:
        terminalreporter.write_line(_skip_reason, yellow=True, bold=True)


@pytest.fixture(scope="session")
def tools() -> BackupTools:
    assert _tools is not None
    return _tools


@pytest.fixture(scope="session")
def azurite(tools, tmp_path_factory):
    """Azurite's Blob service on 127.0.0.1, for the whole session."""
    location = tmp_path_factory.mktemp("azurite")
    server = Azurite(tools.azurite_blob, location)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(location, ignore_errors=True)


@pytest.fixture
def container(azurite) -> str:
    """A new, empty container, as the program creates one for each service with a backup."""
    name = f"backup-{uuid.uuid4().hex[:12]}"
    azurite.create_container(name)
    return name

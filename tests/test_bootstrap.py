"""`scripts/bootstrap` refuses a Python other than 3.11, saying what it needs, before creating anything.

Run on a copy of the script in an empty directory, with fake interpreters
first on PATH that claim to be 3.10; nothing is installed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FAKE_PYTHON = """#!/bin/sh
# A Python 3.10 as far as scripts/bootstrap can tell.
case "$2" in
  *platform*) echo 3.10.0 ;;
  *) exit 1 ;;
esac
"""


def _project(tmp_path: Path) -> tuple[Path, dict]:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "bootstrap", project / "scripts" / "bootstrap")
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    for name in ("python3", "python3.11"):
        (fake / name).write_text(FAKE_PYTHON)
        (fake / name).chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key != "PYTHON"}
    env["PATH"] = f"{fake}:/usr/bin:/bin"
    return project, env


def test_another_python_is_refused_naming_what_is_needed(tmp_path):
    project, env = _project(tmp_path)
    done = subprocess.run([str(project / "scripts" / "bootstrap")], cwd=project, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == ("error: scripts/bootstrap: Python 3.11 is required, found python3 = 3.10.0 "
                           "(install Python 3.11 and put python3.11 on PATH, or set "
                           "PYTHON=/path/to/python3.11)\n")
    assert sorted(path.name for path in project.iterdir()) == ["scripts"], "nothing may be created"


def test_an_unknown_argument_is_refused(tmp_path):
    project, env = _project(tmp_path)
    done = subprocess.run([str(project / "scripts" / "bootstrap"), "--everything"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (
        2, "error: scripts/bootstrap: unknown argument '--everything' (use --pack, --test or nothing)\n")

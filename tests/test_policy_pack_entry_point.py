"""`policies/run-policy-pack`: the pack as an executable the engine runs directly, which never hangs.

The engine launches an executable pack with its own address as the one
argument and reads the port from the first line of stdout. With
`policies/venv` present the script serves the pack (asked over gRPC, as the
engine does); with a broken venv, or no venv and no route to the package
index, it exits 1 within seconds, prints nothing on stdout and names the
command to run, leaving no half-made venv behind.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from policies.registry import PACK_NAME
from policy_pack_process import analyzer_info

ROOT = Path(__file__).resolve().parent.parent


def pack_copy(tmp_path: Path) -> Path:
    """A copy of the pack with its entry point (policies/run-policy-pack) and no venv."""
    copy = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", copy, symlinks=True,
                    ignore=shutil.ignore_patterns("venv", "__pycache__", ".venv-new.*"))
    # platform_facts sits beside the pack, as in the repository.
    (tmp_path / "platform_facts").symlink_to(ROOT / "platform_facts")
    return copy


def test_it_serves_the_pack_from_its_virtualenv(tmp_path):
    copy = pack_copy(tmp_path)
    (copy / "venv").symlink_to(ROOT / "policies" / "venv")  # scripts/bootstrap made it
    # The engine starts it in the program's directory, not the pack's.
    info = analyzer_info(copy / "run-policy-pack", cwd=tmp_path)
    assert info.name == PACK_NAME and len(info.policies) > 30


def test_no_virtualenv_and_no_package_index_fails_within_seconds(tmp_path):
    copy = pack_copy(tmp_path)
    env = {**os.environ, "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_NO_CACHE_DIR": "1"}
    start = time.monotonic()
    done = subprocess.run([str(copy / "run-policy-pack"), "127.0.0.1:1"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    seconds = time.monotonic() - start
    assert done.returncode == 1, done.stderr
    assert done.stdout == "", "stdout is the engine's: only a port may be written there"
    assert f"policy pack: the package index cannot be reached to create {copy / 'venv'}" in done.stderr
    assert f"-m pip install -r {copy / 'requirements.txt'} (or scripts/bootstrap --pack)" in done.stderr
    assert seconds < 60, f"took {seconds:.0f} s"
    assert not (copy / "venv").exists() and not list(copy.glob(".venv-new.*")), "a half-made venv was left"


def test_a_broken_virtualenv_fails_at_once_naming_the_fix(tmp_path):
    copy = pack_copy(tmp_path)
    (copy / "venv" / "bin").mkdir(parents=True)
    (copy / "venv" / "bin" / "python").symlink_to(shutil.which("python3"))
    done = subprocess.run([str(copy / "run-policy-pack"), "127.0.0.1:1"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert f"policy pack: {copy / 'venv'} exists but cannot import pulumi_policy; create it with:" in done.stderr

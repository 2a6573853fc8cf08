"""The `stackctl` command that scripts/bootstrap installs (pyproject.toml's console script).

Run as a user runs it: the executable beside this interpreter, from a
directory outside the checkout, so nothing depends on the current directory.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

STACKCTL = Path(sys.executable).parent / "stackctl"


def _stackctl(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    assert STACKCTL.is_file(), f"{STACKCTL} is missing: scripts/bootstrap installs it (pip install -e .)"
    return subprocess.run([str(STACKCTL), *arguments], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_version_from_anywhere(tmp_path):
    from importlib import metadata

    done = _stackctl("--version", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == [f"stackctl {metadata.version('stackctl')}",
                                            f"pulumi {metadata.version('pulumi')}"]


def test_render_to_stdout_from_outside_the_checkout(tmp_path):
    done = _stackctl("render", "staging", "--out", "-", "--debug", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    kinds = [document["kind"] for document in yaml.safe_load_all(done.stdout) if document]
    assert len(kinds) == 108 and kinds[0] == "Namespace"
    assert list(tmp_path.iterdir()) == []


def test_usage_error_is_exit_2_without_traceback(tmp_path):
    done = _stackctl("render", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "error: stackctl render: the following arguments are required: stack, --out" in done.stderr


def test_every_verb_imports_what_it_needs_from_outside_the_checkout(tmp_path):
    """The pack (`policy`) and the inline program (`local`) are importable from the console script too:
    it does not put the checkout on sys.path as `python -m stackctl` in the checkout does."""
    policy = _stackctl("policy", "staging", cwd=tmp_path)
    assert policy.returncode == 0, policy.stderr
    assert policy.stdout.splitlines()[-1].startswith("149 resources, ")
    done = subprocess.run([sys.executable, "-c", "import stack_program, policies.offline"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

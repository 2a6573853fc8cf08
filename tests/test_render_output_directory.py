"""`stackctl render --out DIR` replaces DIR only when it is absent, empty, or exactly a previous render.

Each refusal is checked for its exact message and exit code 2, and for the
user's files being intact afterwards.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stackctl import __main__ as stackctl
from stackctl.render import RENDER_MARKER

ROOT = Path(__file__).resolve().parent.parent


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {path.relative_to(directory).as_posix(): path.read_bytes()
            for path in sorted(directory.rglob("*")) if path.is_file()}


def _render(out, capsys, cwd=None) -> tuple[int, str]:
    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        code = stackctl.main(["render", "staging", "--out", str(out)])
    finally:
        os.chdir(previous)
    return code, capsys.readouterr().err


def test_render_into_absent_then_over_its_own_render(tmp_path, capsys):
    out = tmp_path / "rendered" / "staging"
    assert _render(out, capsys)[0] == 0
    first = _snapshot(out)
    assert RENDER_MARKER in first and "matrix/Deployment-sol.yaml" in first
    listed = first[RENDER_MARKER].decode()
    assert "stack: staging\n" in listed and "- matrix/Deployment-sol.yaml\n" in listed
    assert _render(out, capsys)[0] == 0
    assert _snapshot(out) == first
    # nothing left beside it: no temporary or old directories
    assert sorted(path.name for path in out.parent.iterdir()) == ["staging"]


def test_an_empty_directory_is_used(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert _render(tmp_path / "empty", capsys)[0] == 0
    assert (tmp_path / "empty" / RENDER_MARKER).is_file()


def test_a_directory_with_an_unrelated_file_is_refused_and_the_file_survives(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    code, err = _render(out, capsys)
    assert code == 2
    assert err == (f"error: --out: '{out}' (holds files that `stackctl render` did not write (no "
                   f"{RENDER_MARKER} marker), e.g. 'notes.txt'; render into a new or empty directory, it replaces "
                   "its output as a whole)\n")
    assert _snapshot(out) == {"notes.txt": b"my notes"}


def test_a_previous_render_with_a_foreign_file_added_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    assert _render(out, capsys)[0] == 0
    (out / "matrix" / "my-patch.yaml").write_text("keep me")
    before = _snapshot(out)
    code, err = _render(out, capsys)
    assert code == 2
    assert err == (f"error: --out: '{out}' (is a previous render but also holds 1 file(s) it did not write, "
                   "e.g. 'matrix/my-patch.yaml'; move them out first: the render replaces the directory as a "
                   "whole)\n")
    assert _snapshot(out) == before


def test_an_existing_file_is_refused(tmp_path, capsys):
    target = tmp_path / "file.yaml"
    target.write_text("mine")
    code, err = _render(target, capsys)
    assert code == 2
    assert err == (f"error: --out: '{target}' (is an existing file, not a directory; remove it or render into "
                   "a new directory)\n")
    assert target.read_text() == "mine"


def test_a_path_under_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("mine")
    code, err = _render(tmp_path / "file" / "out", capsys)
    assert code == 2
    assert err == (f"error: --out: '{tmp_path / 'file' / 'out'}' ({tmp_path / 'file'} is a file, not a "
                   "directory; choose another path)\n")


def test_the_current_directory_and_its_parents_are_refused(tmp_path, capsys):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    (work / "keep.txt").write_text("x")
    for given in (".", "..", str(tmp_path)):
        code, err = _render(given, capsys, cwd=work)
        assert code == 2
        assert err == (f"error: --out: '{given}' (is the current directory or one of its parents; render into a "
                       "new directory such as rendered/<stack>)\n")
    assert (work / "keep.txt").read_text() == "x"


def test_a_symlink_is_refused(tmp_path, capsys):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    code, err = _render(tmp_path / "link", capsys)
    assert code == 2
    assert "is a symbolic link; give the directory itself or a new path" in err


@pytest.fixture
def fresh_clone(tmp_path) -> Path:
    """A git clone of this repository's committed tree plus the working changes, with its own venv path."""
    clone = tmp_path / "clone"
    shutil.copytree(ROOT, clone, ignore=shutil.ignore_patterns(".venv", ".venv-*", "__pycache__", "venv",
                                                               ".pulumi-state", "rendered"))
    return clone


def test_render_out_dot_in_a_checkout_refuses_and_the_checkout_is_intact(fresh_clone):
    before = _snapshot(fresh_clone)
    completed = subprocess.run([sys.executable, "-m", "stackctl", "render", "staging", "--out", "."],
                               cwd=fresh_clone, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 2
    assert completed.stderr == (f"error: --out: '.' (is the project root {fresh_clone} or contains it; render "
                                "into a new directory such as rendered/<stack>)\n")
    assert _snapshot(fresh_clone) == before
    assert (fresh_clone / ".git").is_dir() or not (ROOT / ".git").is_dir()

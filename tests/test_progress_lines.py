"""Progress lines: one per step on stderr when stderr is a terminal, none when it is a pipe or a file.

The terminal is a real pseudo-terminal (os.openpty), so what is tested is the
isatty() decision itself, not a stand-in for it.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _render(tmp_path: Path, stderr_is_a_terminal: bool) -> tuple[int, str]:
    command = [sys.executable, "-m", "stackctl", "render", "staging", "--out", str(tmp_path / "out")]
    if not stderr_is_a_terminal:
        completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        return completed.returncode, completed.stderr
    controller, terminal = os.openpty()
    try:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=terminal)
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        return process.wait(timeout=300), b"".join(chunks).decode().replace("\r\n", "\n")
    finally:
        os.close(controller)


def test_render_prints_each_step_on_a_terminal(tmp_path):
    code, stderr = _render(tmp_path, stderr_is_a_terminal=True)
    assert code == 0
    steps = [line for line in stderr.splitlines() if line.startswith("render: ")]
    assert steps == [
        "render: validating the config of staging",
        "render: running the program of staging under the mock runtime",
        f"render: writing 150 files to {tmp_path / 'out'}",
    ]


def test_render_prints_no_progress_into_a_pipe(tmp_path):
    code, stderr = _render(tmp_path, stderr_is_a_terminal=False)
    assert code == 0
    assert not [line for line in stderr.splitlines() if line.startswith("render: ")]

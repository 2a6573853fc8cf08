"""Imports only when used: the cloud SDKs load only when a resource of theirs is built, a verb loads only itself.

Each case runs in a fresh interpreter, so what an earlier test imported
cannot hide an import. `bench/render_import_bench.py` measures what this saves.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules_after(code: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", code + "\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def _loaded(modules: set[str], package: str) -> list[str]:
    return sorted(m for m in modules if m == package or m.startswith(package + "."))


def test_the_program_imports_no_cloud_sdk_until_it_builds_a_cloud_resource():
    modules = _modules_after("import stack_program, components.stack")
    assert _loaded(modules, "pulumi_azure_native") == []
    assert _loaded(modules, "pulumi_vault") == []


def test_a_verb_imports_only_its_own_module():
    modules = _modules_after("from stackctl.__main__ import build_parser; build_parser(['schema'], all_verbs=False)")
    verbs = {m for m in modules if m.startswith("stackctl.") and m.count(".") == 1}
    assert "stackctl.schema" in verbs
    assert not verbs & {"stackctl.verify", "stackctl.promote", "stackctl.render", "stackctl.local", "stackctl.risk"}
    assert _loaded(modules, "pulumi_kubernetes") == []


def test_help_still_lists_every_verb():
    done = subprocess.run([sys.executable, "-m", "stackctl", "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    from stackctl.__main__ import VERBS

    for verb in VERBS:
        assert verb in done.stdout, verb

"""Shared fixtures: the repository root, stack files, and renders of the real stacks."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """stack name -> (RenderResult, output dir) of the repository's own stacks."""
    from stackctl.render import render_stack

    renders = {}
    for stack in ("staging", "prod"):
        out = tmp_path_factory.mktemp(f"render-{stack}") / "out"
        renders[stack] = (render_stack(stack, out), out)
    return renders


@pytest.fixture
def scratch_project(tmp_path) -> Path:
    """A copy of the program file, stack files and config files, to edit without touching the repository."""
    for name in ("__main__.py", "Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "config", tmp_path / "config")
    shutil.copytree(ROOT / "releases", tmp_path / "releases")
    return tmp_path

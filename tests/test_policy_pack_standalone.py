"""The policy pack as `pulumi policy publish` sees it: the directory `policies/` alone.

A copy of `policies/` with nothing of the repository beside it gets a fresh
virtualenv holding its requirements.txt, with platform-facts installed from
this checkout's platform_facts/ (a real, non-editable install, as a published
pack gets it from a package index); then it evaluates a manifest offline and
is served over gRPC as the engine runs it. Anything the pack still took from
the repository would fail here with ModuleNotFoundError.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policy_pack_process import analyzer_info

ROOT = Path(__file__).resolve().parent.parent

EVALUATE = """
import json, sys
import platform_facts
from policies import offline
resources = offline.load_manifests(sys.argv[1])
violations = offline.evaluate(resources, {}, "standalone")
print(json.dumps({"facts": platform_facts.__file__,
                  "violations": sorted({(v.policy, v.resource) for v in violations})}))
"""


@pytest.fixture(scope="module")
def pack_alone(tmp_path_factory) -> tuple[Path, Path]:
    """(the copied pack, its virtualenv's python), in a directory holding nothing else."""
    where = tmp_path_factory.mktemp("alone")
    pack = where / "policies"
    shutil.copytree(ROOT / "policies", pack, ignore=shutil.ignore_patterns("venv", "__pycache__", ".venv-new.*"))
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         str(ROOT / "platform_facts"), "-r", str(pack / "requirements.txt")],
        capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr
    return pack, venv / "bin" / "python"


def test_the_pack_alone_evaluates_a_manifest(pack_alone):
    pack, python = pack_alone
    assert not (pack.parent / "platform_facts").exists()
    manifest = ROOT / "policies" / "corpus" / "bad" / "privileged.yaml"
    done = subprocess.run([str(python), "-c", EVALUATE, str(manifest)], cwd=pack.parent,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert Path(result["facts"]).is_relative_to(python.parent.parent), "platform_facts came from the repository"
    assert ["pod-security-restricted", "matrix/sol"] in result["violations"]


def test_the_pack_alone_is_served_as_the_engine_runs_it(pack_alone):
    from policies.registry import PACK_NAME

    pack, python = pack_alone
    (pack / "venv").symlink_to(python.parent.parent)
    info = analyzer_info(pack / "run-policy-pack", cwd=pack.parent)
    assert info.name == PACK_NAME and len(info.policies) > 30

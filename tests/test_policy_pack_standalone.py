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
import select
import shutil
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2_grpc

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
    process = subprocess.Popen([str(pack / "run-policy-pack"), "127.0.0.1:1"], cwd=pack.parent,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([process.stdout], [], [], 120)
        assert ready, f"no port on stdout within 120 s: {process.stderr.read1().decode() if process.poll() else ''}"
        port = process.stdout.readline().decode().strip()
        assert port.isdigit(), f"the first line of stdout is {port!r}, not a port"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=60)
        assert info.name == PACK_NAME and len(info.policies) > 30
    finally:
        process.terminate()
        process.wait(timeout=30)

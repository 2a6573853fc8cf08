"""`render --out -` (one YAML stream on stdout, in apply order) and the layout of `render --out DIR`.

The stream must be what `kubectl apply -f -` takes in one pass: Namespaces
before anything in them, cluster-scoped objects before namespaced ones. The
directory must hold nothing but Kubernetes objects under a manifest suffix, so
`kubectl apply -R -f DIR` takes it as it is (tests/cluster applies both for
real); outputs and cloud summaries live under `DIR/.stackctl/`.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from stackctl import __main__ as stackctl
from stackctl.render import apply_order_key

GOLDEN = Path(__file__).parent / "golden" / "staging"


@pytest.fixture(scope="module")
def stream(tmp_path_factory) -> tuple[str, str, Path]:
    """(stdout, stderr) of `render staging --out -`, run in an empty directory."""
    import subprocess
    import sys

    cwd = tmp_path_factory.mktemp("cwd")
    completed = subprocess.run([sys.executable, "-m", "stackctl", "render", "staging", "--out", "-"],
                               cwd=cwd, capture_output=True, text=True, timeout=300,
                               env={**os.environ, "PYTHONPATH": str(GOLDEN.parents[2])})
    assert completed.returncode == 0, completed.stderr
    return completed.stdout, completed.stderr, cwd


def test_stream_is_every_golden_object_once(stream):
    stdout, stderr, cwd = stream
    documents = [document for document in yaml.safe_load_all(stdout) if document is not None]
    golden = [yaml.safe_load(path.read_text()) for path in sorted(GOLDEN.rglob("*.yaml"))]
    key = lambda document: (document["kind"], document["metadata"].get("namespace", ""), document["metadata"]["name"])
    assert sorted(map(key, documents)) == sorted(map(key, golden))
    assert sorted(documents, key=key) == sorted(golden, key=key), "the stream holds the same objects as --out DIR"
    # Nothing but the stream on stdout; the summary is on stderr; no directory named `-`.
    assert stdout.startswith("---\n") and "rendered stack staging" not in stdout
    assert stderr.strip().splitlines()[-1] == ("rendered stack staging: 108 Kubernetes objects, "
                                               "41 cloud resource summaries -> -")
    assert list(cwd.iterdir()) == []


def test_stream_is_in_apply_order(stream):
    documents = [document for document in yaml.safe_load_all(stream[0]) if document is not None]
    scopes = ["namespace" if d["kind"] == "Namespace" else "namespaced" if d["metadata"].get("namespace")
              else "cluster" for d in documents]
    first = {scope: scopes.index(scope) for scope in ("namespace", "cluster", "namespaced")}
    last = {scope: len(scopes) - 1 - scopes[::-1].index(scope) for scope in ("namespace", "cluster", "namespaced")}
    assert last["namespace"] < first["cluster"] and last["cluster"] < first["namespaced"], scopes
    assert [apply_order_key(d) for d in documents] == sorted(apply_order_key(d) for d in documents)
    kinds = [d["kind"] for d in documents]
    # What a Deployment refers to comes before it (helm's order); custom resources come last.
    assert kinds.index("ServiceAccount") < kinds.index("ConfigMap") < kinds.index("Deployment")
    assert kinds.index("Deployment") < kinds.index("VaultStaticSecret")


def test_apply_order_key_ranks_groups_then_kinds():
    namespace = {"kind": "Namespace", "metadata": {"name": "z"}}
    storage_class = {"kind": "StorageClass", "metadata": {"name": "a"}}
    config_map = {"kind": "ConfigMap", "metadata": {"name": "a", "namespace": "a"}}
    deployment = {"kind": "Deployment", "metadata": {"name": "a", "namespace": "a"}}
    custom = {"kind": "Certificate", "metadata": {"name": "a", "namespace": "a"}}
    shuffled = [custom, deployment, storage_class, config_map, namespace]
    assert sorted(shuffled, key=apply_order_key) == [namespace, storage_class, config_map, deployment, custom]


def test_output_json_with_stream_is_refused(capsys):
    assert stackctl.main(["render", "staging", "--out", "-", "--output", "json"]) == 2
    assert capsys.readouterr().err == ("error: --output: 'json' (`--out -` writes the YAML stream to stdout; use "
                                       "--out DIR with --output json, or --output text)\n")


def test_directory_holds_only_kubernetes_manifests_and_has_normal_permissions(tmp_path, capsys):
    out = tmp_path / "rendered"
    previous = os.umask(0o022)
    try:
        assert stackctl.main(["render", "staging", "--out", str(out)]) == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    manifest_suffixes = {".yaml", ".yml", ".json"}
    files = [path for path in out.rglob("*") if path.is_file()]
    for path in files:
        if path.suffix in manifest_suffixes:
            document = yaml.safe_load(path.read_text())
            assert document["apiVersion"] and document["kind"] and document["metadata"]["name"], path
        else:
            relative = path.relative_to(out).as_posix()
            assert relative == ".stackctl-render" or relative.startswith(".stackctl/"), relative
    assert yaml.safe_load((out / ".stackctl" / "outputs").read_text())["environment"] == "staging"
    summaries = list((out / ".stackctl" / "cloud").iterdir())
    assert len(summaries) == 41
    assert all({"type", "name", "inputs", "options"} <= set(yaml.safe_load(path.read_text())) for path in summaries)


def test_policy_manifests_on_a_render_still_reads_its_cloud_summaries(tmp_path, capsys):
    """The pack's Azure policies (Key Vault purge protection, ...) must still see a render's summaries."""
    from stackctl.manifest_scan import scan_manifests

    scan = scan_manifests(GOLDEN)
    types = {document.get("type") for document in scan.objects if "type" in document}
    assert "azure-native:keyvault:Vault" in types
    assert scan.skipped == [] and scan.unparsable == []

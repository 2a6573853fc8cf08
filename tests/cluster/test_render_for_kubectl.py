"""What `stackctl render` writes is what kubectl takes as it is, checked by the API server.

`kubectl apply --dry-run=server -R -f DIR` on a render directory (the
`.stackctl/` outputs and summaries must not be read as manifests), and
`stackctl render STACK --out - | kubectl apply --dry-run=server -f -` on the
stream (one pass, in apply order). A server-side dry run runs validation and
admission (Pod Security, strict field validation against the CRDs) without
persisting anything; it does not create a Namespace for the objects after it,
so the stack's namespaces are created first, and deleted afterwards when this
test created them (a stack the other cluster tests applied is left alone).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _namespaces(documents: list[dict]) -> list[str]:
    return [document["metadata"]["name"] for document in documents if document["kind"] == "Namespace"]


def _with_namespaces(kubectl, documents: list[dict]):
    """Create the stack's namespaces that do not exist yet; return the ones created, for deletion."""
    missing = [name for name in _namespaces(documents)
               if kubectl("get", "namespace", name, check=False).returncode != 0]
    namespace_documents = [document for document in documents
                           if document["kind"] == "Namespace" and document["metadata"]["name"] in missing]
    if namespace_documents:
        # Client-side, as the dry run that follows: it records the last-applied annotation that
        # `kubectl apply` expects to find (without it, kubectl warns).
        kubectl("apply", "-f", "-", input=yaml.safe_dump_all(namespace_documents))
    return missing


def _assert_no_warnings(proc, what: str, documents: list[dict], created: list[str]) -> None:
    """No warning, except kubectl's missing-annotation note on a namespace another test applied server-side."""
    expected = {f"Warning: resource namespaces/{name} is missing the kubectl.kubernetes.io/last-applied-configuration "
                "annotation" for name in _namespaces(documents) if name not in created}
    warnings = [line for line in proc.stderr.splitlines()
                if "warning" in line.lower() and not any(line.startswith(prefix) for prefix in expected)]
    assert warnings == [], f"{what} printed warnings:\n{proc.stderr}"


def _delete(kubectl, namespaces: list[str]) -> None:
    if namespaces:
        kubectl("delete", "namespace", *namespaces, "--ignore-not-found", "--wait=true", "--timeout=180s",
                timeout=240)


def _dry_run_lines(proc) -> list[str]:
    return [line for line in proc.stdout.splitlines() if line.endswith("(server dry run)")]


@pytest.mark.parametrize("stack_name", ["staging", "prod"])
def test_render_directory_applies_recursively_as_it_is(stack_name, kubectl, crds, renders):
    render_dir = renders[stack_name].result()
    assert (render_dir / ".stackctl" / "outputs").is_file() and (render_dir / ".stackctl" / "cloud").is_dir()
    documents = [yaml.safe_load(path.read_text()) for path in sorted(render_dir.rglob("*.yaml"))]
    created = _with_namespaces(kubectl, documents)
    try:
        proc = kubectl("apply", "--dry-run=server", "-R", "-f", str(render_dir), check=False, timeout=300)
        assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        _assert_no_warnings(proc, f"the dry run of {render_dir}", documents, created)
        assert len(_dry_run_lines(proc)) == len(documents) == 108
    finally:
        _delete(kubectl, created)


@pytest.mark.parametrize("stack_name", ["staging", "prod"])
def test_render_stream_pipes_into_kubectl_apply(stack_name, kubectl, crds):
    render = subprocess.run([sys.executable, "-m", "stackctl", "render", stack_name, "--out", "-"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert render.returncode == 0, render.stderr
    documents = [document for document in yaml.safe_load_all(render.stdout) if document]
    created = _with_namespaces(kubectl, documents)
    try:
        proc = kubectl("apply", "--dry-run=server", "-f", "-", input=render.stdout, check=False, timeout=300)
        assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        _assert_no_warnings(proc, f"the dry run of the {stack_name} stream", documents, created)
        assert len(_dry_run_lines(proc)) == len(documents) == 108
    finally:
        _delete(kubectl, created)

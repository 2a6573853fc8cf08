"""Property: whatever malformed input a verb gets, it answers with a documented exit code, no traceback,
and no change to any file outside its own output.

hypothesis mutates real inputs (the stack files, rendered manifests, kubectl
JSON) line by line and value by value, and also generates arbitrary YAML and
JSON documents. Every verb runs in-process through `stackctl.__main__.main`,
as `python -m stackctl` does. Exit 70 (internal error) fails the property:
bad input must never reach a bug.
"""
from __future__ import annotations

import contextlib
import io
import json
import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackctl import __main__ as stackctl

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "staging"
DOCUMENTED_FOR_BAD_INPUT = {0, 1, 2}
PROPERTY_SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NASTY_LINES = ["", "\t", "  \t key: value", "{{ .Values.image }}", "key: {{ .Values.x }}", ": :", "- - -", "---",
               "...", "&anchor", "*alias", "!!python/object:os.system", "%YAML 9.9", "'unterminated", "\"\\x\"",
               "key: [unclosed", "key: {a: 1, a: 2}", "platform:services: null", "platform:release: 7",
               "  platform:environment: dev", "  platform:environment: [prod]", "    replicas: 3",
               "        image: registry.example.com/sol:latest", "  platform:unknown: 1", "\x00", "ÿ", "@"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                    st.text(max_size=20), st.sampled_from(["", "sha256:", "@sha256:" + "0" * 64, "../..", "/", "-1"]))
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)


@st.composite
def mutated_text(draw, text: str) -> str:
    """`text` with a few lines replaced, deleted, duplicated or given nasty neighbours."""
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            lines = [draw(st.sampled_from(NASTY_LINES))]
            continue
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["replace", "delete", "insert", "duplicate", "retype"]))
        if action == "replace":
            lines[index] = draw(st.one_of(st.sampled_from(NASTY_LINES), st.text(max_size=30)))
        elif action == "delete":
            del lines[index]
        elif action == "insert":
            lines.insert(index, draw(st.sampled_from(NASTY_LINES)))
        elif action == "duplicate":
            lines.insert(index, lines[index])
        else:  # keep the key, change the value's type or content
            key, colon, _ = lines[index].partition(":")
            if colon:
                lines[index] = f"{key}: {json.dumps(draw(scalars))}"
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


def _snapshot(directory: Path, skip: Path | None = None) -> dict[str, bytes]:
    return {path.relative_to(directory).as_posix(): path.read_bytes()
            for path in sorted(directory.rglob("*"))
            if path.is_file() and (skip is None or not path.is_relative_to(skip))
            and "__pycache__" not in path.parts}


def _run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = stackctl.main(argv)
    return code, out.getvalue() + err.getvalue()


def _check(argv: list[str], workspace: Path, output: Path | None = None) -> None:
    repository_before = _snapshot(ROOT / "config") | {name: (ROOT / name).read_bytes()
                                                     for name in ("Pulumi.staging.yaml", "Pulumi.prod.yaml")}
    workspace_before = _snapshot(workspace, skip=output)
    code, printed = _run(argv)
    assert code in DOCUMENTED_FOR_BAD_INPUT, f"exit {code} for {argv}:\n{printed}"
    assert "Traceback" not in printed, printed
    assert _snapshot(workspace, skip=output) == workspace_before, f"{argv} changed files outside its output"
    assert (_snapshot(ROOT / "config") | {name: (ROOT / name).read_bytes()
                                          for name in ("Pulumi.staging.yaml", "Pulumi.prod.yaml")}) == repository_before


@contextlib.contextmanager
def _scratch_project():
    with tempfile.TemporaryDirectory(prefix="stackctl-property-") as directory:
        root = Path(directory)
        for name in ("__main__.py", "Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):
            shutil.copy(ROOT / name, root / name)
        shutil.copytree(ROOT / "config", root / "config")
        shutil.copytree(ROOT / "releases", root / "releases")
        yield root


STAGING = (ROOT / "Pulumi.staging.yaml").read_text()
PROD = (ROOT / "Pulumi.prod.yaml").read_text()


@PROPERTY_SETTINGS
@given(stack_text=mutated_text(STAGING))
def test_render_of_a_malformed_stack_file(stack_text):
    with _scratch_project() as root:
        (root / "Pulumi.staging.yaml").write_text(stack_text)
        out = root / "out"
        _check(["render", "staging", "--config-file", str(root / "Pulumi.staging.yaml"), "--out", str(out)],
               root, output=out)


@PROPERTY_SETTINGS
@given(stack_text=mutated_text(PROD), verb=st.sampled_from(["policy", "parity"]))
def test_policy_and_parity_of_a_malformed_stack_file(stack_text, verb):
    with _scratch_project() as root:
        (root / "Pulumi.prod.yaml").write_text(stack_text)
        argv = ["policy", "prod", "--root", str(root)] if verb == "policy" else ["parity", "staging", "prod",
                                                                                "--root", str(root)]
        _check(argv, root)


@PROPERTY_SETTINGS
@given(staging=mutated_text(STAGING), prod=mutated_text(PROD), dry_run=st.booleans())
def test_promote_between_malformed_stack_files(staging, prod, dry_run):
    with _scratch_project() as root:
        (root / "Pulumi.staging.yaml").write_text(staging)
        (root / "Pulumi.prod.yaml").write_text(prod)
        before = (root / "Pulumi.prod.yaml").read_bytes()
        code, printed = _run(["promote", "--from", "staging", "--to", "prod", "--root", str(root),
                              "--allow-dirty"] + (["--dry-run"] if dry_run else []))
        assert code in DOCUMENTED_FOR_BAD_INPUT and "Traceback" not in printed, printed
        if code != 0 or dry_run:
            assert (root / "Pulumi.prod.yaml").read_bytes() == before
        assert (root / "Pulumi.staging.yaml").read_text() == staging


GOLDEN_MANIFESTS = sorted(path for path in GOLDEN.rglob("*.yaml"))


@PROPERTY_SETTINGS
@given(files=st.lists(st.one_of(
    st.tuples(st.sampled_from(GOLDEN_MANIFESTS).flatmap(lambda path: mutated_text(path.read_text())),
              st.sampled_from([".yaml", ".yml"])),
    st.tuples(documents.map(lambda value: yaml.safe_dump_all([value, value])), st.just(".yaml")),
    st.tuples(documents.map(json.dumps), st.just(".json")),
    st.tuples(st.text(max_size=60), st.sampled_from([".yaml", ".json", ".txt"])),
), min_size=1, max_size=4))
def test_policy_on_a_directory_of_malformed_manifests(files):
    with tempfile.TemporaryDirectory(prefix="stackctl-property-") as directory:
        workspace = Path(directory)
        for index, (text, suffix) in enumerate(files):
            (workspace / f"file{index}{suffix}").write_text(text, encoding="utf-8", errors="surrogatepass")
        _check(["policy", "--manifests", str(workspace)], workspace)
        _check(["policy", "--manifests", str(workspace / f"file0{files[0][1]}")], workspace)


LIVE = {"apiVersion": "v1", "kind": "List",
        "items": [yaml.safe_load(path.read_text()) for path in sorted(GOLDEN.rglob("Deployment-*.yaml"))]}


@PROPERTY_SETTINGS
@given(live=st.one_of(
    documents.map(json.dumps),
    mutated_text(json.dumps(LIVE, indent=1)),
    st.text(max_size=80),
))
def test_drift_on_malformed_live_json(live):
    with tempfile.TemporaryDirectory(prefix="stackctl-property-") as directory:
        workspace = Path(directory)
        (workspace / "live.json").write_text(live, encoding="utf-8", errors="surrogatepass")
        _check(["drift", "staging", "--live", str(workspace / "live.json")], workspace)

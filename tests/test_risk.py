"""`stackctl risk`: the four sections and the collapsed diffs, on offline renders and preview JSON.

The offline scenario starts from prod's golden render and makes, in one
change, the four kinds of edit a reviewer must see: a promoted digest (with
its ledger entry and verification), a claim whose access mode changes (a
replacement), a Vault policy that gains a capability, and a NetworkPolicy
that gains an egress allow. The summary is compared with a golden file;
refresh it with `STACKCTL_REFRESH_RISK_GOLDEN=1 pytest tests/test_risk.py`
and review the diff.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from stackctl.risk import (
    Evidence,
    changes_between_renders,
    changes_from_preview,
    privilege_widened,
    read_render,
    risk_summary,
    vault_capabilities,
)
from verification_records import record_verification

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "risk"
SOL_NOW = "registry.sunbeam.pt/studio/sol@sha256:be539f2bd0ce7b4a99a4dd1ebe22954331a5e1cb7f53152f95e7315914eb0317"
SOL_NEXT = "registry.sunbeam.pt/studio/sol@sha256:" + "a" * 64


def edit_yaml(path: Path, change) -> None:
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def compare_with_golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("STACKCTL_REFRESH_RISK_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text(), f"{golden} differs; refresh with STACKCTL_REFRESH_RISK_GOLDEN=1 and review"


@pytest.fixture
def renders(tmp_path) -> tuple[Path, Path, Path]:
    """(before, after, project): prod's golden render, the changed copy, and a project holding the evidence."""
    before, after = tmp_path / "before", tmp_path / "after"
    shutil.copytree(ROOT / "tests" / "golden" / "prod", before)
    shutil.copytree(before, after)
    deployment = after / "matrix" / "Deployment-sol.yaml"
    deployment.write_text(deployment.read_text().replace(SOL_NOW, SOL_NEXT))
    edit_yaml(after / "matrix" / "PersistentVolumeClaim-sol-data.yaml",
              lambda claim: claim["spec"].update(accessModes=["ReadWriteOnce"]))
    edit_yaml(after / ".stackctl" / "cloud" / "vault-index-policy-Policy--sol-policy",
              lambda policy: policy["inputs"].update(policy=policy["inputs"]["policy"].replace(
                  '["read"]', '["read", "list"]', 1)))
    edit_yaml(after / "matrix" / "NetworkPolicy-sol-egress.yaml",
              lambda policy: policy["spec"]["egress"].append(
                  {"ports": [{"port": 5432, "protocol": "TCP"}],
                   "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "data"}}}]}))
    project = tmp_path / "project"
    shutil.copytree(ROOT / "releases", project / "releases")
    ledger = project / "releases" / "staging-verified.yaml"
    ledger.write_text(ledger.read_text() + (
        f"  - component: sol\n    image: {SOL_NEXT}\n    version: \"1.5.0\"\n    stack: staging\n    update: 7\n"
        "    deployedAt: \"2026-11-20T10:02:00Z\"\n    evidence: stackctl promote --verify-against a --history b\n"))
    record_verification(project, {"sol": SOL_NEXT}, datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc),
                        datetime(2026, 11, 20, 10, 2, tzinfo=timezone.utc))
    return before, after, project


def test_offline_renders_summary_is_the_golden_file(renders):
    before, after, project = renders
    completed = subprocess.run(
        [sys.executable, "-m", "stackctl", "risk", "prod", "--before", str(before), "--after", str(after),
         "--ledger", str(project / "releases" / "staging-verified.yaml"),
         "--verifications", str(project / "releases" / "staging-verifications.yaml")],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    compare_with_golden("prod-offline-renders.md", completed.stdout)
    summary = completed.stdout
    # The four findings, each in its own section (the golden file holds the exact text).
    sections = summary.split("### ")
    data, downtime, privilege, promotion = sections[1], sections[2], sections[3], sections[4]
    assert "claim `matrix/sol-data` is **replaced**" in data and '["ReadWriteOncePod"] -> ["ReadWriteOnce"]' in data
    assert "Deployment matrix/sol (single writer, `Recreate`): **outage**" in downtime
    assert "gains `list` on `secret/data/sol`" in privilege
    assert "NetworkPolicy `matrix/sol-egress` allows new egress" in privilege and "5432" in privilege
    assert f"`{SOL_NOW}` -> `{SOL_NEXT}`" in promotion and "update 7" in promotion and "verified passed" in promotion
    assert summary.count("<details>") == 4


def test_an_unchanged_render_has_four_empty_sections(renders):
    before, _, _ = renders
    summary = risk_summary("prod", changes_between_renders(read_render(before, "--before"),
                                                           read_render(before, "--after")), Evidence([], []), "x")
    assert summary.count("\nnone\n") == 5


def test_a_digest_without_evidence_says_so(renders):
    before, after, _ = renders
    changes = changes_between_renders(read_render(before, "--before"), read_render(after, "--after"))
    summary = risk_summary("prod", changes, Evidence([], []), "offline renders")
    assert "ledger: **no entry** (prod's provenance gate refuses it); **no verification**" in summary


def test_secret_values_never_reach_the_diff(renders):
    before, after, _ = renders
    secret = after / "matrix" / "Secret-sol-vault-ca.yaml"
    edit_yaml(secret, lambda document: document.setdefault("data", {}).update({"token": "c3VwZXJzZWNyZXQ="}))
    changes = changes_between_renders(read_render(before, "--before"), read_render(after, "--after"))
    summary = risk_summary("prod", changes, Evidence([], []), "offline renders")
    assert "c3VwZXJzZWNyZXQ=" not in summary and "token: (value not shown)" in summary


def test_vault_capabilities_and_rbac_widening():
    assert vault_capabilities('path "a" {\n  capabilities = ["read", "list"]\n}\npath "b" { capabilities = [] }') \
        == {("a", "read"), ("a", "list")}
    from stackctl.risk import ObjectChange

    role = {"kind": "Role", "rules": [{"verbs": ["get"], "resources": ["pods"]}]}
    wider = {"kind": "Role", "rules": role["rules"] + [{"verbs": ["create"], "resources": ["pods/exec"]}]}
    binding = {"roleRef": {"kind": "Role", "name": "r"}, "subjects": [{"kind": "ServiceAccount", "name": "a"}]}
    more = {**binding, "subjects": binding["subjects"] + [{"kind": "Group", "name": "everyone"}]}
    assert privilege_widened([
        ObjectChange("kubernetes:rbac.authorization.k8s.io/v1:Role", "ns/r", "update", role, wider),
        ObjectChange("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "ns/b", "update", binding, more),
        ObjectChange("kubernetes:rbac.authorization.k8s.io/v1:Role", "ns/r", "update", wider, role),
    ]) == [
        'Role ns/r gains rule `{"resources": ["pods/exec"], "verbs": ["create"]}`',
        'RoleBinding ns/b binds `{"kind": "Role", "name": "r"}` to `{"kind": "Group", "name": "everyone"}`',
    ]


def preview_step(op, resource_type, urn_name, old, new):
    urn = f"urn:pulumi:prod::platform::{resource_type}::{urn_name}"
    step = {"op": op, "urn": urn}
    if old is not None:
        step["oldState"] = {"urn": urn, "type": resource_type, "inputs": old}
    if new is not None:
        step["newState"] = {"urn": urn, "type": resource_type, "inputs": new}
    return step


def test_preview_json_steps_become_changes_and_a_replacement_is_one_change(renders):
    before, after, _ = renders
    old_claim = yaml.safe_load((before / "matrix" / "PersistentVolumeClaim-sol-data.yaml").read_text())
    new_claim = yaml.safe_load((after / "matrix" / "PersistentVolumeClaim-sol-data.yaml").read_text())
    claim_type = "kubernetes:core/v1:PersistentVolumeClaim"
    preview = {"steps": [
        {"op": "same", "urn": "urn:pulumi:prod::platform::pulumi:pulumi:Stack::platform-prod"},
        preview_step("create-replacement", claim_type, "sol-data", old_claim, new_claim),
        preview_step("replace", claim_type, "sol-data", old_claim, new_claim),
        preview_step("delete-replaced", claim_type, "sol-data", old_claim, None),
        preview_step("create", "azure-native:authorization:RoleAssignment", "sol-extra",
                     None, {"roleDefinitionId": "/providers/x/roleDefinitions/owner", "scope": "/subscriptions/s",
                            "principalId": "p"}),
    ]}
    changes = changes_from_preview(preview, "preview.json")
    assert [(c.kind, c.name, c.op) for c in changes] == [
        ("RoleAssignment", "sol-extra", "create"), ("PersistentVolumeClaim", "matrix/sol-data", "replace")]
    summary = risk_summary("prod", changes, Evidence([], []), "pulumi preview")
    assert "claim `matrix/sol-data` is **replaced**" in summary
    assert "Azure role assignment `sol-extra` (new): role `owner` on scope `/subscriptions/s`" in summary


def test_a_replacement_the_engine_refused_is_data_at_risk_and_says_refused(renders):
    """The engine's preview of a protected claim's replacement: the steps, and an error diagnostic on the
    claim's URN (the shape tests/e2e records from the engine; its golden is staging-engine-claim-access-mode-change.md).
    The same diagnostic on another URN, or a warning, refuses nothing."""
    before, after, _ = renders
    old_claim = yaml.safe_load((before / "matrix" / "PersistentVolumeClaim-sol-data.yaml").read_text())
    new_claim = yaml.safe_load((after / "matrix" / "PersistentVolumeClaim-sol-data.yaml").read_text())
    claim_type = "kubernetes:core/v1:PersistentVolumeClaim"
    steps = [preview_step(op, claim_type, "sol-data", old_claim, None if op == "delete-replaced" else new_claim)
             for op in ("delete-replaced", "replace", "create-replacement")]
    urn = steps[0]["urn"]
    refusal = (f'error: unable to replace resource "{urn}"\nas it is currently marked for protection. To unprotect '
               "the resource, remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`")
    for diagnostics, refused in (([{"urn": urn, "message": refusal, "severity": "error"}], True),
                                 ([{"urn": urn + "-other", "message": refusal, "severity": "error"},
                                   {"urn": urn, "message": refusal, "severity": "warning"}], False)):
        (change,) = changes_from_preview({"steps": steps, "diagnostics": diagnostics}, "preview.json")
        assert (change.op, change.refused) == ("replace", refused)
        summary = risk_summary("prod", [change], Evidence([], []), "pulumi preview")
        line = next(line for line in summary.splitlines() if "claim `matrix/sol-data`" in line)
        assert line.startswith("- claim `matrix/sol-data` would be **replaced**" if refused
                               else "- claim `matrix/sol-data` is **replaced**"), line
        assert ("the engine **refused** it: the resource is protected" in line) is refused, line


def test_bad_input_exits_2_naming_the_flag(tmp_path):
    (tmp_path / "p.json").write_text(json.dumps({"nope": 1}))
    for argv, flag in ((["--preview", str(tmp_path / "p.json")], "--preview"),
                       (["--before", str(tmp_path / "missing"), "--after", str(tmp_path)], "--before"),
                       (["--before", str(tmp_path)], "--before")):
        completed = subprocess.run([sys.executable, "-m", "stackctl", "risk", "prod", *argv], cwd=ROOT,
                                   capture_output=True, text=True, timeout=60)
        assert completed.returncode == 2, completed.stderr
        assert completed.stderr.startswith(f"error: {flag}: "), completed.stderr


def test_json_output_has_the_sections_and_validates(renders):
    import jsonschema

    from stackctl.output_formats import schema_path

    before, after, project = renders
    completed = subprocess.run(
        [sys.executable, "-m", "stackctl", "risk", "prod", "--before", str(before), "--after", str(after),
         "--ledger", str(project / "releases" / "staging-verified.yaml"),
         "--verifications", str(project / "releases" / "staging-verifications.yaml"), "--output", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    jsonschema.validate(document, json.loads(schema_path("risk").read_text()))
    assert len(document["changes"]) == 4 and document["source"] == "offline renders"
    assert any("gains `list` on `secret/data/sol`" in line for line in document["privilegeWidened"])
    assert document["markdown"].count("<details>") == 4

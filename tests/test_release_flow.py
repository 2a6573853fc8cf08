"""The release flow across pull requests, offline: each scenario of a release, end to end.

The provenance gate admits a prod image only if the release ledger
(`releases/staging-verified.yaml`) records that staging ran it, within the
newest `retainedReleases` entries of that component, or if an override in
the prod stack file names it with a reason. Each scenario runs the real
verbs on a scratch copy of the project: render and policy of both stacks,
parity, and promote with staging's evidence files.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from config_models.base import ConfigError
from config_models.release_ledger import ReleaseLedger, read_ledger
from stack_checks.release_provenance import provenance_problems
from verification_records import record_verification
from stackctl.engine_workspace import PROGRAM_PACKAGES

ROOT = Path(__file__).resolve().parent.parent
SOL_NOW = "registry.sunbeam.pt/studio/sol@sha256:be539f2bd0ce7b4a99a4dd1ebe22954331a5e1cb7f53152f95e7315914eb0317"
SOL_NEXT = "registry.sunbeam.pt/studio/sol@sha256:" + "a" * 64
SOL_NEVER = "registry.sunbeam.pt/studio/sol@sha256:" + "f" * 64


def stackctl(project: Path, *argv: str) -> subprocess.CompletedProcess:
    completed = subprocess.run([sys.executable, "-m", "stackctl", *argv], cwd=project, capture_output=True,
                               text=True, timeout=300)
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def every_check_passes(project: Path) -> None:
    """What scripts/test runs on each stack, and parity, on the scratch project.

    The render goes where the golden files live, so each state also shows
    that the goldens refresh (a second call in one test replaces the first render).
    """
    for stack in ("staging", "prod"):
        rendered = stackctl(project, "render", stack, "--out", str(project / "tests" / "golden" / stack))
        assert rendered.returncode == 0, rendered.stderr
        checked = stackctl(project, "policy", stack)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    parity = stackctl(project, "parity", "staging", "prod")
    assert parity.returncode == 0, parity.stderr


def bump(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def evidence(project: Path, image: str, ended: str = "2026-11-20T10:02:00.000Z", version: int = 7) -> list[str]:
    """Staging's `pulumi stack output --json` and `pulumi stack history --json` after it deployed `image`,
    and the green `stackctl verify staging` that followed (prod's verification gate reads it)."""
    moment = datetime.fromisoformat(ended.replace("Z", "+00:00"))
    record_verification(project, {"sol": image}, verified_at=moment + timedelta(minutes=5),
                        update_ended_at=moment, update=version)
    (project / "staging-outputs.json").write_text(json.dumps(
        {"environment": "staging", "releaseDigests": {"sol": image}}))
    (project / "staging-history.json").write_text(json.dumps([
        {"version": version, "kind": "update", "startTime": ended.replace("10:02", "10:00"), "endTime": ended,
         "result": "succeeded", "resourceChanges": {"update": 1, "same": 34}}]))
    return ["--verify-against", str(project / "staging-outputs.json"),
            "--history", str(project / "staging-history.json")]


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the whole project (code, stacks, ledger), so every verb runs on it as on a checkout."""
    import shutil

    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("__main__.py", "Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):
        shutil.copy(ROOT / name, copy / name)
    ignore = shutil.ignore_patterns("venv", "__pycache__", "corpus")
    for name in (*PROGRAM_PACKAGES, "stackctl", "policies", "config", "releases"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    return copy


def test_a_staging_only_release_pr_passes_every_check_of_both_stacks(project):
    bump(project / "Pulumi.staging.yaml", SOL_NOW, SOL_NEXT)
    every_check_passes(project)


def test_a_prod_change_touching_no_image_passes_while_staging_runs_newer(project):
    bump(project / "Pulumi.staging.yaml", SOL_NOW, SOL_NEXT)
    prod = project / "Pulumi.prod.yaml"
    text = prod.read_text()
    assert text.count("memory: 512Mi") >= 1
    prod.write_text(text.replace("memory: 512Mi", "memory: 640Mi", 1))
    every_check_passes(project)


def test_promotion_of_stagings_digest_records_it_and_passes(project):
    bump(project / "Pulumi.staging.yaml", SOL_NOW, SOL_NEXT)
    promoted = stackctl(project, "promote", "--from", "staging", "--to", "prod", "--only", "sol",
                        *evidence(project, SOL_NEXT))
    assert promoted.returncode == 0, promoted.stderr
    assert f"+        image: {SOL_NEXT}" in promoted.stdout
    assert f'+    image: "{SOL_NEXT}"' in promoted.stdout  # the ledger entry, in the same diff
    newest = read_ledger(project / "releases" / "staging-verified.yaml").releases[-1]
    assert (newest.component, newest.image, newest.update, newest.deployed_at) == (
        "sol", SOL_NEXT, 7, "2026-11-20T10:02:00Z")
    every_check_passes(project)


def test_a_hand_edited_prod_digest_staging_never_ran_fails_naming_component_and_digest(project):
    bump(project / "Pulumi.prod.yaml", SOL_NOW, SOL_NEVER)
    rendered = stackctl(project, "render", "prod", "--out", str(project / "out"))
    assert rendered.returncode == 2
    assert rendered.stderr == (
        f"error: provenance gate: release.images.sol.image: '{SOL_NEVER}': staging never ran it "
        "(releases/staging-verified.yaml has no entry for it) (promote it from staging with `stackctl promote`; "
        "for an emergency, add release.promotionGate.overrides.sol: {image: <this image>, reason: <why>})\n"
        "invalid config in Pulumi.prod.yaml; nothing was rendered (1 problem)\n")
    assert not (project / "out").exists()
    for argv in (["policy", "prod"], ["parity", "staging", "prod"]):
        completed = stackctl(project, *argv)
        assert completed.returncode == 2 and "staging never ran it" in completed.stderr


def test_an_emergency_rollback_to_the_previous_release_passes_in_one_pr(project):
    # Release 1 (SOL_NOW) then release 2 (SOL_NEXT) went staging -> prod; staging has moved on to a third.
    bump(project / "Pulumi.staging.yaml", SOL_NOW, SOL_NEXT)
    assert stackctl(project, "promote", "--from", "staging", "--to", "prod", "--only", "sol",
                    *evidence(project, SOL_NEXT)).returncode == 0
    third = "registry.sunbeam.pt/studio/sol@sha256:" + "b" * 64
    bump(project / "Pulumi.staging.yaml", SOL_NEXT, third)
    # The rollback PR: prod back to release 1 (what `git revert` of the promotion commit does to prod's line).
    bump(project / "Pulumi.prod.yaml", SOL_NEXT, SOL_NOW)
    every_check_passes(project)


def test_a_rollback_beyond_retention_needs_an_override_visible_in_the_diff(project):
    prod = project / "Pulumi.prod.yaml"
    bump(prod, "      ledger: releases/staging-verified.yaml\n",
         "      ledger: releases/staging-verified.yaml\n      retainedReleases: 1\n")
    bump(project / "Pulumi.staging.yaml", SOL_NOW, SOL_NEXT)
    assert stackctl(project, "promote", "--from", "staging", "--to", "prod", "--only", "sol",
                    *evidence(project, SOL_NEXT)).returncode == 0
    bump(prod, SOL_NEXT, SOL_NOW)
    refused = stackctl(project, "render", "prod", "--out", str(project / "out"))
    assert refused.returncode == 2
    assert (f"release.images.sol.image: '{SOL_NOW}': staging ran it, but not among the last 1 releases of "
            "'sol' in releases/staging-verified.yaml") in refused.stderr
    bump(prod, "      retainedReleases: 1\n",
         "      retainedReleases: 1\n      overrides:\n        sol:\n"
         f"          image: {SOL_NOW}\n          reason: INC-2041 release 2 corrupts the sync token\n")
    allowed = stackctl(project, "render", "prod", "--out", str(project / "out"))
    assert allowed.returncode == 0, allowed.stderr
    assert (f"warning: release.promotionGate.overrides.sol: the provenance gate is overridden for '{SOL_NOW}'; "
            "reason: INC-2041 release 2 corrupts the sync token") in allowed.stderr


def test_golden_files_refresh_in_each_state(project):
    bump(project / "Pulumi.staging.yaml", SOL_NOW, SOL_NEXT)
    for stack in ("staging", "prod"):
        out = project / "tests" / "golden" / stack
        assert stackctl(project, "render", stack, "--out", str(out)).returncode == 0
        assert stackctl(project, "render", stack, "--out", str(out)).returncode == 0  # a refresh replaces it
    assert SOL_NEXT in (project / "tests" / "golden" / "staging" / ".stackctl" / "outputs").read_text()
    assert SOL_NOW in (project / "tests" / "golden" / "prod" / ".stackctl" / "outputs").read_text()


def test_promote_refuses_without_evidence_when_the_ledger_gates_prod(project):
    bump(project / "Pulumi.staging.yaml", SOL_NOW, SOL_NEXT)
    before = (project / "Pulumi.prod.yaml").read_bytes(), (project / "releases" / "staging-verified.yaml").read_bytes()
    refused = stackctl(project, "promote", "--from", "staging", "--to", "prod", "--min-soak-hours", "24")
    assert refused.returncode == 2
    assert "pass --verify-against and --history" in refused.stderr
    assert ((project / "Pulumi.prod.yaml").read_bytes(),
            (project / "releases" / "staging-verified.yaml").read_bytes()) == before


def test_prod_without_a_ledger_is_refused(project):
    bump(project / "Pulumi.prod.yaml", "      ledger: releases/staging-verified.yaml\n", "")
    completed = stackctl(project, "render", "prod", "--out", str(project / "out"))
    assert completed.returncode == 2
    assert ("release.promotionGate.ledger: required in prod (prod may only run images staging ran; point it at "
            "releases/staging-verified.yaml)") in completed.stderr


def test_retention_counts_distinct_images_newest_first():
    entries = [{"component": "sol", "image": image, "stack": "staging", "deployedAt": "2026-01-01T00:00:00Z",
                "evidence": "test"} for image in (SOL_NOW, SOL_NEXT, SOL_NOW)]
    ledger = ReleaseLedger.model_validate({"releases": entries})
    assert provenance_problems({"sol": SOL_NOW}, ledger, 1, {}, "ledger.yaml") == []
    assert provenance_problems({"sol": SOL_NEXT}, ledger, 2, {}, "ledger.yaml") == []
    assert len(provenance_problems({"sol": SOL_NEXT}, ledger, 1, {}, "ledger.yaml")) == 1


def test_a_malformed_ledger_is_a_config_error_naming_the_entry(tmp_path):
    (tmp_path / "ledger.yaml").write_text("releases:\n  - component: sol\n    image: sol:latest\n")
    with pytest.raises(ConfigError) as caught:
        read_ledger(tmp_path / "ledger.yaml")
    assert caught.value.problems == [
        "ledger.yaml.releases[0].image: 'sol:latest' must be pinned by digest (registry/repo@sha256:<64 hex>)",
        "ledger.yaml.releases[0].stack: required key is missing",
        "ledger.yaml.releases[0].deployedAt: required key is missing",
        "ledger.yaml.releases[0].evidence: required key is missing",
    ]


def _all_staging_evidence(project: Path) -> list[str]:
    """Staging's outputs exporting every image it pins (a real `pulumi stack output --json` does)."""
    import yaml

    images = yaml.safe_load((project / "Pulumi.staging.yaml").read_text())["config"]["platform:release"]["images"]
    flags = evidence(project, SOL_NOW)
    (project / "staging-outputs.json").write_text(json.dumps(
        {"environment": "staging", "releaseDigests": {name: entry["image"] for name, entry in images.items()}}))
    return flags


def test_a_missing_ledger_has_a_way_forward(project):
    ledger = project / "releases" / "staging-verified.yaml"
    ledger.unlink()
    refused = stackctl(project, "render", "prod", "--out", str(project / "out"))
    assert refused.returncode == 2
    assert "stackctl promote --from staging --to prod --seed-ledger" in refused.stderr, refused.stderr
    # A plain promote has nothing to change, so it cannot start the ledger: the dead end the flag removes.
    seeded = stackctl(project, "promote", "--from", "staging", "--to", "prod", "--seed-ledger",
                      *_all_staging_evidence(project))
    assert seeded.returncode == 0, seeded.stderr
    assert "seeded releases/staging-verified.yaml; commit it, then promote staging -> prod as usual" in seeded.stdout
    entries = read_ledger(ledger).releases
    assert {entry.component for entry in entries} >= {"sol", "forge", "chat", "memql-identity", "busybox"}
    assert all(entry.stack == "staging" and entry.update == 7 for entry in entries)
    rendered = stackctl(project, "render", "prod", "--out", str(project / "out"))
    assert rendered.returncode == 0, rendered.stderr
    again = stackctl(project, "promote", "--from", "staging", "--to", "prod", "--seed-ledger",
                     *_all_staging_evidence(project))
    assert again.returncode == 2
    assert ("--seed-ledger: releases/staging-verified.yaml exists already; seeding only starts a missing ledger "
            "(promote as usual)") in again.stderr


def test_seeding_with_json_output_names_the_ledger_and_validates(project):
    import jsonschema

    from stackctl.output_formats import schema_path

    ledger = project / "releases" / "staging-verified.yaml"
    ledger.unlink()
    prod_before = (project / "Pulumi.prod.yaml").read_bytes()
    seeded = stackctl(project, "promote", "--from", "staging", "--to", "prod", "--seed-ledger", "--output", "json",
                      *_all_staging_evidence(project))
    assert seeded.returncode == 0, seeded.stderr
    document = json.loads(seeded.stdout)
    jsonschema.validate(document, json.loads(schema_path("promote").read_text()))
    assert (document["ledger"], document["written"], document["changes"]) == ("releases/staging-verified.yaml",
                                                                                True, [])
    assert read_ledger(ledger).releases and (project / "Pulumi.prod.yaml").read_bytes() == prod_before


def test_seeding_records_only_what_staging_is_shown_to_run(project):
    (project / "releases" / "staging-verified.yaml").unlink()
    refused = stackctl(project, "promote", "--from", "staging", "--to", "prod", "--seed-ledger",
                       *evidence(project, SOL_NOW))  # staging's outputs name sol only
    assert refused.returncode == 2
    assert "component 'busybox': staging has not deployed it" in refused.stderr
    assert not (project / "releases" / "staging-verified.yaml").exists()


def test_an_unwritable_commit_message_file_changes_nothing(project):
    bump(project / "Pulumi.staging.yaml", SOL_NOW, SOL_NEXT)
    prod, ledger = project / "Pulumi.prod.yaml", project / "releases" / "staging-verified.yaml"
    evidence_flags = evidence(project, SOL_NEXT)
    before = prod.read_bytes(), ledger.read_bytes()
    # releases/ also holds the verification records evidence() wrote; no temporary file may stay beside them.
    releases_before = sorted(path.name for path in ledger.parent.iterdir())
    message_file = project / "no-such-directory" / "message.txt"
    refused = stackctl(project, "promote", "--from", "staging", "--to", "prod", "--only", "sol",
                       *evidence_flags, "--commit-message-file", str(message_file))
    assert refused.returncode == 2
    assert refused.stderr == (
        f"error: {message_file}: cannot be written (No such file or directory); nothing was written (choose a "
        "writable path)\n"
        "not promoting staging -> prod; Pulumi.prod.yaml is unchanged (1 problem)\n")
    assert (prod.read_bytes(), ledger.read_bytes()) == before
    assert sorted(path.name for path in prod.parent.iterdir() if path.name.endswith(".promote")) == []
    assert sorted(path.name for path in ledger.parent.iterdir()) == releases_before

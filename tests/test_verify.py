"""`stackctl verify` and the promotion gate on its records: offline scenarios.

The live side is kubectl JSON built from the stack's own render, made
healthy (or not) one field at a time, so each test shows which fact turns a
verification red. Every check runs; a check that cannot run fails.
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from config_models.base import ConfigError
from config_models.smoke_check import SmokeCheckJob, SmokeCheckSpec
from stackctl.promotion.release_promotion import promote_release
from stackctl.promotion.stack_file import PromotionRefused
from stackctl.verification_record import read_records, record_path, verification_problems
from stackctl.verify import (
    LiveState,
    SmokeCheckPlan,
    live_from_cluster,
    run_job_check,
    verify_stack,
)
from verification_records import record_verification

ROOT = Path(__file__).resolve().parent.parent
ENDED = datetime(2026, 11, 20, 10, 2, tzinfo=timezone.utc)
HISTORY = [{"version": 7, "kind": "update", "startTime": "2026-11-20T10:00:00.000Z",
            "endTime": "2026-11-20T10:02:00.000Z", "result": "succeeded"}]
SOL_NEXT = "registry.sunbeam.pt/studio/sol@sha256:" + "a" * 64


@pytest.fixture(scope="module")
def rendered() -> list[dict]:
    from stackctl.render import collect_resources

    return [r.inputs for r in collect_resources("staging").resources
            if r.type.startswith("kubernetes:")
            and r.inputs.get("kind") in ("Deployment", "StatefulSet", "Job", "VaultStaticSecret", "ExternalSecret")]


def healthy_live(rendered: list[dict]) -> list[dict]:
    """What a healthy cluster returns for the rendered objects: rollouts done, syncs done, Secrets there."""
    items = []
    for document in rendered:
        live = copy.deepcopy(document)
        live["metadata"]["generation"] = 3
        if live["kind"] in ("Deployment", "StatefulSet"):
            replicas = live["spec"].get("replicas", 1)
            live["status"] = {"observedGeneration": 3, "updatedReplicas": replicas, "availableReplicas": replicas,
                              "readyReplicas": replicas}
        elif live["kind"] == "Job":
            live["status"] = {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
        else:
            spec = live["spec"]
            target = (spec.get("destination") or spec.get("target") or {}).get("name") or live["metadata"]["name"]
            keys = live["metadata"]["annotations"]["stackctl/provided-keys"].split(",")
            live["status"] = ({"lastGeneration": 3, "secretMAC": "x"} if live["kind"] == "VaultStaticSecret"
                              else {"conditions": [{"type": "Ready", "status": "True", "reason": "SecretSynced"}]})
            items.append({"apiVersion": "v1", "kind": "Secret", "metadata": {
                "name": target, "namespace": live["metadata"]["namespace"]}, "data": {key: "eA==" for key in keys}})
        items.append(live)
    return items


def state(items: list[dict], unreadable: dict | None = None) -> LiveState:
    from stackctl.drift import live_objects

    return LiveState(live_objects({"kind": "List", "items": items}, "test"), unreadable or {})


def digests() -> dict[str, str]:
    from stackctl.promotion.stack_file import read_stack_file

    return {name: entry.image for name, entry in read_stack_file(ROOT, "staging").images.items()}


def run_verify(rendered, items, plans=(), unreadable=None, history=HISTORY):
    return verify_stack("staging", ROOT, rendered, state(items, unreadable), history, "--history", digests(),
                        list(plans), kubectl=None, now=lambda: ENDED + timedelta(minutes=30))


def command_check(*command: str, name: str = "answers") -> SmokeCheckPlan:
    return SmokeCheckPlan("sol", "matrix", SmokeCheckSpec(name=name, command=list(command), timeout_seconds=20))


def failures(record) -> list[str]:
    return [f"{check.name}: {check.detail}" for check in record.checks if check.result != "passed"]


# --- verify -------------------------------------------------------------------

def test_green_every_check_runs_and_passes(rendered):
    record = run_verify(rendered, healthy_live(rendered), [command_check(sys.executable, "-c", "print('ok')")])
    assert failures(record) == []
    assert record.result == "passed"
    kinds = [check.kind for check in record.checks]
    # 1 update + 9 Deployments and 1 migration Job + 9 secret syncs + 1 smoke check, none skipped.
    assert (kinds.count("staging-update"), kinds.count("rollout"), kinds.count("secret"), kinds.count("smoke")) \
        == (1, 10, 9, 1)
    assert record.update == 7 and record.update_ended_at == "2026-11-20T10:02:00Z"
    assert record.digests["sol"] == digests()["sol"]


def test_red_a_workload_running_another_digest_and_a_stuck_rollout(rendered):
    items = healthy_live(rendered)
    sol = next(i for i in items if i["kind"] == "Deployment" and i["metadata"]["name"] == "sol")
    sol["spec"]["template"]["spec"]["containers"][0]["image"] = SOL_NEXT
    bff = next(i for i in items if i["kind"] == "Deployment" and i["metadata"]["name"] == "memql-bff")
    bff["status"]["availableReplicas"] = 1
    migration = next(i for i in items if i["kind"] == "Job")
    migration["status"] = {"failed": 1, "conditions": [{"type": "Failed", "status": "True"}]}
    record = run_verify(rendered, items)
    assert record.result == "failed"
    problems = failures(record)
    assert len(problems) == 3
    assert problems[2] == (f"rollout Job memql/{migration['metadata']['name']}: Job memql/"
                           f"{migration['metadata']['name']}: not complete")
    assert problems[0].startswith("rollout Deployment matrix/sol: Deployment matrix/sol containers/sol: runs "
                                  f"{SOL_NEXT}, release pins ")
    assert problems[1] == "rollout Deployment memql/memql-bff: Deployment memql/memql-bff: availableReplicas 1 of 2"



def test_red_secrets_not_synced_missing_or_lacking_a_key(rendered):
    items = healthy_live(rendered)
    vault = next(i for i in items if i["kind"] == "VaultStaticSecret" and i["metadata"]["name"] == "sol-secrets")
    vault["status"]["lastGeneration"] = 2
    external = next(i for i in items if i["kind"] == "ExternalSecret" and i["metadata"]["name"] == "forge-secrets")
    external["status"]["conditions"][0].update(status="False", reason="SecretSyncedError", message="403 from vault")
    items = [i for i in items if not (i["kind"] == "Secret" and i["metadata"]["name"] == "chat-secrets")]
    memql = next(i for i in items if i["kind"] == "Secret" and i["metadata"]["name"] == "memql-bff-secrets")
    del memql["data"]["MEMQL_MASTER_KEY"]
    assert failures(run_verify(rendered, items)) == [
        "secret forge/forge-secrets (ExternalSecret forge-secrets): not Ready (SecretSyncedError: 403 from vault)",
        "secret memql/memql-bff-secrets (ExternalSecret memql-bff-secrets): Secret memql/memql-bff-secrets lacks "
        "keys ['MEMQL_MASTER_KEY']",
        "secret chat/chat-secrets (VaultStaticSecret chat-secrets): Secret chat/chat-secrets does not exist",
        "secret matrix/sol-secrets (VaultStaticSecret sol-secrets): not synced at generation 3 "
        "(status.lastGeneration 2)",
    ]


def test_a_check_that_cannot_run_fails_it_is_never_skipped(rendered):
    job = SmokeCheckPlan("memql-bff", "memql", SmokeCheckSpec(
        name="deep-gate", job=SmokeCheckJob(image="memql-bff", command=["./gate", "--deep"])), digests()["memql-bff"])
    record = run_verify(rendered, healthy_live(rendered),
                        [command_check("scripts/no-such-smoke-test", name="missing"), job],
                        unreadable={"VaultStaticSecret": "the server doesn't have a resource type "
                                                         "\"vaultstaticsecrets\""})
    assert record.result == "failed"
    assert failures(record) == [
        "secret chat/chat-secrets (VaultStaticSecret chat-secrets): could not list VaultStaticSecrets: the server "
        "doesn't have a resource type \"vaultstaticsecrets\"",
        "secret matrix/sol-secrets (VaultStaticSecret sol-secrets): could not list VaultStaticSecrets: the server "
        "doesn't have a resource type \"vaultstaticsecrets\"",
        "smoke sol/missing: cannot run: 'scripts/no-such-smoke-test' not found (a check that cannot run fails)",
        "smoke memql-bff/deep-gate: an in-cluster Job needs the cluster, and the live state came from a file "
        "(run with --kubectl; a check that cannot run fails)",
    ]
    assert not [check for check in record.checks if check.result not in ("passed", "failed")]


def test_a_failing_smoke_command_and_a_timeout_fail_with_their_reason(rendered):
    slow = SmokeCheckPlan("sol", "matrix", SmokeCheckSpec(
        name="slow", command=[sys.executable, "-c", "import time; time.sleep(5)"], timeout_seconds=1))
    record = run_verify(rendered, healthy_live(rendered), [
        command_check(sys.executable, "-c", "import sys; print('login page 502', file=sys.stderr); sys.exit(3)"),
        slow])
    assert failures(record) == ["smoke sol/answers: exit 3: login page 502",
                                "smoke sol/slow: still running after 1 s (timeoutSeconds)"]


def test_the_newest_update_failed_is_a_failed_check(rendered):
    history = HISTORY + [{"version": 8, "kind": "update", "startTime": "2026-11-20T11:00:00.000Z",
                          "endTime": "2026-11-20T11:01:00.000Z", "result": "failed"}]
    record = run_verify(rendered, healthy_live(rendered), history=history)
    assert failures(record) == ["newest update succeeded: the newest update has result 'failed'; fix it and "
                                "`pulumi up` again"]
    assert record.update == 8


def test_in_cluster_job_check_through_kubectl():
    plan = SmokeCheckPlan("memql-bff", "memql", SmokeCheckSpec(
        name="deep-gate", job=SmokeCheckJob(image="memql-bff", command=["./gate"]), timeout_seconds=5),
        "acrmemql.azurecr.io/memql-bff@sha256:" + "1" * 64)
    calls = []

    def kubectl(outcome):
        def call(arguments, stdin, timeout):
            calls.append((arguments, stdin))
            if arguments[0] == "apply":
                return subprocess.CompletedProcess(arguments, 0, "job created", "")
            return subprocess.CompletedProcess(arguments, 0, json.dumps(
                {"status": {"conditions": [{"type": outcome, "status": "True", "reason": "BackoffLimitExceeded",
                                            "message": "Job has reached the specified backoff limit"}]}}), "")
        return call

    passed = run_job_check(plan, "staging", kubectl("Complete"), poll_seconds=0)
    assert passed.result == "passed"
    manifest = json.loads(calls[0][1])
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    assert (container["image"], container["command"], manifest["spec"]["backoffLimit"]) == (
        plan.job_image, ["./gate"], 0)
    failed = run_job_check(plan, "staging", kubectl("Failed"), poll_seconds=0)
    assert failed.result == "failed" and "BackoffLimitExceeded" in failed.detail

    def refused(arguments, stdin, timeout):
        return subprocess.CompletedProcess(arguments, 1, "", 'jobs.batch is forbidden: User "reader" cannot create')
    cannot = run_job_check(plan, "staging", refused, poll_seconds=0)
    assert (cannot.result, cannot.detail) == ("failed", "the Job could not be created: jobs.batch is forbidden: "
                                                        "User \"reader\" cannot create")


def test_kubectl_that_cannot_list_a_kind_marks_only_that_kind_unreadable():
    def kubectl(arguments, stdin, timeout):
        if arguments[1].startswith("externalsecrets"):
            return subprocess.CompletedProcess(arguments, 1, "", 'error: the server doesn\'t have a resource type')
        return subprocess.CompletedProcess(arguments, 0, json.dumps({"kind": "List", "items": [
            {"kind": "Secret", "metadata": {"name": "s", "namespace": "n"}, "data": {"k": "c2VjcmV0"}}]
            if arguments[1] == "secrets" else []}), "")
    live = live_from_cluster(kubectl)
    assert live.unreadable == {"ExternalSecret": "error: the server doesn't have a resource type"}
    assert live.objects[("Secret", "n", "s")]["data"] == {"k": ""}  # values are dropped on read


def test_smoke_check_config_needs_exactly_one_way_to_run():
    with pytest.raises(ValueError, match="exactly one of `command`"):
        SmokeCheckSpec(name="x")
    with pytest.raises(ValueError, match="exactly one of `command`"):
        SmokeCheckSpec(name="x", command=["true"], job=SmokeCheckJob(image="sol", command=["true"]))
    with pytest.raises(ValueError, match=r"\[\] must name the program"):
        SmokeCheckSpec(name="x", command=[])


def test_smoke_checks_in_the_stack_config_are_validated_with_their_key_path(tmp_path):
    from stack_checks.load import parse_stack_config, read_stack_file
    from stackctl.verify import smoke_check_plans

    values = read_stack_file(ROOT / "Pulumi.staging.yaml")
    values["services"]["sol"]["smokeChecks"] = [{"name": "answers", "command": ["scripts/smoke", "sol"]},
                                                {"name": "answers", "command": ["true"]}]
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(values, ROOT)
    assert any("services.sol.smokeChecks" in problem and "used twice" in problem for problem in caught.value.problems)
    values["services"]["sol"]["smokeChecks"] = [{"name": "deep", "job": {"image": "nope", "command": ["x"]}}]
    config, _ = parse_stack_config(values, ROOT)
    with pytest.raises(ConfigError) as caught:
        smoke_check_plans(config)
    assert caught.value.problems[0].startswith("services.sol.smokeChecks.deep.job.image: 'nope' is not in "
                                               "release.images")


# --- the command line and the record -------------------------------------------

def test_command_line_records_green_and_red_runs_atomically(tmp_path, rendered):
    live, history, record = tmp_path / "live.json", tmp_path / "history.json", tmp_path / "records.yaml"
    items = healthy_live(rendered)
    live.write_text(json.dumps({"kind": "List", "items": items}))
    history.write_text(json.dumps(HISTORY))
    argv = [sys.executable, "-m", "stackctl", "verify", "staging", "--live", str(live), "--history", str(history),
            "--record", str(record)]
    green = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert green.returncode == 0, green.stderr
    assert "20 passed, 0 failed, 0 skipped" in green.stdout
    next(i for i in items if i["kind"] == "Deployment" and i["metadata"]["name"] == "chat")["status"]["updatedReplicas"] = 0
    live.write_text(json.dumps({"kind": "List", "items": items}))
    red = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert red.returncode == 1, red.stderr
    assert "FAIL  rollout Deployment chat/chat: Deployment chat/chat: updatedReplicas 0 of 1" in red.stdout
    log = read_records(record)
    assert [entry.result for entry in log.verifications] == ["passed", "failed"]
    assert not list(tmp_path.glob(".records.yaml.*"))  # no temporary file left behind
    as_json = subprocess.run([*argv, "--output", "json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    document = json.loads(as_json.stdout)
    import jsonschema

    from stackctl.output_formats import schema_path
    jsonschema.validate(document, json.loads(schema_path("verify").read_text()))
    assert (as_json.returncode, document["failed"]) == (1, 1)
    assert {"name": "rollout Deployment chat/chat", "kind": "rollout", "result": "failed",
            "detail": "Deployment chat/chat: updatedReplicas 0 of 1"} in document["checks"]
    bad = subprocess.run(argv[:-4] + ["--history", str(tmp_path / "missing.json")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.startswith("error: --history: ")


# --- the promotion gate ----------------------------------------------------------

@pytest.fixture
def scratch(tmp_path) -> Path:
    import shutil

    for name in ("Pulumi.staging.yaml", "Pulumi.prod.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "releases", tmp_path / "releases")
    staging = tmp_path / "Pulumi.staging.yaml"
    staging.write_text(staging.read_text().replace(digests()["sol"], SOL_NEXT))
    (tmp_path / "outputs.json").write_text(json.dumps({"environment": "staging", "releaseDigests": {"sol": SOL_NEXT}}))
    (tmp_path / "history.json").write_text(json.dumps(HISTORY))
    return tmp_path


def promote(root: Path, **options):
    return promote_release(root, "staging", "prod", only=["sol"], verify_against=root / "outputs.json",
                           history=root / "history.json", allow_dirty=True,
                           now=ENDED + timedelta(hours=30), **options)


def test_promotion_takes_an_image_with_a_green_verification_after_the_update(scratch):
    record_verification(scratch, {"sol": SOL_NEXT}, ENDED + timedelta(minutes=5), ENDED)
    result = promote(scratch)
    assert [change.new_image for change in result.changes] == [SOL_NEXT]
    assert "Verification override" not in result.commit_message


def test_promotion_refuses_without_any_verification_naming_the_command(scratch):
    with pytest.raises(PromotionRefused) as caught:
        promote(scratch)
    assert caught.value.problems[0] == (
        f"component 'sol': no verification of staging running {SOL_NEXT} in releases/staging-verifications.yaml "
        "(run `stackctl verify staging` once the rollout has finished)")
    assert "--override-verification" in caught.value.problems[-1]


def test_promotion_refuses_a_red_verification_naming_the_failed_check(scratch):
    record_verification(scratch, {"sol": SOL_NEXT}, ENDED + timedelta(minutes=1), ENDED, passed=True)
    record_verification(scratch, {"sol": SOL_NEXT}, ENDED + timedelta(minutes=5), ENDED, passed=False)
    with pytest.raises(PromotionRefused) as caught:
        promote(scratch)
    assert caught.value.problems[0] == (
        f"component 'sol': the newest verification of {SOL_NEXT} (2026-11-20T10:07:00Z) failed: smoke sol/answers "
        "(fix staging, then run `stackctl verify staging` again)")


def test_promotion_refuses_a_verification_older_than_the_newest_update(scratch):
    record_verification(scratch, {"sol": SOL_NEXT}, ENDED - timedelta(minutes=30), ENDED - timedelta(hours=1))
    with pytest.raises(PromotionRefused) as caught:
        promote(scratch)
    assert caught.value.problems[0] == (
        f"component 'sol': the newest verification of {SOL_NEXT} (2026-11-20T09:32:00Z) is older than staging's "
        "newest update, which ended at 2026-11-20T10:02:00Z; that update may have changed what runs "
        "(run `stackctl verify staging` again)")
    assert (scratch / "Pulumi.prod.yaml").read_text() == (ROOT / "Pulumi.prod.yaml").read_text()


def test_an_override_needs_a_reason_and_goes_into_the_commit_message(scratch):
    with pytest.raises(PromotionRefused) as caught:
        promote(scratch, override_verification="  ")
    assert caught.value.problems[0].startswith("--override-verification '': give the reason")
    result = promote(scratch, override_verification="staging's smoke host is down; checked by hand (INC-42)")
    assert result.written
    assert result.commit_message.endswith(
        "Verification override: promoted without a green verification:\n"
        f"- component 'sol': no verification of staging running {SOL_NEXT} in releases/staging-verifications.yaml "
        "(run `stackctl verify staging` once the rollout has finished)\n"
        "Reason: staging's smoke host is down; checked by hand (INC-42)\n")


def test_a_verification_of_another_stack_or_digest_does_not_count(scratch):
    record_verification(scratch, {"sol": SOL_NEXT}, ENDED + timedelta(minutes=5), ENDED, stack="dev")
    record_verification(scratch, {"sol": digests()["sol"]}, ENDED + timedelta(minutes=5), ENDED)
    log = read_records(record_path(scratch, "staging"))
    assert len(verification_problems(log, [("sol", SOL_NEXT)], "staging", ENDED, "r")) == 1


# --- reading the state through the Automation API -----------------------------------

def test_automation_api_history_and_outputs_take_the_cli_json_shape():
    from pulumi.automation import OutputValue, UpdateSummary

    from stackctl.stack_state import history_as_cli_json, outputs_as_cli_json

    summary = UpdateSummary(kind="update", start_time=datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc),
                            message="", environment={}, config={}, result="succeeded",
                            end_time=datetime(2026, 11, 20, 10, 2, tzinfo=timezone.utc), version=7)
    history = history_as_cli_json([summary])
    assert history == [{"kind": "update", "startTime": "2026-11-20T10:00:00.000Z", "result": "succeeded",
                        "message": "", "endTime": "2026-11-20T10:02:00.000Z", "version": 7}]
    # The same history read by verify's update check and by promote's soak gate.
    from stackctl.verify import staging_update_check

    check, version, ended = staging_update_check(history, "--read-state")
    assert (check.result, version, ended) == ("passed", 7, ENDED)
    outputs = outputs_as_cli_json({"releaseDigests": OutputValue({"sol": SOL_NEXT}, False),
                                   "token": OutputValue("s3cret", True)})
    assert outputs == {"releaseDigests": {"sol": SOL_NEXT}, "token": "[secret]"}


def test_read_state_without_a_pulumi_cli_is_bad_input_naming_the_file_flags(tmp_path, monkeypatch):
    from stackctl.errors import BadInput
    from stackctl.stack_state import read_stack_state

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BadInput) as caught:
        read_stack_state("staging", ROOT)
    assert str(caught.value).startswith("--read-state: 'staging' (needs the pulumi CLI on PATH")
    assert "--verify-against and --history" in str(caught.value)

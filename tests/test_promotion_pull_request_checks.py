"""The promotion pull request runs its checks, and drift is looked for on a schedule (issue 25).

GitHub starts no workflow for events created with a workflow's own
GITHUB_TOKEN (except workflow_dispatch and repository_dispatch). A workflow
that opens a pull request with that token therefore gets no `preview.yml`
run on it, so it must run the checks itself: the offline tests and a
`pulumi preview` of every stack with the policy pack, after the pull request
exists, setting the commit status of each check branch protection requires
(the job names of `preview.yml`) on the pushed commit. These tests read the
workflow files; they fail if a pull request would again wait for checks that
never start. The drift workflow is held to: scheduled, one run per stack,
read-only, both checks, distinct exit codes, one issue per stack.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = {path.name: yaml.safe_load(path.read_text(encoding="utf-8"))
             for path in sorted((ROOT / ".github" / "workflows").glob("*.yml"))}
STACKS = ["staging", "prod"]
# Tokens whose events start no workflow.
WORKFLOW_TOKEN = re.compile(r"\$\{\{\s*(github\.token|secrets\.GITHUB_TOKEN)\s*\}\}")


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    on = workflow.get("on", workflow.get(True))
    return {on: None} if isinstance(on, str) else dict(on or {})


def run_text(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job.get("steps") or [])


def required_checks() -> set[str]:
    """The check names preview.yml produces on a pull request: `offline`, `preview (<stack>)`."""
    names = set()
    for name, job in WORKFLOWS["preview.yml"]["jobs"].items():
        matrix = (job.get("strategy") or {}).get("matrix") or {}
        names |= {f"{name} ({stack})" for stack in matrix["stack"]} if "stack" in matrix else {name}
    return names


def pull_request_openers() -> list[tuple[str, str, dict[str, Any], str]]:
    """(workflow, job name, job, token expression) of each step that opens a pull request."""
    found = []
    for file, workflow in WORKFLOWS.items():
        for name, job in (workflow.get("jobs") or {}).items():
            for step in job.get("steps") or []:
                if re.search(r"\bgh\s+pr\s+create\b", str(step.get("run", ""))) \
                        or str(step.get("uses", "")).startswith("peter-evans/create-pull-request@"):
                    token = str((step.get("env") or {}).get("GH_TOKEN") or (step.get("with") or {}).get("token")
                                or "${{ github.token }}")
                    found.append((file, name, job, token))
    return found


def dependents(workflow: dict[str, Any], job_name: str) -> dict[str, dict[str, Any]]:
    jobs = workflow["jobs"]
    result = {}
    for name, job in jobs.items():
        needs = job.get("needs") or []
        if job_name in ([needs] if isinstance(needs, str) else needs):
            result[name] = job
    return result


def statuses_posted(job: dict[str, Any]) -> set[str]:
    """Commit status contexts the job sets, with `$STACK` filled in for each matrix row."""
    contexts = set()
    for context in re.findall(r'-f context="?([^"\n]+?)"?\s*(?:\\|\n|$)', run_text(job)):
        matrix = (job.get("strategy") or {}).get("matrix") or {}
        contexts |= ({context.replace("$STACK", stack) for stack in matrix["stack"]} if "$STACK" in context
                     else {context})
    return contexts


def test_promotion_opens_a_pull_request():
    assert [(file, job) for file, job, *_ in pull_request_openers()] == [("promote.yml", "promote")]


def test_a_pull_request_opened_with_the_workflow_token_runs_every_required_check_itself():
    for file, name, job, token in pull_request_openers():
        if not WORKFLOW_TOKEN.fullmatch(token.strip()):
            # Another token (an App installation token) does start preview.yml on the pull request.
            assert "pull_request" in triggers(WORKFLOWS["preview.yml"]), "preview.yml must run on pull_request"
            continue
        workflow = WORKFLOWS[file]
        followers = dependents(workflow, name)
        assert followers, (f"{file}: job {name!r} opens the pull request with the workflow token, which starts no "
                           "workflow; the same workflow must run the pull request's checks after it")
        posted = set().union(*(statuses_posted(job) for job in followers.values()))
        missing = required_checks() - posted
        assert not missing, f"{file}: no job after {name!r} sets the commit status of {sorted(missing)}"
        # The checks themselves, on the pushed commit: not a status set without running anything.
        texts = {follower: run_text(job) for follower, job in followers.items()}
        assert any("scripts/test" in text for text in texts.values()), f"{file}: scripts/test is not run"
        previews = [follower for follower, text in texts.items()
                    if re.search(r"pulumi preview --stack \"\$STACK\" --policy-pack policies", text)]
        assert previews, f"{file}: no job runs `pulumi preview` with the policy pack"
        for follower in previews:
            assert followers[follower]["strategy"]["matrix"]["stack"] == STACKS, f"{file}: {follower} per stack"
        for follower, job in followers.items():
            checkout = next(step for step in job["steps"] if str(step.get("uses", "")).startswith("actions/checkout@"))
            assert checkout["with"]["ref"] == f"${{{{ needs.{name}.outputs.sha }}}}", \
                f"{file}: {follower} must check out the promotion commit, not the workflow's ref"
            assert "always()" in str(next(step for step in job["steps"] if "statuses/" in str(step.get("run", "")))
                                      .get("if", "")), f"{file}: {follower} must report failure too"
        assert any("stackctl risk" in text and "upsert-pr-comment" in text for text in texts.values()), \
            f"{file}: the risk summary is not posted on the promotion pull request"


def test_promotion_verifies_staging_before_promoting_and_commits_the_record():
    job = WORKFLOWS["promote.yml"]["jobs"]["promote"]
    names = [step.get("name", "") for step in job["steps"]]
    verify, promote = names.index("Verify staging (rollouts, secrets, smoke checks)"), names.index("Promote")
    assert verify < promote
    assert "stackctl verify staging --kubectl" in str(job["steps"][verify]["run"])
    assert "releases/staging-verifications.yaml" in run_text(job)


def test_preview_posts_the_risk_summary_once_per_stack():
    job = WORKFLOWS["preview.yml"]["jobs"]["preview"]
    text = run_text(job)
    assert "stackctl risk \"$STACK\" --preview" in text
    assert 'scripts/upsert-pr-comment "$PULL_REQUEST" "<!-- stackctl-risk:$STACK -->"' in text
    from stackctl.risk import COMMENT_MARKER

    assert COMMENT_MARKER.format(stack="$STACK") == "<!-- stackctl-risk:$STACK -->"


# --- drift on a schedule ------------------------------------------------------------

def test_drift_runs_on_a_schedule_for_every_stack_with_read_only_credentials():
    workflow = WORKFLOWS["drift.yml"]
    assert "schedule" in triggers(workflow) and triggers(workflow)["schedule"][0]["cron"]
    (job,) = workflow["jobs"].values()
    assert job["strategy"]["matrix"]["stack"] == STACKS
    assert job["permissions"] == {"contents": "read", "issues": "write", "id-token": "write"}
    assert job["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_PREVIEW_CLIENT_ID }}"
    roles = [step["with"]["role"] for step in job["steps"] if str(step.get("uses", "")).startswith("hashicorp/")]
    assert roles == ["platform-main-read"]
    assert "environment" not in job


def test_drift_script_runs_both_checks_and_the_workflow_opens_one_issue_per_stack():
    script = (ROOT / "scripts" / "drift-check").read_text()
    assert "pulumi preview --stack \"$stack\" --refresh --expect-no-changes --json" in script
    assert "stackctl drift \"$stack\" --live" in script
    assert not re.search(r"pulumi (up|refresh|destroy)\b", script)
    job = next(iter(WORKFLOWS["drift.yml"]["jobs"].values()))
    text = run_text(job)
    assert 'title="drift: $STACK"' in text and "gh issue comment" in text and "gh issue create" in text


@pytest.mark.parametrize("steps, kubectl_ok, drift_exit, expected", [
    ('{"steps": [{"op": "same"}]}', True, 0, 0),
    ('{"steps": [{"op": "same"}, {"op": "update"}]}', True, 0, 1),
    ('{"steps": [{"op": "same"}]}', True, 1, 1),
    ("not json", True, 0, 3),
    ('{"steps": [{"op": "same"}]}', False, 0, 3),
    ('{"steps": [{"op": "same"}]}', True, 70, 3),
])
def test_drift_check_exit_codes_tell_drift_from_errors(tmp_path, steps, kubectl_ok, drift_exit, expected):
    """scripts/drift-check with stand-ins for pulumi, kubectl and stackctl: 0 clean, 1 drift, 3 could not run."""
    import shutil

    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "drift-check", project / "scripts" / "drift-check")
    bin_dir, venv = tmp_path / "bin", project / ".venv" / "bin"
    bin_dir.mkdir()
    venv.mkdir(parents=True)
    (bin_dir / "pulumi").write_text(f"#!/bin/sh\ncat <<'JSON'\n{steps}\nJSON\nexit {0 if 'update' not in steps else 255}\n")
    (bin_dir / "kubectl").write_text("#!/bin/sh\n" + ('echo \'{"items": []}\'' if kubectl_ok
                                                       else "echo 'Unauthorized' >&2; exit 1") + "\n")
    import sys

    # .venv/bin/python: the real interpreter for the JSON test, a stand-in for `-m stackctl`.
    (venv / "python").write_text(
        "#!/bin/sh\n"
        f"if [ \"$1\" = -m ]; then shift 2; if [ \"$1\" = drift ]; then echo drift-output; exit {drift_exit}; fi; "
        "echo '### risk'; exit 0; fi\n"
        f"exec {sys.executable} \"$@\"\n")
    for tool in (bin_dir / "pulumi", bin_dir / "kubectl", venv / "python"):
        tool.chmod(0o755)
    report = tmp_path / "report.md"
    completed = subprocess.run([str(project / "scripts" / "drift-check"), "prod", str(report)],
                               env={"PATH": f"{bin_dir}:/usr/bin:/bin"}, capture_output=True, text=True, timeout=60)
    assert completed.returncode == expected, completed.stderr + report.read_text()
    assert report.read_text().startswith("## Drift of stack `prod`")

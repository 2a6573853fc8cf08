"""`stackctl verify STACK`: is the live stack healthy, at the digests it pins? Record the answer.

Every check runs, and each one passes or fails; there is no skip. A check
that cannot run (its input is missing, kubectl cannot list the kind, a smoke
command does not exist, a Job cannot be created or does not finish in time)
fails, because a gate that goes green with a check skipped has passed a broken
release before (memQL's 8-pass, 0-fail, 2-skip run). The checks:

* staging-update: the stack's newest update (`pulumi stack history`)
  succeeded;
* rollout: every workload the stack renders runs, in every container, the
  digest the release block pins, and Deployments and StatefulSets finished a
  healthy rollout (exactly what `stackctl drift --live` checks);
* secret: every VaultStaticSecret has been synced at its current generation
  and every ExternalSecret is Ready, and the Secret each one writes exists
  (with the keys an ExternalSecret declares);
* smoke: each check the config declares (`services.<name>.smokeChecks`), a
  command run from the project root or an in-cluster Job.

The live objects come from the cluster (`--kubectl`, the current kubeconfig
context or `--context`) or from a file of kubectl JSON (`--live`, for CI and
tests; a Job smoke check then fails, as it cannot run). Only Secret key
names are compared, and `--kubectl` drops the values as it reads them; for a
`--live` file, blank them before saving (`jq '(.items[] | select(.kind ==
"Secret") | .data) |= map_values("")'`). The update comes from
`--history FILE` (`pulumi stack history --json`) or `--read-state` (the
Automation API). The record (the update, the digests, every check's result,
the time) is appended to `releases/<stack>-verifications.yaml`, atomically,
green or red; `stackctl promote` reads it (stackctl/verification_record.py).
Exit 0 when every check passed, 1 when any failed, 2 on bad input.

Deliberately left out: waiting for a rollout to finish (run it after `pulumi
up` returns; an unfinished rollout is a failed check, run it again), and
retrying a failed smoke check.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

from config_models.smoke_check import SmokeCheckSpec
from components.vault_static_secret import PROVIDED_KEYS_ANNOTATION
from stackctl.drift import WORKLOAD_KINDS, find_drift, live_objects
from stackctl.errors import BadInput
from stackctl.verification_record import (
    CheckOutcome,
    VerificationRecord,
    append_record,
    format_time,
    parse_time,
    record_path,
)

VAULT_STATIC_SECRET = "VaultStaticSecret"
EXTERNAL_SECRET = "ExternalSecret"
SYNC_KINDS = (VAULT_STATIC_SECRET, EXTERNAL_SECRET)

# What --kubectl lists, one kubectl call per group so one missing CRD fails only its own checks.
KUBECTL_GROUPS: dict[str, tuple[str, ...]] = {
    "deployments,statefulsets,daemonsets,cronjobs,jobs": tuple(WORKLOAD_KINDS),
    "vaultstaticsecrets.secrets.hashicorp.com": (VAULT_STATIC_SECRET,),
    "externalsecrets.external-secrets.io": (EXTERNAL_SECRET,),
    "secrets": ("Secret",),
}
LIVE_COMMAND = ("kubectl get deployments,statefulsets,cronjobs,jobs,vaultstaticsecrets.secrets.hashicorp.com,"
                "externalsecrets.external-secrets.io,secrets --all-namespaces -o json")


@dataclass(frozen=True)
class LiveState:
    """The live objects, and the kinds that could not be listed (each with why)."""

    objects: dict[tuple[str, str, str], Mapping[str, Any]]
    unreadable: dict[str, str]


@dataclass(frozen=True)
class SmokeCheckPlan:
    service: str
    namespace: str
    spec: SmokeCheckSpec
    job_image: Optional[str] = None  # the pinned image of spec.job.image


# --- the checks ----------------------------------------------------------------

def _passed(name: str, kind: str, detail: str = "") -> CheckOutcome:
    return CheckOutcome(name=name, kind=kind, result="passed", detail=detail)


def _failed(name: str, kind: str, detail: str) -> CheckOutcome:
    return CheckOutcome(name=name, kind=kind, result="failed", detail=detail)


def staging_update_check(history: Any, source: str) -> tuple[CheckOutcome, Optional[int], Optional[datetime]]:
    """The newest `update` of the history: did it succeed? Returns the check, its version and its end."""
    name = "newest update succeeded"
    updates = []
    for entry in history if isinstance(history, list) else []:
        if isinstance(entry, Mapping) and entry.get("kind") == "update":
            try:
                updates.append((parse_time(str(entry.get("startTime"))), entry))
            except ValueError:
                raise BadInput(source, entry.get("startTime"), "an update's startTime is not an ISO 8601 time; "
                               "give `pulumi stack history --json` unedited") from None
    if not updates:
        raise BadInput(source, "no update", "the history holds no `update`: deploy the stack with `pulumi up` "
                       "first, and give `pulumi stack history --json` of that stack")
    _, newest = max(updates, key=lambda item: item[0])
    version = newest.get("version")
    version = version if isinstance(version, int) and not isinstance(version, bool) and version > 0 else None
    ended = None
    if newest.get("endTime"):
        try:
            ended = parse_time(str(newest["endTime"]))
        except ValueError:
            raise BadInput(source, newest["endTime"], "the newest update's endTime is not an ISO 8601 time") from None
    if newest.get("result") != "succeeded" or ended is None:
        return (_failed(name, "staging-update", f"the newest update has result {newest.get('result')!r}; "
                        "fix it and `pulumi up` again"), version, ended)
    label = f"update {version}" if version is not None else "the newest update"
    return _passed(name, "staging-update", f"{label} ended {format_time(ended)}"), version, ended


def rollout_checks(expected: Sequence[Mapping[str, Any]], live: LiveState) -> list[CheckOutcome]:
    """One check per rendered workload: `drift --live`'s comparison, restricted to that workload."""
    outcomes = []
    for workload in sorted(expected, key=lambda w: (w["kind"], w["metadata"].get("namespace", ""),
                                                    w["metadata"]["name"])):
        kind, metadata = workload["kind"], workload["metadata"]
        name = f"rollout {kind} {metadata.get('namespace', '')}/{metadata['name']}"
        if kind in live.unreadable:
            outcomes.append(_failed(name, "rollout", f"could not list {kind}s: {live.unreadable[kind]}"))
            continue
        problems = find_drift([workload], live.objects)
        running = live.objects.get((kind, metadata.get("namespace", ""), metadata["name"]))
        if kind == "Job" and running is not None \
                and (_conditions(running).get("Complete") or {}).get("status") != "True":
            # A migration Job that has not completed means the release has not finished rolling out.
            problems.append(f"Job {metadata.get('namespace', '')}/{metadata['name']}: not complete")
        outcomes.append(_failed(name, "rollout", "; ".join(problems)) if problems
                        else _passed(name, "rollout", "pinned digests, rollout complete"))
    return outcomes


def _conditions(live_object: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    conditions = (live_object.get("status") or {}).get("conditions") or []
    return {c.get("type"): c for c in conditions if isinstance(c, Mapping)}


def secret_checks(expected: Sequence[Mapping[str, Any]], live: LiveState) -> list[CheckOutcome]:
    """One check per rendered VaultStaticSecret/ExternalSecret: synced now, and its Secret exists."""
    outcomes = []
    for sync in sorted(expected, key=lambda s: (s["kind"], s["metadata"].get("namespace", ""), s["metadata"]["name"])):
        kind, metadata = sync["kind"], sync["metadata"]
        namespace, sync_name = metadata.get("namespace", ""), metadata["name"]
        spec = sync.get("spec") or {}
        if kind == VAULT_STATIC_SECRET:
            target = (spec.get("destination") or {}).get("name", sync_name)
        else:
            target = (spec.get("target") or {}).get("name") or sync_name
        # The keys the program says the Secret provides (the same annotation the policy pack reads).
        provided = (metadata.get("annotations") or {}).get(PROVIDED_KEYS_ANNOTATION, "")
        keys = [key for key in provided.split(",") if key] or [
            item.get("secretKey") for item in spec.get("data") or [] if isinstance(item, Mapping)]
        name = f"secret {namespace}/{target} ({kind} {sync_name})"
        unreadable = [f"could not list {k}s: {live.unreadable[k]}" for k in (kind, "Secret") if k in live.unreadable]
        if unreadable:
            outcomes.append(_failed(name, "secret", "; ".join(unreadable)))
            continue
        problems = []
        running = live.objects.get((kind, namespace, sync_name))
        if running is None:
            problems.append(f"{kind} {namespace}/{sync_name} is not on the cluster")
        elif kind == VAULT_STATIC_SECRET:
            # VSO (v0.10) reports no conditions: lastGeneration is the generation it last synced.
            generation = (running.get("metadata") or {}).get("generation")
            synced = (running.get("status") or {}).get("lastGeneration")
            if not isinstance(synced, int) or (isinstance(generation, int) and synced < generation):
                problems.append(f"not synced at generation {generation} (status.lastGeneration {synced})")
        else:
            ready = _conditions(running).get("Ready")
            if ready is None or ready.get("status") != "True":
                detail = f"{ready.get('reason')}: {ready.get('message')}" if ready else "no Ready condition"
                problems.append(f"not Ready ({detail})")
        secret = live.objects.get(("Secret", namespace, target))
        if secret is None:
            problems.append(f"Secret {namespace}/{target} does not exist")
        else:
            missing = sorted(set(keys) - set(secret.get("data") or {}))
            if missing:
                problems.append(f"Secret {namespace}/{target} lacks keys {missing}")
        outcomes.append(_failed(name, "secret", "; ".join(problems)) if problems
                        else _passed(name, "secret", "synced"))
    return outcomes


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def run_command_check(plan: SmokeCheckPlan, stack: str, root: Path) -> CheckOutcome:
    name = f"smoke {plan.service}/{plan.spec.name}"
    command = list(plan.spec.command or [])
    environment = {**os.environ, "STACK": stack, "SERVICE": plan.service, "NAMESPACE": plan.namespace}
    try:
        completed = subprocess.run(command, cwd=root, env=environment, capture_output=True, text=True,
                                   timeout=plan.spec.timeout_seconds)
    except FileNotFoundError:
        return _failed(name, "smoke", f"cannot run: {command[0]!r} not found (a check that cannot run fails)")
    except PermissionError:
        return _failed(name, "smoke", f"cannot run: {command[0]!r} is not executable (a check that cannot run fails)")
    except subprocess.TimeoutExpired:
        return _failed(name, "smoke", f"still running after {plan.spec.timeout_seconds} s (timeoutSeconds)")
    if completed.returncode != 0:
        why = _last_line(completed.stderr) or _last_line(completed.stdout) or "no output"
        return _failed(name, "smoke", f"exit {completed.returncode}: {why}")
    return _passed(name, "smoke", _last_line(completed.stdout) or "exit 0")


def smoke_job_manifest(plan: SmokeCheckPlan, stack: str, job_name: str) -> dict[str, Any]:
    """The Job of an in-cluster smoke check: hardened like every workload, never retried, cleaned up by TTL."""
    job = plan.spec.job
    assert job is not None and plan.job_image is not None
    container = {
        "name": "smoke", "image": plan.job_image, "command": list(job.command),
        **({"args": list(job.args)} if job.args else {}),
        "env": [{"name": "STACK", "value": stack}, {"name": "SERVICE", "value": plan.service}],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
    }
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": job_name, "namespace": plan.namespace,
                     "labels": {"app.kubernetes.io/managed-by": "stackctl-verify",
                                "app.kubernetes.io/name": f"{plan.service}-smoke"}},
        "spec": {
            "backoffLimit": 0,  # a flaky check is a finding: never retried
            "activeDeadlineSeconds": plan.spec.timeout_seconds,
            "ttlSecondsAfterFinished": 3600,
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": f"{plan.service}-smoke"}},
                "spec": {
                    "restartPolicy": "Never", "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                                        "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [container],
                },
            },
        },
    }


Kubectl = Callable[[list[str], Optional[str], int], subprocess.CompletedProcess]


def run_kubectl(kubectl_base: Sequence[str]) -> Kubectl:
    def call(arguments: list[str], stdin: Optional[str], timeout: int) -> subprocess.CompletedProcess:
        return subprocess.run([*kubectl_base, *arguments], input=stdin, capture_output=True, text=True,
                              timeout=timeout)
    return call


def run_job_check(plan: SmokeCheckPlan, stack: str, kubectl: Optional[Kubectl],
                  clock: Callable[[], float] = time.monotonic, poll_seconds: float = 2.0) -> CheckOutcome:
    name = f"smoke {plan.service}/{plan.spec.name}"
    if kubectl is None:
        return _failed(name, "smoke", "an in-cluster Job needs the cluster, and the live state came from a file "
                                      "(run with --kubectl; a check that cannot run fails)")
    job_name = f"smoke-{plan.service}-{plan.spec.name}"[:52].rstrip("-") + f"-{int(time.time()) % 100000:05d}"
    manifest = json.dumps(smoke_job_manifest(plan, stack, job_name))
    try:
        created = kubectl(["apply", "-f", "-"], manifest, 60)
        if created.returncode != 0:
            return _failed(name, "smoke", f"the Job could not be created: {_last_line(created.stderr)}")
        deadline = clock() + plan.spec.timeout_seconds + 30
        while clock() < deadline:
            status = kubectl(["get", "job", job_name, "-n", plan.namespace, "-o", "json"], None, 60)
            if status.returncode != 0:
                return _failed(name, "smoke", f"the Job could not be read: {_last_line(status.stderr)}")
            conditions = _conditions(json.loads(status.stdout))
            if (conditions.get("Complete") or {}).get("status") == "True":
                return _passed(name, "smoke", f"Job {plan.namespace}/{job_name} completed")
            failed = conditions.get("Failed") or {}
            if failed.get("status") == "True":
                return _failed(name, "smoke", f"Job {plan.namespace}/{job_name} failed: {failed.get('reason')} "
                                              f"({failed.get('message')}); `kubectl -n {plan.namespace} logs "
                                              f"job/{job_name}`")
            time.sleep(poll_seconds)
        return _failed(name, "smoke", f"Job {plan.namespace}/{job_name} did not finish in "
                                      f"{plan.spec.timeout_seconds} s")
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as error:
        return _failed(name, "smoke", f"cannot run the Job: {type(error).__name__}: {error}")


# --- reading the inputs ----------------------------------------------------------

def _strip_secret_values(item: Mapping[str, Any]) -> Mapping[str, Any]:
    # Only key names are ever compared: values never stay in memory longer than the parse.
    if item.get("kind") != "Secret":
        return item
    return {**item, "data": {key: "" for key in (item.get("data") or {})}, "stringData": None}


def live_from_file(path: Path) -> LiveState:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BadInput("--live", path, f"cannot be read ({error.strerror}); give `{LIVE_COMMAND}`") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadInput("--live", path, f"is not kubectl's JSON; give `{LIVE_COMMAND}`") from None
    if isinstance(document, Mapping) and isinstance(document.get("items"), list):
        document = {**document, "items": [_strip_secret_values(item) if isinstance(item, Mapping) else item
                                          for item in document["items"]]}
    objects = _any_kind_objects(document, str(path))
    return LiveState(objects, {})


def _any_kind_objects(document: Any, source: str) -> dict[tuple[str, str, str], Mapping[str, Any]]:
    if isinstance(document, Mapping) and isinstance(document.get("items"), list):
        return live_objects(document, source)
    raise BadInput("--live", source, f"is not a kubectl List; give `{LIVE_COMMAND}`")


def live_from_cluster(kubectl: Kubectl) -> LiveState:
    objects: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    unreadable: dict[str, str] = {}
    for resources, kinds in KUBECTL_GROUPS.items():
        try:
            listed = kubectl(["get", resources, "--all-namespaces", "-o", "json"], None, 120)
            if listed.returncode != 0:
                raise RuntimeError(_last_line(listed.stderr) or f"kubectl exit {listed.returncode}")
            document = json.loads(listed.stdout)
            document["items"] = [_strip_secret_values(item) for item in document.get("items") or []]
            objects.update(live_objects(document, f"kubectl get {resources}"))
        except (OSError, RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError, BadInput) as error:
            for kind in kinds:
                unreadable[kind] = str(error)
    return LiveState(objects, unreadable)


def smoke_check_plans(config: Any) -> list[SmokeCheckPlan]:
    plans, problems = [], []
    for service_name, service in sorted(config.services.items()):
        for check in service.smoke_checks:
            image = None
            if check.job is not None:
                entry = config.release.images.get(check.job.image)
                if entry is None:
                    problems.append(f"services.{service_name}.smokeChecks.{check.name}.job.image: "
                                    f"{check.job.image!r} is not in release.images (name a release component, "
                                    f"one of {', '.join(sorted(config.release.images))})")
                    continue
                image = entry.image
            plans.append(SmokeCheckPlan(service_name, service.namespace, check, image))
    if problems:
        from config_models.base import ConfigError

        raise ConfigError(problems)
    return plans


# --- the verb ---------------------------------------------------------------------

def verify_stack(stack: str, root: Path, expected: Sequence[Mapping[str, Any]], live: LiveState,
                 history: Any, history_source: str, digests: Mapping[str, str], plans: Sequence[SmokeCheckPlan],
                 kubectl: Optional[Kubectl], now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 ) -> VerificationRecord:
    """Run every check (none is ever skipped) and return the record."""
    update_check, version, ended = staging_update_check(history, history_source)
    checks = [update_check]
    checks += rollout_checks([r for r in expected if r.get("kind") in WORKLOAD_KINDS], live)
    checks += secret_checks([r for r in expected if r.get("kind") in SYNC_KINDS], live)
    for plan in plans:
        checks.append(run_command_check(plan, stack, root) if plan.spec.command is not None
                      else run_job_check(plan, stack, kubectl))
    return VerificationRecord(
        stack=stack, update=version, update_ended_at=format_time(ended) if ended else None,
        verified_at=format_time(now()), result="passed" if all(c.result == "passed" for c in checks) else "failed",
        digests=dict(digests), checks=checks,
    )


def add_parser(subparsers) -> None:
    from stackctl.errors import stack_name

    parser = subparsers.add_parser("verify", help="check the live stack's health and record it for promotion",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack", type=stack_name, help="stack name, e.g. staging")
    live = parser.add_mutually_exclusive_group(required=True)
    live.add_argument("--kubectl", action="store_true", help="read the cluster with kubectl (current kubeconfig)")
    live.add_argument("--live", type=Path, metavar="FILE", help=f"kubectl JSON instead: `{LIVE_COMMAND}`")
    parser.add_argument("--context", help="kubeconfig context for --kubectl. Default: the current one.")
    state = parser.add_mutually_exclusive_group(required=True)
    state.add_argument("--history", type=Path, metavar="FILE", help="`pulumi stack history --json` of the stack")
    state.add_argument("--read-state", action="store_true",
                       help="read the history from the stack's state through the Automation API (pulumi CLI)")
    parser.add_argument("--record", type=Path, default=None, metavar="FILE",
                        help="where the record is appended. Default: releases/<stack>-verifications.yaml.")


def run(args) -> int:
    from stack_checks.load import load_stack
    from stackctl.promotion.stack_file import PromotionRefused, read_stack_file
    from stackctl.render import PROJECT_ROOT, collect_resources

    root = (args.root or PROJECT_ROOT).resolve()
    if args.context and not args.kubectl:
        raise BadInput("--context", args.context, "applies to --kubectl only")
    # Every input is read and checked before the first check runs.
    if args.read_state:
        from stackctl.stack_state import read_stack_state

        _, history = read_stack_state(args.stack, root)
        history_source = "--read-state"
    else:
        try:
            history = json.loads(args.history.read_text(encoding="utf-8"))
        except OSError as error:
            raise BadInput("--history", args.history, f"cannot be read ({error.strerror}); give "
                           f"`pulumi stack history --json --stack {args.stack}`") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BadInput("--history", args.history, "is not JSON; give `pulumi stack history --json`") from None
        history_source = "--history"
    try:
        stack_file = read_stack_file(root, args.stack)
    except PromotionRefused as refusal:
        raise BadInput("STACK", args.stack, "its stack file cannot be used", details=refusal.problems) from None
    config, _ = load_stack(root, args.stack)
    plans = smoke_check_plans(config)
    kubectl = None
    if args.kubectl:
        kubectl = run_kubectl(["kubectl", *(["--context", args.context] if args.context else [])])
        live = live_from_cluster(kubectl)
    else:
        live = live_from_file(args.live)
    expected = [r.inputs for r in collect_resources(args.stack, root=root).resources
                if r.type.startswith("kubernetes:") and r.inputs.get("kind") in (*WORKLOAD_KINDS, *SYNC_KINDS)]
    record = verify_stack(args.stack, root, expected, live, history, history_source,
                          {component: entry.image for component, entry in stack_file.images.items()}, plans, kubectl)
    destination = args.record or record_path(root, args.stack)
    append_record(destination, record)
    failed = [check for check in record.checks if check.result != "passed"]
    if getattr(args, "output", "text") == "json":
        from stackctl.output_formats import print_json

        print_json("verify", {
            "stack": args.stack, "record": str(destination),
            "passed": len(record.checks) - len(failed), "failed": len(failed),
            "checks": [{"name": check.name, "kind": check.kind, "result": check.result, "detail": check.detail}
                       for check in record.checks],
        })
        return 1 if failed else 0
    for check in record.checks:
        print(f"{'PASS' if check.result == 'passed' else 'FAIL'}  {check.name}: {check.detail}")
    print(f"\n{len(record.checks) - len(failed)} passed, {len(failed)} failed, 0 skipped "
          f"(a check that cannot run fails); recorded in {destination}")
    if failed:
        print(f"verify: stack {args.stack} is not verified; prod will not take its images", file=sys.stderr)
        return 1
    return 0

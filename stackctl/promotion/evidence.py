"""The source stack's evidence a promotion is gated on: deployed digests, soak time, `stackctl verify` records.

`check_deployed_digests` holds each digest to promote against the
`releaseDigests` output of the source's `pulumi stack output --json`
(`--verify-against`); `check_soak_time` holds the source's newest update in
`pulumi stack history --json` (`--history`) to the minimum soak and returns
it as `StagingUpdate`, which the ledger records; `verification_gate` holds the
images to the verification records (stackctl/verification_record.py) unless
`--override-verification` gives a reason. Each refuses with
`PromotionRefused` and writes nothing. It imports `stack_file` (and, when
the gate is on, stackctl/verification_record.py); `ledger` and
`release_promotion` import it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional, Sequence

from stackctl.promotion.stack_file import RELEASE_KEY, ComponentChange, PromotionRefused, StackFile

RELEASE_DIGESTS_OUTPUT = "releaseDigests"


def read_evidence_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PromotionRefused([f"{what} {path}: cannot read it ({error.strerror})"]) from None
    except json.JSONDecodeError as error:
        raise PromotionRefused([f"{what} {path}: not valid JSON ({error})"]) from None


def check_deployed_digests(changes: Sequence[ComponentChange], source: StackFile, outputs_file: Path) -> None:
    """Every digest to promote must be the one the source stack exports as deployed.

    `outputs_file` is `pulumi stack output --json` of the source stack; the
    program exports `releaseDigests` = {component: "registry/repo@sha256:..."}.
    """
    what = "--verify-against"
    outputs = read_evidence_json(outputs_file, what)
    if not isinstance(outputs, dict):
        raise PromotionRefused([f"{what} {outputs_file}: expected the JSON object of `pulumi stack output --json`"])
    exported_environment = outputs.get("environment")
    if source.environment and isinstance(exported_environment, str) and exported_environment != source.environment:
        raise PromotionRefused([
            f"{what} {outputs_file}: these are the outputs of environment {exported_environment!r}, "
            f"but {source.where()} is {source.environment!r} "
            f"(run `pulumi stack output --json --stack {source.stack}`)"
        ])
    digests = outputs.get(RELEASE_DIGESTS_OUTPUT)
    if digests == "[secret]":
        raise PromotionRefused([f"{what} {outputs_file}: output {RELEASE_DIGESTS_OUTPUT!r} is a secret "
                                "(digests are not secret; export it in plain text)"])
    if not isinstance(digests, dict):
        raise PromotionRefused([f"{what} {outputs_file}: no {RELEASE_DIGESTS_OUTPUT!r} object among the outputs "
                                f"(is it `pulumi stack output --json --stack {source.stack}`?)"])
    problems = []
    for change in changes:
        deployed = digests.get(change.component)
        if deployed is None:
            problems.append(
                f"component {change.component!r}: {source.stack} has not deployed it: {outputs_file.name} "
                f"has no {RELEASE_DIGESTS_OUTPUT}.{change.component} (run `pulumi up` on {source.stack} first)"
            )
        elif deployed != change.new_image:
            problems.append(
                f"component {change.component!r}: {source.path.name} pins {change.new_image} but {source.stack} "
                f"runs {deployed} ({RELEASE_DIGESTS_OUTPUT} in {outputs_file.name}); promote only what "
                f"{source.stack} has deployed (run `pulumi up` on {source.stack} and let it soak)"
            )
    if problems:
        raise PromotionRefused(problems)


def _parse_pulumi_time(value: Any, field: str, index: int, history_file: Path) -> datetime:
    # `pulumi stack history --json` writes UTC times as 2024-05-01T10:00:00.000Z.
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise PromotionRefused([f"--history {history_file}: entry {index}: {field} {value!r} is not an ISO 8601 time"]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class StagingUpdate:
    """The source stack's newest update, as its history shows it: the evidence a ledger entry records."""

    version: Optional[int]
    ended: datetime


def check_soak_time(history_file: Optional[Path], min_soak_hours: float, soak_source: str,
                    source: StackFile, now: datetime) -> Optional[StagingUpdate]:
    """The source's newest `update` must have succeeded and ended at least `min_soak_hours` ago.

    Any later update restarts the clock, even one that changed no image: the
    soak is of the whole stack as it runs, not of one digest.
    """
    if history_file is None:
        if min_soak_hours > 0:
            raise PromotionRefused([
                f"a soak of {min_soak_hours:g} h is required ({soak_source}) but no update history was given "
                f"(pass --history FILE, FILE from `pulumi stack history --json --stack {source.stack}`)"
            ])
        return
    history = read_evidence_json(history_file, "--history")
    if not isinstance(history, list):
        raise PromotionRefused([f"--history {history_file}: expected the JSON list of `pulumi stack history --json`"])
    updates = []
    for index, entry in enumerate(history):
        if isinstance(entry, dict) and entry.get("kind") == "update":
            started = _parse_pulumi_time(entry.get("startTime"), "startTime", index, history_file)
            updates.append((started, index, entry))
    if not updates:
        raise PromotionRefused([f"--history {history_file}: {source.stack} has no update in its history "
                                f"(deploy it with `pulumi up` and let it soak)"])
    started, index, newest = max(updates, key=lambda item: item[0])
    # Pulumi Cloud numbers updates; the file backend (CLI v3.259.0) writes version 0 for every one.
    version = newest.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version <= 0:
        version = None
    label = f"update {version}" if version is not None else "update"
    if newest.get("result") != "succeeded" or "endTime" not in newest:
        raise PromotionRefused([
            f"{source.stack}'s newest {label} (started {format_time(started)}) has result "
            f"{newest.get('result')!r}; promotion needs a succeeded update that has soaked (fix {source.stack} first)"
        ])
    ended = _parse_pulumi_time(newest["endTime"], "endTime", index, history_file)
    soaked = now - ended
    required = timedelta(hours=min_soak_hours)
    if soaked < required:
        raise PromotionRefused([
            f"{source.stack}'s newest {label} ended at {format_time(ended)}, "
            f"{soaked.total_seconds() / 3600:.1f} h before now ({format_time(now)}); "
            f"promotion needs {min_soak_hours:g} h of soak ({soak_source}): "
            f"wait until {format_time(ended + required)}"
        ])
    return StagingUpdate(version, ended)


def verification_gate(root: Path, source: StackFile, target: StackFile, changes: Sequence[ComponentChange],
                      staging_update: Optional[StagingUpdate], override: Optional[str]) -> Optional[str]:
    """The verification gate (stackctl/verification_record.py): refuse, or return the override's note."""
    if override is not None and not override.strip():
        raise PromotionRefused(["--override-verification '': give the reason for promoting without a green "
                                "verification, in words; it goes into the commit message"])
    if target.verification is None:
        return None
    from config_models.base import ConfigError
    from stackctl.verification_record import read_records, verification_problems

    try:
        log = read_records(root / target.verification, f"{RELEASE_KEY}.promotionGate.verification")
    except ConfigError as error:
        raise PromotionRefused([f"the verification records {target.verification} are unusable: {problem}"
                                for problem in error.problems]) from None
    problems = verification_problems(log, [(change.component, change.new_image) for change in changes
                                           if change.old_image != change.new_image],
                                     source.stack, staging_update.ended if staging_update else None,
                                     target.verification)
    if not problems:
        return None
    if override is None:
        raise PromotionRefused(problems + [
            f"{target.path.name} takes only images {source.stack} verified ({RELEASE_KEY}.promotionGate."
            f"verification); to promote anyway, add --override-verification \"<reason>\", which is printed and "
            "written into the commit message"])
    return ("Verification override: promoted without a green verification:\n"
            + "\n".join(f"- {problem}" for problem in problems) + f"\nReason: {override.strip()}")

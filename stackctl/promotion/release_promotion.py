"""One promotion from start to finish: `promote_release` runs the steps of `stackctl promote` in order.

It reads both stack files, refuses bad flags, plans the changes, checks the
evidence, extends the ledger, edits the target with the first editor whose
result the verifier accepts (`edit_target_text`, the one place the editor
and the verifier meet), and writes every file or none; it returns a
`PromotionResult` with the diffs and the commit message. It prints nothing:
`stackctl/promote.py` (the verb) reports the result, and is with the tests
the only importer. It imports every other module of `stackctl.promotion`.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Sequence

from stackctl.promotion.edit_verification import verify_edit
from stackctl.promotion.evidence import check_deployed_digests, check_soak_time, read_evidence_json, verification_gate
from stackctl.promotion.file_writes import PlannedWrite, check_committed, write_all_or_nothing
from stackctl.promotion.ledger import ledger_with, seeded_ledger
from stackctl.promotion.plan import plan_promotion
from stackctl.promotion.release_value_spans import EditRejected
from stackctl.promotion.stack_file import (
    MIN_SOAK_KEY_PATH,
    RELEASE_KEY,
    ComponentChange,
    PromotionRefused,
    StackFile,
    read_stack_file,
)
from stackctl.promotion.stack_file_edit import edit_by_round_trip, edit_by_text

# Stack names become file names; keep them to what Pulumi allows and away from paths.
_STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class PromotionResult:
    source: StackFile
    target: StackFile
    changes: tuple[ComponentChange, ...]
    new_text: str
    diff: str
    commit_message: str
    written: bool
    edit_method: str = ""  # which editor produced `new_text`, for the curious and the tests
    gate_override: Optional[str] = None  # the lowered gate and its reason, when --override-gate was used
    ledger_diff: str = ""  # the entries appended to the release ledger


# --- editing the target text: the first editor whose result verifies ---------

def edit_target_text(target: StackFile, changes: Sequence[ComponentChange]) -> tuple[str, str]:
    """(new text, editor used): round trip if it verifies, else the text edit if it verifies, else refuse."""
    reasons = []
    for method, edit in (("ruamel round trip", edit_by_round_trip), ("in-place text edit", edit_by_text)):
        try:
            new_text = edit(target.text, changes)
            verify_edit(target.text, new_text, changes)
            return new_text, method
        except EditRejected as error:
            reasons.append(f"{method}: {error}")
    raise PromotionRefused([
        f"{target.where()}: cannot change only the promoted values ({'; '.join(reasons)}); "
        f"edit {RELEASE_KEY}.images by hand, or make the block plain block-style YAML"
    ])


# --- the diffs and the commit message ----------------------------------------

def _describe(image: str, version: Optional[str]) -> str:
    return f"{image} ({version if version is not None else 'no version'})"


def commit_message(source: StackFile, target: StackFile, changes: Sequence[ComponentChange],
                   gate_override: Optional[str] = None, ledger: Optional[str] = None) -> str:
    components = ", ".join(change.component for change in changes)
    lines = [
        f"release({target.stack}): promote {components} from {source.stack}",
        "",
        f"Copy the pinned images {source.stack} runs into {target.path.name}; nothing is rebuilt.",
        "Roll back with `git revert` of this commit.",
        "",
    ]
    for change in changes:
        lines.append(f"- {change.component}: {_describe(change.old_image, change.old_version)}")
        lines.append(f"  -> {_describe(change.new_image, change.new_version)}")
    if ledger:
        lines += ["", f"{ledger} records that {source.stack} ran each promoted image."]
    if gate_override:
        lines += ["", gate_override]
    return "\n".join(lines) + "\n"


def unified_diff(target: StackFile, new_text: str) -> str:
    return "".join(difflib.unified_diff(
        target.text.splitlines(keepends=True), new_text.splitlines(keepends=True),
        fromfile=f"a/{target.path.name}", tofile=f"b/{target.path.name}",
    ))


# --- the promotion -----------------------------------------------------------

def promote_release(root: Path, source_stack: str, target_stack: str, *, only: Sequence[str] = (),
                    dry_run: bool = False, verify_against: Optional[Path] = None,
                    history: Optional[Path] = None, min_soak_hours: Optional[float] = None,
                    override_gate: Optional[str] = None, allow_dirty: bool = False,
                    now: Optional[datetime] = None, commit_message_file: Optional[Path] = None,
                    seed_ledger: bool = False,
                    override_verification: Optional[str] = None) -> PromotionResult:
    """Promote `source_stack`'s pinned images into `target_stack`'s file. Raises PromotionRefused.

    Returns with `changes` empty (and nothing written) when the target already
    pins what the source pins. Everything it writes (the stack file, the
    ledger, `commit_message_file`) is written together or not at all.
    `seed_ledger` starts a missing ledger instead: one entry for every
    component the target pins exactly as the source does and the source has
    deployed, so the provenance gate can pass for what prod runs today.
    """
    for flag, stack in (("--from", source_stack), ("--to", target_stack)):
        if not _STACK_NAME.match(stack):
            raise PromotionRefused([f"{flag} {stack!r}: not a stack name (letters, digits, '-', '_', '.')"])
    if source_stack == target_stack:
        raise PromotionRefused([f"--from and --to are both {source_stack!r}; promote between two stacks"])
    stacks, problems = [], []
    for stack in (source_stack, target_stack):
        try:
            stacks.append(read_stack_file(root, stack))
        except PromotionRefused as refusal:
            problems += refusal.problems
    if problems:
        raise PromotionRefused(problems)
    source, target = stacks
    if override_gate is not None and not override_gate.strip():
        raise PromotionRefused(["--override-gate '': give the reason for lowering the gate, in words; "
                                "it goes into the commit message"])
    if min_soak_hours is not None and (min_soak_hours != min_soak_hours or min_soak_hours < 0):
        raise PromotionRefused([f"--min-soak-hours {min_soak_hours:g}: must be a number of hours >= 0"])
    configured = target.min_soak_hours
    if min_soak_hours is not None and configured is not None and min_soak_hours < configured \
            and override_gate is None:
        raise PromotionRefused([
            f"--min-soak-hours {min_soak_hours:g} is below the {configured:g} h that {MIN_SOAK_KEY_PATH} "
            f"in {target.path.name} requires; a gate is never lowered silently (add "
            "--override-gate \"<reason>\", which is printed and written into the commit message, "
            "or drop --min-soak-hours)"
        ])
    # Evidence files are read even when there is nothing to promote: a wrong path
    # or a file that is not the CLI's JSON is a mistake to report, not to skip.
    for flag, evidence in (("--verify-against", verify_against), ("--history", history)):
        if evidence is not None:
            read_evidence_json(evidence, flag)
    if seed_ledger:
        return _seed_ledger(root, source, target, only, dry_run, verify_against, history)
    changes = tuple(plan_promotion(source, target, only))
    if not changes:
        return PromotionResult(source, target, (), target.text, "", "", written=False)
    if not allow_dirty and not dry_run:
        check_committed(target)

    if verify_against is not None:
        check_deployed_digests(changes, source, verify_against)
    if min_soak_hours is not None:
        soak_hours, soak_source = min_soak_hours, "--min-soak-hours"
    elif target.min_soak_hours is not None:
        soak_hours, soak_source = target.min_soak_hours, f"{MIN_SOAK_KEY_PATH} in {target.path.name}"
    else:
        soak_hours, soak_source = 0.0, "no minimum set"
    if target.ledger is not None and (verify_against is None or history is None):
        raise PromotionRefused([
            f"{target.path.name} gates prod on the release ledger {target.ledger} "
            f"({RELEASE_KEY}.promotionGate.ledger): pass --verify-against and --history (staging's "
            "`pulumi stack output --json` and `pulumi stack history --json`) so the ledger records what "
            f"{source.stack} ran and when"
        ])
    staging_update = check_soak_time(history, soak_hours, soak_source, source, now or datetime.now(timezone.utc))
    verification_override = verification_gate(root, source, target, changes, staging_update, override_verification)
    ledger_path, ledger_old, ledger_new = None, b"", b""
    if target.ledger is not None:
        ledger_path = (root / target.ledger)
        ledger_old, ledger_new = ledger_with(ledger_path, changes, source, staging_update,
                                             verify_against, history)

    gate_override = None
    if override_gate is not None and min_soak_hours is not None and configured is not None \
            and min_soak_hours < configured:
        gate_override = (f"Gate override: soak lowered from {configured:g} h ({MIN_SOAK_KEY_PATH}) to "
                         f"{min_soak_hours:g} h. Reason: {override_gate.strip()}")
    gate_override = "\n\n".join(note for note in (gate_override, verification_override) if note) or None
    new_text, edit_method = edit_target_text(target, changes)
    result = PromotionResult(
        source, target, changes, new_text, unified_diff(target, new_text),
        commit_message(source, target, changes, gate_override, target.ledger), written=not dry_run,
        edit_method=edit_method, gate_override=gate_override,
        ledger_diff=_text_diff(target.ledger, ledger_old, ledger_new) if ledger_path is not None else "",
    )
    writes = []
    if not dry_run:
        if ledger_path is not None and ledger_new != ledger_old:
            writes.append(PlannedWrite(ledger_path, ledger_new, ledger_old if ledger_path.exists() else None))
        writes.append(PlannedWrite(target.path, new_text.encode("utf-8"), target.data))
    if commit_message_file is not None:
        writes.append(PlannedWrite(commit_message_file, result.commit_message.encode("utf-8"), None, check_old=False))
    write_all_or_nothing(writes)
    return result


def _seed_ledger(root: Path, source: StackFile, target: StackFile, only: Sequence[str], dry_run: bool,
                 verify_against: Optional[Path], history: Optional[Path]) -> PromotionResult:
    """`--seed-ledger`: a missing ledger, started from what both stacks pin and the source has deployed."""
    ledger_path, new = seeded_ledger(root, source, target, only, verify_against, history)
    if not dry_run:
        write_all_or_nothing([PlannedWrite(ledger_path, new, None)])
    return PromotionResult(source, target, (), target.text, "", "", written=not dry_run,
                           ledger_diff=_text_diff(target.ledger, b"", new))


def _text_diff(name: str, old: bytes, new: bytes) -> str:
    return "".join(difflib.unified_diff(
        old.decode("utf-8").splitlines(keepends=True), new.decode("utf-8").splitlines(keepends=True),
        fromfile=f"a/{name}", tofile=f"b/{name}"))

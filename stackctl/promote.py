"""`stackctl promote --from staging --to prod`: copy pinned images from one stack file to another.

Promotion is a digest copy, never a rebuild: for each component in the
source's `platform:release.images`, the target gets the same `image`
(`registry/repo@sha256:...`) and the same `version` label, and nothing else in
the target file changes, byte for byte: comments, key order, quoting, other
settings and Pulumi `secure:` values. The edit is made with ruamel.yaml's
round trip and, if that would reformat anything else, by replacing the scalar
values in the text; either result is accepted only after re-parsing both texts
proves the only differences are the intended values. The file is replaced
atomically, and the printed commit message lists every old -> new digest, so
rolling back is `git revert` of that commit.

Refusals leave the target untouched: a tag or malformed digest on either side,
a component on one side only (unless `--only` picks components both deploy),
a registry the target's allowlist does not name, a digest staging has not
actually deployed (`--verify-against`, staging's `pulumi stack output --json`),
or a release that has not soaked long enough (`--history`, staging's
`pulumi stack history --json`, with `--min-soak-hours` or the target's
`platform:release.promotionGate.minSoakHours`). A `--min-soak-hours` below
that key is refused unless `--override-gate "<reason>"` says why; the reason
goes into the commit message. The target file must have no uncommitted
changes in git (`--allow-dirty` to skip), so the commit holds only the
promotion. Every refusal exits 2.

Left out on purpose: this command does not run Pulumi or commit, contact a
registry, or check that the target stack's services use the components; the
program's own config validation does that on the next `pulumi up`.
"""
from __future__ import annotations

import argparse
import difflib
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Sequence

from stackctl.errors import EXIT_BAD_INPUT, BadInput
from stackctl.promotion.edit_verification import verify_edit
from stackctl.promotion.evidence import (
    check_deployed_digests,
    check_soak_time,
    read_evidence_json,
    verification_gate,
)
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
    stack_file_path,
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


# --- editing the target text -------------------------------------------------

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


# --- output ------------------------------------------------------------------

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


# --- the command -------------------------------------------------------------

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


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "promote", help="copy pinned images from one stack file to another (staging -> prod)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--from", dest="source", required=True, help="stack to copy from, e.g. staging")
    parser.add_argument("--to", dest="target", required=True, help="stack to write, e.g. prod")
    parser.add_argument("--only", action="extend", nargs="+", default=[], metavar="COMPONENT",
                        help="promote only these components (each must be in both stacks). Default: all.")
    parser.add_argument("--dry-run", action="store_true", help="print the diff and commit message, write nothing")
    parser.add_argument("--verify-against", type=Path, metavar="FILE",
                        help="`pulumi stack output --json` of the source stack: refuse digests it has not deployed")
    parser.add_argument("--history", type=Path, metavar="FILE",
                        help="`pulumi stack history --json` of the source stack, for the soak gate")
    parser.add_argument("--min-soak-hours", type=float, metavar="N",
                        help=f"hours since the source's last update; overrides {MIN_SOAK_KEY_PATH} of the target. "
                             "Default: that key, else 0.")
    parser.add_argument("--override-gate", metavar="REASON",
                        help="allow --min-soak-hours below the target's configured minimum; the reason is printed "
                             "and written into the commit message")
    parser.add_argument("--override-verification", metavar="REASON",
                        help="promote images without a green `stackctl verify` record; the reason is printed and "
                             "written into the commit message")
    parser.add_argument("--read-state", action="store_true",
                        help="read the source's outputs and history from its Pulumi state (Automation API, needs "
                             "the pulumi CLI) instead of --verify-against/--history files")
    parser.add_argument("--allow-dirty", action="store_true",
                        help="promote even if the target stack file has uncommitted changes in git")
    parser.add_argument("--commit-message-file", type=Path, default=None,
                        help="also write the commit message to this file (for automation), together with the "
                             "stack file and the ledger or not at all. Default: print only.")
    parser.add_argument("--seed-ledger", action="store_true",
                        help="start a missing release ledger from what both stacks pin alike and the source has "
                             "deployed (needs --verify-against and --history); writes only the ledger")


def run(args) -> int:
    root = args.root if args.root is not None else Path.cwd()
    verify_against, history = args.verify_against, args.history
    with tempfile.TemporaryDirectory(prefix="stackctl-state-") as state_directory:
        if getattr(args, "read_state", False):
            if verify_against is not None or history is not None:
                raise BadInput("--read-state", "with --verify-against/--history",
                               "give either the files or --read-state, not both")
            from stackctl.stack_state import save_stack_state

            verify_against, history = save_stack_state(args.source, root, Path(state_directory))
        return _promote_and_report(args, root, verify_against, history)


def _promote_and_report(args, root: Path, verify_against: Optional[Path], history: Optional[Path]) -> int:
    try:
        result = promote_release(
            root, args.source, args.target, only=args.only, dry_run=args.dry_run,
            verify_against=verify_against, history=history, min_soak_hours=args.min_soak_hours,
            override_gate=args.override_gate, allow_dirty=args.allow_dirty,
            override_verification=getattr(args, "override_verification", None),
            commit_message_file=args.commit_message_file, seed_ledger=args.seed_ledger,
        )
    except PromotionRefused as refusal:
        from stackctl.errors import config_error_lines

        print("\n".join(config_error_lines(refusal.problems, f"not promoting {args.source} -> {args.target}; "
                                            f"{stack_file_path(root, args.target).name} is unchanged")),
              file=sys.stderr)
        return EXIT_BAD_INPUT
    if getattr(args, "output", "text") == "json":
        return _print_json(args, result)
    if args.seed_ledger:
        sys.stdout.write(result.ledger_diff)
        print(f"\n{'seeded' if result.written else 'dry run: not written:'} {result.target.ledger}; commit it, "
              f"then promote {args.source} -> {args.target} as usual")
        return 0
    if not result.changes:
        components = ", ".join(sorted(args.only) if args.only else sorted(result.target.images))
        print(f"nothing to promote: {result.target.path.name} already pins what {args.source} pins "
              f"({components})")
        return 0
    sys.stdout.write(result.diff)
    sys.stdout.write(result.ledger_diff)
    if result.gate_override:
        print(f"\nwarning: {result.gate_override}")
    if result.written:
        print(f"\nwrote {result.target.path}" + (f" and {result.target.ledger}" if result.ledger_diff else ""))
    else:
        print(f"\ndry run: {result.target.path} not written")
    print("\ncommit it with this message (rollback = `git revert` of that commit):\n")
    sys.stdout.write(result.commit_message)
    return 0


def _print_json(args, result: PromotionResult) -> int:
    """The promotion plan as one JSON object (stackctl/output_schemas/promote.schema.json)."""
    from stackctl.output_formats import print_json

    # --commit-message-file was written by promote_release, with the stack file and the ledger.
    print_json("promote", {
        "from": args.source,
        "to": args.target,
        "targetFile": str(result.target.path),
        "ledger": result.target.ledger if result.ledger_diff else None,
        "dryRun": bool(args.dry_run),
        # With --seed-ledger only the ledger is written; "ledger" names it.
        "written": bool(result.changes or result.ledger_diff) and result.written,
        "changes": [{"component": change.component, "oldImage": change.old_image, "newImage": change.new_image,
                     "oldVersion": change.old_version, "newVersion": change.new_version}
                    for change in result.changes],
        "gateOverride": result.gate_override,
        "diff": result.diff,
        "commitMessage": result.commit_message,
    })
    return 0

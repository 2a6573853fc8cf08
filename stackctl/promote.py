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

# The verb only: its flags, and how a result or a refusal is printed. The
# docstring above is `stackctl promote --help`. The promotion itself is
# stackctl/promotion/ (release_promotion.promote_release runs its steps);
# only stackctl/__main__.py (and the tests) import this module.

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Optional

from stackctl.errors import EXIT_BAD_INPUT, BadInput
from stackctl.promotion.release_promotion import PromotionResult, promote_release
from stackctl.promotion.stack_file import MIN_SOAK_KEY_PATH, PromotionRefused, stack_file_path


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

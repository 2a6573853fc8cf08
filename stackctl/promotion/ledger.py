"""The release ledger (release.promotionGate.ledger): the entries a promotion appends, and the seed of a new one.

The ledger records each image the source stack was shown to run (its
digest, the update that deployed it and when), and prod's provenance gate
(config_models/release_ledger.py) reads it. `ledger_with` returns the ledger's
bytes before and after appending one entry per promoted image, and re-reads
the result to prove the old entries are untouched; `seeded_ledger` starts a
missing ledger for `--seed-ledger`. Neither writes: `release_promotion`
writes the ledger together with the stack file. It imports `stack_file` and
`evidence`.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Sequence

import yaml

from stackctl.promotion.evidence import StagingUpdate, check_deployed_digests, check_soak_time, format_time
from stackctl.promotion.stack_file import RELEASE_KEY, ComponentChange, PromotionRefused, StackFile


def seeded_ledger(root: Path, source: StackFile, target: StackFile, only: Sequence[str],
                  verify_against: Optional[Path], history: Optional[Path]) -> tuple[Path, bytes]:
    """`--seed-ledger`: a missing ledger, started from what both stacks pin and the source has deployed.

    Returns the ledger's path and its bytes; the caller writes them (or, on a dry run, does not).
    """
    if target.ledger is None:
        raise PromotionRefused([f"--seed-ledger: {target.path.name} has no {RELEASE_KEY}.promotionGate.ledger to "
                                "seed (set it, e.g. releases/staging-verified.yaml)"])
    ledger_path = root / target.ledger
    if ledger_path.exists():
        raise PromotionRefused([f"--seed-ledger: {target.ledger} exists already; seeding only starts a missing "
                                "ledger (promote as usual)"])
    if verify_against is None or history is None:
        raise PromotionRefused([f"--seed-ledger: pass --verify-against and --history ({source.stack}'s "
                                "`pulumi stack output --json` and `pulumi stack history --json`): the ledger "
                                f"records only what {source.stack} is shown to run"])
    shared = tuple(
        ComponentChange(component, entry.image, entry.image, entry.version, entry.version)
        for component, entry in sorted(target.images.items())
        if (not only or component in only) and component in source.images
        and source.images[component].image == entry.image)
    if not shared:
        raise PromotionRefused([f"--seed-ledger: no component is pinned alike in {source.path.name} and "
                                f"{target.path.name}; promote as usual, which records what it promotes"])
    check_deployed_digests(shared, source, verify_against)
    staging_update = check_soak_time(history, 0.0, "seeding", source, datetime.now(timezone.utc))
    _, new = ledger_with(ledger_path, shared, source, staging_update, verify_against, history)
    return ledger_path, new


def ledger_with(path: Path, changes: Sequence[ComponentChange], source: StackFile,
                staging_update: Optional[StagingUpdate], outputs_file: Optional[Path],
                history_file: Optional[Path]) -> tuple[bytes, bytes]:
    """The ledger's bytes now, and with an entry appended for each promoted image (checked by re-reading)."""
    from config_models.base import ConfigError
    from config_models.release_ledger import LEDGER_HEADER, read_ledger

    where = f"{RELEASE_KEY}.promotionGate.ledger"
    if path.exists():
        try:
            old_entries = read_ledger(path, where).releases
            old = path.read_bytes()
        except (ConfigError, OSError) as error:
            problems = error.problems if isinstance(error, ConfigError) else [f"{path}: {error}"]
            raise PromotionRefused([f"the release ledger {path.name} is unusable: {problem}" for problem in problems]) from None
    else:
        old_entries, old = [], (LEDGER_HEADER + "releases:\n").encode("utf-8")
    text = old.decode("utf-8")
    if not text.endswith("\n"):
        text += "\n"
    added = []
    for change in changes:
        newest = [entry for entry in old_entries if entry.component == change.component][-1:]
        if newest and newest[0].image == change.new_image:
            continue  # already the newest record of this component
        entry = {
            "component": change.component,
            "image": change.new_image,
            **({"version": change.new_version} if change.new_version is not None else {}),
            "stack": source.stack,
            **({"update": staging_update.version} if staging_update and staging_update.version is not None else {}),
            "deployedAt": format_time(staging_update.ended) if staging_update else "unknown",
            "evidence": f"stackctl promote --verify-against {outputs_file.name if outputs_file else '-'} "
                        f"--history {history_file.name if history_file else '-'}",
        }
        added.append(entry)
        text += "  - " + "\n    ".join(f"{key}: {json.dumps(value)}" for key, value in entry.items()) + "\n"
    new = text.encode("utf-8")
    # Re-read what would be written: the old entries unchanged, the new ones appended exactly.
    reread = yaml.safe_load(text) or {}
    releases = reread.get("releases") if isinstance(reread, dict) else None
    if not isinstance(releases, list) or len(releases) != len(old_entries) + len(added) or releases[len(old_entries):] != added:
        raise PromotionRefused([f"the release ledger {path.name} could not be extended safely (is `releases:` "
                                "its last key, written as a block list?); nothing was written"])
    return old, new

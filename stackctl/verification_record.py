"""Verification records: what `stackctl verify` found on a live stack, and the promotion gate that reads them.

A record says: after staging's update N (which ended at T), these digests
were running and every check of the verification (each workload's rollout at
its pinned digest, each Secret synced, each declared smoke check) passed or
failed, at this time. Records live in one file per stack under `releases/`
(`releases/<stack>-verifications.yaml`), newest last, written only by
`stackctl verify`, each write a whole-file atomic replace so a crash leaves
the old file or the new one, never half of it. Red records are kept too: they
are evidence, and they stop the gate from using an older green one.

The gate (`verification_problems`) is what prod's
`release.promotionGate.verification` turns on: `stackctl promote` takes an
image only if the newest verification of the source stack that saw it, made
after the source's newest update, is green. The newest update counts, not
"the update that changed this image": `pulumi stack history` does not say
which update changed which image, and any update (a config change, a
provider upgrade) can break a service that did not change. It is the same
rule as the soak gate's.

Deliberately left out: signatures (the file is reviewed in the promotion
pull request like the ledger), and pruning old records.
"""
from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal, Optional, Sequence

from pydantic import Field
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from config_models.base import ConfigError, ConfigModel, validate_config
from config_models.release import PinnedImageReference

RECORD_HEADER = """\
# What `stackctl verify` found on the live stack, newest last: the evidence
# prod's promotion gate reads (release.promotionGate.verification).
# Written by `stackctl verify` only; do not edit by hand.
"""
CheckResult = Literal["passed", "failed"]


class CheckOutcome(ConfigModel):
    """One check of a verification. There is no `skipped`: a check that could not run failed."""

    name: str = Field(description="What was checked, e.g. `rollout Deployment matrix/sol`. Required.")
    kind: Literal["staging-update", "rollout", "secret", "smoke"] = Field(description="Which family. Required.")
    result: CheckResult = Field(description="passed or failed. Required.")
    detail: str = Field("", description="Why it failed, or what passed. Default: empty.")


class VerificationRecord(ConfigModel):
    """One run of `stackctl verify` against a stack."""

    stack: str = Field(description="The verified stack. Required.")
    update: Optional[int] = Field(None, description="Its newest update's history version, when the backend "
                                                    "numbers them. Default: none.")
    update_ended_at: Optional[str] = Field(description="When that update ended, UTC ISO 8601; null if it never "
                                                       "ended (then the record is red). Required.")
    verified_at: str = Field(description="When the checks finished, UTC ISO 8601. Required.")
    result: CheckResult = Field(description="passed only if every check passed. Required.")
    digests: dict[str, PinnedImageReference] = Field(description="Component -> the image verified. Required.")
    checks: list[CheckOutcome] = Field(description="Every check, in the order run. Required.")


class VerificationLog(ConfigModel):
    verifications: list[VerificationRecord] = Field(default_factory=list, description="Oldest first.")


def record_path(root: Path, stack: str) -> Path:
    return root / "releases" / f"{stack}-verifications.yaml"


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_records(path: Path, key_path: str = "release.promotionGate.verification") -> VerificationLog:
    """The records in `path` (none if it does not exist yet). Raises ConfigError naming a malformed file."""
    try:
        document = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return VerificationLog()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([f"{key_path}: {str(path)!r} cannot be read ({error})"]) from None
    except YAMLError as error:
        first = str(error).strip().splitlines()[0]
        raise ConfigError([f"{key_path}: {str(path)!r} is not valid YAML ({first}); it is written by "
                           "`stackctl verify`: restore it from git"]) from None
    log = validate_config(VerificationLog, document if document is not None else {}, prefix=(path.name,))
    for index, record in enumerate(log.verifications):
        for field, value in (("updateEndedAt", record.update_ended_at), ("verifiedAt", record.verified_at)):
            if value is None and field == "updateEndedAt":
                continue
            try:
                parse_time(value)
            except ValueError:
                raise ConfigError([f"{path.name}.verifications[{index}].{field}: {value!r} is not an ISO 8601 "
                                   "time (restore the file from git)"]) from None
    return log


def append_record(path: Path, record: VerificationRecord) -> None:
    """Add `record` to the file, replacing it atomically (temporary file beside it, fsync, rename)."""
    import yaml

    log = read_records(path)
    records = [entry.model_dump(by_alias=True, exclude_defaults=False) for entry in log.verifications]
    records.append(record.model_dump(by_alias=True))
    text = RECORD_HEADER + yaml.safe_dump({"verifications": records}, sort_keys=False, width=4096,
                                          default_flow_style=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def verification_problems(log: VerificationLog, components: Sequence[tuple[str, str]], source_stack: str,
                          update_ended: Optional[datetime], record_name: str) -> list[str]:
    """Each (component, image) without a green verification of `source_stack` newer than its newest update.

    `update_ended` is the end of the source's newest update (from its
    history); None means the history was not read, which is itself a problem.
    """
    command = f"stackctl verify {source_stack}"
    if update_ended is None:
        return [f"the verification gate ({record_name}) needs {source_stack}'s update history to know which "
                f"verifications are current (pass --history or --read-state)"]
    problems = []
    for component, image in components:
        seen = [record for record in log.verifications
                if record.stack == source_stack and record.digests.get(component) == image]
        current = [record for record in seen if parse_time(record.verified_at) > update_ended]
        if not seen:
            problems.append(f"component {component!r}: no verification of {source_stack} running {image} in "
                            f"{record_name} (run `{command}` once the rollout has finished)")
        elif not current:
            newest = seen[-1]
            problems.append(
                f"component {component!r}: the newest verification of {image} ({newest.verified_at}) is older "
                f"than {source_stack}'s newest update, which ended at {format_time(update_ended)}; that update may "
                f"have changed what runs (run `{command}` again)")
        elif current[-1].result != "passed":
            newest = current[-1]
            failed = [check.name for check in newest.checks if check.result != "passed"]
            problems.append(
                f"component {component!r}: the newest verification of {image} ({newest.verified_at}) failed: "
                f"{'; '.join(failed) or 'no check passed'} (fix {source_stack}, then run `{command}` again)")
    return problems

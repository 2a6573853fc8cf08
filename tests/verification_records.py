"""Verification records for scenario tests: what `stackctl verify` would have appended after a run."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Optional

from stackctl.verification_record import CheckOutcome, VerificationRecord, append_record, format_time, record_path


def record_verification(root: Path, digests: dict[str, str], verified_at: datetime, update_ended_at: datetime,
                        passed: bool = True, stack: str = "staging", update: Optional[int] = 7) -> Path:
    """Append one record (green, or red with one failed smoke check) to `root`'s records of `stack`."""
    checks = [CheckOutcome(name="newest update succeeded", kind="staging-update", result="passed"),
              CheckOutcome(name="rollout Deployment matrix/sol", kind="rollout", result="passed")]
    if not passed:
        checks.append(CheckOutcome(name="smoke sol/answers", kind="smoke", result="failed", detail="exit 1: no reply"))
    path = record_path(root, stack)
    append_record(path, VerificationRecord(
        stack=stack, update=update, update_ended_at=format_time(update_ended_at), verified_at=format_time(verified_at),
        result="passed" if passed else "failed", digests=digests, checks=checks))
    return path

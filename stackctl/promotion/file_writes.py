"""Writing a promotion's files: the target stack file committed first, then every file or none.

`check_committed` refuses a target stack file with uncommitted changes in
git, so the promotion commit holds only the promotion. `write_all_or_nothing`
stages each new file (stack file, ledger, commit message) in a synced
temporary file, refuses if a file changed on disk since it was read, then
renames each into place and puts the old bytes back if any rename fails. It
knows nothing of YAML or releases. It imports only `stack_file` (for
`PromotionRefused`); `release_promotion` imports it.
"""
from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from stackctl.promotion.stack_file import PromotionRefused, StackFile


def check_committed(target: StackFile) -> None:
    """The target file must have no uncommitted changes: the promotion commit holds only the promotion.

    Outside a git work tree (or without git) there is nothing to mix, so nothing to check.
    """
    import subprocess

    path = target.path.resolve()
    try:
        completed = subprocess.run(["git", "status", "--porcelain", "--", path.name], cwd=path.parent,
                                   capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return
    if completed.returncode != 0:
        return  # not a git work tree
    if completed.stdout.strip():
        raise PromotionRefused([
            f"{target.path.name} has uncommitted changes ({completed.stdout.strip().split()[0]} in `git status`); "
            "a promotion commit must hold only the promotion: commit or stash them first, "
            "or pass --allow-dirty"
        ])


@dataclass(frozen=True)
class PlannedWrite:
    """One file of a promotion: its new bytes, and the bytes it must still hold (None: it must not exist)."""

    path: Path
    data: bytes
    expected_old: Optional[bytes]
    check_old: bool = True  # False for a file the user names for output (--commit-message-file)


def write_all_or_nothing(writes: Sequence[PlannedWrite]) -> None:
    """Write every file or none: all new contents go to synced temporary files first, then each is renamed
    into place; if any step fails, the files already replaced get their old bytes back. Raises PromotionRefused.

    A promotion changes the stack file, the ledger and the commit message together: a refusal after one of
    them was written would leave a stack file without its ledger entry, or a message for nothing.
    """
    staged: list[tuple[PlannedWrite, Path, Path, Optional[bytes]]] = []  # (write, resolved, temporary, old bytes)
    try:
        for write in writes:
            path = Path(os.path.abspath(write.path))
            path = path.resolve() if path.is_symlink() else path  # a symlinked file is updated where it lives
            old = path.read_bytes() if path.exists() else None
            if write.check_old and old != write.expected_old:
                raise PromotionRefused([f"{path.name} changed on disk while promoting; nothing was written "
                                        "(run again)"])
            mode = stat.S_IMODE(path.stat().st_mode) if old is not None else 0o644
            try:
                if old is None and write.check_old:  # a new ledger may start a new directory
                    path.parent.mkdir(parents=True, exist_ok=True)
                descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".promote",
                                                         dir=path.parent)
            except OSError as error:
                raise PromotionRefused([f"{write.path}: cannot be written ({error.strerror}); nothing was "
                                        "written (choose a writable path)"]) from None
            staged.append((write, path, Path(temporary), old))
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(write.data)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, mode)
    except BaseException:
        for _, _, temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    replaced: list[tuple[Path, Optional[bytes]]] = []
    try:
        for _, path, temporary, old in staged:
            os.replace(temporary, path)
            replaced.append((path, old))
    except BaseException:
        for _, _, temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        for path, old in reversed(replaced):
            if old is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(old)
        raise
    for directory in {path.parent for _, path, _, _ in staged}:
        try:
            handle = os.open(directory, os.O_RDONLY)
        except OSError:
            continue  # some platforms cannot open a directory; the renames themselves are atomic
        try:
            os.fsync(handle)
        except OSError:
            pass
        finally:
            os.close(handle)

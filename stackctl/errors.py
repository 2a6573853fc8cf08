"""Exit codes and the one error type every verb raises for bad input.

The codes mean the same for every verb, so CI can branch on them:

    0   all is well
    1   findings: policy violations, drift, parity differences
    2   bad input or usage: a wrong flag, file, stack or config; a refused promotion
    70  internal error: a bug in stackctl (EX_SOFTWARE of sysexits.h)

Nothing but findings exits 1. `BadInput` carries the three parts of every
error message, `error: <what>: <value> (<fix>)`, so a user can act on it
without reading code.
"""
from __future__ import annotations

from typing import Any, Sequence

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 70
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report a SIGINT
EXIT_BROKEN_PIPE = 141  # stdout's reader went away, as shells report a SIGPIPE

EXIT_CODES_HELP = """exit codes, the same for every verb:
  0   all is well
  1   findings: policy violations, drift, parity differences
  2   bad input or usage (a wrong flag, file, stack or config; a refused promotion)
  70  internal error: a bug in stackctl (add --debug for the traceback)"""


def quoted(value: Any) -> str:
    """A value as it appears in messages: strings and paths quoted, so empty and blank values show."""
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else repr(str(value))


class BadInput(Exception):
    """Input the verb cannot act on. Nothing has been written or deleted when this is raised."""

    def __init__(self, what: str, value: Any, fix: str, details: Sequence[str] = (), quote: bool = True):
        self.what, self.value, self.fix = what, value, fix
        self.details = list(details)
        super().__init__(f"{what}: {quoted(value) if quote else value} ({fix})")

    def lines(self) -> list[str]:
        return [f"error: {self}"] + [f"  {line}" for line in self.details]


_STACK_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def stack_name(value: str) -> str:
    """argparse type of a STACK argument: a Pulumi stack name, which becomes the file name Pulumi.<stack>.yaml."""
    import argparse

    if not value or value[0] in "-._" or not set(value) <= _STACK_NAME_CHARACTERS:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a stack name (letters, digits, '-', '_' and '.', e.g. staging or prod)")
    return value

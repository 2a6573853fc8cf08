"""Entry point: the `stackctl` command (``python -m stackctl VERB ...`` works too).

Verbs are looked up by module name so that one missing optional dependency
(for example pulumi-policy for ``policy``) cannot break the others.

Every verb's errors end here, so the exit codes (stackctl/errors.py) mean the
same for all of them and no input shows a traceback: bad input is one
`error: <what>: <value> (<fix>)` line and exit 2; anything unexpected is one
line naming the verb and the exception, and exit 70 (`--debug` adds the
traceback).

The global flags (`--debug`, `--root`, `--output`) are accepted before or
after the verb: they are defined on the top parser and again on every verb's
parser with a suppressed default, so a flag given after the verb is not reset
by the top parser's default.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
import traceback
from pathlib import Path

from stackctl.errors import (
    EXIT_BAD_INPUT,
    EXIT_BROKEN_PIPE,
    EXIT_CODES_HELP,
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    BadInput,
)

# verb name -> module under stackctl/ providing add_parser(subparsers) and run(args)
VERBS = {
    "render": "stackctl.render",
    "promote": "stackctl.promote",
    "parity": "stackctl.parity",
    "policy": "stackctl.policy",
    "bench": "stackctl.bench",
    "drift": "stackctl.drift",
    "schema": "stackctl.schema",
    "verify": "stackctl.verify",
    "risk": "stackctl.risk",
    "local": "stackctl.local",
}


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors in the same `error: ...` form and exit code as every other bad input."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        print(f"error: {self.prog}: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


# The verbs that write SARIF (a findings format: only policy has findings with rules and locations).
SARIF_VERBS = frozenset({"policy"})


def _add_global_flags(parser: argparse.ArgumentParser, top: bool) -> None:
    """The flags every verb takes; on the verb parsers their defaults are suppressed (see the module docstring)."""
    def default(value):
        return value if top else argparse.SUPPRESS

    parser.add_argument("--debug", action="store_true", default=default(False),
                        help="on an internal error, print the traceback too")
    parser.add_argument("--root", type=Path, metavar="DIR", default=default(None),
                        help="the project directory (Pulumi.yaml, Pulumi.<stack>.yaml). "
                             "Default: this checkout (render, parity, policy, drift, schema; bench always uses it); "
                             "the current directory for promote")
    parser.add_argument("--output", choices=("text", "json", "sarif"), default=default("text"),
                        help="text for people (default); json for scripts (docs/output-formats.md); "
                             "sarif for code scanning (policy only)")


def version_text() -> str:
    """`stackctl --version`: the program's version and the Pulumi SDKs it runs on (the engine plugins follow them)."""
    from stackctl.versions import installed_versions

    lines = []
    for name, installed, pinned in installed_versions():
        note = "" if pinned in (None, installed) else f" (requirements.txt pins {pinned}: run scripts/bootstrap)"
        lines.append(f"{name} {installed or 'not installed'}{note}")
    return "\n".join(lines)


class _VersionAction(argparse.Action):
    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_text())
        parser.exit(0)


def _verb_in(argv: list[str] | None) -> str | None:
    """The verb on the command line, if any: the first argument naming one (global flags may precede it)."""
    arguments = sys.argv[1:] if argv is None else argv
    skip_value = False
    for argument in arguments:
        if skip_value:
            skip_value = False
            continue
        if argument in ("--root", "--output"):
            skip_value = True
            continue
        if argument.startswith("-"):
            continue
        return argument if argument in VERBS else None
    return None


def build_parser(argv: list[str] | None = None, all_verbs: bool = True) -> argparse.ArgumentParser:
    """The parser; with all_verbs=False and a verb on `argv`, only that verb's module is imported.

    Importing every verb costs each run the imports of all of them (the
    program, pydantic, ruamel, the Pulumi SDK for verify); `stackctl --help`
    and a line with no known verb still see every verb.
    """
    parser = _Parser(prog="stackctl", description=__doc__.split("\n\n")[0], epilog=EXIT_CODES_HELP,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=_VersionAction,
                        help="print the version of stackctl and of the Pulumi SDKs it runs on, and exit")
    _add_global_flags(parser, top=True)
    subparsers = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)
    chosen = None if all_verbs else _verb_in(argv)
    for verb, module_name in VERBS.items():
        if chosen is not None and verb != chosen:
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue  # verb not built yet
        module.add_parser(subparsers)
    for verb_parser in subparsers.choices.values():
        _add_global_flags(verb_parser, top=False)
        verb_parser.epilog = (verb_parser.epilog + "\n\n" if verb_parser.epilog else "") + EXIT_CODES_HELP
        verb_parser.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def _report_config_error(verb: str, error) -> None:
    from stackctl.errors import config_error_lines

    print("\n".join(config_error_lines(
        error.problems, f"invalid stack config; nothing was {'rendered' if verb == 'render' else 'checked'}")),
        file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(argv, all_verbs=False)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:  # --help (0) or a usage error (2)
        return int(exit_request.code or 0)
    verb = args.verb
    if args.output == "sarif" and verb not in SARIF_VERBS:
        print(f"error: --output: 'sarif' (only {', '.join(sorted(SARIF_VERBS))} writes SARIF; "
              f"use --output text or json with {verb})", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return importlib.import_module(VERBS[verb]).run(args)
    except BadInput as error:
        print("\n".join(error.lines()), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"stackctl {verb}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - the last line of defence: never a bare traceback
        from config_models.base import ConfigError

        if isinstance(error, ConfigError):
            _report_config_error(verb, error)
            return EXIT_BAD_INPUT
        if type(error).__name__ == "RunError" and type(error).__module__.startswith("pulumi"):
            # The program's own refusal (bad config, the provenance gate): its message is the whole story.
            stack = getattr(args, "stack", None)
            print(f"error: the program stopped{f' on stack {stack}' if stack else ''}: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        summary = str(error).strip().splitlines()[0] if str(error).strip() else "(no message)"
        print(f"stackctl {verb}: internal error: {type(error).__name__}: {summary}", file=sys.stderr)
        print("this is a bug in stackctl, not in your input; please report it with the output of "
              f"`stackctl --debug {verb} ...`", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        return EXIT_INTERNAL_ERROR


def console_main() -> None:
    """The `stackctl` command (pyproject.toml's console script) and `python -m stackctl`."""
    # A render is one short process that builds a large heap (the SDKs' modules, the program's
    # objects) and drops all of it at exit: the cyclic collector's passes over that heap, and
    # the interpreter's teardown of it, cost a third of the run and free nothing it still needs.
    short_lived = _verb_in(None) == "render"
    if short_lived:
        gc.disable()
    try:
        exit_code = main()
        if short_lived:
            sys.stdout.flush()
            sys.stderr.flush()
    except BrokenPipeError:
        # The reader of stdout went away (`stackctl render staging --out - | head`): no traceback, and
        # no second error when Python flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_BROKEN_PIPE)
    # Only here, when the process is about to end: callers of main() in the
    # same process (tests) may still run programs on those loops.
    if "stackctl.render" in sys.modules:
        sys.modules["stackctl.render"].close_worker_event_loops()
    if short_lived:
        # Everything is written and flushed; the only exit handlers are logging's and the idle
        # executor threads' joins, neither of which has anything left to do.
        os._exit(exit_code)
    sys.exit(exit_code)


if __name__ == "__main__":
    console_main()

"""Entry point: ``python -m stackctl VERB ...``.

Verbs are looked up by module name so that one missing optional dependency
(for example pulumi-policy for ``policy``) cannot break the others.

Every verb's errors end here, so the exit codes (stackctl/errors.py) mean the
same for all of them and no input shows a traceback: bad input is one
`error: <what>: <value> (<fix>)` line and exit 2; anything unexpected is one
line naming the verb and the exception, and exit 70 (`--debug` adds the
traceback).
"""
from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from stackctl.errors import (
    EXIT_BAD_INPUT,
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
    "verify": "stackctl.verify",
    "risk": "stackctl.risk",
}


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors in the same `error: ...` form and exit code as every other bad input."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        print(f"error: {self.prog}: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="stackctl", description=__doc__.split("\n\n")[0], epilog=EXIT_CODES_HELP,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="on an internal error, print the traceback too")
    subparsers = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)
    for verb, module_name in VERBS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue  # verb not built yet
        module.add_parser(subparsers)
    for verb_parser in subparsers.choices.values():
        verb_parser.epilog = (verb_parser.epilog + "\n\n" if verb_parser.epilog else "") + EXIT_CODES_HELP
        verb_parser.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def _report_config_error(verb: str, error) -> None:
    print(f"error: invalid stack config; nothing was {'rendered' if verb == 'render' else 'checked'}:",
          file=sys.stderr)
    for problem in error.problems:
        print(f"  {problem}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:  # --help (0) or a usage error (2)
        return int(exit_request.code or 0)
    verb = args.verb
    try:
        return importlib.import_module(VERBS[verb]).run(args)
    except BadInput as error:
        print("\n".join(error.lines()), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"stackctl {verb}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - the last line of defence: never a bare traceback
        from components.config_model import ConfigError

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


if __name__ == "__main__":
    exit_code = main()
    # Only here, when the process is about to end: callers of main() in the
    # same process (tests) may still run programs on those loops.
    if "stackctl.render" in sys.modules:
        sys.modules["stackctl.render"].close_worker_event_loops()
    sys.exit(exit_code)

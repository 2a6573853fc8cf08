"""Entry point: ``python -m stackctl VERB ...``.

Verbs are looked up by module name so that one missing optional dependency
(for example pulumi-policy for ``policy``) cannot break the others.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# verb name -> module under stackctl/ providing add_parser(subparsers) and run(args)
VERBS = {
    "render": "stackctl.render",
    "promote": "stackctl.promote",
    "parity": "stackctl.parity",
    "policy": "stackctl.policy",
    "bench": "stackctl.bench",
    "drift": "stackctl.drift",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stackctl", description=__doc__)
    subparsers = parser.add_subparsers(dest="verb", required=True)
    for verb, module_name in VERBS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue  # verb not built yet
        module.add_parser(subparsers)
    args = parser.parse_args(argv)
    return importlib.import_module(VERBS[args.verb]).run(args)


if __name__ == "__main__":
    exit_code = main()
    # Only here, when the process is about to end: callers of main() in the
    # same process (tests) may still run programs on those loops.
    if "stackctl.render" in sys.modules:
        sys.modules["stackctl.render"].close_worker_event_loops()
    sys.exit(exit_code)

"""stackctl: the command line of this project (render, promote, parity, policy, bench).

Every verb lives in its own module and exposes ``add_parser(subparsers)`` and
``run(args) -> int``; ``stackctl.__main__`` only assembles them.
"""

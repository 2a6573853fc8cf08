"""stackctl: the command line of this project (render, promote, verify, risk, drift, parity, policy, local, ...).

Every verb lives in its own module and exposes ``add_parser(subparsers)`` and
``run(args) -> int``; ``stackctl.__main__`` only assembles them, importing the
verb on the command line alone. The top layer (.importlinter): it may import
the program (`stack_program`), its layers below and the policy pack; nothing
of the program imports it.
"""

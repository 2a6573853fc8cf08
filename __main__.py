"""The Pulumi program's entry point for the CLI route (`pulumi preview`/`up` with the Python language host).

The program itself is `stack_program.run_stack_program`, which the Automation
API also runs as an inline program (`stackctl local`, tests/e2e).
"""
from pathlib import Path

from stack_program import run_stack_program

run_stack_program(Path(__file__).parent)

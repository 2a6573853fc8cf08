"""The Pulumi program as a function: read the stack config, validate all of it, then build the components.

`__main__.py` calls it for the CLI route (`pulumi up` with the Python
language host, as users run it); the Automation API runs the same function
as an inline program (`pulumi.automation`, `program=`), where the language
server lives in the calling Python process (`stackctl local`, tests/e2e).
One function, so both routes run exactly the same program.

Validation happens before the first resource is registered; bad config ends
the run with `pulumi.RunError` (the engine prints the message, no traceback)
and nothing is created, updated or deleted.

The program's top layer: it imports `stack_checks` (load and validate),
`components` (register) and `config_models`; only `__main__.py` and
`stackctl` import it (.importlinter).
"""
from __future__ import annotations

from pathlib import Path

import pulumi

from config_models.base import ConfigError
from components.provider_plugins import detect_provider_plugins
from components.stack import deploy_stack
from stack_checks.stack_rules import stack_warnings
from stack_checks.load import parse_stack_config, values_from_pulumi_config


def run_stack_program(project_dir: Path) -> None:
    """Register the stack's resources; `project_dir` holds the files the config names (config/, releases/)."""
    try:
        config, file_contents = parse_stack_config(values_from_pulumi_config(), project_dir)
    except ConfigError as error:
        raise pulumi.RunError(
            f"invalid config in Pulumi.{pulumi.get_stack()}.yaml; nothing was changed:\n  "
            + "\n  ".join(error.problems)
        ) from None

    for warning in stack_warnings(config):
        pulumi.log.warn(warning)
    for name, value in deploy_stack(config, file_contents, detect_provider_plugins(config)).items():
        pulumi.export(name, value)

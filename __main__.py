"""The Pulumi program: read the stack config, validate all of it, then build the components.

Validation happens before the first resource is registered; bad config ends
the run with `pulumi.RunError` (the engine prints the message, no traceback)
and nothing is created, updated or deleted.
"""
from pathlib import Path

import pulumi

from components.config_model import ConfigError
from components.provider_plugins import detect_provider_plugins
from components.service_stack import deploy_stack
from components.stack_checks import stack_warnings
from components.stack_config import parse_stack_config, values_from_pulumi_config

try:
    config, file_contents = parse_stack_config(values_from_pulumi_config(), Path(__file__).parent)
except ConfigError as error:
    raise pulumi.RunError(
        f"invalid config in Pulumi.{pulumi.get_stack()}.yaml; nothing was changed:\n  "
        + "\n  ".join(error.problems)
    ) from None

for warning in stack_warnings(config):
    pulumi.log.warn(warning)
for name, value in deploy_stack(config, file_contents, detect_provider_plugins(config)).items():
    pulumi.export(name, value)

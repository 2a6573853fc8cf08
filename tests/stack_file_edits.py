"""Edit a stack file's config the way a person would, for tests of bad input."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import yaml


def edit_stack_file(source: Path, target: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """Load `source`, apply `edit` to its `config` mapping (project prefix removed), write `target`."""
    document = yaml.safe_load(source.read_text())
    config = {key.split(":", 1)[1]: value for key, value in document["config"].items()}
    edit(config)
    document["config"] = {f"platform:{key}": value for key, value in config.items()}
    target.write_text(yaml.safe_dump(document, sort_keys=False))
    return target

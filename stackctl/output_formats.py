"""`--output json` (and `policy --output sarif`): what every verb prints for a script to read.

Each verb's JSON is one object on stdout, described by a JSON Schema in
`stackctl/output_schemas/<verb>.schema.json` (documented in
docs/output-formats.md and checked against real runs in the tests). Every
object names its verb and the version of its shape, so a script can refuse a
shape it does not know. Diagnostics (warnings, progress, errors) stay on
stderr in every format, so stdout is always the one document.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Mapping

SCHEMA_DIRECTORY = Path(__file__).resolve().parent / "output_schemas"
# Bumped when a field is removed or changes meaning; adding a field keeps it.
FORMAT_VERSION = 1


def schema_path(verb: str) -> Path:
    return SCHEMA_DIRECTORY / f"{verb}.schema.json"


def json_document(verb: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    return {"verb": verb, "formatVersion": FORMAT_VERSION, **payload}


def print_json(verb: str, payload: Mapping[str, Any]) -> None:
    print(json.dumps(json_document(verb, payload), indent=2, sort_keys=True))


def plural(count: int, noun: str, plural_form: str = "") -> str:
    """`1 violation`, `2 violations`: counts in messages read as English."""
    return f"{count} {noun if count == 1 else (plural_form or noun + 's')}"


def progress(message: str) -> None:
    """One progress line on stderr, only when a person watches it (stderr is a terminal): logs stay clean."""
    if sys.stderr.isatty():
        print(message, file=sys.stderr, flush=True)

"""The two editors of a target stack file: ruamel.yaml's round trip, and replacing the scalars in the text.

Each takes the target's text and the planned changes and returns the new
text; neither judges its own result. `release_promotion` tries the round trip
first and the text edit second, and keeps the first result that
`edit_verification.verify_edit` accepts. This module must not import
`edit_verification` (nor the reverse): the check stays independent of the
edit it checks. It imports `stack_file` and `release_value_spans` only.
"""
from __future__ import annotations

import io
import json
import re
from typing import Any, Sequence

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from stackctl.promotion.release_value_spans import (
    changed_fields,
    line_starts,
    release_images,
    scalar_span,
    whole_line,
)
from stackctl.promotion.stack_file import ComponentChange, load_round_trip, round_trip_yaml


def _plain_safe(value: str) -> bool:
    """True if `value` written unquoted reads back as the same string in YAML 1.1 and 1.2."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/@:+-]*", value) or re.search(r":$", value):
        return False
    return (yaml.safe_load(f"k: {value}") == {"k": value}
            and YAML(typ="safe", pure=True).load(f"k: {value}") == {"k": value})


def _scalar_text(value: str, like: str) -> str:
    """`value` as YAML text, in the quoting style of the text it replaces (`like`)."""
    if like.startswith("'") and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    if like.startswith('"') or not _plain_safe(value):
        return json.dumps(value)
    return value


def edit_by_round_trip(text: str, changes: Sequence[ComponentChange]) -> str:
    """ruamel.yaml round trip: load, set the values (keeping each one's quoting), dump."""
    round_trip = round_trip_yaml()
    document = round_trip.load(text)
    images = release_images(document)
    for change in changes:
        entry = images[change.component]
        image_changed, version_changed = changed_fields(change)
        if image_changed:
            entry["image"] = _styled_like(entry["image"], change.new_image)
        if not version_changed:
            continue
        if change.new_version is None:
            del entry["version"]
        elif "version" in entry:
            entry["version"] = _styled_like(entry["version"], change.new_version)
        else:
            entry.insert(list(entry).index("image") + 1, "version", DoubleQuotedScalarString(change.new_version))
    stream = io.StringIO()
    round_trip.dump(document, stream)
    return stream.getvalue()


def _styled_like(old: Any, value: str) -> str:
    if isinstance(old, SingleQuotedScalarString):
        return SingleQuotedScalarString(value)
    if isinstance(old, DoubleQuotedScalarString) or not _plain_safe(value):
        return DoubleQuotedScalarString(value)
    return value


def edit_by_text(text: str, changes: Sequence[ComponentChange]) -> str:
    """Replace the scalar values in place, located by the parser; every other byte is kept."""
    document = load_round_trip(text)
    images = release_images(document)
    starts = line_starts(text)
    edits: list[tuple[int, int, str]] = []
    for change in changes:
        entry = images[change.component]
        in_flow = entry.fa.flow_style()
        image_changed, version_changed = changed_fields(change)
        if image_changed:
            start, end = scalar_span(text, starts, entry.lc.value("image"), in_flow)
            edits.append((start, end, _scalar_text(change.new_image, text[start:end])))
        if not version_changed:
            continue
        if change.new_version is None:
            start, end = whole_line(text, starts, entry, "version")
            edits.append((start, end, ""))
        elif "version" in entry:
            start, end = scalar_span(text, starts, entry.lc.value("version"), in_flow)
            edits.append((start, end, _scalar_text(change.new_version, text[start:end])))
        else:
            line_start, line_end = whole_line(text, starts, entry, "image")
            line = text[line_start:line_end]
            newline = "\r\n" if line.endswith("\r\n") else "\n"
            indent = " " * entry.lc.key("image")[1]
            added = f"{indent}version: {json.dumps(change.new_version)}{newline}"
            edits.append((line_end, line_end, ("" if line.endswith("\n") else newline) + added))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text

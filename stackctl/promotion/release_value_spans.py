"""Where a release value sits in a stack file's text: the character span the YAML parser locates.

An image or version under `platform:release.images` is a single-line scalar;
`scalar_span` finds its exact characters from the position ruamel.yaml's
round trip records, and `whole_line` the line a `key: value` pair fills
alone. The editor (`stack_file_edit`) uses the spans to replace values in
place; the verifier (`edit_verification`) uses them to mask the intended
values before comparing texts. This module is the only code the two share,
besides `stack_file`; it imports only `stack_file`, and both of them import it.
`EditRejected` is raised here and by both: a candidate edit that would change
more than the intended values.
"""
from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.comments import CommentedMap

from stackctl.promotion.stack_file import RELEASE_KEY, ComponentChange


class EditRejected(Exception):
    """A candidate edit would change more than the intended values."""


def line_starts(text: str) -> list[int]:
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def scalar_span(text: str, starts: list[int], position: tuple[int, int], in_flow: bool) -> tuple[int, int]:
    """Offsets of the single-line scalar that starts at (line, column)."""
    line, column = position
    start = starts[line] + column
    line_end = starts[line + 1] if line + 1 < len(starts) else len(text)
    rest = text[start:line_end].rstrip("\r\n")
    if not rest or rest[0] in "|>&*!{[":
        raise EditRejected(f"the value on line {line + 1} is not a single-line scalar")
    if rest[0] in "\"'":
        quote, index = rest[0], 1
        while index < len(rest):
            if quote == '"' and rest[index] == "\\":
                index += 2
                continue
            if rest[index] == quote:
                if quote == "'" and rest[index + 1:index + 2] == "'":
                    index += 2
                    continue
                return start, start + index + 1
            index += 1
        raise EditRejected(f"the quoted value on line {line + 1} continues on the next line")
    end = len(rest)
    comment = re.search(r"[ \t]#", rest)
    if comment:
        end = comment.start()
    if in_flow:
        end = min([end] + [rest.index(mark) for mark in ",}" if mark in rest[:end]])
    return start, start + len(rest[:end].rstrip())


def release_images(document: Any) -> CommentedMap:
    return document["config"][RELEASE_KEY]["images"]


def changed_fields(change: ComponentChange) -> tuple[bool, bool]:
    return change.old_image != change.new_image, change.old_version != change.new_version


def whole_line(text: str, starts: list[int], entry: CommentedMap, key: str) -> tuple[int, int]:
    """Offsets of the line holding `key: scalar`, refusing if anything else shares the line."""
    key_line, key_column = entry.lc.key(key)
    line_start = starts[key_line]
    value_start, value_end = scalar_span(text, starts, entry.lc.value(key), in_flow=False)
    line_end = starts[key_line + 1] if key_line + 1 < len(starts) else len(text)
    after = text[value_end:line_end].strip()
    if entry.fa.flow_style() or text[line_start:line_start + key_column].strip() or (after and not after.startswith("#")):
        raise EditRejected(f"'{key}' on line {key_line + 1} is not on a line of its own")
    return line_start, line_end

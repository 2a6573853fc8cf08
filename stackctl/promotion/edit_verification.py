"""The check of an edit: the new stack file text differs from the old in exactly the promoted values.

`verify_edit` parses both texts itself, with PyYAML and ruamel.yaml's safe
loader, and compares them against the old tree with the intended values set;
it compares the lines outside the release block; and it masks the intended
values on both sides and compares the rest byte for byte. It never imports
the editor (`stack_file_edit`), nor the editor it: a mistake in one cannot be
repeated by the other. It imports `stack_file` and `release_value_spans`
only; `release_promotion` imports it.
"""
from __future__ import annotations

import copy
from typing import Any, Sequence

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from stackctl.promotion.release_value_spans import (
    EditRejected,
    changed_fields,
    line_starts,
    release_images,
    scalar_span,
    whole_line,
)
from stackctl.promotion.stack_file import RELEASE_KEY, ComponentChange, load_round_trip


def _strictly_equal(left: Any, right: Any) -> bool:
    """Equal in value, type and key order (so `1` is not `true`, and a reordered mapping differs)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(_strictly_equal(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(_strictly_equal(a, b) for a, b in zip(left, right))
    return left == right


def _expected_tree(old_tree: Any, changes: Sequence[ComponentChange]) -> Any:
    tree = copy.deepcopy(old_tree)
    for change in changes:
        entry = tree["config"][RELEASE_KEY]["images"][change.component]
        entry["image"] = change.new_image
        if change.new_version is None:
            entry.pop("version", None)
        elif "version" in entry:
            entry["version"] = change.new_version
        else:
            # A new key goes right after `image`, where both editors put it.
            items = list(entry.items())
            position = [key for key, _ in items].index("image") + 1
            items.insert(position, ("version", change.new_version))
            entry.clear()
            entry.update(items)
    return tree


def _release_block_lines(document: Any, line_count: int) -> tuple[int, int]:
    """[first, end) line numbers of the `platform:release` entry of `config`."""
    config = document["config"]
    keys = list(config)
    first = config.lc.key(RELEASE_KEY)[0]
    following = keys.index(RELEASE_KEY) + 1
    end = config.lc.key(keys[following])[0] if following < len(keys) else line_count
    return first, end


def _neutralized(text: str, changes: Sequence[ComponentChange]) -> str:
    """`text` with each intended value replaced by a marker, and an added/removed version line dropped."""
    document = load_round_trip(text)
    images = release_images(document)
    starts = line_starts(text)
    cuts: list[tuple[int, int, str]] = []
    for change in changes:
        entry = images[change.component]
        in_flow = entry.fa.flow_style()
        image_changed, version_changed = changed_fields(change)
        if image_changed:
            start, end = scalar_span(text, starts, entry.lc.value("image"), in_flow)
            cuts.append((start, end, f"\0{change.component}.image\0"))
        if version_changed and "version" in entry:
            both_sides = change.old_version is not None and change.new_version is not None
            if both_sides:
                start, end = scalar_span(text, starts, entry.lc.value("version"), in_flow)
                cuts.append((start, end, f"\0{change.component}.version\0"))
            else:
                cuts.append((*whole_line(text, starts, entry, "version"), ""))
    for start, end, marker in sorted(cuts, reverse=True):
        text = text[:start] + marker + text[end:]
    return text


def verify_edit(old_text: str, new_text: str, changes: Sequence[ComponentChange]) -> None:
    """Raise EditRejected unless `new_text` differs from `old_text` in exactly the intended values.

    Three independent checks: both YAML parsers read the new text as the old
    tree with only the intended values changed; the lines outside the release
    block are identical; and with the intended values masked on both sides,
    the texts are identical byte for byte.
    """
    try:
        for load in (yaml.safe_load, YAML(typ="safe", pure=True).load):
            if not _strictly_equal(load(new_text), _expected_tree(load(old_text), changes)):
                raise EditRejected("the new file does not parse to the old values with only the release values changed")
        old_document, new_document = load_round_trip(old_text), load_round_trip(new_text)
    except (yaml.YAMLError, YAMLError) as error:
        raise EditRejected(f"the new file is not valid YAML ({error})") from None
    old_lines, new_lines = old_text.splitlines(keepends=True), new_text.splitlines(keepends=True)
    old_first, old_end = _release_block_lines(old_document, len(old_lines))
    new_first, new_end = _release_block_lines(new_document, len(new_lines))
    if old_lines[:old_first] != new_lines[:new_first] or old_lines[old_end:] != new_lines[new_end:]:
        raise EditRejected(f"text outside the {RELEASE_KEY} block would change")
    if _neutralized(old_text, changes) != _neutralized(new_text, changes):
        raise EditRejected(f"text inside the {RELEASE_KEY} block other than the promoted values would change")

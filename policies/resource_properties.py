"""Reading resource properties as the policy SDK hands them over, unknowns included.

How pulumi-policy (Python, 1.21) represents a value that is unknown at
preview (an input computed from another resource's output): the engine sends
it as one of seven sentinel strings (`UNKNOWN_STRING_VALUE` and friends in
`pulumi_policy.proxy`), and the SDK wraps `args.props` in
`unknown_checking_proxy`, a read-only Mapping/Sequence view whose item access
raises `UnknownValueError` when it would return a sentinel. The analyzer
catches that exception around the whole `validate` call and turns it into an
*advisory* "can't run policy ... during preview" diagnostic, even for a
mandatory policy, and everything the rule would have checked after that point
is skipped. For a security rule that is a hole: `image: registryOutput + "@..."`
or a `runAsNonRoot` taken from another resource's output would pass preview.

So no policy in this pack lets the exception escape. `field()` and `items()`
catch it (and also recognise a raw sentinel string, for plain dicts) and return
the `UNKNOWN` marker instead; rules then compare values as usual, and since
`UNKNOWN` equals nothing that a rule accepts, an unknown security-relevant value
is reported as a violation at the policy's own enforcement level, with
"(unknown at preview)" in the message. The documented exceptions are fields
that only serve to find related resources (names, namespaces, selectors): an
unknown there cannot be matched, and each rule says how it treats it.

Deliberately left out: secrets (the SDK unwraps them for validation, so they
read as plain values) and assets/archives (no rule here reads them).
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Iterator

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

UNKNOWN_SENTINELS = frozenset({
    UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE, UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE, UNKNOWN_ARCHIVE_VALUE, UNKNOWN_OBJECT_VALUE,
})


class _Unknown:
    """A value that will only be known after the update; equal to nothing but itself."""

    _instance = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        # Truthiness would make `if value:` treat an unknown as set-and-valid.
        raise TypeError("an unknown value has no truth value; compare it with `is UNKNOWN`")


UNKNOWN: Any = _Unknown()


def _known(value: Any) -> Any:
    if isinstance(value, str) and value in UNKNOWN_SENTINELS:
        return UNKNOWN
    return value


def is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def field(value: Any, *path: Any) -> Any:
    """The value at `path`, `None` if any step is missing, `UNKNOWN` if any step is unknown.

    A step into something of the wrong shape (a key into a list) is treated as
    missing: the Kubernetes provider would reject that object anyway.
    """
    value = _known(value)
    for key in path:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(key, int):
            if not is_list(value) or not -len(value) <= key < len(value):
                return None
        elif not isinstance(value, Mapping):
            return None
        try:
            value = value[key]
        except KeyError:
            return None
        except UnknownValueError:
            return UNKNOWN
        value = _known(value)
    return value


def items(value: Any) -> Iterator[Any]:
    """Each element of a list (each may be `UNKNOWN`); nothing for a missing list.

    An unknown list yields one `UNKNOWN`, so a loop over it still runs its checks
    once and reports them as unknown instead of silently checking nothing.
    """
    value = _known(value)
    if value is UNKNOWN:
        yield UNKNOWN
        return
    if not is_list(value):
        return
    for index in range(len(value)):
        yield field(value, index)


def keys(value: Any) -> list[str]:
    """The keys of a mapping (keys themselves are never unknown); none if not a mapping."""
    value = _known(value)
    return list(value) if isinstance(value, Mapping) else []


def describe(value: Any) -> str:
    """A value as a violation message quotes it: `'sol:1.4'`, `true`, `unset`, `unknown at preview`."""
    if value is UNKNOWN:
        return "unknown at preview"
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return json.dumps(plain(value), sort_keys=True, default=lambda _: "unknown at preview")


def plain(value: Any) -> Any:
    """A deep copy made of dicts, lists and scalars, unknowns as `UNKNOWN` (for messages and copies)."""
    value = _known(value)
    if isinstance(value, Mapping):
        return {key: plain(field(value, key)) for key in value}
    if is_list(value):
        return [plain(element) for element in items(value)]
    return value


def settings(config: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """A policy's effective config: its defaults, overridden key by key by the given config.

    The engine already fills in schema defaults before calling a policy; this
    makes a policy behave the same when called without config (tests, tools).
    """
    merged = dict(defaults)
    merged.update({key: config[key] for key in config})
    return merged


def schema_with_defaults(properties: dict[str, dict[str, Any]], defaults: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """JSON-schema properties with each `default` taken from the policy's defaults (one source of truth)."""
    return {
        name: {**schema, **({"default": defaults[name]} if name in defaults else {})}
        for name, schema in properties.items()
    }

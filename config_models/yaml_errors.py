"""A YAML parse error in the project's words: the line and column, what is wrong, and the fix.

ruamel's own text spans several lines, names `<unicode string>`, and ends a
duplicate-key error with its advice on how to turn the check off, which is
the wrong advice here: a duplicate key means one of the two values is
silently dropped by a plain YAML loader, so it is always a mistake to fix.
"""
from __future__ import annotations

import re

from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import YAMLError

_DUPLICATE = re.compile(r'found duplicate key "(?P<key>.*)" with value "(?P<value>.*)" \(original value: '
                        r'"(?P<original>.*)"\)')


def describe_yaml_error(error: YAMLError) -> str:
    """`line L, column C: <problem> (<fix>)`, one line."""
    mark = getattr(error, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "somewhere"
    problem = (getattr(error, "problem", None) or str(error).strip().splitlines()[0]).strip()
    if isinstance(error, DuplicateKeyError):
        match = _DUPLICATE.search(problem)
        key = match["key"] if match else "?"
        values = f" (values {match['original']!r} and {match['value']!r})" if match else ""
        return (f"{where}: key {key!r} appears twice in one mapping{values}; YAML keeps only one of them "
                "(remove the one you did not mean)")
    context = getattr(error, "context", None)
    context_mark = getattr(error, "context_mark", None)
    if context and context_mark is not None:
        problem += f", {context} started at line {context_mark.line + 1}"
    if "\t" in problem or "'\\t'" in problem:
        return f"{where}: {problem} (indent with spaces; YAML does not allow tabs)"
    return f"{where}: {problem} (fix the YAML syntax there)"

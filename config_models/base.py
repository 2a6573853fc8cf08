"""The base of every configuration model, and the error that reports bad config.

Stack config is written in camelCase YAML (as Pulumi config usually is) and
read into frozen, closed pydantic models: a typo is an error, not a silently
ignored key. `ConfigError` carries every problem found, each as
`<key path>: <what is wrong, quoting the value> (<what is accepted / the fix>)`,
so that one run shows the whole list and nothing has been registered yet.
"""
from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, Iterable, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

# Tagged unions (workload kinds) tag their members `kind=<name>`; pydantic puts
# the tag in error locations, where it is not a config key.
UNION_TAG_PREFIX = "kind="


class ConfigModel(BaseModel):
    """Frozen, closed, camelCase-aliased: the shape of every config model."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        hide_input_in_errors=False,
    )


class ConfigError(Exception):
    """Bad stack config. `problems` are complete, human-readable lines."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def key_path(location: Iterable[Any]) -> str:
    """`('services', 'sol', 'data', 'size')` -> `services.sol.data.size`; list indexes as `[0]`."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


def _describe_pydantic_error(error: dict[str, Any], prefix: tuple[Any, ...], model: type[BaseModel]) -> str:
    # pydantic appends the name of the union member or tagged-union tag to the
    # location; those are not config keys, so drop them.
    location = [part for part in error["loc"]
                if not (isinstance(part, str) and part.startswith(("function-", UNION_TAG_PREFIX)))]
    path = key_path(prefix + tuple(location))
    kind = error["type"]
    value = error.get("input")
    if kind == "union_tag_invalid":
        tag = str(error["ctx"]["tag"]).removeprefix(UNION_TAG_PREFIX)
        expected = [t.strip().strip("'").removeprefix(UNION_TAG_PREFIX)
                    for t in str(error["ctx"]["expected_tags"]).split(",")]
        return f"{path}.kind: {tag!r} is not a kind (kinds: {', '.join(expected)})"
    if kind == "extra_forbidden":
        unknown = str(location[-1]) if location else ""
        close = difflib.get_close_matches(unknown, sorted(_keys_at(model, location[:-1])), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "remove it or check its spelling;"
        return f"{path}: unknown key ({hint} every key is in docs/config.md)"
    if kind == "missing":
        return f"{path}: required key is missing"
    message = error["msg"]
    # Our own validators raise ValueError whose text already quotes the value.
    if kind == "value_error":
        return f"{path}: {message.removeprefix('Value error, ')}"
    return f"{path}: {value!r} is invalid: {message}"


def _step(annotation: Any, part: Any) -> list[Any]:
    """The annotations one location part below `annotation` (a model's key, a map's name, a list's index)."""
    origin, arguments = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _step(arguments[0], part)
    if origin in (Union, types.UnionType):
        return [found for argument in arguments for found in _step(argument, part)]
    if origin is dict:
        return [arguments[1]]
    if origin in (list, tuple):
        return [arguments[0]]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [field.annotation for name, field in annotation.model_fields.items()
                if part in (name, field.alias)]
    return []


def _models(annotation: Any) -> list[type[BaseModel]]:
    origin, arguments = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _models(arguments[0])
    if origin in (Union, types.UnionType):
        return [model for argument in arguments for model in _models(argument)]
    return [annotation] if isinstance(annotation, type) and issubclass(annotation, BaseModel) else []


def _keys_at(model: type[BaseModel], location: Iterable[Any]) -> set[str]:
    """The keys a config may hold at `location` below `model`: what an unknown key is compared with."""
    current: list[Any] = [model]
    for part in location:
        current = [found for annotation in current for found in _step(annotation, part)]
    return {field.alias or name for found in current for candidate in _models(found)
            for name, field in candidate.model_fields.items()}


def validate_config(model: type[BaseModel], data: Any, prefix: tuple[Any, ...] = ()) -> Any:
    """Validate `data` into `model`, turning pydantic's errors into a ConfigError."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ConfigError(
            _describe_pydantic_error(item, prefix, model) for item in error.errors(include_url=False)
        ) from None

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
import typing
from typing import Any, Iterable

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


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The config models an annotation can hold directly (through Optional, unions and Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [model for member in typing.get_args(annotation) for model in _models_in(member)]
    return []


def _keys_beside(model: type[BaseModel], location: tuple[Any, ...]) -> list[str]:
    """The keys a config mapping at `location` may hold, for "did you mean"; [] when it cannot be told."""
    annotations: list[Any] = [model]
    for part in location:
        if isinstance(part, str) and part.startswith(UNION_TAG_PREFIX):
            # A tagged union (workload kinds): the tag names the member pydantic validated against.
            tag = part.removeprefix(UNION_TAG_PREFIX)
            annotations = [member for annotation in annotations for member in _models_in(annotation)
                           if getattr(member.model_fields.get("kind"), "annotation", None) is not None
                           and tag in typing.get_args(member.model_fields["kind"].annotation)]
            continue
        following = []
        for annotation in annotations:
            origin = typing.get_origin(annotation)
            if origin in (dict, list) and not isinstance(part, str) or origin is dict:
                following.append(typing.get_args(annotation)[-1])
                continue
            for candidate in _models_in(annotation) or ([annotation] if origin in (typing.Union, types.UnionType)
                                                         else []):
                fields = getattr(candidate, "model_fields", {})
                for name, field in fields.items():
                    if part in (name, field.alias):
                        following.append(field.annotation)
            if origin in (typing.Union, types.UnionType):
                following += [member for member in typing.get_args(annotation)
                              if typing.get_origin(member) in (dict, list)]
        annotations = following
    keys = {field.alias or name for annotation in annotations for model_class in _models_in(annotation)
            for name, field in model_class.model_fields.items()}
    return sorted(keys)


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
        known = _keys_beside(model, tuple(error["loc"][:-1]))
        guess = difflib.get_close_matches(str(error["loc"][-1]), known, n=1, cutoff=0.6)
        if guess:
            return f"{path}: unknown key (did you mean {guess[0]!r}? remove it or fix its spelling)"
        return f"{path}: unknown key (remove it or check its spelling; see the config reference in Pulumi.yaml)"
    if kind == "missing":
        return f"{path}: required key is missing"
    message = error["msg"]
    # Our own validators raise ValueError whose text already quotes the value.
    if kind == "value_error":
        return f"{path}: {message.removeprefix('Value error, ')}"
    return f"{path}: {value!r} is invalid: {message}"


def validate_config(model: type[BaseModel], data: Any, prefix: tuple[Any, ...] = ()) -> Any:
    """Validate `data` into `model`, turning pydantic's errors into a ConfigError."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ConfigError(
            _describe_pydantic_error(item, prefix, model) for item in error.errors(include_url=False)
        ) from None

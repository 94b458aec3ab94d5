"""Messages for invalid input files and values: pydantic's validation errors in probe's words.

Configs, gates files and question sets are validated by pydantic models. `describe` turns
each error pydantic reports into a phrase that states what was expected, the value found and,
for a misspelt field name or choice, the closest valid one. `yaml_lines` finds the line of
each field in a YAML file, so that a message can point at it.
"""

import difflib
import re
import types
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

Location = tuple[str | int, ...]

# pydantic error types, grouped by the phrase that describes them.
_EXPECTED: dict[str, str] = {
    **dict.fromkeys(("int_parsing", "int_type", "int_from_float"), "a whole number"),
    **dict.fromkeys(("float_parsing", "float_type"), "a number"),
    "finite_number": "a finite number",
    **dict.fromkeys(("bool_parsing", "bool_type"), "true or false"),
    **dict.fromkeys(("string_type", "string_unicode"), "text"),
    **dict.fromkeys(("list_type", "tuple_type", "set_type", "iterable_type"), "a list"),
    **dict.fromkeys(
        ("dict_type", "model_type", "model_attributes_type", "mapping_type"), "a mapping of fields"
    ),
    "path_type": "a file path",
}
_BOUNDS: dict[str, str] = {
    "greater_than": "must be above {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be below {lt}",
    "less_than_equal": "must be at most {le}",
}
_QUOTED = re.compile(r"'([^']*)'")


@dataclass(frozen=True)
class Problem:
    """One invalid field: where it is in the input and what is wrong with it."""

    location: Location
    message: str

    @property
    def field(self) -> str:
        """The dotted path of the field, e.g. "endpoint.max_concurrency" or "gates.2"."""
        return ".".join(str(part) for part in self.location)


def problems(
    error: ValidationError, model: type[BaseModel], *, hidden: Collection[str] = ()
) -> list[Problem]:
    """Describe every error of a validation of `model`, one Problem per field.

    The values of fields named in `hidden` are never echoed, since a user may have pasted a
    secret there. A "too few items" error on a list is dropped when items of that list are
    invalid, because pydantic counts only the valid items.
    """
    items = error.errors()
    found: list[Problem] = []
    for item in items:
        location = tuple(item["loc"])
        if item["type"] == "too_short" and _has_errors_below(location, items):
            continue
        quiet = bool(location) and str(location[-1]) in hidden
        found.append(Problem(location, describe(item, model, quiet=quiet)))
    return found


def describe(item: ErrorDetails, model: type[BaseModel], *, quiet: bool = False) -> str:
    """Describe one pydantic error: what is expected, the value found and how to fix it."""
    kind = item["type"]
    context = item.get("ctx") or {}
    value = item.get("input")
    found_suffix = "" if quiet else f", found {_show(value)}"

    if kind == "missing":
        return "missing; add this field"
    if kind == "extra_forbidden":
        valid = field_names(model, tuple(item["loc"])[:-1])
        hint = suggest(str(item["loc"][-1]), valid)
        if hint:
            return f"unknown field; {hint}"
        if valid:
            return f"unknown field; use one of: {', '.join(valid)}"
        return "unknown field; check its spelling"
    if kind in ("literal_error", "enum"):
        choices = _QUOTED.findall(str(context.get("expected", "")))
        hint = suggest(str(value), choices) if isinstance(value, str) else None
        listed = f"must be one of: {', '.join(choices)}"
        found = "" if quiet else f" (found {_show(value)})"
        return listed + found + (f"; {hint}" if hint else "")
    if kind in ("value_error", "assertion_error"):
        # probe's own validators write complete messages that name the value where it is safe.
        return str(item["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}{found_suffix}"
    if kind in _BOUNDS:
        bounds = {name: _show(limit) for name, limit in context.items()}
        return _BOUNDS[kind].format(**bounds) + found_suffix
    if kind in ("too_short", "string_too_short"):
        return _length(kind, "at least", context.get("min_length"), found_suffix)
    if kind in ("too_long", "string_too_long"):
        return _length(kind, "at most", context.get("max_length"), found_suffix)
    return f"{str(item['msg']).rstrip('.')}{found_suffix}"


def suggest(name: str, choices: Sequence[str]) -> str | None:
    """Return 'did you mean "x"?' for the valid choice closest to a misspelt name, if any."""
    close = closest(name, choices)
    return f'did you mean "{close}"?' if close else None


def closest(name: str, choices: Sequence[str]) -> str | None:
    """Return the choice closest in spelling to `name`, or None when none is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def field_names(model: type[BaseModel], location: Location) -> list[str]:
    """List the field names valid at `location` inside `model`; [] where it is not a model."""
    current: Any = model
    for part in location:
        if isinstance(part, int):
            continue  # an item of a list keeps the list's item type, unwrapped below
        if get_origin(current) is dict:
            current = _model_type(get_args(current)[1])  # `part` is a key of the mapping
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            return []
        current = _model_type(fields[part].annotation)
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields is not None else []


def yaml_lines(text: str) -> dict[Location, int]:
    """Map the location of each key and list item in a YAML document to its 1-based line.

    Returns {} for text that is not valid YAML; the caller reports that error itself.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[Location, int] = {}
    pending: list[tuple[Location, yaml.Node]] = [((), root)] if root is not None else []
    while pending:
        location, node = pending.pop()
        if isinstance(node, yaml.MappingNode):
            for key, child in node.value:
                if isinstance(key, yaml.ScalarNode):
                    lines[(*location, key.value)] = key.start_mark.line + 1
                    pending.append(((*location, key.value), child))
        elif isinstance(node, yaml.SequenceNode):
            for index, child in enumerate(node.value):
                lines[(*location, index)] = child.start_mark.line + 1
                pending.append(((*location, index), child))
    return lines


def line_of(location: Location, lines: dict[Location, int]) -> int | None:
    """Return the line of `location`, or of its closest enclosing field that has one."""
    for end in range(len(location), 0, -1):
        if location[:end] in lines:
            return lines[location[:end]]
    return None


def _has_errors_below(location: Location, items: Sequence[ErrorDetails]) -> bool:
    return any(
        len(other["loc"]) > len(location) and tuple(other["loc"][: len(location)]) == location
        for other in items
    )


def _model_type(annotation: Any) -> Any:
    # Unwrap Optional[...], list[...] and tuple[..., ...] down to a model class, if any.
    while get_origin(annotation) in (Union, types.UnionType, list, tuple):
        members = [arg for arg in get_args(annotation) if arg not in (type(None), Ellipsis)]
        if len(members) != 1:
            return annotation
        annotation = members[0]
    return annotation


def _length(kind: str, bound: str, limit: Any, found_suffix: str) -> str:
    if kind.startswith("string"):
        if limit == 1 and bound == "at least":
            return "must not be empty"
        return f"must be {bound} {limit} character(s) long{found_suffix}"
    return f"must list {bound} {limit} item" + ("" if limit == 1 else "s")


def _show(value: Any) -> str:
    whole = isinstance(value, float) and value.is_integer()
    text = str(int(value)) if whole else repr(value)
    return text if len(text) <= 80 else text[:79] + "…"

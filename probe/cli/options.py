"""Command-line flags built from the config models, so each field is described once."""

import argparse
import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from probe.config import RunConfig, flag_for


def add_model_flags(
    parser: argparse.ArgumentParser, model: type[BaseModel], *, prefix: str, skip: set[str]
) -> None:
    """Add one flag per config field, with the field's description and default as help.

    A flag's value lands under the dotted field path (e.g. "endpoint.model"), which
    `load_config` applies over the YAML file.
    """
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        flag = flag_for(name)
        default = field.get_default(call_default_factory=True)
        shown = ",".join(map(str, default)) if isinstance(default, list) else default
        help_text = f"{field.description} (default: {shown})"
        if _base_type(field.annotation) is bool:
            # --flag and --no-flag, so a field that defaults to true can be turned off too.
            parser.add_argument(
                flag,
                dest=prefix + name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_text,
            )
        else:
            parser.add_argument(
                flag, dest=prefix + name, metavar=name.upper(), default=None, help=help_text
            )


def config_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Collect the config fields given as flags, keyed by dotted field path."""
    values = {
        key: value
        for key, value in vars(args).items()
        if "." in key or (key in RunConfig.model_fields and key != "endpoint")
    }
    if values.get("thresholds") is not None:
        values["thresholds"] = [
            part.strip() for part in values["thresholds"].split(",") if part.strip()
        ]
    return values




def _base_type(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        members = [member for member in get_args(annotation) if member is not type(None)]
        return members[0] if len(members) == 1 else annotation
    return annotation

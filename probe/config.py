"""Run configuration: one pydantic model per section, loaded from YAML and overridden by flags.

Each field's default, unit and description live here only; the CLI builds its flags from
these models and `run.json` stores them.
"""

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from probe.errors import ConfigError
from probe.metrics import exact_threshold
from probe.prompts import DEFAULT_THRESHOLDS

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Sent when an endpoint needs no key, because the openai SDK requires a non-empty one.
NO_KEY_PLACEHOLDER = "no-key"


class EndpointConfig(BaseModel):
    """Where requests go and how they are sent."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1; "
        "leave unset to probe the embedded SmolLM2 model.",
    )
    model: str | None = Field(
        default=None, description="Model name sent with each request, e.g. gpt-4o-mini."
    )
    api_key_env: str | None = Field(
        default=None,
        description="Name of the environment variable that holds the API key, e.g. "
        "OPENAI_API_KEY; the key itself never goes in a config.",
    )
    max_concurrency: int = Field(
        default=8, ge=1, le=4096, description="Maximum requests in flight at once."
    )
    timeout: float = Field(default=60.0, gt=0, description="Seconds to wait for one response.")
    max_retries: int = Field(
        default=4,
        ge=0,
        le=50,
        description="Retries of one request after a 429, 5xx or network error.",
    )
    temperature: float = Field(
        default=1.0, ge=0, le=2, description="Sampling temperature; above 0 so samples can differ."
    )
    max_tokens: int = Field(default=256, ge=1, description="Cap on tokens generated per answer.")
    answer_from_reasoning: bool = Field(
        default=False,
        description="Read the answer from the reasoning field when the content is empty.",
    )

    @field_validator("api_key_env")
    @classmethod
    def _looks_like_a_variable_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise ValueError(
                "must be the name of an environment variable such as OPENAI_API_KEY, "
                "not the key itself"
            )
        return value

    @property
    def is_embedded(self) -> bool:
        return self.base_url is None

    def api_key(self) -> str:
        """Read the API key from the environment variable the config names."""
        if self.api_key_env is None:
            return NO_KEY_PLACEHOLDER
        key = os.environ.get(self.api_key_env)
        if not key:
            raise ConfigError(
                f"endpoint.api_key_env names {self.api_key_env}, which is not set. "
                f"Export it first, e.g. export {self.api_key_env}=..."
            )
        return key


class RunConfig(BaseModel):
    """What to probe: the endpoint, the question set and the sampling plan."""

    model_config = ConfigDict(extra="forbid")

    endpoint: EndpointConfig = Field(default_factory=EndpointConfig)
    question_set: Path = Field(
        default=Path("question_sets/demo.jsonl"), description="Question-set JSONL file."
    )
    thresholds: list[float] = Field(
        default=list(DEFAULT_THRESHOLDS),
        description="Confidence thresholds t to state, comma-separated on the command line; "
        "must include 0, the best-guess condition.",
    )
    samples: int = Field(
        default=5, ge=1, le=100, description="Samples k per question and threshold."
    )
    limit: int | None = Field(
        default=None, ge=1, description="Probe only the first N questions of the set."
    )
    results_dir: Path = Field(default=Path("results"), description="Folder that holds run folders.")
    run_id: str | None = Field(
        default=None, description="Name of the run folder; defaults to the date, time and model."
    )
    bootstrap_draws: int = Field(
        default=1000, ge=100, description="Bootstrap resamples for score intervals."
    )
    seed: int = Field(default=0, description="Seed of the bootstrap, recorded in summary.json.")

    @field_validator("thresholds")
    @classmethod
    def _check_thresholds(cls, values: list[float]) -> list[float]:
        for value in values:
            exact_threshold(value)
        if 0 not in values:
            raise ValueError(
                "must include 0, the best-guess condition that consistency confidence comes from"
            )
        if len(set(values)) != len(values):
            raise ValueError(f"contains a repeated threshold: {values}")
        return sorted(values)


def load_config(path: str | Path | None, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Read a YAML config (or start from defaults) and apply overrides keyed by field path.

    Overrides use dotted keys such as "endpoint.model"; None values are skipped.
    """
    data: dict[str, Any] = _read_yaml(Path(path)) if path is not None else {}
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(data, dotted, value)

    try:
        return RunConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(
            describe_validation_error(error, source=str(path or "command line"))
        ) from None


def describe_validation_error(error: ValidationError, source: str) -> str:
    """Turn a pydantic error into lines that name each field, the value found and the problem."""
    lines = [f"{source}: invalid configuration:"]
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field; check its spelling against docs/formats.md"
        # The value of api_key_env is not echoed: a user may have pasted the key itself there.
        quiet = item["type"] in ("missing", "extra_forbidden") or field.endswith("api_key_env")
        found = "" if quiet else f" (found {item['input']!r})"
        lines.append(f"  {field}: {message}{found}")
    return "\n".join(lines)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config ({error.strerror}).") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: invalid YAML: {error}") from None

    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping of fields at the top level, found {type(data).__name__}."
        )
    return data


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    target = data
    for part in parents:
        child = target.get(part)
        if not isinstance(child, dict):
            child = {}
            target[part] = child
        target = child
    target[last] = value

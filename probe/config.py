"""Run configuration: one pydantic model per section, loaded from YAML and overridden by flags.

Each field's default, unit and description live here only; the CLI builds its flags from
these models and `run.json` stores them.
"""

import math
import os
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from probe.errors import ConfigError
from probe.input_errors import Location, Problem, line_of, problems, yaml_lines
from probe.prompts import DEFAULT_THRESHOLDS, format_number

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Defaults for the embedded SmolLM2 model where the config sets none. It answers a short
# factual question well within 64 tokens (longer replies are rambling that slows the demo),
# and llama-cpp-python's server decodes one request at a time, so more requests only queue.
EMBEDDED_DEFAULTS: dict[str, int] = {"max_tokens": 64, "max_concurrency": 2}

# Sent when an endpoint needs no key, because the openai SDK requires a non-empty one.
NO_KEY_PLACEHOLDER = "no-key"


class EndpointConfig(BaseModel):
    """Endpoint settings: where requests go and how they are sent."""

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
        default=8,
        ge=1,
        le=4096,
        description="Maximum requests in flight at once; 2 for the embedded model.",
    )
    timeout: float = Field(
        default=60.0,
        gt=0,
        description="Read timeout: seconds to wait for a response once the request is sent.",
    )
    connect_timeout: float = Field(
        default=10.0, gt=0, description="Seconds to wait for a connection to the server."
    )
    max_retries: int = Field(
        default=4,
        ge=0,
        le=50,
        description="Retries of one request after a 5xx or network error; a 429 is retried "
        "at least 30 times, waiting as the server's hints say.",
    )
    retry_backoff: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description="Seconds before the first retry of a failed request; doubles with each "
        "retry up to 30 s, with jitter.",
    )
    max_consecutive_failures: int = Field(
        default=25,
        ge=1,
        description="Failed requests in a row, across all workers, after which the run stops "
        "and can be resumed (circuit breaker).",
    )
    requests_per_minute: float | None = Field(
        default=None, gt=0, description="Limit on requests sent per minute, shared by all workers."
    )
    tokens_per_minute: int | None = Field(
        default=None,
        gt=0,
        description="Limit on tokens (prompt and completion) per minute, shared by all workers.",
    )
    batch_samples: bool = Field(
        default=True,
        description="Send several samples of a question in one request (the n parameter) "
        "when the endpoint check finds that n is honoured.",
    )
    seeds: bool = Field(
        default=False,
        description="Send a seed derived from each sample's key; requests then carry one "
        "sample each, because a request has one seed.",
    )
    temperature: float = Field(
        default=1.0, ge=0, le=2, description="Sampling temperature; above 0 so samples can differ."
    )
    max_tokens: int = Field(
        default=256,
        ge=1,
        description="Cap on tokens generated per answer; 64 for the embedded model.",
    )
    answer_from_reasoning: bool = Field(
        default=False,
        description="Read the answer from the reasoning field when the content is empty.",
    )
    logprobs: bool = Field(
        default=False,
        description="Request token logprobs and report the logprob confidence estimators "
        "beside consistency (needs an endpoint that returns logprobs).",
    )

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is not None:
            check_base_url(value)
        return value

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
        if key is None:
            raise ConfigError(
                f"endpoint.api_key_env names {self.api_key_env}, which is not set. "
                f"Export it first, e.g. export {self.api_key_env}=..."
            )
        if not key.strip():
            raise ConfigError(
                f"endpoint.api_key_env names {self.api_key_env}, which is set but empty. "
                f"Put the key in it, e.g. export {self.api_key_env}=..., or, for a server "
                "that needs no key, leave api_key_env out."
            )
        return key


class JudgeConfig(BaseModel):
    """An LLM judge that decides the answers the deterministic grader leaves ungraded."""

    model_config = ConfigDict(extra="forbid")

    endpoint: EndpointConfig = Field(
        description="The judge's endpoint, set up like the probed one; base_url and model "
        "are required, and temperature 0 is usual."
    )
    mode: Literal["ungraded-only", "all"] = Field(
        default="ungraded-only",
        description="ungraded-only: judge only the answers the grader leaves ungraded; all: "
        "judge every answer, to audit the grader, whose grades stand where it decides.",
    )
    reparse_attempts: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Requests sent again at temperature 0 after a reply whose verdict cannot "
        "be read; after them the sample stays ungraded.",
    )
    merge_clusters: bool = Field(
        default=False,
        description="Ask the judge whether two ungraded best-guess answers to one question "
        "name the same thing, and cluster them together for consistency when it says so.",
    )


class GradingConfig(BaseModel):
    """Grading settings: extra abstention phrases and an optional LLM judge."""

    model_config = ConfigDict(extra="forbid")

    abstention_phrases: list[str] = Field(
        default_factory=list,
        description="Phrases that mark an abstention, added to the built-in English and "
        "Chinese lexicon and matched as literal text in any case, e.g. 无可奉告.",
    )
    judge: JudgeConfig | None = Field(
        default=None, description="An LLM judge for the answers the grader cannot decide."
    )


class RunConfig(BaseModel):
    """The run plan: the endpoint, the question set and the sampling."""

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
    adaptive_sampling: bool = Field(
        default=False,
        description="Stop a question's best-guess samples early once more of them cannot "
        "change whether c_q reaches each threshold, nor its modal answer (docs/method.md).",
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
    verbalised_confidence: bool = Field(
        default=False,
        description="Also ask each question k times for its answer and a 0–100 confidence, "
        "stored in verbalised.jsonl, and report that confidence beside consistency.",
    )
    price_table: Path | None = Field(
        default=None,
        description="YAML file of prices per million tokens by model, for the estimated cost "
        "in summary.json; see configs/prices.example.yaml.",
    )
    max_cost: float | None = Field(
        default=None,
        gt=0,
        description="Stop the run once this invocation's estimated cost reaches this many "
        "US dollars; needs price_table.",
    )
    max_requests: int | None = Field(
        default=None,
        ge=1,
        description="Stop the run once this invocation has sent this many requests, "
        "retries included.",
    )
    grading: GradingConfig = Field(
        default_factory=GradingConfig,
        description="Extra abstention phrases and an optional LLM judge; YAML only.",
    )

    @field_validator("thresholds")
    @classmethod
    def _check_thresholds(cls, values: list[float]) -> list[float]:
        listed = ", ".join(format_number(value) for value in values)
        for value in values:
            if math.isnan(value):
                raise ValueError("found nan; give each threshold as a number from 0 to below 1")
            if value < 0:
                raise ValueError(
                    f"found {format_number(value)}, which is below 0. A threshold is a "
                    "confidence from 0, the best-guess condition, up to but not including 1"
                )
            if value >= 1:
                raise ValueError(
                    f"found {format_number(value)}, which is not below 1. At t = 1 the penalty "
                    "t/(1 − t) for a wrong answer would be infinite, so use a threshold such "
                    "as 0.99"
                )
        if 0 not in values:
            raise ValueError(
                f"found {listed}, which lacks 0, the best-guess condition that consistency "
                "confidence comes from; add 0"
            )
        if len(set(values)) != len(values):
            raise ValueError(f"found {listed}, which repeats a threshold; list each once")
        return sorted(values)


def check_base_url(url: str) -> None:
    """Raise ValueError unless `url` is an http or https URL with a host.

    Without this check a URL such as 127.0.0.1:8000/v1 is taken as a relative path, and the
    run fails only after its connection retries, with a message that hides the cause.
    """
    shown = repr(url)
    if not url.strip():
        raise ValueError("is empty; write a URL such as http://127.0.0.1:8000/v1")
    if "://" not in url:
        raise ValueError(f"found {shown}, which has no scheme; write http://{url.lstrip('/')}")

    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(
            f"found {shown}, whose scheme {parts.scheme!r} is not http or https; "
            "write a URL such as http://127.0.0.1:8000/v1"
        )
    try:
        host = parts.hostname
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read.
    except ValueError:
        raise ValueError(
            f"found {shown}, whose port is not a number from 0 to 65535; "
            "write a URL such as http://127.0.0.1:8000/v1"
        ) from None
    if not host:
        raise ValueError(
            f"found {shown}, which has no host; write a URL such as http://127.0.0.1:8000/v1"
        )


def load_config(
    path: str | Path | None,
    overrides: dict[str, Any] | None = None,
    *,
    base: dict[str, Any] | None = None,
) -> RunConfig:
    """Read a YAML config (or start from `base`, else defaults) and apply overrides.

    Overrides use dotted keys such as "endpoint.model"; None values are skipped. `base` is
    a config as stored in run.json, which a resumed run starts from.
    """
    lines: dict[Location, int] = {}
    data: dict[str, Any] = dict(base or {})
    if path is not None:
        data, lines = _read_yaml(Path(path))
    flags = {dotted for dotted, value in (overrides or {}).items() if value is not None}
    for dotted in flags:
        _set_dotted(data, dotted, (overrides or {})[dotted])
    _apply_embedded_defaults(data)

    try:
        return RunConfig.model_validate(data)
    except ValidationError as error:
        source = str(path or "command line")
        raise ConfigError(
            describe_validation_error(error, source, lines=lines, flags=flags)
        ) from None


def load_judge_config(path: str | Path) -> JudgeConfig:
    """Read a judge config: a YAML file of JudgeConfig fields, or a run config with a judge.

    Raises ConfigError naming the file and field when it is invalid or contains no judge.
    """
    data: Any
    data, lines = _read_yaml(Path(path))
    prefix: Location = ()
    if "grading" in data or "endpoint" not in data:
        prefix = ("grading", "judge")
        grading = data.get("grading") or {}
        data = grading.get("judge") if isinstance(grading, dict) else None
        if not isinstance(data, dict):
            raise ConfigError(
                f"{path}: no judge found. Give the judge's fields (endpoint, mode) at the top "
                "level, or a run config with a grading.judge section."
            )
    try:
        judge = JudgeConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(
            describe_validation_error(error, str(path), JudgeConfig, lines=lines, prefix=prefix)
        ) from None

    if not judge.endpoint.base_url or not judge.endpoint.model:
        raise ConfigError(
            f"{path}: the judge needs endpoint.base_url and endpoint.model, e.g. "
            "base_url: http://127.0.0.1:8000/v1 and model: my-judge."
        )
    return judge


def _apply_embedded_defaults(data: dict[str, Any]) -> None:
    endpoint = data.setdefault("endpoint", {})
    if not isinstance(endpoint, dict) or endpoint.get("base_url") is not None:
        return  # Validation reports a malformed endpoint section.
    for name, value in EMBEDDED_DEFAULTS.items():
        endpoint.setdefault(name, value)


def describe_validation_error(
    error: ValidationError,
    source: str,
    model: type[BaseModel] = RunConfig,
    *,
    lines: dict[Location, int] | None = None,
    flags: Collection[str] = (),
    prefix: Location = (),
) -> str:
    """Describe each invalid field of a `model` read from `source`, one line per field.

    A field set by a command-line flag (its dotted path in `flags`) is named by the flag.
    Any other is named by its dotted path, after its line in the file when `lines` has it.
    `prefix` is where the model sits in the file, e.g. ("grading", "judge"). The value of
    api_key_env is never echoed, since a user may have pasted the key there.
    """
    lines = lines or {}
    found = [
        Problem((*prefix, *problem.location), problem.message)
        for problem in problems(error, model, hidden={"api_key_env"})
    ]
    # Sorted top to bottom through the file, with flags and fields that have no line last.
    found.sort(key=lambda problem: line_of(problem.location, lines) or math.inf)
    text = [f"{source}: invalid configuration:"]
    for problem in found:
        text.append(f"  {_where(problem, source, lines, flags)}: {problem.message}")
    return "\n".join(text)


def flag_for(dotted: str) -> str:
    """Return the command-line flag of a config field: "endpoint.max_tokens" → "--max-tokens"."""
    return "--" + dotted.rsplit(".", 1)[-1].replace("_", "-")


def _where(
    problem: Problem, source: str, lines: dict[Location, int], flags: Collection[str]
) -> str:
    for end in range(len(problem.location), 0, -1):
        dotted = ".".join(str(part) for part in problem.location[:end])
        if dotted in flags:
            return flag_for(dotted)
    line = line_of(problem.location, lines)
    return problem.field if line is None else f"{source}:{line}: {problem.field}"


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[Location, int]]:
    """Read a YAML mapping and the line of each of its fields."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config ({error.strerror}).") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: invalid YAML: {error}") from None

    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping of fields at the top level, found {type(data).__name__}."
        )
    return data, yaml_lines(text)


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

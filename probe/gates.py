"""The gates of `probe check`: which figure may change how much, read from a YAML file.

A gate names a metric at one threshold t and one limit: `max_rise` or `max_fall` (how far
the candidate may move from the baseline) or `min` or `max` (a bound on the candidate
alone). Rates and their limits are proportions (0.02 is 2 percentage points); score limits
are in points of the score. docs/scheduled-checks.md shows a complete file.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from probe.errors import ConfigError
from probe.input_errors import Location, line_of, problems, yaml_lines
from probe.paired import BINARY_METRICS, METRICS, Metric
from probe.prompts import format_number

Limit = Literal["max_rise", "max_fall", "min", "max"]
LIMITS: tuple[Limit, ...] = ("max_rise", "max_fall", "min", "max")
Test = Literal["bootstrap", "mcnemar"]

# The default gates, for every threshold both runs share: how far the error may rise.
DEFAULT_MAX_ERROR_RISE = 0.02


class Gate(BaseModel):
    """One regression gate, e.g. error at t = 0.9 must not rise by more than 0.02."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: Metric = Field(description=f"One of: {', '.join(METRICS)}.")
    threshold: float = Field(ge=0, lt=1, description="The stated threshold t of the condition.")
    max_rise: float | None = Field(
        default=None, ge=0, description="The candidate may exceed the baseline by at most this."
    )
    max_fall: float | None = Field(
        default=None, ge=0, description="The candidate may fall below the baseline by at most this."
    )
    min: float | None = Field(default=None, description="The candidate must not be below this.")
    max: float | None = Field(default=None, description="The candidate must not be above this.")
    test: Test = Field(
        default="bootstrap",
        description="bootstrap: paired over questions; mcnemar: exact, paired by sample key.",
    )
    name: str | None = Field(default=None, description="A label; by default the gate's rule.")

    @model_validator(mode="after")
    def _check_limit(self) -> "Gate":
        # Every problem of the gate at once, so that one edit of the file fixes them all.
        problems = []
        given = [limit for limit in LIMITS if getattr(self, limit) is not None]
        if len(given) != 1:
            problems.append(
                f"give exactly one of {', '.join(LIMITS)}; found {', '.join(given) or 'none'}"
            )
        if self.test == "mcnemar" and self.metric not in BINARY_METRICS:
            problems.append(
                f"test mcnemar needs a share of samples ({', '.join(BINARY_METRICS)}), "
                f"not {self.metric}; use test: bootstrap"
            )
        if self.test == "mcnemar" and set(given) & {"min", "max"}:
            problems.append("test mcnemar compares two runs: use it with max_rise or max_fall")
        for limit in given:
            value = getattr(self, limit)
            if self.metric != "score" and not 0 <= value <= 1:
                problems.append(
                    f"{self.metric} is a share between 0 and 1, so {limit} {value} can never "
                    "be reached; write 2 points as 0.02"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def limit_kind(self) -> Limit:
        return next(limit for limit in LIMITS if getattr(self, limit) is not None)

    @property
    def limit(self) -> float:
        value: float = getattr(self, self.limit_kind)
        return value

    @property
    def is_relative(self) -> bool:
        return self.limit_kind in ("max_rise", "max_fall")

    def describe(self) -> str:
        """Write the gate's rule in words, e.g. "error at t = 0.9 must not rise by more than
        2 points"."""
        if self.name:
            return self.name
        subject = f"{self.metric} at t = {format_number(self.threshold)}"
        amount = self.format_amount(self.limit)
        if self.limit_kind == "max_rise":
            rule = "must not rise" if self.limit == 0 else f"must not rise by more than {amount}"
        elif self.limit_kind == "max_fall":
            rule = "must not fall" if self.limit == 0 else f"must not fall by more than {amount}"
        elif self.limit_kind == "min":
            rule = f"must not fall below {self.format_value(self.limit)}"
        else:
            rule = f"must not rise above {self.format_value(self.limit)}"
        return f"{subject} {rule}"

    def format_value(self, value: float) -> str:
        return f"{value:.2f}" if self.metric == "score" else f"{value * 100:.1f}%"

    def format_amount(self, change: float) -> str:
        """Write a size of limit: percentage points for rates, score points for the score."""
        if self.metric == "score":
            return f"{change:g}"
        return f"{round(change * 100, 2):g} points"

    def format_change(self, change: float, *, unit: bool = True) -> str:
        """Write a signed change, e.g. "+1.5 points" for a rate or "-0.12" for the score."""
        if self.metric == "score":
            return f"{change:+.2f}"
        return f"{change * 100:+.1f}" + (" points" if unit else "")


class GateFile(BaseModel):
    """The content of a gates YAML file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    significance: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="Chance of failing a check on noise alone, over all gates together.",
    )
    correction: Literal["holm", "none"] = Field(
        default="holm",
        description="holm: split the significance over the gates (Holm–Bonferroni); none: each "
        "gate is tested at the full level.",
    )
    bootstrap_draws: int = Field(default=4000, ge=1000, description="Resamples of the questions.")
    seed: int = Field(default=0, description="Seed of the bootstrap resampling.")
    gates: tuple[Gate, ...] = Field(min_length=1)


def load_gates(path: Path) -> GateFile:
    """Read a gates YAML file. Raises ConfigError naming the file, each field and the fix."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the gates file ({error.strerror}).") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: invalid YAML ({error}).") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping with a `gates` list, found {type(data).__name__}."
        )

    try:
        return GateFile.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_describe_problems(path, error, yaml_lines(text))) from None


def _describe_problems(path: Path, error: ValidationError, lines: dict[Location, int]) -> str:
    found = problems(error, GateFile)
    text = [f"{path}: {len(found)} problem(s) in the gates file:"]
    for problem in sorted(found, key=lambda item: line_of(item.location, lines) or 0):
        line = line_of(problem.location, lines)
        where = f"{path}:{line}" if line is not None else str(path)
        field = _gate_name(problem.location) or problem.field or "(file)"
        text.append(f"  {where}: {field}: {problem.message}")
    return "\n".join(text)


def _gate_name(location: Location) -> str | None:
    # Named "gate 3, metric" rather than "gates.2.metric", because users count gates from 1.
    if len(location) < 2 or location[0] != "gates" or not isinstance(location[1], int):
        return None
    rest = ".".join(str(part) for part in location[2:])
    return f"gate {location[1] + 1}" + (f", {rest}" if rest else "")


def default_gates(thresholds: Sequence[float]) -> GateFile:
    """Build the gates used without a file: at each shared t > 0, error may rise 2 points at
    most; at each shared t, the score must not fall."""
    gates = [
        Gate(metric="error", threshold=t, max_rise=DEFAULT_MAX_ERROR_RISE)
        for t in thresholds
        if t > 0
    ]
    gates += [Gate(metric="score", threshold=t, max_fall=0.0) for t in thresholds]
    return GateFile(gates=tuple(gates))

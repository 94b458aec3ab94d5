"""Price tables: turning token usage into an estimated cost.

A price table is a YAML file of prices in US dollars per million tokens, by model name.
Reasoning tokens are billed as completion tokens, and servers already count them in
`completion_tokens`, so they are not added again.
"""

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from probe.config import describe_validation_error
from probe.errors import ConfigError
from probe.input_errors import yaml_lines
from probe.samples import Usage

TOKENS_PER_PRICE_UNIT = 1_000_000


class ModelPrice(BaseModel):
    """What one model costs, in US dollars per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0, description="Dollars per million prompt tokens.")
    output: float = Field(ge=0, description="Dollars per million completion tokens.")


class PriceTable(BaseModel):
    """The content of a price-table file."""

    model_config = ConfigDict(extra="forbid")

    models: dict[str, ModelPrice]

    def price_of(self, model: str) -> ModelPrice | None:
        """Find a model's price by its exact name, else by the name without a provider prefix."""
        if model in self.models:
            return self.models[model]
        return self.models.get(model.rsplit("/", 1)[-1])


def load_price_table(path: Path) -> PriceTable:
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the price table ({error.strerror}).") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: invalid YAML: {error}") from None

    try:
        return PriceTable.model_validate(data)
    except ValidationError as error:
        lines = yaml_lines(text)
        raise ConfigError(
            describe_validation_error(error, str(path), PriceTable, lines=lines)
        ) from None


def request_cost(usage: Usage | None, price: ModelPrice) -> float | None:
    """Estimate the cost of one request in dollars; None when its usage is unknown."""
    if usage is None or usage.prompt_tokens is None or usage.completion_tokens is None:
        return None
    dollars = usage.prompt_tokens * price.input + usage.completion_tokens * price.output
    return dollars / TOKENS_PER_PRICE_UNIT

"""Token usage of a run, totalled per request, and its estimated cost.

Samples that came back in one request share its usage and its request_id, so totals count
each request once: the prompt once whatever n was, and the completion tokens of all its
choices. Reasoning tokens are part of completion_tokens and are shown, not added. A request
whose server reported no usage is counted as unknown, never as 0 tokens.
"""

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from probe.outcomes import Outcome
from probe.pricing import ModelPrice, request_cost
from probe.samples import AnySampleRecord, Usage


class UsageSummary(BaseModel):
    """The `usage` object of summary.json."""

    requests: int = Field(description="Requests that returned samples.")
    requests_without_usage: int = Field(description="Requests whose usage is unknown.")
    prompt_tokens: int = Field(description="Over the requests with known usage.")
    completion_tokens: int = Field(description="Over the requests with known usage.")
    reasoning_tokens: int | None = Field(
        description="The part of completion_tokens spent on reasoning; None when no request "
        "reported it."
    )
    price: ModelPrice | None = Field(
        description="Dollars per million tokens, from the price table."
    )
    estimated_cost: float | None = Field(
        description="Estimated US dollars over the requests with known usage; None without a "
        "price."
    )


def summarise_usage(records: Iterable[AnySampleRecord], price: ModelPrice | None) -> UsageSummary:
    """Total the usage of the requests behind `records`, each request once."""
    seen: set[str] = set()
    usages: list[Usage | None] = []
    for record in records:
        if record.outcome is Outcome.ERROR:
            continue
        if record.request_id is not None:
            if record.request_id in seen:
                continue
            seen.add(record.request_id)
        usages.append(record.usage)
    return _total(usages, price)


def _total(usages: list[Usage | None], price: ModelPrice | None) -> UsageSummary:
    known = [
        usage
        for usage in usages
        if usage is not None
        and usage.prompt_tokens is not None
        and usage.completion_tokens is not None
    ]
    reasoning = [usage.reasoning_tokens for usage in known if usage.reasoning_tokens is not None]
    costs = [request_cost(usage, price) for usage in known] if price is not None else []

    return UsageSummary(
        requests=len(usages),
        requests_without_usage=len(usages) - len(known),
        prompt_tokens=sum(usage.prompt_tokens or 0 for usage in known),
        completion_tokens=sum(usage.completion_tokens or 0 for usage in known),
        reasoning_tokens=sum(reasoning) if reasoning else None,
        price=price,
        estimated_cost=sum(cost or 0.0 for cost in costs) if price is not None else None,
    )


def usage_of_run(run_info: dict[str, Any], records: Iterable[AnySampleRecord]) -> UsageSummary:
    """Total a run's usage, priced by the price its run.json recorded (if any)."""
    pricing = run_info.get("pricing")
    price = ModelPrice.model_validate(pricing) if pricing else None
    return summarise_usage(records, price)


def describe_usage(usage: UsageSummary) -> str:
    """Render usage in one line for reports, e.g. '24 requests, 2,400 prompt tokens, …'."""
    parts = [
        f"{usage.requests:,} requests",
        f"{usage.prompt_tokens:,} prompt tokens",
        f"{usage.completion_tokens:,} completion tokens",
    ]
    if usage.reasoning_tokens is not None:
        parts[-1] += f" ({usage.reasoning_tokens:,} of them reasoning)"
    if usage.requests_without_usage:
        parts.append(f"usage unknown for {usage.requests_without_usage:,} requests")
    if usage.estimated_cost is not None:
        parts.append(f"estimated cost ${usage.estimated_cost:,.4f}")
    return ", ".join(parts)

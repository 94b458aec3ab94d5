"""The endpoint check: what an OpenAI-compatible endpoint really supports, found by asking it.

`probe endpoint check` prints the result and every `probe run` stores it in run.json before
its first sample. About seven short requests find out whether the server is reachable and
accepts the key, and whether it honours `n` (by counting the choices that come back). They
also find whether logprobs come back, which of `max_tokens` and `max_completion_tokens` is
accepted and kept to by the server's own `usage`, whether the temperature is accepted, and
where reasoning arrives. A diversity canary asks for
several samples at temperature 1 of a prompt with many valid answers: byte-identical samples
mean the endpoint does not sample independently, and consistency would look perfect.
"""

import logging
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from probe.client import (
    ChatClient,
    Completion,
    NRejected,
    RequestFailed,
    RequestOptions,
    TokenLimitParam,
    UnsupportedParameter,
)
from probe.config import EndpointConfig
from probe.errors import ConfigError, EndpointFatalError
from probe.input_errors import closest
from probe.responses import ModelResponse

logger = logging.getLogger(__name__)

# The cap used to see whether the server keeps to a token limit: small, so a reply to the
# prompt below reaches it. Some servers ignore a parameter they do not know instead of
# rejecting it (llama-cpp-python 0.3 ignores max_completion_tokens), so only `usage` shows
# whether the cap was kept.
CHECK_TOKEN_CAP = 8
CAP_PROMPT = "Write a long story about a lighthouse keeper and a storm, in ten paragraphs."

# A prompt with a great many valid answers: at temperature 1, independent samples of it
# almost never match byte for byte.
CANARY_PROMPT = (
    "Write a random sequence of 12 digits, then a random English word. "
    "Reply with only the digits and the word."
)
CANARY_SINGLE_REQUESTS = 3
CANARY_TOKEN_CAP = 32
CANARY_TEMPERATURE = 1.0

ReasoningPlace = Literal["reasoning_content", "reasoning", "think_tags", "none_seen"]


class EndpointCheck(BaseModel):
    """The findings of the endpoint check, stored in run.json under `endpoint_check`."""

    base_url: str
    model: str
    checked_at: str = Field(description="UTC time of the check, ISO 8601.")
    reachable: bool = Field(description="A chat completion came back.")
    error: str | None = Field(default=None, description="Why no completion came back.")
    listed_models: list[str] | None = Field(
        default=None, description="The ids GET /models returned; None when it offers no list."
    )
    suggested_model: str | None = Field(
        default=None,
        description="The listed model closest in spelling to the configured one, when the "
        "configured one is not listed.",
    )
    n_requested: int = Field(description="Choices asked for in one request.")
    n_returned: int | None = Field(default=None, description="Choices that came back.")
    n_error: str | None = Field(default=None, description="The error an n > 1 request met.")
    logprobs: bool | None = Field(default=None, description="Whether logprobs came back.")
    token_limit_param: TokenLimitParam | None = Field(
        default=None, description="The token-limit parameter the endpoint accepts."
    )
    token_cap: int = Field(default=CHECK_TOKEN_CAP, description="The cap sent by the check.")
    completion_tokens_at_cap: int | None = Field(
        default=None, description="completion_tokens reported for the capped request."
    )
    finish_reason_at_cap: str | None = Field(
        default=None, description="finish_reason of the capped request."
    )
    temperature_sent: float | None = Field(
        default=None, description="The temperature the check sent first (the config's)."
    )
    temperature_accepted: bool | None = None
    temperature_error: str | None = None
    reasoning: ReasoningPlace = Field(
        default="none_seen", description="Where reasoning text arrived in the replies."
    )
    canary_samples: int = Field(default=0, description="Canary texts received.")
    canary_distinct: int = Field(default=0, description="Distinct canary texts.")
    sampling_independent: bool | None = Field(
        default=None,
        description="False when canary samples at temperature 1 came back byte-identical.",
    )
    latency_s: float | None = Field(default=None, description="Median seconds per request.")
    requests: int = Field(default=0, description="Chat requests the check sent.")

    @property
    def n_honoured(self) -> bool:
        return self.n_returned is not None and self.n_returned >= self.n_requested

    @property
    def max_n(self) -> int:
        """The maximum number of samples in one request, as far as the check saw."""
        if self.n_returned is None or self.n_error is not None:
            return 1
        return max(1, min(self.n_returned, self.n_requested))

    @property
    def token_cap_honoured(self) -> bool | None:
        """True when usage shows the reply stopped at the cap, None when that is unknown."""
        used = self.completion_tokens_at_cap
        if used is None:
            return None
        if used > self.token_cap:
            return False
        # A reply that ended by itself below the cap shows nothing about the cap.
        if used < self.token_cap and self.finish_reason_at_cap != "length":
            return None
        return True


class _Probe:
    """Sends the check's requests through one client and keeps what they showed."""

    def __init__(self, client: ChatClient, config: EndpointConfig) -> None:
        self.client = client
        self.config = config
        self.latencies: list[float] = []
        self.responses: list[ModelResponse] = []
        self.canary_groups: list[list[str]] = []
        self.requests = 0

    async def send(
        self, prompt: str, options: RequestOptions, *, n: int = 1
    ) -> Completion:
        self.requests += 1
        messages = [{"role": "user", "content": prompt}]
        completion = await self.client.complete(messages, n=n, options=options)
        self.latencies.append(completion.latency_s)
        self.responses.extend(completion.choices)
        return completion


async def check_endpoint(
    client: ChatClient, config: EndpointConfig, *, base_url: str, samples: int
) -> EndpointCheck:
    """Check what the endpoint behind `client` supports; `samples` is the n to try.

    Raises EndpointFatalError when the endpoint rejects the key or does not know the model.
    """
    probe = _Probe(client, config)
    check = EndpointCheck(
        base_url=base_url,
        model=client.model,
        checked_at=datetime.now(UTC).isoformat(timespec="seconds"),
        reachable=False,
        n_requested=max(2, samples),
        temperature_sent=config.temperature,
    )
    check.listed_models = await client.list_models()
    _check_model_listed(check)

    try:
        options = await _check_basics(probe, check)
    except EndpointFatalError as error:
        if check.suggested_model is None:
            raise
        raise EndpointFatalError(f"{error} {_did_you_mean(check)}") from None
    if check.error is not None and check.suggested_model is not None:
        check.error = f"{check.error} {_did_you_mean(check)}"
    if options is not None:
        await _check_n(probe, check, options)
        await _check_logprobs(probe, check, options)
        await _check_canary(probe, check, options)

    _judge_canary(check, probe.canary_groups)
    check.reasoning = _reasoning_place(probe.responses)
    check.latency_s = round(statistics.median(probe.latencies), 3) if probe.latencies else None
    check.requests = probe.requests
    return check


def _check_model_listed(check: EndpointCheck) -> None:
    """Warn when the server lists models and the configured one is not among them.

    Only a warning, because some servers (llama.cpp's among them) answer under any model
    name. The suggestion also goes into the error of a first request that fails.
    """
    listed = check.listed_models
    if not listed or check.model in listed:
        return
    check.suggested_model = closest(check.model, listed)
    if check.suggested_model is not None:
        hint = _did_you_mean(check)
    else:
        hint = f"The server lists: {_first_models(listed)}."
    logger.warning(
        "%s: model %r is not in the server's model list. %s The check goes on, because "
        "some servers answer under any model name.",
        check.base_url,
        check.model,
        hint,
    )


def _did_you_mean(check: EndpointCheck) -> str:
    return (
        f"Did you mean {check.suggested_model!r}? Set it with --model or endpoint.model."
    )


def _first_models(listed: Sequence[str]) -> str:
    more = f" and {len(listed) - 5} more" if len(listed) > 5 else ""
    return ", ".join(listed[:5]) + more


async def _check_basics(probe: _Probe, check: EndpointCheck) -> RequestOptions | None:
    """Find a token-limit parameter and temperature the endpoint accepts; None if none work."""
    options: RequestOptions | None = RequestOptions(
        max_tokens=CHECK_TOKEN_CAP, temperature=probe.config.temperature
    )
    # Each rejection names at most one parameter, so three tries cover both known ones.
    for _ in range(3):
        if options is None:
            return None
        try:
            completion = await probe.send(CAP_PROMPT, options)
        except UnsupportedParameter as error:
            options = _without_rejected(options, error, check)
            continue
        except RequestFailed as error:
            check.error = error.reason
            return None
        _record_basics(check, options, completion)
        if check.token_cap_honoured is False:
            return await _try_other_token_param(probe, check, options)
        return options
    return None


async def _try_other_token_param(
    probe: _Probe, check: EndpointCheck, options: RequestOptions
) -> RequestOptions:
    """Try the other token-limit parameter after one was accepted but not kept to."""
    other: TokenLimitParam = (
        "max_completion_tokens" if options.token_limit_param == "max_tokens" else "max_tokens"
    )
    alternative = RequestOptions(options.max_tokens, options.temperature, other)
    try:
        completion = await probe.send(CAP_PROMPT, alternative)
    except RequestFailed as error:
        logger.info("%s not accepted either: %s", other, error.reason)
        return options
    first = (check.completion_tokens_at_cap, check.finish_reason_at_cap)
    _record_basics(check, alternative, completion)
    if check.token_cap_honoured:
        return alternative
    check.completion_tokens_at_cap, check.finish_reason_at_cap = first
    check.token_limit_param = options.token_limit_param
    return options


def _without_rejected(
    options: RequestOptions, error: UnsupportedParameter, check: EndpointCheck
) -> RequestOptions | None:
    """Drop or rename the parameter the endpoint rejected; None when nothing is left to try."""
    rejected = error.param or ""
    if options.token_limit_param == "max_tokens" and (
        rejected == "max_tokens" or (not rejected and "max_tokens" in error.reason)
    ):
        logger.info("the endpoint rejects max_tokens; trying max_completion_tokens")
        return RequestOptions(options.max_tokens, options.temperature, "max_completion_tokens")
    if options.temperature is not None and (
        rejected == "temperature" or (not rejected and "temperature" in error.reason)
    ):
        check.temperature_accepted = False
        check.temperature_error = error.reason
        return RequestOptions(options.max_tokens, None, options.token_limit_param)
    check.error = error.reason
    return None


def _record_basics(check: EndpointCheck, options: RequestOptions, completion: Completion) -> None:
    check.reachable = True
    check.token_limit_param = options.token_limit_param
    if check.temperature_accepted is None:
        check.temperature_accepted = True
    usage = completion.usage
    check.completion_tokens_at_cap = usage.completion_tokens if usage is not None else None
    check.finish_reason_at_cap = completion.choices[0].finish_reason


async def _check_n(probe: _Probe, check: EndpointCheck, options: RequestOptions) -> None:
    canary = _canary_options(options)
    try:
        completion = await probe.send(CANARY_PROMPT, canary, n=check.n_requested)
    except (NRejected, UnsupportedParameter, RequestFailed) as error:
        check.n_error = error.reason
        return
    check.n_returned = len(completion.choices)
    probe.canary_groups.append([_text(choice) for choice in completion.choices])


async def _check_logprobs(probe: _Probe, check: EndpointCheck, options: RequestOptions) -> None:
    canary = _canary_options(options)
    with_logprobs = RequestOptions(
        canary.max_tokens, canary.temperature, canary.token_limit_param, logprobs=True
    )
    try:
        completion = await probe.send(CANARY_PROMPT, with_logprobs)
    except RequestFailed as error:
        logger.info("logprobs not accepted: %s", error.reason)
        check.logprobs = False
        return
    check.logprobs = completion.logprobs_returned


async def _check_canary(probe: _Probe, check: EndpointCheck, options: RequestOptions) -> None:
    canary = _canary_options(options)
    texts: list[str] = []
    for _ in range(CANARY_SINGLE_REQUESTS):
        try:
            completion = await probe.send(CANARY_PROMPT, canary)
        except RequestFailed as error:
            logger.info("a canary request failed: %s", error.reason)
            continue
        texts.append(_text(completion.choices[0]))
    probe.canary_groups.append(texts)


def _judge_canary(check: EndpointCheck, groups: Sequence[Sequence[str]]) -> None:
    """Flag the endpoint when any group of two or more canary texts is all one text.

    The choices of one n request and the replies to separate requests are judged apart,
    because a server can repeat itself in one way and not the other.
    """
    texts = [text for group in groups for text in group]
    check.canary_samples = len(texts)
    check.canary_distinct = len(set(texts))
    judged = [group for group in groups if len(group) >= 2]
    if judged:
        check.sampling_independent = all(len(set(group)) > 1 for group in judged)


def _canary_options(options: RequestOptions) -> RequestOptions:
    temperature = CANARY_TEMPERATURE if options.temperature is not None else None
    return RequestOptions(CANARY_TOKEN_CAP, temperature, options.token_limit_param)


def _text(choice: ModelResponse) -> str:
    return (choice.reasoning or "") + "\n" + (choice.content or "")


def _reasoning_place(responses: Sequence[ModelResponse]) -> ReasoningPlace:
    for response in responses:
        if response.reasoning_field is not None:
            return response.reasoning_field
    for response in responses:
        if "</think>" in (response.content or "") or "<think>" in (response.content or ""):
            return "think_tags"
    return "none_seen"


def run_request_options(check: EndpointCheck, config: EndpointConfig) -> RequestOptions:
    """Shape the run's requests by what the check found.

    Raises ConfigError when the endpoint rejects the configured temperature.
    """
    temperature: float | None = config.temperature
    if check.temperature_accepted is False:
        if config.temperature != CANARY_TEMPERATURE:
            raise ConfigError(
                f"endpoint.temperature: the endpoint rejects {config.temperature:g} "
                f"({check.temperature_error}). Set --temperature 1, which the endpoint "
                "applies when no temperature is sent."
            )
        temperature = None
    if config.logprobs and check.logprobs is not True:
        logger.warning(
            "%s: endpoint.logprobs is set, but the endpoint check found no logprobs, so none "
            "are requested and the logprob confidence is not reported.",
            check.base_url,
        )
    return RequestOptions(
        max_tokens=config.max_tokens,
        temperature=temperature,
        token_limit_param=check.token_limit_param or "max_tokens",
        logprobs=config.logprobs and check.logprobs is True,
    )


def consistency_withheld(run_info: dict[str, Any]) -> str | None:
    """Why a run's consistency figures are not reported, or None when they are."""
    consistency = run_info.get("consistency") or {}
    if consistency.get("reported", True):
        return None
    return str(consistency.get("reason") or "the endpoint does not sample independently")


def describe_check(check: EndpointCheck) -> str:
    """Render the check as the lines `probe endpoint check` prints."""
    rows = [
        ("reachable", _describe_reachable(check)),
        ("model list", _describe_models(check)),
        ("n", _describe_n(check)),
        ("logprobs", _yes_no(check.logprobs, "returned", "not returned")),
        ("token limit", _describe_token_limit(check)),
        ("temperature", _describe_temperature(check)),
        ("reasoning", _describe_reasoning(check)),
        ("sampling", _describe_sampling(check)),
        ("latency", _describe_latency(check)),
    ]
    lines = [f"Endpoint {check.base_url}, model {check.model}"]
    lines += [f"  {name:<12} {text}" for name, text in rows]
    return "\n".join(lines)


def _describe_reachable(check: EndpointCheck) -> str:
    if check.reachable:
        return "yes, the key (if any) is accepted"
    return f"no: {check.error}"


def _describe_models(check: EndpointCheck) -> str:
    if check.listed_models is None:
        return "not offered"
    listed = "" if check.model in check.listed_models else f"; {check.model} is not listed"
    if check.suggested_model is not None:
        listed += f" (did you mean {check.suggested_model}?)"
    return f"{len(check.listed_models)} model(s): {_first_models(check.listed_models)}{listed}"


def _describe_n(check: EndpointCheck) -> str:
    if check.n_error is not None:
        return f"rejected ({check.n_error}); samples go one per request"
    if check.n_returned is None:
        return "not checked"
    if check.n_honoured:
        return f"honoured: {check.n_returned} choices for n = {check.n_requested}"
    return (
        f"not honoured: {check.n_returned} choice(s) for n = {check.n_requested}; "
        f"requests carry at most {check.max_n} sample(s)"
    )


def _describe_token_limit(check: EndpointCheck) -> str:
    if check.token_limit_param is None:
        return "not checked"
    honoured = check.token_cap_honoured
    if check.completion_tokens_at_cap is None:
        cap = "the server reports no usage, so the cap is unverified"
    elif honoured is None:
        cap = (
            f"cap unverified: the reply ended by itself at {check.completion_tokens_at_cap} "
            f"tokens, below the cap of {check.token_cap}"
        )
    else:
        verdict = "honoured" if honoured else "NOT honoured"
        cap = (
            f"cap {verdict} (cap {check.token_cap}, usage {check.completion_tokens_at_cap} "
            "completion tokens)"
        )
    return f"{check.token_limit_param} accepted; {cap}"


def _describe_temperature(check: EndpointCheck) -> str:
    if check.temperature_accepted is None:
        return "not checked"
    if check.temperature_accepted:
        return f"accepted ({check.temperature_sent:g})"
    return f"rejected ({check.temperature_error}); the server's default is used"


def _describe_reasoning(check: EndpointCheck) -> str:
    if check.reasoning == "think_tags":
        return "inside <think> tags in the content"
    if check.reasoning == "none_seen":
        return "none seen"
    return f"in the {check.reasoning} field"


def _describe_sampling(check: EndpointCheck) -> str:
    counts = f"{check.canary_distinct} distinct of {check.canary_samples} canary samples"
    if check.sampling_independent is None:
        return f"not checked ({counts})"
    if check.sampling_independent:
        return f"independent ({counts} at temperature 1)"
    return (
        f"NOT independent: identical samples at temperature 1 ({counts}); consistency is "
        "not reported without --force"
    )


def _describe_latency(check: EndpointCheck) -> str:
    if check.latency_s is None:
        return "not measured"
    return f"median {check.latency_s:.2f} s over {check.requests} request(s)"


def _yes_no(value: bool | None, yes: str, no: str) -> str:
    if value is None:
        return "not checked"
    return yes if value else no

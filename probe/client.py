"""The chat client: the openai SDK over one shared aiohttp-backed httpx client, with retries.

Every attempt takes a slot from the run's shared throttle and is counted by its guard, so
rate limits, concurrency and the circuit breaker apply across all workers.

`DefaultAioHttpClient` is still an `httpx.AsyncClient`, but its aiohttp transport costs far
less CPU per request than httpx's own connection pool at high concurrency (measured in
docs/benchmarks.md).
"""

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import openai
from openai import AsyncOpenAI, DefaultAioHttpClient
from openai.types.chat import ChatCompletion

from probe.config import EndpointConfig
from probe.errors import EndpointFatalError
from probe.guard import Limits, RunGuard
from probe.ratelimit import Throttle
from probe.responses import ModelResponse, ReasoningField
from probe.retries import (
    Classified,
    ErrorInBody,
    FailureKind,
    classify,
    wait_seconds,
)
from probe.samples import Usage
from probe.secrets import redact

logger = logging.getLogger(__name__)

# Retries of a 429, whatever max_retries is, because a rate limit is expected to pass and
# the waits follow the server's hints. A 429 that never passes still ends the request.
RATE_LIMIT_RETRIES = 30

# Roughly four characters per token in English text; used only to pace tokens_per_minute
# before the server reports the real count.
CHARACTERS_PER_TOKEN = 4

_REASONING_FIELDS: tuple[ReasoningField, ...] = ("reasoning_content", "reasoning")

TokenLimitParam = Literal["max_tokens", "max_completion_tokens"]


@dataclass(frozen=True)
class RequestOptions:
    """The shape of a request; the endpoint check picks what the endpoint accepts."""

    max_tokens: int
    temperature: float | None  # None: not sent, so the server's default applies
    token_limit_param: TokenLimitParam = "max_tokens"
    logprobs: bool = False

    @classmethod
    def from_config(cls, endpoint: EndpointConfig) -> "RequestOptions":
        return cls(max_tokens=endpoint.max_tokens, temperature=endpoint.temperature)


@dataclass(frozen=True)
class Completion:
    """The parsed result of one successful request."""

    choices: tuple[ModelResponse, ...]
    model: str | None
    usage: Usage | None
    latency_s: float
    attempts: int
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    logprobs_returned: bool = False


class RequestFailed(Exception):
    """A request that failed after its retries, or at once for a non-retryable error."""

    def __init__(self, reason: str, attempts: int, kind: FailureKind = FailureKind.FINAL) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.kind = kind


class NRejected(RequestFailed):
    """The endpoint does not allow n > 1; the samples must go one per request."""


class UnsupportedParameter(RequestFailed):
    """The endpoint rejects a request parameter or its value (`param` names it when known)."""

    def __init__(self, reason: str, attempts: int, param: str | None) -> None:
        super().__init__(reason, attempts, FailureKind.UNSUPPORTED)
        self.param = param


class ChatClient:
    """Sends chat completions to one endpoint, paced by a shared throttle, retrying by kind."""

    def __init__(
        self,
        endpoint: EndpointConfig,
        *,
        base_url: str,
        model: str,
        api_key: str,
        guard: RunGuard | None = None,
    ) -> None:
        self.model = model
        self.options = RequestOptions.from_config(endpoint)
        self.throttle = guard.throttle if guard else _throttle(endpoint)
        self.guard = guard or RunGuard(self.throttle, Limits(endpoint.max_consecutive_failures))
        self._endpoint = endpoint
        self._secrets = (api_key,)
        # The whole attempt is bounded too, so a server that trickles bytes cannot hold a slot
        # for longer than a connect and a read timeout together.
        self._attempt_limit_s = endpoint.connect_timeout + endpoint.timeout + 1.0
        self._http = DefaultAioHttpClient(
            timeout=httpx.Timeout(endpoint.timeout, connect=endpoint.connect_timeout),
            limits=httpx.Limits(
                max_connections=endpoint.max_concurrency,
                max_keepalive_connections=endpoint.max_concurrency,
            ),
        )
        self._openai = AsyncOpenAI(
            base_url=base_url, api_key=api_key, max_retries=0, http_client=self._http
        )

    async def aclose(self) -> None:
        await self._openai.close()

    async def complete(
        self,
        messages: Sequence[dict[str, str]],
        *,
        n: int = 1,
        seed: int | None = None,
        options: RequestOptions | None = None,
    ) -> Completion:
        """Request `n` choices, retrying 429s, 5xx and network errors.

        Raises EndpointFatalError when no later request can succeed either, NRejected or
        UnsupportedParameter when the request's shape is not accepted, RequestFailed when
        only this request failed, and DispatchStopped when the run stopped meanwhile.
        """
        options = options or self.options
        estimate = _estimate_tokens(messages, options, n)
        attempt = 0
        while True:
            attempt += 1
            self.guard.before_request()
            async with self.throttle.slot(estimate) as slot:
                try:
                    completion = await self._attempt(messages, n, seed, options, attempt)
                except (openai.OpenAIError, httpx.HTTPError, ErrorInBody, TimeoutError) as error:
                    classified = classify(error, n=n)
                else:
                    slot.settle(completion.usage.total_tokens if completion.usage else None)
                    self.throttle.succeeded()
                    self.guard.succeeded(completion.usage)
                    return completion
            await self._handle_failure(classified, attempt)

    async def _attempt(
        self,
        messages: Sequence[dict[str, str]],
        n: int,
        seed: int | None,
        options: RequestOptions,
        attempt: int,
    ) -> Completion:
        started = time.monotonic()
        async with asyncio.timeout(self._attempt_limit_s):
            response = await self._create(messages, n, seed, options)
        return _parse(response, time.monotonic() - started, attempt)

    async def _handle_failure(self, classified: Classified, attempt: int) -> None:
        reason = redact(classified.reason, self._secrets)
        classified = dataclasses.replace(classified, reason=reason)
        self.guard.failed(classified)
        kind = classified.kind
        if kind is FailureKind.FATAL:
            raise EndpointFatalError(f"{self._where()}: {reason}")
        if kind is FailureKind.N_REJECTED:
            raise NRejected(reason, attempt, kind)
        if kind is FailureKind.UNSUPPORTED:
            raise UnsupportedParameter(reason, attempt, classified.param)
        if kind is FailureKind.FINAL or attempt > self._retry_budget(kind):
            raise RequestFailed(reason, attempt, kind)

        delay = wait_seconds(classified, attempt, self._endpoint.retry_backoff)
        logger.warning("%s: %s; retry %d in %.1f s", self._where(), reason, attempt, delay)
        if kind is FailureKind.RATE_LIMITED:
            # The pause holds back every worker, and the next slot waits it out.
            self.throttle.rate_limited(delay)
        else:
            await self.throttle.sleep(delay)

    def _retry_budget(self, kind: FailureKind) -> int:
        if kind is FailureKind.RATE_LIMITED:
            return max(self._endpoint.max_retries, RATE_LIMIT_RETRIES)
        return self._endpoint.max_retries

    async def _create(
        self,
        messages: Sequence[dict[str, str]],
        n: int,
        seed: int | None,
        options: RequestOptions,
    ) -> ChatCompletion:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "n": n,
            options.token_limit_param: options.max_tokens,
        }
        if options.temperature is not None:
            body["temperature"] = options.temperature
        if seed is not None:
            body["seed"] = seed
        if options.logprobs:
            # llama-cpp-python returns logprobs only when top_logprobs is set too.
            body["logprobs"] = True
            body["top_logprobs"] = 1

        # `post` is the SDK's documented route for requests it has no method for. Unlike
        # `chat.completions.create`, it skips the recursive transform of the parameters,
        # which has nothing to change in a body of plain strings and numbers but costs
        # about 38% of the SDK's CPU per request (docs/benchmarks.md). Errors, the
        # response model and the transport are the same.
        return await self._openai.post("/chat/completions", body=body, cast_to=ChatCompletion)

    def _where(self) -> str:
        return f"{self._openai.base_url} model {self.model}"

    async def list_models(self) -> list[str] | None:
        """Return the model ids the server lists, or None when it offers no list.

        Raises EndpointFatalError when the server rejects the API key.
        """
        try:
            page = await self._openai.models.list()
        except (openai.AuthenticationError, openai.PermissionDeniedError) as error:
            reason = redact(classify(error).reason, self._secrets)
            raise EndpointFatalError(f"{self._where()}: {reason}") from None
        except (openai.OpenAIError, httpx.HTTPError) as error:
            logger.info("%s: no model list (%s)", self._where(), redact(str(error), self._secrets))
            return None
        return [model.id for model in page.data]


def _throttle(endpoint: EndpointConfig) -> Throttle:
    return Throttle(
        endpoint.max_concurrency,
        requests_per_minute=endpoint.requests_per_minute,
        tokens_per_minute=endpoint.tokens_per_minute,
    )


def _estimate_tokens(
    messages: Sequence[dict[str, str]], options: RequestOptions, n: int
) -> int:
    characters = sum(len(message.get("content", "")) for message in messages)
    return characters // CHARACTERS_PER_TOKEN + options.max_tokens * n


def _parse(response: ChatCompletion, latency_s: float, attempts: int) -> Completion:
    # A body without choices is a server error wrapped in a 200 (OpenRouter sends these);
    # it must be retried like the status it names, never graded as an empty answer.
    if not getattr(response, "choices", None):
        extra = response.model_extra or {}
        raise _error_in_body(extra.get("error"))

    return Completion(
        choices=tuple(_parse_choice(choice) for choice in response.choices),
        model=response.model or None,
        usage=_parse_usage(response),
        latency_s=latency_s,
        attempts=attempts,
        logprobs_returned=any(_has_logprobs(choice) for choice in response.choices),
    )


def _has_logprobs(choice: Any) -> bool:
    logprobs = getattr(choice, "logprobs", None)
    return bool(logprobs is not None and getattr(logprobs, "content", None))


def _parse_choice(choice: Any) -> ModelResponse:
    message = choice.message
    extra = message.model_extra or {}
    reasoning: str | None = None
    reasoning_field: ReasoningField | None = None
    for name in _REASONING_FIELDS:
        value = extra.get(name)
        if isinstance(value, str) and value:
            reasoning, reasoning_field = value, name
            break

    return ModelResponse(
        content=message.content,
        finish_reason=choice.finish_reason,
        reasoning=reasoning,
        reasoning_field=reasoning_field,
        refusal=getattr(message, "refusal", None),
        token_logprobs=_token_logprobs(choice),
    )


def _token_logprobs(choice: Any) -> tuple[float, ...] | None:
    """Return the content tokens' log-probabilities, or None when the choice has none."""
    if not _has_logprobs(choice):
        return None
    values = [getattr(token, "logprob", None) for token in choice.logprobs.content]
    if not all(isinstance(value, int | float) for value in values):
        return None
    return tuple(float(value) for value in values if value is not None)


def _parse_usage(response: ChatCompletion) -> Usage | None:
    usage = response.usage
    if usage is None:
        return None
    # The SDK builds its models without validation, so a count the server left out is a
    # missing attribute. A missing count stays unknown, never 0.
    details = getattr(usage, "completion_tokens_details", None)
    return Usage(
        prompt_tokens=getattr(usage, "prompt_tokens", None),
        completion_tokens=getattr(usage, "completion_tokens", None),
        total_tokens=getattr(usage, "total_tokens", None),
        reasoning_tokens=getattr(details, "reasoning_tokens", None),
    )


def _error_in_body(error: object) -> ErrorInBody:
    if isinstance(error, dict):
        code = error.get("code")
        status = code if isinstance(code, int) else None
        return ErrorInBody(str(error.get("message") or error), status)
    return ErrorInBody("the reply has no choices", None)

"""The chat client: the openai SDK over one shared aiohttp-backed httpx client, with retries.

`DefaultAioHttpClient` is still an `httpx.AsyncClient`, but its aiohttp transport costs far
less CPU per request than httpx's own connection pool at high concurrency (measured in
docs/benchmarks.md).
"""

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import openai
from openai import AsyncOpenAI, DefaultAioHttpClient
from openai.types.chat import ChatCompletion

from probe.config import EndpointConfig
from probe.errors import EndpointFatalError
from probe.responses import ModelResponse, ReasoningField
from probe.retries import Classified, ErrorInBody, FailureKind, classify, wait_seconds
from probe.samples import Usage
from probe.secrets import redact

logger = logging.getLogger(__name__)

# Connecting to a healthy server takes milliseconds; a long connect wait only hides a dead one.
CONNECT_TIMEOUT_S = 10.0

_REASONING_FIELDS: tuple[ReasoningField, ...] = ("reasoning_content", "reasoning")


@dataclass(frozen=True)
class Completion:
    """The parsed result of one successful request."""

    choices: tuple[ModelResponse, ...]
    model: str | None
    usage: Usage | None
    latency_s: float
    attempts: int


class RequestFailed(Exception):
    """A request that failed after its retries, or at once for a non-retryable error."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


class ChatClient:
    """Sends chat completions to one endpoint and retries by failure kind."""

    def __init__(
        self, endpoint: EndpointConfig, *, base_url: str, model: str, api_key: str
    ) -> None:
        self.model = model
        self._endpoint = endpoint
        self._secrets = (api_key,)
        self._http = DefaultAioHttpClient(
            timeout=httpx.Timeout(
                endpoint.timeout, connect=min(CONNECT_TIMEOUT_S, endpoint.timeout)
            ),
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

    async def complete(self, messages: Sequence[dict[str, str]]) -> Completion:
        """Request one completion, retrying 429s, 5xx and network errors.

        Raises EndpointFatalError when no later request can succeed either, and
        RequestFailed when only this request failed.
        """
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = await self._create(messages)
                return self._parse(response, time.monotonic() - started, attempt)
            except (openai.OpenAIError, httpx.HTTPError, ErrorInBody) as error:
                classified = classify(error)
                reason = redact(classified.reason, self._secrets)
                await self._handle_failure(classified, reason, attempt)

    async def _handle_failure(self, classified: Classified, reason: str, attempt: int) -> None:
        if classified.kind is FailureKind.FATAL:
            raise EndpointFatalError(f"{self._where()}: {reason}")
        retryable = classified.kind in (FailureKind.RATE_LIMITED, FailureKind.TRANSIENT)
        if not retryable or attempt > self._endpoint.max_retries:
            raise RequestFailed(reason, attempt)

        delay = wait_seconds(classified, attempt)
        logger.warning("%s: %s; retry %d in %.1f s", self._where(), reason, attempt, delay)
        await asyncio.sleep(delay)

    async def _create(self, messages: Sequence[dict[str, str]]) -> ChatCompletion:
        return await self._openai.chat.completions.create(
            model=self.model,
            messages=list(messages),  # type: ignore[arg-type]
            temperature=self._endpoint.temperature,
            max_tokens=self._endpoint.max_tokens,
            n=1,
        )

    def _parse(self, response: ChatCompletion, latency_s: float, attempts: int) -> Completion:
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
        )

    def _where(self) -> str:
        return f"{self._openai.base_url} model {self.model}"

    async def list_models(self) -> list[str] | None:
        """Return the model ids the server lists, or None when it offers no list."""
        try:
            page = await self._openai.models.list()
        except (openai.OpenAIError, httpx.HTTPError) as error:
            logger.info("%s: no model list (%s)", self._where(), redact(str(error), self._secrets))
            return None
        return [model.id for model in page.data]


def _parse_choice(choice: Any) -> ModelResponse:
    message = choice.message
    extra = message.model_extra or {}
    reasoning: str | None = None
    reasoning_field: ReasoningField | None = None
    for field in _REASONING_FIELDS:
        value = extra.get(field)
        if isinstance(value, str) and value:
            reasoning, reasoning_field = value, field
            break

    return ModelResponse(
        content=message.content,
        finish_reason=choice.finish_reason,
        reasoning=reasoning,
        reasoning_field=reasoning_field,
        refusal=getattr(message, "refusal", None),
    )


def _parse_usage(response: ChatCompletion) -> Usage | None:
    if response.usage is None:
        return None
    return Usage(
        prompt_tokens=response.usage.prompt_tokens,
        completion_tokens=response.usage.completion_tokens,
        total_tokens=response.usage.total_tokens,
    )


def _error_in_body(error: object) -> ErrorInBody:
    if isinstance(error, dict):
        code = error.get("code")
        status = code if isinstance(code, int) else None
        return ErrorInBody(str(error.get("message") or error), status)
    return ErrorInBody("the reply has no choices", None)

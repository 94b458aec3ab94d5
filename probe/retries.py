"""How each endpoint failure is classified and how long to wait before trying again.

This is probe's only retry layer: the openai SDK's own retries are off. Rate limits wait as
the server asks (and at least as long as the backoff), transient failures back off
exponentially with jitter within a bound, and everything else fails at once.
"""

import logging
import random
from dataclasses import dataclass
from enum import Enum

import httpx
import openai

logger = logging.getLogger(__name__)

# Exponential backoff: base · 2^(attempt−1), capped, then full jitter in [cap/2, cap].
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 30.0
# A server hint above this is treated as a daily limit: waiting will not help a run.
MAX_RETRY_AFTER_S = 600.0

_QUOTA_CODES = {"insufficient_quota", "billing_hard_limit_reached", "quota_exceeded"}
_DAILY_LIMIT_WORDS = ("per day", "daily", "requests per day", "rpd")


class FailureKind(Enum):
    RATE_LIMITED = "rate limited"
    TRANSIENT = "transient"
    FATAL = "fatal"  # stops the run: no later request can succeed either
    FINAL = "final"  # this request fails; the run goes on


class ErrorInBody(Exception):
    """A 200 reply whose body carries an `error` object instead of choices."""

    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Classified:
    kind: FailureKind
    reason: str
    retry_after_s: float | None = None


def classify(error: BaseException) -> Classified:
    """Sort an exception from a request into the kinds above, with a reason for the record."""
    if isinstance(error, ErrorInBody):
        transient = error.code is None or error.code >= 500 or error.code == 429
        kind = FailureKind.TRANSIENT if transient else FailureKind.FINAL
        return Classified(kind, f"error in a 200 reply (code {error.code}): {error}")
    if isinstance(error, openai.APITimeoutError | httpx.TimeoutException):
        return Classified(FailureKind.TRANSIENT, "request timed out")
    if isinstance(error, openai.APIConnectionError | httpx.TransportError):
        return Classified(FailureKind.TRANSIENT, f"connection failed: {error}")
    if isinstance(error, openai.APIStatusError):
        return _classify_status(error)
    return Classified(FailureKind.FINAL, f"{type(error).__name__}: {error}")


def _classify_status(error: openai.APIStatusError) -> Classified:
    status = error.status_code
    message = _error_message(error)
    if status == 429:
        return _classify_rate_limit(error, message)
    if status >= 500:
        return Classified(FailureKind.TRANSIENT, f"HTTP {status}: {message}")
    if status in (401, 403):
        return Classified(
            FailureKind.FATAL,
            f"HTTP {status}: {message}. Check that the API key variable named by "
            "endpoint.api_key_env holds a valid key for this endpoint.",
        )
    if status == 404:
        return Classified(
            FailureKind.FATAL,
            f"HTTP 404: {message}. Check endpoint.base_url (it usually ends in /v1) and "
            "endpoint.model; on Azure, check the deployment name against the model name, and "
            "that api-version is an API version, not a model version.",
        )
    return Classified(FailureKind.FINAL, f"HTTP {status}: {message}")


def _classify_rate_limit(error: openai.APIStatusError, message: str) -> Classified:
    code = str(getattr(error, "code", None) or "")
    kind_of_error = str(getattr(error, "type", None) or "")
    lowered = message.lower()
    hint = retry_after_seconds(error.response.headers)

    if code in _QUOTA_CODES or kind_of_error in _QUOTA_CODES:
        return Classified(
            FailureKind.FATAL,
            f"HTTP 429 {code or kind_of_error}: {message}. The quota is exhausted, so "
            "waiting will not help: add credit or raise the limit, then resume the run.",
        )
    if any(word in lowered for word in _DAILY_LIMIT_WORDS) or (hint or 0) > MAX_RETRY_AFTER_S:
        return Classified(
            FailureKind.FATAL,
            f"HTTP 429: {message}. This looks like a daily limit; resume the run once it resets.",
        )
    return Classified(FailureKind.RATE_LIMITED, f"HTTP 429: {message}", hint)


def _error_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return error.message


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Read the server's wait hint: `retry-after-ms` (OpenAI), else `Retry-After` in seconds."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue  # An HTTP date; the backoff applies instead.
        if seconds >= 0:
            return seconds
    return None


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter for the given attempt number (1 for the first retry)."""
    cap = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (attempt - 1))
    return random.uniform(cap / 2, cap)


def wait_seconds(classified: Classified, attempt: int) -> float:
    """Wait before the next attempt: the larger of the server's hint and the backoff."""
    backoff = backoff_seconds(attempt)
    if classified.retry_after_s is None:
        return backoff
    return max(classified.retry_after_s, backoff)

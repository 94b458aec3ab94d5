"""How each endpoint failure is classified and how long to wait before trying again.

This is probe's only retry layer: the openai SDK's own retries are off. Rate limits wait as
the server asks (and at least as long as the backoff), transient failures back off
exponentially with jitter within a bound, and everything else fails at once.
"""

import logging
import random
import re
from dataclasses import dataclass
from enum import Enum

import httpx
import openai

logger = logging.getLogger(__name__)

# Exponential backoff: base · 2^(attempt−1), capped, then jitter in [cap/2, cap].
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 30.0
# A server hint above this is treated as a daily limit: waiting will not help a run.
MAX_RETRY_AFTER_S = 600.0

_QUOTA_CODES = {"insufficient_quota", "billing_hard_limit_reached", "quota_exceeded"}
_DAILY_LIMIT_WORDS = ("per day", "daily", "requests per day", "rpd")
_UNSUPPORTED_CODES = {"unsupported_parameter", "unsupported_value"}

# Messages that reject n > 1: llama.cpp's server ("Only one completion choice is
# allowed", sent by some versions as HTTP 500), vLLM ("n must be 1 when using greedy
# sampling") and OpenAI ("Unsupported value: 'n' ...").
_N_REJECTED = re.compile(
    r"only one completion choice|\bn\b\s*(?:must|should|can only) be 1|\bn\s*>\s*1|'n'|\"n\"|`n`"
    r"|parameter n\b|\bn is not supported",
    re.IGNORECASE,
)
_UNSUPPORTED = re.compile(
    r"unsupported (?:parameter|value)|not supported|unrecognized (?:request )?argument"
    r"|extra (?:inputs|fields) (?:are )?not permitted|unexpected keyword",
    re.IGNORECASE,
)


class FailureKind(Enum):
    RATE_LIMITED = "rate limited"
    TRANSIENT = "transient"
    FATAL = "fatal"  # stops the run: no later request can succeed either
    FINAL = "final"  # this request fails; the run goes on
    N_REJECTED = "n rejected"  # n > 1 is not allowed: send one sample per request instead
    UNSUPPORTED = "unsupported"  # a request parameter or its value is not accepted


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
    param: str | None = None  # the rejected request parameter, when the server names it


def classify(error: BaseException, *, n: int = 1) -> Classified:
    """Sort an exception from a request into the kinds above, with a reason for the record.

    `n` is the number of choices the request asked for: an error about n is N_REJECTED only
    when it was above 1.
    """
    if isinstance(error, ErrorInBody):
        return _classify_error_in_body(error, n)
    if isinstance(error, openai.APIConnectionError | httpx.TransportError | TimeoutError):
        return _classify_network(error)
    if isinstance(error, openai.APIStatusError):
        return _classify_status(error, n)
    return Classified(FailureKind.FINAL, f"{type(error).__name__}: {error}")


def _classify_error_in_body(error: ErrorInBody, n: int) -> Classified:
    reason = f"error in a 200 reply (code {error.code}): {error}"
    if n > 1 and _N_REJECTED.search(str(error)):
        return Classified(FailureKind.N_REJECTED, reason, param="n")
    transient = error.code is None or error.code >= 500 or error.code == 429
    return Classified(FailureKind.TRANSIENT if transient else FailureKind.FINAL, reason)


def _classify_network(error: BaseException) -> Classified:
    # The aiohttp transport reports a closed connection as a connect timeout, so the
    # innermost cause decides between "timed out" and "connection failed".
    root = _root_cause(error)
    if isinstance(root, TimeoutError | httpx.TimeoutException):
        return Classified(FailureKind.TRANSIENT, "request timed out")
    detail = str(root) or type(root).__name__
    return Classified(FailureKind.TRANSIENT, f"connection failed: {detail}")


def _root_cause(error: BaseException) -> BaseException:
    seen = {id(error)}
    while True:
        cause = error.__cause__ or error.__context__
        if cause is None or id(cause) in seen:
            return error
        seen.add(id(cause))
        error = cause


def _classify_status(error: openai.APIStatusError, n: int) -> Classified:
    status = error.status_code
    message = _error_message(error)
    param = _error_param(error)
    if n > 1 and (param == "n" or _N_REJECTED.search(message)):
        return Classified(FailureKind.N_REJECTED, f"HTTP {status}: {message}", param="n")
    if status == 429:
        return _classify_rate_limit(error, message)
    if status >= 500:
        return Classified(FailureKind.TRANSIENT, f"HTTP {status}: {message}")
    if status in (400, 422) and _is_unsupported(error, message):
        return Classified(
            FailureKind.UNSUPPORTED,
            f"HTTP {status}: {message}. Run `probe endpoint check` to see which parameters "
            "this endpoint accepts, then change the config field that sets the rejected one.",
            param=param,
        )
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


def _is_unsupported(error: openai.APIStatusError, message: str) -> bool:
    code = str(getattr(error, "code", None) or "")
    return code in _UNSUPPORTED_CODES or _UNSUPPORTED.search(message) is not None


def _error_param(error: openai.APIStatusError) -> str | None:
    param = getattr(error, "param", None)
    if isinstance(param, str) and param:
        return param
    # Servers without a `param` field often quote the parameter in the message.
    quoted = re.search(r"[Uu]nsupported (?:parameter|value): '(\w+)'", _error_message(error))
    return quoted.group(1) if quoted else None


def _error_message(error: openai.APIStatusError) -> str:
    # Without its final full stop, because the reasons above append sentences of their own.
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"]).rstrip(".")
    return error.message.rstrip(".")


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


def backoff_seconds(attempt: int, base_s: float = BACKOFF_BASE_S) -> float:
    """Exponential backoff with jitter for the given attempt number (1 for the first retry)."""
    cap = min(BACKOFF_MAX_S, base_s * 2 ** (attempt - 1))
    return random.uniform(cap / 2, cap)


def wait_seconds(classified: Classified, attempt: int, base_s: float = BACKOFF_BASE_S) -> float:
    """Wait before the next attempt: the larger of the server's hint and the backoff."""
    backoff = backoff_seconds(attempt, base_s)
    if classified.retry_after_s is None:
        return backoff
    return max(classified.retry_after_s, backoff)

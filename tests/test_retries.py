"""Failure classification as the client meets it, against scripted servers on 127.0.0.1."""

import asyncio
import socket

import pytest

from probe.client import ChatClient, Completion, NRejected, RequestFailed, UnsupportedParameter
from probe.config import EndpointConfig
from probe.errors import EndpointFatalError
from probe.retries import FailureKind
from tests.openai_server import OpenAIServer, Reply, chat_reply, error_reply

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]
N_REJECTION = Reply(
    status=500,
    body={"error": {"code": 500, "message": "Only one completion choice is allowed",
                    "type": "server_error"}},
)


def complete(base_url: str, *, n: int = 1, **endpoint: object) -> Completion:
    async def call() -> Completion:
        config = EndpointConfig(base_url=base_url, model="m", retry_backoff=0.01,
                                **endpoint)  # type: ignore[arg-type]
        client = ChatClient(config, base_url=base_url, model="m", api_key="no-key")
        try:
            return await client.complete(MESSAGES, n=n)
        finally:
            await client.aclose()

    return asyncio.run(call())


def test_n_rejection_is_not_retried() -> None:
    server = OpenAIServer(lambda request, index: N_REJECTION, checks=None)
    with server, pytest.raises(NRejected) as caught:
        complete(server.base_url, n=3)
    sent = len(server.requests)
    assert sent == 1
    assert caught.value.kind is FailureKind.N_REJECTED


def test_same_500_with_n_1_is_transient() -> None:
    replies = [N_REJECTION, chat_reply("Paris")]
    with OpenAIServer(lambda request, index: replies[min(index, 1)], checks=None) as server:
        completion = complete(server.base_url, n=1)
    assert completion.attempts == 2


def test_n_in_error_body_is_rejection() -> None:
    in_body = Reply(body={"error": {"message": "n must be 1 when using greedy sampling"}})
    server = OpenAIServer(lambda request, index: in_body, checks=None)
    with server, pytest.raises(NRejected):
        complete(server.base_url, n=2)


def test_unsupported_parameter_names_it() -> None:
    rejection = error_reply(
        400,
        "Unsupported parameter: 'max_tokens' is not supported with this model.",
        code="unsupported_parameter",
    )
    server = OpenAIServer(lambda request, index: rejection, checks=None)
    with server, pytest.raises(UnsupportedParameter) as caught:
        complete(server.base_url)
    sent = len(server.requests)
    assert sent == 1
    assert caught.value.param == "max_tokens"
    assert "probe endpoint check" in caught.value.reason


def test_daily_limit_stops_at_once() -> None:
    daily = error_reply(429, "Rate limit reached for requests per day (RPD): Limit 200")
    server = OpenAIServer(lambda request, index: daily, checks=None)
    with server, pytest.raises(EndpointFatalError, match="daily limit"):
        complete(server.base_url)
    sent = len(server.requests)
    assert sent == 1


def test_long_retry_hint_is_a_daily_limit() -> None:
    hint = error_reply(429, "Rate limit reached", headers={"retry-after": "3600"})
    server = OpenAIServer(lambda request, index: hint, checks=None)
    with server, pytest.raises(EndpointFatalError, match="daily limit"):
        complete(server.base_url)


def test_refused_connection_is_not_a_timeout() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RequestFailed) as caught:
        complete(f"http://127.0.0.1:{port}/v1", max_retries=1)
    assert caught.value.reason.startswith("connection failed")
    assert caught.value.attempts == 2


def test_dropped_connection_is_not_a_timeout() -> None:
    server = OpenAIServer(lambda request, index: Reply(drop_connection=True), checks=None)
    with server, pytest.raises(RequestFailed) as caught:
        complete(server.base_url, max_retries=0)
    assert caught.value.reason.startswith("connection failed")


def test_read_timeout_is_reported_as_timeout() -> None:
    hang = Reply(delay_s=2.0, body={})
    server = OpenAIServer(lambda request, index: hang, checks=None)
    with server, pytest.raises(RequestFailed) as caught:
        complete(server.base_url, max_retries=0, timeout=0.3)
    assert caught.value.reason == "request timed out"

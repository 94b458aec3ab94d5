"""The chat client against scripted servers on 127.0.0.1: parsing, retries by kind, secrets."""

import asyncio
import logging
from collections.abc import Callable

import pytest

from probe.client import ChatClient, Completion, RequestFailed
from probe.config import EndpointConfig
from probe.errors import EndpointFatalError
from tests.openai_server import OpenAIServer, ReceivedRequest, Reply, chat_reply, error_reply

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


def scripted(*replies: Reply) -> Callable[[ReceivedRequest, int], Reply]:
    """Serve the replies in order, then repeat the last one."""
    return lambda request, index: replies[min(index, len(replies) - 1)]


def complete(server: OpenAIServer, *, api_key: str = "no-key", **endpoint: object) -> Completion:
    async def call() -> Completion:
        config = EndpointConfig(base_url=server.base_url, model="m", **endpoint)  # type: ignore[arg-type]
        client = ChatClient(config, base_url=server.base_url, model="m", api_key=api_key)
        try:
            return await client.complete(MESSAGES)
        finally:
            await client.aclose()

    return asyncio.run(call())


def test_parses_content_usage_and_model() -> None:
    with OpenAIServer(scripted(chat_reply("Paris", model="served-name"))) as server:
        completion = complete(server)
    assert completion.choices[0].content == "Paris"
    assert completion.model == "served-name"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 20
    assert completion.attempts == 1


def test_reads_reasoning_content_field() -> None:
    reply = chat_reply(None, reasoning_content="Thinking about Paris.")
    with OpenAIServer(scripted(reply)) as server:
        choice = complete(server).choices[0]
    assert choice.content is None
    assert choice.reasoning == "Thinking about Paris."
    assert choice.reasoning_field == "reasoning_content"


def test_reads_refusal_field() -> None:
    reply = chat_reply(None, refusal="I'm sorry, I can't help with that.")
    with OpenAIServer(scripted(reply)) as server:
        assert complete(server).choices[0].refusal == "I'm sorry, I can't help with that."


def test_retry_after_headers_set_the_waits() -> None:
    replies = scripted(
        error_reply(429, "Rate limit reached", headers={"retry-after": "2"}),
        error_reply(429, "Rate limit reached", headers={"retry-after-ms": "1500"}),
        chat_reply("Paris"),
    )
    with OpenAIServer(replies) as server:
        completion = complete(server)
        times = server.request_times
    assert completion.attempts == 3
    assert times[1] - times[0] == pytest.approx(2.0, abs=0.4)
    assert times[2] - times[1] == pytest.approx(1.5, abs=0.4)


def test_server_errors_are_retried() -> None:
    replies = scripted(
        error_reply(500, "boom"),
        error_reply(502, "bad gateway"),
        error_reply(503, "busy"),
        chat_reply("Paris"),
    )
    with OpenAIServer(replies) as server:
        completion = complete(server)
    assert completion.attempts == 4
    assert completion.choices[0].content == "Paris"


def test_error_in_200_body_is_retried_like_its_code() -> None:
    error_body = Reply(
        body={
            "id": "gen-1",
            "error": {"message": "Upstream error: Service temporarily overloaded", "code": 502},
        }
    )
    with OpenAIServer(scripted(error_body, chat_reply("Paris"))) as server:
        completion = complete(server)
        requests = len(server.requests)
    assert requests == 2
    assert completion.choices[0].content == "Paris"


def test_error_in_200_body_never_becomes_an_answer() -> None:
    error_body = Reply(body={"id": "gen-1", "error": {"message": "Upstream error", "code": 502}})
    with OpenAIServer(scripted(error_body)) as server, pytest.raises(RequestFailed) as caught:
        complete(server, max_retries=1)
    assert "Upstream error" in caught.value.reason
    assert caught.value.attempts == 2


def test_dropped_connection_is_retried() -> None:
    with OpenAIServer(scripted(Reply(drop_connection=True), chat_reply("Paris"))) as server:
        assert complete(server).attempts == 2


def test_read_timeout_is_retried() -> None:
    with OpenAIServer(scripted(Reply(delay_s=3.0, body={}), chat_reply("Paris"))) as server:
        completion = complete(server, timeout=0.5)
    assert completion.attempts == 2


def test_bad_request_not_retried() -> None:
    with OpenAIServer(scripted(error_reply(400, "Unsupported parameter: 'temperature'"))) as server:
        with pytest.raises(RequestFailed) as caught:
            complete(server)
        requests = len(server.requests)
    assert requests == 1
    assert "HTTP 400" in caught.value.reason


def test_quota_exhausted_stops_at_once() -> None:
    quota = error_reply(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        code="insufficient_quota",
        kind="insufficient_quota",
    )
    with OpenAIServer(scripted(quota)) as server:
        with pytest.raises(EndpointFatalError, match="quota is exhausted"):
            complete(server)
        requests = len(server.requests)
    assert requests == 1


def test_unauthorized_stops_with_a_hint() -> None:
    server = OpenAIServer(scripted(error_reply(401, "Invalid API key")))
    with server, pytest.raises(EndpointFatalError, match="api_key_env"):
        complete(server)


def test_not_found_mentions_azure_deployment() -> None:
    server = OpenAIServer(scripted(error_reply(404, "The model does not exist")))
    with server, pytest.raises(EndpointFatalError, match="deployment name"):
        complete(server)


def test_key_echoed_by_server_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    key = "sk-test-0123456789abcdef"
    echo = error_reply(401, f"Incorrect API key provided: {key}")
    caplog.set_level(logging.DEBUG)
    with OpenAIServer(scripted(echo)) as server:
        with pytest.raises(EndpointFatalError) as caught:
            complete(server, api_key=key)
        sent = server.requests[0].headers["authorization"]
    assert sent == f"Bearer {key}"
    assert key not in str(caught.value)
    assert key not in caplog.text

"""The endpoint check against scripted servers on 127.0.0.1, and `probe endpoint check`."""

import asyncio
import json
from collections.abc import Callable

import pytest

from probe.capabilities import (
    CAP_PROMPT,
    EndpointCheck,
    check_endpoint,
    run_request_options,
)
from probe.cli import main
from probe.client import ChatClient
from probe.config import EndpointConfig
from probe.errors import ConfigError, EndpointFatalError
from tests.openai_server import (
    HonestSampler,
    OpenAIServer,
    ReceivedRequest,
    Reply,
    choices_reply,
    error_reply,
    requested_n,
    user_prompt,
)

Responder = Callable[[ReceivedRequest, int], Reply]


def check(server: OpenAIServer, *, samples: int = 5, **endpoint: object) -> EndpointCheck:
    async def call() -> EndpointCheck:
        config = EndpointConfig(base_url=server.base_url, model="m", retry_backoff=0.01,
                                **endpoint)  # type: ignore[arg-type]
        client = ChatClient(config, base_url=server.base_url, model="m", api_key="no-key")
        try:
            return await check_endpoint(client, config, base_url=server.base_url, samples=samples)
        finally:
            await client.aclose()

    return asyncio.run(call())


def serve(responder: Responder, **options: object) -> OpenAIServer:
    # Every request, the check's included, goes to `responder`.
    return OpenAIServer(responder, checks=None, **options)  # type: ignore[arg-type]


def test_honest_sampler_supports_everything() -> None:
    with serve(HonestSampler()) as server:
        result = check(server)
    assert result.reachable is True
    assert result.listed_models == ["fake-model"]
    assert result.n_returned == 5
    assert result.n_honoured is True
    assert result.max_n == 5
    assert result.logprobs is True
    assert result.token_limit_param == "max_tokens"
    assert result.token_cap_honoured is True
    assert result.temperature_accepted is True
    assert result.reasoning == "none_seen"
    assert result.sampling_independent is True
    assert result.latency_s is not None
    assert result.requests == 6


def test_ignored_n_is_found_by_counting_choices() -> None:
    with serve(HonestSampler(max_n=1)) as server:
        result = check(server)
    assert result.n_returned == 1
    assert result.n_honoured is False
    assert result.max_n == 1


def test_partly_honoured_n_sets_the_limit() -> None:
    with serve(HonestSampler(max_n=2)) as server:
        result = check(server, samples=5)
    assert result.n_honoured is False
    assert result.max_n == 2


def test_n_rejected_with_http_500() -> None:
    honest = HonestSampler()
    rejection = Reply(
        status=500,
        body={"error": {"code": 500, "message": "Only one completion choice is allowed",
                        "type": "server_error"}},
    )

    def respond(request: ReceivedRequest, index: int) -> Reply:
        return rejection if requested_n(request) > 1 else honest(request, index)

    with serve(respond) as server:
        result = check(server)
        n_requests = [r for r in server.requests if requested_n(r) > 1]
    assert result.n_error is not None
    assert "Only one completion choice" in result.n_error
    assert result.max_n == 1
    assert len(n_requests) == 1  # not retried as a transient 500


def test_max_tokens_rejected_switches_parameter() -> None:
    honest = HonestSampler()
    rejection = error_reply(
        400,
        "Unsupported parameter: 'max_tokens' is not supported with this model. "
        "Use 'max_completion_tokens' instead.",
        code="unsupported_parameter",
        kind="invalid_request_error",
    )

    def respond(request: ReceivedRequest, index: int) -> Reply:
        return rejection if "max_tokens" in request.body else honest(request, index)

    with serve(respond) as server:
        result = check(server)
        later = server.requests[1:]
    assert result.token_limit_param == "max_completion_tokens"
    assert result.reachable is True
    assert all("max_completion_tokens" in request.body for request in later)


def test_ignored_token_parameter_is_not_trusted() -> None:
    # Like llama-cpp-python 0.3: max_tokens works, max_completion_tokens is silently ignored.
    honest = HonestSampler()

    def respond(request: ReceivedRequest, index: int) -> Reply:
        if user_prompt(request) == CAP_PROMPT and "max_tokens" not in request.body:
            usage = {"prompt_tokens": 12, "completion_tokens": 200, "total_tokens": 212}
            return choices_reply(["a long story"], usage=usage)
        return honest(request, index)

    with serve(respond) as server:
        result = check(server)
    assert result.token_limit_param == "max_tokens"
    assert result.token_cap_honoured is True


def test_cap_not_honoured_is_reported() -> None:
    def respond(request: ReceivedRequest, index: int) -> Reply:
        usage = {"prompt_tokens": 12, "completion_tokens": 300, "total_tokens": 312}
        return choices_reply([f"text {index}"] * requested_n(request), usage=usage)

    with serve(respond) as server:
        result = check(server)
    assert result.token_cap_honoured is False


def test_missing_usage_leaves_cap_unknown() -> None:
    def respond(request: ReceivedRequest, index: int) -> Reply:
        return choices_reply([f"text {index}"] * requested_n(request), usage={})

    with serve(respond) as server:
        result = check(server)
    assert result.completion_tokens_at_cap is None
    assert result.token_cap_honoured is None


def test_rejected_temperature_is_recorded() -> None:
    honest = HonestSampler()
    rejection = error_reply(
        400,
        "Unsupported value: 'temperature' does not support 0.7 with this model. "
        "Only the default (1) value is supported.",
        code="unsupported_value",
        kind="invalid_request_error",
    )

    def respond(request: ReceivedRequest, index: int) -> Reply:
        return rejection if "temperature" in request.body else honest(request, index)

    with serve(respond) as server:
        result = check(server, temperature=0.7)
    assert result.temperature_accepted is False
    assert result.reachable is True
    assert result.sampling_independent is True
    with pytest.raises(ConfigError, match="--temperature 1"):
        run_request_options(result, EndpointConfig(base_url="http://x/v1", temperature=0.7))
    options = run_request_options(result, EndpointConfig(base_url="http://x/v1", temperature=1))
    assert options.temperature is None


def test_reasoning_field_is_found() -> None:
    def respond(request: ReceivedRequest, index: int) -> Reply:
        reply = choices_reply([f"text {index}"] * requested_n(request))
        for choice in reply.body["choices"]:
            choice["message"]["reasoning_content"] = "Let me think."
        return reply

    with serve(respond) as server:
        assert check(server).reasoning == "reasoning_content"


def test_think_tags_are_found() -> None:
    def respond(request: ReceivedRequest, index: int) -> Reply:
        return choices_reply([f"<think>hm {index}</think>42"] * requested_n(request))

    with serve(respond) as server:
        assert check(server).reasoning == "think_tags"


def test_identical_samples_are_flagged() -> None:
    def respond(request: ReceivedRequest, index: int) -> Reply:
        return choices_reply(["483920174625 lantern"] * requested_n(request))

    with serve(respond) as server:
        result = check(server)
    assert result.sampling_independent is False
    assert result.canary_distinct == 1


def test_identical_across_requests_only_is_flagged() -> None:
    # n choices differ, but separate requests repeat one text: a fixed server-side seed.
    def respond(request: ReceivedRequest, index: int) -> Reply:
        n = requested_n(request)
        return choices_reply([f"{choice:012d} lantern" for choice in range(n)])

    with serve(respond) as server:
        assert check(server).sampling_independent is False


def test_unauthorized_stops_the_check() -> None:
    rejection = error_reply(401, "Incorrect API key provided")
    models = error_reply(401, "Incorrect API key provided")
    server = serve(lambda request, index: rejection, models_reply=models)
    with server, pytest.raises(EndpointFatalError, match="api_key_env"):
        check(server)


def test_no_model_list_is_not_an_error() -> None:
    with serve(HonestSampler(), models_reply=error_reply(404, "Not found")) as server:
        result = check(server)
    assert result.listed_models is None
    assert result.reachable is True


def test_unreachable_server_fails_the_check() -> None:
    with serve(lambda request, index: error_reply(503, "loading model")) as server:
        result = check(server, max_retries=1)
    assert result.reachable is False
    assert result.error is not None
    assert "HTTP 503" in result.error


def test_cli_prints_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    with serve(HonestSampler(max_n=1)) as server:
        code = main(["endpoint", "check", "--base-url", server.base_url, "--model", "m"])
    out = capsys.readouterr().out
    assert code == 0
    assert "not honoured: 1 choice(s) for n = 5" in out
    assert "max_tokens accepted; cap honoured" in out
    assert "independent" in out


def test_cli_json_and_failure_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    failing = OpenAIServer(lambda request, index: error_reply(503, "down"), checks=None)
    with failing as server:
        code = main(["endpoint", "check", "--base-url", server.base_url, "--model", "m",
                     "--max-retries", "0", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 1
    assert result["reachable"] is False



def test_unlisted_model_gets_suggestion(caplog: pytest.LogCaptureFixture) -> None:
    with serve(HonestSampler(), model_ids=("mistral-7b", "mm")) as server:
        result = check(server)
    assert result.reachable is True
    assert result.suggested_model == "mm"
    assert "Did you mean 'mm'?" in caplog.text


def test_unlisted_model_without_close_name() -> None:
    with serve(HonestSampler(), model_ids=("mistral-7b",)) as server:
        result = check(server)
    assert result.suggested_model is None
    assert result.reachable is True


def test_listed_model_gets_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    with serve(HonestSampler(), model_ids=("m",)) as server:
        result = check(server)
    assert result.suggested_model is None
    assert "model list" not in caplog.text


def test_model_not_found_error_has_suggestion() -> None:
    not_found = error_reply(404, "The model `m` does not exist", code="model_not_found")
    server = serve(lambda request, index: not_found, model_ids=("mm",))
    with server, pytest.raises(EndpointFatalError) as caught:
        check(server)
    assert "HTTP 404" in str(caught.value)
    assert "Did you mean 'mm'?" in str(caught.value)


def test_cli_shows_suggested_model(capsys: pytest.CaptureFixture[str]) -> None:
    with serve(HonestSampler(), model_ids=("simulated-calibrated",)) as server:
        code = main(["endpoint", "check", "--base-url", server.base_url,
                     "--model", "simulated-calibratd"])
    out = capsys.readouterr().out
    assert code == 0
    assert "simulated-calibratd is not listed (did you mean simulated-calibrated?)" in out

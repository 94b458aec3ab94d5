"""`probe endpoint check` against the embedded SmolLM2 model served by llama-cpp-python."""

import json

import pytest

from probe.cli import main


@pytest.mark.local_model
def test_endpoint_check_reports_embedded_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["endpoint", "check", "--config", "configs/embedded.yaml", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["reachable"] is True
    assert result["listed_models"] == ["SmolLM2-135M-Instruct"]
    # llama-cpp-python's server ignores n and returns one choice.
    assert result["n_requested"] == 5
    assert result["n_returned"] == 1
    assert result["token_limit_param"] == "max_tokens"
    assert result["completion_tokens_at_cap"] <= result["token_cap"]
    assert result["temperature_accepted"] is True
    assert result["reasoning"] == "none_seen"
    assert result["logprobs"] is True
    assert result["sampling_independent"] is True

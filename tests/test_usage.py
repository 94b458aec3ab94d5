"""Token usage per request, estimated cost, and the --max-requests and --max-cost limits."""

import json
from pathlib import Path
from typing import Any

import pytest

from probe.cli import main
from probe.pricing import ModelPrice, request_cost
from probe.samples import Usage
from tests.fake_model import (
    PLAN_SIZE,
    DeterministicModel,
    answer_for,
    run_against,
    stored_keys,
    stored_records,
    write_questions,
)
from tests.openai_server import OpenAIServer, ReceivedRequest, Reply, choices_reply, requested_n

PRICES = "models:\n  fake-model:\n    input: 2.0\n    output: 10.0\n"


@pytest.fixture
def questions(tmp_path: Path) -> Path:
    return write_questions(tmp_path / "questions.jsonl")


@pytest.fixture
def prices(tmp_path: Path) -> Path:
    path = tmp_path / "prices.yaml"
    path.write_text(PRICES, encoding="utf-8")
    return path


def summary_of(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    return data


def with_usage(reasoning: bool = False, missing_every: int = 0) -> Any:
    """A model reporting 100 prompt tokens per request and 7 completion tokens per choice."""

    def respond(request: ReceivedRequest, index: int) -> Reply:
        n = requested_n(request)
        usage: dict[str, Any] = {
            "prompt_tokens": 100,
            "completion_tokens": 7 * n,
            "total_tokens": 100 + 7 * n,
        }
        if reasoning:
            usage["completion_tokens_details"] = {"reasoning_tokens": 4 * n}
        if missing_every and index % missing_every == 0:
            usage = {}
        return choices_reply([answer_for(request)] * n, usage=usage)

    return respond


def test_prompt_tokens_counted_once_per_request(
    tmp_path: Path, questions: Path, prices: Path
) -> None:
    with OpenAIServer(with_usage(reasoning=True)) as server:
        code = run_against(server, questions, tmp_path / "r", "--price-table", str(prices))
        requests = len(server.requests)
    usage = summary_of(tmp_path / "r" / "run")["usage"]
    assert code == 0
    assert requests == PLAN_SIZE // 3  # n = 3 samples per request
    assert usage["requests"] == requests
    assert usage["prompt_tokens"] == 100 * requests
    assert usage["completion_tokens"] == 7 * PLAN_SIZE
    assert usage["reasoning_tokens"] == 4 * PLAN_SIZE
    assert usage["requests_without_usage"] == 0
    expected = (100 * requests * 2.0 + 7 * PLAN_SIZE * 10.0) / 1_000_000
    assert usage["estimated_cost"] == pytest.approx(expected)


def test_request_samples_share_usage(tmp_path: Path, questions: Path) -> None:
    with OpenAIServer(with_usage()) as server:
        assert run_against(server, questions, tmp_path / "r") == 0
    records = stored_records(tmp_path / "r" / "run")
    by_request: dict[str, list[Any]] = {}
    for record in records:
        assert record.request_id is not None
        by_request.setdefault(record.request_id, []).append(record)
    assert len(by_request) == PLAN_SIZE // 3
    for group in by_request.values():
        assert len(group) == 3
        assert all(record.usage == group[0].usage for record in group)


def test_missing_usage_is_unknown_not_zero(tmp_path: Path, questions: Path, prices: Path) -> None:
    with OpenAIServer(with_usage(missing_every=4)) as server:
        assert run_against(server, questions, tmp_path / "r", "--price-table", str(prices)) == 0
    usage = summary_of(tmp_path / "r" / "run")["usage"]
    without = len(range(0, PLAN_SIZE // 3, 4))
    assert usage["requests_without_usage"] == without
    assert usage["prompt_tokens"] == 100 * (PLAN_SIZE // 3 - without)
    assert usage["reasoning_tokens"] is None
    records = stored_records(tmp_path / "r" / "run")
    assert any(record.usage is None for record in records)


def test_no_price_table_means_no_cost(tmp_path: Path, questions: Path) -> None:
    with OpenAIServer(with_usage()) as server:
        assert run_against(server, questions, tmp_path / "r") == 0
    usage = summary_of(tmp_path / "r" / "run")["usage"]
    assert usage["estimated_cost"] is None
    assert usage["price"] is None


def test_request_cost_of_unknown_usage_is_none() -> None:
    price = ModelPrice(input=1.0, output=2.0)
    assert request_cost(None, price) is None
    assert request_cost(Usage(prompt_tokens=10), price) is None
    assert request_cost(Usage(prompt_tokens=10**6, completion_tokens=10**6), price) == 3.0


def test_max_requests_stops_then_resume_completes(
    tmp_path: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "r"
    with OpenAIServer(DeterministicModel()) as server:
        code = run_against(server, questions, results, "--max-requests", "5")
        sent = len(server.requests)
    assert code == 3
    assert sent == 5
    assert "--max-requests" in capsys.readouterr().err
    assert len(stored_keys(results / "run")) == 5 * 3
    info = json.loads((results / "run" / "run.json").read_text())
    assert info["last_invocation"]["requests_sent"] == 5

    with OpenAIServer(DeterministicModel()) as server:
        assert main(["run", "--resume", str(results / "run"), "--base-url", server.base_url,
                     "--no-progress", "--max-requests", "1000"]) == 0
    keys = stored_keys(results / "run")
    assert len(keys) == len(set(keys)) == PLAN_SIZE


def test_max_cost_stops_the_run(
    tmp_path: Path, questions: Path, prices: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each request costs (100 · 2 + 21 · 10) / 10^6 = 0.00041 dollars.
    with OpenAIServer(with_usage()) as server:
        code = run_against(server, questions, tmp_path / "r", "--price-table", str(prices),
                           "--max-cost", "0.002", "--max-concurrency", "1")
        sent = len(server.requests)
    assert code == 3
    assert sent == 5  # 4 requests cost 0.00164, the fifth reaches 0.00205
    assert "--max-cost" in capsys.readouterr().err


def test_max_cost_needs_a_price(
    tmp_path: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with OpenAIServer(DeterministicModel()) as server:
        assert run_against(server, questions, tmp_path / "r", "--max-cost", "1") == 2
        sent = len(server.requests)
    assert sent == 0
    assert "--price-table" in capsys.readouterr().err


def test_max_cost_needs_the_model_in_the_table(
    tmp_path: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "other.yaml"
    table.write_text("models:\n  other:\n    input: 1\n    output: 1\n", encoding="utf-8")
    with OpenAIServer(DeterministicModel()) as server:
        code = run_against(server, questions, tmp_path / "r", "--max-cost", "1",
                           "--price-table", str(table))
    assert code == 2
    assert "no price for model 'fake-model'" in capsys.readouterr().err

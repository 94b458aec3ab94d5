"""How the worker pool batches samples into requests, and the seeds it sends."""

from collections import defaultdict
from pathlib import Path

import pytest

from probe.samples import SampleKey, sample_seed
from tests.fake_model import (
    PLAN_SIZE,
    DeterministicModel,
    run_against,
    stored_keys,
    stored_records,
    write_questions,
)
from tests.openai_server import (
    HonestSampler,
    OpenAIServer,
    requested_n,
    stated_threshold,
    user_prompt,
)


@pytest.fixture
def questions(tmp_path: Path) -> Path:
    return write_questions(tmp_path / "questions.jsonl")


def test_honoured_n_carries_all_samples(tmp_path: Path, questions: Path) -> None:
    with OpenAIServer(DeterministicModel()) as server:
        assert run_against(server, questions, tmp_path / "r") == 0
        sizes = [requested_n(request) for request in server.requests]
    assert sizes == [3] * (PLAN_SIZE // 3)


def test_batching_can_be_turned_off(tmp_path: Path, questions: Path) -> None:
    with OpenAIServer(DeterministicModel()) as server:
        assert run_against(server, questions, tmp_path / "r", "--no-batch-samples") == 0
        sizes = [requested_n(request) for request in server.requests]
    assert sizes == [1] * PLAN_SIZE


def test_partial_n_limit_splits_batches(tmp_path: Path, questions: Path) -> None:
    checks = HonestSampler(max_n=2)
    with OpenAIServer(DeterministicModel(max_n=2), checks=checks) as server:
        assert run_against(server, questions, tmp_path / "r") == 0
        sizes = sorted(requested_n(request) for request in server.requests)
    assert sizes == [1] * (PLAN_SIZE // 3) + [2] * (PLAN_SIZE // 3)
    keys = stored_keys(tmp_path / "r" / "run")
    assert len(keys) == len(set(keys)) == PLAN_SIZE


def test_ignored_n_sends_one_sample_per_request(tmp_path: Path, questions: Path) -> None:
    checks = HonestSampler(max_n=1)
    with OpenAIServer(DeterministicModel(max_n=1), checks=checks) as server:
        assert run_against(server, questions, tmp_path / "r") == 0
        sizes = [requested_n(request) for request in server.requests]
    assert sizes == [1] * PLAN_SIZE


def test_seeds_are_derived_per_sample(tmp_path: Path, questions: Path) -> None:
    with OpenAIServer(DeterministicModel()) as server:
        assert run_against(server, questions, tmp_path / "r", "--seeds") == 0
        requests = list(server.requests)
    assert all(requested_n(request) == 1 for request in requests)

    sent: dict[tuple[str, float], list[int]] = defaultdict(list)
    for request in requests:
        sent[(user_prompt(request), stated_threshold(request))].append(request.body["seed"])
    assert all(len(set(seeds)) == 3 for seeds in sent.values())

    records = stored_records(tmp_path / "r" / "run")
    assert all(record.seed == sample_seed(record.key) for record in records)
    assert sorted(r.seed or 0 for r in records) == sorted(q.body["seed"] for q in requests)


def test_no_seed_is_sent_by_default(tmp_path: Path, questions: Path) -> None:
    with OpenAIServer(DeterministicModel()) as server:
        assert run_against(server, questions, tmp_path / "r") == 0
        bodies = [request.body for request in server.requests]
    assert all("seed" not in body for body in bodies)


def test_sample_seed_is_stable_and_distinct() -> None:
    seeds = {sample_seed(SampleKey("q", t, i)) for t in (0.0, 0.5) for i in range(5)}
    assert len(seeds) == 10
    assert sample_seed(SampleKey("q", 0.5, 1)) == sample_seed(SampleKey("q", 0.5, 1))
    assert all(0 <= seed < 2**31 for seed in seeds)

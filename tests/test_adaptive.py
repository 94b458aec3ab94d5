"""Adaptive sampling: the stopping test, the first round, and the worker pool that uses them."""

import asyncio
import itertools
import json
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from probe.adaptive import class_settled, first_round, next_round
from probe.client import ChatClient
from probe.config import EndpointConfig
from probe.consistency import ABSTAINED_KEY, Sample, question_consistency
from probe.outcomes import Outcome
from probe.prompts import Condition
from probe.questions import Question
from probe.runner import CollectOptions, Plan, collect_samples
from probe.samples import SampleRecord
from probe.store import RunStore
from tests.openai_server import OpenAIServer, ReceivedRequest, Reply, choices_reply, requested_n
from tests.run_factory import KnowingModel, knowledge_questions, probe_run, write_questions


def answer(key: str) -> Sample:
    return (Outcome.INCORRECT, key, key)


ABSTAIN: Sample = (Outcome.ABSTAINED, ABSTAINED_KEY, None)
FAILED: Sample = (Outcome.ERROR, None, None)


def test_agreement_settles_below_three_fifths() -> None:
    samples = [answer("1889")] * 3

    assert class_settled(samples, remaining=2, thresholds=[0, 0.5])


def test_agreement_open_above_three_fifths() -> None:
    samples = [answer("1889")] * 3

    # c_q may end at 3/5 (below 0.75) or 5/5 (above it).
    assert not class_settled(samples, remaining=2, thresholds=[0, 0.5, 0.75])


def test_possible_overtake_keeps_sampling() -> None:
    samples = [answer("1889"), answer("1889"), answer("1887")]

    # 1887 could reach 3 of 5 and become the modal answer, changing y_q.
    assert not class_settled(samples, remaining=2, thresholds=[0, 0.3])


def test_abstentions_only_keep_sampling() -> None:
    # Whether c_q > 0, which decides whether the oracle answers, is still open.
    assert not class_settled([ABSTAIN] * 3, remaining=2, thresholds=[0])


def test_failed_samples_do_not_count_as_valid() -> None:
    samples = [answer("1889"), answer("1889"), FAILED]

    assert not class_settled(samples, remaining=2, thresholds=[0, 0.5])


def test_no_remaining_samples_is_settled() -> None:
    assert class_settled([answer("1889"), answer("1887")], remaining=0, thresholds=[0, 0.9])


def test_settled_class_matches_every_completion() -> None:
    # Whatever the last two samples are, c_q stays ≥ 0.5 and 1889 stays modal.
    received = [answer("1889")] * 3
    endings = [
        [answer("1889"), answer("1889")],
        [answer("1887"), answer("1901")],
        [ABSTAIN, ABSTAIN],
        [FAILED, answer("1850")],
    ]
    assert class_settled(received, remaining=2, thresholds=[0, 0.5])
    for ending in endings:
        final = question_consistency("q", received + ending)
        assert final.modal_key == "1889"
        assert final.confidence >= 0.5


def test_first_round_sizes() -> None:
    assert first_round(5, [0, 0.5]) == 3
    assert first_round(5, [0, 0.5, 0.75, 0.9]) == 5
    assert first_round(10, [0, 0.5]) == 6
    assert first_round(1, [0]) == 1
    assert first_round(5, [0, 0.6]) == 3


def test_next_round_first_is_first_round() -> None:
    assert next_round([], 10, [0, 0.5]) == first_round(10, [0, 0.5])


def test_next_round_one_when_one_could_settle() -> None:
    samples = [answer("1889")] * 5 + [answer("1887")]

    # A sixth 1889 would lead 1887 by 5 with 3 samples left.
    assert next_round(samples, remaining=4, thresholds=[0, 0.5]) == 1


def test_next_round_even_split_needs_three() -> None:
    samples = [answer("1889")] * 3 + [answer("1887")] * 3

    # Only after three more 1889 answers could 1887 (3, plus 1 to come) not reach 6.
    assert next_round(samples, remaining=4, thresholds=[0, 0.5]) == 3


def test_next_round_never_exceeds_remaining() -> None:
    samples = [answer("1889"), answer("1887"), answer("1901")]

    assert next_round(samples, remaining=2, thresholds=[0, 0.5]) == 2


def test_next_round_after_abstentions_only() -> None:
    # A new answer needs 3 of the 4 remaining samples to be out of reach of another one.
    assert next_round([ABSTAIN, FAILED], remaining=4, thresholds=[0]) == 3


# Every sequence over these outcomes is checked exhaustively for small k.
OUTCOMES: tuple[Sample, ...] = (answer("1889"), answer("1887"), answer("1901"), ABSTAIN, FAILED)
THRESHOLD_SETS: tuple[tuple[float, ...], ...] = (
    (0.0,),
    (0.0, 0.5),
    (0.0, 0.6),
    (0.0, 0.25, 0.5),
    (0.0, 0.5, 0.75, 0.9),
    (0.0, 1 / 3),
    (0.0, 0.3, 0.7),
)


def consistency_class(samples: Sequence[Sample], thresholds: Sequence[float]) -> tuple:
    final = question_consistency("q", samples)
    above = tuple(final.confidence >= threshold for threshold in thresholds)
    return final.confidence > 0, above, final.modal_key


def stop_one_at_a_time(samples: Sequence[Sample], thresholds: Sequence[float]) -> int:
    """Return how many samples rounds of one, after the first round, send before stopping."""
    k = len(samples)
    sent = first_round(k, thresholds)
    while sent < k and not class_settled(samples[:sent], k - sent, thresholds):
        sent += 1
    return sent


def stop_in_rounds(samples: Sequence[Sample], thresholds: Sequence[float]) -> tuple[int, int]:
    """Return the samples and requests that rounds sized by next_round send before stopping."""
    k = len(samples)
    sent = requests = 0
    while sent < k:
        sent += next_round(samples[:sent], k - sent, thresholds)
        requests += 1
        if class_settled(samples[:sent], k - sent, thresholds):
            break
    return sent, requests


@pytest.mark.parametrize("thresholds", THRESHOLD_SETS)
def test_stopping_keeps_class_of_every_sequence(thresholds: tuple[float, ...]) -> None:
    for k in range(1, 6):
        for sequence in itertools.product(OUTCOMES, repeat=k):
            samples = list(sequence)
            sent, _ = stop_in_rounds(samples, thresholds)
            expected = consistency_class(samples, thresholds)
            assert consistency_class(samples[:sent], thresholds) == expected, samples


@pytest.mark.parametrize("thresholds", THRESHOLD_SETS)
def test_rounds_send_same_samples_as_singles(thresholds: tuple[float, ...]) -> None:
    for k in range(1, 6):
        for sequence in itertools.product(OUTCOMES, repeat=k):
            samples = list(sequence)
            sent, requests = stop_in_rounds(samples, thresholds)
            single = stop_one_at_a_time(samples, thresholds)
            assert sent == single, samples
            assert requests <= 1 + single - first_round(k, thresholds), samples


def same_answer(request: ReceivedRequest, index: int) -> Reply:
    return choices_reply(["1889"] * requested_n(request))


class ScriptedAnswers:
    """A responder that returns the scripted answers in order, as many per request as asked."""

    def __init__(self, answers: Sequence[str]) -> None:
        self._answers = list(answers)
        self._next = 0
        self._lock = threading.Lock()

    def __call__(self, request: ReceivedRequest, index: int) -> Reply:
        with self._lock:
            start, self._next = self._next, self._next + requested_n(request)
        return choices_reply(self._answers[start : self._next])


def collect(
    tmp_path: Path,
    base_url: str,
    adaptive: bool,
    batch_size: int,
    *,
    thresholds: tuple[float, ...] = (0.0, 0.5),
    samples: int = 5,
    abstention_phrases: tuple[str, ...] = (),
) -> list[tuple]:
    return sorted(
        record.key
        for record in collect_records(
            tmp_path, base_url, adaptive, batch_size, thresholds, samples, abstention_phrases
        )
    )


def collect_records(
    tmp_path: Path,
    base_url: str,
    adaptive: bool,
    batch_size: int,
    thresholds: tuple[float, ...],
    samples: int,
    abstention_phrases: tuple[str, ...] = (),
) -> list[SampleRecord]:
    question = Question(
        id="q1",
        question="In what year was the Eiffel Tower completed?",
        answers=("1889",),
        answer_type="year",
        language="en",
    )
    conditions = [Condition(threshold) for threshold in thresholds]
    plan = Plan([question], conditions, samples=samples)
    endpoint = EndpointConfig(base_url=base_url, model="fake-model")
    options = CollectOptions(
        concurrency=2,
        batch_size=batch_size,
        show_progress=False,
        abstention_phrases=abstention_phrases,
        adaptive_thresholds=thresholds if adaptive else (),
    )
    store = RunStore(tmp_path / "run")

    async def run() -> None:
        client = ChatClient(endpoint, base_url=base_url, model="fake-model", api_key="no-key")
        try:
            with store.open_writer() as writer:
                await collect_samples(plan, client, writer, options)
        finally:
            await client.aclose()

    asyncio.run(run())
    return store.read_samples()


def test_pool_stops_settled_best_guess_early(tmp_path: Path) -> None:
    with OpenAIServer(same_answer) as server:
        keys = collect(tmp_path, server.base_url, adaptive=True, batch_size=5)

    best_guess = [key for key in keys if key.threshold == 0]
    stated = [key for key in keys if key.threshold == 0.5]
    assert [key.sample_index for key in best_guess] == [0, 1, 2]
    assert len(stated) == 5


def test_pool_without_adaptive_sends_every_sample(tmp_path: Path) -> None:
    with OpenAIServer(same_answer) as server:
        keys = collect(tmp_path, server.base_url, adaptive=False, batch_size=5)

    assert len(keys) == 10


def test_pool_sizes_later_rounds_to_settle(tmp_path: Path) -> None:
    # The first round of 6 splits 3–3, so the next round asks for the three 1889 answers
    # that would settle the class at 6 of 9.
    script = ["1889"] * 3 + ["1887"] * 3 + ["1889"] * 4
    with OpenAIServer(ScriptedAnswers(script)) as server:
        keys = collect(
            tmp_path, server.base_url, adaptive=True, batch_size=10, thresholds=(0.0,), samples=10
        )
        sizes = [requested_n(request) for request in server.requests]

    assert sizes == [6, 3]
    assert [key.sample_index for key in keys] == list(range(9))


def adaptive_run(tmp_path: Path, run_id: str, *extra: str) -> tuple[dict[str, Any], list[str]]:
    """Run `probe run --adaptive-sampling` at thresholds 0 and 0.5; return run.json and logs."""
    questions = knowledge_questions()
    question_file = write_questions(tmp_path / "questions.jsonl", questions)
    run_dir = probe_run(
        KnowingModel(questions, seed=11),
        question_file,
        tmp_path / "results",
        run_id,
        "--thresholds",
        "0,0.5",
        "--adaptive-sampling",
        *extra,
    )
    info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    return info, [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("one_per_request", ["--no-batch-samples", "--seeds"])
def test_run_with_one_sample_per_request_samples_adaptively(
    tmp_path: Path, one_per_request: str
) -> None:
    info, records = adaptive_run(tmp_path, "single", one_per_request)

    assert info["adaptive_sampling"] == {"first_round": 3}
    skipped = info["last_invocation"]["samples_skipped_adaptive"]
    best_guess = [record for record in records if record["threshold"] == 0]
    assert skipped > 0
    assert len(best_guess) == 40 * 5 - skipped


def test_run_reports_adaptive_savings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info, _ = adaptive_run(tmp_path, "single", "--no-batch-samples")

    skipped = info["last_invocation"]["samples_skipped_adaptive"]
    output = capsys.readouterr().out
    assert f"Adaptive sampling skipped {skipped} of 200 best-guess samples" in output


def test_run_that_cannot_save_samples_fully(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    info, records = adaptive_run(tmp_path, "high", "--no-batch-samples", "--thresholds", "0,0.9")

    assert "adaptive_sampling" not in info
    assert len(records) == 40 * 2 * 5
    assert "adaptive sampling cannot skip a sample in this run" in caplog.text


def test_run_where_n_is_honoured_samples_fully(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    info, records = adaptive_run(tmp_path, "batched")

    assert "adaptive_sampling" not in info
    assert len(records) == 40 * 2 * 5
    assert "adaptive sampling is off for this run" in caplog.text


def test_summary_reads_best_guess_rates_from_first_round(tmp_path: Path) -> None:
    adaptive_run(tmp_path, "single", "--no-batch-samples")
    store = RunStore(tmp_path / "results" / "single")
    summary = json.loads(store.summary_json.read_text(encoding="utf-8"))
    records = store.read_samples()

    first_round = Counter(
        record.outcome.value
        for record in records
        if record.threshold == 0 and record.sample_index < 3
    )
    outcomes = summary["thresholds"][0]["outcomes"]
    assert summary["best_guess_rates_from"] == 3
    assert {outcome: count for outcome, count in outcomes.items() if count} == first_round
    assert summary["samples"] == len(records)
    # c_q still uses every best-guess sample a question got.
    valid = Counter(
        record.question_id
        for record in records
        if record.threshold == 0 and record.outcome.value in ("correct", "incorrect", "abstained")
    )
    assert {item["id"]: item["valid"] for item in summary["per_question"]} == {
        question: valid.get(question, 0) for question in (q["id"] for q in knowledge_questions())
    }


def test_config_abstention_phrases_apply_as_samples_arrive(tmp_path: Path) -> None:
    # The pool grades each sample as it arrives, so the stopping test sees these two as
    # abstentions; no regrade pass runs here.
    script = ["1889", "rather not say", "rather not say", "1889", "1889"]
    with OpenAIServer(ScriptedAnswers(script)) as server:
        records = collect_records(
            tmp_path, server.base_url, True, 5, (0.0,), 5, abstention_phrases=("rather not say",)
        )

    outcomes = [record.outcome for record in sorted(records, key=lambda r: r.sample_index)]
    assert outcomes[:3] == [Outcome.CORRECT, Outcome.ABSTAINED, Outcome.ABSTAINED]

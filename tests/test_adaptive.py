"""Adaptive sampling: the stopping test, the first round, and the worker pool that uses them."""

import asyncio
from pathlib import Path

from probe.adaptive import class_settled, first_round
from probe.client import ChatClient
from probe.config import EndpointConfig
from probe.consistency import ABSTAINED_KEY, Sample, question_consistency
from probe.outcomes import Outcome
from probe.prompts import Condition
from probe.questions import Question
from probe.runner import CollectOptions, Plan, collect_samples
from probe.store import RunStore
from tests.openai_server import OpenAIServer, ReceivedRequest, Reply, choices_reply, requested_n


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


def same_answer(request: ReceivedRequest, index: int) -> Reply:
    return choices_reply(["1889"] * requested_n(request))


def collect(tmp_path: Path, base_url: str, adaptive: bool, batch_size: int) -> list[tuple]:
    question = Question(
        id="q1",
        question="In what year was the Eiffel Tower completed?",
        answers=("1889",),
        answer_type="year",
        language="en",
    )
    plan = Plan([question], [Condition(0), Condition(0.5)], samples=5)
    endpoint = EndpointConfig(base_url=base_url, model="fake-model")
    options = CollectOptions(
        concurrency=2,
        batch_size=batch_size,
        show_progress=False,
        adaptive_thresholds=(0.0, 0.5) if adaptive else (),
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
    return sorted(record.key for record in store.read_samples())


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

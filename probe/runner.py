"""The worker pool that collects samples.

A fixed number of workers pull sample keys from a bounded queue that one producer fills
lazily from the plan, so memory stays flat however large the question set is. Each
finished sample is graded and appended to samples.jsonl at once.
"""

import asyncio
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from probe.client import ChatClient, Completion, RequestFailed
from probe.errors import EndpointFatalError
from probe.grading import assess_response
from probe.outcomes import Outcome
from probe.prompts import Condition, build_messages
from probe.questions import Question
from probe.samples import RawResponse, SampleKey, SampleRecord
from probe.store import SampleWriter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannedSample:
    question: Question
    condition: Condition
    sample_index: int

    @property
    def key(self) -> SampleKey:
        return SampleKey(self.question.id, self.condition.threshold, self.sample_index)


@dataclass(frozen=True)
class Plan:
    """Every (question, condition, sample index) a run must collect, generated lazily."""

    questions: Sequence[Question]
    conditions: Sequence[Condition]
    samples: int

    @property
    def size(self) -> int:
        return len(self.questions) * len(self.conditions) * self.samples

    def __iter__(self) -> Iterator[PlannedSample]:
        for question in self.questions:
            for condition in self.conditions:
                for index in range(self.samples):
                    yield PlannedSample(question, condition, index)


@dataclass
class Collection:
    """What one pass of the worker pool did."""

    written: int = 0
    failed: int = 0
    reported_models: set[str] = field(default_factory=set)


async def collect_samples(
    plan: Plan,
    client: ChatClient,
    writer: SampleWriter,
    *,
    concurrency: int,
    done: frozenset[SampleKey] = frozenset(),
    answer_from_reasoning: bool = False,
    show_progress: bool = True,
) -> Collection:
    """Collect every planned sample not in `done`, writing each as it completes.

    Raises EndpointFatalError, after the samples already received are written, when the
    endpoint rejects the run as a whole (bad key, exhausted quota).
    """
    queue: asyncio.Queue[PlannedSample | None] = asyncio.Queue(maxsize=2 * concurrency)
    pending = plan.size - len(done)
    collection = Collection()
    stop = asyncio.Event()
    fatal: list[EndpointFatalError] = []

    with tqdm(total=pending, unit="sample", disable=not show_progress, dynamic_ncols=True) as bar:
        worker = _Worker(client, writer, collection, bar, answer_from_reasoning)
        workers = [asyncio.create_task(worker.run(queue, stop, fatal)) for _ in range(concurrency)]
        producer = asyncio.create_task(_produce(plan, done, queue, concurrency, stop))
        try:
            await asyncio.gather(*workers)
        finally:
            producer.cancel()
            for task in workers:
                task.cancel()
            await asyncio.gather(producer, *workers, return_exceptions=True)

    if fatal:
        raise fatal[0]
    return collection


async def _produce(
    plan: Plan,
    done: frozenset[SampleKey],
    queue: "asyncio.Queue[PlannedSample | None]",
    workers: int,
    stop: asyncio.Event,
) -> None:
    for planned in plan:
        if stop.is_set():
            break
        if planned.key not in done:
            await queue.put(planned)
    for _ in range(workers):
        await queue.put(None)


class _Worker:
    def __init__(
        self,
        client: ChatClient,
        writer: SampleWriter,
        collection: Collection,
        bar: "tqdm[Any]",
        answer_from_reasoning: bool,
    ) -> None:
        self._client = client
        self._writer = writer
        self._collection = collection
        self._bar = bar
        self._answer_from_reasoning = answer_from_reasoning

    async def run(
        self,
        queue: "asyncio.Queue[PlannedSample | None]",
        stop: asyncio.Event,
        fatal: list[EndpointFatalError],
    ) -> None:
        while not stop.is_set():
            planned = await queue.get()
            if planned is None:
                return
            try:
                record = await self._sample(planned)
            except EndpointFatalError as error:
                fatal.append(error)
                stop.set()
                self._drain(queue)
                return
            self._record(record)

    async def _sample(self, planned: PlannedSample) -> SampleRecord:
        messages = build_messages(planned.question, planned.condition)
        try:
            completion = await self._client.complete(messages)
        except RequestFailed as failure:
            logger.warning("sample %s failed: %s", planned.key, failure.reason)
            return _error_record(planned, failure)
        return self._graded_record(planned, completion)

    def _graded_record(self, planned: PlannedSample, completion: Completion) -> SampleRecord:
        # One sample per request: a server that ignores n returns one choice anyway.
        response = completion.choices[0]
        assessment = assess_response(
            planned.question, response, answer_from_reasoning=self._answer_from_reasoning
        )
        key = planned.key
        return SampleRecord(
            question_id=key.question_id,
            threshold=key.threshold,
            sample_index=key.sample_index,
            outcome=assessment.outcome,
            answer=assessment.answer,
            answer_key=assessment.answer_key,
            reason=assessment.reason,
            source=assessment.source,
            response=RawResponse.from_response(response),
            model=completion.model,
            usage=completion.usage,
            latency_s=round(completion.latency_s, 4),
            attempts=completion.attempts,
        )

    def _record(self, record: SampleRecord) -> None:
        self._writer.write(record)
        self._collection.written += 1
        if record.model:
            self._collection.reported_models.add(record.model)
        if record.outcome is Outcome.ERROR:
            self._collection.failed += 1
            self._bar.set_postfix(failed=self._collection.failed, refresh=False)
        self._bar.update(1)

    @staticmethod
    def _drain(queue: "asyncio.Queue[PlannedSample | None]") -> None:
        # Unblocks the producer, which stops at its next put because `stop` is set.
        while not queue.empty():
            queue.get_nowait()


def _error_record(planned: PlannedSample, failure: RequestFailed) -> SampleRecord:
    key = planned.key
    return SampleRecord(
        question_id=key.question_id,
        threshold=key.threshold,
        sample_index=key.sample_index,
        outcome=Outcome.ERROR,
        reason="the request failed after its retries",
        error=failure.reason,
        attempts=failure.attempts,
    )

"""The worker pool that collects samples.

A fixed number of workers pull batches of sample keys from a bounded queue that one
producer fills lazily from the plan, so memory stays flat however large the question set
is. A batch is the pending samples of one question and condition, sent in one request
(the n parameter) where the endpoint honours n, and one per request elsewhere. Each
received sample is graded and appended to samples.jsonl at once.
"""

import asyncio
import logging
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from probe.adaptive import class_settled, next_round
from probe.client import (
    ChatClient,
    Completion,
    NRejected,
    RequestFailed,
    UnsupportedParameter,
)
from probe.consistency import Sample
from probe.errors import EndpointFatalError, RunStopped
from probe.grading import assess_response
from probe.outcomes import Outcome
from probe.prompts import Condition, build_messages, format_number
from probe.questions import Question
from probe.ratelimit import DispatchStopped
from probe.responses import ModelResponse
from probe.samples import RawResponse, SampleKey, SampleRecord, sample_seed
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
class Batch:
    """Pending samples of one question and condition, to be sent together where possible."""

    question: Question
    condition: Condition
    indices: tuple[int, ...]

    def key(self, index: int) -> SampleKey:
        return SampleKey(self.question.id, self.condition.threshold, index)


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

    def batches(self, done: Container[SampleKey]) -> Iterator[Batch]:
        """Yield the pending samples of each (question, condition), skipping the done ones."""
        for question in self.questions:
            for condition in self.conditions:
                indices = tuple(
                    index
                    for index in range(self.samples)
                    if SampleKey(question.id, condition.threshold, index) not in done
                )
                if indices:
                    yield Batch(question, condition, indices)


class BatchLimit:
    """The maximum number of samples in one request, lowered when the endpoint returns fewer."""

    def __init__(self, value: int) -> None:
        self.value = max(1, value)

    def lower(self, value: int, reason: str) -> None:
        if value < self.value:
            logger.warning(
                "%s; requests carry at most %d sample(s) from now on", reason, max(1, value)
            )
            self.value = max(1, value)


@dataclass
class Collection:
    """What one pass of the worker pool did."""

    written: int = 0
    failed: int = 0
    reported_models: set[str] = field(default_factory=set)
    batch_limit: int = 1
    skipped: int = 0  # best-guess samples adaptive sampling found unneeded


@dataclass(frozen=True)
class CollectOptions:
    """Settings of the worker pool."""

    concurrency: int
    batch_size: int = 1  # samples per request to start with; 1 when n is not honoured
    seeds: bool = False
    answer_from_reasoning: bool = False
    # Phrases from the run's config that mark an abstention, on top of the built-in lexicon.
    abstention_phrases: tuple[str, ...] = ()
    show_progress: bool = True
    # The run's thresholds when adaptive sampling is on (probe/adaptive.py); () when off.
    adaptive_thresholds: tuple[float, ...] = ()


async def collect_samples(
    plan: Plan,
    client: ChatClient,
    writer: SampleWriter,
    options: CollectOptions,
    *,
    done: Container[SampleKey] = frozenset(),
    pending: int | None = None,
    collection: Collection | None = None,
) -> Collection:
    """Collect every planned sample not in `done`, writing each as it arrives.

    `pending` is the number of samples to collect, for the progress bar. The counts go
    into `collection` when one is given, so that the caller still has them when the run
    stops or is cancelled. Raises the RunStopped error that stopped the run (bad key,
    exhausted quota, circuit breaker, a request or cost limit) after the samples already
    received are written.
    """
    queue: asyncio.Queue[Batch | None] = asyncio.Queue(maxsize=2 * options.concurrency)
    limit = BatchLimit(1 if options.seeds else options.batch_size)
    collection = Collection() if collection is None else collection
    total = plan.size if pending is None else pending

    with tqdm(
        total=total,
        desc="samples",
        unit="sample",
        disable=not options.show_progress,
        dynamic_ncols=True,
    ) as bar:
        worker = _Worker(client, writer, collection, bar, limit, options, samples=plan.samples)
        workers = [asyncio.create_task(worker.run(queue)) for _ in range(options.concurrency)]
        producer = asyncio.create_task(_produce(plan, done, queue, options.concurrency))
        try:
            await asyncio.gather(*workers)
        finally:
            producer.cancel()
            for task in workers:
                task.cancel()
            await asyncio.gather(producer, *workers, return_exceptions=True)
            collection.batch_limit = limit.value

    if client.guard.stopped is not None:
        raise client.guard.stopped
    return collection


async def _produce(
    plan: Plan,
    done: Container[SampleKey],
    queue: "asyncio.Queue[Batch | None]",
    workers: int,
) -> None:
    for batch in plan.batches(done):
        await queue.put(batch)
    for _ in range(workers):
        await queue.put(None)


class _Worker:
    def __init__(
        self,
        client: ChatClient,
        writer: SampleWriter,
        collection: Collection,
        bar: "tqdm[Any]",
        limit: BatchLimit,
        options: CollectOptions,
        *,
        samples: int = 1,
    ) -> None:
        self._samples = samples
        self._client = client
        self._writer = writer
        self._collection = collection
        self._bar = bar
        self._limit = limit
        self._options = options

    async def run(self, queue: "asyncio.Queue[Batch | None]") -> None:
        """Take batches until the queue ends or the run stops."""
        while True:
            batch = await queue.get()
            if batch is None:
                return
            try:
                await self._collect(batch)
            except DispatchStopped:
                return
            except RunStopped as error:
                self._client.guard.stop(error)
                return

    async def _collect(self, batch: Batch) -> None:
        # Each pass sends what the current limit allows. A short reply leaves the rest for the
        # next pass, so no sample is padded, duplicated or dropped.
        remaining = list(batch.indices)
        adaptive = self._is_adaptive(batch)
        received: list[Sample] = []
        while remaining:
            size = self._limit.value
            if adaptive:
                thresholds = self._options.adaptive_thresholds
                size = min(size, next_round(received, len(remaining), thresholds))
            chunk = remaining[:size]
            records = await self._request(batch, chunk)
            for record in records:
                self._record(record)
            remaining = remaining[len(records) :]
            if adaptive:
                received += [(r.outcome, r.answer_key, r.answer) for r in records]
                if class_settled(received, len(remaining), self._options.adaptive_thresholds):
                    self._skip(len(remaining))
                    return

    def _is_adaptive(self, batch: Batch) -> bool:
        # Only a whole best-guess batch, because a resumed one lacks the samples already stored.
        # NOTE: a resume therefore sends the best-guess samples that adaptive sampling skipped.
        return (
            bool(self._options.adaptive_thresholds)
            and batch.condition.is_best_guess
            and len(batch.indices) == self._samples
        )

    def _skip(self, count: int) -> None:
        self._collection.skipped += count
        if count and self._bar.total is not None:
            self._bar.total -= count
            self._bar.refresh()

    async def _request(self, batch: Batch, chunk: Sequence[int]) -> list[SampleRecord]:
        messages = build_messages(batch.question, batch.condition)
        seed = sample_seed(batch.key(chunk[0])) if self._options.seeds else None
        try:
            completion = await self._client.complete(messages, n=len(chunk), seed=seed)
        except NRejected as rejected:
            self._limit.lower(1, f"the endpoint rejects n = {len(chunk)} ({rejected.reason})")
            return []
        except UnsupportedParameter as error:
            raise EndpointFatalError(error.reason) from None
        except RequestFailed as failure:
            logger.warning(
                "question %s at t = %s, sample(s) %s failed: %s",
                batch.question.id,
                format_number(batch.condition.threshold),
                ", ".join(str(index) for index in chunk),
                failure.reason,
            )
            return [_error_record(batch.key(index), failure, seed) for index in chunk]

        choices = self._received(completion, len(chunk))
        return [
            self._graded_record(batch, index, choice, completion, seed)
            for index, choice in zip(chunk, choices, strict=False)
        ]

    def _received(self, completion: Completion, requested: int) -> tuple[ModelResponse, ...]:
        returned = len(completion.choices)
        if returned < requested:
            self._limit.lower(
                returned, f"the endpoint returned {returned} choice(s) for n = {requested}"
            )
        elif returned > requested:
            logger.warning(
                "the endpoint returned %d choices for n = %d; the extra ones are ignored",
                returned,
                requested,
            )
        return completion.choices[:requested]

    def _graded_record(
        self,
        batch: Batch,
        index: int,
        response: ModelResponse,
        completion: Completion,
        seed: int | None,
    ) -> SampleRecord:
        assessment = assess_response(
            batch.question,
            response,
            answer_from_reasoning=self._options.answer_from_reasoning,
            abstention_phrases=self._options.abstention_phrases,
        )
        return SampleRecord(
            question_id=batch.question.id,
            threshold=batch.condition.threshold,
            sample_index=index,
            outcome=assessment.outcome,
            answer=assessment.answer,
            answer_key=assessment.answer_key,
            reason=assessment.reason,
            source=assessment.source,
            response=RawResponse.from_response(response),
            model=completion.model,
            usage=completion.usage,
            request_id=completion.request_id,
            seed=seed,
            latency_s=round(completion.latency_s, 4),
            attempts=completion.attempts,
            token_logprobs=(
                None if response.token_logprobs is None else list(response.token_logprobs)
            ),
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


def _error_record(key: SampleKey, failure: RequestFailed, seed: int | None) -> SampleRecord:
    return SampleRecord(
        question_id=key.question_id,
        threshold=key.threshold,
        sample_index=key.sample_index,
        outcome=Outcome.ERROR,
        reason="the request failed after its retries",
        error=failure.reason,
        seed=seed,
        attempts=failure.attempts,
    )

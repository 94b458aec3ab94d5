"""Collecting and reading the verbalised-confidence samples of a run (verbalised.jsonl).

The verbalised condition runs after the threshold conditions, one sample per request, and
keeps its own file so the per-threshold figures never see it. Samples already in the file
are kept when a run is resumed, except failed ones, which are sent again.
"""

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from probe.client import ChatClient, RequestFailed
from probe.grading import assess_response
from probe.outcomes import Outcome
from probe.questions import Question
from probe.responses import ModelResponse
from probe.samples import RawResponse, SampleKey, SampleRecord
from probe.store import SampleWriter
from probe.verbalised import (
    VERBALISED_JSONL,
    VERBALISED_THRESHOLD,
    build_verbalised_messages,
    parse_verbalised,
    read_verbalised,
)

logger = logging.getLogger(__name__)


async def collect_verbalised(
    questions: Sequence[Question],
    samples: int,
    client: ChatClient,
    run_dir: Path,
    *,
    concurrency: int,
    answer_from_reasoning: bool = False,
) -> int:
    """Ask each question `samples` times for its answer and confidence; return samples written.

    Raises what ChatClient.complete raises for the run as a whole (EndpointFatalError, and
    the run guard's stops); a failed request becomes an error record.
    """
    done = {record.key for record in read_verbalised(run_dir) if record.outcome != Outcome.ERROR}
    pending = [
        (question, index)
        for question in questions
        for index in range(samples)
        if SampleKey(question.id, VERBALISED_THRESHOLD, index) not in done
    ]
    if not pending:
        return 0
    logger.info("verbalised confidence: %d samples pending", len(pending))

    slots = asyncio.Semaphore(concurrency)
    with SampleWriter(run_dir / VERBALISED_JSONL) as writer:

        async def one(question: Question, index: int) -> None:
            async with slots:
                record = await _sample(client, question, index, answer_from_reasoning)
            writer.write(record)

        await asyncio.gather(*(one(question, index) for question, index in pending))
    return len(pending)


async def _sample(
    client: ChatClient, question: Question, index: int, answer_from_reasoning: bool
) -> SampleRecord:
    try:
        completion = await client.complete(build_verbalised_messages(question))
    except RequestFailed as failure:
        logger.warning("verbalised sample %s/%d failed: %s", question.id, index, failure.reason)
        return SampleRecord(
            question_id=question.id,
            threshold=VERBALISED_THRESHOLD,
            sample_index=index,
            outcome=Outcome.ERROR,
            reason="the request failed after its retries",
            error=failure.reason,
            attempts=failure.attempts,
        )
    return verbalised_record(question, index, completion.choices[0], answer_from_reasoning)


def verbalised_record(
    question: Question, index: int, response: ModelResponse, answer_from_reasoning: bool = False
) -> SampleRecord:
    """Parse and grade one verbalised reply.

    When the reply parses, its answer line is graded; when it does not, the whole reply is
    graded as an ordinary answer and the sample keeps no confidence, only the parse error.
    """
    reply = parse_verbalised(response.content)
    graded = response
    if reply.error is None and reply.answer is not None:
        graded = ModelResponse(content=reply.answer, finish_reason=response.finish_reason)
    assessment = assess_response(question, graded, answer_from_reasoning=answer_from_reasoning)
    return SampleRecord(
        question_id=question.id,
        threshold=VERBALISED_THRESHOLD,
        sample_index=index,
        outcome=assessment.outcome,
        answer=assessment.answer,
        answer_key=assessment.answer_key,
        reason=assessment.reason,
        source=assessment.source,
        response=RawResponse.from_response(response),
        stated_confidence=reply.confidence if reply.error is None else None,
        confidence_error=reply.error,
    )

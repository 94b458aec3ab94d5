"""Regrade a finished run from its stored raw responses, without querying the model again.

The samples are graded again with the current grader, the run's abstention phrases and,
when one is configured, the LLM judge. samples.jsonl is then rewritten with the new outcomes.
The originals stay auditable: the first regrade copies samples.jsonl to
samples.original.jsonl, which later regrades never overwrite, and judge.jsonl lists every
judged sample with the grader's outcome and the judge's reply. run.json records the judge
(model, prompt hash, mode) and the grader audit figure; summary.json and the reports are
then recomputed.
"""

import logging
import os
import shutil
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from probe.config import GradingConfig, JudgeConfig, RunConfig
from probe.grading_pass import GradedResponse, GradingOptions, grade_responses
from probe.intervals import proportion
from probe.judge import Judge
from probe.judged_samples import JUDGE_JSONL, JudgedSample
from probe.outcomes import Outcome
from probe.questions import Question, load_question_set
from probe.report import summarise_and_report
from probe.samples import SampleRecord
from probe.store import RunStore
from probe.summary import Summary

logger = logging.getLogger(__name__)

ORIGINAL_SAMPLES = "samples.original.jsonl"


@dataclass(frozen=True)
class RegradeResult:
    """The counts of a regrade: samples changed and judged, and the grader audit figures."""

    samples: int
    changed: int
    judged: int
    judge_decided: int
    # Samples that both the grader and the judge decided, and those where they differ.
    both_decided: int
    disagreements: int
    # The judge's verdicts by value, with "none" for replies that gave none.
    verdicts: dict[str, int]


async def regrade_run(
    run_dir: Path,
    *,
    judge_config: JudgeConfig | None = None,
    use_judge: bool = True,
    show_progress: bool = False,
) -> tuple[RegradeResult, Summary]:
    """Regrade a run folder and recompute its summary and reports.

    The judge is `judge_config` when given, else the one in the run's config; `use_judge`
    False grades without any judge. `show_progress` draws a progress bar of the judged
    answers. Raises ProbeError when the folder contains no run.
    """
    store = RunStore(run_dir)
    with store.lock():
        info = store.read_run_info()
        config = info.get("config", {})
        grading = GradingConfig.model_validate(config.get("grading") or {})
        judge_config = (judge_config or grading.judge) if use_judge else None
        options = GradingOptions(
            answer_from_reasoning=bool(config.get("endpoint", {}).get("answer_from_reasoning")),
            abstention_phrases=tuple(grading.abstention_phrases),
        )
        result = await regrade_store(store, options, judge_config, show_progress=show_progress)

    summary = summarise_and_report(store)
    return result, summary


async def grade_collected(
    store: RunStore, config: RunConfig, *, show_progress: bool = False
) -> RegradeResult | None:
    """Regrade a run right after its samples are collected, when its config asks for it.

    The runner grades each sample as it arrives, with the config's abstention phrases, so
    adaptive sampling sees them. This pass applies the judge, and the phrases again to
    samples stored by an earlier invocation of a resumed run. Returns None when the config
    adds neither. The caller holds the run folder's lock.
    """
    grading = config.grading
    if grading.judge is None and not grading.abstention_phrases:
        return None
    options = GradingOptions(
        answer_from_reasoning=config.endpoint.answer_from_reasoning,
        abstention_phrases=tuple(grading.abstention_phrases),
    )
    return await regrade_store(store, options, grading.judge, show_progress=show_progress)


async def regrade_store(
    store: RunStore,
    options: GradingOptions,
    judge_config: JudgeConfig | None,
    *,
    show_progress: bool = False,
) -> RegradeResult:
    """Regrade the samples of a run folder the caller holds, and record it in run.json."""
    questions = {question.id: question for question in load_question_set(store.questions_jsonl)}
    records = store.read_samples()
    regradable = [
        record
        for record in records
        if record.response is not None and record.question_id in questions
    ]
    pairs = [
        (questions[record.question_id], record.response.to_response())
        for record in regradable
        if record.response is not None
    ]

    judge = Judge.connect(judge_config) if judge_config is not None else None
    try:
        graded = await grade_responses(pairs, options, judge, show_progress=show_progress)
        keys = await _merged_keys(judge, questions, regradable, graded)
    finally:
        if judge is not None:
            await judge.aclose()

    updated = _updated_records(records, regradable, graded, keys)
    _write_samples(store, updated)
    _write_judged(store, regradable, graded)
    result = _result(records, updated, graded)
    _record(store, options, judge, result)
    return result


def _updated_records(
    records: Sequence[SampleRecord],
    regradable: Sequence[SampleRecord],
    graded: Sequence[GradedResponse],
    keys: dict[int, str],
) -> list[SampleRecord]:
    by_identity = {id(record): index for index, record in enumerate(regradable)}
    updated: list[SampleRecord] = []
    for record in records:
        index = by_identity.get(id(record))
        if index is None:
            updated.append(record)
            continue
        assessment = graded[index].assessment
        changes = {
            "outcome": assessment.outcome,
            "answer": assessment.answer,
            "answer_key": keys.get(index, assessment.answer_key),
            "reason": assessment.reason,
            "source": assessment.source,
        }
        updated.append(record.model_copy(update=changes))
    return updated


def _write_samples(store: RunStore, records: Sequence[SampleRecord]) -> None:
    original = store.run_dir / ORIGINAL_SAMPLES
    if not original.exists() and store.samples_jsonl.exists():
        shutil.copyfile(store.samples_jsonl, original)

    temporary = store.samples_jsonl.with_suffix(".jsonl.tmp")
    with temporary.open("w", encoding="utf-8") as file:
        for record in records:
            file.write(record.model_dump_json(exclude_none=True) + "\n")
    os.replace(temporary, store.samples_jsonl)


def _write_judged(
    store: RunStore, regradable: Sequence[SampleRecord], graded: Sequence[GradedResponse]
) -> None:
    lines = [
        _judged_sample(record, result).model_dump_json()
        for record, result in zip(regradable, graded, strict=True)
        if result.judgement is not None
    ]
    path = store.run_dir / JUDGE_JSONL
    if lines:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif path.exists():
        path.unlink()


def _judged_sample(record: SampleRecord, result: GradedResponse) -> JudgedSample:
    judgement = result.judgement
    if judgement is None:
        raise ValueError("only judged samples are written to judge.jsonl")
    return JudgedSample(
        question_id=record.question_id,
        threshold=record.threshold,
        sample_index=record.sample_index,
        answer=result.grader.answer,
        grader_outcome=result.grader.outcome,
        grader_reason=result.grader.reason,
        verdict=judgement.verdict.value if judgement.verdict else None,
        judge_reason=judgement.reason,
        reply=judgement.reply,
        attempts=judgement.attempts,
        decided=result.judge_decided,
        disagrees=result.disagrees,
    )


def _result(
    before: Sequence[SampleRecord],
    after: Sequence[SampleRecord],
    graded: Sequence[GradedResponse],
) -> RegradeResult:
    changed = sum(
        1
        for old, new in zip(before, after, strict=True)
        if (old.outcome, old.answer_key) != (new.outcome, new.answer_key)
    )
    judged = [result for result in graded if result.judgement is not None]
    both = [
        result
        for result in judged
        if result.judgement is not None
        and result.judgement.verdict is not None
        and result.grader.outcome in _DECIDED
    ]
    return RegradeResult(
        samples=len(after),
        changed=changed,
        judged=len(judged),
        judge_decided=sum(1 for result in judged if result.judge_decided),
        both_decided=len(both),
        disagreements=sum(1 for result in both if result.disagrees),
        verdicts=dict(
            Counter(
                result.judgement.verdict.value
                if result.judgement is not None and result.judgement.verdict is not None
                else "none"
                for result in judged
            )
        ),
    )


_DECIDED = frozenset({Outcome.CORRECT, Outcome.INCORRECT, Outcome.ABSTAINED})


def _record(
    store: RunStore, options: GradingOptions, judge: Judge | None, result: RegradeResult
) -> None:
    info = store.read_run_info()
    info["grading"] = {
        "regraded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "abstention_phrases": list(options.abstention_phrases),
        "samples": result.samples,
        "changed": result.changed,
        "original_samples": ORIGINAL_SAMPLES,
    }
    if judge is None:
        info.pop("judge", None)
    else:
        info["judge"] = {**judge.record(), **_audit(result)}
    store.write_json(store.run_json, info)


def _audit(result: RegradeResult) -> dict[str, Any]:
    rate = proportion(result.disagreements, result.both_decided)
    return {
        "judged": result.judged,
        "judge_decided": result.judge_decided,
        "verdicts": result.verdicts,
        "audit": {
            "both_decided": result.both_decided,
            "disagreements": result.disagreements,
            "disagreement_rate": {
                "value": rate.value,
                "low": rate.low,
                "high": rate.high,
                "n": rate.n,
            },
        },
    }


# --- Cluster merging ---


async def _merged_keys(
    judge: Judge | None,
    questions: dict[str, Question],
    regradable: Sequence[SampleRecord],
    graded: Sequence[GradedResponse],
) -> dict[int, str]:
    # Ungraded best-guess answers of one question are merged into one cluster when the
    # judge says that they name the same thing. Only answers with the same outcome merge,
    # so that a correct and an incorrect answer never share a cluster.
    if judge is None or not judge.config.merge_clusters:
        return {}
    groups: dict[tuple[str, Outcome], dict[str, list[int]]] = defaultdict(dict)
    for index, (record, result) in enumerate(zip(regradable, graded, strict=True)):
        assessment = result.assessment
        if record.threshold != 0 or assessment.outcome is not Outcome.UNGRADED:
            continue
        if assessment.answer_key is None or assessment.answer is None:
            continue
        group = groups[(record.question_id, assessment.outcome)]
        group.setdefault(assessment.answer_key, []).append(index)

    remap: dict[int, str] = {}
    for (question_id, _), by_key in groups.items():
        merged = await _merge_group(judge, questions[question_id], by_key, graded)
        remap.update(merged)
    return remap


async def _merge_group(
    judge: Judge, question: Question, by_key: dict[str, list[int]], graded: Sequence[GradedResponse]
) -> dict[int, str]:
    keys = list(by_key)
    representative: dict[str, str] = {}
    for position, key in enumerate(keys):
        answer = graded[by_key[key][0]].assessment.answer or ""
        for earlier in keys[:position]:
            if representative.get(earlier, earlier) != earlier:
                continue
            earlier_answer = graded[by_key[earlier][0]].assessment.answer or ""
            if await judge.same_answer(question, earlier_answer, answer):
                representative[key] = earlier
                break
    return {
        index: representative[key]
        for key, indices in by_key.items()
        if key in representative
        for index in indices
    }

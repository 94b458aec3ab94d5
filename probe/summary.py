"""From a run's sample records to summary.json: every figure with its interval and its n.

The summary is computed from samples.jsonl and the copy of the question set in the run
folder alone, so it can be recomputed at any time, for example after regrading.
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from probe import metrics
from probe.audit_summary import (
    TargetCoverageSummary,
    ThresholdResponse,
    coverage_precision_curve,
    threshold_response,
)
from probe.capabilities import consistency_withheld
from probe.confidence_summary import (
    ConfidenceQualitySummary,
    consistency_quality,
    other_estimators,
)
from probe.consistency import QuestionConsistency, question_consistency
from probe.intervals import Figure
from probe.outcomes import Outcome
from probe.questions import Question, load_question_set
from probe.samples import AnySampleRecord, SampleRecord
from probe.store import RunStore
from probe.usage import UsageSummary, usage_of_run
from probe.verbalised import read_verbalised

logger = logging.getLogger(__name__)

# How many of the least consistent questions the report lists with their answers.
LEAST_CONSISTENT_SHOWN = 5

# The outcomes that enter the rates, as columns of the per-outcome count arrays, in the
# order the metrics take them.
RATE_COLUMNS = [
    list(Outcome).index(outcome)
    for outcome in (Outcome.CORRECT, Outcome.INCORRECT, Outcome.ABSTAINED)
]


__all__ = ["Figure", "QuestionSummary", "Summary", "ThresholdSummary"]


class ThresholdSummary(BaseModel):
    """Every measurement of one condition t."""

    threshold: float
    penalty: float = Field(description="Points lost for a wrong answer, t/(1−t).")
    outcomes: dict[str, int] = Field(description="Samples per outcome at this threshold.")
    questions: int = Field(description="Questions with at least one valid sample.")
    valid: int
    coverage: Figure
    accuracy: Figure
    error: Figure
    abstention: Figure
    precision: Figure
    score: Figure
    precision_gap: Figure = Field(description="precision − t.")
    violation: bool | None = Field(description="True when precision's interval lies below t.")
    over_answer: Figure = Field(description="OA(t): answers on questions with c_q < t.")
    over_abstain: Figure = Field(description="UA(t): abstentions on questions with c_q ≥ t.")
    oracle_score: Figure
    regret: Figure = Field(description="Oracle score − actual score on the same questions.")
    unanswerable_answer_rate: Figure = Field(
        description="Share of valid samples on unanswerable questions that answered."
    )


class QuestionSummary(BaseModel):
    """The consistency figures of one question, from its best-guess samples."""

    id: str
    unanswerable: bool
    confidence: float = Field(
        description="c_q, the modal cluster's share of the samples that answered or abstained, "
        "ungraded answers included."
    )
    modal_answer: str | None
    modal_correct: bool | None = Field(description="y_q; None when the modal answer is ungraded.")
    entropy: float = Field(description="Cluster entropy in nats.")
    valid: int = Field(
        description="Best-guess samples that answered or abstained, ungraded ones included."
    )


class Summary(BaseModel):
    """The content of summary.json; docs/formats.md describes each field."""

    run_id: str
    model: str | None
    question_set: dict[str, Any]
    samples_per_condition: int
    questions: int
    samples: int
    outcomes: dict[str, int]
    thresholds: list[ThresholdSummary]
    responsiveness: dict[str, bool | None] = Field(
        description="Whether coverage and error fall as t rises, within their intervals."
    )
    # Defaults keep summaries written before these sections readable.
    threshold_response: ThresholdResponse | None = None
    coverage_at_target_precision: list[TargetCoverageSummary] = Field(default_factory=list)
    confidence_quality: dict[str, ConfidenceQualitySummary] = Field(default_factory=dict)
    mean_confidence: Figure
    bootstrap: dict[str, int]
    per_question: list[QuestionSummary]
    usage: UsageSummary | None = Field(
        default=None, description="Tokens per request, totalled once each, and estimated cost."
    )
    best_guess_rates_from: int | None = Field(
        default=None,
        description="In a run with adaptive sampling, the size of its first round: the rates at "
        "t = 0 rest on the first round's samples alone. None when they rest on every sample.",
    )
    consistency_withheld: str | None = Field(
        default=None,
        description="Why the consistency figures are left out: the endpoint check found that "
        "samples at temperature 1 came back identical. None when they are reported.",
    )


def summarise_run(store: RunStore, *, draws: int = 1000, seed: int = 0) -> Summary:
    """Compute the summary of a run and write it to summary.json."""
    info = store.read_run_info()
    questions = probed_questions(store, info)
    ids = {question.id for question in questions}
    records = [r for r in store.read_lean_samples().records if r.question_id in ids]
    return summarise_records(store, info, questions, records, draws=draws, seed=seed)


def summarise_records(
    store: RunStore,
    info: dict[str, Any],
    questions: Sequence[Question],
    records: Sequence[AnySampleRecord],
    *,
    draws: int,
    seed: int,
) -> Summary:
    """Compute the summary of a run from its probed questions and their records already read.

    Writes it to summary.json. `info` is the content of run.json.
    """
    ids = {question.id for question in questions}
    thresholds = [float(t) for t in info["plan"]["thresholds"]]

    summary = summarise_samples(
        records,
        questions,
        thresholds,
        run_id=info["run_id"],
        model=_reported_model(info),
        question_set={key: info["question_set"][key] for key in ("name", "sha256", "path")},
        samples_per_condition=int(info["plan"]["samples"]),
        draws=draws,
        seed=seed,
        verbalised=[r for r in read_verbalised(store.run_dir) if r.question_id in ids],
        best_guess_rates_from=(info.get("adaptive_sampling") or {}).get("first_round"),
    )
    summary.usage = usage_of_run(info, records)
    withheld = consistency_withheld(info)
    if withheld is not None:
        _withhold_consistency(summary, withheld)
    store.write_json(store.summary_json, summary.model_dump(mode="json"))
    return summary


def _withhold_consistency(summary: Summary, reason: str) -> None:
    # Identical samples make every question look fully consistent, so each figure built
    # on c_q would be an artefact of the endpoint, not of the model.
    undefined = Figure(value=None, n=0)
    summary.consistency_withheld = reason
    summary.per_question = []
    summary.mean_confidence = undefined
    summary.confidence_quality = {}
    for item in summary.thresholds:
        item.over_answer = item.over_abstain = undefined
        item.oracle_score = item.regret = undefined


def summarise_samples(
    records: Sequence[AnySampleRecord],
    questions: Sequence[Question],
    thresholds: Sequence[float],
    *,
    run_id: str,
    model: str | None,
    question_set: dict[str, Any],
    samples_per_condition: int,
    draws: int,
    seed: int,
    verbalised: Sequence[SampleRecord] = (),
    best_guess_rates_from: int | None = None,
) -> Summary:
    """Compute every figure of the summary from sample records.

    verbalised contains the samples of the verbalised-confidence condition, if the run has one.
    In a run with adaptive sampling, `best_guess_rates_from` is the size of its first round:
    the rates at t = 0 then rest on the samples of that round alone, which every question
    got. Samples after it were drawn only for the questions whose first answers disagreed,
    so pooling them would weigh those questions more. c_q still uses every sample.
    """
    counts = _count_samples(records, questions, thresholds, best_guess_rates_from)
    consistency = _consistency(records, questions)
    confidence = np.array([item.confidence for item in consistency])
    modal_correct = [item.modal_correct for item in consistency]
    unanswerable = np.array([question.unanswerable for question in questions], dtype=bool)

    per_threshold = [
        _summarise_threshold(
            t, counts[index], unanswerable, confidence, modal_correct, draws=draws, seed=seed
        )
        for index, t in enumerate(thresholds)
    ]
    return Summary(
        run_id=run_id,
        model=model,
        question_set=question_set,
        samples_per_condition=samples_per_condition,
        questions=len(questions),
        samples=len(records),
        outcomes=_outcome_totals(counts.sum(axis=(0, 1))),
        thresholds=per_threshold,
        responsiveness=_responsiveness(per_threshold),
        threshold_response=threshold_response(
            min(thresholds),
            max(thresholds),
            _rate_counts(counts[thresholds.index(min(thresholds))]),
            _rate_counts(counts[thresholds.index(max(thresholds))]),
            draws=draws,
            seed=seed,
        ),
        coverage_at_target_precision=coverage_precision_curve(
            [item.threshold for item in per_threshold],
            [item.coverage for item in per_threshold],
            [item.precision for item in per_threshold],
        ),
        confidence_quality={
            "consistency": consistency_quality(consistency, draws=draws, seed=seed),
            **other_estimators(records, questions, consistency, verbalised, draws=draws, seed=seed),
        },
        mean_confidence=_mean_confidence(consistency),
        bootstrap={"draws": draws, "seed": seed},
        per_question=[
            _question_summary(question, item)
            for question, item in zip(questions, consistency, strict=True)
        ],
        best_guess_rates_from=best_guess_rates_from,
    )


def _summarise_threshold(
    threshold: float,
    counts: npt.NDArray[np.int64],
    unanswerable: npt.NDArray[np.bool_],
    confidence: npt.NDArray[np.float64],
    modal_correct: Sequence[bool | None],
    *,
    draws: int,
    seed: int,
) -> ThresholdSummary:
    """Summarise condition t from its (questions × outcomes) sample counts."""
    correct, incorrect, abstained = _rate_counts(counts).T
    valid = correct + incorrect + abstained
    rates = metrics.threshold_rates(
        threshold, correct, incorrect, abstained, draws=draws, seed=seed
    )

    return ThresholdSummary(
        threshold=threshold,
        penalty=metrics.penalty(threshold),
        outcomes=_outcome_totals(counts.sum(axis=0)),
        questions=rates.questions,
        valid=rates.valid,
        coverage=Figure.of(rates.coverage),
        accuracy=Figure.of(rates.accuracy),
        error=Figure.of(rates.error),
        abstention=Figure.of(rates.abstention),
        precision=Figure.of(rates.precision),
        score=Figure.of(rates.score),
        precision_gap=Figure.of(rates.precision_gap),
        violation=rates.violation,
        over_answer=Figure.of(
            metrics.over_answer_rate(correct + incorrect, valid, confidence, threshold)
        ),
        over_abstain=Figure.of(metrics.over_abstain_rate(abstained, valid, confidence, threshold)),
        oracle_score=Figure.of(
            metrics.oracle_score(confidence, modal_correct, threshold, draws=draws, seed=seed)
        ),
        regret=Figure.of(
            metrics.regret(
                threshold,
                correct,
                incorrect,
                abstained,
                confidence,
                modal_correct,
                draws=draws,
                seed=seed,
            )
        ),
        unanswerable_answer_rate=Figure.of(
            metrics.clustered_proportion((correct + incorrect)[unanswerable], valid[unanswerable])
        ),
    )


def _count_samples(
    records: Sequence[AnySampleRecord],
    questions: Sequence[Question],
    thresholds: Sequence[float],
    best_guess_rates_from: int | None = None,
) -> npt.NDArray[np.int64]:
    """Count the samples per threshold, question and outcome in one pass over the records.

    Returns a ((thresholds + 1) × questions × outcomes) array, with outcomes in the order of
    the Outcome enum. The last threshold row counts samples that enter only the run's
    totals: those at a t outside the plan, and, when `best_guess_rates_from` is set, the
    best-guess samples from that index on.
    """
    row_of = {question.id: row for row, question in enumerate(questions)}
    plane_of = {threshold: plane for plane, threshold in enumerate(thresholds)}
    column_of = {outcome: column for column, outcome in enumerate(Outcome)}
    planes, rows, columns = len(thresholds) + 1, len(questions), len(column_of)
    unplanned = planes - 1
    planes_of = [plane_of.get(record.threshold, unplanned) for record in records]
    if best_guess_rates_from is not None and 0.0 in plane_of:
        best_guess = plane_of[0.0]
        planes_of = [
            unplanned if plane == best_guess and record.sample_index >= best_guess_rates_from
            else plane
            for plane, record in zip(planes_of, records, strict=True)
        ]

    cells = [
        (plane * rows + row_of[record.question_id]) * columns + column_of[record.outcome]
        for plane, record in zip(planes_of, records, strict=True)
    ]
    counts = np.bincount(np.array(cells, dtype=np.int64), minlength=planes * rows * columns)
    return counts.reshape(planes, rows, columns)


def _rate_counts(counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Take the correct, incorrect and abstained columns of (questions × outcomes) counts."""
    return counts[:, RATE_COLUMNS]


def _outcome_totals(totals: npt.NDArray[np.int64]) -> dict[str, int]:
    return {outcome.value: int(total) for outcome, total in zip(Outcome, totals, strict=True)}


def _consistency(
    records: Sequence[AnySampleRecord], questions: Sequence[Question]
) -> list[QuestionConsistency]:
    best_guess: dict[str, list[AnySampleRecord]] = defaultdict(list)
    for record in records:
        if record.threshold == 0:
            best_guess[record.question_id].append(record)

    result = []
    for question in questions:
        samples = sorted(best_guess[question.id], key=lambda record: record.sample_index)
        result.append(
            question_consistency(
                question.id,
                [(record.outcome, record.answer_key, record.answer) for record in samples],
            )
        )
    return result


def _question_summary(question: Question, item: QuestionConsistency) -> QuestionSummary:
    return QuestionSummary(
        id=question.id,
        unanswerable=question.unanswerable,
        confidence=item.confidence,
        modal_answer=item.modal_answer,
        modal_correct=item.modal_correct,
        entropy=item.entropy,
        valid=item.valid,
    )


def _mean_confidence(consistency: Sequence[QuestionConsistency]) -> Figure:
    values = [item.confidence for item in consistency if item.valid > 0]
    if not values:
        return Figure(value=None, n=0)
    return Figure(value=float(np.mean(values)), n=len(values))


def _responsiveness(per_threshold: Sequence[ThresholdSummary]) -> dict[str, bool | None]:
    def estimates(name: str) -> list[metrics.Estimate]:
        figures = [getattr(item, name) for item in per_threshold]
        return [metrics.Estimate(f.value, f.low, f.high, f.n) for f in figures]

    return {
        "coverage_falls": metrics.is_monotone_decreasing(estimates("coverage")),
        "error_falls": metrics.is_monotone_decreasing(estimates("error")),
    }


def probed_questions(store: RunStore, info: dict[str, Any]) -> list[Question]:
    """Return the questions a run probed: the first `probed` of its set, all without --limit."""
    question_set = load_question_set(store.questions_jsonl)
    probed = int(info["question_set"].get("probed", len(question_set)))
    return list(question_set.questions[:probed])


def _reported_model(info: dict[str, Any]) -> str | None:
    endpoint = info.get("endpoint", {})
    reported = endpoint.get("reported_models") or []
    return ", ".join(reported) if reported else endpoint.get("model")

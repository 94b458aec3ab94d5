"""The confidence-quality section of summary.json: each estimator's forecast of correctness.

An estimator gives each question a confidence in [0, 1] about one answer, and the answer is
graded. The consistency estimator's confidence is c_q and its answer the modal best-guess
answer m_q, graded as y_q. Every estimator reports the same measures (probe.confidence), so
they can be compared in one table. Questions where either the confidence or the grade is
missing are left out and counted.
"""

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from probe import confidence
from probe.consistency import QuestionConsistency
from probe.intervals import Figure
from probe.logprobs import TOKEN_READINGS, TokenReading, logprob_confidence
from probe.questions import Question
from probe.samples import AnySampleRecord, SampleRecord
from probe.verbalised import verbalised_question

# Continuous confidences get equal-width calibration bins; c_q gets one bin per value.
CONTINUOUS_BINS = 10


class ReliabilityBinSummary(BaseModel):
    """One bin of the reliability diagram."""

    low: float = Field(description="Lowest confidence of the bin (equal to high per value).")
    high: float
    questions: int
    mean_confidence: float
    accuracy: Figure = Field(
        description="Share correct in the bin, Wilson interval over questions."
    )


class RiskCoverageSummary(BaseModel):
    """One point of the risk–coverage curve: answering every question at or above a confidence."""

    confidence: float
    coverage: float = Field(description="Share of the questions answered.")
    risk: float = Field(description="Share of the answered questions that are wrong.")
    answered: int


class PrecisionCoverageSummary(BaseModel):
    """The largest share of questions answerable, by falling confidence, at a target precision."""

    target: float
    coverage: Figure = Field(description="With precision ≥ target; 0 when no cut reaches it.")
    conservative_coverage: Figure = Field(
        description="With the Wilson lower bound of precision ≥ target."
    )


class ConfidenceQualitySummary(BaseModel):
    """The forecast quality of one estimator's confidence; n is questions throughout."""

    description: str
    questions: int = Field(description="Questions with both a confidence and a graded answer.")
    left_out: int = Field(description="Questions without a confidence or without a grade.")
    bins: int | None = Field(
        description="Equal-width calibration bins, or null for one bin per distinct value."
    )
    ece: Figure
    brier: Figure
    brier_reliability: Figure
    brier_resolution: Figure
    brier_uncertainty: Figure
    auroc: Figure = Field(description="Null when every answer is right, or every one wrong.")
    aurc: Figure
    coverage_at_precision: list[PrecisionCoverageSummary]
    reliability_diagram: list[ReliabilityBinSummary]
    risk_coverage: list[RiskCoverageSummary]
    parse_failures: int | None = Field(
        default=None,
        description="Verbalised only: samples whose reply did not parse, so they state no "
        "confidence; verbalised.jsonl keeps each one with its reason.",
    )


def summarise_quality(
    description: str,
    forecasts: Sequence[float | None],
    correct: Sequence[bool | None],
    *,
    bins: int | None,
    draws: int,
    seed: int,
) -> ConfidenceQualitySummary:
    """Compute every confidence-quality measure over the questions with both values known."""
    kept = [
        (value, bool(right))
        for value, right in zip(forecasts, correct, strict=True)
        if value is not None and right is not None
    ]
    values = np.array([value for value, _ in kept], dtype=np.float64)
    outcomes = np.array([right for _, right in kept], dtype=np.float64)
    quality = confidence.confidence_quality(values, outcomes, bins=bins, draws=draws, seed=seed)

    return ConfidenceQualitySummary(
        description=description,
        questions=quality.questions,
        left_out=len(forecasts) - len(kept),
        bins=bins,
        ece=Figure.of(quality.ece),
        brier=Figure.of(quality.brier),
        brier_reliability=Figure.of(quality.reliability),
        brier_resolution=Figure.of(quality.resolution),
        brier_uncertainty=Figure.of(quality.uncertainty),
        auroc=Figure.of(quality.auroc),
        aurc=Figure.of(quality.aurc),
        coverage_at_precision=[
            PrecisionCoverageSummary(
                target=item.target,
                coverage=Figure.of(item.coverage),
                conservative_coverage=Figure.of(item.conservative_coverage),
            )
            for item in quality.coverage
        ],
        reliability_diagram=[
            ReliabilityBinSummary(
                low=item.low,
                high=item.high,
                questions=item.questions,
                mean_confidence=item.mean_confidence,
                accuracy=Figure.of(item.accuracy),
            )
            for item in quality.reliability_diagram
        ],
        risk_coverage=[
            RiskCoverageSummary(
                confidence=item.confidence,
                coverage=item.coverage,
                risk=item.risk,
                answered=item.answered,
            )
            for item in quality.risk_coverage
        ],
    )


def consistency_quality(
    consistency: Sequence[QuestionConsistency], *, draws: int, seed: int
) -> ConfidenceQualitySummary:
    """Measure c_q as a forecast of y_q, with one calibration bin per value of c_q.

    Questions without a valid best-guess sample, or whose modal answer is ungraded, have no
    y_q and are left out.
    """
    return summarise_quality(
        "consistency: c_q, the modal best-guess answer's share of the samples that answered "
        "or abstained",
        [item.confidence if item.valid > 0 else None for item in consistency],
        [item.modal_correct for item in consistency],
        bins=None,
        draws=draws,
        seed=seed,
    )


def other_estimators(
    records: Sequence[AnySampleRecord],
    questions: Sequence[Question],
    consistency: Sequence[QuestionConsistency],
    verbalised: Sequence[SampleRecord],
    *,
    draws: int,
    seed: int,
) -> dict[str, ConfidenceQualitySummary]:
    """Measure the logprob and verbalised estimators, where the run has their data."""
    estimators = {}
    if any(record.token_logprobs for record in records if record.threshold == 0):
        for reading in TOKEN_READINGS:
            estimators[f"logprob_{reading}"] = logprob_quality(
                records, questions, consistency, reading, draws=draws, seed=seed
            )
    if verbalised:
        estimators["verbalised"] = verbalised_quality(verbalised, questions, draws=draws, seed=seed)
    return estimators


def logprob_quality(
    records: Sequence[AnySampleRecord],
    questions: Sequence[Question],
    consistency: Sequence[QuestionConsistency],
    reading: TokenReading,
    *,
    draws: int,
    seed: int,
) -> ConfidenceQualitySummary:
    """Measure the mean answer probability of the modal cluster as a forecast of y_q."""
    samples: dict[str, list[tuple[str | None, list[float] | None]]] = defaultdict(list)
    for record in records:
        if record.threshold == 0:
            samples[record.question_id].append((record.answer_key, record.token_logprobs))
    forecasts = [
        logprob_confidence(samples[question.id], item.modal_key, reading)
        for question, item in zip(questions, consistency, strict=True)
    ]
    how = "exp(mean token logprob)" if reading == "mean" else "exp(first token logprob)"
    return summarise_quality(
        f"logprob: {how} of the modal best-guess answer's samples",
        forecasts,
        [item.modal_correct for item in consistency],
        bins=CONTINUOUS_BINS,
        draws=draws,
        seed=seed,
    )


def verbalised_quality(
    verbalised: Sequence[SampleRecord],
    questions: Sequence[Question],
    *,
    draws: int,
    seed: int,
) -> ConfidenceQualitySummary:
    """Measure the stated confidence of the verbalised modal answer as a forecast of its grade."""
    by_question: dict[str, list[SampleRecord]] = defaultdict(list)
    for record in verbalised:
        by_question[record.question_id].append(record)
    forecasts = []
    for question in questions:
        ordered = sorted(by_question[question.id], key=lambda record: record.sample_index)
        forecasts.append(
            verbalised_question(
                question.id,
                [(r.outcome, r.answer_key, r.answer, r.stated_confidence) for r in ordered],
            )
        )
    quality = summarise_quality(
        "verbalised: the stated 0–100 confidence of the verbalised modal answer",
        [forecast.confidence for forecast in forecasts],
        [forecast.modal_correct for forecast in forecasts],
        bins=CONTINUOUS_BINS,
        draws=draws,
        seed=seed,
    )
    quality.parse_failures = sum(1 for record in verbalised if record.confidence_error)
    return quality

"""How good a confidence estimate is as a forecast of correctness, over the questions.

The inputs are two per-question arrays: a confidence in [0, 1] (the consistency confidence
c_q, or another estimator's) and whether the answer it is about is correct (y_q, 0 or 1).
The measures:

- ECE and the reliability diagram, with one bin per distinct confidence value by default
  (c_q from k samples takes only the k + 1 values 0, 1/k, …, 1) or equal-width bins;
- the Brier score and its reliability / resolution / uncertainty split;
- AUROC of confidence for separating correct from incorrect answers, ties counting one half;
- the risk–coverage curve (answering in order of falling confidence) and its area, AURC;
- coverage at a target precision p, plain and with the Wilson lower bound required to reach p.

Questions that tie on confidence cannot be ordered by it, so the ranking measures treat each
group of tied questions as one step: the curve has a point only where a group ends, and
AURC is its expectation over the orders within groups.

Each measure is computed from per-group totals held as rows of question weights, so that one
code path gives both the estimate (one row of ones) and the bootstrap over questions (one
row per resample, `probe.intervals.bootstrap_weights`). A measure that is undefined, such as
AUROC when every answer is correct, is None, never 0.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from probe.arrays import FloatArray, as_confidence_array, as_outcome_array, check_aligned
from probe.intervals import (
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    UNDEFINED,
    Z_95,
    Estimate,
    bootstrap_weights,
    check_bootstrap_settings,
    proportion,
)

# The precision targets of the coverage-at-precision measures.
PRECISION_TARGETS: tuple[float, ...] = (0.8, 0.9, 0.95)


# Grouping


@dataclass(frozen=True)
class _Groups:
    """Per-group weighted totals: one row per weighting of the questions, one column per group.

    values is each group's lowest confidence, in ascending order.
    """

    values: FloatArray
    count: FloatArray
    correct: FloatArray
    confidence_sum: FloatArray


def _group(
    confidence: FloatArray, correct: FloatArray, weights: FloatArray, keys: FloatArray
) -> _Groups:
    """Sum the weighted questions, correct answers and confidences of each distinct key."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ordered = weights[:, order]
    return _Groups(
        values=confidence[order][starts],
        count=np.add.reduceat(ordered, starts, axis=1),
        correct=np.add.reduceat(ordered * correct[order], starts, axis=1),
        confidence_sum=np.add.reduceat(ordered * confidence[order], starts, axis=1),
    )


def _bin_keys(confidence: FloatArray, bins: int | None) -> FloatArray:
    """Return each question's calibration bin: its confidence, or its equal-width bin index."""
    if bins is None:
        return confidence
    if bins < 1:
        raise ValueError(f"bins must be at least 1 or None, got {bins}")
    index: FloatArray = np.minimum(np.floor(confidence * bins), bins - 1)
    return index


def _inputs(confidence: npt.ArrayLike, correct: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    confidences = as_confidence_array(confidence)
    outcomes = as_outcome_array(correct)
    check_aligned(confidence=confidences, correct=outcomes)
    return confidences, outcomes


def _divide(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Return numerator / denominator elementwise, with NaN where the denominator is 0."""
    result = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=result, where=denominator != 0)
    return result


# Calibration: ECE, reliability diagram, Brier score


def _ece_rows(groups: _Groups) -> FloatArray:
    # n_b·|mean confidence_b − accuracy_b| = |Σ confidence − Σ correct| within bin b.
    spread = np.abs(groups.confidence_sum - groups.correct).sum(axis=1)
    return _divide(spread, groups.count.sum(axis=1))


def expected_calibration_error(
    confidence: npt.ArrayLike, correct: npt.ArrayLike, *, bins: int | None = None
) -> float | None:
    """Compute ECE = Σ_b (n_b / n)·|mean confidence_b − accuracy_b| over calibration bins.

    bins=None gives one bin per distinct confidence value; an integer gives that many
    equal-width bins on [0, 1]. Source: Guo, Pleiss, Sun and Weinberger (2017), "On
    calibration of modern neural networks", ICML, arXiv 1706.04599. ECE is biased upward on
    small samples: even a perfectly calibrated forecast scores above 0.

    Returns None when there are no questions.
    """
    confidences, outcomes = _inputs(confidence, correct)
    if len(confidences) == 0:
        return None
    keys = _bin_keys(confidences, bins)
    groups = _group(confidences, outcomes, np.ones((1, len(confidences))), keys)
    return float(_ece_rows(groups)[0])


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of the reliability diagram: its confidence range and the questions in it."""

    low: float
    high: float
    questions: int
    mean_confidence: float
    # The share of the bin's questions answered correctly, with Wilson's interval: the
    # questions are independent units.
    accuracy: Estimate


def reliability_diagram(
    confidence: npt.ArrayLike, correct: npt.ArrayLike, *, bins: int | None = None
) -> list[ReliabilityBin]:
    """Return the non-empty calibration bins in order of rising confidence.

    With bins=None each bin contains one distinct confidence value, so low == high. A forecast
    is calibrated where each bin's accuracy matches its mean confidence.
    """
    confidences, outcomes = _inputs(confidence, correct)
    if len(confidences) == 0:
        return []
    keys = _bin_keys(confidences, bins)
    groups = _group(confidences, outcomes, np.ones((1, len(confidences))), keys)

    result = []
    for column, key in enumerate(np.unique(keys)):
        questions = int(groups.count[0, column])
        low, high = (float(key), float(key)) if bins is None else (key / bins, (key + 1) / bins)
        result.append(
            ReliabilityBin(
                low=float(low),
                high=float(high),
                questions=questions,
                mean_confidence=float(groups.confidence_sum[0, column]) / questions,
                accuracy=proportion(int(groups.correct[0, column]), questions),
            )
        )
    return result


def brier_score(confidence: npt.ArrayLike, correct: npt.ArrayLike) -> float | None:
    """Compute the Brier score, the mean of (confidence − correct)² over questions.

    Source: G. W. Brier (1950). Returns None when there are no questions.
    """
    confidences, outcomes = _inputs(confidence, correct)
    if len(confidences) == 0:
        return None
    return float(np.mean((confidences - outcomes) ** 2))


@dataclass(frozen=True)
class BrierDecomposition:
    """Murphy's split: Brier = reliability − resolution + uncertainty (exact per value)."""

    reliability: float
    resolution: float
    uncertainty: float


def _brier_split_rows(groups: _Groups) -> tuple[FloatArray, FloatArray, FloatArray]:
    total = groups.count.sum(axis=1)
    base_rate = _divide(groups.correct.sum(axis=1), total)
    gap = groups.confidence_sum - groups.correct
    # n_b·(mean confidence_b − accuracy_b)² = (Σ confidence − Σ correct)² / n_b.
    reliability = np.nansum(_divide(gap * gap, groups.count), axis=1) / total
    accuracy = _divide(groups.correct, groups.count)
    spread = groups.count * (accuracy - base_rate[:, np.newaxis]) ** 2
    resolution = np.nansum(spread, axis=1) / total
    return reliability, resolution, base_rate * (1 - base_rate)


def brier_decomposition(
    confidence: npt.ArrayLike, correct: npt.ArrayLike, *, bins: int | None = None
) -> BrierDecomposition | None:
    """Split the Brier score into reliability, resolution and uncertainty over bins.

    reliability = Σ_b (n_b/n)(mean confidence_b − accuracy_b)², lower is better calibrated;
    resolution = Σ_b (n_b/n)(accuracy_b − ȳ)², higher separates right from wrong better;
    uncertainty = ȳ(1 − ȳ), fixed by the questions. Source: A. H. Murphy (1973), "A new
    vector partition of the probability score".

    With one bin per distinct value (bins=None) the split is exact. With wider bins the
    three terms miss two within-bin terms ("Two extra components in the Brier score
    decomposition", Weather and Forecasting 23, 2008), so they do not add up to the Brier
    score. Returns None when there are no questions.
    """
    confidences, outcomes = _inputs(confidence, correct)
    if len(confidences) == 0:
        return None
    keys = _bin_keys(confidences, bins)
    groups = _group(confidences, outcomes, np.ones((1, len(confidences))), keys)
    reliability, resolution, uncertainty = _brier_split_rows(groups)
    return BrierDecomposition(float(reliability[0]), float(resolution[0]), float(uncertainty[0]))


# Ranking: AUROC, risk–coverage, AURC


def _auroc_rows(groups: _Groups) -> FloatArray:
    positives = groups.correct
    negatives = groups.count - groups.correct
    negatives_below = np.cumsum(negatives, axis=1) - negatives
    pairs_won = (positives * (negatives_below + 0.5 * negatives)).sum(axis=1)
    return _divide(pairs_won, positives.sum(axis=1) * negatives.sum(axis=1))


def auroc(confidence: npt.ArrayLike, correct: npt.ArrayLike) -> float | None:
    """Compute the AUROC of confidence for telling correct answers from incorrect ones.

    AUROC = P(confidence of a correct answer > confidence of an incorrect one), with ties
    counting one half: the Mann–Whitney U statistic divided by n_correct·n_incorrect. 0.5 is
    no better than chance. Returns None unless there is at least one correct and one
    incorrect answer.
    """
    confidences, outcomes = _inputs(confidence, correct)
    if len(confidences) == 0:
        return None
    groups = _group(confidences, outcomes, np.ones((1, len(confidences))), confidences)
    value = float(_auroc_rows(groups)[0])
    return None if math.isnan(value) else value


@dataclass(frozen=True)
class RiskCoveragePoint:
    """Answering every question with confidence ≥ `confidence`: the share answered and wrong."""

    confidence: float
    coverage: float
    risk: float
    answered: int


def risk_coverage_curve(
    confidence: npt.ArrayLike, correct: npt.ArrayLike
) -> list[RiskCoveragePoint]:
    """Return one point per distinct confidence, from the highest (least coverage) down.

    coverage = answered / questions and risk = wrong / answered, answering the questions in
    order of falling confidence; tied questions enter together.
    """
    confidences, outcomes = _inputs(confidence, correct)
    if len(confidences) == 0:
        return []
    groups = _group(confidences, outcomes, np.ones((1, len(confidences))), confidences)
    answered = np.cumsum(groups.count[0, ::-1])
    wrong = np.cumsum((groups.count - groups.correct)[0, ::-1])
    return [
        RiskCoveragePoint(
            confidence=float(value),
            coverage=float(count / len(confidences)),
            risk=float(errors / count),
            answered=int(count),
        )
        for value, count, errors in zip(groups.values[::-1], answered, wrong, strict=True)
    ]


def _harmonic_numbers(largest: int) -> FloatArray:
    """Return H[0..largest] with H[j] = 1 + 1/2 + … + 1/j and H[0] = 0."""
    numbers: FloatArray = np.concatenate(([0.0], np.cumsum(1.0 / np.arange(1, largest + 1))))
    return numbers


def _aurc_rows(groups: _Groups) -> FloatArray:
    """Mean risk over the answering positions 1..n, in order of falling confidence.

    Within a group of g tied questions with e wrong, entered after n₀ questions with E₀
    wrong, the expected risk at position n₀ + j over random orders of the group is
    (E₀ + j·e/g)/(n₀ + j). Summed over j = 1..g that is e + (E₀ − n₀·e/g)(H[n₀+g] − H[n₀]).
    """
    count = groups.count[:, ::-1]
    wrong = (groups.count - groups.correct)[:, ::-1]
    before = np.cumsum(count, axis=1) - count
    wrong_before = np.cumsum(wrong, axis=1) - wrong

    total = count.sum(axis=1)
    harmonic = _harmonic_numbers(int(total.max()))
    start = before.astype(np.int64)
    end = (before + count).astype(np.int64)
    share_wrong = np.nan_to_num(_divide(wrong, count))
    sums = wrong + (wrong_before - before * share_wrong) * (harmonic[end] - harmonic[start])
    return _divide(sums.sum(axis=1), total)


def aurc(confidence: npt.ArrayLike, correct: npt.ArrayLike) -> float | None:
    """Compute AURC, the area under the risk–coverage curve: the mean risk over positions.

    AURC = (1/n) Σ_{i=1..n} risk(i), where risk(i) is the share wrong among the i questions
    of highest confidence, averaged over the orders of tied questions. Lower is better: a
    confidence that ranks every correct answer above every wrong one reaches the minimum
    for its error rate. This is the empirical AURC of selective classification (see Zhou,
    Van Landeghem, Popordanoska and Blaschko 2025, arXiv 2410.15361). Returns None when
    there are no questions.
    """
    confidences, outcomes = _inputs(confidence, correct)
    if len(confidences) == 0:
        return None
    groups = _group(confidences, outcomes, np.ones((1, len(confidences))), confidences)
    return float(_aurc_rows(groups)[0])


# Coverage at a target precision


def _wilson_lows(successes: FloatArray, trials: FloatArray) -> FloatArray:
    """Return Wilson's 95% lower bound per entry; NaN where trials is 0."""
    share = _divide(successes, trials)
    z2 = Z_95 * Z_95
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = share + z2 / (2 * trials)
        spread = Z_95 * np.sqrt(share * (1 - share) / trials + z2 / (4 * trials * trials))
        low: FloatArray = np.maximum(0.0, (centre - spread) / (1 + z2 / trials))
    return low


@dataclass(frozen=True)
class _Cuts:
    """The places where answering can stop, in order of falling confidence, per row.

    Only cuts between groups of tied confidence count, and never one that answers questions
    of confidence 0, which have no answer to give.
    """

    answered: FloatArray
    precision: FloatArray
    wilson_low: FloatArray
    allowed: npt.NDArray[np.bool_]
    total: FloatArray


def _cuts(groups: _Groups) -> _Cuts:
    count = groups.count[:, ::-1]
    answered = np.cumsum(count, axis=1)
    correct = np.cumsum(groups.correct[:, ::-1], axis=1)
    return _Cuts(
        answered=answered,
        precision=_divide(correct, answered),
        wilson_low=_wilson_lows(correct, answered),
        allowed=(answered > 0) & (groups.values[::-1] > 0),
        total=count.sum(axis=1),
    )


def _coverage_rows(cuts: _Cuts, target: float, *, conservative: bool) -> FloatArray:
    """Return the largest share answered at a cut whose precision meets the target."""
    if conservative:
        meets = cuts.wilson_low >= target
    else:
        # A small tolerance, so that precision exactly at the target counts despite rounding.
        meets = cuts.precision >= target - 1e-12
    coverage = np.where(meets & cuts.allowed, cuts.answered, 0.0).max(axis=1)
    return _divide(coverage, cuts.total)


def coverage_at_precision(
    confidence: npt.ArrayLike,
    correct: npt.ArrayLike,
    target: float,
    *,
    conservative: bool = False,
) -> float | None:
    """Compute the largest share of questions answerable with precision at least target.

    The questions are answered in order of falling confidence, stopping only between groups
    of tied confidence, and precision is correct / answered. The conservative variant
    requires Wilson's 95% lower bound on that precision to reach the target. The result is
    0 when no cut reaches it: only answering nothing does. Returns None when there are no
    questions. Raises ValueError unless 0 < target <= 1.
    """
    if not 0 < target <= 1:
        raise ValueError(f"target must be above 0 and at most 1, got {target!r}")
    confidences, outcomes = _inputs(confidence, correct)
    if len(confidences) == 0:
        return None
    groups = _group(confidences, outcomes, np.ones((1, len(confidences))), confidences)
    return float(_coverage_rows(_cuts(groups), target, conservative=conservative)[0])


# Every measure with bootstrap intervals


@dataclass(frozen=True)
class TargetCoverage:
    """Coverage at one precision target, plain and Wilson-conservative."""

    target: float
    coverage: Estimate
    conservative_coverage: Estimate


@dataclass(frozen=True)
class ConfidenceQuality:
    """Every measure of one confidence estimator over n questions, with 95% intervals.

    The intervals are percentile bootstraps over questions; n in each Estimate is the
    number of questions. bins is None for one calibration bin per distinct value.
    """

    questions: int
    bins: int | None
    ece: Estimate
    brier: Estimate
    reliability: Estimate
    resolution: Estimate
    uncertainty: Estimate
    auroc: Estimate
    aurc: Estimate
    coverage: tuple[TargetCoverage, ...]
    reliability_diagram: tuple[ReliabilityBin, ...]
    risk_coverage: tuple[RiskCoveragePoint, ...]


def confidence_quality(
    confidence: npt.ArrayLike,
    correct: npt.ArrayLike,
    *,
    bins: int | None = None,
    targets: Sequence[float] = PRECISION_TARGETS,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> ConfidenceQuality:
    """Compute every measure of this module with percentile-bootstrap intervals.

    Row 0 of the weights is the sample itself, the other rows are `draws` resamples of the
    questions drawn with `seed`, so each estimate and its interval come from one computation.
    """
    check_bootstrap_settings(draws, 0.95)
    confidences, outcomes = _inputs(confidence, correct)
    questions = len(confidences)
    if questions == 0:
        return _undefined_quality(bins, targets)

    weights = np.vstack([np.ones((1, questions)), bootstrap_weights(questions, draws, seed)])
    calibration = _group(confidences, outcomes, weights, _bin_keys(confidences, bins))
    ties = _group(confidences, outcomes, weights, confidences)
    reliability, resolution, uncertainty = _brier_split_rows(calibration)
    brier_rows = weights @ ((confidences - outcomes) ** 2) / questions
    cuts = _cuts(ties)

    return ConfidenceQuality(
        questions=questions,
        bins=bins,
        ece=_estimate(_ece_rows(calibration), questions),
        brier=_estimate(brier_rows, questions),
        reliability=_estimate(reliability, questions),
        resolution=_estimate(resolution, questions),
        uncertainty=_estimate(uncertainty, questions),
        auroc=_estimate(_auroc_rows(ties), questions),
        aurc=_estimate(_aurc_rows(ties), questions),
        coverage=tuple(
            TargetCoverage(
                target=target,
                coverage=_estimate(_coverage_rows(cuts, target, conservative=False), questions),
                conservative_coverage=_estimate(
                    _coverage_rows(cuts, target, conservative=True), questions
                ),
            )
            for target in targets
        ),
        reliability_diagram=tuple(reliability_diagram(confidences, outcomes, bins=bins)),
        risk_coverage=tuple(risk_coverage_curve(confidences, outcomes)),
    )


def _estimate(rows: FloatArray, questions: int) -> Estimate:
    """Turn row 0 (the sample) and rows 1.. (the resamples) into an Estimate.

    Resamples where the measure is undefined, such as AUROC on a resample with no wrong
    answer, are left out of the percentiles.
    """
    value = float(rows[0])
    if math.isnan(value):
        return UNDEFINED
    resampled = rows[1:][~np.isnan(rows[1:])]
    if len(resampled) == 0:
        return Estimate(value=value, low=None, high=None, n=questions)
    low, high = np.quantile(resampled, [0.025, 0.975])
    return Estimate(value=value, low=float(low), high=float(high), n=questions)


def _undefined_quality(bins: int | None, targets: Sequence[float]) -> ConfidenceQuality:
    return ConfidenceQuality(
        questions=0,
        bins=bins,
        ece=UNDEFINED,
        brier=UNDEFINED,
        reliability=UNDEFINED,
        resolution=UNDEFINED,
        uncertainty=UNDEFINED,
        auroc=UNDEFINED,
        aurc=UNDEFINED,
        coverage=tuple(TargetCoverage(target, UNDEFINED, UNDEFINED) for target in targets),
        reliability_diagram=(),
        risk_coverage=(),
    )

"""Rates, scores and audit figures for one model at one stated confidence threshold t.

Per-question inputs are plain 1-D arrays aligned by question: counts of valid samples at t
(correct, incorrect, abstained), the consistency confidence c_q of the best-guess samples and
the correctness y_q of the modal answer. Shares of samples carry 95% Wilson intervals over
the effective sample size, which accounts for the correlation between the k samples of one
question (probe.intervals). The score, the oracle score and the regret carry
percentile-bootstrap intervals that resample questions, not samples.

A figure that is undefined, such as precision when nothing was answered, is None, never 0.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from probe.arrays import (
    FloatArray,
    as_confidence_array,
    as_count_array,
    check_aligned,
    split_modal_correct,
)
from probe.intervals import (
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    UNDEFINED,
    Z_95,
    Estimate,
    bootstrap_ratio_interval,
    check_bootstrap_settings,
    clustered_proportion,
    percentile_interval,
    proportion,
    resampled_sums,
    wilson_interval,
)

# Re-exported: callers read these from metrics since before probe.intervals existed.
__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_SEED",
    "UNDEFINED",
    "Z_95",
    "Estimate",
    "TargetCoverage",
    "ThresholdRates",
    "bootstrap_ratio_interval",
    "clustered_proportion",
    "coverage_at_target_precision",
    "exact_threshold",
    "format_penalty",
    "is_monotone_decreasing",
    "oracle_score",
    "over_abstain_rate",
    "over_answer_rate",
    "penalty",
    "proportion",
    "rate_drop",
    "regret",
    "threshold_rates",
    "wilson_interval",
]


# Threshold and penalty


def exact_threshold(threshold: float) -> Fraction:
    """Return t as the exact decimal it is written as, after checking 0 <= t < 1."""
    if not 0 <= threshold < 1:
        raise ValueError(
            f"threshold must be at least 0 and below 1, got {threshold!r}. "
            "At t = 1 the penalty t/(1 - t) for a wrong answer would be infinite."
        )
    return Fraction(str(float(threshold)))


def _exact_penalty(threshold: float) -> Fraction:
    exact = exact_threshold(threshold)
    return exact / (1 - exact)


def penalty(threshold: float) -> float:
    """Return the points lost for a wrong answer at threshold t: t/(1 − t).

    Source: Kalai, Nachum, Vempala and Zhang (2025), "Why Language Models Hallucinate",
    arXiv 2509.04664. A correct answer scores +1 and an abstention 0, so answering pays in
    expectation exactly when the chance of being right exceeds t. The division is exact on
    the decimal value of t, so penalty(0.9) is 9.0, not 9.000000000000002.

    Raises ValueError unless 0 <= t < 1.
    """
    return float(_exact_penalty(threshold))


def format_penalty(threshold: float) -> str:
    """Format the penalty t/(1 − t) for a prompt or a report.

    A whole penalty prints without decimals (0.75 → "3", 0.95 → "19", 0 → "0"). Any other
    is rounded to two decimals, with trailing zeros removed (0.6 → "1.5", 0.7 → "2.33").
    Raises ValueError unless 0 <= t < 1.
    """
    exact = _exact_penalty(threshold)
    if exact.denominator == 1:
        return str(exact.numerator)

    rounded = round(exact, 2)
    return f"{float(rounded):.2f}".rstrip("0").rstrip(".")


# Measurements at one threshold


@dataclass(frozen=True)
class ThresholdRates:
    """The rates, score and precision audit of one condition t over its valid samples.

    questions counts the questions with at least one valid sample at t, the units that the
    score's bootstrap resamples. The counts are pooled over those questions.
    """

    threshold: float
    questions: int
    valid: int
    answered: int
    correct: int
    incorrect: int
    abstained: int
    coverage: Estimate
    accuracy: Estimate
    error: Estimate
    abstention: Estimate
    precision: Estimate
    score: Estimate
    precision_gap: Estimate
    violation: bool | None


def threshold_rates(
    threshold: float,
    correct: npt.ArrayLike,
    incorrect: npt.ArrayLike,
    abstained: npt.ArrayLike,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> ThresholdRates:
    """Compute the rates, score and precision audit of condition t.

    The arguments are per-question counts of valid samples at t, aligned by question.
    With answered = correct + incorrect and valid = answered + abstained:

    - coverage = answered/valid, accuracy = correct/valid, error = incorrect/valid,
      abstention = abstained/valid, precision = correct/answered, each pooled over samples
      with Wilson's interval over the effective sample size (`clustered_proportion`);
    - score = accuracy − t/(1 − t)·error (Kalai, Nachum, Vempala and Zhang 2025,
      arXiv 2509.04664), with a percentile-bootstrap interval over questions;
    - precision_gap = precision − t, with the precision interval shifted by t;
    - violation is True when the precision interval lies entirely below t, and None when
      precision is undefined.
    """
    wrong_answer_penalty = penalty(threshold)
    corrects = as_count_array("correct", correct)
    incorrects = as_count_array("incorrect", incorrect)
    abstentions = as_count_array("abstained", abstained)
    check_aligned(correct=corrects, incorrect=incorrects, abstained=abstentions)

    per_question_valid = corrects + incorrects + abstentions
    n_correct = int(corrects.sum())
    n_incorrect = int(incorrects.sum())
    n_answered = n_correct + n_incorrect
    n_valid = n_answered + int(abstentions.sum())
    per_question_answered = corrects + incorrects

    precision = clustered_proportion(corrects, per_question_answered)
    score = _pooled_score(
        corrects, incorrects, per_question_valid, wrong_answer_penalty, draws=draws, seed=seed
    )

    return ThresholdRates(
        threshold=threshold,
        questions=int(np.count_nonzero(per_question_valid)),
        valid=n_valid,
        answered=n_answered,
        correct=n_correct,
        incorrect=n_incorrect,
        abstained=n_valid - n_answered,
        coverage=clustered_proportion(per_question_answered, per_question_valid),
        accuracy=clustered_proportion(corrects, per_question_valid),
        error=clustered_proportion(incorrects, per_question_valid),
        abstention=clustered_proportion(abstentions, per_question_valid),
        precision=precision,
        score=score,
        precision_gap=_shift(precision, -threshold),
        violation=None if precision.high is None else precision.high < threshold,
    )


def _pooled_score(
    corrects: FloatArray,
    incorrects: FloatArray,
    valid: FloatArray,
    wrong_answer_penalty: float,
    *,
    draws: int,
    seed: int,
) -> Estimate:
    """Score (correct − penalty·incorrect)/valid over pooled samples, with its bootstrap."""
    points = corrects - wrong_answer_penalty * incorrects
    interval = bootstrap_ratio_interval(points, valid, draws=draws, seed=seed)
    if interval is None:
        return UNDEFINED

    total_valid = int(valid.sum())
    value = float(points.sum()) / total_valid
    return Estimate(value=value, low=interval[0], high=interval[1], n=total_valid)


def _shift(estimate: Estimate, offset: float) -> Estimate:
    if estimate.value is None or estimate.low is None or estimate.high is None:
        return estimate
    return Estimate(
        value=estimate.value + offset,
        low=estimate.low + offset,
        high=estimate.high + offset,
        n=estimate.n,
    )


# Decisions against consistency


def over_answer_rate(
    answered: npt.ArrayLike,
    valid: npt.ArrayLike,
    confidence: npt.ArrayLike,
    threshold: float,
) -> Estimate:
    """Compute OA(t), the share of valid samples at t that answer on questions with c_q < t.

    answered and valid are per-question counts at t, and confidence is c_q from the
    best-guess samples. The interval is Wilson's over the effective sample size
    (`clustered_proportion`).
    """
    return _share_on_questions(answered, valid, confidence, threshold, below_threshold=True)


def over_abstain_rate(
    abstained: npt.ArrayLike,
    valid: npt.ArrayLike,
    confidence: npt.ArrayLike,
    threshold: float,
) -> Estimate:
    """Compute UA(t), the share of valid samples at t that abstain on questions with c_q ≥ t.

    abstained and valid are per-question counts at t, and confidence is c_q from the
    best-guess samples. The interval is Wilson's over the effective sample size
    (`clustered_proportion`).
    """
    return _share_on_questions(abstained, valid, confidence, threshold, below_threshold=False)


def _share_on_questions(
    chosen: npt.ArrayLike,
    valid: npt.ArrayLike,
    confidence: npt.ArrayLike,
    threshold: float,
    *,
    below_threshold: bool,
) -> Estimate:
    exact_threshold(threshold)
    chosen_counts = as_count_array("decision count", chosen)
    valid_counts = as_count_array("valid", valid)
    confidences = as_confidence_array(confidence)
    check_aligned(decisions=chosen_counts, valid=valid_counts, confidence=confidences)
    if np.any(chosen_counts > valid_counts):
        raise ValueError("a question has more answered or abstained samples than valid ones")

    if below_threshold:
        selected = confidences < threshold
    else:
        selected = confidences >= threshold
    return clustered_proportion(chosen_counts[selected], valid_counts[selected])


# The consistency oracle


def oracle_score(
    confidence: npt.ArrayLike,
    modal_correct: Sequence[bool | None],
    threshold: float,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> Estimate:
    """Compute the mean score of the consistency oracle at t over the questions with y_q known.

    The oracle answers the modal answer m_q when c_q ≥ t and m_q exists (c_q > 0), scoring
    +1 when y_q is true and −t/(1 − t) when it is false, and abstains for 0 otherwise
    (penalty from Kalai, Nachum, Vempala and Zhang 2025, arXiv 2509.04664). Questions whose
    y_q is None are left out. The interval is a percentile bootstrap over questions.
    """
    confidences = as_confidence_array(confidence)
    known, correct = split_modal_correct(modal_correct)
    check_aligned(confidence=confidences, modal_correct=known)

    points = _oracle_points(confidences[known], correct[known], threshold)
    interval = bootstrap_ratio_interval(points, np.ones_like(points), draws=draws, seed=seed)
    if interval is None:
        return UNDEFINED

    return Estimate(value=float(points.mean()), low=interval[0], high=interval[1], n=len(points))


def regret(
    threshold: float,
    correct: npt.ArrayLike,
    incorrect: npt.ArrayLike,
    abstained: npt.ArrayLike,
    confidence: npt.ArrayLike,
    modal_correct: Sequence[bool | None],
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> Estimate:
    """Compute regret(t) = oracle score(t) − actual score(t) on the same questions.

    Both scores use the questions whose y_q is known and that have at least one valid sample
    at t, so this actual score can differ from ThresholdRates.score. The oracle score is a
    mean over questions and the actual score is pooled over their samples. The interval is a
    paired percentile bootstrap: each draw resamples one set of questions for both scores.
    Positive regret means the model would score more by following its own consistency.

    NOTE: the oracle gives the modal answer, a majority vote over k samples that is right
    more often than one sample, so regret is positive even for a perfectly calibrated model.
    Compare it across thresholds or models rather than against 0.
    """
    wrong_answer_penalty = penalty(threshold)
    corrects = as_count_array("correct", correct)
    incorrects = as_count_array("incorrect", incorrect)
    abstentions = as_count_array("abstained", abstained)
    confidences = as_confidence_array(confidence)
    known, modal_is_correct = split_modal_correct(modal_correct)
    check_aligned(
        correct=corrects,
        incorrect=incorrects,
        abstained=abstentions,
        confidence=confidences,
        modal_correct=known,
    )

    valid = corrects + incorrects + abstentions
    used = known & (valid > 0)
    if not np.any(used):
        return UNDEFINED

    oracle_points = _oracle_points(confidences[used], modal_is_correct[used], threshold)
    actual_points = corrects[used] - wrong_answer_penalty * incorrects[used]
    return _paired_regret(oracle_points, actual_points, valid[used], draws=draws, seed=seed)


def _paired_regret(
    oracle_points: FloatArray,
    actual_points: FloatArray,
    valid: FloatArray,
    *,
    draws: int,
    seed: int,
    level: float = 0.95,
) -> Estimate:
    check_bootstrap_settings(draws, level)
    value = float(oracle_points.mean()) - float(actual_points.sum() / valid.sum())

    sums = resampled_sums(np.column_stack([oracle_points, actual_points, valid]), draws, seed)
    oracle_means = sums[:, 0] / len(oracle_points)
    actual_scores = sums[:, 1] / sums[:, 2]
    low, high = percentile_interval(oracle_means - actual_scores, level)
    return Estimate(value=value, low=low, high=high, n=len(oracle_points))


def _oracle_points(
    confidences: FloatArray, modal_is_correct: npt.NDArray[np.bool_], threshold: float
) -> FloatArray:
    """Return the oracle's points per question: +1, −t/(1 − t), or 0 for an abstention."""
    wrong_answer_penalty = penalty(threshold)
    answers = (confidences >= threshold) & (confidences > 0)
    answer_points = np.where(modal_is_correct, 1.0, -wrong_answer_penalty)
    return np.where(answers, answer_points, 0.0)


# Responsiveness


def is_monotone_decreasing(estimates: Sequence[Estimate]) -> bool | None:
    """Check that a curve ordered by rising t does not rise beyond its intervals.

    Coverage and error should fall as t rises. The curve counts as monotone within its
    intervals when no later point's interval lies entirely above an earlier point's
    interval, that is, low[j] <= high[i] for every i < j. Points without a value or interval
    are skipped. Returns None when fewer than two points remain to compare.
    """
    defined = [
        (estimate.low, estimate.high)
        for estimate in estimates
        if estimate.value is not None and estimate.low is not None and estimate.high is not None
    ]
    if len(defined) < 2:
        return None

    lowest_high_so_far = math.inf
    for low, high in defined:
        if low > lowest_high_so_far:
            return False
        lowest_high_so_far = min(lowest_high_so_far, high)
    return True


def rate_drop(
    first_successes: npt.ArrayLike,
    first_trials: npt.ArrayLike,
    last_successes: npt.ArrayLike,
    last_trials: npt.ArrayLike,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> Estimate:
    """Compute how far a pooled rate falls from one condition to another, on the same questions.

    drop = Σ first_successes / Σ first_trials − Σ last_successes / Σ last_trials over the
    questions with trials in both conditions, for example coverage at the lowest t minus
    coverage at the highest t. The interval is a paired percentile bootstrap: each draw
    resamples one set of questions for both rates. A drop whose interval lies above 0 shows
    that the model responds to the stated threshold; a flat rate does not. n is the number of
    questions used. Returns an undefined Estimate when no question has trials in both.
    """
    check_bootstrap_settings(draws, level)
    first = as_count_array("first_successes", first_successes)
    first_n = as_count_array("first_trials", first_trials)
    last = as_count_array("last_successes", last_successes)
    last_n = as_count_array("last_trials", last_trials)
    check_aligned(
        first_successes=first, first_trials=first_n, last_successes=last, last_trials=last_n
    )

    used = (first_n > 0) & (last_n > 0)
    if not np.any(used):
        return UNDEFINED
    first, first_n, last, last_n = first[used], first_n[used], last[used], last_n[used]
    value = float(first.sum() / first_n.sum() - last.sum() / last_n.sum())

    sums = resampled_sums(np.column_stack([first, first_n, last, last_n]), draws, seed)
    drops = sums[:, 0] / sums[:, 1] - sums[:, 2] / sums[:, 3]
    low, high = percentile_interval(drops, level)
    return Estimate(value=value, low=low, high=high, n=len(first))


# Coverage at target precision


@dataclass(frozen=True)
class TargetCoverage:
    """The largest coverage among the conditions whose precision meets a target p.

    coverage is the coverage Estimate of the condition that reaches it, and condition its t.
    Both are undefined (None) when no condition's precision meets the target. The
    conservative variant requires the low end of the precision interval to reach p.
    """

    target: float
    coverage: Estimate
    condition: float | None
    conservative_coverage: Estimate
    conservative_condition: float | None


def coverage_at_target_precision(
    target: float,
    thresholds: Sequence[float],
    coverage: Sequence[Estimate],
    precision: Sequence[Estimate],
) -> TargetCoverage:
    """Find the largest coverage the model showed at any condition while precision ≥ target.

    Each condition t of a run is one operating point (coverage(t), precision(t)). For a
    target p, the coverage at target precision is the largest coverage(t) among the
    conditions with precision(t) ≥ p. Across targets these points trace the model's
    coverage–precision (Pareto) curve, its safe coverage. A tie in coverage goes to the
    lowest t. Conditions with undefined precision never qualify.
    """
    if not len(thresholds) == len(coverage) == len(precision):
        raise ValueError(
            "thresholds, coverage and precision must have one entry per condition, got "
            f"lengths {len(thresholds)}, {len(coverage)} and {len(precision)}"
        )
    plain = _best_operating_point(target, thresholds, coverage, [p.value for p in precision])
    conservative = _best_operating_point(target, thresholds, coverage, [p.low for p in precision])
    return TargetCoverage(
        target=target,
        coverage=UNDEFINED if plain is None else coverage[plain],
        condition=None if plain is None else thresholds[plain],
        conservative_coverage=UNDEFINED if conservative is None else coverage[conservative],
        conservative_condition=None if conservative is None else thresholds[conservative],
    )


def _best_operating_point(
    target: float,
    thresholds: Sequence[float],
    coverage: Sequence[Estimate],
    precision: Sequence[float | None],
) -> int | None:
    """Return the index of the condition with the largest coverage whose precision ≥ target."""
    best: int | None = None
    for index in sorted(range(len(thresholds)), key=lambda i: thresholds[i]):
        reached = precision[index]
        covered = coverage[index].value
        if reached is None or covered is None or reached < target - 1e-12:
            continue
        best_value = None if best is None else coverage[best].value
        if best_value is None or covered > best_value:
            best = index
    return best

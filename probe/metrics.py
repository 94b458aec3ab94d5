"""Rates, scores and audit figures for one model at one stated confidence threshold t.

Per-question inputs are plain 1-D arrays aligned by question: counts of valid samples at t
(correct, incorrect, abstained), the consistency confidence c_q of the best-guess samples and
the correctness y_q of the modal answer. Proportions carry 95% Wilson intervals. The score,
the oracle score and the regret carry percentile-bootstrap intervals that resample
questions, not samples, because the k samples of one question are not independent.

A figure that is undefined, such as precision when nothing was answered, is None, never 0.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

# The normal quantile for a two-sided 95% interval, Φ⁻¹(0.975).
Z_95 = 1.959963984540054

DEFAULT_DRAWS = 1000
DEFAULT_SEED = 0

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Estimate:
    """A figure with its 95% interval and the count n it rests on.

    value, low and high are None when the figure is undefined (n == 0).
    """

    value: float | None
    low: float | None
    high: float | None
    n: int


UNDEFINED = Estimate(value=None, low=None, high=None, n=0)


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


# Proportions


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """Return the Wilson score interval for a binomial proportion, or None when n == 0.

    With p = successes/n the interval is
    (p + z²/2n ± z·√(p(1 − p)/n + z²/4n²)) / (1 + z²/n).
    Source: E. B. Wilson (1927), "Probable inference, the law of succession, and statistical
    inference", Journal of the American Statistical Association 22, 209–212.

    Raises ValueError unless 0 <= successes <= n and z > 0.
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(
            f"successes and n must satisfy 0 <= successes <= n, got successes={successes}, n={n}"
        )
    if not z > 0:
        raise ValueError(f"z must be positive, got {z!r}")
    if n == 0:
        return None

    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))

    # At p = 0 and p = 1 one end is exactly 0 or 1, which rounding could miss by ~1e-17.
    low = 0.0 if successes == 0 else max(0.0, centre - half_width)
    high = 1.0 if successes == n else min(1.0, centre + half_width)
    return low, high


def proportion(successes: int, n: int) -> Estimate:
    """Return successes/n with its 95% Wilson interval, or an undefined Estimate when n == 0.

    NOTE: Wilson treats the n samples as independent. When they pool the k samples of each
    question, which are correlated, the interval is narrower than a question-level one.
    """
    interval = wilson_interval(successes, n)
    if interval is None:
        return UNDEFINED
    return Estimate(value=successes / n, low=interval[0], high=interval[1], n=n)


# Bootstrap over questions


def _check_bootstrap_settings(draws: int, level: float) -> None:
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")


def _resample_questions(questions: int, draws: int, seed: int) -> npt.NDArray[np.int64]:
    """Return a (draws × questions) matrix whose row i lists the questions drawn in resample i."""
    generator = np.random.default_rng(seed)
    return generator.integers(0, questions, size=(draws, questions), dtype=np.int64)


def _percentile_interval(statistics: FloatArray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2
    low, high = np.quantile(statistics, [tail, 1 - tail])
    return float(low), float(high)


def bootstrap_ratio_interval(
    numerator: npt.ArrayLike,
    denominator: npt.ArrayLike,
    *,
    draws: int,
    seed: int,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Return a percentile-bootstrap interval for the pooled ratio Σ numerator / Σ denominator.

    Each row is one question. A draw resamples questions with replacement and recomputes the
    ratio of the sums, so the interval reflects the correlation between samples of one
    question. Rows with denominator 0 carry no samples and are dropped first. The draws
    come from numpy's default generator seeded with seed, so the same seed and inputs give
    the same interval.

    Returns None when no row has a positive denominator. Raises ValueError when the arrays
    are not aligned, a denominator is negative, or a row has a numerator without a
    denominator.
    """
    _check_bootstrap_settings(draws, level)
    numerators = _as_float_array("numerator", numerator)
    denominators = _as_float_array("denominator", denominator)
    _check_aligned(numerator=numerators, denominator=denominators)
    if np.any(denominators < 0):
        raise ValueError("denominator must not be negative")
    if np.any((denominators == 0) & (numerators != 0)):
        raise ValueError("a row with denominator 0 must have numerator 0")

    kept = denominators > 0
    if not np.any(kept):
        return None
    numerators = numerators[kept]
    denominators = denominators[kept]

    rows = _resample_questions(len(numerators), draws, seed)
    ratios = numerators[rows].sum(axis=1) / denominators[rows].sum(axis=1)
    return _percentile_interval(ratios, level)


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
      abstention = abstained/valid, precision = correct/answered, each with a Wilson
      interval (Wilson 1927);
    - score = accuracy − t/(1 − t)·error (Kalai, Nachum, Vempala and Zhang 2025,
      arXiv 2509.04664), with a percentile-bootstrap interval over questions;
    - precision_gap = precision − t, with the precision interval shifted by t;
    - violation is True when the precision interval lies entirely below t, and None when
      precision is undefined.
    """
    wrong_answer_penalty = penalty(threshold)
    corrects = _as_count_array("correct", correct)
    incorrects = _as_count_array("incorrect", incorrect)
    abstentions = _as_count_array("abstained", abstained)
    _check_aligned(correct=corrects, incorrect=incorrects, abstained=abstentions)

    per_question_valid = corrects + incorrects + abstentions
    n_correct = int(corrects.sum())
    n_incorrect = int(incorrects.sum())
    n_answered = n_correct + n_incorrect
    n_valid = n_answered + int(abstentions.sum())

    precision = proportion(n_correct, n_answered)
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
        coverage=proportion(n_answered, n_valid),
        accuracy=proportion(n_correct, n_valid),
        error=proportion(n_incorrect, n_valid),
        abstention=proportion(n_valid - n_answered, n_valid),
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
    best-guess samples. The interval is Wilson's (1927) over the pooled samples.
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
    best-guess samples. The interval is Wilson's (1927) over the pooled samples.
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
    chosen_counts = _as_count_array("decision count", chosen)
    valid_counts = _as_count_array("valid", valid)
    confidences = _as_confidence_array(confidence)
    _check_aligned(decisions=chosen_counts, valid=valid_counts, confidence=confidences)
    if np.any(chosen_counts > valid_counts):
        raise ValueError("a question has more answered or abstained samples than valid ones")

    if below_threshold:
        selected = confidences < threshold
    else:
        selected = confidences >= threshold
    return proportion(int(chosen_counts[selected].sum()), int(valid_counts[selected].sum()))


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
    confidences = _as_confidence_array(confidence)
    known, correct = _split_modal_correct(modal_correct)
    _check_aligned(confidence=confidences, modal_correct=known)

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
    """
    wrong_answer_penalty = penalty(threshold)
    corrects = _as_count_array("correct", correct)
    incorrects = _as_count_array("incorrect", incorrect)
    abstentions = _as_count_array("abstained", abstained)
    confidences = _as_confidence_array(confidence)
    known, modal_is_correct = _split_modal_correct(modal_correct)
    _check_aligned(
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
    _check_bootstrap_settings(draws, level)
    value = float(oracle_points.mean()) - float(actual_points.sum() / valid.sum())

    rows = _resample_questions(len(oracle_points), draws, seed)
    oracle_means = oracle_points[rows].mean(axis=1)
    actual_scores = actual_points[rows].sum(axis=1) / valid[rows].sum(axis=1)
    low, high = _percentile_interval(oracle_means - actual_scores, level)
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


# Input checks


def _as_float_array(name: str, values: npt.ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array with one entry per question, got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite numbers")
    return array


def _as_count_array(name: str, values: npt.ArrayLike) -> FloatArray:
    """Return per-question sample counts as floats, after checking they are whole and ≥ 0."""
    array = _as_float_array(name, values)
    if np.any(array < 0) or np.any(array != np.floor(array)):
        raise ValueError(f"{name} must contain whole counts of at least 0")
    return array


def _as_confidence_array(values: npt.ArrayLike) -> FloatArray:
    array = _as_float_array("confidence", values)
    if np.any((array < 0) | (array > 1)):
        raise ValueError("confidence must contain values between 0 and 1")
    return array


def _split_modal_correct(
    modal_correct: Sequence[bool | None],
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Return (known, correct) masks from per-question y_q values, where None is unknown."""
    known = np.array([value is not None for value in modal_correct], dtype=np.bool_)
    correct = np.array([bool(value) for value in modal_correct], dtype=np.bool_)
    return known, correct


def _check_aligned(**arrays: npt.NDArray[np.generic]) -> None:
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name}={length}" for name, length in lengths.items())
        raise ValueError(
            f"per-question arrays must have one entry per question, got lengths {listed}"
        )

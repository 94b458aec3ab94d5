"""95% intervals: Wilson's for proportions, Wilson's widened for clustering, and the bootstrap.

The samples of one question are not independent: a model that knows an answer tends to give
it in every sample, and a model that abstains on a question at one threshold tends to abstain
in all of that question's samples. So intervals for figures pooled over samples treat the
question as the unit. `clustered_proportion` widens Wilson's interval by the design effect
measured between questions, and the bootstrap resamples questions, never samples.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from probe.arrays import FloatArray, as_count_array, as_float_array, check_aligned

# The normal quantile for a two-sided 95% interval, Φ⁻¹(0.975).
Z_95 = 1.959963984540054

DEFAULT_DRAWS = 1000
DEFAULT_SEED = 0

# Draws per block when counting bootstrap weights.
_WEIGHT_BLOCK = 100


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


class Figure(BaseModel):
    """A number with its 95% interval and the n it rests on; None where undefined.

    The form of an Estimate in summary.json.
    """

    value: float | None
    low: float | None = None
    high: float | None = None
    n: int

    @classmethod
    def of(cls, estimate: Estimate) -> "Figure":
        return cls(value=estimate.value, low=estimate.low, high=estimate.high, n=estimate.n)


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
    return _wilson_bounds(successes / n, n, z)


def _wilson_bounds(p: float, n: float, z: float) -> tuple[float, float]:
    """Return Wilson's interval for a share p observed over n trials; n may be fractional."""
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))

    # At p = 0 and p = 1 one end is exactly 0 or 1, which rounding could miss by ~1e-17.
    low = 0.0 if p == 0 else max(0.0, centre - half_width)
    high = 1.0 if p == 1 else min(1.0, centre + half_width)
    return low, high


def proportion(successes: int, n: int) -> Estimate:
    """Return successes/n with its 95% Wilson interval, or an undefined Estimate when n == 0.

    Wilson treats the n trials as independent. For shares of samples pooled over questions,
    use `clustered_proportion`, whose interval accounts for the correlation within a question.
    """
    interval = wilson_interval(successes, n)
    if interval is None:
        return UNDEFINED
    return Estimate(value=successes / n, low=interval[0], high=interval[1], n=n)


def clustered_proportion(successes: npt.ArrayLike, trials: npt.ArrayLike) -> Estimate:
    """Return the pooled share Σ successes / Σ trials with a Wilson interval over its effective n.

    Each entry is one question: its successes among its trials (samples). With m questions
    that have trials, N = Σ trials and R = Σ successes / N, the variance of R between
    questions is the ratio-estimator (linearisation) estimate
    v = m/(m − 1) · Σ (successes_i − R·trials_i)² / N².
    The effective sample size is n_eff = R(1 − R)/v, capped at N so the interval is never
    narrower than Wilson's on the pooled samples, and the interval is Wilson's for R over
    n_eff trials. Korn and Graubard (1998) put the sample size divided by the design effect
    into a binomial interval. A 2019 simulation study of such intervals for complex surveys
    (PubMed Central PMC6690503) recommends the Wilson form used here.

    When R is 0 or 1, or only one question has trials, v says nothing about the spread
    between questions, so n_eff = m: the conservative case of samples that always agree
    within a question.

    n is N, the pooled trials. Returns an undefined Estimate when N == 0. Raises ValueError
    when the arrays are not aligned counts or a question has more successes than trials.
    """
    success_counts = as_count_array("successes", successes)
    trial_counts = as_count_array("trials", trials)
    check_aligned(successes=success_counts, trials=trial_counts)
    if np.any(success_counts > trial_counts):
        raise ValueError("a question has more successes than trials")

    used = trial_counts > 0
    total = float(trial_counts.sum())
    if total == 0:
        return UNDEFINED

    share = float(success_counts.sum()) / total
    effective = _effective_trials(success_counts[used], trial_counts[used], share)
    low, high = _wilson_bounds(share, effective, Z_95)
    return Estimate(value=share, low=low, high=high, n=int(total))


def _effective_trials(successes: FloatArray, trials: FloatArray, share: float) -> float:
    """Return N divided by the design effect (at least 1), from the spread between questions."""
    questions = len(trials)
    total = float(trials.sum())
    if questions < 2 or share in (0.0, 1.0):
        return float(questions)

    residuals = successes - share * trials
    variance = questions / (questions - 1) * float(np.sum(residuals * residuals)) / total**2
    if variance == 0:
        return total
    return min(total, share * (1 - share) / variance)


# Bootstrap over questions


def check_bootstrap_settings(draws: int, level: float) -> None:
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")


def resample_questions(questions: int, draws: int, seed: int) -> npt.NDArray[np.int64]:
    """Return a (draws × questions) matrix whose row i lists the questions drawn in resample i."""
    generator = np.random.default_rng(seed)
    return generator.integers(0, questions, size=(draws, questions), dtype=np.int64)


@functools.lru_cache(maxsize=2)
def bootstrap_weights(questions: int, draws: int, seed: int) -> FloatArray:
    """Return a (draws × questions) matrix: how often resample i drew each question.

    The resamples are the rows of `resample_questions` with the same seed, so a weighted
    statistic gives the same draws as one computed on the resampled rows. Every bootstrap
    of one summary resamples the same questions with one seed, so the matrices of the last
    two argument sets are kept (400 MB each at 50,000 questions × 1,000 draws). They are
    read-only, so that no caller can change them for the next.
    """
    rows = resample_questions(questions, draws, seed)
    weights = np.empty((draws, questions), dtype=np.float64)
    # Counted in blocks of draws, so the offsets and counts never take much more memory
    # than the weights themselves.
    for start in range(0, draws, _WEIGHT_BLOCK):
        block = rows[start : start + _WEIGHT_BLOCK]
        offsets = block + questions * np.arange(len(block), dtype=np.int64)[:, np.newaxis]
        counts = np.bincount(offsets.ravel(), minlength=len(block) * questions)
        weights[start : start + len(block)] = counts.reshape(len(block), questions)
    weights.flags.writeable = False
    return weights


def resampled_sums(values: FloatArray, draws: int, seed: int) -> FloatArray:
    """Sum per-question values over the questions of each resample, by bootstrap_weights.

    values has one row per question and one column per quantity, or is 1-D for one, and
    the result has one row per draw. This equals values[resample_questions(...)].sum(axis=1)
    in one matrix product. The sums of whole numbers are exact either way, so they agree to
    the bit; sums of fractions can differ in the last bits.
    """
    return bootstrap_weights(len(values), draws, seed) @ values


def percentile_interval(statistics: FloatArray, level: float) -> tuple[float, float]:
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
    check_bootstrap_settings(draws, level)
    numerators = as_float_array("numerator", numerator)
    denominators = as_float_array("denominator", denominator)
    check_aligned(numerator=numerators, denominator=denominators)
    if np.any(denominators < 0):
        raise ValueError("denominator must not be negative")
    if np.any((denominators == 0) & (numerators != 0)):
        raise ValueError("a row with denominator 0 must have numerator 0")

    kept = denominators > 0
    if not np.any(kept):
        return None
    numerators = numerators[kept]
    denominators = denominators[kept]

    sums = resampled_sums(np.column_stack([numerators, denominators]), draws, seed)
    return percentile_interval(sums[:, 0] / sums[:, 1], level)

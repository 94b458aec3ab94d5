"""Experiments that check probe's figures against simulated models whose truth is known.

- `interval_coverage` repeats a small simulated run many times and counts how often each 95%
  interval contains the exact true value. An honest 95% interval should do so about 95% of
  the time.
- `consistency_rank_correlation` measures how well the consistency confidence c_q ranks the
  questions by the model's true chance p_q of knowing them.

Each repetition draws its questions afresh from a fixed population of p_q values, because
probe's intervals describe the model on questions like the ones asked, not on these exact
questions. The truth is the exact mean over that population (probe.simulated.true_rates).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from probe import metrics
from probe.consistency import Sample, question_consistency
from probe.outcomes import Outcome
from probe.simulated import (
    DEFAULT_SETTINGS,
    Policy,
    PolicySettings,
    answer_probability,
    best_guess_cluster_sizes,
    sample_counts,
    true_rates,
)

FloatArray = npt.NDArray[np.float64]

# The figures whose intervals `interval_coverage` checks.
CHECKED_FIGURES: tuple[str, ...] = ("precision", "score", "coverage", "error")


@dataclass(frozen=True)
class CoverageRate:
    """How often one figure's interval contained the truth over the repetitions that had one."""

    threshold: float
    figure: str
    truth: float
    contained: int
    repetitions: int
    # Repetitions in which the figure was undefined, so there was no interval to check.
    undefined: int

    @property
    def rate(self) -> float:
        return self.contained / self.repetitions


def interval_coverage(
    policy: Policy,
    population: npt.ArrayLike,
    thresholds: Sequence[float],
    *,
    questions: int,
    samples: int,
    repetitions: int,
    seed: int,
    draws: int = metrics.DEFAULT_DRAWS,
    settings: PolicySettings = DEFAULT_SETTINGS,
) -> list[CoverageRate]:
    """Count how often the 95% intervals of threshold_rates contain the exact truth.

    Each repetition draws `questions` values of p_q from `population` with replacement and
    `samples` samples per question and threshold, then computes the rates as `probe run`
    does. A figure is left out at a threshold where it has no sampling variation: when the
    policy never answers (or always answers) every question there, or its truth is undefined.
    """
    known = np.asarray(population, dtype=np.float64)
    rng = np.random.default_rng(seed)
    checked = _checked_figures(policy, known, thresholds, settings)
    tallies = {key: [0, 0, 0] for key in checked}

    for repetition in range(repetitions):
        drawn = rng.choice(known, size=questions, replace=True)
        for threshold in thresholds:
            counts = sample_counts(policy, drawn, threshold, samples, rng, settings)
            rates = metrics.threshold_rates(threshold, *counts, draws=draws, seed=repetition)
            for figure in CHECKED_FIGURES:
                key = (threshold, figure)
                if key in tallies:
                    _tally(tallies[key], getattr(rates, figure), checked[key])

    return [
        CoverageRate(t, figure, checked[(t, figure)], hits, total - undefined, undefined)
        for (t, figure), (hits, total, undefined) in tallies.items()
    ]


def _checked_figures(
    policy: Policy, known: FloatArray, thresholds: Sequence[float], settings: PolicySettings
) -> dict[tuple[float, str], float]:
    """Return the true value of every (threshold, figure) that varies between repetitions."""
    checked = {}
    for threshold in thresholds:
        answers = answer_probability(policy, known, threshold, settings)
        if np.all(answers == 0):
            # Never answers: coverage and score are 0 in every run and precision undefined.
            continue
        truth = true_rates(policy, known, threshold, settings)
        for figure in CHECKED_FIGURES:
            value = getattr(truth, figure)
            # Coverage of a policy that answers every sample is 1 in every run.
            if value is None or (figure == "coverage" and np.all(answers == 1)):
                continue
            checked[(threshold, figure)] = float(value)
    return checked


def _tally(tally: list[int], estimate: metrics.Estimate, truth: float) -> None:
    tally[1] += 1
    if estimate.low is None or estimate.high is None:
        tally[2] += 1
        return
    # The tolerance absorbs float rounding when the truth sits exactly on an end.
    if estimate.low - 1e-9 <= truth <= estimate.high + 1e-9:
        tally[0] += 1


def consistency_confidence(known: npt.ArrayLike, samples: int, seed: int) -> FloatArray:
    """Return c_q from `samples` simulated best-guess samples per question (calibrated policy).

    The cluster sizes are turned into sample lists and passed through
    probe.consistency.question_consistency, so this is the c_q a run would report.
    """
    sizes = best_guess_cluster_sizes(known, samples, np.random.default_rng(seed))
    confidences = []
    for index, row in enumerate(sizes):
        # Cluster 0 is the correct value, the others the wrong ones.
        answers: list[Sample] = [
            (Outcome.CORRECT if cluster == 0 else Outcome.INCORRECT, f"value-{cluster}", None)
            for cluster, size in enumerate(row[:-1])
            for _ in range(size)
        ]
        abstentions: list[Sample] = [(Outcome.ABSTAINED, None, None)] * int(row[-1])
        confidences.append(question_consistency(f"q{index}", answers + abstentions).confidence)
    return np.array(confidences, dtype=np.float64)


def spearman(first: npt.ArrayLike, second: npt.ArrayLike) -> float:
    """Return Spearman's rank correlation, with tied values given their mean rank."""
    return float(np.corrcoef(_ranks(first), _ranks(second))[0, 1])


def _ranks(values: npt.ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    order = np.argsort(array, kind="stable")
    ranks = np.empty(len(array), dtype=np.float64)
    ranks[order] = np.arange(len(array), dtype=np.float64)
    # Replace each rank by the mean rank of its group of equal values.
    _, inverse, counts = np.unique(array, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    mean_ranks: FloatArray = sums[inverse] / counts[inverse]
    return mean_ranks


def consistency_rank_correlation(known: npt.ArrayLike, samples: int, seed: int) -> float:
    """Return Spearman's correlation between c_q from `samples` samples and the true p_q."""
    return spearman(consistency_confidence(known, samples, seed), known)

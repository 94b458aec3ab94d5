"""Paired comparison of two runs: by question for the bootstrap, by sample key for McNemar.

Only sample keys (question id, threshold, sample index) that both runs hold are compared, so
a run that stopped early or lost samples to errors is compared on what both have. The
bootstrap resamples questions, not samples, because the k samples of one question are not
independent, and it draws the same questions for both runs, so the difference is paired.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from probe import metrics
from probe.outcomes import Outcome
from probe.samples import AnySampleRecord, SampleKey

Metric = Literal["coverage", "accuracy", "error", "abstention", "precision", "score", "invalid"]
METRICS: tuple[Metric, ...] = get_args(Metric)

# The metrics that are a share of samples with one binary property, which McNemar's test
# can compare sample by sample; precision and score are not.
BINARY_METRICS: dict[Metric, frozenset[Outcome]] = {
    "coverage": frozenset({Outcome.CORRECT, Outcome.INCORRECT}),
    "accuracy": frozenset({Outcome.CORRECT}),
    "error": frozenset({Outcome.INCORRECT}),
    "abstention": frozenset({Outcome.ABSTAINED}),
    "invalid": frozenset(
        {Outcome.UNGRADED, Outcome.TRUNCATED, Outcome.REFUSED, Outcome.EMPTY, Outcome.ERROR}
    ),
}

METRIC_MEANINGS: dict[Metric, str] = {
    "coverage": "answered / valid samples",
    "accuracy": "correct / valid samples",
    "error": "incorrect / valid samples (the hallucination rate)",
    "abstention": "abstained / valid samples",
    "precision": "correct / answered samples",
    "score": "accuracy − t/(1−t) · error",
    "invalid": "ungraded, truncated, refused, empty or error / all samples",
}

# Columns of the per-question count arrays.
COLUMNS = (Outcome.CORRECT, Outcome.INCORRECT, Outcome.ABSTAINED)
CORRECT, INCORRECT, ABSTAINED, NOT_VALID = 0, 1, 2, 3

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class PairedCounts:
    """Per-question counts of two runs at one t over the sample keys both runs hold.

    Each array is (questions × 4): correct, incorrect, abstained and not valid samples.
    """

    threshold: float
    question_ids: tuple[str, ...]
    baseline: IntArray
    candidate: IntArray
    keys: int


@dataclass(frozen=True)
class PairedBootstrap:
    """A metric of both runs with the paired bootstrap draws of each; NaN where undefined."""

    metric: Metric
    baseline: float | None
    candidate: float | None
    baseline_draws: FloatArray
    candidate_draws: FloatArray

    @property
    def difference(self) -> float | None:
        if self.baseline is None or self.candidate is None:
            return None
        return self.candidate - self.baseline

    @property
    def difference_draws(self) -> FloatArray:
        return self.candidate_draws - self.baseline_draws


@dataclass(frozen=True)
class McNemarCounts:
    """Sample pairs and a binary property: how many had it in the baseline, gained or lost it."""

    pairs: int
    baseline_having: int
    gained: int
    lost: int

    @property
    def baseline_share(self) -> float | None:
        return None if self.pairs == 0 else self.baseline_having / self.pairs

    @property
    def candidate_share(self) -> float | None:
        if self.pairs == 0:
            return None
        return (self.baseline_having + self.gained - self.lost) / self.pairs

    @property
    def change(self) -> float | None:
        """The paired change in the share with the property, (gained − lost) / pairs."""
        return None if self.pairs == 0 else (self.gained - self.lost) / self.pairs


def pair_counts(
    baseline: Sequence[AnySampleRecord], candidate: Sequence[AnySampleRecord], threshold: float
) -> PairedCounts:
    """Count outcomes per question at t over the sample keys that both runs hold."""
    base = _by_key(baseline, threshold)
    cand = _by_key(candidate, threshold)
    shared = sorted(base.keys() & cand.keys())
    question_ids = tuple(sorted({key.question_id for key in shared}))
    row_of = {question_id: row for row, question_id in enumerate(question_ids)}

    counts = np.zeros((2, len(question_ids), 4), dtype=np.int64)
    for key in shared:
        for run, records in enumerate((base, cand)):
            counts[run, row_of[key.question_id], _column(records[key].outcome)] += 1
    return PairedCounts(threshold, question_ids, counts[0], counts[1], len(shared))


def metric_values(metric: Metric, threshold: float, totals: IntArray) -> FloatArray:
    """Compute a metric from outcome totals (…, 4); NaN where its denominator is 0."""
    correct = totals[..., CORRECT].astype(np.float64)
    incorrect = totals[..., INCORRECT].astype(np.float64)
    abstained = totals[..., ABSTAINED].astype(np.float64)
    valid = correct + incorrect + abstained
    numerator, denominator = {
        "coverage": (correct + incorrect, valid),
        "accuracy": (correct, valid),
        "error": (incorrect, valid),
        "abstention": (abstained, valid),
        "precision": (correct, correct + incorrect),
        "score": (correct - metrics.penalty(threshold) * incorrect, valid),
        "invalid": (totals[..., NOT_VALID].astype(np.float64), valid + totals[..., NOT_VALID]),
    }[metric]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)


def paired_bootstrap(
    counts: PairedCounts, metric: Metric, *, draws: int, seed: int
) -> PairedBootstrap:
    """Draw questions with replacement, the same for both runs, and compute the metric."""
    weights = _resample_weights(len(counts.question_ids), draws, seed)
    return PairedBootstrap(
        metric=metric,
        baseline=_observed(metric, counts.threshold, counts.baseline),
        candidate=_observed(metric, counts.threshold, counts.candidate),
        baseline_draws=metric_values(metric, counts.threshold, weights @ counts.baseline),
        candidate_draws=metric_values(metric, counts.threshold, weights @ counts.candidate),
    )


def percentile_interval(values: FloatArray, level: float = 0.95) -> tuple[float, float] | None:
    """Return the central percentile interval of the defined values, or None if none is."""
    defined = values[~np.isnan(values)]
    if defined.size == 0:
        return None
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(defined, [tail, 100 - tail])
    return float(low), float(high)


def mcnemar_counts(
    baseline: Sequence[AnySampleRecord],
    candidate: Sequence[AnySampleRecord],
    threshold: float,
    metric: Metric,
) -> McNemarCounts:
    """Pair samples by key at t and count those that gained or lost the metric's property.

    For a rate over valid samples only pairs valid in both runs count. For "invalid" every
    pair counts. Raises ValueError for precision and score, which are no share of samples.
    """
    if metric not in BINARY_METRICS:
        raise ValueError(f"McNemar's test needs a share of samples, not {metric}")
    outcomes = BINARY_METRICS[metric]
    base = _by_key(baseline, threshold)
    cand = _by_key(candidate, threshold)

    pairs = having = gained = lost = 0
    for key in base.keys() & cand.keys():
        before, after = base[key].outcome, cand[key].outcome
        both_valid = _column(before) != NOT_VALID and _column(after) != NOT_VALID
        if metric != "invalid" and not both_valid:
            continue
        pairs += 1
        having += before in outcomes
        gained += before not in outcomes and after in outcomes
        lost += before in outcomes and after not in outcomes
    return McNemarCounts(pairs=pairs, baseline_having=having, gained=gained, lost=lost)


def mcnemar_p_value(toward: int, away: int, *, two_sided: bool = False) -> float:
    """Return the exact McNemar p-value for `toward` discordant pairs against `away`.

    One-sided, it tests whether changes toward one direction outnumber those away from it
    by more than chance (a binomial test with p = 1/2 on the discordant pairs). Source:
    Q. McNemar (1947), "Note on the sampling error of the difference between correlated
    proportions or percentages", Psychometrika 12, 153–157.
    """
    # Imported here: scipy.stats takes about half a second to import, and every probe
    # command would pay it through the CLI's imports, though only McNemar gates use it.
    from scipy.stats import binomtest

    if toward + away == 0:
        return 1.0

    if two_sided:
        return float(binomtest(toward, toward + away, 0.5, alternative="two-sided").pvalue)
    return float(binomtest(toward, toward + away, 0.5, alternative="greater").pvalue)


def _by_key(
    records: Sequence[AnySampleRecord], threshold: float
) -> dict[SampleKey, AnySampleRecord]:
    return {record.key: record for record in records if record.threshold == threshold}


def _column(outcome: Outcome) -> int:
    return COLUMNS.index(outcome) if outcome in COLUMNS else NOT_VALID


def _observed(metric: Metric, threshold: float, counts: IntArray) -> float | None:
    value = float(metric_values(metric, threshold, counts.sum(axis=0)))
    return None if np.isnan(value) else value


def _resample_weights(questions: int, draws: int, seed: int) -> IntArray:
    """Return a (draws × questions) matrix: how often each question is drawn in each resample."""
    generator = np.random.default_rng(seed)
    drawn = generator.integers(0, questions, size=(draws, questions), dtype=np.int64)
    flat = (drawn + np.arange(draws, dtype=np.int64)[:, None] * questions).ravel()
    return np.bincount(flat, minlength=draws * questions).reshape(draws, questions)

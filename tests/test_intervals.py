import numpy as np
import numpy.typing as npt
import pytest

from probe import intervals
from probe.intervals import (
    Estimate,
    bootstrap_ratio_interval,
    bootstrap_weights,
    clustered_proportion,
    proportion,
    resample_questions,
    resampled_sums,
    wilson_interval,
)

# Wilson interval


def test_wilson_z2_low() -> None:
    # 8/10 with z = 2: denominator 1 + 4/10 = 1.4, centre (0.8 + 0.2)/1.4 = 0.714286,
    # half width 2/1.4·√(0.16/10 + 4/400) = 1.428571·√0.026 = 0.230350, low = 0.483935
    interval = wilson_interval(8, 10, z=2)
    assert interval is not None
    assert interval[0] == pytest.approx(0.483935, abs=1e-6)


def test_wilson_z2_high() -> None:
    # 0.714286 + 0.230350 = 0.944636
    interval = wilson_interval(8, 10, z=2)
    assert interval is not None
    assert interval[1] == pytest.approx(0.944636, abs=1e-6)


def test_wilson_default_z_low() -> None:
    # 8/10 with z = 1.959964, z² = 3.841459: denominator 1.384146, centre 0.992073/1.384146
    # = 0.716740, half width 1.416010·√(0.016 + 0.009604) = 0.226578, low = 0.490162
    interval = wilson_interval(8, 10)
    assert interval is not None
    assert interval[0] == pytest.approx(0.490162, abs=1e-6)


def test_wilson_default_z_high() -> None:
    # 0.716740 + 0.226578 = 0.943318
    interval = wilson_interval(8, 10)
    assert interval is not None
    assert interval[1] == pytest.approx(0.943318, abs=1e-6)


def test_wilson_zero_successes_low() -> None:
    interval = wilson_interval(0, 10)
    assert interval is not None
    assert interval[0] == 0.0


def test_wilson_zero_successes_high() -> None:
    # z²/(n + z²) = 3.841459/13.841459 = 0.277533
    interval = wilson_interval(0, 10)
    assert interval is not None
    assert interval[1] == pytest.approx(0.277533, abs=1e-6)


def test_wilson_all_successes_low() -> None:
    # n/(n + z²) = 10/13.841459 = 0.722467
    interval = wilson_interval(10, 10)
    assert interval is not None
    assert interval[0] == pytest.approx(0.722467, abs=1e-6)


def test_wilson_all_successes_high() -> None:
    interval = wilson_interval(10, 10)
    assert interval is not None
    assert interval[1] == 1.0


def test_wilson_zero_n_none() -> None:
    assert wilson_interval(0, 0) is None


def test_wilson_successes_above_n_raises() -> None:
    with pytest.raises(ValueError, match="successes=3, n=2"):
        wilson_interval(3, 2)


def test_wilson_negative_successes_raises() -> None:
    with pytest.raises(ValueError, match="successes=-1"):
        wilson_interval(-1, 2)


def test_wilson_zero_z_raises() -> None:
    with pytest.raises(ValueError, match="z must be positive"):
        wilson_interval(1, 2, z=0)


# Proportion


def test_proportion_value() -> None:
    assert proportion(4, 5).value == 0.8


def test_proportion_low() -> None:
    # 4/5 with z = 1.959964: centre 1.184146/1.768292 = 0.669655, half width 0.294121,
    # low 0.669655 − 0.294121 = 0.375535
    assert proportion(4, 5).low == pytest.approx(0.375535, abs=1e-6)


def test_proportion_high() -> None:
    # 0.669655 + 0.294121 = 0.963776
    assert proportion(4, 5).high == pytest.approx(0.963776, abs=1e-6)


def test_proportion_n() -> None:
    assert proportion(4, 5).n == 5


def test_proportion_zero_n_undefined() -> None:
    assert proportion(0, 0) == Estimate(value=None, low=None, high=None, n=0)


# Bootstrap over questions


def test_bootstrap_same_seed_same_interval() -> None:
    numerator = [0, 1, 2, 3, 1]
    denominator = [3, 3, 3, 3, 2]
    first = bootstrap_ratio_interval(numerator, denominator, draws=200, seed=7)
    second = bootstrap_ratio_interval(numerator, denominator, draws=200, seed=7)
    assert first == second


def test_bootstrap_other_seed_other_interval() -> None:
    numerator = [0, 1, 2, 3, 1, 0, 2]
    denominator = [3, 3, 3, 3, 2, 1, 4]
    first = bootstrap_ratio_interval(numerator, denominator, draws=200, seed=7)
    second = bootstrap_ratio_interval(numerator, denominator, draws=200, seed=8)
    assert first != second


def test_bootstrap_one_question_degenerate() -> None:
    # Every resample is the one question: 3/4.
    assert bootstrap_ratio_interval([3], [4], draws=100, seed=0) == (0.75, 0.75)


def test_bootstrap_two_questions_low() -> None:
    # Ratios 0/2 and 2/2. A resample draws both from the first question with chance 1/4,
    # giving 0, which is more than the 2.5% tail, so the 2.5th percentile is 0.
    interval = bootstrap_ratio_interval([0, 2], [2, 2], draws=1000, seed=0)
    assert interval is not None
    assert interval[0] == 0.0


def test_bootstrap_two_questions_high() -> None:
    # Both from the second question (chance 1/4) give 2/2 = 1.
    interval = bootstrap_ratio_interval([0, 2], [2, 2], draws=1000, seed=0)
    assert interval is not None
    assert interval[1] == 1.0


def test_bootstrap_drops_zero_denominator() -> None:
    # The second question has no samples, so only 1/2 is resampled.
    assert bootstrap_ratio_interval([1, 0], [2, 0], draws=100, seed=0) == (0.5, 0.5)


def test_bootstrap_all_zero_denominator_none() -> None:
    assert bootstrap_ratio_interval([0, 0], [0, 0], draws=100, seed=0) is None


def test_bootstrap_empty_none() -> None:
    assert bootstrap_ratio_interval([], [], draws=100, seed=0) is None


def test_bootstrap_numerator_without_denominator_raises() -> None:
    with pytest.raises(ValueError, match="denominator 0 must have numerator 0"):
        bootstrap_ratio_interval([1], [0], draws=100, seed=0)


def test_bootstrap_negative_denominator_raises() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        bootstrap_ratio_interval([1], [-1], draws=100, seed=0)


def test_bootstrap_misaligned_raises() -> None:
    with pytest.raises(ValueError, match="numerator=2, denominator=1"):
        bootstrap_ratio_interval([1, 2], [3], draws=100, seed=0)


def test_bootstrap_zero_draws_raises() -> None:
    with pytest.raises(ValueError, match="draws must be at least 1"):
        bootstrap_ratio_interval([1], [1], draws=0, seed=0)


def test_bootstrap_level_one_raises() -> None:
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        bootstrap_ratio_interval([1], [1], draws=10, seed=0, level=1.0)


def test_bootstrap_large_one_index_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1,000 questions × 1,000 draws: the draws come from one index matrix, not a loop.
    shapes: list[tuple[int, ...]] = []
    resample = intervals.resample_questions

    def recording_resample(questions: int, draws: int, seed: int) -> npt.NDArray[np.int64]:
        rows = resample(questions, draws, seed)
        shapes.append(rows.shape)
        return rows

    monkeypatch.setattr(intervals, "resample_questions", recording_resample)
    bootstrap_weights.cache_clear()
    generator = np.random.default_rng(1)
    denominator = np.full(1000, 5)
    numerator = generator.integers(0, 6, size=1000)
    bootstrap_ratio_interval(numerator, denominator, draws=1000, seed=0)
    assert shapes == [(1000, 1000)]


def test_bootstrap_large_interval_contains_ratio() -> None:
    generator = np.random.default_rng(1)
    denominator = np.full(1000, 5)
    numerator = generator.integers(0, 6, size=1000)
    ratio = numerator.sum() / denominator.sum()
    interval = bootstrap_ratio_interval(numerator, denominator, draws=1000, seed=0)
    assert interval is not None
    assert interval[0] < ratio < interval[1]


# Bootstrap weights


def test_bootstrap_weights_match_resampled_rows() -> None:
    rows = resample_questions(4, 50, seed=3)
    weights = bootstrap_weights(4, 50, seed=3)
    for draw in range(50):
        assert list(weights[draw]) == list(np.bincount(rows[draw], minlength=4)), draw


def test_bootstrap_weights_rows_sum_to_questions() -> None:
    weights = bootstrap_weights(7, 20, seed=0)
    assert set(weights.sum(axis=1)) == {7.0}


def test_bootstrap_weights_match_rows_across_blocks() -> None:
    # 250 draws span three blocks of counting.
    rows = resample_questions(5, 250, seed=4)
    weights = bootstrap_weights(5, 250, seed=4)
    expected = np.array([np.bincount(row, minlength=5) for row in rows], dtype=np.float64)
    assert np.array_equal(weights, expected)


def test_bootstrap_weights_are_read_only() -> None:
    weights = bootstrap_weights(6, 10, seed=2)
    with pytest.raises(ValueError, match="read-only"):
        weights[0, 0] = 99.0
    assert bootstrap_weights(6, 10, seed=2)[0, 0] != 99.0


def test_resampled_sums_equal_indexed_sums() -> None:
    generator = np.random.default_rng(5)
    counts = generator.integers(0, 6, size=(300, 3)).astype(np.float64)
    rows = resample_questions(300, 400, seed=9)
    sums = resampled_sums(counts, 400, seed=9)
    for column in range(3):
        assert np.array_equal(sums[:, column], counts[:, column][rows].sum(axis=1)), column


def test_resampled_sums_of_fractions_agree_closely() -> None:
    values = np.random.default_rng(6).random(500) * 7 - 3
    rows = resample_questions(500, 200, seed=1)
    sums = resampled_sums(values, 200, seed=1)
    assert np.allclose(sums, values[rows].sum(axis=1), rtol=0, atol=1e-12)


def test_bootstrap_ratio_interval_unchanged_by_weights() -> None:
    # The interval of the indexed resamples, as computed before the weights were used.
    generator = np.random.default_rng(8)
    trials = generator.integers(1, 6, size=400).astype(np.float64)
    successes = np.floor(trials * generator.random(400))
    rows = resample_questions(400, 300, seed=2)
    ratios = successes[rows].sum(axis=1) / trials[rows].sum(axis=1)
    expected = intervals.percentile_interval(ratios, 0.95)
    assert bootstrap_ratio_interval(successes, trials, draws=300, seed=2) == expected


# Proportion with clustering by question

# Per question: successes of trials. (3 of 4), (2 of 4), (0 of 2): R = 5/10 = 0.5.
# Residuals successes − R·trials: 1, 0, −1, so v = 3/2 · 2/10² = 0.03 and
# n_eff = 0.5·0.5/0.03 = 8.333, below N = 10.
SPREAD = clustered_proportion([3, 2, 0], [4, 4, 2])


def test_clustered_value() -> None:
    assert SPREAD.value == 0.5


def test_clustered_n_is_pooled() -> None:
    assert SPREAD.n == 10


def test_clustered_low() -> None:
    # Wilson for p = 0.5 over n = 25/3: centre 0.5, half width 1.959964/1.460985 ·
    # √(0.03 + 0.013830) = 0.280859, low 0.219142
    assert SPREAD.low == pytest.approx(0.219142, abs=1e-6)


def test_clustered_high() -> None:
    assert SPREAD.high == pytest.approx(0.780858, abs=1e-6)


def test_clustered_wider_than_pooled_wilson() -> None:
    pooled = wilson_interval(5, 10)
    assert pooled is not None
    assert SPREAD.low is not None
    assert SPREAD.high is not None
    assert SPREAD.high - SPREAD.low > pooled[1] - pooled[0]


def test_clustered_never_narrower_than_pooled() -> None:
    # Every question has the same share 1/2, so v = 0 and n_eff is capped at N = 8.
    estimate = clustered_proportion([1, 1, 1, 1], [2, 2, 2, 2])
    assert (estimate.low, estimate.high) == wilson_interval(4, 8)


def test_clustered_all_successes_uses_questions() -> None:
    # R = 1 tells nothing about the spread between questions: n_eff = 3 questions.
    estimate = clustered_proportion([5, 5, 5], [5, 5, 5])
    assert (estimate.low, estimate.high) == wilson_interval(3, 3)


def test_clustered_no_successes_uses_questions() -> None:
    estimate = clustered_proportion([0, 0], [5, 5])
    assert (estimate.low, estimate.high) == wilson_interval(0, 2)


def test_clustered_one_question_uses_one() -> None:
    # One question: n_eff = 1, so the interval is Wilson's for 0.4 over one trial.
    estimate = clustered_proportion([2, 0], [5, 0])
    assert estimate.low == pytest.approx(intervals._wilson_bounds(0.4, 1, intervals.Z_95)[0])


def test_clustered_k1_matches_wilson() -> None:
    # One trial per question: Σ residuals² = m·R(1 − R), so v = R(1 − R)/(m − 1) and
    # n_eff = m − 1 = 3. The small-sample factor m/(m − 1) costs one trial.
    estimate = clustered_proportion([1, 0, 1, 0], [1, 1, 1, 1])
    assert estimate.low == pytest.approx(intervals._wilson_bounds(0.5, 3, intervals.Z_95)[0])


def test_clustered_no_trials_undefined() -> None:
    assert clustered_proportion([0, 0], [0, 0]) == Estimate(None, None, None, 0)


def test_clustered_empty_undefined() -> None:
    assert clustered_proportion([], []) == Estimate(None, None, None, 0)


def test_clustered_more_successes_raises() -> None:
    with pytest.raises(ValueError, match="more successes than trials"):
        clustered_proportion([3], [2])


def test_clustered_misaligned_raises() -> None:
    with pytest.raises(ValueError, match="successes=2, trials=1"):
        clustered_proportion([1, 1], [2])

import numpy as np
import pytest

from probe import metrics
from probe.intervals import percentile_interval, resample_questions
from probe.metrics import (
    Estimate,
    clustered_proportion,
    coverage_at_target_precision,
    format_penalty,
    is_monotone_decreasing,
    oracle_score,
    over_abstain_rate,
    over_answer_rate,
    penalty,
    rate_drop,
    regret,
    threshold_rates,
)

# Penalty


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [(0.0, 0.0), (0.5, 1.0), (0.6, 1.5), (0.75, 3.0), (0.9, 9.0), (0.95, 19.0)],
)
def test_penalty_table(threshold: float, expected: float) -> None:
    assert penalty(threshold) == expected


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        (0.0, "0"),
        (0.5, "1"),
        (0.6, "1.5"),
        (0.7, "2.33"),
        (0.75, "3"),
        (0.9, "9"),
        (0.95, "19"),
        (0.25, "0.33"),
    ],
)
def test_format_penalty_table(threshold: float, expected: str) -> None:
    assert format_penalty(threshold) == expected


@pytest.mark.parametrize("threshold", [1.0, 1.5, -0.1, float("nan")])
def test_penalty_outside_range_raises(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold must be at least 0 and below 1"):
        penalty(threshold)


def test_penalty_error_names_value() -> None:
    with pytest.raises(ValueError, match=r"got 1\.0"):
        penalty(1.0)


def test_format_penalty_outside_range_raises() -> None:
    with pytest.raises(ValueError, match="threshold must be at least 0 and below 1"):
        format_penalty(1.0)


# Rates at one threshold

# t = 0.75, penalty 3. Per question (correct, incorrect, abstained):
# (3, 0, 1), (1, 1, 2), (0, 0, 2). Totals: correct 4, incorrect 1, abstained 5, valid 10.
RATES = threshold_rates(0.75, [3, 1, 0], [0, 1, 0], [1, 2, 2])


def test_rates_counts() -> None:
    assert (RATES.valid, RATES.answered, RATES.correct, RATES.incorrect, RATES.abstained) == (
        10,
        5,
        4,
        1,
        5,
    )


def test_rates_questions() -> None:
    assert RATES.questions == 3


def test_rates_coverage() -> None:
    # 5/10
    assert RATES.coverage.value == 0.5


def test_rates_accuracy() -> None:
    # 4/10
    assert RATES.accuracy.value == 0.4


def test_rates_error() -> None:
    # 1/10
    assert RATES.error.value == 0.1


def test_rates_abstention() -> None:
    # 5/10
    assert RATES.abstention.value == 0.5


def test_rates_precision() -> None:
    # 4/5
    assert RATES.precision.value == 0.8


def test_rates_precision_n() -> None:
    assert RATES.precision.n == 5


def test_rates_coverage_interval() -> None:
    # Answered of valid per question: 3 of 4, 2 of 4, 0 of 2, so the interval accounts for
    # the spread between questions.
    expected = clustered_proportion([3, 2, 0], [4, 4, 2])
    assert (RATES.coverage.low, RATES.coverage.high) == (expected.low, expected.high)


def test_rates_score() -> None:
    # 0.4 − 3·0.1 = 0.1
    assert RATES.score.value == pytest.approx(0.1)


def test_rates_score_n() -> None:
    assert RATES.score.n == 10


def test_rates_score_interval_low() -> None:
    # The worst resample is question 2 three times: (3 − 3·3)/12 = −0.5.
    assert RATES.score.low is not None
    assert RATES.score.low >= -0.5


def test_rates_score_interval_high() -> None:
    # The best resample is question 1 three times: 9/12 = 0.75.
    assert RATES.score.high is not None
    assert RATES.score.high <= 0.75


def test_rates_precision_gap() -> None:
    # 0.8 − 0.75
    assert RATES.precision_gap.value == pytest.approx(0.05)


# Precision: correct of answered per question 3 of 3 and 1 of 2 (the third answered none).
# R = 0.8, residuals 3 − 2.4 = 0.6 and 1 − 1.6 = −0.6, v = 2/1 · 0.72/5² = 0.0576 and
# n_eff = 0.16/0.0576 = 2.778. Wilson over 2.778 trials: low 0.274943, high 0.976849.


def test_rates_precision_gap_low() -> None:
    assert RATES.precision_gap.low == pytest.approx(0.274943 - 0.75, abs=1e-6)


def test_rates_precision_gap_high() -> None:
    assert RATES.precision_gap.high == pytest.approx(0.976849 - 0.75, abs=1e-6)


def test_rates_no_violation() -> None:
    # The precision interval reaches 0.976849 ≥ 0.75.
    assert RATES.violation is False


def test_rates_violation() -> None:
    # t = 0.9, two questions each with 1 correct of 5 answered. No spread between questions,
    # so n_eff = N = 10 and the Wilson high for 2/10 is 0.509838 < 0.9.
    rates = threshold_rates(0.9, [1, 1], [4, 4], [0, 0])
    assert rates.violation is True


def test_rates_one_question_no_violation() -> None:
    # 5 correct of 10 on one question. Pooled Wilson would reach only 0.763 < 0.9, but one
    # question says little about the next, so n_eff = 1 and the interval reaches 0.945.
    rates = threshold_rates(0.9, [5], [5], [0])
    assert rates.violation is False


def test_rates_score_reproducible() -> None:
    first = threshold_rates(0.5, [3, 1, 0, 2], [0, 2, 3, 1], [1, 1, 1, 1], seed=3)
    second = threshold_rates(0.5, [3, 1, 0, 2], [0, 2, 3, 1], [1, 1, 1, 1], seed=3)
    assert first.score == second.score


def test_rates_score_seed_changes_interval() -> None:
    first = threshold_rates(0.5, [3, 1, 0, 2, 4], [0, 2, 3, 1, 0], [1, 1, 1, 1, 0], seed=3)
    second = threshold_rates(0.5, [3, 1, 0, 2, 4], [0, 2, 3, 1, 0], [1, 1, 1, 1, 0], seed=4)
    assert first.score != second.score


# No answered samples: every valid sample abstained.
ABSTAINING = threshold_rates(0.5, [0, 0], [0, 0], [3, 2])


def test_no_answers_precision_none() -> None:
    assert ABSTAINING.precision.value is None


def test_no_answers_precision_n() -> None:
    assert ABSTAINING.precision.n == 0


def test_no_answers_precision_gap_none() -> None:
    assert ABSTAINING.precision_gap.value is None


def test_no_answers_violation_none() -> None:
    assert ABSTAINING.violation is None


def test_no_answers_coverage_zero() -> None:
    assert ABSTAINING.coverage.value == 0.0


def test_no_answers_score_zero() -> None:
    assert ABSTAINING.score.value == 0.0


# All 10 samples correct.
ALL_CORRECT = threshold_rates(0.9, [5, 5], [0, 0], [0, 0])


def test_all_correct_precision() -> None:
    assert ALL_CORRECT.precision.value == 1.0


def test_all_correct_no_violation() -> None:
    assert ALL_CORRECT.violation is False


def test_all_correct_error_zero() -> None:
    assert ALL_CORRECT.error.value == 0.0


def test_all_correct_score_interval() -> None:
    # Every question scores 5/5, so every resample scores 1.
    assert (ALL_CORRECT.score.low, ALL_CORRECT.score.high) == (1.0, 1.0)


# k = 1 at t = 0.5: one correct, one incorrect, one abstained question.
ONE_SAMPLE = threshold_rates(0.5, [1, 0, 0], [0, 1, 0], [0, 0, 1])


def test_k1_coverage() -> None:
    # 2/3
    assert ONE_SAMPLE.coverage.value == pytest.approx(2 / 3)


def test_k1_score() -> None:
    # (1 − 1·1)/3 = 0
    assert ONE_SAMPLE.score.value == 0.0


def test_k1_precision() -> None:
    # 1/2
    assert ONE_SAMPLE.precision.value == 0.5


# The second question had only errors, so it has no valid samples at t.
WITH_ERRORED_QUESTION = threshold_rates(0.5, [2, 0], [0, 0], [0, 0])


def test_errored_question_not_counted() -> None:
    assert WITH_ERRORED_QUESTION.questions == 1


def test_errored_question_score_interval() -> None:
    # Only the first question (score 2/2 = 1) is resampled.
    assert (WITH_ERRORED_QUESTION.score.low, WITH_ERRORED_QUESTION.score.high) == (1.0, 1.0)


def test_rates_no_questions_score_undefined() -> None:
    rates = threshold_rates(0.5, [], [], [])
    assert rates.score == Estimate(value=None, low=None, high=None, n=0)


def test_rates_no_questions_coverage_undefined() -> None:
    rates = threshold_rates(0.5, [], [], [])
    assert rates.coverage.value is None


def test_rates_threshold_one_raises() -> None:
    with pytest.raises(ValueError, match="threshold must be at least 0 and below 1"):
        threshold_rates(1.0, [1], [0], [0])


def test_rates_negative_count_raises() -> None:
    with pytest.raises(ValueError, match="incorrect must contain whole counts"):
        threshold_rates(0.5, [1], [-1], [0])


def test_rates_fractional_count_raises() -> None:
    with pytest.raises(ValueError, match="correct must contain whole counts"):
        threshold_rates(0.5, [1.5], [0], [0])


def test_rates_misaligned_raises() -> None:
    with pytest.raises(ValueError, match="correct=2, incorrect=1, abstained=2"):
        threshold_rates(0.5, [1, 1], [0], [0, 0])


def test_rates_two_dimensional_raises() -> None:
    with pytest.raises(ValueError, match="got shape"):
        threshold_rates(0.5, [[1]], [[0]], [[0]])


# Over-answer and over-abstain rates

# t = 0.6. Per question: c_q, answered, abstained, valid.
#   c 0.4: 3 answered, 2 abstained, 5 valid
#   c 3/5: 4 answered, 1 abstained, 5 valid (c_q = t counts as c_q ≥ t)
#   c 1.0: 5 answered, 0 abstained, 5 valid
#   c 0.2: 0 answered, 4 abstained, 4 valid
CONFIDENCE = [0.4, 3 / 5, 1.0, 0.2]
ANSWERED = [3, 4, 5, 0]
ABSTAINED = [2, 1, 0, 4]
VALID = [5, 5, 5, 4]


def test_over_answer_value() -> None:
    # c_q < 0.6 on the first and last question: (3 + 0)/(5 + 4) = 1/3
    assert over_answer_rate(ANSWERED, VALID, CONFIDENCE, 0.6).value == pytest.approx(1 / 3)


def test_over_answer_n() -> None:
    assert over_answer_rate(ANSWERED, VALID, CONFIDENCE, 0.6).n == 9


def test_over_answer_interval() -> None:
    estimate = over_answer_rate(ANSWERED, VALID, CONFIDENCE, 0.6)
    # The questions with c_q < 0.6 answered 3 of 5 and 0 of 4.
    expected = clustered_proportion([3, 0], [5, 4])
    assert (estimate.low, estimate.high) == (expected.low, expected.high)


def test_over_abstain_value() -> None:
    # c_q ≥ 0.6 on the second and third question: (1 + 0)/(5 + 5) = 0.1
    assert over_abstain_rate(ABSTAINED, VALID, CONFIDENCE, 0.6).value == pytest.approx(0.1)


def test_over_abstain_n() -> None:
    assert over_abstain_rate(ABSTAINED, VALID, CONFIDENCE, 0.6).n == 10


def test_over_answer_t0_undefined() -> None:
    # No question has c_q < 0.
    assert over_answer_rate(ANSWERED, VALID, CONFIDENCE, 0.0).value is None


def test_over_abstain_above_all_undefined() -> None:
    # No question is selected when every c_q < t. The values 0.1 and 0.2 stand below 0.5.
    assert over_abstain_rate([1, 1], [2, 2], [0.1, 0.2], 0.5).value is None


def test_over_abstain_more_than_valid_raises() -> None:
    with pytest.raises(ValueError, match="more answered or abstained samples than valid"):
        over_abstain_rate([3], [2], [1.0], 0.5)


def test_over_answer_confidence_above_one_raises() -> None:
    with pytest.raises(ValueError, match="confidence must contain values between 0 and 1"):
        over_answer_rate([1], [2], [1.5], 0.5)


def test_over_answer_threshold_one_raises() -> None:
    with pytest.raises(ValueError, match="threshold must be at least 0 and below 1"):
        over_answer_rate([1], [2], [0.5], 1.0)


# The consistency oracle

# Per question: c_q and y_q.
#   c 0.8, y true
#   c 0.6, y false
#   c 0.4, y true
#   c 1.0, y unknown (left out)
#   c 0.0, y false (only abstentions, so no modal answer)
ORACLE_CONFIDENCE = [0.8, 0.6, 0.4, 1.0, 0.0]
ORACLE_CORRECT: list[bool | None] = [True, False, True, None, False]


def test_oracle_t05() -> None:
    # Penalty 1: +1 − 1 + 0 + 0 over 4 known questions = 0
    assert oracle_score(ORACLE_CONFIDENCE, ORACLE_CORRECT, 0.5).value == 0.0


def test_oracle_n_counts_known() -> None:
    assert oracle_score(ORACLE_CONFIDENCE, ORACLE_CORRECT, 0.5).n == 4


def test_oracle_t075() -> None:
    # Penalty 3, but only the first question has c_q ≥ 0.75: (+1 + 0 + 0 + 0)/4 = 0.25
    assert oracle_score(ORACLE_CONFIDENCE, ORACLE_CORRECT, 0.75).value == 0.25


def test_oracle_boundary_answers() -> None:
    # t = 0.6, penalty 1.5: the second question has c_q = t and answers.
    # (+1 − 1.5 + 0 + 0)/4 = −0.125
    assert oracle_score(ORACLE_CONFIDENCE, ORACLE_CORRECT, 0.6).value == -0.125


def test_oracle_t0() -> None:
    # Penalty 0: +1 + 0 + 1 + 0 over 4 known questions = 0.5
    assert oracle_score(ORACLE_CONFIDENCE, ORACLE_CORRECT, 0.0).value == 0.5


def test_oracle_zero_confidence_abstains() -> None:
    # c_q = 0 means there is no modal answer, so the oracle abstains at t = 0 even when y_q
    # is given as true: (0 + 1)/2 = 0.5
    assert oracle_score([0.0, 1.0], [True, True], 0.0).value == 0.5


def test_oracle_interval_bounds_low() -> None:
    # Per-question points at t = 0.5 are 1, −1, 0, 0, so no resample mean is below −1.
    estimate = oracle_score(ORACLE_CONFIDENCE, ORACLE_CORRECT, 0.5)
    assert estimate.low is not None
    assert estimate.low >= -1.0


def test_oracle_interval_bounds_high() -> None:
    estimate = oracle_score(ORACLE_CONFIDENCE, ORACLE_CORRECT, 0.5)
    assert estimate.high is not None
    assert estimate.high <= 1.0


def test_oracle_no_known_undefined() -> None:
    assert oracle_score([0.8, 0.2], [None, None], 0.5) == Estimate(
        value=None, low=None, high=None, n=0
    )


def test_oracle_numpy_bools() -> None:
    # y_q given as a numpy bool array gives the same result as Python bools.
    correct = list(np.array([True, False]))
    assert oracle_score([0.8, 0.6], correct, 0.5).value == 0.0


def test_oracle_misaligned_raises() -> None:
    with pytest.raises(ValueError, match="confidence=2, modal_correct=1"):
        oracle_score([0.8, 0.6], [True], 0.5)


# Regret

# t = 0.5, penalty 1. Per question: (correct, incorrect, abstained), c_q, y_q.
#   Q1: (2, 0, 1), c 0.8, y true   → oracle answers: +1
#   Q2: (0, 2, 0), c 0.4, y false  → oracle abstains: 0
#   Q3: (3, 0, 0), c 1.0, y unknown → left out
#   Q4: (0, 0, 0), c 0.8, y true   → no valid samples at t, left out
# Oracle mean over Q1, Q2: 0.5. Actual pooled over Q1, Q2: (2 − 2)/5 = 0. Regret 0.5.
REGRET = regret(
    0.5,
    [2, 0, 3, 0],
    [0, 2, 0, 0],
    [1, 0, 0, 0],
    [0.8, 0.4, 1.0, 0.8],
    [True, False, None, True],
)


def test_regret_value() -> None:
    assert REGRET.value == pytest.approx(0.5)


def test_regret_n() -> None:
    assert REGRET.n == 2


def test_regret_paired_low() -> None:
    # {Q1, Q1} gives 1 − 4/6 = 1/3, {Q1, Q2} gives 0.5 and {Q2, Q2} gives 0 − (−4/4) = 1.
    # {Q1, Q1} has chance 1/4, so the 2.5th percentile is 1/3. An unpaired bootstrap could
    # pair oracle 0 with actual 2/3 and reach −2/3.
    assert REGRET.low == pytest.approx(1 / 3)


def test_regret_paired_high() -> None:
    # {Q2, Q2} has chance 1/4, so the 97.5th percentile is 1.
    assert REGRET.high == pytest.approx(1.0)


def test_regret_same_seed_same_interval() -> None:
    arguments = ([2, 0, 1], [0, 2, 1], [1, 0, 1], [0.8, 0.4, 0.6], [True, False, True])
    assert regret(0.5, *arguments, seed=5) == regret(0.5, *arguments, seed=5)


def test_regret_interval_equals_indexed_draws() -> None:
    # Whole-number points (penalty 3 at t = 0.75) make the weighted sums exact, so the
    # interval matches the one from indexing the resampled questions, to the bit.
    generator = np.random.default_rng(4)
    counts = generator.integers(0, 4, size=(300, 3))
    confidence = generator.integers(0, 6, size=300) / 5
    known = [bool(value) for value in generator.integers(0, 2, size=300)]
    estimate = regret(0.75, *counts.T, confidence, known, draws=400, seed=6)

    oracle = np.where(confidence >= 0.75, np.where(known, 1.0, -3.0), 0.0)
    oracle[confidence == 0] = 0.0
    used = counts.sum(axis=1) > 0
    actual = (counts[:, 0] - 3 * counts[:, 1])[used].astype(float)
    valid = counts.sum(axis=1)[used].astype(float)
    rows = resample_questions(int(used.sum()), 400, seed=6)
    draws = oracle[used][rows].mean(axis=1) - actual[rows].sum(axis=1) / valid[rows].sum(axis=1)
    assert (estimate.low, estimate.high) == percentile_interval(draws, 0.95)


def test_regret_no_known_undefined() -> None:
    estimate = regret(0.5, [1], [0], [0], [1.0], [None])
    assert estimate == Estimate(value=None, low=None, high=None, n=0)


def test_regret_threshold_one_raises() -> None:
    with pytest.raises(ValueError, match="threshold must be at least 0 and below 1"):
        regret(1.0, [1], [0], [0], [1.0], [True])


# Responsiveness


def point(low: float, value: float, high: float) -> Estimate:
    return Estimate(value=value, low=low, high=high, n=10)


def test_monotone_falling_curve() -> None:
    curve = [point(0.8, 0.85, 0.9), point(0.5, 0.6, 0.7), point(0.2, 0.3, 0.4)]
    assert is_monotone_decreasing(curve) is True


def test_monotone_rise_within_intervals() -> None:
    # The second value rises, but its interval starts at 0.55 ≤ 0.7.
    curve = [point(0.5, 0.6, 0.7), point(0.55, 0.65, 0.75)]
    assert is_monotone_decreasing(curve) is True


def test_monotone_rise_beyond_intervals() -> None:
    # 0.4 > 0.3: the second interval lies entirely above the first.
    curve = [point(0.2, 0.25, 0.3), point(0.4, 0.45, 0.5)]
    assert is_monotone_decreasing(curve) is False


def test_monotone_non_adjacent_rise() -> None:
    # Neighbours overlap, but the third interval (from 0.25) lies above the first (to 0.2).
    curve = [point(0.1, 0.15, 0.2), point(0.15, 0.3, 0.5), point(0.25, 0.4, 0.6)]
    assert is_monotone_decreasing(curve) is False


def test_monotone_skips_undefined() -> None:
    undefined = Estimate(value=None, low=None, high=None, n=0)
    curve = [point(0.5, 0.6, 0.7), undefined, point(0.2, 0.3, 0.4)]
    assert is_monotone_decreasing(curve) is True


def test_monotone_one_defined_point_none() -> None:
    undefined = Estimate(value=None, low=None, high=None, n=0)
    assert is_monotone_decreasing([point(0.5, 0.6, 0.7), undefined]) is None


def test_monotone_empty_none() -> None:
    assert is_monotone_decreasing([]) is None


# Threshold response: the drop of a rate from the lowest to the highest t


def test_rate_drop_value() -> None:
    # Coverage 8/10 at the first condition and 2/10 at the last: drop 0.6.
    drop = rate_drop([5, 3], [5, 5], [2, 0], [5, 5])
    assert drop.value == pytest.approx(0.6)


def test_rate_drop_n_counts_questions() -> None:
    assert rate_drop([5, 3], [5, 5], [2, 0], [5, 5]).n == 2


def test_rate_drop_paired_low() -> None:
    # Draws of {Q1, Q1}: 1 − 0.4 = 0.6; {Q1, Q2}: 0.6; {Q2, Q2}: 0.6 − 0 = 0.6. Pairing keeps
    # every draw at 0.6, where unpaired draws would spread from 0.2 to 1.
    drop = rate_drop([5, 3], [5, 5], [2, 0], [5, 5])
    assert drop.low == pytest.approx(0.6)


def test_rate_drop_flat_interval_contains_zero() -> None:
    # The same share at both ends on every question, with spread between questions.
    drop = rate_drop([4, 1, 3, 2], [5, 5, 5, 5], [4, 1, 3, 2], [5, 5, 5, 5])
    assert (drop.low, drop.high) == (0.0, 0.0)


def test_rate_drop_skips_questions_missing_a_condition() -> None:
    # The second question has no valid sample at the last condition.
    assert rate_drop([5, 5], [5, 5], [0, 0], [5, 0]).n == 1


def test_rate_drop_no_shared_question_undefined() -> None:
    assert rate_drop([1], [5], [0], [0]) == Estimate(value=None, low=None, high=None, n=0)


# Coverage at target precision

# Operating points (t, coverage, precision [low, high]):
#   t 0:    coverage 0.9, precision 0.60 [0.50, 0.70]
#   t 0.5:  coverage 0.7, precision 0.80 [0.70, 0.88]
#   t 0.75: coverage 0.4, precision 0.92 [0.80, 0.97]
#   t 0.9:  coverage 0.0, precision undefined
OPERATING_THRESHOLDS = [0.0, 0.5, 0.75, 0.9]
OPERATING_COVERAGE = [
    point(0.85, 0.9, 0.95),
    point(0.6, 0.7, 0.8),
    point(0.3, 0.4, 0.5),
    Estimate(0.0, 0.0, 0.1, 10),
]
OPERATING_PRECISION = [
    point(0.5, 0.6, 0.7),
    point(0.7, 0.8, 0.88),
    point(0.8, 0.92, 0.97),
    Estimate(None, None, None, 0),
]


def target_coverage(target: float) -> metrics.TargetCoverage:
    return coverage_at_target_precision(
        target, OPERATING_THRESHOLDS, OPERATING_COVERAGE, OPERATING_PRECISION
    )


def test_target_coverage_picks_largest_meeting() -> None:
    # Precision 0.8 ≥ 0.75 at t = 0.5 with coverage 0.7, more than 0.4 at t = 0.75.
    assert target_coverage(0.75).coverage.value == 0.7


def test_target_coverage_names_condition() -> None:
    assert target_coverage(0.75).condition == 0.5


def test_target_coverage_boundary_counts() -> None:
    # Precision exactly 0.8 meets a target of 0.8.
    assert target_coverage(0.8).condition == 0.5


def test_target_coverage_conservative() -> None:
    # Only t = 0.75 has a precision low end (0.8) that reaches 0.75.
    assert target_coverage(0.75).conservative_condition == 0.75


def test_target_coverage_conservative_value() -> None:
    assert target_coverage(0.75).conservative_coverage.value == 0.4


def test_target_coverage_unreached_undefined() -> None:
    assert target_coverage(0.95).coverage == Estimate(None, None, None, 0)


def test_target_coverage_unreached_condition_none() -> None:
    assert target_coverage(0.95).condition is None


def test_target_coverage_misaligned_raises() -> None:
    with pytest.raises(ValueError, match="lengths 2, 1 and 1"):
        coverage_at_target_precision(0.5, [0.0, 0.5], [point(0, 0.5, 1)], [point(0, 0.5, 1)])

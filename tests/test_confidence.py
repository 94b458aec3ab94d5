import itertools

import numpy as np
import pytest

from probe import confidence
from probe.confidence import (
    aurc,
    auroc,
    brier_decomposition,
    brier_score,
    confidence_quality,
    coverage_at_precision,
    expected_calibration_error,
    reliability_diagram,
    risk_coverage_curve,
)
from probe.intervals import UNDEFINED, bootstrap_weights, wilson_interval

# Six questions, k = 5: c_q and y_q.
#   1.0 correct, 1.0 correct, 1.0 wrong, 0.6 correct, 0.6 wrong, 0.2 wrong
CONFIDENCE = [1.0, 1.0, 1.0, 0.6, 0.6, 0.2]
CORRECT = [1, 1, 0, 1, 0, 0]


# ECE and the reliability diagram


def test_ece_hand_computed() -> None:
    # Bins by value: 1.0 contains 3 with accuracy 2/3, 0.6 contains 2 with 1/2 and 0.2
    # contains 1 with 0.
    # (3/6)·(1/3) + (2/6)·0.1 + (1/6)·0.2 = 1/6 + 1/30 + 1/30 = 7/30
    assert expected_calibration_error(CONFIDENCE, CORRECT) == pytest.approx(7 / 30)


def test_ece_equal_width_bins() -> None:
    # Two bins: [0, 0.5) contains 0.2 (wrong), [0.5, 1] contains the other five with mean
    # confidence 4.2/5 = 0.84 and accuracy 3/5: (1/6)·0.2 + (5/6)·0.24 = 0.233333
    assert expected_calibration_error(CONFIDENCE, CORRECT, bins=2) == pytest.approx(0.7 / 3)


def test_ece_perfect_forecast_zero() -> None:
    assert expected_calibration_error([1.0, 1.0, 0.0], [1, 1, 0]) == 0.0


def test_ece_no_questions_none() -> None:
    assert expected_calibration_error([], []) is None


def test_reliability_diagram_bins() -> None:
    bins = reliability_diagram(CONFIDENCE, CORRECT)
    assert [(item.low, item.questions) for item in bins] == [(0.2, 1), (0.6, 2), (1.0, 3)]


def test_reliability_diagram_accuracy_wilson() -> None:
    top = reliability_diagram(CONFIDENCE, CORRECT)[-1]
    assert (top.accuracy.low, top.accuracy.high) == wilson_interval(2, 3)


def test_reliability_diagram_width_bins_edges() -> None:
    bins = reliability_diagram(CONFIDENCE, CORRECT, bins=2)
    assert [(item.low, item.high, item.questions) for item in bins] == [
        (0.0, 0.5, 1),
        (0.5, 1.0, 5),
    ]


def test_reliability_diagram_width_bins_mean() -> None:
    assert reliability_diagram(CONFIDENCE, CORRECT, bins=2)[1].mean_confidence == pytest.approx(
        0.84
    )


def test_reliability_diagram_top_edge_in_last_bin() -> None:
    # Confidence 1.0 belongs to the last bin [0.9, 1.0], not to an eleventh.
    bins = reliability_diagram([1.0], [1], bins=10)
    assert (bins[0].low, bins[0].high) == (0.9, 1.0)


def test_bins_zero_raises() -> None:
    with pytest.raises(ValueError, match="bins must be at least 1"):
        expected_calibration_error([0.5], [1], bins=0)


# Brier score


def test_brier_hand_computed() -> None:
    # (0 + 0 + 1 + 0.16 + 0.36 + 0.04) / 6 = 0.26
    assert brier_score(CONFIDENCE, CORRECT) == pytest.approx(0.26)


def test_brier_reliability() -> None:
    # (3/6)·(1/3)² + (2/6)·0.1² + (1/6)·0.2² = 0.055556 + 0.003333 + 0.006667
    split = brier_decomposition(CONFIDENCE, CORRECT)
    assert split is not None
    assert split.reliability == pytest.approx(0.065556, abs=1e-6)


def test_brier_resolution() -> None:
    # Base rate 1/2: (3/6)·(2/3 − 1/2)² + (2/6)·0 + (1/6)·(0 − 1/2)² = 0.013889 + 0.041667
    split = brier_decomposition(CONFIDENCE, CORRECT)
    assert split is not None
    assert split.resolution == pytest.approx(0.055556, abs=1e-6)


def test_brier_uncertainty() -> None:
    split = brier_decomposition(CONFIDENCE, CORRECT)
    assert split is not None
    assert split.uncertainty == 0.25


def test_brier_split_adds_up_per_value() -> None:
    generator = np.random.default_rng(4)
    values = generator.integers(0, 6, size=40) / 5
    outcomes = generator.integers(0, 2, size=40)
    split = brier_decomposition(values, outcomes)
    assert split is not None
    total = split.reliability - split.resolution + split.uncertainty
    assert total == pytest.approx(brier_score(values, outcomes))


def test_brier_no_questions_none() -> None:
    assert brier_decomposition([], []) is None


# AUROC


def test_auroc_hand_computed() -> None:
    # Correct 1.0, 1.0, 0.6 against wrong 1.0, 0.6, 0.2: each 1.0 wins 0.5 + 1 + 1, the 0.6
    # wins 0 + 0.5 + 1, so (2.5 + 2.5 + 1.5)/9 = 6.5/9
    assert auroc(CONFIDENCE, CORRECT) == pytest.approx(6.5 / 9)


def test_auroc_all_tied_half() -> None:
    assert auroc([0.4, 0.4, 0.4], [1, 0, 1]) == 0.5


def test_auroc_matches_pair_count() -> None:
    generator = np.random.default_rng(9)
    values = generator.integers(0, 4, size=30) / 3
    outcomes = generator.integers(0, 2, size=30)
    right = values[outcomes == 1]
    wrong = values[outcomes == 0]
    wins = 0.0
    for high in right:
        wins += np.sum(high > wrong) + 0.5 * np.sum(high == wrong)
    assert auroc(values, outcomes) == pytest.approx(wins / (len(right) * len(wrong)))


def test_auroc_all_correct_none() -> None:
    assert auroc([0.2, 0.8], [1, 1]) is None


def test_auroc_all_wrong_none() -> None:
    assert auroc([0.2, 0.8], [0, 0]) is None


# Risk–coverage and AURC


def test_risk_coverage_points() -> None:
    # 1.0: 3 answered, 1 wrong; down to 0.6: 5 answered, 2 wrong; to 0.2: 6, 3 wrong.
    points = risk_coverage_curve(CONFIDENCE, CORRECT)
    assert [(p.confidence, p.answered) for p in points] == [(1.0, 3), (0.6, 5), (0.2, 6)]
    assert [p.coverage for p in points] == pytest.approx([0.5, 5 / 6, 1.0])
    assert [p.risk for p in points] == pytest.approx([1 / 3, 0.4, 0.5])


def test_aurc_hand_computed() -> None:
    # Positions 1–3 (the 1.0 group, 1 wrong of 3): expected risk 1/3 each, sum 1.
    # Positions 4–5 (0.6 group, 1 wrong of 2, after 1 wrong of 3): 1.5/4 + 2/5 = 0.775.
    # Position 6: 3/6 = 0.5. AURC = (1 + 0.775 + 0.5)/6 = 0.379167
    assert aurc(CONFIDENCE, CORRECT) == pytest.approx(2.275 / 6)


def test_aurc_matches_mean_over_tie_orders() -> None:
    values = np.array([0.8, 0.8, 0.8, 0.4, 0.4, 0.0])
    outcomes = np.array([1, 0, 0, 1, 0, 1])
    areas = []
    for first in itertools.permutations(range(3)):
        for second in itertools.permutations(range(3, 5)):
            order = [*first, *second, 5]
            wrong = np.cumsum(1 - outcomes[order])
            areas.append(np.mean(wrong / np.arange(1, 7)))
    assert aurc(values, outcomes) == pytest.approx(np.mean(areas))


def test_aurc_all_correct_zero() -> None:
    assert aurc([0.3, 0.9], [1, 1]) == 0.0


def test_aurc_no_questions_none() -> None:
    assert aurc([], []) is None


# Coverage at a target precision


def test_coverage_none_reaches_target() -> None:
    # Precision after each group: 2/3, 3/5, 1/2, all below 0.8.
    assert coverage_at_precision(CONFIDENCE, CORRECT, 0.8) == 0.0


def test_coverage_largest_cut() -> None:
    # 2/3 ≥ 0.6 at coverage 3/6 and 3/5 = 0.6 at coverage 5/6: the larger one counts.
    assert coverage_at_precision(CONFIDENCE, CORRECT, 0.6) == pytest.approx(5 / 6)


def test_coverage_skips_zero_confidence() -> None:
    # Answering the c = 0 question too would keep precision at 3/4 ≥ 0.75, but a question
    # with confidence 0 has no answer to give.
    assert coverage_at_precision([1.0, 1.0, 1.0, 0.0], [1, 1, 0, 1], 0.6) == 0.75


def test_coverage_conservative_reaches() -> None:
    # 20 of 20 correct: Wilson low 0.838875 ≥ 0.8.
    assert coverage_at_precision([1.0] * 20, [1] * 20, 0.8, conservative=True) == 1.0


def test_coverage_conservative_misses() -> None:
    # The same 20 of 20 fall short of 0.9 by Wilson, though the plain precision is 1.
    assert coverage_at_precision([1.0] * 20, [1] * 20, 0.9, conservative=True) == 0.0


def test_coverage_plain_all_correct() -> None:
    assert coverage_at_precision([1.0] * 20, [1] * 20, 0.95) == 1.0


def test_coverage_conservative_uses_wilson_low() -> None:
    # 9 of 10 at confidence 0.9: Wilson low 0.596; with 1 more wrong at 0.5, 9 of 11.
    values = [0.9] * 10 + [0.5]
    outcomes = [1] * 9 + [0, 0]
    low = wilson_interval(9, 10)
    assert low is not None
    assert coverage_at_precision(values, outcomes, low[0] - 1e-9, conservative=True) == (
        pytest.approx(10 / 11)
    )


def test_coverage_target_zero_raises() -> None:
    with pytest.raises(ValueError, match="target must be above 0"):
        coverage_at_precision([0.5], [1], 0.0)


def test_coverage_no_questions_none() -> None:
    assert coverage_at_precision([], [], 0.8) is None


# Input checks


def test_correct_not_binary_raises() -> None:
    with pytest.raises(ValueError, match="only 0 and 1"):
        brier_score([0.5], [0.5])


def test_confidence_above_one_raises() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        auroc([1.5], [1])


def test_misaligned_raises() -> None:
    with pytest.raises(ValueError, match="confidence=2, correct=1"):
        aurc([0.5, 0.5], [1])


# Every measure with its bootstrap


QUALITY = confidence_quality(CONFIDENCE, CORRECT, draws=500, seed=3)


def test_quality_values_match_functions() -> None:
    assert QUALITY.ece.value == pytest.approx(7 / 30)
    assert QUALITY.brier.value == pytest.approx(0.26)
    assert QUALITY.auroc.value == pytest.approx(6.5 / 9)
    assert QUALITY.aurc.value == pytest.approx(2.275 / 6)


def test_quality_n_is_questions() -> None:
    assert {QUALITY.ece.n, QUALITY.brier.n, QUALITY.auroc.n, QUALITY.aurc.n} == {6}


def test_quality_coverage_targets() -> None:
    assert [item.target for item in QUALITY.coverage] == [0.8, 0.9, 0.95]


def test_quality_same_seed_same_intervals() -> None:
    assert confidence_quality(CONFIDENCE, CORRECT, draws=500, seed=3) == QUALITY


def test_quality_bootstrap_matches_resampled_arrays() -> None:
    # Each bootstrap row must equal the measure recomputed on that resample's questions.
    values = np.array(CONFIDENCE)
    outcomes = np.array(CORRECT, dtype=float)
    weights = np.vstack([np.ones((1, 6)), bootstrap_weights(6, 50, seed=3)])
    ties = confidence._group(values, outcomes, weights, values)
    rows = confidence._aurc_rows(ties)
    for draw in range(1, 51):
        picked = np.repeat(np.arange(6), weights[draw].astype(int))
        assert rows[draw] == pytest.approx(aurc(values[picked], outcomes[picked])), draw


def test_quality_auroc_all_correct_undefined() -> None:
    quality = confidence_quality([0.2, 0.8, 1.0], [1, 1, 1], draws=100)
    assert quality.auroc == UNDEFINED


def test_quality_all_correct_ece() -> None:
    # Every answer right: ECE = mean(1 − c) = (0.8 + 0.2 + 0)/3
    quality = confidence_quality([0.2, 0.8, 1.0], [1, 1, 1], draws=100)
    assert quality.ece.value == pytest.approx(1 / 3)


def test_quality_k1_two_values() -> None:
    # k = 1: c_q is 0 (abstained) or 1 (answered), so two calibration bins at most.
    quality = confidence_quality([1.0, 1.0, 0.0, 1.0], [1, 0, 0, 1], draws=100)
    assert [item.low for item in quality.reliability_diagram] == [0.0, 1.0]


def test_quality_k1_ece() -> None:
    # Bin 1.0 contains 3 with accuracy 2/3, bin 0.0 contains 1 wrong: (3/4)·(1/3) = 0.25
    quality = confidence_quality([1.0, 1.0, 0.0, 1.0], [1, 0, 0, 1], draws=100)
    assert quality.ece.value == pytest.approx(0.25)


def test_quality_no_questions_undefined() -> None:
    quality = confidence_quality([], [], draws=100)
    assert (quality.questions, quality.ece, quality.aurc) == (0, UNDEFINED, UNDEFINED)


def test_quality_fast_on_large_input() -> None:
    # 1,000 questions × 1,000 draws of every measure, vectorised: well under a second on
    # 2 cores (docs/benchmarks.md); the assertion allows for a slow CI machine.
    import time

    generator = np.random.default_rng(0)
    values = generator.integers(0, 6, size=1000) / 5
    outcomes = (generator.random(1000) < values).astype(float)
    started = time.perf_counter()
    confidence_quality(values, outcomes, draws=1000, seed=0)
    assert time.perf_counter() - started < 5.0

"""Agreement figures: decided share, agreement, Cohen's kappa and the abstention detector."""

import pytest

from probe.agreement import Pair, cohens_kappa, measure, measure_abstentions
from probe.outcomes import Outcome


def test_kappa_hand_computed() -> None:
    # 10 pairs: 7 agree, so p_o = 0.7. Rater one labels x 6 times, rater two 5 times:
    # p_e = 0.6 * 0.5 + 0.4 * 0.5 = 0.5, kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
    pairs = [("x", "x")] * 4 + [("y", "y")] * 3 + [("x", "y")] * 2 + [("y", "x")]

    assert cohens_kappa(pairs) == pytest.approx(0.4)


def test_kappa_perfect_and_undefined() -> None:
    assert cohens_kappa([("x", "x"), ("y", "y")]) == pytest.approx(1.0)
    assert cohens_kappa([("x", "x"), ("x", "x")]) is None
    assert cohens_kappa([]) is None


def test_measure_counts_only_decided() -> None:
    pairs = [
        Pair(Outcome.CORRECT, "correct"),
        Pair(Outcome.INCORRECT, "correct"),
        Pair(Outcome.ABSTAINED, "not_attempted"),
        Pair(Outcome.UNGRADED, "incorrect"),
        Pair(Outcome.REFUSED, "not_attempted"),
    ]

    agreement = measure(pairs)

    assert agreement.samples == 5
    assert agreement.decided == 4
    assert agreement.agreed == 3
    assert agreement.table[("undecided", "incorrect")] == 1
    assert agreement.table[("incorrect", "correct")] == 1


def test_measure_abstentions_table() -> None:
    pairs = [
        Pair(Outcome.ABSTAINED, "not_attempted"),
        Pair(Outcome.ABSTAINED, "incorrect"),
        Pair(Outcome.UNGRADED, "not_attempted"),
        Pair(Outcome.CORRECT, "correct"),
    ]

    abstentions = measure_abstentions(pairs)

    assert (abstentions.both, abstentions.probe_only) == (1, 1)
    assert (abstentions.reference_only, abstentions.neither) == (1, 1)
    assert abstentions.agreement == pytest.approx(0.5)

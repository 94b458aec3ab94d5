"""The wording of audit verdicts shared by report.md, report.html, the console and comparisons."""

import pytest

from probe.audit_summary import ThresholdResponse
from probe.display import change
from probe.intervals import Figure
from probe.summary import Summary, ThresholdSummary
from probe.verdicts import (
    Verdict,
    monotone_sentence,
    short_verdict,
    threshold_response_sentence,
    threshold_verdict,
    uncounted_facts,
    uncounted_warning,
    verdict_sentence,
)


def threshold(t: float, low: float, high: float) -> ThresholdSummary:
    precision = Figure(value=(low + high) / 2, low=low, high=high, n=100)
    return ThresholdSummary.model_construct(
        threshold=t,
        precision=precision,
        coverage=Figure(value=0.9, low=0.85, high=0.95, n=100),
        violation=high < t,
    )


def summary(outcomes: dict[str, int], response: ThresholdResponse | None = None) -> Summary:
    return Summary.model_construct(
        outcomes=outcomes,
        samples=sum(outcomes.values()),
        responsiveness={"coverage_falls": True, "error_falls": True},
        threshold_response=response,
    )


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(0.18, 0.76, Verdict.INCONCLUSIVE), (0.76, 0.9, Verdict.MEETS), (0.5, 0.7, Verdict.VIOLATION)],
)
def test_threshold_verdict_three_ways(low: float, high: float, expected: Verdict) -> None:
    assert threshold_verdict(threshold(0.75, low, high)) is expected


def test_interval_including_t_is_inconclusive() -> None:
    text = short_verdict(threshold(0.75, 0.18, 0.76))

    assert text == "inconclusive: precision interval 18–76% includes 0.75"
    assert "consistent" not in text


def test_short_verdict_meets_and_violation() -> None:
    assert short_verdict(threshold(0.75, 0.76, 0.9)).startswith("meets the target")
    assert short_verdict(threshold(0.75, 0.5, 0.7)).startswith("violation")


def test_verdict_sentence_names_inconclusive() -> None:
    sentence = verdict_sentence(threshold(0.75, 0.18, 0.76))

    assert sentence.startswith("Inconclusive:")
    assert "can neither confirm nor rule out a violation" in sentence


@pytest.mark.parametrize(
    ("drop", "expected"),
    [
        (Figure(value=-0.03, low=-0.11, high=0.05, n=9), "rose by 0.03 [-0.05, 0.11]"),
        (Figure(value=0.2, low=0.1, high=0.3, n=9), "fell by 0.20 [0.10, 0.30]"),
        (Figure(value=0.0, low=-0.01, high=0.01, n=9), "changed by 0.00 [-0.01, 0.01]"),
    ],
)
def test_change_has_no_double_negative(drop: Figure, expected: str) -> None:
    assert change(drop) == expected


def test_threshold_response_says_rose() -> None:
    response = ThresholdResponse(
        lowest_threshold=0,
        highest_threshold=0.9,
        coverage_drop=Figure(value=-0.03, low=-0.11, high=0.05, n=40),
        error_drop=Figure(value=0.01, low=-0.02, high=0.04, n=40),
        responsive=False,
    )
    sentence = threshold_response_sentence(summary({"correct": 1}, response))

    assert "coverage rose by 0.03" in sentence
    assert "fell by -" not in sentence


def test_monotone_sentence_is_plain() -> None:
    rising = summary({"correct": 1})
    rising.responsiveness = {"coverage_falls": False, "error_falls": True}

    assert "No rise beyond" not in monotone_sentence(rising)
    assert monotone_sentence(rising).startswith("Coverage rises as t rises")


def test_uncounted_facts_state_shares() -> None:
    facts = uncounted_facts(summary({"correct": 54, "incorrect": 10, "ungraded": 36}))

    assert "36 ungraded samples (36%)" in facts
    assert "The rates rest on the other 64 of 100 samples" in facts
    assert "rest on the rest" not in facts


def test_uncounted_warning_above_a_tenth() -> None:
    large = summary({"correct": 54, "incorrect": 10, "ungraded": 36})
    small = summary({"correct": 85, "incorrect": 10, "ungraded": 5})

    assert "probe regrade" in uncounted_warning(large)
    assert "graded samples only" in uncounted_warning(large)
    assert uncounted_warning(small) == ""


def test_uncounted_warning_names_run_folder() -> None:
    large = summary({"correct": 54, "incorrect": 10, "ungraded": 36})

    warning = uncounted_warning(large, "results/run-7")

    assert "probe regrade results/run-7 --judge JUDGE.yaml" in warning
    assert "configs/judge.example.yaml" in warning


def test_uncounted_facts_singular_sample() -> None:
    facts = uncounted_facts(summary({"correct": 99, "ungraded": 1}))

    assert "1 ungraded sample (1%)" in facts

import math

import pytest

from probe.logprobs import answer_probability, logprob_confidence


def test_mean_reading_geometric_mean() -> None:
    # Tokens with probabilities 0.5 and 1: exp((ln 0.5 + 0)/2) = √0.5
    assert answer_probability([math.log(0.5), 0.0], "mean") == pytest.approx(math.sqrt(0.5))


def test_first_reading_first_token() -> None:
    assert answer_probability([math.log(0.5), 0.0], "first") == pytest.approx(0.5)


def test_no_tokens_none() -> None:
    assert answer_probability([], "mean") is None


SAMPLES: list[tuple[str | None, list[float] | None]] = [
    ("1889", [math.log(0.8)]),
    ("1887", [math.log(0.1)]),
    ("1889", [math.log(0.6)]),
    ("1889", None),
    ("<abstained>", [math.log(0.9)]),
]


def test_confidence_mean_of_modal_cluster() -> None:
    # The modal cluster 1889 has probabilities 0.8 and 0.6 (the third has no logprobs).
    assert logprob_confidence(SAMPLES, "1889", "first") == pytest.approx(0.7)


def test_confidence_without_modal_key_none() -> None:
    assert logprob_confidence(SAMPLES, None, "first") is None


def test_confidence_without_logprobs_none() -> None:
    assert logprob_confidence([("1889", None), ("1889", [])], "1889", "mean") is None

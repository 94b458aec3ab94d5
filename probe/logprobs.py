"""Confidence from token log-probabilities, when the endpoint returns them.

A sample's answer probability is read from the log-probabilities of its content tokens in
one of two ways:

- "mean": exp(mean token logprob), the geometric mean of the token probabilities;
- "first": exp(first token logprob), the probability of the first token.

A question's logprob confidence is the mean answer probability over its best-guess samples
in the modal cluster, so it rates the same answer m_q that y_q grades and can be compared
with c_q. Questions without a modal answer, or whose modal samples carry no logprobs, have
no logprob confidence (None).

Both readings have known failure modes: the geometric mean rises with answer length because
later tokens of a committed answer are near-certain, and the first token can be a space or a
quote mark that says nothing about the answer.
"""

import math
from collections.abc import Sequence
from typing import Literal

TokenReading = Literal["mean", "first"]
TOKEN_READINGS: tuple[TokenReading, ...] = ("mean", "first")


def answer_probability(token_logprobs: Sequence[float], reading: TokenReading) -> float | None:
    """Return exp(mean logprob) or exp(first logprob), or None when there are no tokens."""
    if not token_logprobs:
        return None
    if reading == "first":
        return math.exp(token_logprobs[0])
    return math.exp(sum(token_logprobs) / len(token_logprobs))


def logprob_confidence(
    samples: Sequence[tuple[str | None, Sequence[float] | None]],
    modal_key: str | None,
    reading: TokenReading,
) -> float | None:
    """Return the mean answer probability of the samples whose answer key is the modal key.

    Each sample is (answer key, token logprobs or None). Returns None when there is no modal
    key or none of its samples has logprobs.
    """
    if modal_key is None:
        return None
    probabilities = [
        probability
        for key, logprobs in samples
        if key == modal_key and logprobs
        for probability in [answer_probability(logprobs, reading)]
        if probability is not None
    ]
    if not probabilities:
        return None
    return sum(probabilities) / len(probabilities)

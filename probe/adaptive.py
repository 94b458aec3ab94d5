"""Adaptive sampling: stop a question's best-guess samples once more cannot change its class.

A question's consistency class is what every threshold-dependent figure reads from its
best-guess samples: whether c_q ≥ t at each configured t (over-answer and over-abstain
rates, the oracle and regret), whether c_q > 0 (the oracle answers only then), and which
answer is modal (its correctness y_q scores the oracle). With r samples still to come, c_q
ends between m / (v + r) and (m + r) / (v + r), where m is the largest answer cluster and v
the valid samples so far (probe/consistency.py defines both). Every class test is monotone
in c_q, so when both bounds fall in the same class, and no other answer can overtake the
modal one, the remaining samples cannot change the class and are not sent.

The test is conservative: it keeps sampling whenever another answer could tie the modal
one, although the earlier answer would win that tie.

NOTE: the class is kept, but not the figures read from the best-guess samples themselves.
The summary pools those samples for the rates at t = 0, so the stopped questions, mostly
answered right, weigh less there, and c_q is coarser (docs/method.md has the sizes).
"""

import math
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from probe.consistency import ABSTAINED_KEY, CONSISTENCY_OUTCOMES, Sample
from probe.outcomes import Outcome


class _Clusters(NamedTuple):
    modal: int  # size of the largest answer cluster, 0 when no valid sample is an answer
    runner_up: int  # size of the second largest answer cluster, 0 when there is none
    valid: int  # answers plus abstentions


def class_settled(samples: Sequence[Sample], remaining: int, thresholds: Sequence[float]) -> bool:
    """Return True when `remaining` more best-guess samples cannot change the class.

    `samples` are the best-guess samples received so far, as consistency.Sample tuples, and
    `thresholds` are the run's configured thresholds t.
    """
    if remaining <= 0:
        return True

    clusters = _clusters(samples)
    if clusters.runner_up + remaining >= clusters.modal:
        return False  # Another answer, old or new, could still reach the modal one's size.

    total = clusters.valid + remaining
    lowest = _class(clusters.modal / total, thresholds)
    return lowest == _class((clusters.modal + remaining) / total, thresholds)


def next_round(samples: Sequence[Sample], remaining: int, thresholds: Sequence[float]) -> int:
    """Return how many of the `remaining` best-guess samples to send in the next request.

    Before any sample arrives it is first_round(remaining, thresholds). After that it is the
    fewest samples x after which the modal answer could be out of reach,
    m + x > runner-up + (remaining − x). The class cannot settle sooner, because no other
    answer could be out of reach sooner either. So a round of x samples sends the same
    samples as rounds of one, in fewer requests.
    """
    if not samples:
        return first_round(remaining, thresholds)

    clusters = _clusters(samples)
    needed = (clusters.runner_up + remaining - clusters.modal) // 2 + 1
    return min(remaining, max(1, needed))


def first_round(samples: int, thresholds: Sequence[float]) -> int:
    """Return the number of best-guess samples to send before the first test.

    It is the fewest that could settle the class when they all agree, m ≥ max(t) · k and
    m > k − m so no other answer can overtake them, and at most k.
    """
    highest = max(thresholds, default=0.0)
    # The small margin keeps float noise (0.6 · 5 = 3.0000000000000004) from adding one.
    agreeing = max(math.ceil(highest * samples - 1e-9), samples // 2 + 1, 1)
    return min(samples, agreeing)


def _clusters(samples: Sequence[Sample]) -> _Clusters:
    valid = [sample for sample in samples if sample[0] in CONSISTENCY_OUTCOMES]
    answers = Counter(
        key for outcome, key, _ in valid if outcome is not Outcome.ABSTAINED and key is not None
    )
    answers.pop(ABSTAINED_KEY, None)
    sizes = sorted(answers.values(), reverse=True)
    modal = sizes[0] if sizes else 0
    runner_up = sizes[1] if len(sizes) > 1 else 0
    return _Clusters(modal, runner_up, len(valid))


def _class(confidence: float, thresholds: Sequence[float]) -> tuple[bool, ...]:
    return (confidence > 0, *(confidence >= threshold for threshold in thresholds))

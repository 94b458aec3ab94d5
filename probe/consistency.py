"""Consistency confidence of one question from its best-guess (t = 0) samples.

The samples are clustered by the grader's answer key, so answers the grader treats as
equivalent (normalised dates, numbers, names, aliases) share a cluster, and abstentions form
one cluster of their own. The largest answer cluster is the modal answer m_q. Its share of
the samples that answered or abstained, ungraded answers included, is the confidence c_q,
and its grade is the correctness y_q.
"""

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from probe.outcomes import Outcome

logger = logging.getLogger(__name__)

# The cluster key of abstentions. The angle brackets keep it apart from any grader key.
ABSTAINED_KEY = "<abstained>"

# Samples that count towards c_q: answers, graded or not, and abstentions.
CONSISTENCY_OUTCOMES = frozenset(
    {Outcome.CORRECT, Outcome.INCORRECT, Outcome.UNGRADED, Outcome.ABSTAINED}
)

# One best-guess sample: its outcome, the grader's answer key and the raw answer text.
Sample = tuple[Outcome, str | None, str | None]


@dataclass(frozen=True)
class QuestionConsistency:
    """The consistency summary of one question's best-guess samples."""

    question_id: str
    # Key of the largest answer cluster, abstentions excluded, with ties broken by first
    # appearance. None when no valid sample is an answer.
    modal_key: str | None
    # The first raw answer text of the modal cluster, for display.
    modal_answer: str | None
    # c_q = modal cluster size / valid. It is 0 when no valid sample is an answer.
    confidence: float
    # Answers (ungraded included) plus abstentions. Truncated, refused, empty and error
    # samples are left out.
    valid: int
    # Entropy in nats of the cluster sizes, with the abstention cluster included.
    entropy: float
    # y_q: whether the modal answer is correct. False when every valid sample abstained,
    # None when the modal cluster is ungraded or no sample is valid.
    modal_correct: bool | None


@dataclass
class _Cluster:
    size: int
    outcomes: set[Outcome]
    first_text: str | None


def question_consistency(question_id: str, samples: Sequence[Sample]) -> QuestionConsistency:
    """Cluster one question's best-guess samples and compute m_q, c_q, y_q and the entropy.

    Each entry of samples is (outcome, answer_key, answer_text), in sample order. Samples
    whose outcome is truncated, refused, empty or error are ignored. Raises ValueError when
    an answer sample has no answer key, or its key equals ABSTAINED_KEY.
    """
    clusters = _cluster_samples(question_id, samples)
    valid = sum(cluster.size for cluster in clusters.values())
    modal_key = _modal_key(clusters)

    if modal_key is None:
        return QuestionConsistency(
            question_id=question_id,
            modal_key=None,
            modal_answer=None,
            confidence=0.0,
            valid=valid,
            entropy=cluster_entropy([cluster.size for cluster in clusters.values()]),
            modal_correct=False if valid > 0 else None,
        )

    modal = clusters[modal_key]
    return QuestionConsistency(
        question_id=question_id,
        modal_key=modal_key,
        modal_answer=modal.first_text,
        confidence=modal.size / valid,
        valid=valid,
        entropy=cluster_entropy([cluster.size for cluster in clusters.values()]),
        modal_correct=_cluster_correctness(question_id, modal_key, modal.outcomes),
    )


def cluster_entropy(sizes: Sequence[int]) -> float:
    """Return the entropy −Σ p·ln p in nats of the clusters, with p = size / Σ sizes.

    Over clusters of equivalent answers this is a discrete semantic entropy, with the
    grader's answer keys deciding equivalence. It is 0 for one cluster and for no samples.
    """
    total = sum(sizes)
    entropy = 0.0
    for size in sizes:
        if size > 0:
            share = size / total
            entropy -= share * math.log(share)
    return entropy


def _cluster_samples(question_id: str, samples: Sequence[Sample]) -> dict[str, _Cluster]:
    """Group the valid samples by cluster key, in order of first appearance."""
    clusters: dict[str, _Cluster] = {}
    for index, (outcome, answer_key, answer_text) in enumerate(samples):
        if outcome not in CONSISTENCY_OUTCOMES:
            continue

        if outcome == Outcome.ABSTAINED:
            key = ABSTAINED_KEY
        elif answer_key is None or answer_key == ABSTAINED_KEY:
            raise ValueError(
                f"question {question_id!r}, sample {index}: an answer with outcome "
                f"{outcome.value!r} has answer key {answer_key!r}. Every answer needs the "
                f"grader's key, which must not equal {ABSTAINED_KEY!r}."
            )
        else:
            key = answer_key

        cluster = clusters.setdefault(key, _Cluster(size=0, outcomes=set(), first_text=None))
        cluster.size += 1
        cluster.outcomes.add(outcome)
        if cluster.first_text is None and outcome != Outcome.ABSTAINED:
            cluster.first_text = answer_text
    return clusters


def _modal_key(clusters: dict[str, _Cluster]) -> str | None:
    """Return the key of the largest answer cluster, or of the earliest one in a tie."""
    modal_key: str | None = None
    modal_size = 0
    for key, cluster in clusters.items():
        if key != ABSTAINED_KEY and cluster.size > modal_size:
            modal_key = key
            modal_size = cluster.size
    return modal_key


def _cluster_correctness(question_id: str, modal_key: str, outcomes: set[Outcome]) -> bool | None:
    """Return y_q from the graded outcomes of the modal cluster, or None when it has none.

    Samples with one key should share one grade. When the grader marked some correct and
    others incorrect, y_q is unknown, so this logs a warning and returns None.
    """
    graded = outcomes & {Outcome.CORRECT, Outcome.INCORRECT}
    if graded == {Outcome.CORRECT}:
        return True
    if graded == {Outcome.INCORRECT}:
        return False
    if graded:
        logger.warning(
            "question %s: modal answer key %r is graded both correct and incorrect, "
            "so its correctness is left unknown. Check the grader for this key.",
            question_id,
            modal_key,
        )
    return None

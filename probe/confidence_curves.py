"""The reliability diagram and risk–coverage curve of the consistency confidence c_q.

Both treat c_q as a forecast of y_q, whether the modal best-guess answer is correct, over the
questions whose y_q is known. The reliability diagram has one bin per distinct value of c_q,
which with k samples takes only the values 0, 1/k, …, 1. The risk–coverage curve answers
questions in order of falling c_q. Questions that tie on c_q enter together, because no
order among them is justified.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from probe import metrics
from probe.summary import Figure, QuestionSummary


@dataclass(frozen=True)
class ReliabilityBin:
    confidence: float
    questions: int
    accuracy: Figure


@dataclass(frozen=True)
class RiskCoveragePoint:
    """Answering every question with c_q ≥ confidence: the share answered and the share wrong."""

    confidence: float
    coverage: float
    risk: float


def reliability_bins(per_question: Sequence[QuestionSummary]) -> list[ReliabilityBin]:
    """Group the graded questions by c_q; each bin's accuracy is the share with y_q true."""
    graded = _graded(per_question)
    bins = []
    for confidence, group in groupby(sorted(graded), key=lambda pair: pair[0]):
        outcomes = [correct for _, correct in group]
        bins.append(
            ReliabilityBin(
                confidence=confidence,
                questions=len(outcomes),
                accuracy=Figure.of(metrics.proportion(sum(outcomes), len(outcomes))),
            )
        )
    return bins


def risk_coverage(per_question: Sequence[QuestionSummary]) -> list[RiskCoveragePoint]:
    """Return one point per distinct c_q, from the highest c_q (least coverage) down."""
    graded = sorted(_graded(per_question), key=lambda pair: -pair[0])
    points = []
    answered = wrong = 0
    for confidence, group in groupby(graded, key=lambda pair: pair[0]):
        outcomes = [correct for _, correct in group]
        answered += len(outcomes)
        wrong += outcomes.count(False)
        points.append(
            RiskCoveragePoint(
                confidence=confidence, coverage=answered / len(graded), risk=wrong / answered
            )
        )
    return points


def _graded(per_question: Sequence[QuestionSummary]) -> list[tuple[float, bool]]:
    return [
        (item.confidence, item.modal_correct)
        for item in per_question
        if item.valid > 0 and item.modal_correct is not None
    ]

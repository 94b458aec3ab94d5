"""The threshold response and the coverage–precision curve, two audit sections of summary.json.

A behaviourally calibrated model answers less, and errs less, as the stated threshold t
rises. The threshold response measures that fall from the lowest to the highest t on the
same questions. The coverage–precision curve gives, for each target precision, the largest
coverage the model showed at any condition while meeting it.
"""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from probe import metrics
from probe.intervals import Figure

# Columns of the per-question count arrays: correct, incorrect, abstained.
CORRECT, INCORRECT, ABSTAINED = 0, 1, 2


class ThresholdResponse(BaseModel):
    """The fall of coverage and error from the lowest to the highest stated threshold."""

    lowest_threshold: float
    highest_threshold: float
    coverage_drop: Figure = Field(
        description="coverage(lowest t) − coverage(highest t) on the questions valid at both; "
        "paired bootstrap over questions; n is those questions."
    )
    error_drop: Figure = Field(description="error(lowest t) − error(highest t), the same way.")
    responsive: bool | None = Field(
        description="True when coverage_drop's interval lies above 0: the model answers less "
        "when asked for more confidence. None when no question is valid at both ends."
    )


def threshold_response(
    lowest: float,
    highest: float,
    lowest_counts: npt.NDArray[np.int64],
    highest_counts: npt.NDArray[np.int64],
    *,
    draws: int,
    seed: int,
) -> ThresholdResponse | None:
    """Compare the (questions × 3) outcome counts at the lowest and highest t.

    Returns None when the run has a single threshold.
    """
    if lowest == highest:
        return None
    low_valid = lowest_counts.sum(axis=1)
    high_valid = highest_counts.sum(axis=1)
    low_answered = lowest_counts[:, CORRECT] + lowest_counts[:, INCORRECT]
    high_answered = highest_counts[:, CORRECT] + highest_counts[:, INCORRECT]

    coverage_drop = metrics.rate_drop(
        low_answered, low_valid, high_answered, high_valid, draws=draws, seed=seed
    )
    error_drop = metrics.rate_drop(
        lowest_counts[:, INCORRECT],
        low_valid,
        highest_counts[:, INCORRECT],
        high_valid,
        draws=draws,
        seed=seed,
    )
    return ThresholdResponse(
        lowest_threshold=lowest,
        highest_threshold=highest,
        coverage_drop=Figure.of(coverage_drop),
        error_drop=Figure.of(error_drop),
        responsive=None if coverage_drop.low is None else coverage_drop.low > 0,
    )


class TargetCoverageSummary(BaseModel):
    """One point of the coverage–precision curve."""

    target: float = Field(description="The target precision p, one of the run's thresholds.")
    coverage: Figure = Field(
        description="The largest coverage among conditions with precision ≥ p; null when none "
        "reaches p. n is that condition's valid samples."
    )
    condition: float | None = Field(description="The t of the condition that reaches it.")
    conservative_coverage: Figure = Field(
        description="The same, requiring the low end of the precision interval to reach p."
    )
    conservative_condition: float | None


def coverage_precision_curve(
    thresholds: Sequence[float], coverage: Sequence[Figure], precision: Sequence[Figure]
) -> list[TargetCoverageSummary]:
    """Return the coverage at target precision p for each of the run's thresholds p > 0."""
    coverages = [_estimate(figure) for figure in coverage]
    precisions = [_estimate(figure) for figure in precision]
    points = []
    for target in sorted(t for t in thresholds if t > 0):
        reached = metrics.coverage_at_target_precision(target, thresholds, coverages, precisions)
        points.append(
            TargetCoverageSummary(
                target=target,
                coverage=Figure.of(reached.coverage),
                condition=reached.condition,
                conservative_coverage=Figure.of(reached.conservative_coverage),
                conservative_condition=reached.conservative_condition,
            )
        )
    return points


def _estimate(figure: Figure) -> metrics.Estimate:
    return metrics.Estimate(value=figure.value, low=figure.low, high=figure.high, n=figure.n)

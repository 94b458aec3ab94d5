"""Agreement between probe's grades and reference grades from a judge or a person.

A reference grade is one of the three SimpleQA grades: correct, incorrect or not attempted.
probe's outcomes map onto them: abstained, refused and empty answers are not attempted;
ungraded and truncated samples are left undecided. The figures are the share of samples
that probe decides, the agreement and Cohen's kappa on those samples, and the same for the
abstention detector alone (not attempted or not, over every sample).
"""

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from probe.outcomes import Outcome

Reference = Literal["correct", "incorrect", "not_attempted"]
REFERENCES: tuple[Reference, ...] = ("correct", "incorrect", "not_attempted")

_DECIDED: dict[Outcome, Reference] = {
    Outcome.CORRECT: "correct",
    Outcome.INCORRECT: "incorrect",
    Outcome.ABSTAINED: "not_attempted",
    Outcome.REFUSED: "not_attempted",
    Outcome.EMPTY: "not_attempted",
}


@dataclass(frozen=True)
class Pair:
    """One sample's outcome from probe and its reference grade."""

    outcome: Outcome
    reference: Reference


@dataclass(frozen=True)
class Agreement:
    """Counts and figures of probe's grades against the reference grades."""

    samples: int
    decided: int
    agreed: int
    kappa: float | None
    # (probe's grade or "undecided", reference grade) -> samples.
    table: dict[tuple[str, Reference], int]

    @property
    def decided_share(self) -> float | None:
        return self.decided / self.samples if self.samples else None

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.decided if self.decided else None


@dataclass(frozen=True)
class AbstentionAgreement:
    """The abstention detector against the reference's "not attempted", over every sample."""

    samples: int
    both: int  # probe declined, and the reference grade is not attempted
    probe_only: int
    reference_only: int
    neither: int
    kappa: float | None

    @property
    def agreement(self) -> float | None:
        return (self.both + self.neither) / self.samples if self.samples else None


def decided_grade(outcome: Outcome) -> Reference | None:
    """Map an outcome onto the reference grades; None for an undecided sample."""
    return _DECIDED.get(outcome)


def measure(pairs: Sequence[Pair]) -> Agreement:
    """Compute the decided share, the agreement and Cohen's kappa of probe's grades."""
    table: Counter[tuple[str, Reference]] = Counter()
    decided: list[tuple[Reference, Reference]] = []
    for pair in pairs:
        grade = decided_grade(pair.outcome)
        table[(grade or "undecided", pair.reference)] += 1
        if grade is not None:
            decided.append((grade, pair.reference))

    agreed = sum(1 for grade, reference in decided if grade == reference)
    return Agreement(
        samples=len(pairs),
        decided=len(decided),
        agreed=agreed,
        kappa=cohens_kappa(decided),
        table=dict(table),
    )


def measure_abstentions(pairs: Sequence[Pair]) -> AbstentionAgreement:
    """Compare "probe declined" with "the reference says not attempted" on every sample."""
    counts: Counter[tuple[bool, bool]] = Counter()
    for pair in pairs:
        declined = decided_grade(pair.outcome) == "not_attempted"
        counts[(declined, pair.reference == "not_attempted")] += 1

    binary = [
        (declined, reference)
        for (declined, reference), count in counts.items()
        for _ in range(count)
    ]
    return AbstentionAgreement(
        samples=len(pairs),
        both=counts[(True, True)],
        probe_only=counts[(True, False)],
        reference_only=counts[(False, True)],
        neither=counts[(False, False)],
        kappa=cohens_kappa(binary),
    )


def cohens_kappa(pairs: Iterable[tuple[Hashable, Hashable]]) -> float | None:
    """Return Cohen's kappa of two raters' labels, or None when it is undefined.

    kappa = (p_o − p_e) / (1 − p_e), with p_o the observed agreement and p_e the agreement
    expected from each rater's label shares. It is undefined without pairs,
    and when both raters use one and the same label throughout (p_e = 1).
    """
    listed = list(pairs)
    if not listed:
        return None
    total = len(listed)
    observed = sum(1 for first, second in listed if first == second) / total
    first_counts = Counter(first for first, _ in listed)
    second_counts = Counter(second for _, second in listed)
    matches = sum(first_counts[label] * second_counts[label] for label in first_counts)
    expected = matches / (total * total)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def describe_agreement(agreement: Agreement) -> list[str]:
    """Return text lines with the decided share, agreement, kappa and the confusion table."""
    lines = [
        f"decided {agreement.decided} of {agreement.samples} samples "
        f"({_percent(agreement.decided_share)}); agreement on them "
        f"{_percent(agreement.agreement)}, Cohen's kappa {_number(agreement.kappa)}",
        "",
        "probe / reference ".ljust(18) + "".join(f"{name:>15}" for name in REFERENCES),
    ]
    for grade in (*REFERENCES, "undecided"):
        counts = [agreement.table.get((grade, reference), 0) for reference in REFERENCES]
        lines.append(f"{grade:<18}" + "".join(f"{count:>15}" for count in counts))
    return lines


def describe_abstentions(agreement: AbstentionAgreement) -> list[str]:
    """Return text lines comparing probe's abstentions with the reference's not attempted."""
    return [
        f"abstention detector: agreement {_percent(agreement.agreement)}, Cohen's kappa "
        f"{_number(agreement.kappa)} over {agreement.samples} samples",
        f"  both not attempted {agreement.both}, only probe {agreement.probe_only}, "
        f"only the reference {agreement.reference_only}, neither {agreement.neither}",
    ]


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"

"""The grade of one answer text, shared by the graders of every answer type."""

from dataclasses import dataclass

from probe.outcomes import Outcome


@dataclass(frozen=True)
class Grade:
    """The grade of one answer text."""

    # CORRECT, INCORRECT or UNGRADED.
    outcome: Outcome
    reason: str
    # Equivalence key for consistency clustering. An answer that matches a gold alias gets
    # the key of the canonical gold answer, numbers their canonical digits, dates their
    # ISO 8601 parts, choices their letter and other text its normalised form.
    answer_key: str

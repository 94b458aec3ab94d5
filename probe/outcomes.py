"""The outcome classes of one sample, and which of them count in the rates."""

from enum import StrEnum


class Outcome(StrEnum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    ABSTAINED = "abstained"
    UNGRADED = "ungraded"
    TRUNCATED = "truncated"
    REFUSED = "refused"
    EMPTY = "empty"
    ERROR = "error"


# Only these enter coverage, accuracy, error, abstention and precision; the rest are
# reported as counts.
VALID_OUTCOMES = frozenset({Outcome.CORRECT, Outcome.INCORRECT, Outcome.ABSTAINED})

ANSWERED_OUTCOMES = frozenset({Outcome.CORRECT, Outcome.INCORRECT})

OUTCOME_MEANINGS: dict[Outcome, str] = {
    Outcome.CORRECT: "an answer that matches a gold answer",
    Outcome.INCORRECT: "an answer that matches none, or any answer to an unanswerable question",
    Outcome.ABSTAINED: 'the model declined, as in "I don\'t know" or 我不知道',
    Outcome.UNGRADED: "an answer the grader could not decide; not counted in the rates",
    Outcome.TRUNCATED: "stopped for length before an answer, or reasoning never closed",
    Outcome.REFUSED: "a refusal or a content filter",
    Outcome.EMPTY: "the response finished normally with no text anywhere",
    Outcome.ERROR: "the request failed after its retries",
}

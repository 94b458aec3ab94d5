"""Grade an answer text against a question's gold answers, and assess one model response.

Grading compares normalised forms and never guesses. An answer it cannot decide is
UNGRADED with the reason, so that it is counted and shown instead of becoming a grade.
Every grade also carries an answer key: answers that the grader treats as the same value
share it, which is how the consistency measure clusters samples.

One module per kind of value: numbers (years and quantities), dates, text (names, places
and other text) and choice (multiple-choice letters).
"""

from probe.grading.answer_types import infer_answer_type
from probe.grading.assess import Assessment, assess_response, canonical_key, grade_answer
from probe.grading.grade import Grade
from probe.grading.normalize import normalize_text

__all__ = [
    "Assessment",
    "Grade",
    "assess_response",
    "canonical_key",
    "grade_answer",
    "infer_answer_type",
    "normalize_text",
]

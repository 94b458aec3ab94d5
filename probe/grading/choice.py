"""Multiple-choice answers: grade by the option letter, or by the text of one option.

The answer key is the option letter, so consistency clusters samples by the option they
chose. An answer that gives two letters, or a letter and the text of another option, is
undecided.
"""

from probe.grading.aliases import Alias, contains_alias
from probe.grading.grade import Grade
from probe.grading.letters import pick_token
from probe.grading.normalize import normalize_text, text_key
from probe.outcomes import Outcome
from probe.questions import Question


def grade_choice(question: Question, answer: str) -> Grade:
    """Grade a choice answer against the question's gold letters."""
    options = question.lettered_options()
    picked = pick_token(answer, {letter: letter for letter, _ in options})
    named = _named_options(answer, options)
    key = text_key(normalize_text(answer))

    letters = set(picked.values)
    if len(letters) > 1:
        return Grade(Outcome.UNGRADED, f"several options: {', '.join(picked.values)}", key)
    if letters and named and named != letters:
        listed = ", ".join(sorted(letters | named))
        return Grade(Outcome.UNGRADED, f"the letter and the option text disagree: {listed}", key)

    chosen = letters or named
    if len(chosen) != 1:
        reason = "several options are named" if chosen else "no option letter or text found"
        return Grade(Outcome.UNGRADED, reason, key)
    return _decide(question, chosen.pop())


def _named_options(answer: str, options: list[tuple[str, str]]) -> set[str]:
    # An option text inside another ("Paris" in "Paris, Texas") is named only by itself.
    normalised = normalize_text(answer)
    exact = {letter for letter, text in options if normalize_text(text) == normalised}
    if exact:
        return exact

    found = {
        letter: text
        for letter, text in options
        if normalize_text(text) and contains_alias(answer, Alias(text, normalize_text(text)))
    }
    return {
        letter
        for letter, text in found.items()
        if not any(
            other != letter and normalize_text(text) in normalize_text(longer)
            for other, longer in found.items()
        )
    }


def _decide(question: Question, letter: str) -> Grade:
    if letter in question.answers:
        return Grade(Outcome.CORRECT, f"option {letter} is the gold answer", letter)
    gold = ", ".join(question.answers) or "none"
    return Grade(Outcome.INCORRECT, f"option {letter}, not the gold option {gold}", letter)

"""Multiple-choice grading by letter or option text, and the question format for it."""

import pytest
from pydantic import ValidationError

from probe.grading import grade_answer
from probe.outcomes import Outcome
from probe.prompts import Condition, build_messages
from probe.questions import Question

CAPITAL = Question(
    id="capital",
    question="What is the capital of France?",
    answers=("B",),
    answer_type="choice",
    language="en",
    options=("Lyon", "Paris", "Marseille", "Paris, Texas"),
)


@pytest.mark.parametrize(
    ("answer", "outcome", "key"),
    [
        ("B", Outcome.CORRECT, "B"),
        ("b", Outcome.CORRECT, "B"),
        ("(B) Paris", Outcome.CORRECT, "B"),
        ("The answer is B.", Outcome.CORRECT, "B"),
        ("答案是B", Outcome.CORRECT, "B"),
        ("Paris", Outcome.CORRECT, "B"),
        ("The capital is Paris.", Outcome.CORRECT, "B"),
        ("C", Outcome.INCORRECT, "C"),
        ("Paris, Texas", Outcome.INCORRECT, "D"),
        ("Not A, B.", Outcome.CORRECT, "B"),
    ],
)
def test_choice_decided(answer: str, outcome: Outcome, key: str) -> None:
    grade = grade_answer(CAPITAL, answer)

    assert grade.outcome is outcome, grade.reason
    assert grade.answer_key == key


@pytest.mark.parametrize(
    "answer",
    ["A or B", "B. Lyon", "Lyon or Paris, hard to say which", "no letter here", "E"],
)
def test_choice_undecided(answer: str) -> None:
    assert grade_answer(CAPITAL, answer).outcome is Outcome.UNGRADED


def test_choice_key_clusters_letter_and_text() -> None:
    keys = {grade_answer(CAPITAL, answer).answer_key for answer in ["B", "Paris", "(B) Paris"]}

    assert keys == {"B"}


def test_choice_prompt_lists_lettered_options() -> None:
    messages = build_messages(CAPITAL, Condition(0.5))

    user = messages[-1]["content"]
    assert "A. Lyon\nB. Paris\nC. Marseille\nD. Paris, Texas" in user
    assert user.endswith("Answer with the letter of one option.")


def test_choice_prompt_chinese_instruction() -> None:
    question = CAPITAL.model_copy(update={"language": "zh-Hant"})

    assert build_messages(question, Condition(0))[-1]["content"].endswith(
        "請只回答一個選項的字母。"
    )


def test_choice_needs_options() -> None:
    with pytest.raises(ValidationError, match="needs 2 to 26 options"):
        Question(
            id="q",
            question="?",
            answers=("A",),
            answer_type="choice",
            language="en",
            options=("x",),
        )


def test_choice_answers_are_letters() -> None:
    with pytest.raises(ValidationError, match="option letters A–B"):
        Question(
            id="q",
            question="?",
            answers=("Paris",),
            answer_type="choice",
            language="en",
            options=("Lyon", "Paris"),
        )


def test_options_need_choice_type() -> None:
    with pytest.raises(ValidationError, match='set answer_type to "choice"'):
        Question(
            id="q",
            question="?",
            answers=("Paris",),
            answer_type="place",
            language="en",
            options=("a", "b"),
        )

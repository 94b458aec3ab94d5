"""Answer markers and low-confidence statements, on real SmolLM2-135M answers and Chinese cases.

tests/fixtures/demo_markers.jsonl holds the answers of an embedded-model demo run
(SmolLM2-135M-Instruct on question_sets/demo.jsonl) that these rules grade, with the
outcome a reader gives them by hand.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from probe.abstentions import is_abstention
from probe.grading import assess_response, grade_answer
from probe.grading.markers import marked_text
from probe.outcomes import Outcome
from probe.questions import AnswerType, Question
from probe.responses import ModelResponse

FIXTURE = Path(__file__).parent / "fixtures" / "demo_markers.jsonl"


def make_question(
    answers: tuple[str, ...], answer_type: AnswerType, text: str, language: str = "en"
) -> Question:
    return Question(
        id="q",
        question=text,
        answers=answers,
        answer_type=answer_type,
        language=language,
        unanswerable=not answers,
    )


def load_cases() -> list[dict[str, Any]]:
    with FIXTURE.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


STATES = make_question(("50",), "number", "How many states does the United States have?")
HARBOUR = make_question(("1932",), "year", "In what year did the Sydney Harbour Bridge open?")
PARIS = make_question(("Paris",), "place", "What is the capital of France?")
WUHAN = make_question(("1957",), "year", "武汉长江大桥于哪一年建成通车？", "zh-Hans")
WUHAN_HANT = make_question(("1957",), "year", "武漢長江大橋於哪一年建成通車？", "zh-Hant")
CAPITAL_ZH = make_question(("北京",), "place", "中华人民共和国的首都是哪里？", "zh-Hans")


@pytest.mark.parametrize("case", load_cases(), ids=lambda case: case["response"][:40])
def test_demo_answer_outcome(case: dict[str, Any]) -> None:
    question = make_question(tuple(case["answers"]), case["answer_type"], case["question"])
    response = ModelResponse(content=case["response"], finish_reason="stop")

    assert assess_response(question, response).outcome == Outcome(case["expected"])


@pytest.mark.parametrize(
    ("answer", "marked"),
    [
        ("In what year did the Sydney Harbour Bridge open?\nThe answer is: 1930", "1930"),
        ('A great question! The correct answer is "12".', "12"),
        ("Answer: Sydney", "Sydney"),
        ("The answer would be Sydney. I will provide more.", "Sydney"),
        (
            "The answer is 3.16 meters with no further explanation",
            "3.16 meters with no further explanation",
        ),
        ("答案是：1957年。", "1957年"),
        ("答案：「北京」", "北京"),
        ("正確答案為1957年", "1957年"),
        ("No, the answer is incorrect.", None),
        ("the answer is not 0finesse", None),
        ("This answer is wrong.", None),
        ("The answer to this question lies within the text.", None),
    ],
)
def test_marked_text(answer: str, marked: str | None) -> None:
    assert marked_text(answer) == marked


@pytest.mark.parametrize(
    ("question", "answer", "outcome"),
    [
        (HARBOUR, "In what year did it open?\nThe answer is: 1932", Outcome.CORRECT),
        (HARBOUR, "Building began in 1923. The answer is 1932.", Outcome.CORRECT),
        (HARBOUR, "Building began in 1923. The answer is 1930.", Outcome.INCORRECT),
        (WUHAN, "武汉长江大桥是中国第一座长江大桥，1955年开工。答案是：1957年。", Outcome.CORRECT),
        (WUHAN, "这座桥很有名，1955年开工。答案是1958年。", Outcome.INCORRECT),
        (WUHAN_HANT, "這座橋很有名，1955年開工。答案：1957年", Outcome.CORRECT),
        (STATES, 'The correct answer is "50".', Outcome.CORRECT),
    ],
)
def test_marked_value_decides(question: Question, answer: str, outcome: Outcome) -> None:
    assert grade_answer(question, answer).outcome == outcome


def test_marked_value_against_gold_stays_ungraded() -> None:
    # The answer states the gold and then marks another value, so it contradicts itself.
    answer = "There are 50 states in the United States. The answer is 12"

    assert grade_answer(STATES, answer).outcome == Outcome.UNGRADED


def test_marked_abstention_not_graded() -> None:
    answer = (
        "I'm sorry for your mistake. Please, correct me as you are. \n\nThe answer is: 你不知道。"
    )

    assert grade_answer(CAPITAL_ZH, answer).outcome == Outcome.UNGRADED


@pytest.mark.parametrize(
    "text",
    [
        "I'm not more than 75% confident.",
        "I am not more than 90% confident.",
        "I'm not confident enough to answer.",
        "I am not sure enough to answer.",
        "I don't feel confident about this one.",
        "Not confident enough to answer.",
        "我没有超过75%的把握。",
        "我沒有超過 75% 的把握。",
        "我沒有把握。",
        "我没有把握",
        "我的把握没有超过75%。",
        "我不太有把握。",
    ],
)
def test_not_confident_is_abstention(text: str) -> None:
    assert is_abstention(text, STATES)
    assert is_abstention(text, PARIS)


@pytest.mark.parametrize(
    ("question", "text"),
    [
        (PARIS, "I'm not 100% sure, but it's Paris."),
        (PARIS, "I'm not very confident, but I think it is Paris."),
        (STATES, "I'm not more than 75% confident, but I think it is 50."),
        (STATES, "I'm not confident enough. Maybe 50."),
        (WUHAN, "我没有超过75%的把握，但应该是1957年。"),
        (WUHAN_HANT, "我沒有把握，可能是1957年。"),
    ],
)
def test_hedged_confidence_commits(question: Question, text: str) -> None:
    assert not is_abstention(text, question)


def test_prompt_echo_not_abstention() -> None:
    # SmolLM2 sometimes repeats the prompt; its "你的把握" is the user's condition.
    text = "如果你的把握没有超过 75%，请只回答：我不知道。否则请只回答答案。"

    assert not is_abstention(text.replace("我不知道", "不会"), WUHAN)


def test_confidence_percent_is_no_value() -> None:
    text = "I'm not more than 75% confident that this answer is correct. I don't know."
    date = make_question(("1969-07-20",), "date", "On what date did Apollo 11 land on the Moon?")

    assert is_abstention(text, date)


def test_labelled_value_is_answer() -> None:
    fuji = make_question(("3776",), "number", "What is the height of Mount Fuji?")
    answer = "Mount Fuji is a volcano. It is in Japan.\nThe height of Mount Fuji: 3219.09 meters"

    assert grade_answer(fuji, answer).outcome == Outcome.INCORRECT

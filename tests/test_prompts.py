import pytest

from probe.prompts import (
    Condition,
    build_messages,
    format_number,
    format_percent,
    template_language,
)
from probe.questions import Question


def question(language: str = "en", instruction: str | None = None) -> Question:
    return Question(
        id="q",
        question="When was X born?",
        answers=("1889",),
        answer_type="year",
        language=language,
        format_instruction=instruction,
    )


@pytest.mark.parametrize(
    ("threshold", "penalty_text"),
    [
        (0.5, "loses 1 point,"),
        (0.75, "loses 3 points"),
        (0.9, "loses 9 points"),
        (0.95, "loses 19 points"),
    ],
)
def test_threshold_prompt_states_penalty(threshold: float, penalty_text: str) -> None:
    system = build_messages(question(), Condition(threshold))[0]["content"]
    assert penalty_text in system
    assert format_percent(threshold) in system
    assert "reply exactly: I don't know" in system


def test_best_guess_prompt_has_no_penalty() -> None:
    system = build_messages(question(), Condition(0.0))[0]["content"]
    assert "best guess" in system
    assert "loses" not in system


def test_format_instruction_follows_question() -> None:
    user = build_messages(question(instruction="Answer with the year only."), Condition(0.5))[1][
        "content"
    ]
    assert user == "When was X born?\nAnswer with the year only."


@pytest.mark.parametrize(
    ("language", "template"),
    [
        ("en", "en"),
        ("fr", "en"),
        ("zh-Hant", "zh-Hant"),
        ("zh-TW", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh-Hans", "zh-Hans"),
        ("zh-CN", "zh-Hans"),
        ("zh", "zh-Hans"),
    ],
)
def test_template_language(language: str, template: str) -> None:
    assert template_language(language) == template


def test_traditional_chinese_prompt() -> None:
    system = build_messages(question("zh-Hant"), Condition(0.75))[0]["content"]
    assert "答錯扣 3 分" in system
    assert "75%" in system
    assert "我不知道" in system


def test_simplified_chinese_prompt() -> None:
    system = build_messages(question("zh-Hans"), Condition(0.9))[0]["content"]
    assert "答错扣 9 分" in system


@pytest.mark.parametrize("threshold", [1.0, -0.1, 1.5])
def test_condition_rejects_threshold_outside_range(threshold: float) -> None:
    with pytest.raises(ValueError, match="below 1"):
        Condition(threshold)


@pytest.mark.parametrize(
    ("threshold", "text"),
    [(0.75, "75%"), (0.9, "90%"), (0.333, "33.3%"), (0.0, "0%"), (0.99999, "99.999%")],
)
def test_format_percent(threshold: float, text: str) -> None:
    assert format_percent(threshold) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (3.0, "3"),
        (1.5, "1.5"),
        (0.995, "0.995"),
        (0.999, "0.999"),
        (0.99999, "0.99999"),
        (0.9999999, "0.9999999"),
        (7 / 3, "2.33"),
        (0.1 + 0.2, "0.3"),
        (199.0, "199"),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text

"""The abstention lexicon: deflections, user phrases, and hedged answers that still commit."""

import pytest

from probe.abstentions import has_abstention_phrase, is_abstention
from probe.grading import assess_response
from probe.outcomes import Outcome
from probe.questions import AnswerType, Question
from probe.responses import ModelResponse


def make_question(answer_type: AnswerType, text: str, answers: tuple[str, ...]) -> Question:
    return Question(
        id="q", question=text, answers=answers, answer_type=answer_type, language="zh-Hant"
    )


YEAR = make_question("year", "艾菲爾鐵塔是哪一年建成的？", ("1889",))
PERSON = make_question("person", "《湖南人与现代中国》一书的作者是谁？", ("裴士锋",))


@pytest.mark.parametrize(
    "text",
    [
        "我不知道",
        "我不確定",
        "我不确定",
        "無法確定",
        "无法确定",
        "沒有相關資料",
        "没有相关资料",
        "不清楚",
        "對不起，我還沒有學會回答這個問題。",
        "对不起，我还没有学会回答这个问题。如果你有其他问题，我非常乐意为你提供帮助。",
        "对不起，我不能提供有关胡丹沸出生日期的信息。",
        "我们不评论这一细节。",
        "建议您查阅相关的历史资料。",
        "I would recommend checking the official records.",
        "Please provide more context so I can help.",
    ],
)
def test_abstention_phrases(text: str) -> None:
    assert is_abstention(text)


@pytest.mark.parametrize(
    "text",
    [
        "我不太確定，但應該是1889年",
        "我不太确定，但应该是1889年",
        "I'm not sure, but I think it was 1889.",
        "Not sure. Maybe 1889.",
        "1889年，不過我不確定。",
    ],
)
def test_hedged_answer_commits(text: str) -> None:
    assert not is_abstention(text, YEAR)


def test_hedged_answer_graded_as_its_value() -> None:
    response = ModelResponse(content="我不太確定，但應該是1889年")

    assessment = assess_response(YEAR, response)

    assert assessment.outcome is Outcome.CORRECT
    assert assessment.answer_key == "1889"


def test_context_without_value_is_abstention_for_year() -> None:
    text = "孙光荣同志是中医药界的杰出代表。关于他获得称号的具体时间，建议查询官方发布的信息。"

    assert is_abstention(text, YEAR)


def test_context_sentence_is_answer_for_text() -> None:
    # For a person question the sentence before the phrase may be the answer itself.
    text = "这本书是一位美国学者写的。具体姓名我不确定。"

    assert not is_abstention(text, PERSON)


def test_number_in_words_commits() -> None:
    question = make_question("number", "全书共分为多少卷？", ("4",))

    assert not is_abstention("大概四卷吧，我不确定。", question)


def test_extra_phrases_extend_lexicon() -> None:
    assert not is_abstention("无可奉告")
    assert is_abstention("无可奉告", extra_phrases=["无可奉告"])
    assert is_abstention("ＮＯ ＣＯＭＭＥＮＴ", extra_phrases=["no comment"])


def test_extra_phrases_reach_assessment() -> None:
    response = ModelResponse(content="无可奉告。")

    plain = assess_response(PERSON, response)
    extended = assess_response(PERSON, response, abstention_phrases=("无可奉告",))

    assert plain.outcome is not Outcome.ABSTAINED
    assert extended.outcome is Outcome.ABSTAINED


def test_has_abstention_phrase_ignores_commitment() -> None:
    assert has_abstention_phrase("我不太確定，但應該是1889年")
    assert not has_abstention_phrase("1889年")

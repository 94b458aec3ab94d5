import pytest

from probe.answers import Extraction, extract_answer, is_abstention, is_refusal, strip_reasoning
from probe.outcomes import Outcome
from probe.questions import AnswerType, Question
from probe.responses import ModelResponse

LONE_CLOSING_TAG = (
    "Hmm, was it 1887? I don't know exactly... it opened for the 1889 fair.\n</think>\n\n"
    "The Eiffel Tower was completed in 1889."
)


def make_question(
    answer_type: AnswerType = "year",
    question: str = "In what year was the Eiffel Tower completed?",
    answers: tuple[str, ...] = ("1889",),
) -> Question:
    return Question(
        id="q1", question=question, answers=answers, answer_type=answer_type, language="en"
    )


def reasoning_response(
    reasoning: str | None, finish_reason: str = "stop", content: str | None = None
) -> ModelResponse:
    return ModelResponse(
        content=content,
        finish_reason=finish_reason,
        reasoning=reasoning,
        reasoning_field="reasoning_content",
    )


# strip_reasoning


@pytest.mark.parametrize(
    ("text", "answer", "reasoning"),
    [
        ("Paris", "Paris", None),
        ("  Paris \n", "Paris", None),
        ("<think>capital of France</think>Paris", "Paris", "capital of France"),
        ("<think>\nhmm\n</think>\n\nParis", "Paris", "hmm"),
        ("<THINK>hmm</THINK>Paris", "Paris", "hmm"),
        ("< think >hmm</ think >Paris", "Paris", "hmm"),
        ("<think>a</think>X<think>b</think>Y", "X\nY", "a\nb"),
        ("<think></think>Paris", "Paris", ""),
        ("hmm</think>Paris", "Paris", "hmm"),
        ("a</think>b</think>c", "c", "a\nb"),
        ("<think>never closed", "", "never closed"),
        ("Intro <think>never closed", "", "Intro\nnever closed"),
        ("<think>a</think>b<think>c", "", "a\nb\nc"),
    ],
)
def test_strip_reasoning_table(text: str, answer: str, reasoning: str | None) -> None:
    assert strip_reasoning(text) == (answer, reasoning)


def test_strip_reasoning_lone_closing_tag() -> None:
    answer, reasoning = strip_reasoning(LONE_CLOSING_TAG)

    assert answer == "The Eiffel Tower was completed in 1889."
    assert reasoning == ("Hmm, was it 1887? I don't know exactly... it opened for the 1889 fair.")


# extract_answer: reasoning fields, truncation and refusals


def test_extract_reasoning_field_only_is_empty() -> None:
    extraction = extract_answer(reasoning_response("The answer is 1889."))

    assert extraction.outcome is Outcome.EMPTY
    assert extraction.source == "reasoning_content"
    assert extraction.answer is None
    assert "reasoning_content field" in extraction.reason


def test_extract_reasoning_field_as_answer() -> None:
    extraction = extract_answer(
        reasoning_response("The answer is 1889."), answer_from_reasoning=True
    )

    assert extraction.outcome is None
    assert extraction.answer == "The answer is 1889."
    assert extraction.source == "reasoning_content"


def test_extract_lone_closing_tag_answer() -> None:
    extraction = extract_answer(
        ModelResponse(content=LONE_CLOSING_TAG, finish_reason="stop"), question=make_question()
    )

    assert extraction.outcome is None
    assert extraction.answer == "The Eiffel Tower was completed in 1889."
    assert extraction.source == "content"


def test_extract_truncated_reasoning() -> None:
    extraction = extract_answer(reasoning_response("Let me think about", finish_reason="length"))

    assert extraction.outcome is Outcome.TRUNCATED
    assert extraction.source == "reasoning_content"
    assert extraction.answer is None


def test_extract_truncated_ignores_reasoning_option() -> None:
    response = reasoning_response("Let me think about", finish_reason="length")

    extraction = extract_answer(response, answer_from_reasoning=True)

    assert extraction.outcome is Outcome.TRUNCATED


def test_extract_refusal_field() -> None:
    response = ModelResponse(content=None, refusal="I'm sorry, I can't help with that.")

    extraction = extract_answer(response)

    assert extraction.outcome is Outcome.REFUSED
    assert extraction.reason == "the refusal field is set"


# extract_answer: other stops, sources and abstentions


def test_extract_refusal_field_wins_over_content() -> None:
    response = ModelResponse(content="Paris", finish_reason="stop", refusal="No.")

    assert extract_answer(response).outcome is Outcome.REFUSED


def test_extract_blank_refusal_field_ignored() -> None:
    response = ModelResponse(content="Paris", finish_reason="stop", refusal="  ")

    assert extract_answer(response).outcome is None


def test_extract_refusal_in_content() -> None:
    response = ModelResponse(content="I'm sorry, I can't help with that.", finish_reason="stop")

    extraction = extract_answer(response)

    assert extraction.outcome is Outcome.REFUSED
    assert extraction.answer == "I'm sorry, I can't help with that."
    assert extraction.source == "content"


def test_extract_content_filter() -> None:
    response = ModelResponse(content="", finish_reason="content_filter")

    extraction = extract_answer(response)

    assert extraction.outcome is Outcome.REFUSED
    assert extraction.reason == "stopped by the content filter"


def test_extract_content_filter_keeps_partial_text() -> None:
    response = ModelResponse(content="The answer", finish_reason="content_filter")

    assert extract_answer(response).answer == "The answer"


@pytest.mark.parametrize("finish_reason", ["stop", "length", None])
def test_extract_unclosed_think_truncated(finish_reason: str | None) -> None:
    response = ModelResponse(content="<think>The tower was", finish_reason=finish_reason)

    extraction = extract_answer(response)

    assert extraction.outcome is Outcome.TRUNCATED
    assert extraction.reason == "reasoning never closed"
    assert extraction.source == "content"


def test_extract_length_after_think_truncated() -> None:
    response = ModelResponse(content="<think>long thought</think>", finish_reason="length")

    extraction = extract_answer(response)

    assert extraction.outcome is Outcome.TRUNCATED
    assert extraction.reason == "stopped for length before an answer"


def test_extract_length_with_answer_text_kept() -> None:
    response = ModelResponse(content="The Eiffel Tower was completed in", finish_reason="length")

    extraction = extract_answer(response)

    assert extraction.outcome is None
    assert extraction.answer == "The Eiffel Tower was completed in"


@pytest.mark.parametrize("content", [None, "", "   \n"])
def test_extract_no_text_is_empty(content: str | None) -> None:
    extraction = extract_answer(ModelResponse(content=content, finish_reason="stop"))

    assert extraction.outcome is Outcome.EMPTY
    assert extraction.source is None


def test_extract_length_with_no_text_truncated() -> None:
    extraction = extract_answer(ModelResponse(content=None, finish_reason="length"))

    assert extraction.outcome is Outcome.TRUNCATED
    assert extraction.source is None


def test_extract_think_block_only_is_empty() -> None:
    response = ModelResponse(content="<think>It is 1889.</think>", finish_reason="stop")

    extraction = extract_answer(response)

    assert extraction.outcome is Outcome.EMPTY
    assert extraction.source == "content"
    assert "<think> block" in extraction.reason


def test_extract_think_block_as_answer() -> None:
    response = ModelResponse(content="<think>It is 1889.</think>", finish_reason="stop")

    extraction = extract_answer(response, answer_from_reasoning=True)

    assert extraction.outcome is None
    assert extraction.answer == "It is 1889."
    assert extraction.source == "content"


def test_extract_reasoning_field_named_reasoning() -> None:
    response = ModelResponse(
        content=None, finish_reason="stop", reasoning="1889", reasoning_field="reasoning"
    )

    assert extract_answer(response).source == "reasoning"


def test_extract_reasoning_field_name_missing() -> None:
    response = ModelResponse(content=None, finish_reason="stop", reasoning="1889")

    assert extract_answer(response).source == "reasoning"


def test_extract_content_wins_over_reasoning_field() -> None:
    response = reasoning_response("It might be 1887.", content="1889")

    extraction = extract_answer(response, answer_from_reasoning=True)

    assert extraction.answer == "1889"
    assert extraction.source == "content"


def test_extract_missing_finish_reason_counts_as_stop() -> None:
    response = ModelResponse(content=None, reasoning="1889", reasoning_field="reasoning_content")

    assert extract_answer(response).outcome is Outcome.EMPTY


def test_extract_abstention_keeps_text() -> None:
    response = ModelResponse(content="I don't know.", finish_reason="stop")

    extraction = extract_answer(response)

    assert extraction.outcome is Outcome.ABSTAINED
    assert extraction.answer == "I don't know."
    assert extraction.source == "content"


def test_extract_abstention_in_reasoning_field() -> None:
    response = reasoning_response("I don't know.")

    extraction = extract_answer(response, answer_from_reasoning=True)

    assert extraction.outcome is Outcome.ABSTAINED
    assert extraction.source == "reasoning_content"


def test_extract_doubt_inside_think_not_abstention() -> None:
    response = ModelResponse(
        content="<think>I don't know... maybe 1889.</think>Paris", finish_reason="stop"
    )

    assert extract_answer(response).outcome is None


def test_extract_hedged_answer_uses_question() -> None:
    response = ModelResponse(content="I'm not sure. 1889?", finish_reason="stop")

    with_question = extract_answer(response, question=make_question())
    without_question = extract_answer(response)

    assert with_question.outcome is None
    assert without_question.outcome is Outcome.ABSTAINED


def test_extraction_is_frozen() -> None:
    extraction = Extraction(None, "Paris", "content", "answer text from content")

    with pytest.raises(AttributeError):
        extraction.answer = "Lyon"  # type: ignore[misc]


# is_abstention


@pytest.mark.parametrize(
    "text",
    [
        "I don't know",
        "I don't know.",
        "I don\u2019t know.",
        "I do not know",
        "I don't know exactly.",
        "I'm not sure",
        "I am not certain",
        "I'm not entirely sure.",
        "Not sure.",
        "I cannot determine the year.",
        "I can't say.",
        "I don't have information about the Hallbrecht Bridge.",
        "I don't have reliable information on that.",
        "There is no record of such a bridge.",
        "There's no reliable information about it.",
        "I'm not aware of any bridge by that name.",
        "I couldn't find any record of this person.",
        "I have no idea.",
        "Nobody knows.",
        "The exact date is unknown.",
        "Unknown.",
        "unknown",
        "I'm sorry, but I don't know.",
        "Sorry, I don't know.",
        "Hmm, I'm not sure.",
        "I'm not certain, though.",
        "I don't know. Maybe ask a librarian.",
        "I don't know, but you could check an encyclopedia.",
        "我不知道",
        "我不知道。",
        "我不確定",
        "我不确定",
        "我不太確定。",
        "無法確定",
        "无法确定",
        "沒有相關資料",
        "没有相关资料",
        "不清楚",
        "無法回答",
        "无法回答",
        "沒有資料",
        "没有资料",
        "不知道",
        "不知道。",
        "抱歉，我不知道。",
        "我没有找到相关的记录。",
        "关于这座桥的信息，我没有找到直接相关的记录。",
        "我无法提供确切的信息。",
        "不详",
    ],
)
def test_is_abstention_true(text: str) -> None:
    assert is_abstention(text)


@pytest.mark.parametrize(
    "text",
    [
        "Paris",
        "As far as I know, it is Paris.",
        "Everyone knows the answer: 1889.",
        "I know this one: Paris.",
        "I'm not sure, but I think it was 1889.",
        "I don't know for sure, but it's probably Paris.",
        "I'm not sure; probably Paris.",
        "I'm not certain. I think it is Paris.",
        "Paris, but I'm not sure.",
        "Paris (I'm not certain).",
        "Paris \u2014 though I'm not certain.",
        "I believe it is Paris, but I don't know for sure.",
        "It is a French city. I don't know more.",
        "我不太確定，但應該是1889年",
        "我不确定，可能是巴黎。",
        "我不知道具体年份，但答案是1889年。",
        "巴黎，但我不确定。",
        "《株林野史》是一部清代小说，作者不详。",
        "The Unknown Soldier",
        "",
    ],
)
def test_is_abstention_false(text: str) -> None:
    assert not is_abstention(text)


@pytest.mark.parametrize(
    ("text", "answer_type", "question_text"),
    [
        ("I don't know exactly... it opened for the 1889 fair.", "year", None),
        ("I'm not sure. 1889?", "year", None),
        ("1889? I'm not sure.", "year", None),
        ("I don't know, it might have 8,000 seats.", "number", "How many seats are there?"),
        ("Not sure, maybe 22-09.", "date", "On what day and month was Faraday born?"),
        ("I'm not sure. September 22?", "date", "On what day and month was Faraday born?"),
        ("我不确定，1957年？", "year", "武汉长江大桥于哪一年建成通车？"),
    ],
)
def test_is_abstention_value_commits(
    text: str, answer_type: AnswerType, question_text: str | None
) -> None:
    if question_text is None:
        question = make_question(answer_type)
    else:
        question = make_question(answer_type, question_text)

    assert not is_abstention(text, question)


@pytest.mark.parametrize(
    ("text", "question_text"),
    [
        ("I don't know who won the 1998 final.", "Who won the 1998 final?"),
        ("I'm not sure about the 1998 final.", "In what year did the 1998 team disband?"),
        ("I don't know how tall the 2 towers are.", "How tall are the 2 towers?"),
        ("我不知道2022年川剧节在哪个市演出。", "2022年川剧节开幕演出是在哪个市演出的？"),
    ],
)
def test_is_abstention_question_value_ignored(text: str, question_text: str) -> None:
    question = make_question("number", question_text)

    assert is_abstention(text, question)


def test_is_abstention_value_needs_question() -> None:
    text = "I don't know exactly... it opened for the 1889 fair."

    assert is_abstention(text)


def test_is_abstention_text_type_ignores_numbers() -> None:
    question = make_question("person", "Who wrote the 1962 novel?", ("Ann Lee",))

    assert is_abstention("I'm not aware of any 1962 novel by that title.", question)


# is_refusal


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry, I can't help with that.",
        "I'm sorry, but I can't assist with that request.",
        "Sorry, I cannot help with this.",
        "I can't help with that.",
        "I won't help with that.",
        "I am unable to comply.",
        "Unfortunately, I'm not able to assist with that.",
        "抱歉，我无法协助这个请求。",
        "對不起，我不能幫助你。",
    ],
)
def test_is_refusal_true(text: str) -> None:
    assert is_refusal(text)


@pytest.mark.parametrize(
    "text",
    [
        "Paris",
        "I don't know.",
        "I cannot determine the year.",
        "The museum helps visitors; I can't help noticing it was 1889.",
        "我无法回答。",
        "They said: I can't help with that.",
    ],
)
def test_is_refusal_false(text: str) -> None:
    assert not is_refusal(text)

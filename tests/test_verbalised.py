from pathlib import Path

import pytest

from probe.outcomes import Outcome
from probe.questions import Question
from probe.responses import ModelResponse
from probe.samples import SampleRecord
from probe.verbalised import (
    VERBALISED_JSONL,
    build_verbalised_messages,
    parse_verbalised,
    read_verbalised,
    verbalised_question,
)
from probe.verbalised_run import verbalised_record

C = Outcome.CORRECT
I = Outcome.INCORRECT  # noqa: E741 (C, I, A read as a table of outcomes)
A = Outcome.ABSTAINED


@pytest.mark.parametrize(
    ("content", "answer", "confidence"),
    [
        ("Answer: 1889\nConfidence: 85", "1889", 0.85),
        ("answer: Paris\nconfidence: 100", "Paris", 1.0),
        ("  Answer:  1889 \n Confidence: 72.5% ", "1889", 0.725),
        ("<think>maybe 1887</think>Answer: 1889\nConfidence: 0", "1889", 0.0),
        ("Answer: I don't know\nConfidence: 10", "I don't know", 0.1),
    ],
)
def test_parse_valid(content: str, answer: str, confidence: float) -> None:
    reply = parse_verbalised(content)
    assert (reply.answer, reply.confidence, reply.error) == (
        answer,
        pytest.approx(confidence),
        None,
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("1889 (fairly sure)", "not the two lines"),
        ("Answer: 1889", "not the two lines"),
        ("Answer: 1889\nConfidence: high", "is not a number"),
        ("Answer: 1889\nConfidence: 120", "above 100"),
        ("Answer: 1889\nConfidence: 80\nI hope that helps", "not the two lines"),
        ("Answer: 1889\nConfidence: -5", "is not a number"),
        ("", "empty reply"),
        (None, "empty reply"),
    ],
)
def test_parse_failure_recorded(content: str | None, reason: str) -> None:
    reply = parse_verbalised(content)
    assert reply.confidence is None
    assert reply.error is not None and reason in reply.error


def test_parse_empty_answer_keeps_confidence() -> None:
    reply = parse_verbalised("Answer:\nConfidence: 40")
    assert (reply.answer, reply.confidence, reply.error) == (None, 0.4, "the answer line is empty")


def test_messages_ask_for_both_lines() -> None:
    question = Question(
        id="q", question="When?", answers=("1889",), answer_type="year", language="en"
    )
    system = build_verbalised_messages(question)[0]["content"]
    assert "Answer: <your answer>\nConfidence: <0 to 100>" in system


def test_messages_chinese_abstention_phrase() -> None:
    question = Question(
        id="q", question="幾時？", answers=("1889",), answer_type="year", language="zh-Hant"
    )
    assert "我不知道" in build_verbalised_messages(question)[0]["content"]


def test_question_mean_of_modal_cluster() -> None:
    # Modal 1889 (two samples, 0.8 and 0.6); the 1887 sample's 0.9 is not about m_q.
    result = verbalised_question(
        "q", [(C, "1889", "1889", 0.8), (I, "1887", "1887", 0.9), (C, "1889", "1889", 0.6)]
    )
    assert result.confidence == pytest.approx(0.7)
    assert result.modal_correct is True


def test_question_parse_failures_left_out() -> None:
    result = verbalised_question("q", [(I, "1887", "1887", None), (I, "1887", "1887", 0.3)])
    assert result.confidence == pytest.approx(0.3)


def test_question_no_parsed_confidence_none() -> None:
    result = verbalised_question("q", [(I, "1887", "1887", None)])
    assert (result.confidence, result.modal_correct) == (None, False)


def test_question_all_abstained_none() -> None:
    result = verbalised_question("q", [(A, "<abstained>", "I don't know", 0.1)])
    assert (result.confidence, result.modal_correct) == (None, None)


# Records of verbalised replies

YEAR = Question(id="q", question="When?", answers=("1889",), answer_type="year", language="en")


def test_record_grades_answer_line() -> None:
    record = verbalised_record(YEAR, 2, ModelResponse(content="Answer: 1889\nConfidence: 80"))
    assert (record.outcome, record.answer_key, record.stated_confidence) == (C, "1889", 0.8)


def test_record_keeps_raw_reply() -> None:
    record = verbalised_record(YEAR, 0, ModelResponse(content="Answer: 1889\nConfidence: 80"))
    assert record.response is not None
    assert record.response.content == "Answer: 1889\nConfidence: 80"


def test_record_parse_failure_no_confidence() -> None:
    record = verbalised_record(YEAR, 0, ModelResponse(content="1887, I am fairly sure"))
    assert record.stated_confidence is None
    assert record.confidence_error is not None


def test_record_parse_failure_still_graded() -> None:
    record = verbalised_record(YEAR, 0, ModelResponse(content="1887, I am fairly sure"))
    assert record.outcome is I


def test_record_abstention() -> None:
    reply = ModelResponse(content="Answer: I don't know\nConfidence: 5")
    assert verbalised_record(YEAR, 0, reply).outcome is A


def test_read_keeps_first_answer_per_key(tmp_path: Path) -> None:
    failed = SampleRecord(
        question_id="q", threshold=0.0, sample_index=0, outcome=Outcome.ERROR, error="HTTP 503"
    )
    first = verbalised_record(YEAR, 0, ModelResponse(content="Answer: 1887\nConfidence: 50"))
    second = verbalised_record(YEAR, 0, ModelResponse(content="Answer: 1889\nConfidence: 90"))
    lines = [r.model_dump_json() for r in (failed, first, second)] + ['{"torn": ']
    (tmp_path / VERBALISED_JSONL).write_text("\n".join(lines), encoding="utf-8")
    assert [record.answer for record in read_verbalised(tmp_path)] == ["1887"]


def test_read_missing_file_empty(tmp_path: Path) -> None:
    assert read_verbalised(tmp_path) == []

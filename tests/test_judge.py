"""The LLM judge: strict verdict parsing, bounded re-asks, the cache, and the grading pass."""

import asyncio

import pytest

from probe.grading_pass import GradingOptions, grade_responses
from probe.judge import Judge, Judgement, Verdict, parse_verdict
from probe.outcomes import Outcome
from probe.questions import Question
from probe.responses import ModelResponse
from tests.judge_server import ScriptedJudge, judge_config, judged_answer
from tests.openai_server import OpenAIServer, chat_reply

PARIS = Question(
    id="paris",
    question="What is the capital of France?",
    answers=("Paris",),
    answer_type="place",
    language="en",
)
# The grader leaves this answer ungraded: it is long and names no gold alias.
UNGRADED_ANSWER = "The seat of government is the city of lights on the Seine, known for its tower"


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("CORRECT", Verdict.CORRECT),
        ("INCORRECT", Verdict.INCORRECT),
        ("NOT_ATTEMPTED", Verdict.NOT_ATTEMPTED),
        ("NOT ATTEMPTED", Verdict.NOT_ATTEMPTED),
        ("A", Verdict.CORRECT),
        ("B", Verdict.INCORRECT),
        ("C", Verdict.NOT_ATTEMPTED),
        ("The answer is B", Verdict.INCORRECT),
        ("This is a B", Verdict.INCORRECT),
        ("GRADE: C. There is no reason to downgrade: the answer is fine.", Verdict.NOT_ATTEMPTED),
        ("预测答案与标准答案不符，因此回答错误。\n\nB", Verdict.INCORRECT),
        ("评估：模型没有回答问题。\n</think>\n\nC", Verdict.NOT_ATTEMPTED),
        ("答案：A", Verdict.CORRECT),
    ],
)
def test_parse_verdict(reply: str, verdict: Verdict) -> None:
    assert parse_verdict(reply) is verdict


@pytest.mark.parametrize(
    "reply",
    ["", "It depends.", "A or B", "Grade: A. On reflection, grade: B.", "I would not grade this."],
)
def test_parse_verdict_none(reply: str) -> None:
    assert parse_verdict(reply) is None


def judge_once(server: OpenAIServer, answer: str, **fields: object) -> Judgement:
    async def call() -> Judgement:
        judge = Judge.connect(judge_config(server, **fields))
        try:
            return await judge.judge(PARIS, answer)
        finally:
            await judge.aclose()

    return asyncio.run(call())


def test_judge_asks_again_at_temperature_zero() -> None:
    script = ScriptedJudge(lambda answer, count: "Hmm, hard to say." if count == 0 else "A")
    with OpenAIServer(script) as server:
        judgement = judge_once(server, "Paris")

    assert judgement.verdict is Verdict.CORRECT
    assert judgement.attempts == 2
    assert server.requests[0].body["temperature"] == 0.7
    assert server.requests[1].body["temperature"] == 0


def test_judge_unreadable_reply_bounded_then_no_verdict() -> None:
    script = ScriptedJudge(lambda answer, count: "I cannot decide.")
    with OpenAIServer(script) as server:
        judgement = judge_once(server, "Paris", reparse_attempts=2)

    assert judgement.verdict is None
    assert len(server.requests) == 3
    assert "no verdict" in judgement.reason
    assert judgement.reply == "I cannot decide."


def test_judge_request_failure_no_verdict() -> None:
    with OpenAIServer(ScriptedJudge(lambda answer, count: None)) as server:
        judgement = judge_once(server, "Paris")

    assert judgement.verdict is None
    assert "request failed" in judgement.reason


@pytest.mark.parametrize(
    ("answer_from_reasoning", "verdict"), [(True, Verdict.INCORRECT), (False, None)]
)
def test_judge_verdict_only_in_reasoning(
    answer_from_reasoning: bool, verdict: Verdict | None
) -> None:
    reply = chat_reply(
        "", reasoning_content="The answer names Lyon, so the grade is B", model="judge-1"
    )
    with OpenAIServer(ScriptedJudge(lambda answer, count: reply)) as server:
        judgement = judge_once(
            server, "Lyon", answer_from_reasoning=answer_from_reasoning, reparse_attempts=0
        )

    assert judgement.verdict is verdict


def test_judge_caches_by_normalised_answer() -> None:
    async def call(judge: Judge) -> list[Judgement]:
        first = await asyncio.gather(*(judge.judge(PARIS, text) for text in ["Paris.", "paris"]))
        second = await judge.judge(PARIS, "PARIS")
        return [*first, second]

    with OpenAIServer(ScriptedJudge(lambda answer, count: "A")) as server:
        judge = Judge.connect(judge_config(server))
        try:
            judgements = asyncio.run(call(judge))
        finally:
            asyncio.run(judge.aclose())

    assert {judgement.verdict for judgement in judgements} == {Verdict.CORRECT}
    assert len(server.requests) == 1


def test_judge_prompt_names_question_gold_and_answer() -> None:
    with OpenAIServer(ScriptedJudge(lambda answer, count: "A")) as server:
        judge_once(server, "Paris")

    prompt = server.requests[0].body["messages"][-1]["content"]
    assert "Question: What is the capital of France?" in prompt
    assert "Gold answer: Paris" in prompt
    assert judged_answer(server.requests[0]) == "Paris"


def grade_with_judge(server: OpenAIServer, content: str, mode: str):  # type: ignore[no-untyped-def]
    async def call():  # type: ignore[no-untyped-def]
        judge = Judge.connect(judge_config(server, mode=mode))
        try:
            pairs = [(PARIS, ModelResponse(content=content))]
            return (await grade_responses(pairs, GradingOptions(), judge))[0]
        finally:
            await judge.aclose()

    return asyncio.run(call())


@pytest.mark.parametrize(
    ("reply", "outcome", "key"),
    [
        ("A", Outcome.CORRECT, "paris"),
        ("B", Outcome.INCORRECT, None),
        ("C", Outcome.ABSTAINED, "<abstained>"),
    ],
)
def test_pass_judge_decides_ungraded(reply: str, outcome: Outcome, key: str | None) -> None:
    with OpenAIServer(ScriptedJudge(lambda answer, count: reply)) as server:
        graded = grade_with_judge(server, UNGRADED_ANSWER, "ungraded-only")

    assert graded.grader.outcome is Outcome.UNGRADED
    assert graded.assessment.outcome is outcome
    assert graded.judge_decided
    if key is not None:
        assert graded.assessment.answer_key == key


def test_pass_ungraded_only_skips_decided() -> None:
    with OpenAIServer(ScriptedJudge(lambda answer, count: "B")) as server:
        graded = grade_with_judge(server, "Paris", "ungraded-only")

    assert graded.judgement is None
    assert server.requests == []


def test_pass_mode_all_keeps_grade_and_flags_disagreement() -> None:
    with OpenAIServer(ScriptedJudge(lambda answer, count: "B")) as server:
        graded = grade_with_judge(server, "Paris", "all")

    assert graded.assessment.outcome is Outcome.CORRECT
    assert graded.judgement is not None
    assert graded.judgement.verdict is Verdict.INCORRECT
    assert graded.disagrees


def test_pass_no_verdict_stays_ungraded() -> None:
    with OpenAIServer(ScriptedJudge(lambda answer, count: "maybe")) as server:
        graded = grade_with_judge(server, UNGRADED_ANSWER, "ungraded-only")

    assert graded.assessment.outcome is Outcome.UNGRADED
    assert "no verdict" in graded.assessment.reason


def test_same_answer_question() -> None:
    async def call(judge: Judge) -> bool | None:
        return await judge.same_answer(PARIS, "the city of lights", "the French capital")

    with OpenAIServer(ScriptedJudge(lambda answer, count: "SAME")) as server:
        judge = Judge.connect(judge_config(server, merge_clusters=True))
        try:
            same = asyncio.run(call(judge))
        finally:
            asyncio.run(judge.aclose())

    assert same is True
    assert "SAME or DIFFERENT" in server.requests[0].body["messages"][-1]["content"]

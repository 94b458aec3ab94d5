"""The LLM judge: a second grader, asked only about what the deterministic grader leaves.

It follows the SimpleQA grading rubric (correct, incorrect, not attempted; a hedged but
correct answer is correct) and asks for one letter. The reply is read strictly
(probe.grading.letters): a reply that gives no verdict, or two different ones, is asked
again at temperature 0 a bounded number of times and then left without a verdict. It never
defaults to a grade. Verdicts are cached by question, gold answers and normalised answer, so
each distinct answer is judged once.
"""

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, TypeVar

from probe.answers import extract_answer
from probe.client import ChatClient, RequestFailed
from probe.config import JudgeConfig
from probe.errors import ConfigError
from probe.grading.letters import pick_token
from probe.grading.normalize import normalize_text
from probe.questions import Question
from probe.responses import ModelResponse

logger = logging.getLogger(__name__)

_Parsed = TypeVar("_Parsed")


class Verdict(StrEnum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    NOT_ATTEMPTED = "not_attempted"


@dataclass(frozen=True)
class Judgement:
    """The judge's verdict on one answer, or None with the reason it has none."""

    verdict: Verdict | None
    reason: str
    # The text of the last reply, kept for the audit.
    reply: str
    attempts: int


JUDGE_TEMPLATE = """You grade one answer to a factual question by comparing it with the gold answer.

Question: {question}
Gold answer: {gold}
Answer to grade: {answer}

Grades:
A (CORRECT): the answer gives the gold answer or an equivalent of it: another spelling, an
alias, a translation, or the same quantity in other units. Hedging such as "I think" or
"probably" does not matter when the answer it commits to is right. Extra detail is fine
as long as nothing in the answer contradicts the gold answer.
B (INCORRECT): the answer commits to something that contradicts the gold answer, offers
several candidates of which one is wrong, or gives less than the question asks for.
C (NOT_ATTEMPTED): the answer commits to no value: it declines, says it does not know, asks
for more information, or talks about the subject without answering the question.

A number is correct when it equals the gold value to the precision the gold gives, or lies
inside an acceptable range the gold states. A name is correct when it clearly names the
same person, place or thing as the gold answer.

Reply with the letter only: A, B or C."""

SAME_ANSWER_TEMPLATE = """Two answers were given to the question below. Do they name the same \
thing (the same person, place, value or work), in other words?

Question: {question}
First answer: {first}
Second answer: {second}

Reply with one word only: SAME or DIFFERENT."""

# The forms a verdict may take in a reply, and the verdict each gives.
_VERDICT_TOKENS = {
    "A": Verdict.CORRECT,
    "B": Verdict.INCORRECT,
    "C": Verdict.NOT_ATTEMPTED,
    "CORRECT": Verdict.CORRECT,
    "INCORRECT": Verdict.INCORRECT,
    "NOT_ATTEMPTED": Verdict.NOT_ATTEMPTED,
    "NOT ATTEMPTED": Verdict.NOT_ATTEMPTED,
}
_SAME_TOKENS = {"SAME": "same", "DIFFERENT": "different"}


def prompt_sha256(template: str = JUDGE_TEMPLATE) -> str:
    """Return the SHA-256 of a judge prompt template, which identifies it in run.json."""
    return hashlib.sha256(template.encode("utf-8")).hexdigest()


def parse_verdict(text: str) -> Verdict | None:
    """Read the verdict of a reply, or return None when it gives none or several."""
    picked = pick_token(text, {form: value.value for form, value in _VERDICT_TOKENS.items()})
    if len(picked.values) != 1:
        return None
    return Verdict(picked.values[0])


def format_gold(question: Question) -> str:
    """Write the gold answers for the prompt: the first, then the other accepted forms."""
    if not question.answers:
        return "(none: the question cannot be answered, so abstaining is the right response)"
    first, *others = question.answers
    if question.options:
        texts = dict(question.lettered_options())
        first = f"{first} ({texts.get(first, '')})"
    return f"{first} (also accepted: {'; '.join(others)})" if others else first


class Judge:
    """A verdict client for an OpenAI-compatible endpoint, with a cache and bounded re-asks."""

    def __init__(self, config: JudgeConfig, client: ChatClient) -> None:
        self.config = config
        self._client = client
        self._verdicts: dict[tuple[str, tuple[str, ...], str], asyncio.Task[Judgement]] = {}
        self._same: dict[tuple[str, str, str], asyncio.Task[bool | None]] = {}
        self._slots = asyncio.Semaphore(config.endpoint.max_concurrency)
        self.requests = 0

    @classmethod
    def connect(cls, config: JudgeConfig) -> "Judge":
        """Create a judge with its own client for the configured endpoint."""
        endpoint = config.endpoint
        if not endpoint.base_url or not endpoint.model:
            raise ConfigError(
                "the judge needs endpoint.base_url and endpoint.model, e.g. base_url: "
                "http://127.0.0.1:8000/v1 and model: my-judge."
            )
        client = ChatClient(
            endpoint, base_url=endpoint.base_url, model=endpoint.model, api_key=endpoint.api_key()
        )
        return cls(config, client)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def judge(self, question: Question, answer: str) -> Judgement:
        """Return the verdict on one answer, asking the endpoint once per distinct answer."""
        key = (question.question, question.answers, normalize_text(answer))
        if key not in self._verdicts:
            self._verdicts[key] = asyncio.ensure_future(self._ask_verdict(question, answer))
        return await self._verdicts[key]

    async def same_answer(self, question: Question, first: str, second: str) -> bool | None:
        """Ask whether two answers name the same thing; None when the reply gives no word."""
        pair = sorted((normalize_text(first), normalize_text(second)))
        key = (question.question, pair[0], pair[1])
        if key not in self._same:
            self._same[key] = asyncio.ensure_future(self._ask_same(question, first, second))
        return await self._same[key]

    def record(self) -> dict[str, Any]:
        """Describe the judge for run.json and the report: model, mode and prompt hashes."""
        return {
            "model": self._client.model,
            "base_url": self.config.endpoint.base_url,
            "mode": self.config.mode,
            "prompt_sha256": prompt_sha256(JUDGE_TEMPLATE),
            "same_answer_prompt_sha256": (
                prompt_sha256(SAME_ANSWER_TEMPLATE) if self.config.merge_clusters else None
            ),
            "reparse_attempts": self.config.reparse_attempts,
            "distinct_answers_judged": len(self._verdicts),
            "requests": self.requests,
        }

    async def _ask_verdict(self, question: Question, answer: str) -> Judgement:
        prompt = JUDGE_TEMPLATE.format(
            question=question.question, gold=format_gold(question), answer=answer
        )
        try:
            reply, attempts, value = await self._ask(prompt, parse_verdict)
        except RequestFailed as error:
            reason = f"the judge request failed after {error.attempts} attempt(s): {error.reason}"
            return Judgement(None, reason, "", error.attempts)
        if value is None:
            reason = f"no verdict could be read from the judge's reply after {attempts} request(s)"
            return Judgement(None, reason, reply, attempts)
        return Judgement(value, f"the judge's verdict: {value.value}", reply, attempts)

    async def _ask_same(self, question: Question, first: str, second: str) -> bool | None:
        prompt = SAME_ANSWER_TEMPLATE.format(question=question.question, first=first, second=second)
        try:
            _, _, value = await self._ask(prompt, _parse_same)
        except RequestFailed as error:
            logger.warning("judge request failed; answers not merged: %s", error.reason)
            return None
        return None if value is None else value == "same"

    async def _ask(
        self, prompt: str, parse: Callable[[str], _Parsed | None]
    ) -> tuple[str, int, _Parsed | None]:
        # The first request uses the configured temperature, the re-asks temperature 0.
        messages = [{"role": "user", "content": prompt}]
        reply = ""
        attempts = 0
        for attempt in range(1 + self.config.reparse_attempts):
            attempts = attempt + 1
            reply = await self._request(messages, greedy=attempt > 0)
            value = parse(reply)
            if value is not None:
                return reply, attempts, value
            logger.info(
                "no verdict in the judge's reply %r; asking again at temperature 0", reply[:80]
            )
        return reply, attempts, None

    async def _request(self, messages: list[dict[str, str]], *, greedy: bool) -> str:
        options = replace(self._client.options, temperature=0.0) if greedy else None
        async with self._slots:
            self.requests += 1
            completion = await self._client.complete(messages, options=options)
        return _reply_text(completion.choices[0], self.config.endpoint.answer_from_reasoning)


def _reply_text(response: ModelResponse, answer_from_reasoning: bool) -> str:
    # The same rules as for model answers: <think> blocks are removed, and a reply only in
    # the reasoning field counts only when answer_from_reasoning is set.
    extraction = extract_answer(response, answer_from_reasoning=answer_from_reasoning)
    return extraction.answer or ""


def _parse_same(text: str) -> str | None:
    picked = pick_token(text, _SAME_TOKENS)
    return picked.values[0] if len(picked.values) == 1 else None

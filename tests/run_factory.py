"""Real run folders for report and check tests: `probe run` against random models on 127.0.0.1.

A `KnowingModel` knows the answer to question q with probability p_q. At a stated threshold
t it answers when its belief about p_q exceeds t and abstains otherwise, and an answer is
right with probability p_q. Every draw comes from a hash of (seed, question, t, draw
number), so the answers a run collects for one question and t do not depend on the order in
which concurrent requests arrive.
"""

import hashlib
import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from probe.cli import main
from tests.openai_server import OpenAIServer, ReceivedRequest, Reply, stated_threshold, user_prompt

IDK = "I don't know"

# Chance of knowing the answer, by question group, and how many questions each group has.
KNOWLEDGE = (("sure", 0.95, 10), ("likely", 0.8, 10), ("unsure", 0.5, 10), ("guess", 0.2, 6))
FABRICATED = 4


def knowledge_questions() -> list[dict[str, Any]]:
    """Build 40 number questions in groups of known difficulty, 4 of them unanswerable."""
    questions: list[dict[str, Any]] = []
    for group, p, count in KNOWLEDGE:
        for index in range(count):
            questions.append(
                {
                    "id": f"{group}-{index}",
                    "question": f"How many stones are in cairn {group} number {index}?",
                    "answers": [str(1000 + 37 * len(questions))],
                    "answer_type": "number",
                    "language": "en",
                    "tags": [group],
                    "metadata": {"p": p},
                }
            )
    for index in range(FABRICATED):
        questions.append(
            {
                "id": f"fabricated-{index}",
                "question": f"How many stones are in the imaginary cairn {index}?",
                "answers": [],
                "answer_type": "number",
                "language": "en",
                "unanswerable": True,
                "tags": ["fabricated"],
                "metadata": {"p": 0.0},
            }
        )
    return questions


@dataclass
class KnowingModel:
    """Answers like a model with a known chance p_q of knowing each answer.

    `overconfidence` is added to the model's belief before comparing it with t, so a
    positive value makes it answer where it should abstain.
    """

    questions: Sequence[dict[str, Any]]
    seed: int
    overconfidence: float = 0.0
    name: str = "knowing-1"
    _drawn: Counter[tuple[str, float]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: ReceivedRequest, index: int) -> Reply:
        question = self._question(request)
        n = int(request.body.get("n") or 1)
        if question is None:
            # A request that is not a question, such as an endpoint check: random text.
            return _reply([self._noise(index, i) for i in range(n)], self.name)
        threshold = stated_threshold(request)
        return _reply([self._answer(question, threshold) for _ in range(n)], self.name)

    def _answer(self, question: dict[str, Any], threshold: float) -> str:
        key = (question["id"], threshold)
        with self._lock:
            draw = self._drawn[key]
            self._drawn[key] += 1
        chance = _uniforms(self.seed, question["id"], threshold, draw)
        p = question["metadata"]["p"]

        if threshold > 0 and p + self.overconfidence <= threshold:
            return IDK
        if chance[0] < p:
            return str(question["answers"][0])
        return str(5000 + 111 * int(chance[1] * 3))

    def _question(self, request: ReceivedRequest) -> dict[str, Any] | None:
        prompt = user_prompt(request)
        return next((q for q in self.questions if q["question"] in prompt), None)

    def _noise(self, index: int, choice: int) -> str:
        return hashlib.sha256(f"{self.seed}-{index}-{choice}".encode()).hexdigest()[:12]


def _uniforms(seed: int, question_id: str, threshold: float, draw: int) -> tuple[float, float]:
    generator = random.Random(f"{seed}/{question_id}/{threshold}/{draw}")
    return generator.random(), generator.random()


def _reply(contents: Sequence[str], model: str) -> Reply:
    return Reply(
        body={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": index,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
                for index, content in enumerate(contents)
            ],
            "usage": {"prompt_tokens": 40, "completion_tokens": 4, "total_tokens": 44},
        }
    )


def write_questions(path: Path, questions: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), "utf-8")
    return path


def probe_run(
    responder: Callable[[ReceivedRequest, int], Reply],
    question_file: Path,
    results: Path,
    run_id: str,
    *extra: str,
) -> Path:
    """Run `probe run` against `responder` on 127.0.0.1 and return the run folder."""
    with OpenAIServer(responder) as server:
        code = main(
            [
                "run",
                "--base-url",
                server.base_url,
                "--model",
                "knowing-1",
                "--question-set",
                str(question_file),
                "--results-dir",
                str(results),
                "--run-id",
                run_id,
                "--max-concurrency",
                "8",
                "--no-progress",
                *extra,
            ]
        )
    assert code == 0, f"probe run exited with {code}"
    return results / run_id

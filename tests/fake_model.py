"""A deterministic fake model and the helpers that run `probe run` against it.

Its answer depends only on the question and the stated threshold, so a run that met
faults, stopped and resumed must end with the same summary.json as a clean run.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from probe.cli import main
from probe.samples import SampleKey, SampleRecord
from tests.openai_server import (
    OpenAIServer,
    ReceivedRequest,
    Reply,
    choices_reply,
    requested_n,
    stated_threshold,
    user_prompt,
)

IDK = "I don't know"

QUESTIONS: list[dict[str, Any]] = [
    {"id": "paris", "question": "What is the capital of France?", "answers": ["Paris"]},
    {"id": "rome", "question": "What is the capital of Italy?", "answers": ["Rome"]},
    {"id": "eiffel", "question": "In what year was the Eiffel Tower completed?",
     "answers": ["1889"], "answer_type": "year"},
    {"id": "hall", "question": "How many seats does the Usher Hall have?",
     "answers": ["2900"], "answer_type": "number"},
    {"id": "bridge", "question": "In what year was the Hallbrecht Bridge opened?",
     "answers": [], "answer_type": "year", "unanswerable": True},
    {"id": "river", "question": "Which river flows through Vienna?", "answers": ["Danube"]},
]

# The answer to each question at t = 0; above its own threshold each question abstains.
ANSWERS = {"paris": "Paris", "rome": "Milan", "eiffel": "1889", "hall": "3100",
           "bridge": "1950", "river": "Danube"}
ABSTAINS_FROM = {"paris": 1.0, "rome": 0.5, "eiffel": 0.9, "hall": 0.5, "bridge": 0.75,
                 "river": 0.75}

THRESHOLDS = (0.0, 0.5, 0.75, 0.9)
SAMPLES = 3
PLAN_SIZE = len(QUESTIONS) * len(THRESHOLDS) * SAMPLES


def write_questions(path: Path) -> Path:
    lines = []
    for question in QUESTIONS:
        record = {"answer_type": "place", "language": "en", **question}
        lines.append(json.dumps(record) + "\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def answer_for(request: ReceivedRequest) -> str:
    prompt = user_prompt(request)
    question = next(item for item in QUESTIONS if item["question"] in prompt)
    if stated_threshold(request) >= ABSTAINS_FROM[question["id"]]:
        return IDK
    return ANSWERS[question["id"]]


class DeterministicModel:
    """Replies with the fixed answer, once per requested choice (it honours n)."""

    def __init__(self, *, max_n: int | None = None) -> None:
        self.max_n = max_n

    def __call__(self, request: ReceivedRequest, index: int) -> Reply:
        n = requested_n(request) if self.max_n is None else min(requested_n(request), self.max_n)
        return choices_reply([answer_for(request)] * n, model="fake-model")


def with_faults(faults: dict[int, Reply], model: Callable[..., Reply] | None = None) -> Callable[
    [ReceivedRequest, int], Reply
]:
    """Serve `faults[index]` for the question requests it names, the model otherwise."""
    inner = model or DeterministicModel()

    def respond(request: ReceivedRequest, index: int) -> Reply:
        return faults.get(index) or inner(request, index)

    return respond


def run_args(base_url: str, questions: Path, results: Path, *extra: str) -> list[str]:
    return [
        "run",
        "--base-url",
        base_url,
        "--model",
        "fake-model",
        "--question-set",
        str(questions),
        "--results-dir",
        str(results),
        "--run-id",
        "run",
        "--thresholds",
        ",".join(str(t) for t in THRESHOLDS),
        "--samples",
        str(SAMPLES),
        "--retry-backoff",
        "0.01",
        "--bootstrap-draws",
        "200",
        "--no-progress",
        *extra,
    ]


def run_against(server: OpenAIServer, questions: Path, results: Path, *extra: str) -> int:
    return main(run_args(server.base_url, questions, results, *extra))


def stored_keys(run_dir: Path) -> list[SampleKey]:
    lines = (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    return [SampleRecord.model_validate_json(line).key for line in lines]


def stored_records(run_dir: Path) -> list[SampleRecord]:
    lines = (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    return [SampleRecord.model_validate_json(line) for line in lines]


def comparable_summary(run_dir: Path) -> dict[str, Any]:
    """summary.json without usage, which depends on how samples were batched into requests."""
    summary: dict[str, Any] = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    summary.pop("usage", None)
    return summary


def clean_summary(tmp_path: Path, questions: Path) -> dict[str, Any]:
    """Run the plan once with no faults and return its comparable summary."""
    results = tmp_path / "clean"
    with OpenAIServer(DeterministicModel()) as server:
        assert run_against(server, questions, results) == 0
    return comparable_summary(results / "run")

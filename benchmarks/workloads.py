"""Inputs for the benchmarks: generated question sets and synthetic run folders.

A synthetic run folder has the files `probe report` reads (run.json, questions.jsonl,
samples.jsonl) with as many sample records as asked, built in seconds instead of by
sending requests. Its records come from probe's own grader and SampleRecord model, so they
have the shape a real run writes. Only their number and mix are made up.
"""

import hashlib
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Each question's gold answer is 1889. The replies below give correct, incorrect and
# abstained samples, and the wrong ones form several clusters for consistency to measure.
GOLD = "1889"
REPLY_TEXTS = {
    "correct": "1889",
    "wrong_a": "1887",
    "wrong_b": "1901",
    "wrong_c": "1850",
    "abstain": "I don't know.",
}


def question_record(index: int, gold: str = GOLD) -> dict[str, Any]:
    return {
        "id": f"q{index:07d}",
        "question": f"In what year was landmark number {index} completed?",
        "answers": [gold],
        "answer_type": "year",
        "language": "en",
    }


def write_questions(path: Path, count: int) -> Path:
    """Write a question set of `count` year questions to `path`."""
    with path.open("w", encoding="utf-8") as file:
        for index in range(count):
            file.write(json.dumps(question_record(index)) + "\n")
    return path


def write_synthetic_run(
    run_dir: Path,
    template_run_json: Path,
    *,
    questions: int,
    thresholds: Sequence[float],
    samples: int,
    seed: int = 0,
) -> int:
    """Write a run folder of questions × thresholds × samples records and return their number.

    run.json is the template's (a real run's) with the question set, plan and run id
    replaced, so `probe report` reads it as it reads any finished run.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    questions_path = write_questions(run_dir / "questions.jsonl", questions)
    written = _write_samples(run_dir / "samples.jsonl", questions, thresholds, samples, seed)

    info = json.loads(template_run_json.read_text(encoding="utf-8"))
    info["run_id"] = run_dir.name
    info["question_set"] = {
        "path": str(questions_path),
        "name": "synthetic",
        "sha256": hashlib.sha256(questions_path.read_bytes()).hexdigest(),
        "questions": questions,
        "probed": questions,
    }
    info["plan"] = {"thresholds": list(thresholds), "samples": samples, "size": written}
    (run_dir / "run.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return written


def _write_samples(
    path: Path, questions: int, thresholds: Sequence[float], samples: int, seed: int
) -> int:
    templates = _graded_templates()
    rng = random.Random(seed)
    written = 0
    with path.open("w", encoding="utf-8") as file:
        for index in range(questions):
            question_id = question_record(index)["id"]
            knows = rng.random()  # the chance this question's answer is right
            for threshold in thresholds:
                request_id = f"{rng.getrandbits(64):016x}"
                for sample_index in range(samples):
                    reply = _pick_reply(rng, knows, threshold)
                    record = {
                        **templates[reply],
                        "question_id": question_id,
                        "threshold": threshold,
                        "sample_index": sample_index,
                        "request_id": request_id,
                    }
                    file.write(json.dumps(record, separators=(",", ":")) + "\n")
                    written += 1
    return written


def _pick_reply(rng: random.Random, knows: float, threshold: float) -> str:
    # A model that abstains more as t rises and otherwise replies correctly with chance `knows`.
    if rng.random() < threshold * (1 - knows):
        return "abstain"
    if rng.random() < knows:
        return "correct"
    return rng.choice(("wrong_a", "wrong_b", "wrong_c"))


def _graded_templates() -> dict[str, dict[str, Any]]:
    """Build one sample record per reply text, graded by probe against gold answer GOLD."""
    from probe.grading import assess_response
    from probe.questions import Question
    from probe.responses import ModelResponse
    from probe.samples import RawResponse, SampleRecord, Usage

    question = Question.model_validate(question_record(0))
    templates = {}
    for name, text in REPLY_TEXTS.items():
        response = ModelResponse(content=text, finish_reason="stop")
        assessment = assess_response(question, response)
        record = SampleRecord(
            question_id=question.id,
            threshold=0.0,
            sample_index=0,
            outcome=assessment.outcome,
            answer=assessment.answer,
            answer_key=assessment.answer_key,
            reason=assessment.reason,
            source=assessment.source,
            response=RawResponse.from_response(response),
            model="canned-model",
            usage=Usage(prompt_tokens=40, completion_tokens=10, total_tokens=50),
            latency_s=0.05,
        )
        templates[name] = record.model_dump(mode="json", exclude_none=True)
    return templates

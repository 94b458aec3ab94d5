"""judge.jsonl: every sample the LLM judge was asked about, kept for the grader audit."""

from pydantic import BaseModel

from probe.outcomes import Outcome
from probe.store import RunStore

JUDGE_JSONL = "judge.jsonl"


class JudgedSample(BaseModel):
    """One line of judge.jsonl: a judged sample, the grader's grade and the judge's verdict."""

    question_id: str
    threshold: float
    sample_index: int
    answer: str | None
    grader_outcome: Outcome
    grader_reason: str
    verdict: str | None
    judge_reason: str
    reply: str
    attempts: int
    decided: bool
    disagrees: bool


def read_judged(store: RunStore) -> list[JudgedSample]:
    """Read judge.jsonl of a run folder; an empty list when no judge was asked."""
    path = store.run_dir / JUDGE_JSONL
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [JudgedSample.model_validate_json(line) for line in lines if line.strip()]

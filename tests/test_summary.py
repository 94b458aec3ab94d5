"""summary.json from lean records: every figure equal to the one from full records."""

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from probe.questions import load_question_set
from probe.samples import AnySampleRecord
from probe.store import RunStore
from probe.summary import summarise_run, summarise_samples
from probe.usage import usage_of_run
from tests.run_factory import KnowingModel, knowledge_questions, probe_run, write_questions


@pytest.fixture(scope="module")
def built_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("summary")
    questions = knowledge_questions()
    question_file = write_questions(folder / "questions.jsonl", questions)
    return probe_run(KnowingModel(questions, seed=7), question_file, folder, "run")


@pytest.fixture
def logprob_run(built_run: Path, tmp_path: Path) -> Path:
    # Token logprobs on the best-guess samples bring in the logprob estimators.
    copy = tmp_path / "run"
    shutil.copytree(built_run, copy)
    lines = []
    for line in (copy / "samples.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["threshold"] == 0 and record.get("answer"):
            record["token_logprobs"] = [-0.1 * (1 + record["sample_index"]), -0.3]
        lines.append(json.dumps(record))
    (copy / "samples.jsonl").write_text("\n".join(lines) + "\n")
    return copy


def summary_of(run_dir: Path, records: Sequence[AnySampleRecord]) -> dict[str, Any]:
    store = RunStore(run_dir)
    info = store.read_run_info()
    summary = summarise_samples(
        records,
        load_question_set(store.questions_jsonl).questions,
        [float(t) for t in info["plan"]["thresholds"]],
        run_id="run",
        model="m",
        question_set={},
        samples_per_condition=5,
        draws=200,
        seed=3,
    )
    summary.usage = usage_of_run(info, records)
    return summary.model_dump(mode="json")


def summaries_from_both_forms(run_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    store = RunStore(run_dir)
    full = summary_of(run_dir, store.read_samples())
    lean = summary_of(run_dir, store.read_lean_samples().records)
    return full, lean


def test_lean_summary_equals_full_summary(built_run: Path) -> None:
    full, lean = summaries_from_both_forms(built_run)
    assert lean == full


def test_lean_summary_keeps_logprob_estimators(logprob_run: Path) -> None:
    full, lean = summaries_from_both_forms(logprob_run)
    assert "logprob_mean" in full["confidence_quality"]
    assert lean == full


def test_summarise_run_writes_what_it_returns(built_run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(built_run, copy)
    summary = summarise_run(RunStore(copy), draws=100, seed=1)
    written = json.loads((copy / "summary.json").read_text())
    assert written == summary.model_dump(mode="json")
    assert summary.samples == sum(1 for _ in (copy / "samples.jsonl").open())

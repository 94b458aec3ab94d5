"""The question table of report.html: all questions of a small run, a chosen few of a large one."""

import hashlib
import html
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from probe.cli import main
from probe.outcomes import Outcome
from probe.question_explorer import (
    CONFIDENTLY_WRONG,
    FAILED,
    IN_SET_ORDER,
    LEAST_CONSISTENT,
    MAX_LISTED,
    question_table,
)
from probe.run_data import load_run
from probe.samples import RawResponse, SampleRecord, Usage
from tests.run_factory import KnowingModel, knowledge_questions, probe_run, write_questions

THRESHOLDS = [0.0, 0.5]
SAMPLES = 3

# The large run: 10 questions with failed samples (f), 10 answered wrong (w), 10 answered
# inconsistently (m) and enough answered right every time (o) to pass MAX_LISTED.
FAILED_IDS = [f"f{index:03d}" for index in range(10)]
WRONG_IDS = [f"w{index:03d}" for index in range(10)]
MIXED_IDS = [f"m{index:03d}" for index in range(10)]
RIGHT_IDS = [f"o{index:03d}" for index in range(MAX_LISTED + 20)]


def replies(question_id: str, threshold: float) -> list[tuple[Outcome, str | None]]:
    """Return the (outcome, answer) of each sample of one question at one threshold."""
    index = int(question_id[1:])
    if question_id.startswith("f") and threshold > 0:
        # f000 fails once, f001 twice, f002 three times, f003 once again, and so on.
        failures = 1 + index % 3
        return [(Outcome.ERROR, None)] * failures + [(Outcome.CORRECT, "42")] * (3 - failures)
    if question_id.startswith("w"):
        # w000–w004 repeat one wrong answer (c_q = 1); w005–w009 do so twice in three.
        wrong = [(Outcome.INCORRECT, "41")] * 3
        return wrong if index < 5 else [*wrong[:2], (Outcome.CORRECT, "42")]
    if question_id.startswith("m") and threshold == 0:
        return [(Outcome.CORRECT, "42"), (Outcome.INCORRECT, "41"), (Outcome.INCORRECT, "40")]
    return [(Outcome.CORRECT, "42")] * 3


def sample_record(
    question_id: str, threshold: float, index: int, outcome: Outcome, answer: str | None
) -> SampleRecord:
    return SampleRecord(
        question_id=question_id,
        threshold=threshold,
        sample_index=index,
        outcome=outcome,
        answer=answer,
        answer_key=answer,
        reason=f"scripted {outcome.value}",
        response=None if answer is None else RawResponse(content=f"raw {answer}"),
        error="HTTP 500" if outcome is Outcome.ERROR else None,
        usage=Usage(prompt_tokens=30, completion_tokens=2),
        request_id=f"{question_id}-{threshold}-{index}",
    )


def write_large_run(folder: Path, template: Path) -> Path:
    """Write a finished run folder of 250 questions from a real run's run.json."""
    ids = FAILED_IDS + WRONG_IDS + MIXED_IDS + RIGHT_IDS
    questions = [
        {"id": id_, "question": f"What is question {id_}?", "answers": ["42"],
         "answer_type": "number", "language": "en"}
        for id_ in ids
    ]  # fmt: skip
    question_file = write_questions(folder / "questions.jsonl", questions)
    records = [
        sample_record(id_, t, index, outcome, answer)
        for id_ in ids
        for t in THRESHOLDS
        for index, (outcome, answer) in enumerate(replies(id_, t))
    ]
    (folder / "samples.jsonl").write_text(
        "".join(record.model_dump_json(exclude_none=True) + "\n" for record in records)
    )

    info: dict[str, Any] = json.loads(template.read_text())
    info["run_id"] = folder.name
    info["question_set"] = {
        "path": str(question_file),
        "name": "large",
        "sha256": hashlib.sha256(question_file.read_bytes()).hexdigest(),
        "questions": len(ids),
        "probed": len(ids),
    }
    info["plan"] = {"thresholds": THRESHOLDS, "samples": SAMPLES, "size": len(records)}
    info["config"]["bootstrap_draws"] = 100
    (folder / "run.json").write_text(json.dumps(info))
    return folder


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small")
    questions = knowledge_questions()
    question_file = write_questions(folder / "questions.jsonl", questions)
    return probe_run(KnowingModel(questions, seed=5), question_file, folder, "run")


@pytest.fixture(scope="module")
def large_run(small_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("large") / "large"
    folder.mkdir()
    write_large_run(folder, small_run / "run.json")
    assert main(["report", str(folder)]) == 0
    return folder


def test_table_lists_small_run_whole(small_run: Path) -> None:
    table = question_table(load_run(small_run))
    ids = [row.question.id for row in table.rows]
    assert ids == [question["id"] for question in knowledge_questions()]
    assert table.left_out == 0
    assert {row.listed_for for row in table.rows} == {None}


def test_table_caps_large_run(large_run: Path) -> None:
    table = question_table(load_run(large_run))
    assert len(table.rows) == MAX_LISTED
    assert table.left_out == len(FAILED_IDS + WRONG_IDS + MIXED_IDS + RIGHT_IDS) - MAX_LISTED
    assert sum(table.listed_for.values()) == MAX_LISTED


def test_table_takes_rankings_in_turn(large_run: Path) -> None:
    table = question_table(load_run(large_run), limit=9)
    listed = [(row.question.id, row.listed_for) for row in table.rows]
    assert listed[:3] == [("f002", FAILED), ("f005", FAILED), ("f008", FAILED)]
    assert listed[3:6] == [
        ("w000", CONFIDENTLY_WRONG),
        ("w001", CONFIDENTLY_WRONG),
        ("w002", CONFIDENTLY_WRONG),
    ]
    assert listed[6:] == [
        ("m000", LEAST_CONSISTENT),
        ("m001", LEAST_CONSISTENT),
        ("m002", LEAST_CONSISTENT),
    ]


def test_table_lists_each_question_once(large_run: Path) -> None:
    # w005–w009 rank both as wrong and, at c_q = 2/3, right after the m questions.
    table = question_table(load_run(large_run), limit=60)
    ids = [row.question.id for row in table.rows]
    assert len(ids) == 60
    assert len(set(ids)) == 60
    assert set(FAILED_IDS + WRONG_IDS + MIXED_IDS) <= set(ids)


def test_table_fills_in_set_order(large_run: Path, tmp_path: Path) -> None:
    # Without consistency figures only the failed ranking is left.
    folder = tmp_path / "withheld"
    shutil.copytree(large_run, folder)
    info = json.loads((folder / "run.json").read_text())
    info["consistency"] = {"reported": False, "reason": "identical samples"}
    (folder / "run.json").write_text(json.dumps(info))

    table = question_table(load_run(folder, recompute=True))
    assert table.listed_for == {FAILED: 10, IN_SET_ORDER: MAX_LISTED - 10}
    filled = [row.question.id for row in table.rows if row.listed_for == IN_SET_ORDER]
    assert filled[:3] == ["w000", "w001", "w002"]


def test_table_rows_hold_raw_responses(large_run: Path) -> None:
    table = question_table(load_run(large_run), limit=3)
    for row in table.rows:
        records = [record for _, listed in row.samples for record in listed]
        assert len(records) == len(THRESHOLDS) * SAMPLES, row.question.id
        answered = [record for record in records if record.answer is not None]
        assert answered, row.question.id
        for record in answered:
            assert record.response is not None
            assert record.response.content == f"raw {record.answer}"


def test_table_outcomes_of_failed_row(large_run: Path) -> None:
    table = question_table(load_run(large_run), limit=3)
    row = table.rows[0]
    counts = Counter(record.outcome for _, listed in row.samples for record in listed)
    assert row.question.id == "f002"
    assert counts[Outcome.ERROR] == 3
    assert "error" in row.outcomes


def test_page_lists_at_most_max_listed(large_run: Path) -> None:
    page = (large_run / "report.html").read_text()
    assert page.count("<tbody data-id=") == MAX_LISTED


def test_page_says_how_many_left_out(large_run: Path) -> None:
    page = html.unescape((large_run / "report.html").read_text())
    total = len(FAILED_IDS + WRONG_IDS + MIXED_IDS + RIGHT_IDS)
    assert 'id="left-out"' in page
    assert f"This table lists {MAX_LISTED} of the run's {total} questions" in page
    assert f"The other {total - MAX_LISTED} questions are left out" in page
    assert "<code>samples.jsonl</code> in the run folder keeps every sample" in page


def test_page_names_each_ranking(large_run: Path) -> None:
    page = html.unescape((large_run / "report.html").read_text())
    for label in (FAILED, CONFIDENTLY_WRONG, LEAST_CONSISTENT):
        assert f"<li><strong>{label}</strong>:" in page, label
    assert f'<span class="n">{FAILED}</span>' in page


def test_small_page_lists_all(small_run: Path) -> None:
    page = (small_run / "report.html").read_text()
    assert 'id="left-out"' not in page
    assert page.count("<tbody data-id=") == len(knowledge_questions())

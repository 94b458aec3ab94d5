"""samples.jsonl read as lean records: the same samples as full records, and their lines."""

import dataclasses
import json
import logging
from pathlib import Path

import pytest
from pydantic.fields import FieldInfo

from probe.errors import ProbeError
from probe.outcomes import Outcome
from probe.run_data import load_run
from probe.samples import LeanSampleRecord, RawResponse, SampleKey, SampleRecord, Usage
from probe.store import RunStore

BASE = {"question_id": "q", "threshold": 0.0, "sample_index": 0}
DUPLICATED = [
    {**BASE, "outcome": "error", "error": "HTTP 503"},
    {**BASE, "outcome": "correct", "answer": "first", "answer_key": "first"},
    {**BASE, "outcome": "incorrect", "answer": "second", "answer_key": "second"},
    {**BASE, "sample_index": 1, "outcome": "error", "error": "one"},
    {**BASE, "sample_index": 1, "outcome": "error", "error": "two"},
]


def full_record(index: int, threshold: float = 0.5) -> SampleRecord:
    return SampleRecord(
        question_id=f"q{index % 3}",
        threshold=threshold,
        sample_index=index,
        outcome=Outcome.INCORRECT if index % 2 else Outcome.CORRECT,
        answer=f"answer {index}",
        answer_key=f"key {index}",
        reason="scripted",
        response=RawResponse(content=f"raw {index}", reasoning="thinking", finish_reason="stop"),
        usage=Usage(prompt_tokens=10, completion_tokens=index),
        request_id=f"r{index // 2}",
        token_logprobs=[-0.5, -float(index)],
        latency_s=0.1,
    )


def write_lines(store: RunStore, lines: list[str]) -> None:
    store.samples_jsonl.write_text("".join(line + "\n" for line in lines))


def lean_fields(record: SampleRecord | LeanSampleRecord) -> dict[str, object]:
    return {
        field.name: getattr(record, field.name) for field in dataclasses.fields(LeanSampleRecord)
    }


def test_lean_fields_match_full_record() -> None:
    full_fields = SampleRecord.model_fields
    lean: dict[str, FieldInfo] = LeanSampleRecord.__pydantic_fields__
    for name, field in lean.items():
        assert name in full_fields, name
        assert field.annotation == full_fields[name].annotation, name
        assert field.default == full_fields[name].default, name
        assert field.metadata == full_fields[name].metadata, name


def test_lean_read_matches_full_read(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    write_lines(store, [full_record(index).model_dump_json() for index in range(7)])
    full = store.read_samples()
    lean = store.read_lean_samples().records
    assert [lean_fields(record) for record in lean] == [lean_fields(record) for record in full]


def test_lean_read_keeps_first_non_error(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    write_lines(store, [json.dumps(record) for record in DUPLICATED])
    by_key = {record.key: record for record in store.read_lean_samples().records}
    assert by_key[SampleKey("q", 0.0, 0)].answer == "first"
    assert by_key[SampleKey("q", 0.0, 1)].outcome is Outcome.ERROR


def test_lean_offsets_point_at_kept_lines(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    write_lines(store, [json.dumps(record) for record in DUPLICATED])
    samples = store.read_lean_samples()
    full = store.read_samples_at(samples.offsets)
    assert [record.key for record in full] == [record.key for record in samples.records]
    assert full[0].answer == "first"
    assert full[1].error == "two"


def test_read_at_offsets_gives_full_records(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    records = [full_record(index) for index in range(5)]
    write_lines(store, [record.model_dump_json() for record in records])
    offsets = store.read_lean_samples().offsets
    assert store.read_samples_at([offsets[3], offsets[1]]) == [records[3], records[1]]


def test_lean_read_drops_torn_last_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = RunStore(tmp_path)
    whole = full_record(0).model_dump_json()
    store.samples_jsonl.write_text(whole + "\n" + whole[:40])
    with caplog.at_level(logging.WARNING):
        samples = store.read_lean_samples()
    assert len(samples.records) == 1
    assert "samples.jsonl:2: dropped a torn last line" in caplog.text


def test_lean_read_reports_invalid_line(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    write_lines(store, [full_record(0).model_dump_json(), json.dumps({**BASE, "outcome": "odd"})])
    with pytest.raises(ProbeError, match=r"samples\.jsonl:2: invalid sample record"):
        store.read_lean_samples()


def test_full_records_after_rewrite_raise(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    lines = [full_record(index).model_dump_json() for index in range(6)]
    write_lines(RunStore(run_dir), lines)
    (run_dir / "questions.jsonl").write_text(
        "".join(
            json.dumps({"id": f"q{index}", "question": "?", "answers": ["1"],
                        "answer_type": "number", "language": "en"}) + "\n"
            for index in range(3)
        )
    )  # fmt: skip
    (run_dir / "run.json").write_text(
        json.dumps(
            {
                "run_id": "run",
                "question_set": {"name": "q", "sha256": "0", "path": "q", "probed": 3},
                "plan": {"thresholds": [0.5], "samples": 6, "size": 6},
                "config": {"bootstrap_draws": 20},
            }
        )
    )
    run = load_run(run_dir, recompute=True)
    assert len(run.full_records({"q0"})) == 2

    # Samples 0 and 2 have lines of one length, so swapped each offset starts the other.
    assert len(lines[0]) == len(lines[2])
    write_lines(RunStore(run_dir), [lines[2], lines[1], lines[0], *lines[3:]])
    with pytest.raises(ProbeError, match="changed while the report was written"):
        run.full_records({"q0"})


def test_read_at_offsets_after_rewrite_raises(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    write_lines(store, [full_record(index).model_dump_json() for index in range(3)])
    offsets = store.read_lean_samples().offsets
    write_lines(store, [full_record(index).model_dump_json() + "  " for index in range(3)])
    with pytest.raises(ProbeError, match=r"no valid sample record at byte \d+, so the file"):
        store.read_samples_at(offsets[1:])

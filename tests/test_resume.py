"""Resuming runs: pending samples only, errors retried, duplicates and torn lines resolved,
changed settings refused unless forced."""

import json
from pathlib import Path
from typing import Any

import pytest

from probe.cli import main
from probe.errors import ProbeError
from probe.outcomes import Outcome
from probe.resume import KeySet
from probe.samples import SampleKey
from probe.store import RunStore
from tests.fake_model import (
    PLAN_SIZE,
    DeterministicModel,
    clean_summary,
    comparable_summary,
    run_against,
    stored_keys,
    stored_records,
    write_questions,
)
from tests.openai_server import OpenAIServer, ReceivedRequest, Reply, error_reply, user_prompt


@pytest.fixture
def questions(tmp_path: Path) -> Path:
    return write_questions(tmp_path / "questions.jsonl")


@pytest.fixture
def finished(tmp_path: Path, questions: Path) -> Path:
    with OpenAIServer(DeterministicModel()) as server:
        assert run_against(server, questions, tmp_path / "r") == 0
    return tmp_path / "r" / "run"


def resume(run_dir: Path, server: OpenAIServer, *extra: str) -> int:
    return main(
        ["run", "--resume", str(run_dir), "--base-url", server.base_url, "--no-progress", *extra]
    )


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_complete_run_resumes_without_requests(
    finished: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    with OpenAIServer(DeterministicModel()) as server:
        assert resume(finished, server) == 0
        sent = len(server.requests)
        checks = len(server.check_requests)
    out = capsys.readouterr().out
    assert sent == 0
    assert checks == 0
    assert f"Run {finished} was already complete" in out
    assert "no request was sent" in out
    assert "another --run-id" in out
    info = json.loads((finished / "run.json").read_text())
    assert info["resumes"][-1]["pending"] == 0
    assert info["resumes"][-1]["stored"] == PLAN_SIZE
    assert info["resumes"][-1]["already_complete"] is True


def test_same_run_id_resumes(finished: Path, questions: Path) -> None:
    with OpenAIServer(DeterministicModel()) as server:
        assert run_against(server, questions, finished.parent) == 0
        sent = len(server.requests)
    assert sent == 0


def test_resume_by_run_id(finished: Path) -> None:
    with OpenAIServer(DeterministicModel()) as server:
        code = main(["run", "--resume", "run", "--results-dir", str(finished.parent),
                     "--base-url", server.base_url, "--no-progress"])
    assert code == 0


def test_unknown_run_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--resume", str(tmp_path / "nothing")]) == 2
    assert "no run.json" in capsys.readouterr().err


def test_only_pending_samples_are_sent(tmp_path: Path, finished: Path, questions: Path) -> None:
    samples = finished / "samples.jsonl"
    kept = lines_of(samples)[:40]
    samples.write_text("\n".join(kept) + "\n", encoding="utf-8")
    clean = comparable_summary(finished)

    with OpenAIServer(DeterministicModel()) as server:
        assert resume(finished, server) == 0
        sent_samples = sum(int(r.body.get("n") or 1) for r in server.requests)
    assert sent_samples == PLAN_SIZE - 40
    keys = stored_keys(finished)
    assert len(set(keys)) == len(keys) == PLAN_SIZE
    assert comparable_summary(finished) == clean


def test_error_samples_are_retried(tmp_path: Path, questions: Path) -> None:
    model = DeterministicModel()

    def paris_fails(request: ReceivedRequest, index: int) -> Reply:
        if "France" in user_prompt(request):
            return error_reply(400, "this request was rejected")
        return model(request, index)

    results = tmp_path / "r"
    with OpenAIServer(paris_fails) as server:
        assert run_against(server, questions, results) == 0
    run_dir = results / "run"
    errors = [r for r in stored_records(run_dir) if r.outcome is Outcome.ERROR]
    assert len(errors) == 12

    with OpenAIServer(DeterministicModel()) as server:
        assert resume(run_dir, server) == 0
        resent = {user_prompt(r) for r in server.requests}
    assert resent == {"What is the capital of France?"}
    assert all(r.outcome is not Outcome.ERROR for r in stored_records(run_dir))
    assert len(lines_of(run_dir / "superseded.jsonl")) == 12
    assert comparable_summary(run_dir) == clean_summary(tmp_path, questions)


def test_duplicates_and_torn_line_are_resolved(
    finished: Path, caplog: pytest.LogCaptureFixture
) -> None:
    samples = finished / "samples.jsonl"
    lines = lines_of(samples)
    first = json.loads(lines[0])
    changed = {**first, "answer": "a later copy", "answer_key": "later"}
    torn = lines[1][: len(lines[1]) // 2]
    samples.write_text(
        "\n".join([*lines, lines[0], json.dumps(changed)]) + "\n" + torn, encoding="utf-8"
    )
    before = comparable_summary(finished)

    with OpenAIServer(DeterministicModel()) as server:
        assert resume(finished, server) == 0
        sent = len(server.requests)
    assert sent == 0
    keys = stored_keys(finished)
    assert len(keys) == len(set(keys)) == PLAN_SIZE
    assert len(lines_of(finished / "superseded.jsonl")) == 2
    # The first non-error record of a key wins, so the copy with another answer is not used.
    assert json.loads(lines_of(samples)[0])["answer"] == first["answer"]
    assert comparable_summary(finished) == before
    assert "torn last line" in caplog.text


def test_read_samples_prefers_first_non_error(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    base = {"question_id": "q", "threshold": 0.0, "sample_index": 0}
    records = [
        {**base, "outcome": "error", "error": "HTTP 503"},
        {**base, "outcome": "correct", "answer": "first"},
        {**base, "outcome": "incorrect", "answer": "second"},
        {**base, "sample_index": 1, "outcome": "error", "error": "one"},
        {**base, "sample_index": 1, "outcome": "error", "error": "two"},
    ]
    store.samples_jsonl.write_text("".join(json.dumps(r) + "\n" for r in records))
    by_key = {record.key: record for record in store.read_samples()}
    assert by_key[SampleKey("q", 0.0, 0)].answer == "first"
    assert by_key[SampleKey("q", 0.0, 1)].error == "two"


def test_changed_settings_are_refused(
    finished: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with OpenAIServer(DeterministicModel()) as server:
        code = resume(finished, server, "--thresholds", "0,0.5", "--model", "other-model",
                      "--samples", "4", "--temperature", "0.7")
        sent = len(server.requests)
    error = capsys.readouterr().err
    assert code == 2
    assert sent == 0
    assert "thresholds: [0.0, 0.5, 0.75, 0.9] → [0.0, 0.5]" in error
    assert "endpoint.model: 'fake-model' → 'other-model'" in error
    assert "samples: 3 → 4" in error
    assert "endpoint.temperature: 1.0 → 0.7" in error
    assert "--force" in error


def test_changed_question_set_is_refused(
    finished: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions.write_text(questions.read_text() + questions.read_text().splitlines()[0]
                         .replace('"paris"', '"paris-2"') + "\n")
    with OpenAIServer(DeterministicModel()) as server:
        assert resume(finished, server) == 2
    assert "question_set (sha256)" in capsys.readouterr().err


def test_force_resumes_with_changes(finished: Path) -> None:
    with OpenAIServer(DeterministicModel()) as server:
        assert resume(finished, server, "--samples", "4", "--force") == 0
        sent_samples = sum(int(r.body.get("n") or 1) for r in server.requests)
    assert sent_samples == 6 * 4  # only the new sample index 3 of each question and t
    info = json.loads((finished / "run.json").read_text())
    assert info["resumes"][-1]["changed"] == ["samples: 3 → 4"]


def test_settings_that_do_not_change_samples_are_allowed(finished: Path) -> None:
    with OpenAIServer(DeterministicModel()) as server:
        assert resume(finished, server, "--max-concurrency", "3", "--timeout", "30") == 0


def test_lock_refuses_a_second_writer(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "run")
    second = RunStore(tmp_path / "run")
    with store.lock(), pytest.raises(ProbeError, match="another probe process"), second.lock():
        pass


def test_key_set_membership() -> None:
    keys = KeySet()
    assert keys.add(SampleKey("q", 0.5, 2)) is True
    assert keys.add(SampleKey("q", 0.5, 2)) is False
    assert SampleKey("q", 0.5, 2) in keys
    assert SampleKey("q", 0.5, 1) not in keys
    assert SampleKey("other", 0.5, 2) not in keys
    assert SampleKey("q", 0.9, 2) not in keys
    assert ("q", 0.5, 2) in keys  # a plain tuple with the same fields is the same key


def summary_of(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "summary.json").read_text())

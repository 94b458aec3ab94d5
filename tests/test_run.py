"""A full `probe run` against a scripted OpenAI-compatible server, checked by hand."""

import json
import os
import signal
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from probe.cli import main
from probe.samples import SampleRecord
from tests.openai_server import (
    OpenAIServer,
    ReceivedRequest,
    Reply,
    chat_reply,
    choices_reply,
    error_reply,
    requested_n,
    stated_threshold,
    user_prompt,
)

QUESTIONS = [
    {
        "id": "paris",
        "question": "What is the capital of France?",
        "answers": ["Paris"],
        "answer_type": "place",
        "language": "en",
        "tags": ["well-known"],
    },
    {
        "id": "eiffel",
        "question": "In what year was the Eiffel Tower completed?",
        "answers": ["1889"],
        "answer_type": "year",
        "language": "en",
        "tags": ["less-known"],
    },
    {
        "id": "fabricated",
        "question": "In what year was the Hallbrecht Bridge opened?",
        "answers": [],
        "answer_type": "year",
        "language": "en",
        "unanswerable": True,
        "tags": ["fabricated"],
    },
    {
        "id": "count",
        "question": "How many seats does the hall have?",
        "answers": ["8000"],
        "answer_type": "number",
        "language": "en",
        "tags": ["less-known"],
    },
]

IDK = "I don't know"

# The answers the scripted model gives to the k = 5 samples of each question and threshold.
SCRIPT: dict[str, dict[float, list[str]]] = {
    "paris": {t: ["Paris"] * 5 for t in (0.0, 0.5, 0.75, 0.9)},
    "eiffel": {0.0: ["1887"] * 5, 0.5: [IDK] * 5, 0.75: [IDK] * 5, 0.9: [IDK] * 5},
    "fabricated": {0.0: ["1950"] * 5, 0.5: ["1950"] * 5, 0.75: [IDK] * 5, 0.9: [IDK] * 5},
    "count": {
        0.0: ["8,000", "8000", "8,000", "7000", IDK],
        0.5: ["8,000", "8000", "8,000", "7000", IDK],
        0.75: ["8000", IDK, IDK, IDK, IDK],
        0.9: [IDK] * 5,
    },
}


class ScriptedModel:
    """Answers each (question, threshold) from SCRIPT, in order of arrival."""

    def __init__(self) -> None:
        self.served: Counter[tuple[str, float]] = Counter()

    def __call__(self, request: ReceivedRequest, index: int) -> Reply:
        question = next(q for q in QUESTIONS if q["question"] in user_prompt(request))
        threshold = stated_threshold(request)
        position = self.served[(question["id"], threshold)]
        self.served[(question["id"], threshold)] += 1
        return chat_reply(SCRIPT[question["id"]][threshold][position], model="scripted-1")


@pytest.fixture
def question_file(tmp_path: Path) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    return path


def run_scripted(
    question_file: Path,
    results: Path,
    *extra: str,
    responder: Callable[[ReceivedRequest, int], Reply] | None = None,
    run_id: str = "scripted",
) -> int:
    with OpenAIServer(responder or ScriptedModel()) as server:
        return main(
            [
                "run",
                "--base-url",
                server.base_url,
                "--model",
                "scripted-1",
                "--question-set",
                str(question_file),
                "--results-dir",
                str(results),
                "--run-id",
                run_id,
                "--no-progress",
                *extra,
            ]
        )


def quota_after(answered: int) -> Callable[[ReceivedRequest, int], Reply]:
    """Serve the scripted model for `answered` requests, then an exhausted quota."""
    model = ScriptedModel()
    quota = error_reply(
        429, "You exceeded your current quota", code="insufficient_quota", kind="insufficient_quota"
    )
    return lambda request, index: model(request, index) if index < answered else quota


@pytest.fixture
def finished_run(question_file: Path, tmp_path: Path) -> Path:
    assert run_scripted(question_file, tmp_path / "results", "--max-concurrency", "4") == 0
    return tmp_path / "results" / "scripted"


def thresholds_of(summary: dict) -> dict[float, dict]:
    return {item["threshold"]: item for item in summary["thresholds"]}


def test_run_writes_every_planned_sample_once(finished_run: Path) -> None:
    lines = (finished_run / "samples.jsonl").read_text().splitlines()
    keys = [SampleRecord.model_validate_json(line).key for line in lines]
    assert len(keys) == 4 * 4 * 5
    assert len(set(keys)) == len(keys)


def test_run_outcomes_match_script(finished_run: Path) -> None:
    records = [
        SampleRecord.model_validate_json(line)
        for line in (finished_run / "samples.jsonl").read_text().splitlines()
    ]
    outcomes: dict[tuple[str, float], Counter[str]] = defaultdict(Counter)
    for record in records:
        outcomes[(record.question_id, record.threshold)][record.outcome.value] += 1
    assert outcomes[("count", 0.0)] == Counter(correct=3, incorrect=1, abstained=1)
    assert outcomes[("fabricated", 0.5)] == Counter(incorrect=5)
    assert outcomes[("eiffel", 0.0)] == Counter(incorrect=5)


# Hand-computed from SCRIPT. At t = 0: correct 5 + 3 = 8, incorrect 5 + 5 + 1 = 11,
# abstained 1, valid 20. At t = 0.5: correct 8, incorrect 5 + 1 = 6, abstained 5 + 1 = 6.
# At t = 0.75: correct 5 + 1 = 6, abstained 5 + 5 + 4 = 14. At t = 0.9: correct 5, abstained 15.
EXPECTED_RATES = {
    0.0: {
        "coverage": 19 / 20,
        "accuracy": 8 / 20,
        "error": 11 / 20,
        "abstention": 1 / 20,
        "precision": 8 / 19,
        "score": 8 / 20,
    },
    0.5: {
        "coverage": 14 / 20,
        "accuracy": 8 / 20,
        "error": 6 / 20,
        "abstention": 6 / 20,
        "precision": 8 / 14,
        "score": 8 / 20 - 1 * 6 / 20,
    },
    0.75: {
        "coverage": 6 / 20,
        "accuracy": 6 / 20,
        "error": 0.0,
        "abstention": 14 / 20,
        "precision": 1.0,
        "score": 6 / 20,
    },
    0.9: {
        "coverage": 5 / 20,
        "accuracy": 5 / 20,
        "error": 0.0,
        "abstention": 15 / 20,
        "precision": 1.0,
        "score": 5 / 20,
    },
}


@pytest.mark.parametrize("threshold", sorted(EXPECTED_RATES))
def test_summary_rates_match_hand_computation(finished_run: Path, threshold: float) -> None:
    summary = json.loads((finished_run / "summary.json").read_text())
    figures = thresholds_of(summary)[threshold]
    for name, expected in EXPECTED_RATES[threshold].items():
        assert figures[name]["value"] == pytest.approx(expected), name
    assert figures["valid"] == 20


# c_q from the best-guess samples: paris 1 (y = 1), eiffel 1 (y = 0), fabricated 1 (y = 0),
# count 3/5 (y = 1). OA(t) is over questions with c_q < t: only count, at t = 0.75 and 0.9.
# UA(t) is over questions with c_q >= t. The oracle scores +1, −t/(1−t) or 0 per question.
EXPECTED_AUDIT = {
    0.0: {
        "over_answer": None,
        "over_abstain": 1 / 20,
        "oracle_score": 2 / 4,
        "regret": 2 / 4 - 8 / 20,
        "unanswerable_answer_rate": 1.0,
    },
    0.5: {
        "over_answer": None,
        "over_abstain": 6 / 20,
        "oracle_score": 0.0,
        "regret": 0.0 - 2 / 20,
        "unanswerable_answer_rate": 1.0,
    },
    0.75: {
        "over_answer": 1 / 5,
        "over_abstain": 10 / 15,
        "oracle_score": (1 - 3 - 3) / 4,
        "regret": (1 - 3 - 3) / 4 - 6 / 20,
        "unanswerable_answer_rate": 0.0,
    },
    0.9: {
        "over_answer": 0.0,
        "over_abstain": 10 / 15,
        "oracle_score": (1 - 9 - 9) / 4,
        "regret": (1 - 9 - 9) / 4 - 5 / 20,
        "unanswerable_answer_rate": 0.0,
    },
}


@pytest.mark.parametrize("threshold", sorted(EXPECTED_AUDIT))
def test_summary_audit_matches_hand_computation(finished_run: Path, threshold: float) -> None:
    figures = thresholds_of(json.loads((finished_run / "summary.json").read_text()))[threshold]
    for name, expected in EXPECTED_AUDIT[threshold].items():
        if expected is None:
            assert figures[name]["value"] is None, name
        else:
            assert figures[name]["value"] == pytest.approx(expected), name


def test_summary_consistency_per_question(finished_run: Path) -> None:
    summary = json.loads((finished_run / "summary.json").read_text())
    by_id = {item["id"]: item for item in summary["per_question"]}
    assert by_id["count"]["confidence"] == pytest.approx(0.6)
    assert by_id["count"]["modal_correct"] is True
    assert by_id["eiffel"]["modal_correct"] is False
    assert by_id["fabricated"]["confidence"] == pytest.approx(1.0)


def test_summary_has_no_violation(finished_run: Path) -> None:
    figures = thresholds_of(json.loads((finished_run / "summary.json").read_text()))
    assert figures[0.5]["violation"] is False
    assert figures[0.75]["violation"] is False


def test_run_json_records_the_run(finished_run: Path, question_file: Path) -> None:
    import hashlib

    info = json.loads((finished_run / "run.json").read_text())
    assert info["status"] == "complete"
    assert info["question_set"]["sha256"] == hashlib.sha256(question_file.read_bytes()).hexdigest()
    assert info["endpoint"]["reported_models"] == ["scripted-1"]
    assert "threshold" in info["prompts"]["templates"]["zh-Hant"]
    assert info["probe_version"]
    assert info["finished_at"] >= info["started_at"]


def test_report_lists_thresholds_and_outcomes(finished_run: Path) -> None:
    report = (finished_run / "report.md").read_text()
    assert "| 0.75 | 3 | 20 |" in report
    # Totals over all thresholds: abstained 1 + 6 + 14 + 15, correct 8 + 8 + 6 + 5.
    assert "| abstained | 36 |" in report
    assert "| correct | 27 |" in report
    assert "## Least consistent questions" in report


def test_report_recomputes_from_samples(finished_run: Path) -> None:
    before = json.loads((finished_run / "summary.json").read_text())
    (finished_run / "summary.json").unlink()
    assert main(["report", str(finished_run)]) == 0
    after = json.loads((finished_run / "summary.json").read_text())
    assert after == before


def test_request_carries_one_sample_and_no_sdk_retries(question_file: Path, tmp_path: Path) -> None:
    model = ScriptedModel()
    with OpenAIServer(model) as server:
        main(
            [
                "run",
                "--base-url",
                server.base_url,
                "--model",
                "scripted-1",
                "--question-set",
                str(question_file),
                "--results-dir",
                str(tmp_path),
                "--run-id",
                "n",
                "--no-progress",
                "--thresholds",
                "0",
                "--samples",
                "1",
            ]
        )
    assert len(server.requests) == 4
    assert all(request.body["n"] == 1 for request in server.requests)


def test_quota_stops_run_and_keeps_samples(
    question_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_scripted(
        question_file, tmp_path, "--max-concurrency", "1", responder=quota_after(6), run_id="quota"
    )
    assert code == 3
    assert "quota is exhausted" in capsys.readouterr().err
    lines = (tmp_path / "quota" / "samples.jsonl").read_text().splitlines()
    assert len(lines) == 6
    assert json.loads((tmp_path / "quota" / "run.json").read_text())["status"] == "stopped"


def test_api_key_never_written(
    question_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    key = "sk-probe-test-secret-5f3a9c1e"
    monkeypatch.setenv("PROBE_TEST_KEY", key)
    caplog.set_level(logging.DEBUG)
    model = ScriptedModel()

    def respond(request: ReceivedRequest, index: int) -> Reply:
        # Some servers echo the key in their errors, so every seventh request does here.
        if index % 7 == 3:
            return error_reply(500, f"upstream rejected key {key}")
        if index == 70:
            return error_reply(400, f"bad request for key {key}")
        return model(request, index)

    with OpenAIServer(respond) as server:
        code = main(
            [
                "run",
                "--base-url",
                server.base_url,
                "--model",
                "scripted-1",
                "--api-key-env",
                "PROBE_TEST_KEY",
                "--question-set",
                str(question_file),
                "--results-dir",
                str(tmp_path),
                "--run-id",
                "secret",
                "--max-retries",
                "0",
                "--no-progress",
                "--debug",
            ]
        )
        sent = {request.headers["authorization"] for request in server.requests}
    assert code == 0
    assert sent == {f"Bearer {key}"}
    for path in (tmp_path / "secret").iterdir():
        assert key not in path.read_text(encoding="utf-8"), path.name
    captured = capsys.readouterr()
    assert key not in captured.out + captured.err
    assert key not in caplog.text
    assert "[redacted]" in (tmp_path / "secret" / "samples.jsonl").read_text()


def test_report_marks_stopped_run(question_file: Path, tmp_path: Path) -> None:
    run_scripted(
        question_file,
        tmp_path,
        "--max-concurrency",
        "1",
        responder=quota_after(6),
        run_id="partial",
    )
    assert main(["report", str(tmp_path / "partial")]) == 0
    report = (tmp_path / "partial" / "report.md").read_text()
    assert "This run is stopped" in report
    assert "of 80 samples" in report


def interrupt_at(request: int) -> Callable[[ReceivedRequest, int], Reply]:
    """Honour n, then send this process SIGINT when question request `request` arrives.

    That request's reply is held back, so the samples written are those of the earlier ones.
    """

    def respond(received: ReceivedRequest, index: int) -> Reply:
        reply = choices_reply(["Paris"] * requested_n(received), model="scripted-1")
        if index == request:
            os.kill(os.getpid(), signal.SIGINT)
            reply.delay_s = 5
        return reply

    return respond


def last_invocation(run_dir: Path) -> dict:
    info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    return dict(info["last_invocation"])


def test_interrupted_run_records_its_counts(
    question_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_scripted(
        question_file, tmp_path, "--max-concurrency", "1", responder=interrupt_at(3), run_id="cut"
    )
    assert code == 130
    assert f"probe run --resume {tmp_path / 'cut'}" in capsys.readouterr().err
    written = (tmp_path / "cut" / "samples.jsonl").read_text().splitlines()
    counts = last_invocation(tmp_path / "cut")
    assert len(written) == 15
    assert counts["samples_written"] == 15
    assert counts["samples_per_request"] == 5
    assert counts["requests_sent"] == 4


def test_stopped_run_records_its_counts(question_file: Path, tmp_path: Path) -> None:
    code = run_scripted(
        question_file, tmp_path, "--max-concurrency", "1", responder=quota_after(6), run_id="quota"
    )
    assert code == 3
    counts = last_invocation(tmp_path / "quota")
    assert counts["samples_written"] == 6
    assert counts["samples_per_request"] == 1
    assert "quota is exhausted" in counts["stopped_by"]


def test_dead_endpoint_leaves_no_folder(
    question_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with OpenAIServer(ScriptedModel()) as server:
        base_url = server.base_url
    code = main(
        ["run", "--base-url", base_url, "--model", "scripted-1", "--question-set",
         str(question_file), "--results-dir", str(tmp_path), "--run-id", "dead",
         "--max-retries", "0", "--no-progress"]
    )
    error = capsys.readouterr().err
    assert code == 3
    assert "got no completion" in error
    assert "run the same command again" in error
    assert "--resume" not in error
    assert not (tmp_path / "dead").exists()


def test_early_interrupt_leaves_no_folder(
    question_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupt(request: ReceivedRequest, index: int) -> Reply:
        os.kill(os.getpid(), signal.SIGINT)
        return Reply(delay_s=5)

    with OpenAIServer(ScriptedModel(), checks=interrupt) as server:
        code = main(
            ["run", "--base-url", server.base_url, "--model", "scripted-1", "--question-set",
             str(question_file), "--results-dir", str(tmp_path), "--run-id", "early",
             "--no-progress"]
        )
    error = capsys.readouterr().err
    assert code == 130
    assert "no run to resume" in error
    assert "Run the same command again" in error
    assert "--resume" not in error
    assert not (tmp_path / "early").exists()


def test_resume_interrupt_hints_resume(
    finished_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupt(request: ReceivedRequest, index: int) -> Reply:
        os.kill(os.getpid(), signal.SIGINT)
        return Reply(delay_s=5)

    # A run with pending samples, since a resume of a complete one sends no request at all.
    samples = finished_run / "samples.jsonl"
    kept = samples.read_text(encoding="utf-8").splitlines(keepends=True)[:10]
    samples.write_text("".join(kept), encoding="utf-8")

    with OpenAIServer(ScriptedModel(), checks=interrupt) as server:
        code = main(["run", "--resume", str(finished_run), "--base-url", server.base_url,
                     "--no-progress"])
    assert code == 130
    assert f"probe run --resume {finished_run}" in capsys.readouterr().err
    assert (finished_run / "samples.jsonl").exists()


def test_failure_warning_in_words(
    question_file: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = ScriptedModel()

    def fail_first(request: ReceivedRequest, index: int) -> Reply:
        return error_reply(500, "upstream failed") if index == 0 else model(request, index)

    code = run_scripted(
        question_file,
        tmp_path,
        "--max-concurrency",
        "1",
        "--max-retries",
        "0",
        "--no-batch-samples",
        responder=fail_first,
    )
    assert code == 0
    assert "question paris at t = 0, sample(s) 0 failed" in caplog.text
    assert "SampleKey(" not in caplog.text


def test_high_thresholds_shown_apart_from_one(
    question_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def respond(request: ReceivedRequest, index: int) -> Reply:
        return choices_reply([IDK] * requested_n(request), model="scripted-1")

    code = run_scripted(
        question_file,
        tmp_path,
        "--thresholds",
        "0,0.995,0.999,0.99999",
        "--samples",
        "2",
        responder=respond,
        run_id="high",
    )
    assert code == 0
    rows = [line.split()[0] for line in capsys.readouterr().out.splitlines()[2:6]]
    assert rows == ["0", "0.995", "0.999", "0.99999"]
    report = (tmp_path / "high" / "report.md").read_text(encoding="utf-8")
    for label in ("0.995", "0.999", "0.99999"):
        assert f"| {label} |" in report
    assert "| 1 |" not in report


def test_default_set_missing_suggests_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["run", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--no-progress"])
    error = capsys.readouterr().err
    assert code == 2
    assert "question_sets/demo.jsonl: question set not found" in error
    assert "--question-set FILE" in error
    assert not (tmp_path / "results").exists()

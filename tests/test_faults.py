"""Whole runs against a loopback server that injects faults.

The fake model is deterministic, so every run that recovers, or stops and is resumed, must
end with the summary.json of a clean run, with every sample key stored exactly once.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from probe.cli import main
from tests.fake_model import (
    PLAN_SIZE,
    DeterministicModel,
    clean_summary,
    comparable_summary,
    run_against,
    run_args,
    stored_keys,
    stored_records,
    with_faults,
    write_questions,
)
from tests.openai_server import (
    OpenAIServer,
    ReceivedRequest,
    Reply,
    error_reply,
    requested_n,
)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def questions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_questions(tmp_path_factory.mktemp("questions") / "questions.jsonl")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, questions: Path) -> dict[str, Any]:
    return clean_summary(tmp_path_factory.mktemp("clean"), questions)


def assert_complete_once(run_dir: Path) -> None:
    keys = stored_keys(run_dir)
    assert len(keys) == PLAN_SIZE
    assert len(set(keys)) == PLAN_SIZE


def run_info(run_dir: Path) -> dict[str, Any]:
    info: dict[str, Any] = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    return info


def test_retry_after_headers_pace_the_run(
    tmp_path: Path, questions: Path, clean: dict[str, Any]
) -> None:
    faults = {
        0: error_reply(429, "Rate limit reached", headers={"retry-after": "2"}),
        1: error_reply(429, "Rate limit reached", headers={"retry-after-ms": "1500"}),
    }
    with OpenAIServer(with_faults(faults)) as server:
        code = run_against(server, questions, tmp_path / "r", "--max-concurrency", "1")
        times = server.request_times
    assert code == 0
    assert times[1] - times[0] == pytest.approx(2.0, abs=0.4)
    assert times[2] - times[1] == pytest.approx(1.5, abs=0.4)
    assert_complete_once(tmp_path / "r" / "run")
    assert comparable_summary(tmp_path / "r" / "run") == clean


def test_rate_limit_pauses_the_whole_pool(
    tmp_path: Path, questions: Path, clean: dict[str, Any]
) -> None:
    pause = 1.5
    faults = {0: error_reply(429, "Rate limit reached", headers={"retry-after": str(pause)})}
    model = DeterministicModel()

    def slow(request: ReceivedRequest, index: int) -> Reply:
        reply = with_faults(faults, model)(request, index)
        reply.delay_s = 0.0 if index == 0 else 0.05
        return reply

    with OpenAIServer(slow) as server:
        code = run_against(server, questions, tmp_path / "r", "--max-concurrency", "4")
        times = server.request_times
    assert code == 0
    # Requests already in flight when the 429 came back may still arrive; none may be sent
    # from then until the pause ends, by any worker.
    first = times[0]
    during_pause = [t - first for t in times if 0.3 < t - first < pause - 0.1]
    assert during_pause == []
    assert_complete_once(tmp_path / "r" / "run")
    assert comparable_summary(tmp_path / "r" / "run") == clean


def test_quota_stops_cleanly_then_resumes(
    tmp_path: Path, questions: Path, clean: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    quota = error_reply(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        code="insufficient_quota",
        kind="insufficient_quota",
    )
    model = DeterministicModel()

    def respond(request: ReceivedRequest, index: int) -> Reply:
        return model(request, index) if index < 5 else quota

    results = tmp_path / "r"
    with OpenAIServer(respond) as server:
        code = run_against(server, questions, results, "--max-concurrency", "1")
        sent = len(server.requests)
    error = capsys.readouterr().err
    assert code == 3
    assert sent == 6
    assert "quota is exhausted" in error
    assert f"probe run --resume {results / 'run'}" in error
    assert len(stored_keys(results / "run")) == 5 * 3
    assert run_info(results / "run")["status"] == "stopped"

    with OpenAIServer(DeterministicModel(), port=server.port):
        assert main(["run", "--resume", str(results / "run"), "--no-progress"]) == 0
    assert_complete_once(results / "run")
    assert comparable_summary(results / "run") == clean


@pytest.mark.parametrize(
    ("status", "hint"),
    [(401, "api_key_env"), (403, "api_key_env"), (404, "deployment name")],
)
def test_auth_and_not_found_stop_at_once(
    tmp_path: Path,
    questions: Path,
    capsys: pytest.CaptureFixture[str],
    status: int,
    hint: str,
) -> None:
    faults = {2: error_reply(status, "rejected")}
    with OpenAIServer(with_faults(faults)) as server:
        code = run_against(server, questions, tmp_path / "r", "--max-concurrency", "1")
        sent = len(server.requests)
    assert code == 3
    assert sent == 3  # the first occurrence stops the run: no retry, no further request
    assert hint in capsys.readouterr().err
    assert len(stored_keys(tmp_path / "r" / "run")) == 2 * 3


def test_server_errors_are_retried(tmp_path: Path, questions: Path, clean: dict[str, Any]) -> None:
    faults = {
        0: error_reply(500, "boom"),
        1: error_reply(502, "bad gateway"),
        2: error_reply(503, "overloaded"),
    }
    with OpenAIServer(with_faults(faults)) as server:
        code = run_against(server, questions, tmp_path / "r", "--max-concurrency", "1")
    assert code == 0
    attempts = Counter(record.attempts for record in stored_records(tmp_path / "r" / "run"))
    assert attempts[4] == 3  # the first request's three samples needed four attempts
    assert_complete_once(tmp_path / "r" / "run")
    assert comparable_summary(tmp_path / "r" / "run") == clean


def test_connection_reset_is_retried(
    tmp_path: Path, questions: Path, clean: dict[str, Any]
) -> None:
    faults = {0: Reply(drop_connection=True), 7: Reply(drop_connection=True)}
    with OpenAIServer(with_faults(faults)) as server:
        code = run_against(server, questions, tmp_path / "r", "--max-concurrency", "2")
    assert code == 0
    assert_complete_once(tmp_path / "r" / "run")
    assert comparable_summary(tmp_path / "r" / "run") == clean


def test_hung_request_times_out_and_frees_its_slot(
    tmp_path: Path, questions: Path, clean: dict[str, Any]
) -> None:
    hang = Reply(delay_s=5.0, body={})
    with OpenAIServer(with_faults({0: hang})) as server:
        code = run_against(
            server, questions, tmp_path / "r", "--max-concurrency", "1", "--timeout", "0.5"
        )
        times = server.request_times
    assert code == 0
    # With one slot, the next request can only go once the hung one has given its slot up.
    assert times[1] - times[0] < 2.0
    assert_complete_once(tmp_path / "r" / "run")
    assert comparable_summary(tmp_path / "r" / "run") == clean


def test_error_in_200_body_is_retried(
    tmp_path: Path, questions: Path, clean: dict[str, Any]
) -> None:
    in_body = Reply(body={"id": "gen-1", "error": {"message": "Upstream error", "code": 502}})
    with OpenAIServer(with_faults({0: in_body, 3: in_body})) as server:
        code = run_against(server, questions, tmp_path / "r", "--max-concurrency", "1")
    assert code == 0
    records = stored_records(tmp_path / "r" / "run")
    assert all(record.outcome.value != "error" for record in records)
    assert_complete_once(tmp_path / "r" / "run")
    assert comparable_summary(tmp_path / "r" / "run") == clean


def test_short_n_sends_the_rest_separately(
    tmp_path: Path, questions: Path, clean: dict[str, Any]
) -> None:
    # The check's replies honour n, the run's replies carry one choice: a pool of servers
    # behind one address can behave like this.
    with OpenAIServer(DeterministicModel(max_n=1)) as server:
        code = run_against(server, questions, tmp_path / "r", "--max-concurrency", "1")
        sizes = [requested_n(request) for request in server.requests]
    assert code == 0
    assert sizes[0] == 3
    assert sizes[1:] == [1] * (PLAN_SIZE - 1)
    assert run_info(tmp_path / "r" / "run")["last_invocation"]["samples_per_request"] == 1
    assert_complete_once(tmp_path / "r" / "run")
    assert comparable_summary(tmp_path / "r" / "run") == clean


def test_n_rejected_switches_to_single_samples(
    tmp_path: Path, questions: Path, clean: dict[str, Any]
) -> None:
    rejection = Reply(
        status=500,
        body={
            "error": {
                "code": 500,
                "message": "Only one completion choice is allowed",
                "type": "server_error",
            }
        },
    )
    model = DeterministicModel()

    def respond(request: ReceivedRequest, index: int) -> Reply:
        return rejection if requested_n(request) > 1 else model(request, index)

    with OpenAIServer(respond) as server:
        code = run_against(server, questions, tmp_path / "r", "--max-concurrency", "1")
        sizes = [requested_n(request) for request in server.requests]
    assert code == 0
    # The rejection is not retried as a transient error: one n = 3 request, then singles.
    assert sizes == [3] + [1] * PLAN_SIZE
    assert_complete_once(tmp_path / "r" / "run")
    assert comparable_summary(tmp_path / "r" / "run") == clean


def test_engine_death_opens_breaker_then_resume_completes(
    tmp_path: Path, questions: Path, clean: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    model = DeterministicModel()
    server = OpenAIServer(lambda request, index: model(request, index) if index < 4 else
                          error_reply(500, "CUDA error: an illegal memory access"))

    def kill_after_errors() -> None:
        # After a few 500s the engine is gone: the listening socket closes.
        while server.served < 8:
            time.sleep(0.01)
        server.stop()

    results = tmp_path / "r"
    with server:
        killer = threading.Thread(target=kill_after_errors)
        killer.start()
        code = run_against(
            server, questions, results, "--max-concurrency", "2",
            "--max-consecutive-failures", "6", "--max-retries", "10",
        )
        killer.join()
    error = capsys.readouterr().err
    assert code == 3
    assert "requests in a row failed" in error
    assert f"probe run --resume {results / 'run'}" in error
    assert run_info(results / "run")["status"] == "stopped"
    stored = len(stored_keys(results / "run"))
    assert 0 < stored < PLAN_SIZE

    with OpenAIServer(DeterministicModel(), port=server.port) as revived:
        assert main(["run", "--resume", str(results / "run"), "--no-progress"]) == 0
        resent = len(revived.requests)
    assert resent == (PLAN_SIZE - stored) // 3
    assert_complete_once(results / "run")
    assert comparable_summary(results / "run") == clean


def _start_run_process(base_url: str, questions: Path, results: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "probe.cli", *run_args(base_url, questions, results,
                                                            "--max-concurrency", "2")]
    return subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _wait_for_lines(path: Path, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists() and path.read_bytes().count(b"\n") >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"{path} never reached {count} lines (exit code {process.poll()})")


def _slow_model() -> Any:
    model = DeterministicModel()

    def respond(request: ReceivedRequest, index: int) -> Reply:
        reply = model(request, index)
        reply.delay_s = 0.05
        return reply

    return respond


def test_sigkill_mid_run_then_resume(
    tmp_path: Path, questions: Path, clean: dict[str, Any]
) -> None:
    results = tmp_path / "r"
    samples = results / "run" / "samples.jsonl"
    with OpenAIServer(_slow_model()) as server:
        process = _start_run_process(server.base_url, questions, results)
        _wait_for_lines(samples, 20, process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    assert len(stored_keys(results / "run")) < PLAN_SIZE

    with OpenAIServer(DeterministicModel()) as server:
        code = main(["run", "--resume", str(results / "run"), "--base-url", server.base_url,
                     "--no-progress"])
    assert code == 0
    assert_complete_once(results / "run")
    assert comparable_summary(results / "run") == clean


@pytest.mark.parametrize(("stop", "exit_code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_keeps_samples_and_hints_resume(
    tmp_path: Path, questions: Path, clean: dict[str, Any], stop: signal.Signals, exit_code: int
) -> None:
    results = tmp_path / "r"
    samples = results / "run" / "samples.jsonl"
    with OpenAIServer(_slow_model()) as server:
        process = _start_run_process(server.base_url, questions, results)
        _wait_for_lines(samples, 10, process)
        process.send_signal(stop)
        _, error = process.communicate(timeout=30)
    assert process.returncode == exit_code
    assert f"probe run --resume {results / 'run'}" in error.decode()
    assert run_info(results / "run")["status"] == "interrupted"
    written = stored_keys(results / "run")
    assert len(written) == len(set(written))

    with OpenAIServer(DeterministicModel()) as server:
        code = main(["run", "--resume", str(results / "run"), "--base-url", server.base_url,
                     "--no-progress"])
    assert code == 0
    assert_complete_once(results / "run")
    assert comparable_summary(results / "run") == clean


@pytest.mark.parametrize(("stop", "exit_code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_during_startup_leaves_nothing(
    tmp_path: Path, questions: Path, stop: signal.Signals, exit_code: int
) -> None:
    results = tmp_path / "r"
    def hang(request: ReceivedRequest, index: int) -> Reply:
        return Reply(delay_s=30)

    with OpenAIServer(DeterministicModel(), checks=hang) as server:
        process = _start_run_process(server.base_url, questions, results)
        deadline = time.monotonic() + 60
        while not server.check_requests and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(stop)
        _, error = process.communicate(timeout=30)
    assert process.returncode == exit_code
    assert "no run to resume" in error.decode()
    assert "--resume" not in error.decode()
    assert not (results / "run").exists()


def test_identical_samples_withhold_consistency(tmp_path: Path, questions: Path) -> None:
    # A server that repeats one text for every sample, the canary's included.
    def same_text(request: ReceivedRequest, index: int) -> Reply:
        from tests.openai_server import choices_reply

        return choices_reply(["123456789012 lantern"] * requested_n(request))

    with OpenAIServer(DeterministicModel(), checks=same_text) as server:
        assert run_against(server, questions, tmp_path / "plain") == 0
        assert run_against(server, questions, tmp_path / "forced", "--force") == 0

    info = run_info(tmp_path / "plain" / "run")
    assert info["endpoint_check"]["sampling_independent"] is False
    assert info["consistency"]["reported"] is False
    plain = json.loads((tmp_path / "plain" / "run" / "summary.json").read_text())
    assert plain["consistency_withheld"]
    assert plain["per_question"] == []
    assert plain["mean_confidence"]["value"] is None
    forced = json.loads((tmp_path / "forced" / "run" / "summary.json").read_text())
    assert forced["consistency_withheld"] is None
    assert len(forced["per_question"]) == 6


def test_breaker_message_redacts_key(
    tmp_path: Path,
    questions: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = "sk-probe-breaker-secret-81c0d2"
    monkeypatch.setenv("PROBE_TEST_KEY", key)
    echo = error_reply(500, f"upstream rejected key {key}")
    with OpenAIServer(lambda request, index: echo) as server:
        code = run_against(
            server, questions, tmp_path / "r", "--api-key-env", "PROBE_TEST_KEY",
            "--max-consecutive-failures", "3", "--max-retries", "5",
        )
    error = capsys.readouterr().err
    assert code == 3
    assert "requests in a row failed" in error
    assert key not in error
    for path in (tmp_path / "r" / "run").iterdir():
        if path.is_file():
            assert key not in path.read_text(encoding="utf-8"), path.name

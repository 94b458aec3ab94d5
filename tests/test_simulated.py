import asyncio
import json
import math
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
import pytest

from probe import simulated
from probe.cli import main
from probe.outcomes import Outcome
from probe.prompts import Condition, build_messages
from probe.questions import Question, load_question_set
from probe.simulated import (
    SimulatedQuestion,
    answer_probability,
    modal_share,
    sample_counts,
    simulate_records,
    simulated_questions,
    true_rates,
)
from probe.simulated_server import (
    ServerThread,
    SimulatedModel,
    stated_confidence,
    stated_threshold,
    threshold_stream,
)

KNOWN = [0.0, 0.3, 0.7, 0.95]


# Policies


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("calibrated", [0, 0, 1, 1]),
        ("overconfident", [1, 1, 1, 1]),
        # Answers when p_q ≥ 0.5 + 0.2: 0.7 is exactly on the boundary.
        ("underconfident", [0, 0, 1, 1]),
        ("threshold-blind", [0.8, 0.8, 0.8, 0.8]),
        ("noisy-calibrated", [0.1, 0.1, 0.9, 0.9]),
    ],
)
def test_answer_probability_at_half(policy: simulated.Policy, expected: list[float]) -> None:
    assert list(answer_probability(policy, KNOWN, 0.5)) == pytest.approx(expected)


def test_underconfident_abstains_below_margin() -> None:
    # At t = 0.75, 0.95 − 0.75 = 0.2 answers and 0.7 does not.
    assert list(answer_probability("underconfident", KNOWN, 0.75)) == [0, 0, 0, 1]


def test_calibrated_best_guess_answers_known() -> None:
    # At t = 0 the calibrated policy answers whenever p_q > 0.
    assert list(answer_probability("calibrated", KNOWN, 0.0)) == [0, 1, 1, 1]


def test_threshold_blind_same_at_every_t() -> None:
    rates = {tuple(answer_probability("threshold-blind", KNOWN, t)) for t in (0, 0.5, 0.9)}
    assert len(rates) == 1


def test_unknown_policy_raises() -> None:
    with pytest.raises(ValueError, match="unknown policy 'reckless'"):
        answer_probability("reckless", KNOWN, 0.5)  # type: ignore[arg-type]


# True values


def test_true_rates_hand_computed() -> None:
    # p = 0.2, 0.6, 1.0 at t = 0.5, calibrated: answers the last two.
    # coverage 2/3, accuracy 1.6/3, error 0.4/3, precision 0.8, score 1.6/3 − 0.4/3 = 0.4
    rates = true_rates("calibrated", [0.2, 0.6, 1.0], 0.5)
    assert (rates.coverage, rates.precision) == pytest.approx((2 / 3, 0.8))
    assert (rates.accuracy, rates.error) == pytest.approx((1.6 / 3, 0.4 / 3))
    assert rates.score == pytest.approx(0.4)


def test_true_rates_score_uses_penalty() -> None:
    # Overconfident at t = 0.75 (penalty 3) on p = 0.5: 0.5 − 3·0.5 = −1
    assert true_rates("overconfident", [0.5], 0.75).score == pytest.approx(-1.0)


def test_true_rates_no_answers_precision_none() -> None:
    assert true_rates("underconfident", [0.5, 0.6], 0.9).precision is None


def test_modal_share() -> None:
    # max(p, 0.4·(1 − p)): 0 when p = 0 (abstains), 0.4·0.9 = 0.36 at 0.1, then p.
    assert list(modal_share([0.0, 0.1, 0.5, 1.0])) == pytest.approx([0.0, 0.36, 0.5, 1.0])


# Sampling


def test_sample_counts_match_true_rates() -> None:
    # 20,000 questions of 5 samples: the pooled rates land within 0.01 of the truth.
    rng = np.random.default_rng(0)
    known = simulated.draw_known(20_000, rng)
    truth = true_rates("noisy-calibrated", known, 0.75)
    correct, incorrect, abstained = sample_counts("noisy-calibrated", known, 0.75, 5, rng)
    valid = (correct + incorrect + abstained).sum()
    assert abs((correct + incorrect).sum() / valid - truth.coverage) < 0.01
    assert truth.precision is not None
    assert abs(correct.sum() / (correct + incorrect).sum() - truth.precision) < 0.01


def test_simulated_records_match_true_rates() -> None:
    questions = simulated_questions(400, seed=3)
    records = simulate_records(questions, "calibrated", [0.5], 5, seed=4)
    answered = [r for r in records if r.outcome is not Outcome.ABSTAINED]
    truth = true_rates("calibrated", simulated.known_of(questions), 0.5)
    assert abs(len(answered) / len(records) - truth.coverage) < 0.02
    assert truth.precision is not None
    precision = sum(r.outcome is Outcome.CORRECT for r in answered) / len(answered)
    assert abs(precision - truth.precision) < 0.03


def test_simulated_records_keys_and_outcomes() -> None:
    question = SimulatedQuestion("q", "text", 0.5, 1234, (2000, 3000, 4000, 5000))
    records = simulate_records([question], "overconfident", [0.0], 200, seed=0)
    by_key = {r.answer_key: r.outcome for r in records}
    assert by_key["1234"] is Outcome.CORRECT
    assert {by_key[key] for key in by_key if key != "1234"} == {Outcome.INCORRECT}


def test_wrong_answers_skewed() -> None:
    # With p_q = 0, every answer is wrong, spread 0.4, 0.3, 0.2, 0.1 over the four values.
    question = SimulatedQuestion("q", "text", 0.0, None, (2000, 3000, 4000, 5000))
    records = simulate_records([question], "overconfident", [0.0], 4000, seed=1)
    counts = Counter(r.answer_key for r in records)
    shares = [counts[str(value)] / 4000 for value in (2000, 3000, 4000, 5000)]
    assert shares == pytest.approx([0.4, 0.3, 0.2, 0.1], abs=0.03)


# Question sets


def test_questions_reproducible() -> None:
    assert simulated_questions(20, seed=5) == simulated_questions(20, seed=5)


def test_questions_unanswerable_when_unknown() -> None:
    questions = simulated_questions(200, seed=0)
    assert all(q.unanswerable == (q.known == 0) for q in questions)


def test_questions_values_distinct() -> None:
    for question in simulated_questions(50, seed=2):
        values = [question.answer, *question.wrong_answers]
        assert len(set(values)) == len(values), question.id


def test_question_round_trip() -> None:
    for question in simulated_questions(10, seed=1):
        record = Question.model_validate_json(question.to_question().model_dump_json())
        assert SimulatedQuestion.from_question(record) == question


def test_question_without_metadata_raises() -> None:
    plain = Question(id="x", question="?", answers=("1",), answer_type="number", language="en")
    with pytest.raises(ValueError, match="is not a simulated question"):
        SimulatedQuestion.from_question(plain)


# The server


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("Answer only if you are more than 75% confident", 0.75),
        ("more than 33.3% confident", 0.333),
        ("只有在你有超過 90% 的把握答對時才回答問題", 0.9),
        ("Answer the question with your best guess", 0.0),
    ],
)
def test_stated_threshold(prompt: str, expected: float) -> None:
    assert stated_threshold(prompt) == pytest.approx(expected)


def test_prompt_threshold_read_back() -> None:
    question = simulated_questions(1)[0].to_question()
    for threshold in (0.0, 0.5, 0.75, 0.9, 0.95):
        system = build_messages(question, Condition(threshold))[0]["content"]
        assert stated_threshold(system) == pytest.approx(threshold), threshold


def test_prompt_threshold_read_back_fine() -> None:
    # A percentage rounded to whole points would state 100% for 0.99999, read back as t = 1.
    question = simulated_questions(1)[0].to_question()
    for threshold in (0.995, 0.999, 0.9999, 0.99999):
        system = build_messages(question, Condition(threshold))[0]["content"]
        assert stated_threshold(system) == pytest.approx(threshold, abs=1e-9), threshold


def test_threshold_streams_distinct() -> None:
    thresholds = (0.0, 0.5, 0.9999, 0.99995, 0.99999)
    streams = {threshold_stream(t) for t in thresholds}
    assert len(streams) == len(thresholds)
    assert threshold_stream(0.75) == 7500


def test_stated_confidence_calibrated() -> None:
    assert stated_confidence("calibrated", 0.734, np.random.default_rng(0)) == 73


def test_stated_confidence_overconfident() -> None:
    # 0.5 + 0.7·0.5 = 0.85
    assert stated_confidence("overconfident", 0.5, np.random.default_rng(0)) == 85


QUESTIONS = simulated_questions(6, seed=11)


def chat(base_url: str, question: SimulatedQuestion, threshold: float, **extra: object) -> dict:
    messages = build_messages(question.to_question(), Condition(threshold))
    body = {"model": "m", "messages": messages, **extra}
    response = httpx.post(f"{base_url}/chat/completions", json=body, timeout=10)
    response.raise_for_status()
    return dict(response.json())


def contents(reply: dict) -> list[str]:
    return [choice["message"]["content"] for choice in reply["choices"]]


def test_server_honours_n() -> None:
    with ServerThread(SimulatedModel(QUESTIONS, "overconfident")) as server:
        assert len(chat(server.base_url, QUESTIONS[1], 0.0, n=7)["choices"]) == 7


def test_server_calibrated_abstains_above_known() -> None:
    question = next(q for q in QUESTIONS if 0 < q.known < 0.7)
    with ServerThread(SimulatedModel(QUESTIONS, "calibrated")) as server:
        assert set(contents(chat(server.base_url, question, 0.75, n=10))) == {"I don't know"}


def test_server_calibrated_answers_below_known() -> None:
    question = next(q for q in QUESTIONS if q.known > 0.5)
    with ServerThread(SimulatedModel(QUESTIONS, "calibrated")) as server:
        answers = contents(chat(server.base_url, question, 0.5, n=10))
    allowed = {str(v) for v in (question.answer, *question.wrong_answers)}
    assert set(answers) <= allowed


def test_server_logprob_of_correct_answer() -> None:
    # The first token of a correct answer carries log p_q; the rest of the number log 1.
    question = next(q for q in QUESTIONS if q.known > 0.5)
    with ServerThread(SimulatedModel(QUESTIONS, "calibrated")) as server:
        reply = chat(server.base_url, question, 0.0, n=40, logprobs=True)
    correct = [c for c in reply["choices"] if c["message"]["content"] == str(question.answer)]
    tokens = correct[0]["logprobs"]["content"]
    assert tokens[0]["logprob"] == pytest.approx(math.log(question.known))
    assert tokens[1]["logprob"] == 0.0


def test_server_same_seed_same_answers() -> None:
    runs = []
    for _ in range(2):
        with ServerThread(SimulatedModel(QUESTIONS, "noisy-calibrated", seed=4)) as server:
            runs.append([contents(chat(server.base_url, q, 0.5, n=5)) for q in QUESTIONS])
    assert runs[0] == runs[1]


def test_server_other_prompt_gets_distinct_digits() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "Write 12 digits."}], "n": 3}
    with ServerThread(SimulatedModel(QUESTIONS, "calibrated")) as server:
        reply = httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=10).json()
    assert len(set(contents(reply))) == 3


def test_server_lists_model() -> None:
    with ServerThread(SimulatedModel(QUESTIONS, "calibrated", name="sim-x")) as server:
        listed = httpx.get(f"{server.base_url}/models", timeout=10).json()
    assert [item["id"] for item in listed["data"]] == ["sim-x"]


def test_server_invalid_json_400() -> None:
    with ServerThread(SimulatedModel(QUESTIONS, "calibrated")) as server:
        response = httpx.post(f"{server.base_url}/chat/completions", content=b"{", timeout=10)
    assert response.status_code == 400
    assert "invalid JSON" in json.loads(response.content)["error"]["message"]


def test_server_answers_fine_threshold() -> None:
    question = next(q for q in QUESTIONS if 0 < q.known < 0.7)
    with ServerThread(SimulatedModel(QUESTIONS, "calibrated")) as server:
        reply = chat(server.base_url, question, 0.99999, n=3)
    assert set(contents(reply)) == {"I don't know"}


def test_server_threshold_of_100_percent_400() -> None:
    messages = [
        {"role": "system", "content": "Answer only if you are more than 100% confident."},
        {"role": "user", "content": QUESTIONS[0].text},
    ]
    body = {"model": "m", "messages": messages}
    with ServerThread(SimulatedModel(QUESTIONS, "calibrated")) as server:
        response = httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=10)
    assert response.status_code == 400
    assert "below 100%" in response.json()["error"]["message"]


def test_server_unknown_path_404() -> None:
    with ServerThread(SimulatedModel(QUESTIONS, "calibrated")) as server:
        assert httpx.get(f"{server.base_url}/embeddings", timeout=10).status_code == 404


# The command line


def test_cli_writes_loadable_questions(tmp_path: Path) -> None:
    path = tmp_path / "sim.jsonl"
    assert main(["simulate", "questions", str(path), "--count", "7", "--seed", "3"]) == 0
    loaded = [SimulatedQuestion.from_question(q) for q in load_question_set(path)]
    assert loaded == simulated_questions(7, seed=3)


def test_cli_questions_omit_options(tmp_path: Path) -> None:
    path = tmp_path / "sim.jsonl"
    assert main(["simulate", "questions", str(path), "--count", "3"]) == 0
    for line in path.read_text(encoding="utf-8").splitlines():
        assert "options" not in json.loads(line)


def test_cli_serve_rejects_plain_question_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plain.jsonl"
    plain = Question(id="x", question="?", answers=("1",), answer_type="number", language="en")
    path.write_text(plain.model_dump_json() + "\n", encoding="utf-8")
    assert main(["simulate", "serve", "--questions", str(path)]) == 2
    assert "is not a simulated question" in capsys.readouterr().err


def test_serve_prints_stop_line_on_sigterm(tmp_path: Path) -> None:
    questions = tmp_path / "sim.jsonl"
    assert main(["simulate", "questions", str(questions), "--count", "3"]) == 0
    command = [sys.executable, "-m", "probe.cli", "simulate", "serve",
               "--questions", str(questions), "--port", "0"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        base_url = first.split(" at ", 1)[1].strip()
        assert httpx.get(f"{base_url}/models", timeout=10).status_code == 200
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=20)
    finally:
        server.kill()
    assert server.returncode == 0
    assert f"Stopped simulated-calibrated at {base_url} after 0 request(s)." in out


def test_serve_reports_each_hundred_requests(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from probe.cli import simulate as simulate_cli

    class FakeServer:
        requests = 250

    async def report_briefly() -> None:
        task = asyncio.create_task(simulate_cli._report_requests(FakeServer()))  # type: ignore[arg-type]
        await asyncio.sleep(0.05)
        task.cancel()

    monkeypatch.setattr(simulate_cli, "REPORT_INTERVAL_S", 0.01)
    asyncio.run(report_briefly())
    assert capsys.readouterr().out == "Served 200 requests.\n"

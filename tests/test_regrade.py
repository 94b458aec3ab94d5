"""`probe regrade` and a run with a judge: outcomes rewritten from the stored responses."""

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from probe.cli import main
from probe.samples import SampleRecord
from tests.judge_server import ScriptedJudge, write_judge_yaml
from tests.openai_server import OpenAIServer, ReceivedRequest, Reply, chat_reply, user_prompt

QUESTIONS = [
    {
        "id": "paris",
        "question": "What is the capital of France?",
        "answers": ["Paris"],
        "answer_type": "place",
        "language": "en",
    },
    {
        "id": "eiffel",
        "question": "In what year was the Eiffel Tower completed?",
        "answers": ["1889"],
        "answer_type": "year",
        "language": "en",
    },
]
# The grader leaves the first Paris answer ungraded; the judge decides it.
LONG_PARIS = "The seat of government is the city of lights on the Seine, known for its tower"
ANSWERS = {
    "paris": [LONG_PARIS, "Paris", "No comment."],
    "eiffel": ["1889", "1887", "1889"],
}


class ScriptedModel:
    def __init__(self) -> None:
        self.served: Counter[str] = Counter()

    def __call__(self, request: ReceivedRequest, index: int) -> Reply:
        question = next(q for q in QUESTIONS if q["question"] in user_prompt(request))
        answers = ANSWERS[question["id"]]
        position = self.served[question["id"]] % len(answers)
        self.served[question["id"]] += 1
        return chat_reply(answers[position], model="scripted-1")


def run_scripted(tmp_path: Path, *extra: str) -> Path:
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    with OpenAIServer(ScriptedModel()) as server:
        code = main(
            [
                "run",
                "--base-url",
                server.base_url,
                "--model",
                "scripted-1",
                "--question-set",
                str(questions),
                "--results-dir",
                str(tmp_path / "results"),
                "--run-id",
                "scripted",
                "--thresholds",
                "0",
                "--samples",
                "3",
                "--max-concurrency",
                "1",
                "--no-progress",
                *extra,
            ]
        )
    assert code == 0
    return tmp_path / "results" / "scripted"


def samples_of(run: Path, name: str = "samples.jsonl") -> dict[tuple[str, int], SampleRecord]:
    lines = (run / name).read_text(encoding="utf-8").splitlines()
    records = [SampleRecord.model_validate_json(line) for line in lines if line.strip()]
    return {(record.question_id, record.sample_index): record for record in records}


@pytest.fixture
def finished_run(tmp_path: Path) -> Path:
    return run_scripted(tmp_path)


def verdicts(answer: str, count: int) -> str:
    # The judge's view of the two answers the grader leaves ungraded.
    return "C" if answer == "No comment." else "A"


def ungraded_paris(run: Path) -> tuple[str, int]:
    return next(
        key
        for key, record in samples_of(run).items()
        if key[0] == "paris" and record.answer == LONG_PARIS
    )


def test_run_leaves_long_answer_ungraded(finished_run: Path) -> None:
    assert samples_of(finished_run)[ungraded_paris(finished_run)].outcome.value == "ungraded"


def test_regrade_with_judge_rewrites_outcome(finished_run: Path, tmp_path: Path) -> None:
    key = ungraded_paris(finished_run)
    with OpenAIServer(ScriptedJudge(verdicts)) as server:
        config = write_judge_yaml(tmp_path / "judge.yaml", server)
        assert main(["regrade", str(finished_run), "--judge", str(config)]) == 0

    regraded = samples_of(finished_run)[key]
    assert regraded.outcome.value == "correct"
    assert regraded.answer_key == "paris"
    assert regraded.reason.startswith("judge: correct")
    # One request per distinct ungraded answer: the long Paris answer and "No comment.".
    assert len(server.requests) == 2


def test_regrade_shows_judge_progress(
    finished_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with OpenAIServer(ScriptedJudge(verdicts)) as server:
        config = write_judge_yaml(tmp_path / "judge.yaml", server)
        assert main(["regrade", str(finished_run), "--judge", str(config)]) == 0
        with_bar = capsys.readouterr().err
        assert main(["regrade", str(finished_run), "--judge", str(config), "--no-progress"]) == 0
        without_bar = capsys.readouterr().err
    assert "judge: 100%" in with_bar
    assert "answer/s" in with_bar
    assert "judge: " not in without_bar


def test_regrade_keeps_original_samples(finished_run: Path, tmp_path: Path) -> None:
    before = (finished_run / "samples.jsonl").read_bytes()
    with OpenAIServer(ScriptedJudge(verdicts)) as server:
        config = write_judge_yaml(tmp_path / "judge.yaml", server)
        main(["regrade", str(finished_run), "--judge", str(config)])
        main(["regrade", str(finished_run), "--judge", str(config)])

    assert (finished_run / "samples.original.jsonl").read_bytes() == before


def test_regrade_records_judge_in_run_json_and_report(finished_run: Path, tmp_path: Path) -> None:
    with OpenAIServer(ScriptedJudge(verdicts)) as server:
        config = write_judge_yaml(tmp_path / "judge.yaml", server)
        main(["regrade", str(finished_run), "--judge", str(config)])

    judge = json.loads((finished_run / "run.json").read_text(encoding="utf-8"))["judge"]
    report = (finished_run / "report.md").read_text(encoding="utf-8")
    assert judge["model"] == "judge-1"
    assert len(judge["prompt_sha256"]) == 64
    assert judge["judge_decided"] == 2
    assert "## LLM judge" in report
    assert judge["prompt_sha256"][:12] in report


def test_regrade_recomputes_summary(finished_run: Path, tmp_path: Path) -> None:
    def outcomes() -> dict[str, int]:
        summary = json.loads((finished_run / "summary.json").read_text(encoding="utf-8"))
        return summary["outcomes"]

    before = outcomes()
    with OpenAIServer(ScriptedJudge(verdicts)) as server:
        config = write_judge_yaml(tmp_path / "judge.yaml", server)
        main(["regrade", str(finished_run), "--judge", str(config)])

    after = outcomes()
    assert after["ungraded"] == before["ungraded"] - 2
    assert after["correct"] == before["correct"] + 1
    assert after["abstained"] == before["abstained"] + 1


def test_regrade_mode_all_lists_disagreement(finished_run: Path, tmp_path: Path) -> None:
    # The judge calls every Eiffel answer incorrect, so it disagrees with the grader on 1889.
    def script(answer: str, count: int) -> str:
        return "B" if answer in ("1889", "1887") else verdicts(answer, count)

    with OpenAIServer(ScriptedJudge(script)) as server:
        config = write_judge_yaml(tmp_path / "judge.yaml", server, mode="all")
        main(["regrade", str(finished_run), "--judge", str(config)])

    judge = json.loads((finished_run / "run.json").read_text(encoding="utf-8"))["judge"]
    report = (finished_run / "report.md").read_text(encoding="utf-8")
    judged = [json.loads(line) for line in (finished_run / "judge.jsonl").read_text().splitlines()]
    assert judge["audit"]["disagreements"] == 2
    assert judge["audit"]["disagreement_rate"]["n"] == judge["audit"]["both_decided"]
    assert sum(1 for line in judged if line["disagrees"]) == 2
    assert "| `eiffel` |" in report
    assert samples_of(finished_run)[("eiffel", 0)].outcome.value == "correct"


def test_regrade_without_judge_uses_run_phrases(finished_run: Path) -> None:
    info_path = finished_run / "run.json"
    info = json.loads(info_path.read_text(encoding="utf-8"))
    info["config"]["grading"] = {"abstention_phrases": ["no comment"]}
    info_path.write_text(json.dumps(info), encoding="utf-8")

    assert main(["regrade", str(finished_run)]) == 0

    outcomes = {record.answer: record.outcome.value for record in samples_of(finished_run).values()}
    assert outcomes["No comment."] == "abstained"


def test_run_with_judge_in_config(tmp_path: Path) -> None:
    with OpenAIServer(ScriptedJudge(verdicts)) as judge_server:
        config = tmp_path / "run.yaml"
        judge = {
            "endpoint": {"base_url": judge_server.base_url, "model": "judge-1", "max_retries": 0}
        }
        grading = {"abstention_phrases": ["no comment"], "judge": judge}
        config.write_text(yaml.safe_dump({"grading": grading}), encoding="utf-8")
        run = run_scripted(tmp_path, "--config", str(config))

    outcomes = Counter(record.outcome.value for record in samples_of(run).values())
    assert outcomes["ungraded"] == 0
    assert outcomes["abstained"] == 1
    assert json.loads((run / "run.json").read_text(encoding="utf-8"))["judge"]["model"] == "judge-1"


def test_regrade_merges_same_answers(finished_run: Path, tmp_path: Path) -> None:
    # The judge gives no verdict, so both answers stay ungraded, and calls them the same.
    def script(answer: str, count: int) -> str:
        return "SAME" if answer == "" else "unsure"

    with OpenAIServer(ScriptedJudge(script)) as server:
        config = tmp_path / "judge.yaml"
        endpoint = {"base_url": server.base_url, "model": "judge-1", "max_retries": 0}
        judge = {"endpoint": endpoint, "reparse_attempts": 0, "merge_clusters": True}
        config.write_text(yaml.safe_dump(judge), encoding="utf-8")
        main(["regrade", str(finished_run), "--judge", str(config)])

    ungraded = [r for r in samples_of(finished_run).values() if r.outcome.value == "ungraded"]
    assert len(ungraded) == 2
    assert len({record.answer for record in ungraded}) == 2
    assert len({record.answer_key for record in ungraded}) == 1

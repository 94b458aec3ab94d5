"""`probe grade`: answers produced elsewhere, graded line by line, with or without a judge."""

import json
from pathlib import Path

import pytest

from probe.cli import main
from tests.judge_server import ScriptedJudge, write_judge_yaml
from tests.openai_server import OpenAIServer

LINES = [
    {
        "id": "a",
        "question": "What is the capital of France?",
        "answers": ["Paris"],
        "response": "Paris",
        "reference": "A",
    },
    {
        "id": "b",
        "question": "In what year was the Eiffel Tower completed?",
        "answers": "1889",
        "response": "<think>1887? no</think>It was 1887.",
        "reference": "incorrect",
    },
    {
        "id": "c",
        "question": "孫中山的生日是幾月幾日？",
        "answers": ["11月12日"],
        "response": "我不知道",
        "reference": "not_attempted",
    },
    {
        "id": "d",
        "question": "What is the capital of France?",
        "answers": ["Paris"],
        "response": "The seat of government is the city of lights on the Seine, by the tower",
        "reference": "correct",
    },
    {
        "question": "Which option?",
        "answers": ["B"],
        "options": ["Lyon", "Paris"],
        "response": "(B) Paris",
    },
]


@pytest.fixture
def answers_file(tmp_path: Path) -> Path:
    path = tmp_path / "answers.jsonl"
    path.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in LINES), encoding="utf-8"
    )
    return path


def read_output(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_grade_writes_outcome_and_reason(answers_file: Path, tmp_path: Path) -> None:
    output = tmp_path / "graded.jsonl"

    assert main(["grade", str(answers_file), "-o", str(output)]) == 0

    graded = read_output(output)
    assert [line["outcome"] for line in graded] == [
        "correct",
        "incorrect",
        "abstained",
        "ungraded",
        "correct",
    ]
    assert [line["answer_type"] for line in graded] == ["text", "year", "date", "text", "choice"]
    assert graded[1]["answer"] == "It was 1887."
    assert graded[1]["reason"] == "year 1887 differs from the gold answer 1889"
    assert graded[4]["answer_key"] == "B"
    assert graded[0]["reference"] == "correct"


def test_grade_prints_agreement(
    answers_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["grade", str(answers_file), "-o", str(tmp_path / "graded.jsonl")])

    printed = capsys.readouterr().out
    assert "decided 3 of 4 samples (75.0%); agreement on them 100.0%" in printed
    assert "abstention detector" in printed


def test_grade_default_output_name(answers_file: Path) -> None:
    assert main(["grade", str(answers_file)]) == 0

    assert (answers_file.parent / "answers.graded.jsonl").exists()


def test_grade_with_judge(answers_file: Path, tmp_path: Path) -> None:
    output = tmp_path / "graded.jsonl"
    with OpenAIServer(ScriptedJudge(lambda answer, count: "A")) as server:
        config = write_judge_yaml(tmp_path / "judge.yaml", server)
        assert main(["grade", str(answers_file), "-o", str(output), "--judge", str(config)]) == 0

    graded = read_output(output)
    assert graded[3]["outcome"] == "correct"
    assert graded[3]["grader_outcome"] == "ungraded"
    assert graded[3]["judge"]["verdict"] == "correct"
    assert "judge" not in graded[0]
    assert len(server.requests) == 1


def test_grade_invalid_lines_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "Q?", "answers": ["x"]}\nnot json\n', encoding="utf-8")

    assert main(["grade", str(path)]) == 2

    error = capsys.readouterr().err
    assert f"{path}:1:" in error
    assert 'missing field "response"' in error
    assert f"{path}:2: invalid JSON" in error


def test_grade_abstention_phrase_flag(tmp_path: Path) -> None:
    path = tmp_path / "answers.jsonl"
    line = {"question": "Who wrote it?", "answers": ["Jane Doe"], "response": "No comment."}
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    output = tmp_path / "graded.jsonl"

    main(["grade", str(path), "-o", str(output), "--abstention-phrase", "no comment"])

    assert read_output(output)[0]["outcome"] == "abstained"

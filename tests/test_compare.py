"""`probe report RUN_A RUN_B …`: one page comparing runs, by question where the sets match."""

import html
import json
import shutil
from pathlib import Path

import pytest

from probe.cli import main
from probe.summary import Summary
from probe.verdicts import short_responsiveness, short_verdict
from tests.run_factory import KnowingModel, knowledge_questions, probe_run, write_questions


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two models on one question set and a third run on a smaller set."""
    folder = tmp_path_factory.mktemp("compare")
    questions = knowledge_questions()
    question_file = write_questions(folder / "questions.jsonl", questions)
    probe_run(KnowingModel(questions, 1, name="model-a"), question_file, folder, "a")
    probe_run(KnowingModel(questions, 2, 0.5, name="model-b"), question_file, folder, "b")
    fewer = write_questions(folder / "fewer.jsonl", questions[:20])
    probe_run(KnowingModel(questions, 3, name="model-c"), fewer, folder, "c")
    return folder


def compare(results: Path, *runs: str) -> str:
    output = results / ("-".join(runs) + ".html")
    assert main(["report", *(str(results / run) for run in runs), "--output", str(output)]) == 0
    return html.unescape(output.read_text(encoding="utf-8"))


def test_comparison_pairs_same_question_set(results: Path) -> None:
    page = compare(results, "a", "b")
    assert "Paired differences against model-a" in page
    assert "became correct" in page
    assert page.count("<tbody data-id=") == len(knowledge_questions())
    assert "aggregates only" not in page


def test_comparison_shows_both_figures(results: Path) -> None:
    page = compare(results, "a", "b")
    assert page.count('<img src="data:image/svg+xml;base64,') == 2
    assert "Coverage–precision" in page
    assert "Score against t" in page


def test_comparison_tables_side_by_side(results: Path) -> None:
    page = compare(results, "a", "b")
    summary_b = json.loads((results / "b" / "summary.json").read_text())
    error_09 = next(item for item in summary_b["thresholds"] if item["threshold"] == 0.9)
    assert "<th>model-a</th><th>model-b</th>" in page
    assert f"{error_09['error']['value']:.0%}" in page


def test_comparison_other_question_set_warns(
    results: Path, caplog: pytest.LogCaptureFixture
) -> None:
    page = compare(results, "a", "c")
    assert "used a different question-set file" in page
    assert "no: aggregates only" in page
    assert "Paired differences" not in page
    assert "<tbody data-id=" not in page
    assert "different question-set file" in caplog.text


def test_comparison_default_output_beside_runs(results: Path) -> None:
    assert main(["report", str(results / "a"), str(results / "b")]) == 0
    assert (results / "comparison.html").exists()


def test_index_lists_every_run(results: Path) -> None:
    assert main(["report", "--index", str(results)]) == 0
    page = html.unescape((results / "index.html").read_text(encoding="utf-8"))
    for run, model in (("a", "model-a"), ("b", "model-b"), ("c", "model-c")):
        assert f'<a href="{run}/report.html">{run}</a>' in page
        assert f"<td>{model}</td>" in page
    assert "fewer" in page
    assert page.count("<tbody data-run=") == 3


def test_index_without_runs_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--index", str(tmp_path)]) == 2
    assert "no run folders found" in capsys.readouterr().err


def test_history_draws_trend_per_model(results: Path) -> None:
    assert main(["check", "--history", str(results)]) == 0
    page = html.unescape((results / "history.html").read_text(encoding="utf-8"))
    assert page.count('<img src="data:image/svg+xml;base64,') == 3 * 3
    for model in ("model-a", "model-b", "model-c"):
        assert f"{model}: 1 run" in page


def test_history_filters_model(results: Path, tmp_path: Path) -> None:
    output = tmp_path / "trend.html"
    assert (
        main(["check", "--history", str(results), "--model", "model-b", "--output", str(output)])
        == 0
    )
    page = output.read_text(encoding="utf-8")
    assert "model-b: 1 run" in page
    assert "model-a" not in page
    assert "b/report.html" in page


def test_history_orders_runs_by_start(results: Path, tmp_path: Path) -> None:
    for run_id, started in (
        ("late", "2026-03-02T00:00:00+00:00"),
        ("early", "2026-03-01T00:00:00+00:00"),
    ):
        shutil.copytree(results / "a", tmp_path / run_id)
        info = json.loads((tmp_path / run_id / "run.json").read_text())
        info["started_at"] = started
        (tmp_path / run_id / "run.json").write_text(json.dumps(info))

    assert main(["check", "--history", str(tmp_path)]) == 0
    page = (tmp_path / "history.html").read_text(encoding="utf-8")
    assert "model-a: 2 runs" in page
    assert page.index("2026-03-01 00:00") < page.index("2026-03-02 00:00")


def test_history_unknown_model_exits_2(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--history", str(results), "--model", "nope"]) == 2
    assert "no run of model 'nope'" in capsys.readouterr().err


def test_comparison_states_each_run_verdict(results: Path) -> None:
    page = compare(results, "a", "b")
    verdicts = page[page.index('<section id="verdicts">') : page.index('<section id="figures">')]
    for run in ("a", "b"):
        summary = Summary.model_validate_json((results / run / "summary.json").read_text())
        for item in summary.thresholds:
            assert short_verdict(item) in verdicts
        assert short_responsiveness(summary) in verdicts

"""`probe check` on real runs of random models served on 127.0.0.1."""

import json
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest

from probe import paired
from probe.cli import main
from probe.errors import ConfigError
from probe.gates import Gate, default_gates, load_gates
from probe.samples import SampleRecord
from tests.run_factory import KnowingModel, knowledge_questions, probe_run, write_questions


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three runs of 40 questions: a baseline, the same model with another seed, and a model
    that answers where it should abstain."""
    folder = tmp_path_factory.mktemp("check")
    questions = knowledge_questions()
    question_file = write_questions(folder / "questions.jsonl", questions)
    for run_id, seed, overconfidence in (("base", 11, 0.0), ("same", 12, 0.0), ("worse", 13, 0.5)):
        probe_run(KnowingModel(questions, seed, overconfidence), question_file, folder, run_id)
    return folder


def check(results: Path, tmp_path: Path, candidate: str, *extra: str) -> int:
    return main(
        [
            "check",
            str(results / "base"),
            str(results / candidate),
            "--json",
            str(tmp_path / "check.json"),
            "--junit",
            str(tmp_path / "junit.xml"),
            *extra,
        ]
    )


def test_check_passes_same_model_other_seed(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = check(results, tmp_path, "same")
    output = capsys.readouterr().out
    assert code == 0, output
    assert "Result: passed." in output
    assert "FAIL" not in output


def test_check_fails_worse_error_at_high_t(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = check(results, tmp_path, "worse")
    output = capsys.readouterr().out
    assert code == 1, output
    assert "FAIL  error at t = 0.9 must not rise by more than 2 points" in output
    assert "Result: failed" in output


def test_check_writes_json_and_junit(results: Path, tmp_path: Path) -> None:
    check(results, tmp_path, "worse")
    result = json.loads((tmp_path / "check.json").read_text())
    failed = [gate for gate in result["gates"] if gate["status"] == "fail"]
    assert result["passed"] is False
    assert {(gate["gate"]["metric"], gate["gate"]["threshold"]) for gate in failed} >= {
        ("error", 0.9)
    }

    suites = ElementTree.parse(tmp_path / "junit.xml").getroot()
    cases = suites.findall("./testsuite/testcase")
    assert suites.get("failures") == str(len(failed))
    assert len(cases) == len(result["gates"])
    assert len(suites.findall("./testsuite/testcase/failure")) == len(failed)


def test_check_default_outputs_go_to_candidate(results: Path, tmp_path: Path) -> None:
    candidate = tmp_path / "same"
    shutil.copytree(results / "same", candidate)
    assert main(["check", str(results / "base"), str(candidate)]) == 0
    assert (candidate / "check.json").exists()
    assert (candidate / "check-junit.xml").exists()


def test_check_run_against_itself_passes(results: Path, tmp_path: Path) -> None:
    assert (
        main(
            [
                "check",
                str(results / "worse"),
                str(results / "worse"),
                "--json",
                str(tmp_path / "c.json"),
                "--junit",
                str(tmp_path / "j.xml"),
            ]
        )
        == 0
    )
    gates = json.loads((tmp_path / "c.json").read_text())["gates"]
    assert all(gate["change"] == 0 for gate in gates)
    assert all(gate["p_value"] == 1 for gate in gates)


GATES_YAML = """
significance: 0.05
bootstrap_draws: 2000
gates:
  - {metric: error, threshold: 0.9, max_rise: 0.02, test: mcnemar}
  - {metric: precision, threshold: 0.75, min: 0.75}
  - {metric: score, threshold: 0.5, max_fall: 0}
  - {metric: invalid, threshold: 0, max_rise: 0.05, name: "no more failed samples at t = 0"}
"""


def test_check_warns_once_about_models(
    results: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    other = tmp_path / "other"
    shutil.copytree(results / "same", other)
    summary = json.loads((other / "summary.json").read_text(encoding="utf-8"))
    summary["model"] = "other-1"
    (other / "summary.json").write_text(json.dumps(summary), encoding="utf-8")

    main(["check", str(results / "base"), str(other), "--json", str(tmp_path / "c.json"),
          "--junit", str(tmp_path / "c.xml")])
    captured = capsys.readouterr()
    output = captured.out + captured.err + caplog.text
    assert output.count("probed different models") == 1


def test_check_reads_gates_file(results: Path, tmp_path: Path) -> None:
    gates = tmp_path / "gates.yaml"
    gates.write_text(GATES_YAML)
    code = check(results, tmp_path, "worse", "--gates", str(gates))
    result = json.loads((tmp_path / "check.json").read_text())
    by_metric = {gate["gate"]["metric"]: gate for gate in result["gates"]}
    assert code == 1
    assert by_metric["error"]["status"] == "fail"
    assert by_metric["error"]["test"].startswith("exact McNemar test over 200 sample pairs")
    assert by_metric["invalid"]["description"] == "no more failed samples at t = 0"
    assert by_metric["invalid"]["status"] == "pass"
    assert result["settings"]["bootstrap_draws"] == 2000


def test_check_gate_at_missing_threshold_exits_2(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gates = tmp_path / "gates.yaml"
    gates.write_text("gates:\n  - {metric: error, threshold: 0.8, max_rise: 0.02}\n")
    assert check(results, tmp_path, "same", "--gates", str(gates)) == 2
    error = capsys.readouterr().err
    assert "t = 0.8 is not a threshold of both runs" in error
    assert "0, 0.5, 0.75, 0.9" in error


def test_check_one_run_exits_2(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(results / "base")]) == 2
    assert "expected two run folders" in capsys.readouterr().err


def test_check_missing_run_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    assert "run.json: not found" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gates: []", "gates: must list at least 1 item"),
        (
            "gates:\n  - {metric: errors, threshold: 0.9, max_rise: 0.02}",
            'gate 1, metric: must be one of: coverage, accuracy, error',
        ),
        ("gates:\n  - {metric: error, threshold: 0.9}", "give exactly one of"),
        (
            "gates:\n  - {metric: error, threshold: 0.9, max_rise: 0.02, min: 0.1}",
            "found max_rise, min",
        ),
        ("gates:\n  - {metric: score, threshold: 0.9, max_fall: 0, test: mcnemar}", "not score"),
        (
            "gates:\n  - {metric: error, threshold: 0.9, max: 0.1, test: mcnemar}",
            "compares two runs",
        ),
        ("significance: 2\ngates:\n  - {metric: error, threshold: 0.9, max: 0.1}", "significance"),
        ("- just a list", "expected a mapping"),
        ("gates: [", "invalid YAML"),
    ],
)
def test_gates_file_errors_name_the_field(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_gates(path)
    assert str(path) in str(raised.value)
    assert expected in str(raised.value)


def test_gates_file_reports_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(
        "significance: 2\n"
        "gates:\n"
        "  - {metric: errors, threshold: 0.9, max_rise: 0.02}\n"
        "  - {metric: error, threshold: 0.9}\n"
        "  - {metric: error, threshold: 0.5, max: 3, test: mcnemar}\n"
        "  - {metric: error, threshold: 0.5, max_rise: 0.02, tset: bootstrap}\n"
    )
    with pytest.raises(ConfigError) as raised:
        load_gates(path)
    message = str(raised.value)
    assert "5 problem(s)" in message
    assert f"{path}:1: significance: must be below 1, found 2" in message
    assert f'{path}:3: gate 1, metric:' in message
    assert 'did you mean "error"?' in message
    assert f"{path}:4: gate 2: give exactly one of" in message
    assert f"{path}:5: gate 3: test mcnemar compares two runs" in message
    assert "max 3.0 can never be reached" in message
    assert f'{path}:6: gate 4, tset: unknown field; did you mean "test"?' in message
    assert "Input should" not in message


def test_default_gates_cover_shared_thresholds() -> None:
    gates = default_gates([0.0, 0.5, 0.9]).gates
    assert [(gate.metric, gate.threshold) for gate in gates] == [
        ("error", 0.5),
        ("error", 0.9),
        ("score", 0.0),
        ("score", 0.5),
        ("score", 0.9),
    ]


@pytest.mark.parametrize(
    ("gate", "description"),
    [
        (
            Gate(metric="error", threshold=0.9, max_rise=0.02),
            "error at t = 0.9 must not rise by more than 2 points",
        ),
        (
            Gate(metric="precision", threshold=0.75, min=0.75),
            "precision at t = 0.75 must not fall below 75.0%",
        ),
        (Gate(metric="score", threshold=0.5, max_fall=0), "score at t = 0.5 must not fall"),
        (
            Gate(metric="coverage", threshold=0.5, max_fall=0.1),
            "coverage at t = 0.5 must not fall by more than 10 points",
        ),
    ],
)
def test_gate_describes_its_rule(gate: Gate, description: str) -> None:
    assert gate.describe() == description


def record(question: str, threshold: float, index: int, outcome: str) -> SampleRecord:
    return SampleRecord.model_validate(
        {"question_id": question, "threshold": threshold, "sample_index": index, "outcome": outcome}
    )


def test_pair_counts_keep_only_shared_keys() -> None:
    baseline = [
        record("a", 0.5, 0, "correct"),
        record("a", 0.5, 1, "incorrect"),
        record("b", 0.5, 0, "abstained"),
    ]
    candidate = [
        record("a", 0.5, 0, "incorrect"),
        record("b", 0.5, 0, "error"),
        record("c", 0.5, 0, "correct"),
    ]
    counts = paired.pair_counts(baseline, candidate, 0.5)
    assert counts.question_ids == ("a", "b")
    assert counts.keys == 2
    assert counts.baseline.tolist() == [[1, 0, 0, 0], [0, 0, 1, 0]]
    assert counts.candidate.tolist() == [[0, 1, 0, 0], [0, 0, 0, 1]]


def test_metric_values_match_definitions() -> None:
    totals = np.array([6, 2, 2, 5])  # correct, incorrect, abstained, not valid
    expected = {
        "coverage": 8 / 10,
        "accuracy": 6 / 10,
        "error": 2 / 10,
        "abstention": 2 / 10,
        "precision": 6 / 8,
        "score": 6 / 10 - 3 * 2 / 10,
        "invalid": 5 / 15,
    }
    for metric, value in expected.items():
        assert paired.metric_values(metric, 0.75, totals) == pytest.approx(value), metric  # type: ignore[arg-type]


def test_metric_values_undefined_is_nan() -> None:
    assert np.isnan(paired.metric_values("precision", 0.5, np.array([0, 0, 4, 0])))


def test_paired_bootstrap_draws_same_questions() -> None:
    counts = paired.PairedCounts(
        threshold=0.5,
        question_ids=("a", "b", "c"),
        baseline=np.array([[5, 0, 0, 0], [0, 5, 0, 0], [0, 0, 5, 0]]),
        candidate=np.array([[5, 0, 0, 0], [0, 5, 0, 0], [0, 0, 5, 0]]),
        keys=15,
    )
    result = paired.paired_bootstrap(counts, "error", draws=500, seed=3)
    assert result.difference == 0
    assert np.allclose(result.difference_draws, 0)
    assert result.baseline_draws.std() > 0


def test_mcnemar_p_value_is_exact_binomial() -> None:
    assert paired.mcnemar_p_value(10, 0) == pytest.approx(0.5**10)
    assert paired.mcnemar_p_value(0, 10) == pytest.approx(1.0)
    assert paired.mcnemar_p_value(0, 0) == 1.0
    assert paired.mcnemar_p_value(8, 2, two_sided=True) == pytest.approx(112 / 1024)


def test_example_gates_file_is_valid() -> None:
    example = Path(__file__).parent.parent / "configs" / "gates.example.yaml"
    gates = load_gates(example).gates
    assert [gate.metric for gate in gates] == ["error", "precision", "score", "error", "invalid"]


def test_gate_limit_on_a_share_above_one_rejected() -> None:
    from pydantic import ValidationError

    from probe.gates import Gate

    with pytest.raises(ValidationError, match=r"write 2 points as 0\.02"):
        Gate(metric="error", threshold=0.9, max_rise=2)

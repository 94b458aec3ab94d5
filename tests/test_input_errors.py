
import pytest

from probe.cli import build_parser, main
from probe.config import JudgeConfig, RunConfig
from probe.gates import GateFile
from probe.input_errors import field_names, line_of, suggest, yaml_lines

YAML = """\
endpoint:
  model: x
  max_concurrency: 4
gates:
  - metric: error
    threshold: 0.9
  - {metric: score, threshold: 0.5}
"""


def test_yaml_lines_of_keys_and_items() -> None:
    lines = yaml_lines(YAML)
    assert lines[("endpoint",)] == 1
    assert lines[("endpoint", "max_concurrency")] == 3
    assert lines[("gates", 0)] == 5
    assert lines[("gates", 0, "threshold")] == 6
    assert lines[("gates", 1, "metric")] == 7


def test_yaml_lines_of_invalid_yaml_empty() -> None:
    assert yaml_lines("endpoint: [unclosed\n") == {}


def test_line_of_falls_back_to_parent() -> None:
    lines = yaml_lines(YAML)
    assert line_of(("gates", 1, "max_rise"), lines) == 7
    assert line_of(("samples",), lines) is None


def test_field_names_walk_nested_models() -> None:
    assert "temperature" in field_names(RunConfig, ("endpoint",))
    assert "mode" in field_names(RunConfig, ("grading", "judge"))
    assert "metric" in field_names(GateFile, ("gates", 2))
    assert field_names(JudgeConfig, ("mode",)) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [("sampels", 'did you mean "samples"?'), ("modle", 'did you mean "model"?'), ("zzz", None)],
)
def test_suggest_closest_name(name: str, expected: str | None) -> None:
    assert suggest(name, ["samples", "model", "limit"]) == expected


def test_choice_typo_suggests_closest(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    serve = ["simulate", "serve", "--questions", "q.jsonl", "--policy"]
    assert parser.parse_args([*serve, "calibrated"]).policy == "calibrated"

    with pytest.raises(SystemExit):
        parser.parse_args([*serve, "calibratd"])
    assert 'did you mean "calibrated"' in capsys.readouterr().err

    with pytest.raises(SystemExit):
        parser.parse_args([*serve, "zzz"])
    assert "choose from calibrated, overconfident" in capsys.readouterr().err


def test_cli_choice_typo_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["simulate", "serve", "--questions", "q.jsonl", "--policy", "overconfidnet"])
    assert exited.value.code == 2
    assert 'did you mean "overconfident"?' in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["rnu"], 'invalid choice \'rnu\'; did you mean "run"?'),
        (["endpoint", "chek"], 'invalid choice \'chek\'; did you mean "check"?'),
        (["xyzzy"], "invalid choice 'xyzzy' (choose from run, endpoint,"),
    ],
)
def test_cli_command_typo_suggests(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert expected in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "usage", "expected"),
    [
        (
            ["run", "--question_set", "q.jsonl"],
            "usage: probe run ",
            "--question_set: did you mean --question-set?",
        ),
        (
            ["run", "--tempreature", "0.5"],
            "usage: probe run ",
            "--tempreature: did you mean --temperature?",
        ),
        (
            ["endpoint", "check", "--base_url=x"],
            "usage: probe endpoint check ",
            "--base_url: did you mean --base-url?",
        ),
    ],
)
def test_cli_flag_typo_suggests(
    argv: list[str], usage: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.startswith(usage)
    assert "unrecognized arguments" in err
    assert expected in err


def test_cli_flag_prefix_not_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "--sample", "3"])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert "unrecognized arguments: --sample 3" in err
    assert "--sample: did you mean --samples?" in err

from pathlib import Path

import pytest
import yaml

from probe.config import load_config, load_judge_config
from probe.errors import ConfigError


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "probe.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def config_error(path: Path | None, overrides: dict | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, overrides)
    return str(caught.value)


def test_defaults_without_file() -> None:
    config = load_config(None)
    assert config.thresholds == [0.0, 0.5, 0.75, 0.9]
    assert config.samples == 5
    assert config.endpoint.is_embedded


def test_flags_override_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, "samples: 3\nendpoint:\n  model: a\n  max_concurrency: 4\n")
    config = load_config(path, {"samples": "7", "endpoint.model": "b", "endpoint.timeout": None})
    assert config.samples == 7
    assert config.endpoint.model == "b"
    assert config.endpoint.max_concurrency == 4


def test_error_names_nested_field_and_value(tmp_path: Path) -> None:
    message = config_error(write_config(tmp_path, "endpoint:\n  max_concurrency: 0\n"))
    assert "probe.yaml:2: endpoint.max_concurrency: must be at least 1, found 0" in message


def test_unknown_field_rejected(tmp_path: Path) -> None:
    message = config_error(write_config(tmp_path, "endpoint:\n  modle: x\n"))
    assert "endpoint.modle: unknown field" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sampels: 3\n", 'probe.yaml:1: sampels: unknown field; did you mean "samples"?'),
        (
            "endpoint:\n  modle: x\n",
            'probe.yaml:2: endpoint.modle: unknown field; did you mean "model"?',
        ),
        (
            "grading:\n  judge:\n    endpoint: {model: j}\n    mdoe: all\n",
            'probe.yaml:4: grading.judge.mdoe: unknown field; did you mean "mode"?',
        ),
    ],
)
def test_misspelt_field_gets_suggestion(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in config_error(write_config(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("samples: lots\n", "probe.yaml:1: samples: expected a whole number, found 'lots'"),
        ("endpoint:\n  timeout: soon\n", "probe.yaml:2: endpoint.timeout: expected a number"),
        ("endpoint:\n  seeds: maybe\n", "endpoint.seeds: expected true or false, found 'maybe'"),
        ("samples: 500\n", "samples: must be at most 100, found 500"),
        ("thresholds: 0.5\n", "thresholds: expected a list, found 0.5"),
        ("endpoint: local\n", "endpoint: expected a mapping of fields, found 'local'"),
    ],
)
def test_invalid_value_in_probe_words(tmp_path: Path, text: str, expected: str) -> None:
    message = config_error(write_config(tmp_path, text))
    assert expected in message
    assert "Input should" not in message


def test_every_problem_reported_by_line(tmp_path: Path) -> None:
    text = "endpoint:\n  modle: x\n  max_concurrency: lots\nsampels: 3\n"
    lines = config_error(write_config(tmp_path, text)).splitlines()
    assert len(lines) == 4
    assert [line.split(": ")[0].rsplit(":", 1)[-1] for line in lines[1:]] == ["2", "3", "4"]


def test_flag_error_names_the_flag(tmp_path: Path) -> None:
    path = write_config(tmp_path, "samples: 3\n")
    message = config_error(path, {"samples": "abc", "endpoint.max_concurrency": "x"})
    assert "  --samples: expected a whole number, found 'abc'" in message
    assert "  --max-concurrency: expected a whole number, found 'x'" in message


def test_threshold_outside_range_rejected() -> None:
    message = config_error(None, {"thresholds": ["0", "1"]})
    assert "--thresholds: found 1, which is not below 1" in message
    assert "penalty" in message


def test_negative_threshold_explained_as_negative() -> None:
    message = config_error(None, {"thresholds": ["0", "-0.1"]})
    assert "--thresholds: found -0.1, which is below 0" in message
    assert "t = 1" not in message


def test_thresholds_must_include_best_guess() -> None:
    assert "lacks 0, the best-guess condition" in config_error(None, {"thresholds": ["0.5", "0.9"]})


def test_repeated_threshold_rejected() -> None:
    assert "repeats a threshold" in config_error(None, {"thresholds": ["0", "0.5", "0.5"]})


def test_invalid_yaml_named(tmp_path: Path) -> None:
    assert "invalid YAML" in config_error(write_config(tmp_path, "endpoint: [unclosed\n"))


def test_key_pasted_as_variable_name_is_not_echoed() -> None:
    key = "sk-proj-abcdef0123456789"
    message = config_error(None, {"endpoint.api_key_env": key})
    assert "--api-key-env" in message
    assert key not in message


def test_key_pasted_in_file_is_not_echoed(tmp_path: Path) -> None:
    key = "sk-proj-abcdef0123456789"
    message = config_error(write_config(tmp_path, f"endpoint:\n  api_key_env: {key}\n"))
    assert "probe.yaml:2: endpoint.api_key_env" in message
    assert key not in message


def test_missing_key_variable_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROBE_TEST_ABSENT_KEY", raising=False)
    config = load_config(None, {"endpoint.api_key_env": "PROBE_TEST_ABSENT_KEY"})
    with pytest.raises(ConfigError, match="PROBE_TEST_ABSENT_KEY, which is not set"):
        config.endpoint.api_key()


def test_empty_key_variable_named_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROBE_TEST_EMPTY_KEY", "")
    config = load_config(None, {"endpoint.api_key_env": "PROBE_TEST_EMPTY_KEY"})
    with pytest.raises(ConfigError, match="PROBE_TEST_EMPTY_KEY, which is set but empty"):
        config.endpoint.api_key()


def test_judge_file_errors_name_lines(tmp_path: Path) -> None:
    path = write_config(tmp_path, "endpoint: {base_url: http://x/v1, model: j}\nmode: al\n")
    with pytest.raises(ConfigError) as caught:
        load_judge_config(path)
    assert 'probe.yaml:2: mode: must be one of: ungraded-only, all' in str(caught.value)
    assert 'did you mean "all"?' in str(caught.value)


@pytest.mark.parametrize("name", ["embedded", "openai", "ollama", "vllm"])
def test_shipped_configs_load(name: str) -> None:
    load_config(Path(__file__).parent.parent / "configs" / f"{name}.yaml")


def test_embedded_model_gets_its_own_defaults() -> None:
    config = load_config(None)
    assert config.endpoint.max_tokens == 64
    assert config.endpoint.max_concurrency == 2


def test_embedded_defaults_yield_to_flags() -> None:
    config = load_config(None, {"endpoint.max_tokens": "128"})
    assert config.endpoint.max_tokens == 128


def test_remote_endpoint_keeps_general_defaults() -> None:
    config = load_config(None, {"endpoint.base_url": "http://127.0.0.1:8000/v1"})
    assert config.endpoint.max_tokens == 256
    assert config.endpoint.max_concurrency == 8


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("127.0.0.1:43061/v1", "has no scheme; write http://127.0.0.1:43061/v1"),
        ("localhost:8000/v1", "has no scheme; write http://localhost:8000/v1"),
        ("ftp://example.org/v1", "whose scheme 'ftp' is not http or https"),
        ("http:///v1", "has no host"),
        ("http://127.0.0.1:99999/v1", "whose port is not a number"),
    ],
)
def test_invalid_base_url_rejected(url: str, expected: str) -> None:
    message = config_error(None, {"endpoint.base_url": url, "endpoint.model": "m"})
    assert f"--base-url: found '{url}'" in message
    assert expected in message


def test_base_url_without_scheme_names_line(tmp_path: Path) -> None:
    path = write_config(tmp_path, "endpoint:\n  model: m\n  base_url: 127.0.0.1:43061/v1\n")
    message = config_error(path)
    assert (
        "probe.yaml:3: endpoint.base_url: found '127.0.0.1:43061/v1', which has no scheme; "
        "write http://127.0.0.1:43061/v1"
    ) in message


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/v1", "HTTPS://api.openai.com/v1"])
def test_valid_base_url_accepted(url: str) -> None:
    config = load_config(None, {"endpoint.base_url": url, "endpoint.model": "m"})
    assert config.endpoint.base_url == url


def test_judge_example_loads_and_matches_docs() -> None:
    root = Path(__file__).parent.parent
    example = root / "configs" / "judge.example.yaml"
    judge = load_judge_config(example)
    assert judge.endpoint.base_url == "http://127.0.0.1:8000/v1"
    assert judge.endpoint.api_key_env == "JUDGE_API_KEY"
    assert judge.endpoint.temperature == 0

    # docs/grading.md shows the same YAML, so the two must not drift apart.
    docs = (root / "docs" / "grading.md").read_text(encoding="utf-8")
    blocks = [block.split("```", 1)[0] for block in docs.split("```yaml\n")[1:]]
    shown = [yaml.safe_load(block) for block in blocks if "judge:" in block]
    assert shown == [yaml.safe_load(example.read_text(encoding="utf-8"))]

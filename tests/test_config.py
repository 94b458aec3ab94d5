from pathlib import Path

import pytest

from probe.config import load_config
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
    assert "probe.yaml" in message
    assert "endpoint.max_concurrency" in message
    assert "(found 0)" in message


def test_unknown_field_rejected(tmp_path: Path) -> None:
    message = config_error(write_config(tmp_path, "endpoint:\n  modle: x\n"))
    assert "endpoint.modle: unknown field" in message


def test_threshold_outside_range_rejected() -> None:
    message = config_error(None, {"thresholds": ["0", "1"]})
    assert "thresholds" in message
    assert "below 1" in message


def test_thresholds_must_include_best_guess() -> None:
    assert "must include 0" in config_error(None, {"thresholds": ["0.5", "0.9"]})


def test_invalid_yaml_named(tmp_path: Path) -> None:
    assert "invalid YAML" in config_error(write_config(tmp_path, "endpoint: [unclosed\n"))


def test_key_pasted_as_variable_name_is_not_echoed() -> None:
    key = "sk-proj-abcdef0123456789"
    message = config_error(None, {"endpoint.api_key_env": key})
    assert "endpoint.api_key_env" in message
    assert key not in message


def test_missing_key_variable_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROBE_TEST_ABSENT_KEY", raising=False)
    config = load_config(None, {"endpoint.api_key_env": "PROBE_TEST_ABSENT_KEY"})
    with pytest.raises(ConfigError, match="PROBE_TEST_ABSENT_KEY, which is not set"):
        config.endpoint.api_key()


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

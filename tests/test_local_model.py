"""The embedded SmolLM2 model, started and stopped by probe itself."""

import json
import logging
import socket
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from probe import local_model
from probe.cli import StatusFormatter, main
from probe.errors import LocalModelError
from probe.samples import SampleRecord


def port_is_open(port: int) -> bool:
    with socket.socket() as connection:
        return connection.connect_ex(("127.0.0.1", port)) == 0


def test_embedded_run_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "run",
            "--config",
            "configs/embedded.yaml",
            "--limit",
            "2",
            "--samples",
            "2",
            "--thresholds",
            "0,0.9",
            "--results-dir",
            str(tmp_path),
            "--run-id",
            "local",
            "--no-progress",
        ]
    )
    assert code == 0
    run_dir = tmp_path / "local"
    records = [
        SampleRecord.model_validate_json(line)
        for line in (run_dir / "samples.jsonl").read_text().splitlines()
    ]
    assert len(records) == 2 * 2 * 2
    assert all(record.outcome.value != "error" for record in records)
    info = json.loads((run_dir / "run.json").read_text())
    assert info["endpoint"]["embedded"] is True
    assert info["status"] == "complete"
    assert not port_is_open(urlparse(info["endpoint"]["base_url"]).port or 0)
    assert "Report:" in capsys.readouterr().out


def test_server_stopped_after_error_in_block(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), local_model.serve_local_model(tmp_path / "log.txt") as server:
        port = urlparse(server.base_url).port or 0
        assert port_is_open(port)
        raise RuntimeError("a failure inside the run")
    assert not port_is_open(port)


def test_missing_extra_gives_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = local_model.importlib.util.find_spec

    def without_llama_cpp(name: str, *args: object) -> object:
        return None if name == "llama_cpp" else real_find_spec(name)

    monkeypatch.setattr(local_model.importlib.util, "find_spec", without_llama_cpp)
    with pytest.raises(LocalModelError, match=r'pip install -e "\.\[local\]"'):
        local_model.gguf_path()


def test_start_and_stop_are_announced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A sleeping process replaces the model server, so the lines are checked quickly.
    monkeypatch.setattr(local_model, "gguf_path", lambda: tmp_path / "model.gguf")
    monkeypatch.setattr(
        local_model,
        "_server_command",
        lambda model_file, port, threads: [sys.executable, "-c", "import time; time.sleep(30)"],
    )
    monkeypatch.setattr(local_model, "_wait_until_ready", lambda process, url, log: None)
    caplog.set_level(logging.INFO, logger="probe.local_model")

    with local_model.serve_local_model(tmp_path / "local-model.log") as server:
        port = urlparse(server.base_url).port
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0].startswith(
        f"Starting the embedded model SmolLM2-135M-Instruct on 127.0.0.1:{port} "
    )
    assert messages[-1] == "Stopped the embedded model."


def test_status_lines_shown_without_prefix() -> None:
    formatter = StatusFormatter("%(levelname)s %(name)s: %(message)s")
    status = logging.LogRecord("probe.local_model", logging.INFO, "", 0, "Starting", (), None)
    other = logging.LogRecord("probe.run", logging.WARNING, "", 0, "careful", (), None)
    assert formatter.format(status) == "Starting"
    assert formatter.format(other) == "WARNING probe.run: careful"

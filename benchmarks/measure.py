"""Process measurements: wall time, CPU seconds and peak RSS of one command, and the server.

CPU and peak RSS come from os.wait4, so they cover the whole process and every child it
waited for, start-up and imports included.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
SERVER_SCRIPT = BENCHMARKS / "canned_server.py"


@dataclass(frozen=True)
class Measured:
    """One finished process."""

    command: tuple[str, ...]
    returncode: int
    wall_s: float
    cpu_s: float  # user + system
    max_rss_mib: float
    output: str  # stdout and stderr together

    def check(self, *allowed: int) -> "Measured":
        """Raise with the command's output unless it exited with one of `allowed` (default 0)."""
        if self.returncode not in (allowed or (0,)):
            raise RuntimeError(
                f"{' '.join(self.command)} exited with {self.returncode}:\n{self.output[-4000:]}"
            )
        return self


def run_measured(
    command: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Measured:
    """Run a command to its end and return its wall time, CPU seconds and peak RSS."""
    with open(os.devnull, "rb") as stdin, tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            stdin=stdin,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode("utf-8", errors="replace")

    return Measured(
        command=tuple(command),
        returncode=process.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        # Linux reports ru_maxrss in KiB.
        max_rss_mib=usage.ru_maxrss / 1024,
        output=text,
    )


class CannedServer:
    """canned_server.py in its own process on 127.0.0.1; use as a context manager."""

    def __init__(self, latency_s: float) -> None:
        self.latency_s = latency_s
        self.port: int | None = None
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> "CannedServer":
        self._process = subprocess.Popen(
            [sys.executable, str(SERVER_SCRIPT), "--latency", str(self.latency_s), "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.strip().isdigit():
            self._process.kill()
            raise RuntimeError(f"{SERVER_SCRIPT} did not print its port (got {line!r})")
        self.port = int(line)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stats(self) -> dict[str, Any]:
        """Fetch the server's counters: requests, check_requests, choices, active_s, cpu_s."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=10) as reply:
            data: dict[str, Any] = json.loads(reply.read())
        return data

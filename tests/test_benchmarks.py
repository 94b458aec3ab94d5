"""Smoke test of benchmarks/bench.py: its quick mode still runs end to end.

It checks that the script works, not how fast anything is: the quick mode's sizes are too
small for its figures to mean anything, and CI machines are shared.
"""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"


def test_bench_quick_mode_runs(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    completed = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--json", str(output), "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    results = json.loads(output.read_text())
    assert list(results["sections"]) == ["throughput", "cpu", "report"]
    throughput = results["sections"]["throughput"]["rows"][0]
    assert throughput["probe_per_s"][0] > 0
    assert results["sections"]["report"]["records"] == 2000
    assert "### report" in completed.stdout

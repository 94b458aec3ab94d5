"""Smoke test of benchmarks/adaptive.py: its quick mode runs end to end and stays paired.

It checks that the script works and that its two runs of each pair differ only where
adaptive sampling can move a figure. The quick mode's 30 questions are too few for its
figures to mean anything.
"""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "adaptive.py"


def test_adaptive_benchmark_quick_mode(tmp_path: Path) -> None:
    output = tmp_path / "adaptive.json"
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", str(output), "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    pairs = json.loads(output.read_text())["pairs"]
    assert [pair["case"]["policy"] for pair in pairs] == ["calibrated", "overconfident"]
    for pair in pairs:
        assert pair["adaptive"]["samples"] < pair["full"]["samples"]
        assert pair["question_changes"]["class_changes"] == 0
        assert pair["figures"]["precision, t = 0.5"]["difference"] == 0
        assert pair["figures"]["regret, t = 0.25"]["difference"] == 0
    assert "| thresholds | k | policy |" in completed.stdout

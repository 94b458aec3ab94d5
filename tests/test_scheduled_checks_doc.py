"""The example script and workflow in docs/scheduled-checks.md parse as bash and YAML."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

DOC = Path(__file__).parent.parent / "docs" / "scheduled-checks.md"


def code_blocks(language: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return [block.split("```", 1)[0] for block in text.split(f"```{language}\n")[1:]]


def test_nightly_script_is_valid_bash() -> None:
    scripts = [block for block in code_blocks("bash") if block.startswith("#!/usr/bin/env bash")]
    assert len(scripts) == 1
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    checked = subprocess.run([bash, "-n"], input=scripts[0], text=True, capture_output=True)
    assert checked.returncode == 0, checked.stderr


def test_workflow_is_valid_yaml() -> None:
    workflows = [block for block in code_blocks("yaml") if block.startswith("name: nightly")]
    assert len(workflows) == 1
    workflow = yaml.safe_load(workflows[0])
    steps = workflow["jobs"]["probe"]["steps"]
    assert any("probe check baselines/openai" in step.get("run", "") for step in steps)


def test_doc_does_not_claim_shipped_files() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "saved in your checkout" not in text
    assert "probe ships no nightly script" in text

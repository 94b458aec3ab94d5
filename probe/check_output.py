"""The outputs of `probe check`: a plain-text summary, a JSON result and a JUnit XML file.

CI systems read JUnit XML: each gate is one test case, failed gates are failures and gates
that could not be tested are skipped.
"""

import json
import os
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

from probe.check import CheckResult, GateResult, RunReference

STATUS_WORDS = {"pass": "PASS", "fail": "FAIL", "untested": "SKIP"}


def text_summary(result: CheckResult) -> str:
    """Describe the check in lines for a terminal or a CI log."""
    settings = result.settings
    correction = (
        f"Holm-corrected over {len(result.gates)} gates"
        if settings.correction == "holm"
        else "each gate at that level"
    )
    lines = [
        f"probe check: candidate {_run(result.candidate)}",
        f"  against baseline {_run(result.baseline)}",
        f"Significance {settings.significance:g}, {correction}; bootstrap "
        f"{settings.bootstrap_draws} draws, seed {settings.seed}.",
        *(f"Warning: {warning}" for warning in result.warnings),
        "",
    ]
    for gate in result.gates:
        lines += [f"{STATUS_WORDS[gate.status]}  {gate.gate.describe()}", f"      {_detail(gate)}"]

    failed = len(result.failed)
    verdict = "passed" if result.passed else f"failed: {failed} of {len(result.gates)} gates"
    return "\n".join([*lines, "", f"Result: {verdict}."])


def result_json(result: CheckResult) -> dict[str, Any]:
    """Return the check as JSON-ready data; docs/scheduled-checks.md describes the fields."""
    return {
        "passed": result.passed,
        "baseline": vars(result.baseline),
        "candidate": vars(result.candidate),
        "settings": result.settings.model_dump(mode="json", exclude={"gates"}),
        "warnings": list(result.warnings),
        "gates": [_gate_json(gate) for gate in result.gates],
    }


def write_json(result: CheckResult, path: Path) -> None:
    _write(path, json.dumps(result_json(result), indent=2, ensure_ascii=False) + "\n")


def write_junit(result: CheckResult, path: Path) -> None:
    """Write the check as a JUnit XML test suite with one test case per gate."""
    counts = {
        "tests": str(len(result.gates)),
        "failures": str(len(result.failed)),
        "errors": "0",
        "skipped": str(sum(gate.status == "untested" for gate in result.gates)),
    }
    suites = ElementTree.Element("testsuites", {"name": "probe check", **counts})
    suite = ElementTree.SubElement(
        suites, "testsuite", {"name": f"probe check {result.candidate.run_id}", **counts}
    )
    properties = ElementTree.SubElement(suite, "properties")
    for role, run in (("baseline", result.baseline), ("candidate", result.candidate)):
        ElementTree.SubElement(properties, "property", name=role, value=run.path)

    for gate in result.gates:
        suite.append(_test_case(gate))
    ElementTree.SubElement(suite, "system-out").text = text_summary(result)

    ElementTree.indent(suites)
    _write(path, ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n")


def _test_case(gate: GateResult) -> ElementTree.Element:
    case = ElementTree.Element(
        "testcase",
        classname=f"probe.check.{gate.gate.metric}",
        name=gate.gate.describe(),
        time="0",
    )
    if gate.status == "fail":
        failure = ElementTree.SubElement(case, "failure", message=_detail(gate), type="GateFailed")
        failure.text = f"{gate.gate.describe()}\n{_detail(gate)}"
    elif gate.status == "untested":
        ElementTree.SubElement(case, "skipped", message=gate.reason)
    else:
        ElementTree.SubElement(case, "system-out").text = _detail(gate)
    return case


def _detail(gate: GateResult) -> str:
    rule = gate.gate
    if gate.status == "untested":
        return f"{gate.reason} [{gate.test}]"
    figures = f"{_value(gate, gate.baseline)} → {_value(gate, gate.candidate)}"
    if rule.is_relative and gate.change is not None:
        figures += f" ({rule.format_change(gate.change)}"
        figures += f", 95% CI {_interval(gate, gate.interval)})" if gate.interval else ")"
    elif gate.interval:
        low, high = gate.interval
        figures += f" (95% CI {_value(gate, low)} to {_value(gate, high)})"
    return f"{figures}; {gate.reason} [{gate.test}]"


def _value(gate: GateResult, value: float | None) -> str:
    return "—" if value is None else gate.gate.format_value(value)


def _interval(gate: GateResult, interval: tuple[float, float]) -> str:
    low, high = interval
    return f"{gate.gate.format_change(low, unit=False)} to {gate.gate.format_change(high)}"


def _run(run: RunReference) -> str:
    return (
        f"{run.run_id} ({run.model}, started {run.started_at or 'at an unknown time'}, "
        f"question set {run.question_set} {run.question_set_sha256[:12]}…)"
    )


def _gate_json(gate: GateResult) -> dict[str, Any]:
    return {
        "gate": gate.gate.model_dump(mode="json", exclude_none=True),
        "description": gate.gate.describe(),
        "status": gate.status,
        "baseline": gate.baseline,
        "candidate": gate.candidate,
        "change": gate.change,
        "interval": list(gate.interval) if gate.interval else None,
        "p_value": gate.p_value,
        "level": gate.level,
        "test": gate.test,
        "reason": gate.reason,
    }


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)

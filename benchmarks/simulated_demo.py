"""Run `probe run` over HTTP against each simulated policy and print its verdicts.

    .venv/bin/python benchmarks/simulated_demo.py [RESULTS_DIR]

Each policy is served on 127.0.0.1 by probe.simulated_server for the same 100 simulated
questions (seed 0), and probed with the defaults (t = 0, 0.5, 0.75, 0.9 and k = 5) plus
logprobs and the verbalised-confidence condition. The run folders are written under
RESULTS_DIR (a temporary folder by default) and kept.
"""

import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from probe.cli import main as probe_main
from probe.simulated import POLICIES, simulated_questions, true_rates
from probe.simulated_server import ServerThread, SimulatedModel

QUESTIONS = 100


def run_policy(policy: str, question_file: Path, results: Path) -> dict[str, Any]:
    questions = simulated_questions(QUESTIONS, seed=0)
    server_thread = ServerThread(SimulatedModel(questions, policy, seed=1))  # type: ignore[arg-type]
    # probe run prints its console summary; this script prints its own tables instead.
    with server_thread as server, contextlib.redirect_stdout(io.StringIO()):
        code = probe_main(
            [
                "run",
                "--base-url",
                server.base_url,
                "--model",
                f"simulated-{policy}",
                "--question-set",
                str(question_file),
                "--results-dir",
                str(results),
                "--run-id",
                policy,
                "--logprobs",
                "--verbalised-confidence",
                "--no-progress",
            ]
        )
    if code != 0:
        raise SystemExit(f"probe run against {policy} exited with {code}")
    summary: dict[str, Any] = json.loads((results / policy / "summary.json").read_text())
    return summary


def percent(figure: dict[str, Any]) -> str:
    return "—" if figure["value"] is None else f"{figure['value']:.0%}"


def interval(figure: dict[str, Any]) -> str:
    if figure["low"] is None:
        return "—"
    return f"{figure['low']:.0%}–{figure['high']:.0%}"


def verdict(item: dict[str, Any]) -> str:
    if item["threshold"] == 0:
        return "best guess"
    if item["precision"]["value"] is None:
        return "no answers"
    if item["violation"]:
        return "**violation**"
    if item["precision"]["low"] >= item["threshold"]:
        return "meets target"
    return "consistent"


def main() -> None:
    results = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="demo-"))
    results.mkdir(parents=True, exist_ok=True)
    questions = simulated_questions(QUESTIONS, seed=0)
    question_file = results / "simulated.jsonl"
    question_file.write_text(
        "".join(q.to_question().model_dump_json() + "\n" for q in questions), encoding="utf-8"
    )
    known = [q.known for q in questions]

    print(f"Results in {results}\n")
    print(
        "| policy | t | coverage | precision (95% CI) | true precision | verdict "
        "| regret [95% CI] |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    responses = []
    for policy in POLICIES:
        summary = run_policy(policy, question_file, results)
        for item in summary["thresholds"]:
            truth = true_rates(policy, known, item["threshold"]).precision  # type: ignore[arg-type]
            regret = item["regret"]
            print(
                f"| {policy} | {item['threshold']:g} | {percent(item['coverage'])} "
                f"| {percent(item['precision'])} ({interval(item['precision'])}) "
                f"| {'—' if truth is None else f'{truth:.0%}'} | {verdict(item)} "
                f"| {regret['value']:+.2f} [{regret['low']:+.2f}, {regret['high']:+.2f}] |"
            )
        responses.append((policy, summary))

    print("\n| policy | coverage drop t = 0 → 0.9 [95% CI] | responsive | c_q AUROC | c_q ECE |")
    print("| --- | --- | --- | --- | --- |")
    for policy, summary in responses:
        response = summary["threshold_response"]
        drop = response["coverage_drop"]
        quality = summary["confidence_quality"]["consistency"]
        print(
            f"| {policy} | {drop['value']:+.2f} [{drop['low']:+.2f}, {drop['high']:+.2f}] "
            f"| {'yes' if response['responsive'] else 'no'} | {quality['auroc']['value']:.2f} "
            f"| {quality['ece']['value']:.2f} |"
        )

    print("\n| policy | estimator | n | ECE | Brier | AUROC | AURC | coverage at 0.9 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for policy, summary in responses:
        for name, quality in summary["confidence_quality"].items():
            at_90 = next(c for c in quality["coverage_at_precision"] if c["target"] == 0.9)
            print(
                f"| {policy} | {name} | {quality['questions']} | {quality['ece']['value']:.3f} "
                f"| {quality['brier']['value']:.3f} | {quality['auroc']['value']:.3f} "
                f"| {quality['aurc']['value']:.3f} | {percent(at_90['coverage'])} |"
            )


if __name__ == "__main__":
    main()

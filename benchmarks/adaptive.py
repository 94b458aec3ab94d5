"""Adaptive sampling against full sampling, on every simulated policy.

It covers each policy of probe.simulated, several seeds, threshold sets and numbers of
samples k. For each case it runs `probe run` (`python -m probe.cli run`, in a subprocess)
twice, each time against a fresh simulated server on 127.0.0.1 with the same seed: once
with full sampling and once with `--adaptive-sampling`. The server draws the j-th sample
of a question and threshold from a generator seeded with the server seed, the question,
the threshold and j. So the adaptive run's best-guess samples are the first ones of the
full run's, and its other samples are the same. Every difference between the two runs
therefore comes from the samples that adaptive sampling did not send.
benchmarks/README.md describes the output.

    .venv/bin/python benchmarks/adaptive.py                   # the full grid, ~7 min on 2 cores
    .venv/bin/python benchmarks/adaptive.py --quick           # a smoke run of a few seconds
    .venv/bin/python benchmarks/adaptive.py --json adaptive.json --workdir /tmp/adaptive
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import machine

from probe.simulated import POLICIES, Policy, simulated_questions
from probe.simulated_server import ServerThread, SimulatedModel

REPO = Path(__file__).resolve().parent.parent
DEFAULT_THRESHOLDS = "0,0.5,0.75,0.9"
MODES = ("full", "adaptive")

# The figures of summary.json compared at each threshold.
THRESHOLD_FIGURES = (
    "coverage",
    "accuracy",
    "error",
    "abstention",
    "precision",
    "score",
    "over_answer",
    "over_abstain",
    "oracle_score",
    "regret",
    "unanswerable_answer_rate",
)
# The confidence-quality figures of c_q compared, from summary.json's confidence_quality,
# with their names in the tables.
QUALITY_FIGURES = {"ece": "ECE", "brier": "Brier score", "auroc": "AUROC", "aurc": "AURC"}


@dataclass(frozen=True)
class Settings:
    questions: int
    seeds: tuple[int, ...]
    policies: tuple[Policy, ...]
    threshold_sets: tuple[str, ...]
    sample_counts: tuple[int, ...]
    batch_samples: bool  # False sends one sample per request (--no-batch-samples)
    quick: bool


def quick_settings(batch_samples: bool) -> Settings:
    return Settings(
        questions=30,
        seeds=(1,),
        policies=("calibrated", "overconfident"),
        threshold_sets=("0,0.25,0.5",),
        sample_counts=(5,),
        batch_samples=batch_samples,
        quick=True,
    )


def full_settings(batch_samples: bool, questions: int, seeds: int) -> Settings:
    return Settings(
        questions=questions,
        seeds=tuple(range(1, seeds + 1)),
        policies=POLICIES,
        threshold_sets=(DEFAULT_THRESHOLDS, "0,0.25,0.5"),
        sample_counts=(5, 10),
        batch_samples=batch_samples,
        quick=False,
    )


# Running one pair


@dataclass(frozen=True)
class Case:
    """One paired comparison: a policy, a threshold set, k and a seed."""

    policy: Policy
    thresholds: str
    samples: int
    seed: int

    @property
    def threshold_values(self) -> list[float]:
        return [float(value) for value in self.thresholds.split(",")]

    @property
    def name(self) -> str:
        return f"{self.policy}-t{self.thresholds.replace(',', '_')}-k{self.samples}-s{self.seed}"


def cases(settings: Settings) -> Iterator[Case]:
    for thresholds in settings.threshold_sets:
        for samples in settings.sample_counts:
            for policy in settings.policies:
                for seed in settings.seeds:
                    yield Case(policy, thresholds, samples, seed)


def run_case(case: Case, settings: Settings, workdir: Path) -> dict[str, Any]:
    """Run full and adaptive sampling for one case and return both runs' figures."""
    questions = simulated_questions(settings.questions, seed=case.seed)
    question_file = workdir / f"questions-{settings.questions}-s{case.seed}.jsonl"
    if not question_file.exists():
        lines = [q.to_question().model_dump_json(exclude={"options"}) + "\n" for q in questions]
        question_file.write_text("".join(lines), encoding="utf-8")

    result: dict[str, Any] = {"case": asdict(case)}
    for mode in MODES:
        run_dir = workdir / "results" / f"{case.name}-{mode}"
        model = SimulatedModel(questions, case.policy, seed=case.seed)
        with ServerThread(model) as server:
            command = probe_command(case, server.base_url, question_file, run_dir, settings, mode)
            completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
            server_requests = server.server.requests
        if completed.returncode != 0:
            raise RuntimeError(
                f"probe run for {case.name} ({mode}) exited with {completed.returncode}:\n"
                f"{completed.stdout}\n{completed.stderr}"
            )
        result[mode] = read_run(run_dir, server_requests)
        shutil.rmtree(run_dir)
        if result[mode]["failed"]:
            # A failed sample leaves the two runs with different samples to compare.
            raise RuntimeError(f"{result[mode]['failed']} sample(s) failed in {case.name} ({mode})")
    return result


def probe_command(
    case: Case, base_url: str, questions: Path, run_dir: Path, settings: Settings, mode: str
) -> list[str]:
    command = [
        sys.executable, "-m", "probe.cli", "run",
        "--base-url", base_url,
        "--model", f"simulated-{case.policy}",
        "--question-set", str(questions),
        "--thresholds", case.thresholds,
        "--samples", str(case.samples),
        "--results-dir", str(run_dir.parent),
        "--run-id", run_dir.name,
        "--no-progress",
    ]  # fmt: skip
    if not settings.batch_samples:
        command.append("--no-batch-samples")
    if mode == "adaptive":
        command.append("--adaptive-sampling")
    return command


def read_run(run_dir: Path, server_requests: int) -> dict[str, Any]:
    """Read what one run sent and every figure compared from its run folder."""
    invocation = json.loads((run_dir / "run.json").read_text())["last_invocation"]
    summary = json.loads((run_dir / "summary.json").read_text())
    usage = summary["usage"]
    return {
        "requests": invocation["requests_sent"],
        # The server also counts the endpoint check's requests.
        "server_requests": server_requests,
        "samples": invocation["samples_written"],
        "skipped": invocation["samples_skipped_adaptive"],
        "failed": invocation["samples_failed"],
        "tokens": (usage["prompt_tokens"] or 0) + (usage["completion_tokens"] or 0),
        "figures": summary_figures(summary),
        "verdicts": summary_verdicts(summary),
        "questions": question_classes(summary),
        "best_guess_estimates": best_guess_estimates(run_dir / "samples.jsonl"),
    }


def summary_figures(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return each compared figure of summary.json, keyed by a readable name."""
    figures: dict[str, dict[str, Any]] = {}
    for item in summary["thresholds"]:
        label = f"t = {item['threshold']:g}"
        for name in THRESHOLD_FIGURES:
            figures[f"{name}, {label}"] = item[name]
    response = summary["threshold_response"]
    figures["coverage drop"] = response["coverage_drop"]
    figures["error drop"] = response["error_drop"]
    figures["mean c_q"] = summary["mean_confidence"]

    quality = summary["confidence_quality"].get("consistency")
    if quality is not None:
        for name, label in QUALITY_FIGURES.items():
            figures[f"c_q {label}"] = quality[name]
        for entry in quality["coverage_at_precision"]:
            figures[f"c_q coverage at precision {entry['target']:g}"] = entry["coverage"]
    return figures


def summary_verdicts(summary: dict[str, Any]) -> dict[str, bool]:
    verdicts = {
        f"violation, t = {item['threshold']:g}": item["violation"] for item in summary["thresholds"]
    }
    verdicts["coverage falls"] = summary["responsiveness"]["coverage_falls"]
    verdicts["error falls"] = summary["responsiveness"]["error_falls"]
    verdicts["responsive"] = summary["threshold_response"]["responsive"]
    return verdicts


def question_classes(summary: dict[str, Any]) -> dict[str, list[Any]]:
    """Return c_q, the modal answer, y_q and the valid samples of each question."""
    return {
        item["id"]: [item["confidence"], item["modal_answer"], item["modal_correct"], item["valid"]]
        for item in summary["per_question"]
    }


def best_guess_estimates(samples_jsonl: Path) -> dict[str, dict[str, float | None]]:
    """Return accuracy and precision at t = 0 by two estimators that summary.json does not use.

    In an adaptive run, summary.json pools the samples of the first round alone, which
    every question gets. "every sample pooled" pools all the samples drawn, so a question
    stopped early weighs less. "questions weighted equally" gives each question's valid
    samples the weight 1 / valid.
    """
    weighted = dict.fromkeys(("correct", "incorrect", "abstained"), 0.0)
    pooled: Counter[str] = Counter()
    per_question: dict[str, Counter[str]] = {}
    with samples_jsonl.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["threshold"] != 0:
                continue
            per_question.setdefault(record["question_id"], Counter())[record["outcome"]] += 1
            pooled[record["outcome"]] += 1

    for outcomes in per_question.values():
        valid = outcomes["correct"] + outcomes["incorrect"] + outcomes["abstained"]
        for outcome in ("correct", "incorrect", "abstained"):
            weighted[outcome] += outcomes[outcome] / valid if valid else 0.0
    return {
        "every sample pooled": _rates(pooled),
        "questions weighted equally": _rates(weighted),
    }


def _rates(counts: Mapping[str, float]) -> dict[str, float | None]:
    valid = counts["correct"] + counts["incorrect"] + counts["abstained"]
    answered = counts["correct"] + counts["incorrect"]
    return {
        "accuracy": counts["correct"] / valid if valid else None,
        "precision": counts["correct"] / answered if answered else None,
    }


# Comparing and rendering


def compare_figures(full: dict[str, Any], adaptive: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return adaptive − full for every figure, and whether adaptive lies in full's interval."""
    compared = {}
    for name, figure in full["figures"].items():
        other = adaptive["figures"].get(name)
        if other is None or figure["value"] is None or other["value"] is None:
            continue
        within = None
        if figure.get("low") is not None and figure.get("high") is not None:
            within = figure["low"] - 1e-12 <= other["value"] <= figure["high"] + 1e-12
        compared[name] = {"difference": other["value"] - figure["value"], "within": within}

    # The other estimators of the adaptive run against the full run's pooled figure.
    for estimator, estimates in adaptive["best_guess_estimates"].items():
        for name, value in estimates.items():
            reference = full["figures"][f"{name}, t = 0"]
            if value is None or reference["value"] is None:
                continue
            within = reference["low"] - 1e-12 <= value <= reference["high"] + 1e-12
            label = f"{name}, t = 0, {estimator}"
            compared[label] = {"difference": value - reference["value"], "within": within}
    return compared


def compare_questions(
    full: dict[str, Any], adaptive: dict[str, Any], levels: Sequence[float]
) -> dict[str, Any]:
    """Count the questions stopped early, class changes, and how far c_q moved."""
    stopped = changed = 0
    moves = []
    for question, (confidence, modal, correct, valid) in full["questions"].items():
        other_confidence, other_modal, other_correct, other_valid = adaptive["questions"][question]
        stopped += other_valid < valid
        moves.append(abs(other_confidence - confidence))
        same_levels = all((confidence >= t) == (other_confidence >= t) for t in levels)
        same = same_levels and (confidence > 0) == (other_confidence > 0)
        changed += not (same and modal == other_modal and correct == other_correct)
    return {
        "stopped_early": stopped / len(full["questions"]),
        "class_changes": changed,
        "mean_confidence_move": statistics.fmean(moves),
        "max_confidence_move": max(moves),
    }


def render(results: dict[str, Any]) -> str:
    machine_line = results["machine"]
    settings = results["settings"]
    lines = [
        f"Machine: {machine_line['cpus']} CPUs ({machine_line['cpu_model']}), "
        f"{machine_line['memory_gib']} GiB; Python {machine_line['python']}; "
        f"probe {machine_line['packages']['probe']}; {machine_line['date']}.",
        f"{settings['questions']} questions, seeds {', '.join(map(str, settings['seeds']))}, "
        f"{_request_shape(settings)}{' (quick mode)' if settings['quick'] else ''}; "
        "medians over seeds. "
        f"Load average {_load(results['load_average_before'])} before, "
        f"{_load(results['load_average_after'])} after; {results['elapsed_s']:.0f} s in all.",
        "",
        *render_savings(results["pairs"]),
        "",
        *render_questions(results["pairs"]),
    ]
    for thresholds in settings["threshold_sets"]:
        for samples in settings["sample_counts"]:
            pairs = [
                pair
                for pair in results["pairs"]
                if pair["case"]["thresholds"] == thresholds and pair["case"]["samples"] == samples
            ]
            lines += ["", *render_movement(pairs, thresholds, samples, settings["policies"])]
    return "\n".join(lines)


def _request_shape(settings: dict[str, Any]) -> str:
    if settings["batch_samples"]:
        return "the k samples of a question and threshold in one request where n allows"
    return "one sample per request"


def _load(load: Sequence[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in load)


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _groups(pairs: Sequence[dict[str, Any]]) -> dict[tuple[str, int, str], list[dict[str, Any]]]:
    groups: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for pair in pairs:
        case = pair["case"]
        groups.setdefault((case["thresholds"], case["samples"], case["policy"]), []).append(pair)
    return groups


def render_savings(pairs: Sequence[dict[str, Any]]) -> list[str]:
    lines = [
        "| thresholds | k | policy | requests full | requests adaptive | change "
        "| samples full | samples adaptive | change | best-guess samples saved | tokens change |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (thresholds, samples, policy), group in _groups(pairs).items():
        requests = [_pair_values(group, "requests", mode) for mode in MODES]
        sent = [_pair_values(group, "samples", mode) for mode in MODES]
        tokens = [_pair_values(group, "tokens", mode) for mode in MODES]
        best_guess = group[0]["questions"] * samples
        saved = _median([pair["adaptive"]["skipped"] / best_guess for pair in group])
        lines.append(
            f"| {thresholds} | {samples} | {policy} | {_median(requests[0]):.0f} "
            f"| {_median(requests[1]):.0f} | {_change(requests):+.0%} | {_median(sent[0]):.0f} "
            f"| {_median(sent[1]):.0f} | {_change(sent):+.0%} | {saved:.0%} "
            f"| {_change(tokens):+.0%} |"
        )
    return lines


def _pair_values(group: Sequence[dict[str, Any]], key: str, mode: str) -> list[float]:
    return [pair[mode][key] for pair in group]


def _change(values: Sequence[Sequence[float]]) -> float:
    """Return the median over seeds of adaptive / full − 1."""
    return _median([adaptive / full - 1 for full, adaptive in zip(*values, strict=True)])


def render_questions(pairs: Sequence[dict[str, Any]]) -> list[str]:
    lines = [
        "| thresholds | k | policy | questions stopped early | class changes "
        "| mean abs c_q change | max abs c_q change | verdicts changed "
        "| figures outside full's 95% CI |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (thresholds, samples, policy), group in _groups(pairs).items():
        questions = [pair["question_changes"] for pair in group]
        flips = [
            sum(pair["full"]["verdicts"][name] != pair["adaptive"]["verdicts"][name]
                for name in pair["full"]["verdicts"])
            for pair in group
        ]  # fmt: skip
        outside = [
            sum(item["within"] is False for item in pair["figures"].values()) for pair in group
        ]
        lines.append(
            f"| {thresholds} | {samples} | {policy} "
            f"| {_median([q['stopped_early'] for q in questions]):.0%} "
            f"| {sum(q['class_changes'] for q in questions)} "
            f"| {_median([q['mean_confidence_move'] for q in questions]):.3f} "
            f"| {max(q['max_confidence_move'] for q in questions):.2f} "
            f"| {sum(flips)} of {len(group) * len(group[0]['full']['verdicts'])} "
            f"| {_median(outside):g} |"
        )
    return lines


def render_movement(
    pairs: Sequence[dict[str, Any]], thresholds: str, samples: int, policies: Sequence[str]
) -> list[str]:
    """Render adaptive − full for each figure that moved in any pair, one column per policy."""
    title = f"Thresholds {thresholds}, k = {samples}: adaptive − full, median over seeds"
    names = [
        name
        for name in pairs[0]["figures"]
        if any(abs(pair["figures"].get(name, {}).get("difference", 0)) > 1e-12 for pair in pairs)
    ]
    if not names:
        return [f"{title}: every figure is identical in every pair."]

    lines = [
        f"{title} (in brackets: seeds where adaptive lies within full's 95% interval).",
        "",
        "| figure | " + " | ".join(policies) + " |",
        "| --- |" + " ---: |" * len(policies),
    ]
    for name in names:
        cells = [_movement_cell(pairs, name, policy) for policy in policies]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    unchanged = [name for name in pairs[0]["figures"] if name not in names]
    lines += ["", f"Identical in every pair: {', '.join(unchanged)}."]
    return lines


def _movement_cell(pairs: Sequence[dict[str, Any]], name: str, policy: str) -> str:
    compared = [
        pair["figures"][name]
        for pair in pairs
        if pair["case"]["policy"] == policy and name in pair["figures"]
    ]
    if not compared:
        return "—"
    cell = f"{_median([item['difference'] for item in compared]):+.3f}"
    checked = [item["within"] for item in compared if item["within"] is not None]
    if checked:
        cell += f" ({sum(checked)}/{len(checked)})"
    return cell


# Main


def run_all(settings: Settings, workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {
        "machine": machine(),
        "settings": asdict(settings),
        "load_average_before": os.getloadavg(),
        "pairs": [],
    }
    started = time.perf_counter()
    for case in cases(settings):
        runs = run_case(case, settings, workdir)
        pair = {
            "case": runs["case"],
            "questions": settings.questions,
            "full": runs["full"],
            "adaptive": runs["adaptive"],
            "figures": compare_figures(runs["full"], runs["adaptive"]),
            "question_changes": compare_questions(
                runs["full"], runs["adaptive"], case.threshold_values
            ),
        }
        results["pairs"].append(pair)
        elapsed = time.perf_counter() - started
        print(f"{case.name}: done at {elapsed:.0f} s", file=sys.stderr, flush=True)
    results["elapsed_s"] = time.perf_counter() - started
    results["load_average_after"] = os.getloadavg()
    return results


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="Two policies, thresholds 0,0.25,0.5, k = 5, one seed, 30 questions.",
    )
    parser.add_argument(
        "--questions", type=int, default=200, help="Simulated questions per run (default: 200)."
    )
    parser.add_argument("--seeds", type=int, default=3, help="Seeds per case (default: 3).")
    parser.add_argument(
        "--batch-samples",
        action="store_true",
        help="Let probe run send the k samples of a question in one request (n). Adaptive "
        "sampling then stays off, so both runs of a pair are the same. By default each "
        "request carries one sample (--no-batch-samples), where adaptive sampling applies.",
    )
    parser.add_argument("--json", type=Path, help="Also write the raw results to this JSON file.")
    parser.add_argument(
        "--workdir", type=Path, help="Folder for generated files (default: a temporary folder)."
    )
    args = parser.parse_args(argv)
    if args.questions < 1 or args.seeds < 1:
        parser.error("--questions and --seeds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.quick:
        settings = quick_settings(args.batch_samples)
    else:
        settings = full_settings(args.batch_samples, args.questions, args.seeds)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="probe-adaptive-"))
    workdir.mkdir(parents=True, exist_ok=True)

    try:
        results = run_all(settings, workdir)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)

    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

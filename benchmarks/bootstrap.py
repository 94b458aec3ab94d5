"""Time the bootstrap intervals and the summary of a large run; print a Markdown table.

    .venv/bin/python benchmarks/bootstrap.py

Each figure is the median wall time of several calls, after one warm-up call, on 1,000
questions with 1,000 bootstrap draws (probe's default). The inputs are simulated, with a
fixed seed, so the timings measure the computation and nothing else.
"""

import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

from probe import metrics
from probe.confidence import confidence_quality
from probe.simulated import simulate_records, simulated_questions
from probe.summary import summarise_samples

QUESTIONS = 1000
DRAWS = 1000
SAMPLES = 5
REPEATS = 7


def median_seconds(call: Callable[[], object], repeats: int = REPEATS) -> float:
    call()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    rng = np.random.default_rng(0)
    correct = rng.integers(0, SAMPLES + 1, size=QUESTIONS)
    incorrect = rng.integers(0, SAMPLES + 1 - correct)
    abstained = SAMPLES - correct - incorrect
    consistency = rng.integers(0, SAMPLES + 1, size=QUESTIONS) / SAMPLES
    modal_correct = list(rng.random(QUESTIONS) < consistency)
    continuous = rng.random(QUESTIONS)
    outcomes = (rng.random(QUESTIONS) < continuous).astype(float)

    questions = simulated_questions(QUESTIONS, seed=0)
    thresholds = [0.0, 0.5, 0.75, 0.9]
    records = simulate_records(questions, "noisy-calibrated", thresholds, SAMPLES, seed=1)
    question_records = [question.to_question() for question in questions]

    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "score interval (bootstrap_ratio_interval)",
            lambda: metrics.bootstrap_ratio_interval(
                correct - incorrect, correct + incorrect + abstained, draws=DRAWS, seed=0
            ),
        ),
        (
            "all rates at one t (threshold_rates)",
            lambda: metrics.threshold_rates(0.75, correct, incorrect, abstained, draws=DRAWS),
        ),
        (
            "regret, paired bootstrap",
            lambda: metrics.regret(
                0.75, correct, incorrect, abstained, consistency, modal_correct, draws=DRAWS
            ),
        ),
        (
            "confidence quality, c_q with k + 1 values",
            lambda: confidence_quality(
                consistency, np.array(modal_correct, dtype=float), draws=DRAWS
            ),
        ),
        (
            "confidence quality, continuous confidence, 10 bins",
            lambda: confidence_quality(continuous, outcomes, bins=10, draws=DRAWS),
        ),
        (
            f"whole summary, {len(records):,} sample records, 4 thresholds",
            lambda: summarise_samples(
                records,
                question_records,
                thresholds,
                run_id="benchmark",
                model="simulated",
                question_set={},
                samples_per_condition=SAMPLES,
                draws=DRAWS,
                seed=0,
            ),
        ),
    ]

    print(
        f"{QUESTIONS:,} questions, {DRAWS:,} draws; Python {platform.python_version()}, "
        f"numpy {np.__version__}, {platform.machine()}"
    )
    print()
    print("| computation | median seconds |")
    print("| --- | --- |")
    for name, call in cases:
        repeats = 3 if name.startswith("whole summary") else REPEATS
        print(f"| {name} | {median_seconds(call, repeats):.3f} |")


if __name__ == "__main__":
    main()

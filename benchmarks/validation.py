"""Print the evidence tables of docs/method.md: interval coverage and c_q against p_q.

    .venv/bin/python benchmarks/validation.py

Interval coverage: for each simulated policy, 200 runs of 100 questions × 5 samples at
t = 0, 0.5, 0.75 and 0.9, each drawing its questions from a population of 2,000 simulated
questions; the share of runs whose 95% interval contains the exact truth. The same runs are
scored with the intervals probe uses and with plain Wilson intervals on the pooled samples,
which treat the k samples of a question as independent.

Consistency confidence: Spearman's correlation between c_q and p_q (and between c_q and the
true modal share it estimates), for k = 3, 5, 10 and 20, over 20 seeds of 300 questions.
"""

import numpy as np

from probe import intervals
from probe.simulated import POLICIES, draw_known, known_of, modal_share, simulated_questions
from probe.validation import consistency_confidence, interval_coverage, spearman

THRESHOLDS = (0.0, 0.5, 0.75, 0.9)
FIGURES = ("precision", "score", "coverage", "error")


def coverage_table(pooled: bool) -> None:
    population = known_of(simulated_questions(2000, seed=7))
    original = intervals._effective_trials
    if pooled:
        # Plain Wilson on the pooled samples: the effective sample size is the sample count.
        intervals._effective_trials = lambda successes, trials, share: float(trials.sum())
    try:
        print("| policy | t | " + " | ".join(FIGURES) + " |")
        print("| --- " * (2 + len(FIGURES)) + "|")
        for policy in POLICIES:
            rates = interval_coverage(
                policy, population, THRESHOLDS, questions=100, samples=5, repetitions=200, seed=1
            )
            by_key = {(rate.threshold, rate.figure): rate.rate for rate in rates}
            for threshold in THRESHOLDS:
                cells = [by_key.get((threshold, figure)) for figure in FIGURES]
                shown = ["—" if cell is None else f"{cell:.1%}" for cell in cells]
                print(f"| {policy} | {threshold:g} | " + " | ".join(shown) + " |")
    finally:
        intervals._effective_trials = original


def rank_table() -> None:
    print("| k | Spearman(c_q, p_q): mean (min–max) | Spearman(c_q, modal share): mean |")
    print("| --- | --- | --- |")
    for samples in (3, 5, 10, 20):
        against_known, against_share = [], []
        for seed in range(20):
            known = draw_known(300, np.random.default_rng(seed))
            confidence = consistency_confidence(known, samples, seed=1000 + seed)
            against_known.append(spearman(confidence, known))
            against_share.append(spearman(confidence, modal_share(known)))
        print(
            f"| {samples} | {np.mean(against_known):.3f} ({min(against_known):.3f}–"
            f"{max(against_known):.3f}) | {np.mean(against_share):.3f} |"
        )


def main() -> None:
    print("Interval coverage, probe's intervals:\n")
    coverage_table(pooled=False)
    print("\nInterval coverage, plain Wilson on pooled samples (shares only):\n")
    coverage_table(pooled=True)
    print("\nConsistency confidence against the truth:\n")
    rank_table()


if __name__ == "__main__":
    main()

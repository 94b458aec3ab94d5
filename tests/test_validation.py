"""probe's figures against simulated models whose true behaviour is known in advance."""

import functools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from probe.cli import main
from probe.simulated import (
    POLICIES,
    Policy,
    draw_known,
    known_of,
    simulate_records,
    simulated_questions,
    true_rates,
)
from probe.simulated_server import ServerThread, SimulatedModel
from probe.summary import Summary, ThresholdSummary, summarise_samples
from probe.validation import consistency_rank_correlation, interval_coverage

THRESHOLDS = (0.0, 0.5, 0.75, 0.9)

# The population the interval-coverage runs draw their questions from.
POPULATION = known_of(simulated_questions(2000, seed=7))

# The audited runs: 100 questions, k = 5, every policy on the same questions.
AUDIT_QUESTIONS = simulated_questions(100, seed=21)


@functools.cache
def audit(policy: Policy) -> Summary:
    records = simulate_records(AUDIT_QUESTIONS, policy, THRESHOLDS, 5, seed=22)
    return summarise_samples(
        records,
        [question.to_question() for question in AUDIT_QUESTIONS],
        THRESHOLDS,
        run_id=policy,
        model=policy,
        question_set={},
        samples_per_condition=5,
        draws=1000,
        seed=0,
    )


def at(summary: Summary, threshold: float) -> ThresholdSummary:
    return next(item for item in summary.thresholds if item.threshold == threshold)


# Verdicts


@pytest.mark.parametrize("threshold", [0.5, 0.75, 0.9])
def test_calibrated_no_violation(threshold: float) -> None:
    assert at(audit("calibrated"), threshold).violation is False


def test_calibrated_responsive() -> None:
    response = audit("calibrated").threshold_response
    assert response is not None
    assert response.responsive is True


@pytest.mark.parametrize("threshold", [0.75, 0.9])
def test_overconfident_violates_high_t(threshold: float) -> None:
    assert at(audit("overconfident"), threshold).violation is True


@pytest.mark.parametrize("threshold", [0.75, 0.9])
def test_overconfident_regret_positive(threshold: float) -> None:
    regret = at(audit("overconfident"), threshold).regret
    assert regret.low is not None
    assert regret.low > 0


def test_overconfident_not_responsive() -> None:
    response = audit("overconfident").threshold_response
    assert response is not None
    assert response.responsive is False


def test_threshold_blind_not_responsive() -> None:
    response = audit("threshold-blind").threshold_response
    assert response is not None
    assert response.responsive is False


def test_threshold_blind_coverage_drop_contains_zero() -> None:
    response = audit("threshold-blind").threshold_response
    assert response is not None
    drop = response.coverage_drop
    assert drop.low is not None and drop.high is not None
    assert drop.low <= 0 <= drop.high


@pytest.mark.parametrize("policy", ["underconfident", "noisy-calibrated"])
def test_responsive_policies(policy: Policy) -> None:
    response = audit(policy).threshold_response
    assert response is not None
    assert response.responsive is True


@pytest.mark.parametrize("policy", POLICIES)
def test_no_violation_where_truth_meets_target(policy: Policy) -> None:
    known = known_of(AUDIT_QUESTIONS)
    for threshold in THRESHOLDS[1:]:
        truth = true_rates(policy, known, threshold).precision
        if truth is not None and truth >= threshold:
            assert at(audit(policy), threshold).violation is not True, threshold


@pytest.mark.parametrize("policy", POLICIES)
def test_violation_where_truth_far_below(policy: Policy) -> None:
    known = known_of(AUDIT_QUESTIONS)
    for threshold in THRESHOLDS[1:]:
        truth = true_rates(policy, known, threshold).precision
        if truth is not None and truth < threshold - 0.15:
            assert at(audit(policy), threshold).violation is True, threshold


def test_calibrated_consistency_separates() -> None:
    # c_q ranks correct modal answers above wrong ones better than chance.
    auroc = audit("calibrated").confidence_quality["consistency"].auroc
    assert auroc.low is not None
    assert auroc.low > 0.5


# Interval coverage: 200 repetitions of 100 questions × 5 samples per policy


@pytest.mark.parametrize("policy", POLICIES)
def test_interval_coverage(policy: Policy) -> None:
    rates = interval_coverage(
        policy, POPULATION, THRESHOLDS, questions=100, samples=5, repetitions=200, seed=1
    )
    figures = {rate.figure for rate in rates}
    assert {"precision", "score"} <= figures
    for rate in rates:
        assert 0.90 <= rate.rate <= 0.99, f"{rate.figure} at t = {rate.threshold}: {rate.rate}"


# Consistency confidence against the truth


def test_consistency_tracks_known_k20() -> None:
    known = draw_known(300, np.random.default_rng(5))
    assert consistency_rank_correlation(known, 20, seed=6) > 0.9


def test_consistency_weaker_with_k3() -> None:
    known = draw_known(300, np.random.default_rng(5))
    k3 = consistency_rank_correlation(known, 3, seed=6)
    assert k3 < consistency_rank_correlation(known, 20, seed=6)


# A real `probe run` over HTTP


def test_probe_run_against_calibrated_server(tmp_path: Path) -> None:
    questions = simulated_questions(40, seed=3)
    question_file = tmp_path / "simulated.jsonl"
    question_file.write_text(
        "".join(q.to_question().model_dump_json() + "\n" for q in questions), encoding="utf-8"
    )
    with ServerThread(SimulatedModel(questions, "calibrated", seed=1)) as server:
        code = main(
            [
                "run",
                "--base-url",
                server.base_url,
                "--model",
                "simulated-calibrated",
                "--question-set",
                str(question_file),
                "--samples",
                "3",
                "--results-dir",
                str(tmp_path / "results"),
                "--run-id",
                "calibrated",
                "--no-progress",
            ]
        )
    assert code == 0
    summary = json.loads((tmp_path / "results" / "calibrated" / "summary.json").read_text())
    assert summary["samples"] == 40 * 4 * 3
    assert [item["violation"] for item in summary["thresholds"][1:]] == [False, False, False]
    assert summary["threshold_response"]["responsive"] is True
    assert summary["confidence_quality"]["consistency"]["questions"] > 30


def test_probe_run_reports_every_estimator(tmp_path: Path) -> None:
    questions = simulated_questions(40, seed=4)
    question_file = tmp_path / "simulated.jsonl"
    question_file.write_text(
        "".join(q.to_question().model_dump_json() + "\n" for q in questions), encoding="utf-8"
    )
    model = SimulatedModel(questions, "calibrated", seed=2, format_error_rate=0.2)
    with ServerThread(model) as server:
        code = main(
            [
                "run",
                "--base-url",
                server.base_url,
                "--model",
                "simulated-calibrated",
                "--question-set",
                str(question_file),
                "--thresholds",
                "0,0.75",
                "--samples",
                "4",
                "--results-dir",
                str(tmp_path),
                "--run-id",
                "estimators",
                "--logprobs",
                "--verbalised-confidence",
                "--no-progress",
            ]
        )
    assert code == 0
    run_dir = tmp_path / "estimators"
    quality = json.loads((run_dir / "summary.json").read_text())["confidence_quality"]
    assert set(quality) == {"consistency", "logprob_mean", "logprob_first", "verbalised"}
    for name, figures in quality.items():
        assert figures["auroc"]["value"] > 0.5, name
        assert figures["questions"] + figures["left_out"] == 40, name

    verbalised = [
        json.loads(line) for line in (run_dir / "verbalised.jsonl").read_text().splitlines()
    ]
    failed = [record for record in verbalised if "confidence_error" in record]
    assert len(verbalised) == 40 * 4
    assert quality["verbalised"]["parse_failures"] == len(failed) > 0
    assert all("stated_confidence" not in record for record in failed)

    report = (run_dir / "report.md").read_text()
    for section in ("## Response to the threshold", "## Coverage at target precision"):
        assert section in report
    for name in quality:
        assert f"| {name} | " in report, name


def test_probe_run_records_logprobs(tmp_path: Path) -> None:
    # A correct best-guess answer's first token carries log p_q (probe.simulated_server).
    questions = simulated_questions(10, seed=5)
    question_file = tmp_path / "simulated.jsonl"
    question_file.write_text(
        "".join(q.to_question().model_dump_json() + "\n" for q in questions), encoding="utf-8"
    )
    with ServerThread(SimulatedModel(questions, "calibrated", seed=3)) as server:
        main(
            [
                "run",
                "--base-url",
                server.base_url,
                "--model",
                "simulated-calibrated",
                "--question-set",
                str(question_file),
                "--thresholds",
                "0",
                "--results-dir",
                str(tmp_path),
                "--run-id",
                "logprobs",
                "--logprobs",
                "--no-progress",
            ]
        )
    known = {q.id: q.known for q in questions}
    lines = (tmp_path / "logprobs" / "samples.jsonl").read_text().splitlines()
    correct = [json.loads(line) for line in lines if '"outcome":"correct"' in line]
    assert correct
    for record in correct:
        first = record["token_logprobs"][0]
        assert first == pytest.approx(math.log(known[record["question_id"]])), record

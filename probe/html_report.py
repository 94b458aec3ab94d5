"""report.html: the calibration report of one run, a single self-contained page.

It shows the run's facts, whether the run stopped early, the audit verdicts in plain words,
five figures, the per-threshold and audit tables, and the outcome counts with their
meanings. Then come the LLM judge when there was one, tokens and cost, and a per-question
table that can be sorted, searched and filtered. The table shows every raw response text
of the questions it lists, which probe.question_explorer chooses.
"""

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from probe import confidence_curves, figures
from probe.confidence_summary import ConfidenceQualitySummary
from probe.html_pages import render_page
from probe.judge_report import judge_facts
from probe.outcomes import OUTCOME_MEANINGS, Outcome
from probe.question_explorer import question_table
from probe.run_data import RunData
from probe.summary import Summary
from probe.usage import UsageSummary, summarise_usage
from probe.verdicts import (
    monotone_sentence,
    threshold_response_sentence,
    threshold_verdict,
    uncounted_facts,
    uncounted_warning,
    verdict_sentence,
)

logger = logging.getLogger(__name__)

REPORT_HTML = "report.html"


@dataclass(frozen=True)
class RunFacts:
    """Facts about a run: endpoint, model, question set, plan, dates, tokens and cost."""

    run_id: str
    status: str
    model: str
    requested_model: str
    base_url: str
    embedded: bool
    probe_version: str
    question_set: str
    question_set_sha256: str
    questions: int
    thresholds: tuple[float, ...]
    samples_per_condition: int
    samples: int
    started_at: str
    finished_at: str
    tokens: str
    cost: str


@dataclass(frozen=True)
class FigureView:
    """One embedded figure: its heading, the data URI, the text alternative and a caption."""

    title: str
    uri: str
    alt: str
    caption: str


@dataclass(frozen=True)
class OutcomeRow:
    outcome: str
    total: int
    per_threshold: tuple[int, ...]
    meaning: str
    counted: bool


def write_html_report(run: RunData) -> Path:
    """Write report.html into the run folder and return its path."""
    summary = run.summary
    table = question_table(run)
    return render_page(
        "report.html.j2",
        run.store.run_dir / REPORT_HTML,
        title=f"probe report: {run.model}",
        facts=run_facts(run),
        partial=run.partial,
        run_folder=str(run.store.run_dir),
        summary=summary,
        verdicts=[(threshold_verdict(item), verdict_sentence(item)) for item in summary.thresholds],
        uncounted_facts=uncounted_facts(summary),
        uncounted_warning=uncounted_warning(summary, str(run.store.run_dir)),
        threshold_response=threshold_response_sentence(summary),
        monotone=monotone_sentence(summary),
        figures=report_figures(summary),
        quality_rows=quality_rows(summary),
        outcome_rows=outcome_rows(summary),
        judge=judge_facts(run.store),
        table=table,
        tags=sorted({tag for row in table.rows for tag in row.question.tags}),
        outcomes=[outcome.value for outcome in Outcome],
    )


def run_facts(run: RunData) -> RunFacts:
    """Collect the facts of a run from run.json and its samples."""
    info = run.info
    endpoint: dict[str, Any] = info.get("endpoint", {})
    usage = _usage(run)
    return RunFacts(
        run_id=run.run_id,
        status=str(info.get("status", "unknown")),
        model=run.model,
        requested_model=str(endpoint.get("model") or "—"),
        base_url=str(endpoint.get("base_url") or "—"),
        embedded=bool(endpoint.get("embedded", False)),
        probe_version=str(info.get("probe_version", "unknown")),
        question_set=str(run.summary.question_set.get("name", "—")),
        question_set_sha256=run.question_set_sha256,
        questions=run.summary.questions,
        thresholds=run.thresholds,
        samples_per_condition=run.summary.samples_per_condition,
        samples=run.summary.samples,
        started_at=run.started_at or "—",
        finished_at=str(info.get("finished_at") or "—"),
        tokens=_tokens(usage),
        cost=_cost(usage),
    )


def report_figures(summary: Summary) -> list[FigureView]:
    """Draw the five figures of a run's report."""
    thresholds = [item.threshold for item in summary.thresholds]
    per_t = summary.thresholds
    return [
        FigureView(
            "Outcome shares",
            figures.outcome_shares(
                thresholds,
                [item.accuracy for item in per_t],
                [item.error for item in per_t],
                [item.abstention for item in per_t],
            ),
            "Stacked bars of correct, incorrect and abstained shares at each threshold t.",
            "Shares of valid samples at each t. As t rises, a calibrated model trades "
            "incorrect answers for abstentions.",
        ),
        FigureView(
            "Precision against t",
            figures.precision_against_threshold(thresholds, [item.precision for item in per_t]),
            "Precision with 95% Wilson intervals at each t, and the dashed line precision = t.",
            "A behaviourally calibrated model stays on or above the dashed line.",
        ),
        FigureView(
            "Score against t",
            figures.score_against_threshold(
                thresholds,
                [item.score for item in per_t],
                [item.oracle_score for item in per_t],
            ),
            "The model's score and its consistency oracle's score at each t, with intervals.",
            "The oracle answers its modal best-guess answer when c_q ≥ t. The gap between "
            "the lines is the regret.",
        ),
        *_confidence_figures(summary),
    ]


def quality_rows(summary: Summary) -> list[tuple[str, ConfidenceQualitySummary]]:
    """List each confidence estimator's quality figures; empty for summaries without them."""
    return sorted(summary.confidence_quality.items())


def outcome_rows(summary: Summary) -> list[OutcomeRow]:
    """Count every outcome over the run and at each t, with what it means."""
    return [
        OutcomeRow(
            outcome=outcome.value,
            total=summary.outcomes.get(outcome.value, 0),
            per_threshold=tuple(item.outcomes.get(outcome.value, 0) for item in summary.thresholds),
            meaning=OUTCOME_MEANINGS[outcome],
            counted=outcome in (Outcome.CORRECT, Outcome.INCORRECT, Outcome.ABSTAINED),
        )
        for outcome in Outcome
    ]


def _confidence_figures(summary: Summary) -> list[FigureView]:
    bins, points = _confidence_curves(summary)
    if not bins:
        logger.info("No question has a graded modal answer; the confidence figures are left out.")
        return []
    return [
        FigureView(
            "Reliability of consistency confidence",
            figures.reliability_diagram(bins),
            "Share of correct modal answers against c_q, one point per distinct c_q.",
            "Each point is the questions sharing one value of c_q. On the dashed line, c_q is "
            "the chance that the modal answer is right.",
        ),
        FigureView(
            "Risk–coverage",
            figures.risk_coverage_curve(points),
            "Share of wrong modal answers against the share of questions answered by falling c_q.",
            "Answering questions in order of falling c_q: a confidence that ranks well keeps "
            "the risk low until coverage is high.",
        ),
    ]


def _confidence_curves(
    summary: Summary,
) -> tuple[list[confidence_curves.ReliabilityBin], list[confidence_curves.RiskCoveragePoint]]:
    # Summaries written before the confidence-quality section lack these curves, so they are
    # recomputed from the per-question figures.
    quality = summary.confidence_quality.get("consistency")
    if quality is None:
        return (
            confidence_curves.reliability_bins(summary.per_question),
            confidence_curves.risk_coverage(summary.per_question),
        )
    bins = [
        confidence_curves.ReliabilityBin(item.mean_confidence, item.questions, item.accuracy)
        for item in quality.reliability_diagram
    ]
    points = [
        confidence_curves.RiskCoveragePoint(item.confidence, item.coverage, item.risk)
        for item in quality.risk_coverage
    ]
    return bins, points


def _usage(run: RunData) -> UsageSummary:
    # Summaries from before token usage was summarised lack it; the samples still hold it.
    usage = getattr(run.summary, "usage", None)
    if isinstance(usage, UsageSummary):
        return usage
    return summarise_usage(run.records, price=None)


def _tokens(usage: UsageSummary) -> str:
    known = usage.requests - usage.requests_without_usage
    if known == 0:
        return "not reported by the server"
    reasoning = f", {usage.reasoning_tokens:,} of them reasoning" if usage.reasoning_tokens else ""
    return (
        f"{usage.prompt_tokens + usage.completion_tokens:,} in all: {usage.prompt_tokens:,} "
        f"prompt, {usage.completion_tokens:,} completion{reasoning}; reported for {known:,} of "
        f"{usage.requests:,} requests"
    )


def _cost(usage: UsageSummary) -> str:
    if usage.estimated_cost is None or usage.price is None:
        return "not estimated: the run had no price for this model (see --price-table)"
    return (
        f"${usage.estimated_cost:,.4f}, an estimate at ${usage.price.input:g} per million "
        f"prompt tokens and ${usage.price.output:g} per million completion tokens"
    )

"""comparison.html: several runs side by side, for several models or one model over time.

Every run is shown by its audit verdicts, worded as in its own report, and by its
aggregates: the coverage–precision (Pareto) curve, the score
against t, and each figure per threshold. Runs on the same question-set file (same SHA-256)
as the first run are also compared with it question by question. That adds paired
differences with a paired bootstrap over questions, McNemar's test on the correctness of
the modal answer, and a per-question table. Runs on another question set get a warning and
only the aggregates.
"""

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from probe import figures, paired
from probe.errors import ProbeError
from probe.html_pages import render_page, report_link
from probe.html_report import FigureView
from probe.questions import Question
from probe.run_data import RunData
from probe.summary import Figure, QuestionSummary, ThresholdSummary
from probe.verdicts import (
    Verdict,
    short_responsiveness,
    short_verdict,
    threshold_verdict,
    uncounted_facts,
)

logger = logging.getLogger(__name__)

COMPARISON_HTML = "comparison.html"

# The figures of the side-by-side tables, each with its heading.
SIDE_BY_SIDE = (
    ("coverage", "Coverage (answered / valid)"),
    ("precision", "Precision (correct / answered)"),
    ("error", "Error (incorrect / valid)"),
    ("score", "Score"),
)

# The paired differences reported against the first run.
PAIRED_METRICS: tuple[paired.Metric, ...] = ("coverage", "precision", "error", "score")


@dataclass(frozen=True)
class ComparedRun:
    label: str
    run: RunData
    link: str | None
    by_threshold: dict[float, ThresholdSummary]
    same_questions: bool


@dataclass(frozen=True)
class VerdictCell:
    """One run's verdict at one threshold; verdict is None where the run did not probe t."""

    verdict: Verdict | None
    text: str


@dataclass(frozen=True)
class RunVerdicts:
    """One run's audit verdicts, worded as in its own report."""

    run: ComparedRun
    per_threshold: tuple[VerdictCell, ...]
    responsiveness: str
    uncounted: str


@dataclass(frozen=True)
class Difference:
    """candidate − reference with its 95% paired-bootstrap interval; None where undefined."""

    value: float | None
    interval: tuple[float, float] | None


@dataclass(frozen=True)
class PairedRow:
    threshold: float
    keys: int
    differences: tuple[Difference, ...]


@dataclass(frozen=True)
class ModalCorrectness:
    """McNemar's test on y_q: questions whose modal answer became right or wrong."""

    questions: int
    gained: int
    lost: int
    p_value: float


@dataclass(frozen=True)
class PairedComparison:
    run: ComparedRun
    rows: tuple[PairedRow, ...]
    modal: ModalCorrectness


@dataclass(frozen=True)
class QuestionComparison:
    question: Question
    per_run: tuple[QuestionSummary | None, ...]


def write_comparison(runs: Sequence[RunData], output: Path) -> Path:
    """Write the comparison page of `runs`, the first being the reference, and return its path.

    Raises ProbeError with fewer than two runs.
    """
    if len(runs) < 2:
        raise ProbeError("a comparison needs at least two run folders.")
    compared = _compared_runs(runs, output)
    reference = compared[0]
    same = [item for item in compared if item.same_questions]
    warnings = _warnings(compared)
    for warning in warnings:
        logger.warning("%s", warning)

    thresholds = sorted({t for item in compared for t in item.by_threshold})
    return render_page(
        "comparison.html.j2",
        output,
        title="probe comparison: " + ", ".join(item.label for item in compared),
        runs=compared,
        reference=reference,
        warnings=warnings,
        thresholds=thresholds,
        verdicts=[_run_verdicts(item, thresholds) for item in compared],
        side_by_side=SIDE_BY_SIDE,
        figures=_figures(compared, thresholds),
        paired_metrics=PAIRED_METRICS,
        paired=[_paired(reference, item) for item in same[1:]],
        question_runs=same,
        question_rows=_question_rows(same),
    )


def _compared_runs(runs: Sequence[RunData], output: Path) -> list[ComparedRun]:
    models = Counter(run.model for run in runs)
    reference_sha = runs[0].question_set_sha256
    return [
        ComparedRun(
            label=run.model if models[run.model] == 1 else f"{run.model} ({run.run_id})",
            run=run,
            link=report_link(run, output),
            by_threshold={item.threshold: item for item in run.summary.thresholds},
            same_questions=run.question_set_sha256 == reference_sha,
        )
        for run in runs
    ]


def _warnings(compared: Sequence[ComparedRun]) -> list[str]:
    others = [item for item in compared if not item.same_questions]
    if not others:
        return []
    reference = compared[0].run
    names = ", ".join(
        f"{item.label} ({item.run.summary.question_set.get('name')})" for item in others
    )
    return [
        f"{names} used a different question-set file than {compared[0].label} (sha256 "
        f"{reference.question_set_sha256[:12]}…), so they are compared on aggregates only, "
        "not question by question. Aggregates over different questions can differ for "
        "reasons other than the model."
    ]


def _run_verdicts(item: ComparedRun, thresholds: Sequence[float]) -> RunVerdicts:
    cells = []
    for t in thresholds:
        summary = item.by_threshold.get(t)
        if summary is None:
            cells.append(VerdictCell(None, "not probed"))
        else:
            cells.append(VerdictCell(threshold_verdict(summary), short_verdict(summary)))
    return RunVerdicts(
        run=item,
        per_threshold=tuple(cells),
        responsiveness=short_responsiveness(item.run.summary),
        uncounted=uncounted_facts(item.run.summary),
    )


def _figures(compared: Sequence[ComparedRun], thresholds: Sequence[float]) -> list[FigureView]:
    def series(metric: str) -> list[figures.Series]:
        return [_series(item, metric) for item in compared]

    return [
        FigureView(
            "Coverage–precision",
            figures.pareto_curves(series("coverage"), series("precision")),
            "Each model's coverage and precision at every stated threshold t.",
            "Each point is one t. A filled marker reaches precision ≥ t; a hollow one falls "
            "short. Up and to the right is better: more answers at the same precision.",
        ),
        FigureView(
            "Score against t",
            figures.series_against_threshold(series("score"), "score: accuracy − t/(1−t) · error"),
            "Each model's score at every stated threshold t, with 95% bootstrap intervals.",
            "The score a model earns under each stated scoring rule.",
        ),
    ]


def _series(item: ComparedRun, metric: str) -> figures.Series:
    thresholds = sorted(item.by_threshold)
    values: tuple[Figure, ...] = tuple(getattr(item.by_threshold[t], metric) for t in thresholds)
    return figures.Series(item.label, tuple(thresholds), values)


def _paired(reference: ComparedRun, item: ComparedRun) -> PairedComparison:
    bootstrap = reference.run.summary.bootstrap
    rows = []
    for t in sorted(set(reference.by_threshold) & set(item.by_threshold)):
        counts = paired.pair_counts(reference.run.records, item.run.records, t)
        differences = tuple(
            _difference(counts, metric, bootstrap["draws"], bootstrap["seed"])
            for metric in PAIRED_METRICS
        )
        rows.append(PairedRow(t, counts.keys, differences))
    return PairedComparison(item, tuple(rows), _modal_correctness(reference.run, item.run))


def _difference(
    counts: paired.PairedCounts, metric: paired.Metric, draws: int, seed: int
) -> Difference:
    if counts.keys == 0:
        return Difference(None, None)
    result = paired.paired_bootstrap(counts, metric, draws=draws, seed=seed)
    return Difference(result.difference, paired.percentile_interval(result.difference_draws))


def _modal_correctness(reference: RunData, other: RunData) -> ModalCorrectness:
    before = {item.id: item.modal_correct for item in reference.summary.per_question}
    after = {item.id: item.modal_correct for item in other.summary.per_question}
    known = [
        (before[key], after[key])
        for key in before.keys() & after.keys()
        if before[key] is not None and after[key] is not None
    ]
    gained = sum(1 for was, now in known if not was and now)
    lost = sum(1 for was, now in known if was and not now)
    p_value = paired.mcnemar_p_value(gained, lost, two_sided=True)
    return ModalCorrectness(questions=len(known), gained=gained, lost=lost, p_value=p_value)


def _question_rows(same: Sequence[ComparedRun]) -> list[QuestionComparison]:
    if len(same) < 2:
        return []
    per_run = [{item.id: item for item in run.run.summary.per_question} for run in same]
    return [
        QuestionComparison(question, tuple(summaries.get(question.id) for summaries in per_run))
        for question in same[0].run.questions
    ]

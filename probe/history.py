"""history.html: how error, precision and coverage at each t moved over successive runs.

The runs of a results folder are grouped by the model the server reported and ordered by
start time, so a scheduled job that probes one endpoint every night gets one trend per model.
"""

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from probe import figures
from probe.errors import ProbeError
from probe.html_pages import render_page, report_link
from probe.html_report import FigureView
from probe.run_data import RunData, find_runs, load_run
from probe.summary import Figure, ThresholdSummary

logger = logging.getLogger(__name__)

HISTORY_HTML = "history.html"

# The figures drawn over time, each with its axis label.
TREND_METRICS = (
    ("error", "error (incorrect / valid)"),
    ("precision", "precision (correct / answered)"),
    ("coverage", "coverage (answered / valid)"),
)


@dataclass(frozen=True)
class HistoryRun:
    """One run in a model's history: its label, link and figures per threshold."""

    label: str
    run: RunData
    link: str | None
    by_threshold: dict[float, ThresholdSummary]


@dataclass(frozen=True)
class ModelHistory:
    model: str
    thresholds: tuple[float, ...]
    runs: tuple[HistoryRun, ...]
    figures: tuple[FigureView, ...]


def write_history(
    results_dir: Path, *, model: str | None = None, output: Path | None = None
) -> Path:
    """Write the trend page of the runs in results_dir and return its path.

    Raises ProbeError when results_dir contains no run, or no run of `model`.
    """
    output = output or results_dir / HISTORY_HTML
    runs = [load_run(path) for path in find_runs(results_dir)]
    if model is not None:
        runs = [run for run in runs if run.model == model]
        if not runs:
            raise ProbeError(
                f"{results_dir}: no run of model {model!r}. Leave out --model to see every model."
            )

    histories = [_model_history(name, group, output) for name, group in _by_model(runs).items()]
    return render_page(
        "history.html.j2",
        output,
        title=f"probe history: {results_dir.name or results_dir}",
        results_dir=str(results_dir),
        histories=histories,
    )


def _by_model(runs: Sequence[RunData]) -> dict[str, list[RunData]]:
    groups: dict[str, list[RunData]] = defaultdict(list)
    for run in sorted(runs, key=lambda run: (run.started_at, run.run_id)):
        groups[run.model].append(run)
    return dict(sorted(groups.items()))


def _model_history(model: str, runs: Sequence[RunData], output: Path) -> ModelHistory:
    thresholds = tuple(sorted({t for run in runs for t in run.thresholds}))
    starts = Counter(_label(run) for run in runs)
    entries = tuple(
        HistoryRun(
            label=_label(run) if starts[_label(run)] == 1 else f"{_label(run)} {run.run_id}",
            run=run,
            link=report_link(run, output),
            by_threshold={item.threshold: item for item in run.summary.thresholds},
        )
        for run in runs
    )
    return ModelHistory(model, thresholds, entries, tuple(_trend_figures(entries, thresholds)))


def _trend_figures(runs: Sequence[HistoryRun], thresholds: Sequence[float]) -> list[FigureView]:
    labels = [run.label for run in runs]
    views = []
    for metric, axis_label in TREND_METRICS:
        series = [_series(runs, t, metric) for t in thresholds]
        views.append(
            FigureView(
                title=f"{metric.capitalize()} over runs",
                uri=figures.trend(labels, series, axis_label),
                alt=f"{metric} at each threshold over successive runs, with 95% interval bands",
                caption="One line per stated threshold t; bands are 95% Wilson intervals.",
            )
        )
    return views


def _series(runs: Sequence[HistoryRun], threshold: float, metric: str) -> figures.Series:
    points = [
        (float(index), getattr(run.by_threshold[threshold], metric))
        for index, run in enumerate(runs)
        if threshold in run.by_threshold
    ]
    label = f"t = {threshold:g}"
    positions = tuple(position for position, _ in points)
    values: tuple[Figure, ...] = tuple(figure for _, figure in points)
    return figures.Series(label, positions, values)


def _label(run: RunData) -> str:
    started = run.started_at[:16].replace("T", " ")
    return started or run.run_id

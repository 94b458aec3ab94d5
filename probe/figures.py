"""The figures of the HTML pages, drawn with matplotlib and embedded as SVG data URIs.

Each function takes plain figures and returns a `data:image/svg+xml;base64,…` URI for an
<img> element. An image loaded that way cannot run script, and the SVG draws text as paths,
so the page needs no font and no network. Only the pyplot-free `matplotlib.figure.Figure`
API is used, which keeps no global state between calls.
"""

import base64
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure as Canvas

from probe.confidence_curves import ReliabilityBin, RiskCoveragePoint
from probe.prompts import format_number
from probe.summary import Figure

OUTCOME_COLOURS = {"correct": "#2e7d32", "incorrect": "#c62828", "abstained": "#9e9e9e"}
MODEL_COLOUR = "#1565c0"
ORACLE_COLOUR = "#ef6c00"
TARGET_COLOUR = "#616161"

# One colour per model or threshold line, in order; matplotlib's "tab10" colours.
LINE_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


@dataclass(frozen=True)
class Series:
    """One model's (or one threshold's) figures along an axis, with its legend label."""

    label: str
    positions: tuple[float, ...]
    figures: tuple[Figure, ...]


def outcome_shares(
    thresholds: Sequence[float],
    accuracy: Sequence[Figure],
    error: Sequence[Figure],
    abstention: Sequence[Figure],
) -> str:
    """Stack the shares of correct, incorrect and abstained valid samples at each t."""
    canvas, axes = _canvas()
    labels = [f"t = {format_number(t)}" for t in thresholds]
    bottom = [0.0] * len(thresholds)
    for name, figures in (("correct", accuracy), ("incorrect", error), ("abstained", abstention)):
        heights = [figure.value or 0.0 for figure in figures]
        axes.bar(labels, heights, bottom=bottom, label=name, color=OUTCOME_COLOURS[name])
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]

    axes.set_ylim(0, 1)
    axes.set_ylabel("share of valid samples")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False)
    return _encode(canvas)


def precision_against_threshold(thresholds: Sequence[float], precision: Sequence[Figure]) -> str:
    """Plot precision with its interval at each t, and the target line precision = t."""
    return _encode(precision_canvas(thresholds, precision))


def precision_canvas(thresholds: Sequence[float], precision: Sequence[Figure]) -> Canvas:
    """Draw the precision-against-t figure, with its legend below the axes."""
    canvas, axes = _canvas()
    axes.plot([0, 1], [0, 1], linestyle="--", color=TARGET_COLOUR, label="precision = t")
    _plot_with_intervals(axes, Series("precision", tuple(thresholds), tuple(precision)))

    axes.set_xlim(-0.02, 1.02)
    axes.set_ylim(0, 1.02)
    axes.set_xlabel("stated threshold t")
    axes.set_ylabel("precision (correct / answered)")
    # Points at high t sit in every corner of the axes, so only a legend outside them is
    # sure to cover none.
    canvas.legend(loc="outside lower center", ncol=2, frameon=False)
    return canvas


def score_against_threshold(
    thresholds: Sequence[float], score: Sequence[Figure], oracle: Sequence[Figure]
) -> str:
    """Plot the model's score and its consistency oracle's score at each t."""
    canvas, axes = _canvas()
    _plot_with_intervals(axes, Series("model", tuple(thresholds), tuple(score)))
    _plot_with_intervals(
        axes, Series("consistency oracle", tuple(thresholds), tuple(oracle)), colour=ORACLE_COLOUR
    )

    axes.axhline(0, color=TARGET_COLOUR, linewidth=0.8)
    axes.set_xlabel("stated threshold t")
    axes.set_ylabel("score: accuracy − t/(1−t) · error")
    axes.legend(loc="lower left", frameon=False)
    return _encode(canvas)


def reliability_diagram(bins: Sequence[ReliabilityBin]) -> str:
    """Plot the share of correct modal answers against c_q, one point per distinct c_q."""
    canvas, axes = _canvas()
    axes.plot([0, 1], [0, 1], linestyle="--", color=TARGET_COLOUR, label="perfect calibration")
    series = Series("questions", tuple(b.confidence for b in bins), tuple(b.accuracy for b in bins))
    _plot_with_intervals(axes, series)
    for item in bins:
        axes.annotate(
            f"n={item.questions}",
            (item.confidence, item.accuracy.value or 0.0),
            textcoords="offset points",
            xytext=(4, -10),
            fontsize=7,
        )

    axes.set_xlim(-0.02, 1.05)
    axes.set_ylim(-0.02, 1.05)
    axes.set_xlabel("consistency confidence c_q")
    axes.set_ylabel("share of modal answers correct")
    axes.legend(loc="upper left", frameon=False)
    return _encode(canvas)


def risk_coverage_curve(points: Sequence[RiskCoveragePoint]) -> str:
    """Plot the share of wrong modal answers against the share of questions answered."""
    canvas, axes = _canvas()
    coverage = [0.0, *(point.coverage for point in points)]
    risk = [points[0].risk if points else 0.0, *(point.risk for point in points)]
    axes.step(coverage, risk, where="pre", color=MODEL_COLOUR)
    axes.plot(coverage[1:], risk[1:], "o", color=MODEL_COLOUR, markersize=4)

    axes.set_xlim(0, 1.02)
    axes.set_ylim(0, 1.02)
    axes.set_xlabel("coverage: share of questions answered, by falling c_q")
    axes.set_ylabel("risk: share of those answers wrong")
    return _encode(canvas)


def pareto_curves(coverage: Sequence[Series], precision: Sequence[Series]) -> str:
    """Plot each model's (coverage, precision) points across t, labelled by t.

    A filled marker is a threshold whose precision reaches t; a hollow one falls short.
    """
    canvas, axes = _canvas(width=6.4, height=4.2)
    for index, (cover, precise) in enumerate(zip(coverage, precision, strict=True)):
        colour = _model_colour(index)
        points = [
            (c.value, p.value, t)
            for c, p, t in zip(cover.figures, precise.figures, cover.positions, strict=True)
            if c.value is not None and p.value is not None
        ]
        axes.plot(
            [x for x, _, _ in points],
            [y for _, y, _ in points],
            color=colour,
            label=_plain(cover.label),
        )
        for x, y, t in points:
            axes.plot(x, y, "o", color=colour, markerfacecolor=colour if y >= t else "white")
            axes.annotate(
                f"t={format_number(t)}",
                (x, y),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=7,
                color=colour,
            )

    axes.set_xlim(-0.02, 1.05)
    axes.set_ylim(-0.02, 1.05)
    axes.set_xlabel("coverage (answered / valid)")
    axes.set_ylabel("precision (correct / answered)")
    axes.legend(loc="lower left", frameon=False)
    return _encode(canvas)


def series_against_threshold(series: Sequence[Series], ylabel: str) -> str:
    """Plot one line per model of a figure against t, such as the score of each model."""
    canvas, axes = _canvas(width=6.4, height=4.2)
    for index, item in enumerate(series):
        _plot_with_intervals(axes, item, colour=_model_colour(index))

    axes.set_xlabel("stated threshold t")
    axes.set_ylabel(ylabel)
    axes.legend(loc="lower left", frameon=False)
    return _encode(canvas)


def trend(run_labels: Sequence[str], series: Sequence[Series], ylabel: str) -> str:
    """Plot a figure over successive runs, one line per threshold, with interval bands."""
    canvas, axes = _canvas(width=7.2, height=3.6)
    for index, item in enumerate(series):
        _plot_with_intervals(axes, item, colour=_model_colour(index), band=True)

    axes.set_xticks(
        range(len(run_labels)), [_plain(label) for label in run_labels], rotation=30, ha="right"
    )
    axes.set_ylim(-0.02, 1.02)
    axes.set_ylabel(ylabel)
    axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return _encode(canvas)


def _plot_with_intervals(
    axes: Axes, series: Series, *, colour: str = MODEL_COLOUR, band: bool = False
) -> None:
    defined = [
        (x, figure)
        for x, figure in zip(series.positions, series.figures, strict=True)
        if figure.value is not None
    ]
    xs = [x for x, _ in defined]
    values = [figure.value or 0.0 for _, figure in defined]
    low = [_or(figure.low, figure.value) for _, figure in defined]
    high = [_or(figure.high, figure.value) for _, figure in defined]
    label = _plain(series.label)

    if band:
        axes.plot(xs, values, "o-", color=colour, label=label, markersize=4)
        axes.fill_between(xs, low, high, color=colour, alpha=0.15, linewidth=0)
        return
    errors = [
        [v - lo for v, lo in zip(values, low, strict=True)],
        [hi - v for v, hi in zip(values, high, strict=True)],
    ]
    axes.errorbar(
        xs, values, yerr=errors, fmt="o-", color=colour, capsize=3, label=label, markersize=4
    )


def _or(bound: float | None, value: float | None) -> float:
    if bound is not None:
        return bound
    return value if value is not None else math.nan


def _model_colour(index: int) -> str:
    return LINE_COLOURS[index % len(LINE_COLOURS)]


def _plain(text: str) -> str:
    # A "$" would start matplotlib's math mode; model names and run ids are plain text.
    return text.replace("$", r"\$")


def _canvas(width: float = 5.2, height: float = 3.6) -> tuple[Canvas, Axes]:
    canvas = Canvas(figsize=(width, height), layout="constrained")
    axes = canvas.add_subplot()
    axes.grid(True, color="#e0e0e0", linewidth=0.6)
    axes.set_axisbelow(True)
    return canvas, axes


def _encode(canvas: Canvas) -> str:
    buffer = io.BytesIO()
    # Text drawn as paths needs no font in the browser, and a fixed id salt makes the same
    # figure give the same bytes.
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "probe"}):
        canvas.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")

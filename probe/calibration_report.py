"""The report.md sections on threshold response, safe coverage and confidence quality."""

from probe.confidence_summary import ConfidenceQualitySummary
from probe.display import number, number_interval, percent, rate
from probe.intervals import Figure
from probe.prompts import format_number
from probe.summary import Summary
from probe.verdicts import threshold_response_sentence


def calibration_sections(summary: Summary) -> str:
    """Return the Markdown of the threshold-response, safe-coverage and confidence sections."""
    parts = [_threshold_response(summary), _safe_coverage(summary), _confidence_quality(summary)]
    return "\n\n".join(part for part in parts if part)


def _threshold_response(summary: Summary) -> str:
    sentence = threshold_response_sentence(summary)
    if not sentence:
        return ""
    return "\n".join(["## Response to the threshold", "", sentence])


def _safe_coverage(summary: Summary) -> str:
    if not summary.coverage_at_target_precision:
        return ""
    rows = [
        "## Coverage at target precision",
        "",
        "For each target p, the largest coverage the model showed at any threshold while its "
        "precision stayed at or above p; the conservative column needs the whole precision "
        "interval at or above p.",
        "",
        "| target p | coverage (at t) | conservative coverage (at t) |",
        "| --- | --- | --- |",
    ]
    for point in summary.coverage_at_target_precision:
        rows.append(
            f"| {format_number(point.target)} "
            f"| {_reached(rate(point.coverage), point.condition)} "
            f"| {_reached(rate(point.conservative_coverage), point.conservative_condition)} |"
        )
    return "\n".join(rows)


def _reached(cell: str, condition: float | None) -> str:
    return "not reached" if condition is None else f"{cell} (t = {format_number(condition)})"


def _confidence_quality(summary: Summary) -> str:
    if not summary.confidence_quality:
        return ""
    targets = next(iter(summary.confidence_quality.values())).coverage_at_precision
    target_columns = " | ".join(f"coverage at {format_number(item.target)}" for item in targets)
    rows = [
        "## Confidence quality",
        "",
        "How well each confidence estimate forecasts whether its answer is right, over the "
        "questions (n). Lower ECE, Brier and AURC are better; AUROC 0.5 is chance. Coverage at "
        "p answers questions in order of falling confidence while precision stays at or above "
        "p; the figure in brackets requires Wilson's lower bound to reach p. Calibration "
        "error alone is no hallucination measure: read it beside the error rates above.",
        "",
        f"| estimator | n | ECE | Brier (reliability, resolution) | AUROC | AURC | "
        f"{target_columns} |",
        "| --- " * (6 + len(targets)) + "|",
    ]
    for name, quality in summary.confidence_quality.items():
        rows.append(_quality_row(name, quality))
    consistency = summary.confidence_quality.get("consistency")
    if consistency is not None and consistency.reliability_diagram:
        rows += ["", *_reliability_table(consistency)]
    return "\n".join(rows)


def _quality_row(name: str, quality: ConfidenceQualitySummary) -> str:
    coverage = " | ".join(
        f"{percent(item.coverage)} ({percent(item.conservative_coverage)})"
        for item in quality.coverage_at_precision
    )
    return (
        f"| {name} | {quality.questions} | {_with_interval(quality.ece)} "
        f"| {number(quality.brier)} ({number(quality.brier_reliability)}, "
        f"{number(quality.brier_resolution)}) | {_with_interval(quality.auroc)} "
        f"| {_with_interval(quality.aurc)} | {coverage} |"
    )


def _with_interval(figure: Figure) -> str:
    if figure.value is None:
        return "—"
    return f"{number(figure)} [{number_interval(figure)}]"


def _reliability_table(quality: ConfidenceQualitySummary) -> list[str]:
    rows = [
        "Reliability of c_q: each value of c_q, its questions and the share whose modal answer "
        "is right. A calibrated c_q has accuracy close to c_q in every row.",
        "",
        "| c_q | questions | accuracy |",
        "| --- | --- | --- |",
    ]
    for item in quality.reliability_diagram:
        rows.append(f"| {item.low:.2f} | {item.questions} | {rate(item.accuracy)} |")
    return rows

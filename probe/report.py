"""A run's reports: report.md, report.html, and the short summary printed after `probe run`."""

import heapq
from collections import defaultdict
from collections.abc import Sequence

from probe.calibration_report import calibration_sections
from probe.display import (
    number,
    number_interval,
    percent,
    rate,
    shorten,
    signed,
)
from probe.html_report import REPORT_HTML, write_html_report
from probe.judge_report import judge_section
from probe.outcomes import OUTCOME_MEANINGS, Outcome
from probe.prompts import format_number
from probe.questions import Question
from probe.run_data import RunData, load_run
from probe.samples import AnySampleRecord
from probe.store import RunStore
from probe.summary import LEAST_CONSISTENT_SHOWN, Summary
from probe.usage import describe_usage
from probe.verdicts import (
    counted_samples,
    monotone_sentence,
    short_verdict,
    uncounted_facts,
    uncounted_warning,
    verdict_sentence,
)


def summarise_and_report(store: RunStore) -> Summary:
    """Recompute summary.json, then write report.md and report.html, reading the samples once.

    The bootstrap uses the draws and seed in the run's run.json.
    """
    run = load_run(store.run_dir, recompute=True)
    write_reports(run)
    return run.summary


def write_reports(run: RunData) -> None:
    """Write report.md and report.html for a run already read from its folder."""
    write_markdown_report(run)
    write_html_report(run)


def write_markdown_report(run: RunData) -> None:
    """Write report.md: the tables, verdicts and least consistent questions as Markdown."""
    summary = run.summary
    questions = {question.id: question for question in run.questions}
    records = run.records
    sections = [
        _header(summary),
        _incomplete_notice(run),
        _uncounted_notice(summary, str(run.store.run_dir)),
        _threshold_table(summary),
        _audit(summary),
        calibration_sections(summary),
        _outcome_table(summary),
        judge_section(run.store),
        _least_consistent(summary, questions, records),
        _reading_guide(),
    ]
    text = "\n\n".join(section for section in sections if section)
    run.store.report_md.write_text(text + "\n", encoding="utf-8")


def console_summary(summary: Summary, store: RunStore) -> str:
    """Return the few lines printed after a run: the key figures and where the report is."""
    width = max([5, *(len(format_number(item.threshold)) for item in summary.thresholds)])
    lines = [
        f"Model {summary.model} on {summary.question_set['name']}: "
        f"{summary.questions} questions, {summary.samples} samples.",
        f"{'t':>{width}}  {'coverage':>8}  {'precision':>9}  {'error':>6}  {'score':>6}  verdict",
    ]
    for item in summary.thresholds:
        lines.append(
            f"{format_number(item.threshold):>{width}}  {percent(item.coverage):>8}  "
            f"{percent(item.precision):>9}  {percent(item.error):>6}  "
            f"{number(item.score):>6}  {short_verdict(item)}"
        )
    if counted_samples(summary) < summary.samples:
        lines.append(uncounted_facts(summary))
    warning = uncounted_warning(summary, str(store.run_dir))
    if warning:
        lines.append(warning)
    elif summary.outcomes.get(Outcome.UNGRADED.value, 0):
        lines.append("An LLM judge (probe regrade --judge) can decide the ungraded answers.")
    lines.append(f"Report: {store.run_dir / REPORT_HTML} (also {store.report_md.name})")
    return "\n".join(lines)


def _incomplete_notice(run: RunData) -> str:
    """Warn when the run stopped before its plan was complete, so its figures are partial."""
    partial = run.partial
    if partial is None:
        return ""
    return (
        f"> **This run is {partial.status}:** {partial.collected} of "
        f"{partial.planned or 'the planned'} samples were collected, so every figure below is "
        f"partial. Resume it with `probe run --resume {run.store.run_dir}`."
    )


def _uncounted_notice(summary: Summary, run_folder: str) -> str:
    """State the share of samples left out of the rates, as a warning when it is large."""
    warning = uncounted_warning(summary, run_folder)
    if warning:
        return f"> **{uncounted_facts(summary)}** {warning}"
    return uncounted_facts(summary)


def _header(summary: Summary) -> str:
    thresholds = ", ".join(format_number(item.threshold) for item in summary.thresholds)
    question_set = summary.question_set
    return "\n".join(
        [
            f"# probe report: {summary.model}",
            "",
            f"- Run: `{summary.run_id}`",
            f"- Question set: `{question_set['name']}` (sha256 `{question_set['sha256'][:12]}…`), "
            f"{summary.questions} questions",
            f"- Thresholds t: {thresholds}; k = {summary.samples_per_condition} samples each; "
            f"{summary.samples} samples in all",
            f"- Mean consistency confidence c_q: {number(summary.mean_confidence)} "
            f"(n = {summary.mean_confidence.n} questions)",
            f"- Bootstrap: {summary.bootstrap['draws']} draws over questions, seed "
            f"{summary.bootstrap['seed']}",
            *_run_notes(summary),
        ]
    )


def _run_notes(summary: Summary) -> list[str]:
    notes = []
    if summary.usage is not None:
        notes.append(f"- Usage: {describe_usage(summary.usage)}")
    if summary.best_guess_rates_from is not None:
        notes.append(
            "- Adaptive sampling: the rates at t = 0 rest on the first "
            f"{summary.best_guess_rates_from} best-guess samples of each question, which every "
            "question got; c_q uses every sample drawn."
        )
    if summary.consistency_withheld:
        notes.append(
            f"- Consistency figures left out: {summary.consistency_withheld}. "
            "Run with --force to report them anyway."
        )
    return notes


def _threshold_table(summary: Summary) -> str:
    rows = [
        "## Per-threshold results",
        "",
        "Rates are over valid samples (correct, incorrect or abstained) with 95% Wilson "
        "intervals over an effective sample size, which is smaller than n because the k "
        "samples of a question are correlated (docs/method.md). The score has a bootstrap "
        "interval over questions.",
        "",
        "| t | penalty | valid n | coverage | accuracy | error | abstention "
        "| precision (n) | score |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for item in summary.thresholds:
        rows.append(
            f"| {format_number(item.threshold)} | {format_number(item.penalty)} | {item.valid} "
            f"| {rate(item.coverage)} | {rate(item.accuracy)} | {rate(item.error)} "
            f"| {rate(item.abstention)} | {rate(item.precision)} (n = {item.precision.n}) "
            f"| {number(item.score)} [{number_interval(item.score)}] |"
        )
    return "\n".join(rows)


def _audit(summary: Summary) -> str:
    rows = [
        "## Behavioural calibration audit",
        "",
        *(f"- {verdict_sentence(item)}" for item in summary.thresholds),
        "",
        "| t | precision − t | over-answer OA | over-abstain UA | oracle score | regret "
        "| answered unanswerable |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for item in summary.thresholds:
        rows.append(
            f"| {format_number(item.threshold)} | {signed(item.precision_gap)} "
            f"| {rate(item.over_answer)} (n = {item.over_answer.n}) "
            f"| {rate(item.over_abstain)} (n = {item.over_abstain.n}) "
            f"| {number(item.oracle_score)} (n = {item.oracle_score.n}) "
            f"| {number(item.regret)} [{number_interval(item.regret)}] "
            f"| {rate(item.unanswerable_answer_rate)} (n = {item.unanswerable_answer_rate.n}) |"
        )
    rows += ["", monotone_sentence(summary)]
    return "\n".join(rows)


def _outcome_table(summary: Summary) -> str:
    rows = ["## Outcomes", "", "| outcome | samples | meaning |", "| --- | --- | --- |"]
    for outcome in Outcome:
        rows.append(
            f"| {outcome.value} | {summary.outcomes[outcome.value]} | {OUTCOME_MEANINGS[outcome]} |"
        )
    return "\n".join(rows)


def _least_consistent(
    summary: Summary, questions: dict[str, Question], records: Sequence[AnySampleRecord]
) -> str:
    candidates = [item for item in summary.per_question if item.valid > 0]
    shown = heapq.nsmallest(
        LEAST_CONSISTENT_SHOWN, candidates, key=lambda item: (item.confidence, -item.entropy)
    )
    shown_ids = {item.id for item in shown}
    answers: dict[tuple[str, float], list[str]] = defaultdict(list)
    for record in sorted(
        (record for record in records if record.question_id in shown_ids),
        key=lambda record: record.sample_index,
    ):
        answers[(record.question_id, record.threshold)].append(_sample_text(record))

    rows = [
        "## Least consistent questions",
        "",
        "The questions whose best-guess samples agreed least, with every sampled answer.",
    ]
    for item in shown:
        question = questions[item.id]
        gold = question.answers[0] if question.answers else "(unanswerable: abstain)"
        rows += [
            "",
            f"### `{item.id}`: {_escape(question.question)}",
            "",
            f"Gold: {_escape(gold)}. c_q = {item.confidence:.2f}, modal answer: "
            f"{_escape(shorten(item.modal_answer or '(none)')).rstrip('.')}.",
            "",
        ]
        for item_threshold in summary.thresholds:
            sampled = answers.get((item.id, item_threshold.threshold), [])
            rows.append(f"- t = {format_number(item_threshold.threshold)}: {'; '.join(sampled)}")
    return "\n".join(rows)


def _sample_text(record: AnySampleRecord) -> str:
    if record.outcome in (Outcome.CORRECT, Outcome.INCORRECT, Outcome.UNGRADED):
        return f"{_escape(shorten(record.answer or ''))} ({record.outcome.value})"
    return f"[{record.outcome.value}]"


def _reading_guide() -> str:
    return "\n".join(
        [
            "## How to read this report",
            "",
            "- coverage = answered / valid; precision = correct / answered; "
            "score = accuracy − t/(1−t) · error.",
            "- A behaviourally calibrated model keeps precision ≥ t at every t. A violation is a "
            "threshold where the whole precision interval lies below t.",
            "- OA(t) is the share of samples that answered on questions whose consistency "
            "c_q is below t; UA(t) the share that abstained on questions with c_q ≥ t.",
            "- The oracle answers its modal best-guess answer when c_q ≥ t. Positive regret "
            "means the model would score more by following its own consistency. A small "
            "positive regret is expected even of a calibrated model, because the majority of "
            "k samples is right more often than one sample; compare regret across t and models.",
            "- docs/formats.md describes every field of summary.json.",
        ]
    )


def _escape(text: str) -> str:
    # Model output is untrusted: keep it from turning into Markdown or HTML structure.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")

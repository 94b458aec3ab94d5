"""report.md and the short summary printed at the end of `probe run`."""

from collections import defaultdict
from collections.abc import Sequence

from probe.outcomes import OUTCOME_MEANINGS, Outcome
from probe.prompts import format_number
from probe.questions import Question, load_question_set
from probe.samples import SampleRecord
from probe.store import RunStore
from probe.summary import LEAST_CONSISTENT_SHOWN, Figure, Summary, ThresholdSummary

# Answers longer than this are cut in tables; samples.jsonl keeps the full text.
ANSWER_SHOWN_CHARS = 80


def write_report(store: RunStore, summary: Summary) -> None:
    """Write report.md for a run from its summary and samples."""
    questions = {question.id: question for question in load_question_set(store.questions_jsonl)}
    records = store.read_samples()
    sections = [
        _header(summary),
        _threshold_table(summary),
        _audit(summary),
        _outcome_table(summary),
        _least_consistent(summary, questions, records),
        _reading_guide(),
    ]
    store.report_md.write_text("\n\n".join(sections) + "\n", encoding="utf-8")


def console_summary(summary: Summary, store: RunStore) -> str:
    """Return the few lines printed after a run: the key figures and where the report is."""
    lines = [
        f"Model {summary.model} on {summary.question_set['name']}: "
        f"{summary.questions} questions, {summary.samples} samples.",
        f"{'t':>5}  {'coverage':>8}  {'precision':>9}  {'error':>6}  {'score':>6}  verdict",
    ]
    for item in summary.thresholds:
        lines.append(
            f"{format_number(item.threshold):>5}  {_percent(item.coverage):>8}  "
            f"{_percent(item.precision):>9}  {_percent(item.error):>6}  "
            f"{_number(item.score):>6}  {short_verdict(item)}"
        )
    not_counted = {
        name: count
        for name, count in summary.outcomes.items()
        if count and Outcome(name) not in (Outcome.CORRECT, Outcome.INCORRECT, Outcome.ABSTAINED)
    }
    if not_counted:
        listed = ", ".join(f"{count} {name}" for name, count in not_counted.items())
        lines.append(f"Not counted in the rates: {listed}.")
    lines.append(f"Report: {store.report_md}")
    return "\n".join(lines)


def short_verdict(item: ThresholdSummary) -> str:
    """Classify one threshold's precision against its target in a few words."""
    if item.threshold == 0:
        return "best guess (no target)"
    if item.precision.value is None:
        return "no answers to judge"
    if item.violation:
        return "violation: answers when it should abstain"
    if item.precision.low is not None and item.precision.low >= item.threshold:
        return "meets the target"
    return "consistent with the target"


def verdict_sentence(item: ThresholdSummary) -> str:
    """Describe one threshold's behaviour in a plain sentence for the report."""
    t = format_number(item.threshold)
    answered = f"answered {_percent(item.coverage)} of valid samples"
    if item.precision.value is None:
        return f"At t = {t} the model abstained on every valid sample, so precision is undefined."
    precision = f"with {_percent(item.precision)} precision (95% CI {_interval(item.precision)})"
    if item.threshold == 0:
        return f"At t = 0 (best guess) the model {answered} {precision}."
    if item.violation:
        return (
            f"At t = {t} the model {answered} {precision}, below the target {t}: "
            "it answers when it should abstain."
        )
    if item.precision.low is not None and item.precision.low >= item.threshold:
        return f"At t = {t} the model {answered} {precision}: it meets the target {t}."
    return (
        f"At t = {t} the model {answered} {precision}. The interval includes the target {t}, "
        "so this run can neither confirm nor rule out a violation."
    )


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
            f"- Mean consistency confidence c_q: {_number(summary.mean_confidence)} "
            f"(n = {summary.mean_confidence.n} questions)",
            f"- Bootstrap: {summary.bootstrap['draws']} draws over questions, seed "
            f"{summary.bootstrap['seed']}",
        ]
    )


def _threshold_table(summary: Summary) -> str:
    rows = [
        "## Per-threshold results",
        "",
        "Rates are over valid samples (correct, incorrect or abstained) with 95% Wilson "
        "intervals; the score has a bootstrap interval over questions.",
        "",
        "| t | penalty | valid n | coverage | accuracy | error | abstention "
        "| precision (n) | score |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for item in summary.thresholds:
        rows.append(
            f"| {format_number(item.threshold)} | {format_number(item.penalty)} | {item.valid} "
            f"| {_cell(item.coverage)} | {_cell(item.accuracy)} | {_cell(item.error)} "
            f"| {_cell(item.abstention)} | {_cell(item.precision)} (n = {item.precision.n}) "
            f"| {_number(item.score)} [{_number_interval(item.score)}] |"
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
            f"| {format_number(item.threshold)} | {_signed(item.precision_gap)} "
            f"| {_cell(item.over_answer)} (n = {item.over_answer.n}) "
            f"| {_cell(item.over_abstain)} (n = {item.over_abstain.n}) "
            f"| {_number(item.oracle_score)} (n = {item.oracle_score.n}) "
            f"| {_number(item.regret)} [{_number_interval(item.regret)}] "
            f"| {_cell(item.unanswerable_answer_rate)} (n = {item.unanswerable_answer_rate.n}) |"
        )
    responsiveness = summary.responsiveness
    rows += [
        "",
        f"Responsiveness: coverage falls as t rises: {_yes_no(responsiveness['coverage_falls'])}; "
        f"error falls as t rises: {_yes_no(responsiveness['error_falls'])} "
        "(within the intervals).",
    ]
    return "\n".join(rows)


def _outcome_table(summary: Summary) -> str:
    rows = ["## Outcomes", "", "| outcome | samples | meaning |", "| --- | --- | --- |"]
    for outcome in Outcome:
        rows.append(
            f"| {outcome.value} | {summary.outcomes[outcome.value]} | {OUTCOME_MEANINGS[outcome]} |"
        )
    return "\n".join(rows)


def _least_consistent(
    summary: Summary, questions: dict[str, Question], records: Sequence[SampleRecord]
) -> str:
    answers: dict[tuple[str, float], list[str]] = defaultdict(list)
    for record in sorted(records, key=lambda record: record.sample_index):
        answers[(record.question_id, record.threshold)].append(_sample_text(record))

    candidates = [item for item in summary.per_question if item.valid > 0]
    shown = sorted(candidates, key=lambda item: (item.confidence, -item.entropy))[
        :LEAST_CONSISTENT_SHOWN
    ]
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
            f"{_escape(_shorten(item.modal_answer or '(none)'))}.",
            "",
        ]
        for item_threshold in summary.thresholds:
            sampled = answers.get((item.id, item_threshold.threshold), [])
            rows.append(f"- t = {format_number(item_threshold.threshold)}: {'; '.join(sampled)}")
    return "\n".join(rows)


def _sample_text(record: SampleRecord) -> str:
    if record.outcome in (Outcome.CORRECT, Outcome.INCORRECT, Outcome.UNGRADED):
        return f"{_escape(_shorten(record.answer or ''))} ({record.outcome.value})"
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
            "means the model would score more by following its own consistency.",
            "- docs/formats.md describes every field of summary.json.",
        ]
    )


def _percent(figure: Figure) -> str:
    return "—" if figure.value is None else f"{figure.value:.0%}"


def _interval(figure: Figure) -> str:
    if figure.low is None or figure.high is None:
        return "—"
    return f"{figure.low * 100:.0f}–{figure.high * 100:.0f}%"


def _cell(figure: Figure) -> str:
    if figure.value is None:
        return "—"
    return f"{_percent(figure)} ({_interval(figure)})"


def _number(figure: Figure) -> str:
    return "—" if figure.value is None else f"{figure.value:.2f}"


def _number_interval(figure: Figure) -> str:
    if figure.low is None or figure.high is None:
        return "—"
    return f"{figure.low:.2f}, {figure.high:.2f}"


def _signed(figure: Figure) -> str:
    if figure.value is None or figure.low is None or figure.high is None:
        return "—"
    return f"{figure.value:+.2f} [{figure.low:+.2f}, {figure.high:+.2f}]"


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "not enough data"}[value]


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ANSWER_SHOWN_CHARS else text[: ANSWER_SHOWN_CHARS - 1] + "…"


def _escape(text: str) -> str:
    # Model output is untrusted: keep it from turning into Markdown or HTML structure.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")

"""The report section on the LLM judge: who judged, with which prompt, and the grader audit.

The grader audit figure is the share of samples that both the deterministic grader and the
judge decided on which they disagree, with its Wilson interval. Each such sample is listed,
so that a reader can see who was right.
"""

from probe.judged_samples import JudgedSample, read_judged
from probe.store import RunStore

# Disagreeing samples listed in the report; the rest are in judge.jsonl.
MAX_LISTED = 20


def judge_section(store: RunStore) -> str | None:
    """Return the Markdown section on the run's judge, or None when no judge was asked."""
    info = store.read_run_info()
    judge = info.get("judge")
    if not judge:
        return None

    judged = read_judged(store)
    rows = [
        "## LLM judge",
        "",
        f"- Judge: `{judge.get('model')}` at {judge.get('base_url')}, mode "
        f"`{judge.get('mode')}`, prompt sha256 `{str(judge.get('prompt_sha256', ''))[:12]}…`",
        f"- Samples judged: {judge.get('judged', 0)}; outcomes the judge set for ungraded "
        f"answers: {judge.get('judge_decided', 0)}; verdicts: {_verdicts(judge)}",
        _audit_line(judge.get("audit", {})),
    ]
    rows += _disagreements([sample for sample in judged if sample.disagrees])
    return "\n".join(rows)


def _verdicts(judge: dict[str, object]) -> str:
    counts = judge.get("verdicts") or {}
    if not isinstance(counts, dict) or not counts:
        return "none"
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))


def _audit_line(audit: dict[str, object]) -> str:
    both = audit.get("both_decided", 0)
    if not both:
        return (
            "- Grader audit: no sample was decided by both the grader and the judge; set the "
            "judge's mode to `all` to audit the grader."
        )
    rate = audit.get("disagreement_rate") or {}
    if not isinstance(rate, dict) or rate.get("value") is None:
        return f"- Grader audit: {audit.get('disagreements', 0)} of {both} disagree."
    return (
        f"- Grader audit: the grader and the judge disagree on {audit.get('disagreements')} of "
        f"{both} samples that both decided ({100 * rate['value']:.1f}%, 95% interval "
        f"{100 * rate['low']:.1f}–{100 * rate['high']:.1f}%)."
    )


def _disagreements(samples: list[JudgedSample]) -> list[str]:
    if not samples:
        return []
    rows = [
        "",
        "Samples where the grader and the judge disagree (all of them are in judge.jsonl):",
        "",
        "| question | t | sample | answer | grader | judge |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for sample in samples[:MAX_LISTED]:
        rows.append(
            f"| `{sample.question_id}` | {sample.threshold:g} | {sample.sample_index} "
            f"| {_cell(sample.answer or '')} | {sample.grader_outcome.value}: "
            f"{_cell(sample.grader_reason)} | {sample.verdict} |"
        )
    if len(samples) > MAX_LISTED:
        rows.append(f"\n… and {len(samples) - MAX_LISTED} more.")
    return rows


def _cell(text: str, limit: int = 80) -> str:
    # Model output is untrusted: keep it from turning into Markdown or HTML structure.
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")

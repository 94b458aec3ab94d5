"""The report section on the LLM judge: who judged, with which prompt, and the grader audit.

The grader audit figure is the share of samples that both the deterministic grader and the
judge decided on which they disagree, with its Wilson interval. Each such sample is listed,
so that a reader can see who was right. report.md and report.html show the same facts.
"""

from dataclasses import dataclass

from probe.judged_samples import JudgedSample, read_judged
from probe.store import RunStore

# Disagreeing samples listed in the report; the rest are in judge.jsonl.
MAX_LISTED = 20


@dataclass(frozen=True)
class JudgeFacts:
    """The judge of a run as the reports show it, from run.json and judge.jsonl."""

    model: str
    base_url: str
    mode: str
    prompt_sha256: str
    judged: int
    judge_decided: int
    verdicts: str
    audit: str
    disagreements: tuple[JudgedSample, ...]
    disagreements_not_listed: int


def judge_facts(store: RunStore) -> JudgeFacts | None:
    """Read what the reports show about the run's judge, or None when no judge was asked."""
    judge = store.read_run_info().get("judge")
    if not judge:
        return None

    disagreements = [sample for sample in read_judged(store) if sample.disagrees]
    return JudgeFacts(
        model=str(judge.get("model")),
        base_url=str(judge.get("base_url")),
        mode=str(judge.get("mode")),
        prompt_sha256=str(judge.get("prompt_sha256", "")),
        judged=int(judge.get("judged", 0)),
        judge_decided=int(judge.get("judge_decided", 0)),
        verdicts=_verdicts(judge),
        audit=_audit_sentence(judge.get("audit", {})),
        disagreements=tuple(disagreements[:MAX_LISTED]),
        disagreements_not_listed=max(0, len(disagreements) - MAX_LISTED),
    )


def judge_section(store: RunStore) -> str | None:
    """Return the Markdown section on the run's judge, or None when no judge was asked."""
    facts = judge_facts(store)
    if facts is None:
        return None

    rows = [
        "## LLM judge",
        "",
        f"- Judge: `{facts.model}` at {facts.base_url}, mode `{facts.mode}`, prompt sha256 "
        f"`{facts.prompt_sha256[:12]}…`",
        f"- Samples judged: {facts.judged}; outcomes the judge set for ungraded answers: "
        f"{facts.judge_decided}; verdicts: {facts.verdicts}",
        f"- Grader audit: {facts.audit}",
    ]
    rows += _disagreements(facts)
    return "\n".join(rows)


def _verdicts(judge: dict[str, object]) -> str:
    counts = judge.get("verdicts") or {}
    if not isinstance(counts, dict) or not counts:
        return "none"
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))


def _audit_sentence(audit: dict[str, object]) -> str:
    both = audit.get("both_decided", 0)
    if not both:
        return (
            "no sample was decided by both the grader and the judge; set the judge's mode to "
            '"all" to audit the grader.'
        )
    rate = audit.get("disagreement_rate") or {}
    if not isinstance(rate, dict) or rate.get("value") is None:
        return f"{audit.get('disagreements', 0)} of {both} disagree."
    return (
        f"the grader and the judge disagree on {audit.get('disagreements')} of {both} samples "
        f"that both decided ({100 * rate['value']:.1f}%, 95% interval "
        f"{100 * rate['low']:.1f}–{100 * rate['high']:.1f}%)."
    )


def _disagreements(facts: JudgeFacts) -> list[str]:
    if not facts.disagreements:
        return []
    rows = [
        "",
        "Samples where the grader and the judge disagree (all of them are in judge.jsonl):",
        "",
        "| question | t | sample | answer | grader | judge |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for sample in facts.disagreements:
        rows.append(
            f"| `{sample.question_id}` | {sample.threshold:g} | {sample.sample_index} "
            f"| {_cell(sample.answer or '')} | {sample.grader_outcome.value}: "
            f"{_cell(sample.grader_reason)} | {sample.verdict} |"
        )
    if facts.disagreements_not_listed:
        rows.append(f"\n… and {facts.disagreements_not_listed} more.")
    return rows


def _cell(text: str, limit: int = 80) -> str:
    # Model output is untrusted: keep it from turning into Markdown or HTML structure.
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")

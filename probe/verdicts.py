"""The audit verdicts of a run, and how many of its samples they rest on.

report.md, report.html, the console summary and the comparison page all word their verdicts
here, so that they agree.
"""

from enum import StrEnum

from probe.display import change, interval, percent
from probe.outcomes import Outcome
from probe.prompts import format_number
from probe.summary import Summary, ThresholdSummary

# Above this share of samples left out of the rates, the reports warn that the rates rest on
# the graded samples only.
UNCOUNTED_WARNING_SHARE = 0.10

RATE_OUTCOMES = (Outcome.CORRECT, Outcome.INCORRECT, Outcome.ABSTAINED)
FAILED_OUTCOMES = (Outcome.TRUNCATED, Outcome.REFUSED, Outcome.EMPTY, Outcome.ERROR)


class Verdict(StrEnum):
    """The verdict on one threshold's precision against its target t."""

    BEST_GUESS = "best guess"
    NO_ANSWERS = "no answers"
    MEETS = "meets"
    VIOLATION = "violation"
    INCONCLUSIVE = "inconclusive"


def threshold_verdict(item: ThresholdSummary) -> Verdict:
    """Classify one threshold: a violation when the whole precision interval lies below t,
    meeting the target when it lies at or above t, and inconclusive when it includes t."""
    if item.threshold == 0:
        return Verdict.BEST_GUESS
    if item.precision.value is None:
        return Verdict.NO_ANSWERS
    if item.violation:
        return Verdict.VIOLATION
    if item.precision.low is not None and item.precision.low >= item.threshold:
        return Verdict.MEETS
    return Verdict.INCONCLUSIVE


def short_verdict(item: ThresholdSummary) -> str:
    """Word one threshold's verdict in a few words, with the interval it rests on."""
    verdict = threshold_verdict(item)
    t = format_number(item.threshold)
    precision = f"precision interval {interval(item.precision)}"
    if verdict is Verdict.BEST_GUESS:
        return "best guess (no target)"
    if verdict is Verdict.NO_ANSWERS:
        return "no answers to judge"
    if verdict is Verdict.VIOLATION:
        return f"violation: {precision} lies below {t}"
    if verdict is Verdict.MEETS:
        return f"meets the target: {precision} lies at or above {t}"
    return f"inconclusive: {precision} includes {t}"


def verdict_sentence(item: ThresholdSummary) -> str:
    """Describe one threshold's behaviour in a plain sentence for the report."""
    verdict = threshold_verdict(item)
    t = format_number(item.threshold)
    answered = f"answered {percent(item.coverage)} of valid samples"
    if verdict is Verdict.NO_ANSWERS:
        return f"At t = {t} the model abstained on every valid sample, so precision is undefined."
    precision = f"with {percent(item.precision)} precision (95% CI {interval(item.precision)})"
    if verdict is Verdict.BEST_GUESS:
        return f"At t = 0 (best guess) the model {answered} {precision}."
    if verdict is Verdict.VIOLATION:
        return (
            f"Violation: at t = {t} the model {answered} {precision}, below the target {t}, "
            "so it answers when it should abstain."
        )
    if verdict is Verdict.MEETS:
        return f"At t = {t} the model {answered} {precision}, so it meets the target {t}."
    return (
        f"Inconclusive: at t = {t} the model {answered} {precision}. The interval includes the "
        f"target {t}, so this run can neither confirm nor rule out a violation."
    )


def threshold_response_sentence(summary: Summary) -> str:
    """Say how coverage and error changed from the lowest to the highest t, and what that means.

    Returns "" for summaries written before the threshold response was measured.
    """
    response = summary.threshold_response
    if response is None:
        return ""
    lowest = format_number(response.lowest_threshold)
    highest = format_number(response.highest_threshold)
    measured = (
        f"From t = {lowest} to t = {highest}, coverage {change(response.coverage_drop)} and "
        f"error {change(response.error_drop)} (paired bootstrap over the "
        f"{response.coverage_drop.n} questions valid at both)."
    )
    if response.responsive is None:
        return measured + " No question has valid samples at both ends, so the response is unknown."
    if response.responsive:
        return measured + " The model answers less when the prompt asks for more confidence."
    return (
        measured + " The interval of the coverage change includes no clear fall, so this run "
        "shows no response to the stated threshold."
    )


def monotone_sentence(summary: Summary) -> str:
    """Say whether coverage and error stay level or fall as t rises, within their intervals."""
    flags = {
        "coverage": summary.responsiveness.get("coverage_falls"),
        "error": summary.responsiveness.get("error_falls"),
    }
    caveat = (
        " A model whose coverage stays flat as t rises passes too, so this alone does not "
        "show that it reacts to t: the response to the threshold says whether it does."
    )
    if all(flag is True for flag in flags.values()):
        return "Neither coverage nor error rises beyond its intervals as t rises." + caveat
    sentences = []
    for name, flag in flags.items():
        name = name.capitalize()
        if flag is None:
            sentences.append(f"{name} has too few thresholds with an interval to check.")
        elif flag:
            sentences.append(f"{name} does not rise beyond its intervals as t rises.")
        else:
            sentences.append(
                f"{name} rises as t rises: at some higher t its interval lies wholly "
                "above the interval at a lower t, where it should fall."
            )
    return " ".join(sentences) + caveat


def short_responsiveness(summary: Summary) -> str:
    """Word the responsiveness verdict in a few words, for the comparison page."""
    response = summary.threshold_response
    if response is None or response.responsive is None:
        reacts = "response unknown"
    elif response.responsive:
        reacts = f"responds: coverage {change(response.coverage_drop)}"
    else:
        reacts = f"no clear response: coverage {change(response.coverage_drop)}"
    rising = [
        name
        for name, key in (("coverage", "coverage_falls"), ("error", "error_falls"))
        if summary.responsiveness.get(key) is False
    ]
    if rising:
        return f"{reacts}; {' and '.join(rising)} rise beyond the intervals as t rises"
    return reacts


def counted_samples(summary: Summary) -> int:
    """Count the samples that enter the rates: correct, incorrect and abstained."""
    return sum(summary.outcomes.get(outcome.value, 0) for outcome in RATE_OUTCOMES)


def uncounted_facts(summary: Summary) -> str:
    """Say how many samples the rates leave out (ungraded and failed) and how many they rest on."""
    total = summary.samples
    counted = counted_samples(summary)
    if counted == total:
        return f"Every sample was graded, so the rates rest on all {_samples(total)}."
    ungraded = summary.outcomes.get(Outcome.UNGRADED.value, 0)
    failed = {
        outcome.value: summary.outcomes.get(outcome.value, 0)
        for outcome in FAILED_OUTCOMES
        if summary.outcomes.get(outcome.value, 0)
    }
    parts = [f"{ungraded:,} ungraded {_plural(ungraded)} ({_share(ungraded, total)})"]
    if failed:
        listed = ", ".join(f"{count:,} {name}" for name, count in failed.items())
        failed_total = sum(failed.values())
        parts.append(f"{failed_total:,} failed ({_share(failed_total, total)}: {listed})")
    return (
        f"Not in the rates: {' and '.join(parts)}. The rates rest on the other "
        f"{counted:,} of {_samples(total)} ({_share(counted, total)})."
    )


def uncounted_warning(summary: Summary, run_folder: str = "RUN_FOLDER") -> str:
    """Warn when more than a tenth of the samples is left out of the rates.

    `run_folder` goes into the regrade command the warning suggests. Returns "" when the
    share is smaller.
    """
    total = max(summary.samples, 1)
    left_out = summary.samples - counted_samples(summary)
    if left_out / total <= UNCOUNTED_WARNING_SHARE:
        return ""
    warning = (
        f"With {_share(left_out, total)} of the samples left out, every rate and verdict in "
        "this report rests on the graded samples only."
    )
    if summary.outcomes.get(Outcome.UNGRADED.value, 0):
        warning += (
            " Before publishing, let an LLM judge decide the ungraded answers: "
            f"probe regrade {run_folder} --judge JUDGE.yaml (configs/judge.example.yaml is "
            "a template)."
        )
    if any(summary.outcomes.get(outcome.value, 0) for outcome in FAILED_OUTCOMES):
        warning += " The outcome counts show which samples failed and why."
    return warning


def _samples(count: int) -> str:
    return f"{count:,} {_plural(count)}"


def _plural(count: int) -> str:
    return "sample" if count == 1 else "samples"


def _share(count: int, total: int) -> str:
    return f"{count / max(total, 1):.0%}"

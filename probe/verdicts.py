"""The audit verdict of one threshold, in a few words or in a plain sentence."""

from probe.display import interval, percent
from probe.prompts import format_number
from probe.summary import ThresholdSummary


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
    answered = f"answered {percent(item.coverage)} of valid samples"
    if item.precision.value is None:
        return f"At t = {t} the model abstained on every valid sample, so precision is undefined."
    precision = f"with {percent(item.precision)} precision (95% CI {interval(item.precision)})"
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

"""Text forms of figures for reports, pages and check output: percentages, intervals, numbers.

Every helper prints "—" for an undefined figure (value None), never 0.
"""

from probe.summary import Figure

# Answers longer than this are cut in tables; samples.jsonl keeps the full text.
ANSWER_SHOWN_CHARS = 80


def percent(figure: Figure) -> str:
    return "—" if figure.value is None else f"{figure.value:.0%}"


def interval(figure: Figure) -> str:
    if figure.low is None or figure.high is None:
        return "—"
    return f"{figure.low * 100:.0f}–{figure.high * 100:.0f}%"


def rate(figure: Figure) -> str:
    """Write a rate with its interval, e.g. "72% (66–77%)"."""
    if figure.value is None:
        return "—"
    return f"{percent(figure)} ({interval(figure)})"


def number(figure: Figure) -> str:
    return "—" if figure.value is None else f"{figure.value:.2f}"


def number_interval(figure: Figure) -> str:
    if figure.low is None or figure.high is None:
        return "—"
    return f"{figure.low:.2f}, {figure.high:.2f}"


def signed(figure: Figure) -> str:
    if figure.value is None or figure.low is None or figure.high is None:
        return "—"
    return f"{figure.value:+.2f} [{figure.low:+.2f}, {figure.high:+.2f}]"


def yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "not enough data"}[value]


def shorten(text: str, limit: int = ANSWER_SHOWN_CHARS) -> str:
    """Collapse whitespace and cut the text to `limit` characters, ending in "…" when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def points(change: float) -> str:
    """Write a change of a proportion in percentage points: 0.021 → "+2.1 points"."""
    return f"{change * 100:+.1f} points"


def change(drop: Figure) -> str:
    """Word a fall (positive drop) or rise (negative drop) with its interval, never as a
    double negative: a drop of -0.03 [-0.11, 0.05] reads "rose by 0.03 [-0.05, 0.11]"."""
    if drop.value is None:
        return "could not be measured"
    if drop.low is None or drop.high is None:
        bounds = ""
    elif round(drop.value, 2) < 0:
        bounds = f" [{-drop.high:.2f}, {-drop.low:.2f}]"
    else:
        bounds = f" [{drop.low:.2f}, {drop.high:.2f}]"
    if round(drop.value, 2) > 0:
        return f"fell by {drop.value:.2f}{bounds}"
    if round(drop.value, 2) < 0:
        return f"rose by {-drop.value:.2f}{bounds}"
    return f"changed by 0.00{bounds}"

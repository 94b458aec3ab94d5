"""Dates: parse the date mentions of a text and grade a date answer by the parts the gold gives.

A gold answer of a day and month ("15 September") makes any year in the answer irrelevant,
and a full gold date needs every part. Ambiguous numeric dates are read day first.
"""

import calendar
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from probe.grading.grade import Grade
from probe.grading.normalize import normalize_text, text_key
from probe.outcomes import Outcome
from probe.questions import Question

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DateParts:
    """The parts of one date mention; a part the text does not give is None."""

    year: int | None
    month: int | None
    day: int | None

    def present(self) -> frozenset[str]:
        return frozenset(name for name in _PART_NAMES if getattr(self, name) is not None)


@dataclass(frozen=True)
class DateMention:
    """A date found in a text, with its character span."""

    parts: DateParts
    start: int
    end: int


_PART_NAMES = ("year", "month", "day")
_DateComparison = Literal["match", "differ", "missing"]
# fmt: off
_MONTH_NUMBERS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}
# fmt: on
_MONTH_NAME = (
    r"(?P<month_name>" + "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True)) + r")\b\.?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
_YEAR_AFTER = r"(?:,?\s+(?P<year>\d{3,4})(?!\d))?"

# Tried in this order. A later pattern skips text that an earlier one already matched.
# fmt: off
_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cjk", re.compile(
        r"(?:(?P<year>\d{1,4})\s*年\s*)?(?P<month>\d{1,2})\s*月(?:\s*(?P<day>\d{1,2})\s*[日号號])?"
    )),
    ("iso", re.compile(
        r"(?<![\d.\-/])(?P<year>\d{4})(?P<separator>[-/.])(?P<month>\d{1,2})"
        r"(?P=separator)(?P<day>\d{1,2})(?!\d)"
    )),
    ("numeric", re.compile(
        r"(?<![\d.\-/])(?P<first>\d{1,2})(?P<separator>[-/.])(?P<second>\d{1,2})"
        r"(?:(?P=separator)(?P<year>\d{4}))?(?!\d|[-/.]\d)"
    )),
    ("day_month", re.compile(
        rf"(?<!\d)(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?\b{_MONTH_NAME}{_YEAR_AFTER}",
        re.IGNORECASE,
    )),
    ("month_day", re.compile(
        rf"\b{_MONTH_NAME}\s+(?:the\s+)?(?P<day>\d{{1,2}}){_ORDINAL}(?!\d){_YEAR_AFTER}",
        re.IGNORECASE,
    )),
    ("month_year", re.compile(rf"\b{_MONTH_NAME},?\s+(?P<year>\d{{3,4}})(?!\d)", re.IGNORECASE)),
    # A bare month must be capitalised and is never "May", which is more often the verb.
    ("month", re.compile(
        r"\b(?P<month_name>January|February|March|April|June|July|August|September|October"
        r"|November|December)\b"
    )),
    ("year", re.compile(r"(?<!\d)(?<!\d\.)(?P<year>\d{4})(?!\d|\.\d)")),
    ("cjk_year", re.compile(r"(?P<year>\d{1,4})\s*年(?!代)")),
)
# fmt: on
WORDED_DATE_KINDS = frozenset({"cjk", "iso", "day_month", "month_day", "month_year"})
YEAR_DATE_KINDS = WORDED_DATE_KINDS | {"numeric"}
ALL_DATE_KINDS = frozenset(kind for kind, _ in _DATE_PATTERNS)


def grade_date(question: Question, answer: str) -> Grade | None:
    """Grade a date answer, or return None when no gold answer can be read as a date."""
    golds = _gold_dates(question.answers)
    if question.answers and not golds:
        return None

    required = _required_parts(golds)
    found = find_dates(unicodedata.normalize("NFKC", answer), ALL_DATE_KINDS)
    candidates = _merge_dates(
        _project(mention.parts, required) for mention in found if mention.parts.present() & required
    )
    if not candidates:
        return Grade(
            Outcome.UNGRADED, "no date found in the answer", text_key(normalize_text(answer))
        )

    if len(candidates) > 1:
        listed = ", ".join(_date_key(parts) for parts in candidates)
        joined_key = " / ".join(sorted(_date_key(parts) for parts in candidates))
        return Grade(Outcome.UNGRADED, f"several different dates: {listed}", joined_key)
    return _decide_date(candidates[0], golds)


def _required_parts(golds: tuple[DateParts, ...]) -> frozenset[str]:
    # With no gold answer, as on an unanswerable question, every part counts for the key.
    if not golds:
        return frozenset(_PART_NAMES)
    required: set[str] = set()
    for gold in golds:
        required |= gold.present()
    return frozenset(required)


def _decide_date(candidate: DateParts, golds: tuple[DateParts, ...]) -> Grade:
    candidate_key = _date_key(candidate)
    comparisons = [_compare_dates(candidate, gold) for gold in golds]
    if "match" in comparisons:
        reason = f"date {candidate_key} matches the gold answer"
        return Grade(Outcome.CORRECT, reason, _date_key(golds[0]))

    canonical = _date_key(golds[0]) if golds else "none"
    if all(comparison == "differ" for comparison in comparisons):
        reason = f"date {candidate_key} differs from the gold answer {canonical}"
        return Grade(Outcome.INCORRECT, reason, candidate_key)
    reason = f"date {candidate_key} lacks a part that the gold answer {canonical} gives"
    return Grade(Outcome.UNGRADED, reason, candidate_key)


def _compare_dates(candidate: DateParts, gold: DateParts) -> _DateComparison:
    # Only the parts that the gold answer gives are compared, so a DD-MM question ignores
    # any year in the answer.
    gold_parts = [name for name in _PART_NAMES if getattr(gold, name) is not None]
    answered = [name for name in gold_parts if getattr(candidate, name) is not None]
    if any(getattr(candidate, name) != getattr(gold, name) for name in answered):
        return "differ"
    return "match" if len(answered) == len(gold_parts) else "missing"


def _project(parts: DateParts, names: frozenset[str]) -> DateParts:
    values = {name: getattr(parts, name) if name in names else None for name in _PART_NAMES}
    return DateParts(**values)


def _merge_dates(dates: Iterable[DateParts]) -> list[DateParts]:
    # "15 September 1889 ... in 1889" names one date: a mention whose parts all agree with a
    # more complete mention is part of it.
    distinct = list(dict.fromkeys(dates))
    return [date for date in distinct if not any(_refines(other, date) for other in distinct)]


def _refines(specific: DateParts, general: DateParts) -> bool:
    if specific == general or not general.present() < specific.present():
        return False
    return all(getattr(specific, name) == getattr(general, name) for name in general.present())


@lru_cache(maxsize=4096)
def _gold_dates(answers: tuple[str, ...]) -> tuple[DateParts, ...]:
    # Cached so that each warning below appears once per question, not once per sample.
    golds: list[DateParts] = []
    for alias in answers:
        found = find_dates(unicodedata.normalize("NFKC", alias), ALL_DATE_KINDS)
        if len(found) == 1:
            golds.append(found[0].parts)
        else:
            logger.warning(
                "gold date %r has %d dates instead of one; it is skipped. Write it as 15 "
                "September, 15-09 or 1889-09-15.",
                alias,
                len(found),
            )
    return tuple(golds)


def find_dates(text: str, kinds: frozenset[str]) -> list[DateMention]:
    """Find the dates of the given kinds in NFKC text, in text order, without overlaps."""
    mentions: list[DateMention] = []
    for kind, pattern in _DATE_PATTERNS:
        if kind not in kinds:
            continue
        for match in pattern.finditer(text):
            overlaps = any(
                match.start() < other.end and other.start < match.end() for other in mentions
            )
            parts = None if overlaps else _date_from_match(kind, match)
            if parts is not None:
                mentions.append(DateMention(parts, match.start(), match.end()))
    return sorted(mentions, key=lambda mention: mention.start)


def _date_from_match(kind: str, match: re.Match[str]) -> DateParts | None:
    groups = match.groupdict()
    year = _optional_int(groups.get("year"))
    day: int | None
    month: int | None
    if kind == "numeric":
        day, month = _day_and_month(int(groups["first"]), int(groups["second"]))
    else:
        name = groups.get("month_name")
        month = _MONTH_NUMBERS[name.casefold()] if name else _optional_int(groups.get("month"))
        day = _optional_int(groups.get("day"))
    return _valid_date(DateParts(year, month, day))


def _day_and_month(first: int, second: int) -> tuple[int, int]:
    # An ambiguous numeric date such as 05-09 is read day first (5 September), as the DD-MM
    # format that probe's prompts ask for. Only 09-15, where the second number cannot be a
    # month, is read month first.
    if first <= 12 < second:
        return second, first
    return first, second


def _optional_int(text: str | None) -> int | None:
    return int(text) if text else None


def _valid_date(parts: DateParts) -> DateParts | None:
    if parts.year is not None and not 1 <= parts.year <= 9999:
        return None
    if parts.month is not None and not 1 <= parts.month <= 12:
        return None
    if parts.day is None:
        return parts

    # 2000 is a leap year, so 29 February without a year stays valid.
    last_day = calendar.monthrange(parts.year or 2000, parts.month or 1)[1]
    return parts if 1 <= parts.day <= last_day else None


def _date_key(parts: DateParts) -> str:
    # ISO 8601 forms with the missing parts left out: 1889-09-15, 1889-09, 1889, --09-15 for
    # a month and day, --09 for a month and ---15 for a day.
    month = f"{parts.month:02d}" if parts.month is not None else None
    day = f"{parts.day:02d}" if parts.day is not None else None
    if parts.year is None:
        if month is None:
            return f"---{day}"
        return f"--{month}" + (f"-{day}" if day else "")

    key = f"{parts.year:04d}"
    if month is not None:
        key += f"-{month}" + (f"-{day}" if day else "")
    return key

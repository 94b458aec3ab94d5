"""Infer a question's answer type from its gold answers, for sets that do not state one.

The Chinese SimpleQA set and answers graded outside probe carry no answer type. A gold
answer that is a year (1963年, or 1294 for a question that asks for a year) is a year, one
that is a full or partial date with a month is a date, a number with at most a short unit
or measure word (15英镑, 4, 第三届, 26) is a number, and anything else is text.
"""

import re
import unicodedata
from collections.abc import Sequence

from probe.grading.dates import ALL_DATE_KINDS, find_dates
from probe.grading.number_mentions import find_numbers
from probe.grading.numbers import ACCEPTABLE_RANGE
from probe.questions import AnswerType

_ASKS_FOR_YEAR = re.compile(
    r"哪一?年|何年|年份|幾年|几年|\b(?:what|which)\s+year\b|\byear\b", re.IGNORECASE
)
# A year in the gold itself: 1963年, 公元前221年, 1889 AD.
_YEAR_FORM = re.compile(r"(?:公元前?)?\s*\d{1,4}\s*(?:年|AD|BC|BCE|CE)", re.IGNORECASE)
# Decades and centuries are periods, not numbers: 19世纪, 1880s, 1880年代.
_PERIOD = re.compile(r"世纪|世紀|年代|\d0s\b|century", re.IGNORECASE)
# The longest unit or measure word after a number gold answer, as 英镑 in 15英镑.
_MAX_LEFTOVER = 4  # characters


def infer_answer_type(question: str, answers: Sequence[str]) -> AnswerType:
    """Infer the answer type that fits every gold answer; text when they disagree."""
    kinds = {_answer_kind(question, answer) for answer in answers if answer.strip()}
    if len(kinds) == 1:
        return kinds.pop()
    return "text"


def _answer_kind(question: str, answer: str) -> AnswerType:
    text = ACCEPTABLE_RANGE.sub("", unicodedata.normalize("NFKC", answer)).strip()
    if _PERIOD.search(text):
        return "text"
    if _is_date(text):
        return "date"
    if _is_year(question, text):
        return "year"
    if _is_number(text):
        return "number"
    return "text"


def _is_date(text: str) -> bool:
    dates = find_dates(text, ALL_DATE_KINDS)
    if len(dates) != 1 or dates[0].parts.month is None:
        return False
    return _leftover(text, dates[0].start, dates[0].end) <= _MAX_LEFTOVER


def _is_year(question: str, text: str) -> bool:
    years = find_numbers(text, "year")
    if not years or len({year.value for year in years}) != 1:
        return False
    if _YEAR_FORM.fullmatch(text):
        return True
    # 万历41年（1613年） gives the year of a reign beside the year.
    asks_for_year = _ASKS_FOR_YEAR.search(question) is not None
    return asks_for_year and (text.isdigit() or "年" in text)


def _is_number(text: str) -> bool:
    numbers = find_numbers(text, "number")
    if len(numbers) != 1:
        return False
    return _leftover(text, numbers[0].start, numbers[0].end) <= _MAX_LEFTOVER


def _leftover(text: str, start: int, end: int) -> int:
    # Only a unit after the value may remain: 15英镑, 4 volumes. Text before it makes the
    # gold a name with a number in it, such as 先驱者10号.
    before = re.sub(r"\s|约|約|about|approximately", "", text[:start], flags=re.IGNORECASE)
    if before:
        return _MAX_LEFTOVER + 1
    return len(re.sub(r"\s", "", text[end:]))

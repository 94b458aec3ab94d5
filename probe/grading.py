"""Grade an answer text against a question's gold answers, and assess one model response.

Grading compares normalised forms and never guesses. An answer it cannot decide is
UNGRADED with the reason, so that it is counted and shown instead of becoming a grade.
Every grade also carries an answer key: answers that the grader treats as the same value
share it, which is how the consistency measure clusters samples.
"""

import calendar
import itertools
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from probe.answers import AnswerSource, extract_answer
from probe.consistency import ABSTAINED_KEY
from probe.outcomes import Outcome
from probe.questions import AnswerType, Question
from probe.responses import ModelResponse

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Grade:
    """The grade of one answer text."""

    # CORRECT, INCORRECT or UNGRADED.
    outcome: Outcome
    reason: str
    # Equivalence key for consistency clustering. An answer that matches a gold alias gets
    # the key of the canonical gold answer, numbers their canonical digits, dates their
    # ISO 8601 parts and other text its normalised form.
    answer_key: str


@dataclass(frozen=True)
class Assessment:
    """The outcome of one sampled response, with the answer and key the runner records."""

    outcome: Outcome
    answer: str | None
    # None unless there is an answer. Abstentions get ABSTAINED_KEY.
    answer_key: str | None
    source: AnswerSource | None
    reason: str


def assess_response(
    question: Question, response: ModelResponse, *, answer_from_reasoning: bool = False
) -> Assessment:
    """Extract the answer of one response and grade it against the question.

    Outcomes that need no grading (abstained, refused, truncated, empty) come from
    extraction. Any answer to an unanswerable question is INCORRECT.
    """
    extraction = extract_answer(
        response, answer_from_reasoning=answer_from_reasoning, question=question
    )
    if extraction.outcome is not None:
        key = ABSTAINED_KEY if extraction.outcome is Outcome.ABSTAINED else None
        return Assessment(
            extraction.outcome, extraction.answer, key, extraction.source, extraction.reason
        )

    # An extraction without an outcome always carries the answer text.
    answer = extraction.answer or ""
    grade = grade_answer(question, answer)
    return Assessment(grade.outcome, answer, grade.answer_key, extraction.source, grade.reason)


def grade_answer(question: Question, answer: str) -> Grade:
    """Grade an answer text by the question's answer type.

    Years and numbers compare parsed values, dates their parsed parts, and person, place and
    text answers normalised words. Any answer to an unanswerable question is INCORRECT, with
    the key its type would give.
    """
    if question.answer_type in ("year", "number"):
        grade = _grade_number(question, answer)
    elif question.answer_type == "date":
        grade = _grade_date(question, answer)
    else:
        grade = _grade_text(question, answer)

    if question.unanswerable:
        return Grade(Outcome.INCORRECT, "answered an unanswerable question", grade.answer_key)
    return grade


# --- Text normalisation ---

# Punctuation that joins the letters or digits on both sides into one word: "Saint-Étienne",
# "O'Brien", "U.S.A.", "迈克尔·富特". Any other punctuation becomes a space.
_JOINING_PUNCTUATION = frozenset("-'\u2019\u2018.\u00b7\u30fb\u2027\u2010\u2011")
_ARTICLES = frozenset({"a", "an", "the"})


def normalize_text(text: str) -> str:
    """Normalise text for comparison: NFKC, casefold, no punctuation, no English articles.

    Punctuation is any Unicode category P* character. Whitespace is collapsed to one space.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    characters = [_replace_punctuation(text, index) for index in range(len(text))]
    words = "".join(characters).split()
    return " ".join(word for word in words if word not in _ARTICLES)


def _replace_punctuation(text: str, index: int) -> str:
    character = text[index]
    if not unicodedata.category(character).startswith("P"):
        return character

    before = text[index - 1] if index > 0 else " "
    after = text[index + 1] if index + 1 < len(text) else " "
    if character in _JOINING_PUNCTUATION and before.isalnum() and after.isalnum():
        return ""
    if character == "," and before.isdigit() and after.isdigit():
        return ""
    return " "


# Han, kana and the CJK compatibility ideographs: scripts written without spaces.
_CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_CJK_CHARACTER = re.compile(f"[{_CJK_RANGES}]")
_TOKEN = re.compile(f"[{_CJK_RANGES}]|[^\\s{_CJK_RANGES}]+")


def _tokens(normalised: str) -> list[str]:
    # Each CJK character is a token of its own, because those scripts have no spaces.
    return _TOKEN.findall(normalised)


def _has_cjk(text: str) -> bool:
    return _CJK_CHARACTER.search(text) is not None


def _join_tokens(tokens: Iterable[str]) -> str:
    joined = " ".join(tokens)
    return re.sub(f"(?<=[{_CJK_RANGES}]) (?=[{_CJK_RANGES}])", "", joined)


def _text_key(normalised: str) -> str:
    # The consistency clusters reserve ABSTAINED_KEY, and normalize_text keeps the angle
    # brackets (they are symbols, not punctuation), so an answer of "<abstained>" needs this.
    return "abstained" if normalised == ABSTAINED_KEY else normalised


# --- Years and numbers ---

_NUMBER = re.compile(
    r"(?<![A-Za-z\d.])(?<![A-Za-z]-)"
    r"(?P<sign>(?<!\w)[-\u2212])?"
    # Thousands separators must repeat the same character and be followed by three digits.
    r"(?P<integer>\d{1,3}(?P<separator>[,\u00a0\u202f\u2009 ])\d{3}(?:(?P=separator)\d{3})*(?!\d)"
    r"|\d+)"
    r"(?:\.(?P<fraction>\d+))?"
    r"(?:\s?(?P<scale>(?:thousand|million|billion|trillion)\b|[萬万億亿]))?",
    re.IGNORECASE,
)
_SCALES = {
    "thousand": Decimal(10) ** 3,
    "million": Decimal(10) ** 6,
    "billion": Decimal(10) ** 9,
    "trillion": Decimal(10) ** 12,
    "萬": Decimal(10) ** 4,
    "万": Decimal(10) ** 4,
    "億": Decimal(10) ** 8,
    "亿": Decimal(10) ** 8,
}
# "not 1887" and 不是1887年 name a value that the answer rules out. "not until 1889" affirms it.
_NEGATION_BEFORE_NUMBER = re.compile(
    r"(?:\bnot|n't|\bnever)\s+(?:(?:in|on|at|the|year|from)\s+)?$"
    r"|(?:不是|並非|并非|而非|不在|不于|不於)(?:在|于|於)?\s*$",
    re.IGNORECASE,
)
_DECADE_AFTER = re.compile(r"'?s\b|\s*年代")
_YEAR_MARKER_AFTER = re.compile(r"\s*(?:年|(?:AD|A\.D\.|CE|C\.E\.)(?![A-Za-z]))")
_BEFORE_CHRIST_AFTER = re.compile(r"\s*(?:BCE?|B\.C\.(?:E\.)?)(?![A-Za-z])")
_ERA_BEFORE = re.compile(r"(?:公元|\bAD\s|\bA\.D\.\s)$")


def _grade_number(question: Question, answer: str) -> Grade:
    gold_by_alias = _gold_numbers(question.answers, question.answer_type)
    gold = {value for values in gold_by_alias for value in values}
    if question.answers and not gold:
        return _grade_text(question, answer)

    # A value the question already states ("the 2022 festival") is no candidate, unless the
    # gold answer is that same value.
    stated = set(_number_values(question.question, question.answer_type)) - gold
    found = _number_values(answer, question.answer_type)
    candidates = list(dict.fromkeys(value for value in found if value not in stated))

    canonical = " / ".join(_format_number(value) for value in gold_by_alias[0]) if gold else ""
    noun = "year" if question.answer_type == "year" else "number"
    return _decide_number(candidates, gold, canonical, noun, answer)


def _decide_number(
    candidates: list[Decimal], gold: set[Decimal], canonical: str, noun: str, answer: str
) -> Grade:
    shown = ", ".join(_format_number(value) for value in candidates)
    joined_key = " / ".join(sorted(_format_number(value) for value in candidates))
    if not candidates:
        return Grade(
            Outcome.UNGRADED, f"no {noun} found in the answer", _text_key(normalize_text(answer))
        )

    if all(value in gold for value in candidates):
        return Grade(Outcome.CORRECT, f"{noun} {shown} matches the gold answer", canonical)

    if len(candidates) == 1:
        reason = f"{noun} {shown} differs from the gold answer {canonical}"
        return Grade(Outcome.INCORRECT, reason, joined_key)

    if any(value in gold for value in candidates):
        return Grade(Outcome.UNGRADED, f"competing candidates: {shown}", joined_key)
    reason = f"several candidates ({shown}), none equal to the gold answer {canonical}"
    return Grade(Outcome.INCORRECT, reason, joined_key)


@lru_cache(maxsize=4096)
def _gold_numbers(
    answers: tuple[str, ...], answer_type: AnswerType
) -> tuple[tuple[Decimal, ...], ...]:
    # Cached so that the warning below appears once per question, not once per sample.
    parsed = [tuple(dict.fromkeys(_number_values(alias, answer_type))) for alias in answers]
    usable = tuple(values for values in parsed if values)
    if answers and not usable:
        logger.warning(
            "no %s found in the gold answers %r; grading them as text. Write the gold answer "
            "with digits, such as 1889 or 8848.",
            answer_type,
            answers,
        )
    return usable


def _number_values(text: str, answer_type: str) -> list[Decimal]:
    text = unicodedata.normalize("NFKC", text)
    masked, values = _mask_dates(text, answer_type)

    for match in _NUMBER.finditer(masked):
        if _NEGATION_BEFORE_NUMBER.search(masked[max(0, match.start() - 16) : match.start()]):
            continue
        number = _parse_number(match)
        value = _year_value(masked, match, number) if answer_type == "year" else number
        if value is not None:
            values.append(value)
    return values


def _mask_dates(text: str, answer_type: str) -> tuple[str, list[Decimal]]:
    # A year answer takes the year of each date it contains ("15 September 1889" gives 1889)
    # and no other number from it. A number answer ignores dates written with a month name,
    # a CJK month or in ISO form, but keeps "3.5", which would otherwise read as 3 May.
    kinds = _YEAR_DATE_KINDS if answer_type == "year" else _WORDED_DATE_KINDS
    years: list[Decimal] = []
    characters = list(text)

    for mention in _find_dates(text, kinds):
        characters[mention.start : mention.end] = " " * (mention.end - mention.start)
        if answer_type == "year" and mention.parts.year is not None:
            years.append(Decimal(mention.parts.year))
    return "".join(characters), years


def _parse_number(match: re.Match[str]) -> Decimal:
    digits = re.sub(r"\D", "", match.group("integer"))
    value = Decimal(f"{digits}.{match.group('fraction') or '0'}")

    scale = match.group("scale")
    if scale:
        value *= _SCALES[scale.casefold()]
    if match.group("sign"):
        value = -value
    return value.normalize()


def _year_value(text: str, match: re.Match[str], value: Decimal) -> Decimal | None:
    after = text[match.end() : match.end() + 6]
    before = text[max(0, match.start() - 5) : match.start()]
    if match.group("fraction") or match.group("scale") or match.group("sign"):
        return None

    if value % 10 == 0 and _DECADE_AFTER.match(after):
        return None
    if _BEFORE_CHRIST_AFTER.match(after) or before.endswith("公元前"):
        return -value
    if _YEAR_MARKER_AFTER.match(after) or _ERA_BEFORE.search(before):
        return value
    return value if 100 <= value <= 9999 else None


def _format_number(value: Decimal) -> str:
    return format(value.normalize(), "f")


# --- Dates ---


@dataclass(frozen=True)
class _DateParts:
    year: int | None
    month: int | None
    day: int | None

    def present(self) -> frozenset[str]:
        return frozenset(name for name in _PART_NAMES if getattr(self, name) is not None)


@dataclass(frozen=True)
class _DateMention:
    parts: _DateParts
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
_WORDED_DATE_KINDS = frozenset({"cjk", "iso", "day_month", "month_day", "month_year"})
_YEAR_DATE_KINDS = _WORDED_DATE_KINDS | {"numeric"}
_ALL_DATE_KINDS = frozenset(kind for kind, _ in _DATE_PATTERNS)


def _grade_date(question: Question, answer: str) -> Grade:
    golds = _gold_dates(question.answers)
    if question.answers and not golds:
        return _grade_text(question, answer)

    required = _required_parts(golds)
    found = _find_dates(unicodedata.normalize("NFKC", answer), _ALL_DATE_KINDS)
    candidates = _merge_dates(
        _project(mention.parts, required) for mention in found if mention.parts.present() & required
    )
    if not candidates:
        return Grade(
            Outcome.UNGRADED, "no date found in the answer", _text_key(normalize_text(answer))
        )

    if len(candidates) > 1:
        shown = ", ".join(_date_key(parts) for parts in candidates)
        joined_key = " / ".join(sorted(_date_key(parts) for parts in candidates))
        return Grade(Outcome.UNGRADED, f"several different dates: {shown}", joined_key)
    return _decide_date(candidates[0], golds)


def _required_parts(golds: tuple[_DateParts, ...]) -> frozenset[str]:
    # With no gold answer, as on an unanswerable question, every part counts for the key.
    if not golds:
        return frozenset(_PART_NAMES)
    required: set[str] = set()
    for gold in golds:
        required |= gold.present()
    return frozenset(required)


def _decide_date(candidate: _DateParts, golds: tuple[_DateParts, ...]) -> Grade:
    shown = _date_key(candidate)
    comparisons = [_compare_dates(candidate, gold) for gold in golds]
    if "match" in comparisons:
        return Grade(Outcome.CORRECT, f"date {shown} matches the gold answer", _date_key(golds[0]))

    canonical = _date_key(golds[0]) if golds else "none"
    if all(comparison == "differ" for comparison in comparisons):
        return Grade(
            Outcome.INCORRECT, f"date {shown} differs from the gold answer {canonical}", shown
        )
    reason = f"date {shown} lacks a part that the gold answer {canonical} gives"
    return Grade(Outcome.UNGRADED, reason, shown)


def _compare_dates(candidate: _DateParts, gold: _DateParts) -> _DateComparison:
    # Only the parts that the gold answer gives are compared, so a DD-MM question ignores
    # any year in the answer.
    given = [name for name in _PART_NAMES if getattr(gold, name) is not None]
    answered = [name for name in given if getattr(candidate, name) is not None]
    if any(getattr(candidate, name) != getattr(gold, name) for name in answered):
        return "differ"
    return "match" if len(answered) == len(given) else "missing"


def _project(parts: _DateParts, names: frozenset[str]) -> _DateParts:
    values = {name: getattr(parts, name) if name in names else None for name in _PART_NAMES}
    return _DateParts(**values)


def _merge_dates(dates: Iterable[_DateParts]) -> list[_DateParts]:
    # "15 September 1889 ... in 1889" names one date: a mention whose parts all agree with a
    # more complete mention is part of it.
    distinct = list(dict.fromkeys(dates))
    return [date for date in distinct if not any(_refines(other, date) for other in distinct)]


def _refines(specific: _DateParts, general: _DateParts) -> bool:
    if specific == general or not general.present() < specific.present():
        return False
    return all(getattr(specific, name) == getattr(general, name) for name in general.present())


@lru_cache(maxsize=4096)
def _gold_dates(answers: tuple[str, ...]) -> tuple[_DateParts, ...]:
    # Cached so that each warning below appears once per question, not once per sample.
    golds: list[_DateParts] = []
    for alias in answers:
        found = _find_dates(unicodedata.normalize("NFKC", alias), _ALL_DATE_KINDS)
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


def _find_dates(text: str, kinds: frozenset[str]) -> list[_DateMention]:
    mentions: list[_DateMention] = []
    for kind, pattern in _DATE_PATTERNS:
        if kind not in kinds:
            continue
        for match in pattern.finditer(text):
            overlaps = any(
                match.start() < other.end and other.start < match.end() for other in mentions
            )
            parts = None if overlaps else _date_from_match(kind, match)
            if parts is not None:
                mentions.append(_DateMention(parts, match.start(), match.end()))
    return sorted(mentions, key=lambda mention: mention.start)


def _date_from_match(kind: str, match: re.Match[str]) -> _DateParts | None:
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
    return _valid_date(_DateParts(year, month, day))


def _day_and_month(first: int, second: int) -> tuple[int, int]:
    # An ambiguous numeric date such as 05-09 is read day first (5 September), as the DD-MM
    # format that probe's prompts ask for. Only 09-15, where the second number cannot be a
    # month, is read month first.
    if first <= 12 < second:
        return second, first
    return first, second


def _optional_int(text: str | None) -> int | None:
    return int(text) if text else None


def _valid_date(parts: _DateParts) -> _DateParts | None:
    if parts.year is not None and not 1 <= parts.year <= 9999:
        return None
    if parts.month is not None and not 1 <= parts.month <= 12:
        return None
    if parts.day is None:
        return parts

    # 2000 is a leap year, so 29 February without a year stays valid.
    last_day = calendar.monthrange(parts.year or 2000, parts.month or 1)[1]
    return parts if 1 <= parts.day <= last_day else None


def _date_key(parts: _DateParts) -> str:
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


# --- Person, place and text ---

# Markers of an alternative in the sentence of the gold answer: "Paris or Lyon", "Paris/Lyon",
# 北京或上海. 或許/或许 means "perhaps" and is no alternative, and 5/10 is a fraction.
_ALTERNATION = re.compile(r"\bor\b|\beither\b|(?<!\d)/(?!\d)|或(?![許许])|還是|还是", re.IGNORECASE)
_NEGATION_BEFORE_ALIAS = re.compile(
    r"\b(?:not|never|neither|nor|isnt|wasnt|arent|werent)\s+(?:\S+\s+){0,2}$"
    r"|(?:不是|並非|并非|而非|不在|不屬於|不属于)\s*\S{0,2}$"
)
_NEGATION_WORDS = frozenset({"not", "never", "neither", "nor", "isnt", "wasnt", "no", "none"})
_CJK_NEGATION = re.compile(r"不是|並非|并非|沒有|没有")
# Applied to NFKC text, in which full-width ! and ? are already ASCII.
_SENTENCE = re.compile(r"[^.!?。\n]+(?:[.!?。]+|$)")
_CAPITALISED_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")

# Words removed from an answer before deciding whether what remains is a short value:
# "I think it is Lyon" leaves "lyon", 我認為是上海 leaves 上海.
# fmt: off
_FILLER_TOKENS = frozenset(
    {
        "i", "it", "its", "is", "was", "be", "im", "my", "think", "believe", "guess", "answer",
        "probably", "likely", "maybe", "perhaps", "would", "that", "this", "called", "named",
        "是", "的", "在", "了", "为", "為", "于", "於", "答", "案", "我", "认", "認", "应",
        "應", "该", "該",
    }
)
# fmt: on
# Capitalised words that are not names: sentence openers, titles, months and weekdays.
# fmt: off
_NON_NAME_WORDS = frozenset(
    {
        "a", "an", "the", "it", "its", "this", "that", "these", "those", "he", "she", "they",
        "we", "you", "his", "her", "their", "our", "my", "there", "here", "in", "on", "at",
        "by", "for", "from", "of", "to", "with", "as", "after", "before", "during", "since",
        "yes", "no", "answer", "final", "born", "located", "according", "perhaps", "probably",
        "maybe", "likely", "possibly", "however", "but", "and", "or", "so", "well", "sure",
        "actually", "note", "also", "both", "while", "although", "though", "because", "if",
        "when", "where", "who", "whom", "which", "what", "i", "im", "ive", "id", "mr", "mrs",
        "ms", "dr", "prof", "sir", "dame", "saint", "st", "king", "queen", "prince",
        "princess", "lord", "lady", "president", "emperor", "pope", "general", "captain",
        "january", "february", "march", "april", "may", "june", "july", "august",
        "september", "october", "november", "december", "monday", "tuesday", "wednesday",
        "thursday", "friday", "saturday", "sunday", "ad", "bc", "ce", "bce",
    }
)
# fmt: on
# At most this many words, or CJK characters, make a remainder a short value.
_MAX_SHORT_WORDS = 4
_MAX_SHORT_CJK = 8


@dataclass(frozen=True)
class _Alias:
    raw: str
    normalised: str


def _grade_text(question: Question, answer: str) -> Grade:
    aliases = _aliases(question)
    normalised = normalize_text(answer)
    canonical = aliases[0].normalised if aliases else ""
    if not normalised:
        return Grade(Outcome.UNGRADED, "the answer has no words to compare", "")

    exact = next((alias for alias in aliases if _same_text(normalised, alias.normalised)), None)
    if exact is not None:
        return Grade(Outcome.CORRECT, f"matches the gold answer {exact.raw!r}", canonical)

    contained = [alias for alias in aliases if _contains_alias(answer, alias)]
    if contained:
        return _grade_contained(question, answer, contained, canonical)
    return _grade_remainder(question, normalised, aliases)


def _aliases(question: Question) -> list[_Alias]:
    aliases: list[_Alias] = []
    seen: set[str] = set()
    for raw in question.answers:
        normalised = normalize_text(raw)
        if normalised and normalised not in seen:
            seen.add(normalised)
            aliases.append(_Alias(raw, normalised))
    return aliases


def _same_text(normalised: str, alias: str) -> bool:
    if normalised == alias:
        return True
    # Spaces inside CJK text are layout, not word breaks: 北京 市 is 北京市.
    return _has_cjk(alias) and normalised.replace(" ", "") == alias.replace(" ", "")


def _contains_alias(text: str, alias: _Alias) -> bool:
    if _has_cjk(alias.normalised):
        # CJK text has no spaces, so a substring is the only available match. The spaces that
        # normalisation leaves for punctuation stay: 采茶舞。采茶 does not contain 舞采茶.
        return alias.normalised in normalize_text(text)

    if alias.normalised.isascii() and alias.normalised.isalpha() and len(alias.normalised) <= 3:
        # Short aliases such as "Au" or "US" match with their case, so that "us" is no match.
        raw = unicodedata.normalize("NFKC", alias.raw).strip()
        return bool(_find_words(unicodedata.normalize("NFKC", text), raw))
    return bool(_find_words(normalize_text(text), alias.normalised))


def _find_all(text: str, part: str) -> list[int]:
    return [match.start() for match in re.finditer(re.escape(part), text)]


def _find_words(text: str, words: str) -> list[int]:
    # A whole-word match. A CJK character next to the words counts as a boundary, so "OER"
    # is found in 缩写是OER.
    return [
        position
        for position in _find_all(text, words)
        if not _is_word_character(text[position - 1 : position])
        and not _is_word_character(text[position + len(words) : position + len(words) + 1])
    ]


def _is_word_character(character: str) -> bool:
    return character.isalnum() and not _has_cjk(character)


def _grade_contained(
    question: Question, answer: str, contained: list[_Alias], canonical: str
) -> Grade:
    key = _text_key(normalize_text(answer))
    shown = contained[0].raw
    if any(_contains_alias(question.question, alias) for alias in contained):
        reason = f"the gold answer {shown!r} also appears in the question"
        return Grade(Outcome.UNGRADED, reason, key)

    # NOTE: only the sentences that contain the gold answer are checked, so "Lyon. Paris."
    # grades as Paris.
    alias_words = {token for alias in _aliases(question) for token in _tokens(alias.normalised)}
    known_words = alias_words | set(_tokens(normalize_text(question.question))) | _NON_NAME_WORDS
    for sentence in _SENTENCE.findall(unicodedata.normalize("NFKC", answer)):
        found = [alias for alias in contained if _contains_alias(sentence, alias)]
        problem = _competitor(sentence, found, alias_words, known_words) if found else None
        if problem is not None:
            return Grade(Outcome.UNGRADED, problem, key)
    return Grade(Outcome.CORRECT, f"contains the gold answer {shown!r}", canonical)


def _competitor(
    sentence: str, found: list[_Alias], alias_words: set[str], known_words: set[str]
) -> str | None:
    if _ALTERNATION.search(sentence) or any(_is_listed(sentence, alias) for alias in found):
        return "an alternative is offered beside the gold answer"

    normalised = normalize_text(sentence)
    for alias in found:
        if _is_negated(normalised, alias):
            return f"the gold answer {alias.raw!r} is negated"

    # Latin words beside a CJK answer are mostly translations or scientific names, such as
    # 先驱者10号 (Pioneer 10), so names are compared only for answers in other scripts.
    if any(_has_cjk(alias.normalised) for alias in found):
        return None
    names = _other_names(sentence, alias_words, known_words)
    if names:
        return f"another name appears beside the gold answer: {', '.join(names)}"
    return None


def _is_listed(sentence: str, alias: _Alias) -> bool:
    # The enumeration comma 、 is common inside CJK sentences ("政治家、文学家欧阳修"), so it
    # marks a competing value only right next to the gold answer, as in 王绪、王延忠.
    if not _has_cjk(alias.normalised):
        return False
    text = unicodedata.normalize("NFKC", sentence).casefold()
    for position in _find_all(text, alias.normalised):
        end = position + len(alias.normalised)
        if "、" in text[max(0, position - 2) : position] + text[end : end + 2]:
            return True
    return False


def _is_negated(normalised: str, alias: _Alias) -> bool:
    if _has_cjk(alias.normalised):
        positions = _find_all(normalised, alias.normalised)
    else:
        positions = _find_words(normalised, alias.normalised)
    return any(_NEGATION_BEFORE_ALIAS.search(normalised[:position]) for position in positions)


def _other_names(sentence: str, alias_words: set[str], known_words: set[str]) -> list[str]:
    # A capitalised word that is neither in the question nor in a gold alias may be a
    # competing answer ("Paris, not Lyon"). The first word of a sentence counts too, unless
    # it is a common opener, and a run of capitalised words that contains a gold word is one
    # name ("Frank Owen Gehry"). NOTE: a country after a city ("Paris, France") or a
    # nationality ("the French engineer") also counts, which leaves such answers UNGRADED.
    names: list[str] = []
    for run in _capitalised_runs(sentence):
        words = [_name_word(word) for word in run]
        if any(word in alias_words for word in words):
            continue
        names.extend(word for word, key in zip(run, words, strict=True) if key not in known_words)
    return names


def _capitalised_runs(sentence: str) -> list[list[str]]:
    runs: list[list[str]] = []
    previous_end = -1
    for match in _CAPITALISED_WORD.finditer(sentence):
        word = match.group()
        if not word[0].isupper():
            previous_end = -1
            continue

        joined = previous_end >= 0 and sentence[previous_end : match.start()].isspace()
        if joined:
            runs[-1].append(word)
        else:
            runs.append([word])
        previous_end = match.end()
    return runs


def _name_word(word: str) -> str:
    # Articles stay, because normalize_text would turn "The" into "", which no list contains.
    word = re.sub(r"['\u2019]s$", "", word)
    return normalize_text(word) or word.casefold()


def _grade_remainder(question: Question, normalised: str, aliases: list[_Alias]) -> Grade:
    question_tokens = _tokens(normalize_text(question.question))
    remainder = _remainder_tokens(_tokens(normalised), question_tokens)
    key = _text_key(normalised)
    if not remainder:
        return Grade(Outcome.UNGRADED, "the answer only repeats the question", key)
    if not _is_short(remainder):
        return Grade(Outcome.UNGRADED, "the answer is too long to grade by matching", key)

    if _NEGATION_WORDS & set(remainder) or _CJK_NEGATION.search(normalised):
        return Grade(Outcome.UNGRADED, "the answer rules a value out instead of naming one", key)
    if _shares_piece(remainder, aliases):
        reason = "the answer shares words with the gold answer but differs from it"
        return Grade(Outcome.UNGRADED, reason, key)

    value = _join_tokens(remainder)
    return Grade(Outcome.INCORRECT, f"a different value: {value!r}", _text_key(value))


def _remainder_tokens(tokens: list[str], question_tokens: list[str]) -> list[str]:
    # Unsegmented CJK text has no words to remove, so a character goes when it is part of a
    # two-character sequence that the question contains: 首都是北京 leaves 北京 for a question
    # that contains 首都是.
    question_words = {token for token in question_tokens if not _has_cjk(token)}
    question_pairs = set(_cjk_pairs(question_tokens))
    covered: set[int] = set()
    for index in range(len(tokens) - 1):
        if tokens[index] + tokens[index + 1] in question_pairs:
            covered.update((index, index + 1))

    return [
        token
        for index, token in enumerate(tokens)
        if index not in covered and token not in question_words and token not in _FILLER_TOKENS
    ]


def _cjk_pairs(tokens: list[str]) -> list[str]:
    pairs = itertools.pairwise(tokens)
    return [first + second for first, second in pairs if _has_cjk(first) and _has_cjk(second)]


def _shares_piece(remainder: list[str], aliases: list[_Alias]) -> bool:
    # CJK text is compared by character pairs, not single characters, so that the shared
    # suffix of 北京 and 南京 or of two county names does not count as overlap.
    remainder_text = _join_tokens(remainder)
    remainder_words = {token for token in remainder if not _has_cjk(token)}
    for alias in aliases:
        alias_tokens = _tokens(alias.normalised)
        if remainder_words & {token for token in alias_tokens if not _has_cjk(token)}:
            return True
        pieces = _cjk_pairs(alias_tokens) or [token for token in alias_tokens if _has_cjk(token)]
        if any(piece in remainder_text for piece in pieces):
            return True
    return False


def _is_short(tokens: list[str]) -> bool:
    cjk = sum(1 for token in tokens if _has_cjk(token))
    words = len(tokens) - cjk
    return words <= _MAX_SHORT_WORDS and cjk <= _MAX_SHORT_CJK

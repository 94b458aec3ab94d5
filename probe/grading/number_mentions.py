"""Find the numeric values that a text states, with what surrounds each one.

Digits (with separators, scales such as thousand and 万, eras such as BC and 公元前) and
numbers in words are read. Each mention records whether it is an ordinal, the measure word
after it, whether it is one end of a range ("1085年至1126年") and whether it is the same
quantity in another unit ("3,776 m (12,388 ft)"). A number after a negation ("not 1887",
不是1887年) is left out, because the answer rules it out.
"""

import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal

from probe.grading.dates import WORDED_DATE_KINDS, YEAR_DATE_KINDS, find_dates
from probe.numerals import chinese_numerals, english_numerals


@dataclass(frozen=True)
class NumberMention:
    """One numeric value stated in a text."""

    value: Decimal
    start: int
    end: int
    ordinal: bool = False
    # The measure word or noun right after the number: 卷 in 四卷, "volumes" in "4 volumes".
    counter: str = ""
    # The index of the other end of a range this mention belongs to, or None.
    range_with: int | None = None
    # The index of the first mention of the same quantity; a mention's own index otherwise.
    group: int = 0


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
# A unit after a number makes it a quantity, not a year: "330 metres tall, completed in 1889".
_UNIT_AFTER = re.compile(
    r"\s*(?:%|percent\b|m\b|km\b|metres?\b|meters?\b|ft\b|feet\b|kg\b|people\b|years?\b"
    r"|米|公尺|公里|人|个|個|名|岁|歲)",
    re.IGNORECASE,
)
# A year of a reign: 光绪34年, 乾隆32年, 万历41年. Reigns lasted at most 61 years.
_REIGN_NAME_BEFORE = re.compile(r"[\u3400-\u9fff]{2}$")
_DIGIT_ORDINAL_AFTER = re.compile(r"(?:st|nd|rd|th)\b", re.IGNORECASE)
_COUNTER_AFTER = re.compile(r"\s*(?:(?P<cjk>[\u3400-\u9fff])|(?P<word>[A-Za-z]{2,}))")

# Text that joins the two ends of a range: "1085年至1126年", "1887–1889", "from 5 to 7",
# "约718—约772". "between X and Y" is checked apart, because "X and Y" alone is two values.
_APPROXIMATE = r"(?:约|約|大约|大約|about|around|approximately|c\.|ca\.)?"
_RANGE_JOIN = re.compile(
    rf"\s*(?:年|AD|BC)?\s*(?:-|–|—|~|～|至|到|\bto\b|\buntil\b|\bthrough\b)\s*{_APPROXIMATE}\s*$",
    re.IGNORECASE,
)
_RANGE_BETWEEN = re.compile(r"\bbetween\s+$", re.IGNORECASE)
_RANGE_AND = re.compile(r"\s*(?:年)?\s*(?:and|与|和)\s*$", re.IGNORECASE)
# A quantity restated in another unit in brackets: "3,776 m (12,388 ft)", "8848米（29032英尺）".
_CONVERSION_OPEN = re.compile(
    rf"^\s*(?P<unit>[^\W\d_]+\.?)\s*[(（\[]\s*{_APPROXIMATE}\s*$", re.IGNORECASE
)
_CONVERSION_CLOSE = re.compile(r"\s*(?P<unit>[^\W\d_]+\.?)\s*[)）\]]")


def find_numbers(text: str, answer_type: str) -> list[NumberMention]:
    """Find the values a text states, for a year or a number question.

    A year question reads the year of each date and no other number of it, and keeps a
    number only where it can be a year. A number question ignores dates written with a
    month name, a CJK month or in ISO form, and also reads numbers written in words.
    """
    text = unicodedata.normalize("NFKC", text)
    masked, mentions = _mask_dates(text, answer_type)
    mentions += _digit_mentions(masked, answer_type)
    if answer_type != "year":
        mentions += _word_mentions(masked, mentions)

    mentions.sort(key=lambda mention: mention.start)
    return _link_conversions(masked, _link_ranges(masked, mentions))


def format_number(value: Decimal) -> str:
    """Format a value without exponent or trailing zeros: 8000, 3.5, -44."""
    return format(value.normalize(), "f")


def _mask_dates(text: str, answer_type: str) -> tuple[str, list[NumberMention]]:
    # A number answer keeps "3.5", which would otherwise read as 3 May.
    kinds = YEAR_DATE_KINDS if answer_type == "year" else WORDED_DATE_KINDS
    years: list[NumberMention] = []
    characters = list(text)

    for mention in find_dates(text, kinds):
        characters[mention.start : mention.end] = " " * (mention.end - mention.start)
        if answer_type == "year" and mention.parts.year is not None:
            years.append(NumberMention(Decimal(mention.parts.year), mention.start, mention.end))
    return "".join(characters), years


def _digit_mentions(text: str, answer_type: str) -> list[NumberMention]:
    mentions: list[NumberMention] = []
    for match in _NUMBER.finditer(text):
        if _NEGATION_BEFORE_NUMBER.search(text[max(0, match.start() - 16) : match.start()]):
            continue
        number = _parse_number(match)
        value = _year_value(text, match, number) if answer_type == "year" else number
        if value is None:
            continue

        ordinal = bool(_DIGIT_ORDINAL_AFTER.match(text, match.end())) or _after_di(text, match)
        mentions.append(
            NumberMention(value, match.start(), match.end(), ordinal, _counter(text, match.end()))
        )
    return mentions


def _word_mentions(text: str, digits: list[NumberMention]) -> list[NumberMention]:
    # Digit ordinals ("15th") and scales ("8 thousand") are already digit mentions.
    mentions: list[NumberMention] = []
    for numeral in [*english_numerals(text), *chinese_numerals(text)]:
        if any(numeral.start < digit.end and digit.start < numeral.end for digit in digits):
            continue
        if _NEGATION_BEFORE_NUMBER.search(text[max(0, numeral.start - 16) : numeral.start]):
            continue
        counter = numeral.counter or _counter(text, numeral.end)
        mentions.append(
            NumberMention(numeral.value, numeral.start, numeral.end, numeral.ordinal, counter)
        )
    return mentions


def _after_di(text: str, match: re.Match[str]) -> bool:
    # 第3届 is an ordinal written with digits.
    return text[max(0, match.start() - 1) : match.start()] == "第"


def _counter(text: str, end: int) -> str:
    match = _COUNTER_AFTER.match(text, end)
    if match is None:
        return ""
    return match["cjk"] or match["word"].casefold()


def _link_ranges(text: str, mentions: list[NumberMention]) -> list[NumberMention]:
    linked = list(mentions)
    for index in range(len(linked) - 1):
        first, second = linked[index], linked[index + 1]
        between = text[first.end : second.start]
        before = text[max(0, first.start - 20) : first.start]
        joined = _RANGE_JOIN.match(between) or (
            _RANGE_AND.match(between) and _RANGE_BETWEEN.search(before)
        )
        if joined and first.value != second.value:
            linked[index] = replace(first, range_with=index + 1)
            linked[index + 1] = replace(second, range_with=index)
    return linked


def _link_conversions(text: str, mentions: list[NumberMention]) -> list[NumberMention]:
    linked = [replace(mention, group=index) for index, mention in enumerate(mentions)]
    for index in range(len(linked) - 1):
        first, second = linked[index], linked[index + 1]
        opening = _CONVERSION_OPEN.match(text[first.end : second.start])
        closing = _CONVERSION_CLOSE.match(text, second.end)
        if opening is None or closing is None:
            continue
        if opening["unit"].casefold() != closing["unit"].casefold():
            linked[index + 1] = replace(second, group=first.group)
    return linked


def _parse_number(match: re.Match[str]) -> Decimal:
    digits = re.sub(r"\D", "", match.group("integer"))
    value = Decimal(f"{digits}.{match.group('fraction') or '0'}")

    scale = match.group("scale")
    if scale:
        value *= _SCALES[scale.casefold()]
    if match.group("sign"):
        value = -value
    return value.normalize()


def _is_regnal_year(before: str, after: str, value: Decimal) -> bool:
    if value >= 100 or not after.startswith("年") or before.endswith("公元"):
        return False
    return _REIGN_NAME_BEFORE.search(before) is not None


def _year_value(text: str, match: re.Match[str], value: Decimal) -> Decimal | None:
    after = text[match.end() : match.end() + 6]
    before = text[max(0, match.start() - 5) : match.start()]
    if match.group("fraction") or match.group("scale") or match.group("sign"):
        return None

    if value % 10 == 0 and _DECADE_AFTER.match(after):
        return None
    if _BEFORE_CHRIST_AFTER.match(after) or before.endswith("公元前"):
        return -value
    if _is_regnal_year(before, after, value):
        return None
    if _YEAR_MARKER_AFTER.match(after) or _ERA_BEFORE.search(before):
        return value
    if _UNIT_AFTER.match(after):
        return None
    return value if 100 <= value <= 9999 else None

"""Numbers written in words: English number words and ordinals, and Chinese numerals.

Only mentions that read as a count or a rank are returned. A bare 一 is the article "a"
(一个著名的画家) far more often than the number one, and "one" starts phrases such as "one
of the", so both count only where nothing else can be meant: after 第, or as the whole text.
"""

import re
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Numeral:
    """A number written in words, with its span in the text it was found in."""

    value: Decimal
    start: int
    end: int
    ordinal: bool
    # The measure word after a Chinese numeral (卷 in 四卷, 届 in 第三届), or "".
    counter: str


# --- English ---

# fmt: off
_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_ORDINAL_UNITS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17,
    "eighteenth": 18, "nineteenth": 19,
}
_ORDINAL_TENS = {
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60,
    "seventieth": 70, "eightieth": 80, "ninetieth": 90,
}
# fmt: on
_ENGLISH_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_ENGLISH_WORDS = {**_UNITS, **_TENS, **_ORDINAL_UNITS, **_ORDINAL_TENS, **_ENGLISH_SCALES}
_ENGLISH_RUN = re.compile(
    r"\b(?:"
    + "|".join(sorted(_ENGLISH_WORDS, key=len, reverse=True))
    + r")(?:(?:[\s-]+(?:and[\s]+)?)(?:"
    + "|".join(sorted(_ENGLISH_WORDS, key=len, reverse=True))
    + r"))*\b",
    re.IGNORECASE,
)
# "second" is far more often the unit of time or "the second of two" than a rank.
_AMBIGUOUS_ALONE = frozenset({"one", "second"})
# Digits with an ordinal suffix: 15th, 1st, 22nd.
_DIGIT_ORDINAL = re.compile(r"(?<![\w.])(\d+)(?:st|nd|rd|th)\b", re.IGNORECASE)


def english_numerals(text: str) -> list[Numeral]:
    """Find English number words ("twelve", "twenty-one", "fifteenth") and 15th-style ordinals."""
    found: list[Numeral] = []
    whole = text.strip().rstrip(".!").strip().casefold()
    for match in _ENGLISH_RUN.finditer(text):
        words = [word for word in re.split(r"[\s-]+", match.group().casefold()) if word != "and"]
        if len(words) == 1 and words[0] in _AMBIGUOUS_ALONE and whole != words[0]:
            continue
        value = _english_value(words)
        if value is not None:
            ordinal = words[-1] in _ORDINAL_UNITS or words[-1] in _ORDINAL_TENS
            found.append(Numeral(Decimal(value), match.start(), match.end(), ordinal, ""))

    for match in _DIGIT_ORDINAL.finditer(text):
        found.append(Numeral(Decimal(match.group(1)), match.start(), match.end(), True, ""))
    return sorted(found, key=lambda numeral: numeral.start)


def _english_value(words: list[str]) -> int | None:
    # Standard composition: units and tens add up, "hundred" multiplies the current group,
    # and "thousand" or larger closes a group.
    total = 0
    group = 0
    for index, word in enumerate(words):
        value = _ENGLISH_WORDS[word]
        is_ordinal = word in _ORDINAL_UNITS or word in _ORDINAL_TENS
        if is_ordinal and index != len(words) - 1:
            return None
        if word == "hundred":
            group = max(group, 1) * value
        elif word in _ENGLISH_SCALES:
            total += max(group, 1) * value
            group = 0
        else:
            group += value
    return total + group


# --- Chinese ---

_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_LARGE_UNITS = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_NUMERAL_CHARACTERS = "".join([*_DIGITS, *_SMALL_UNITS, *_LARGE_UNITS])
# Measure words after which a numeral is a count: 四卷, 三届, 十二个, 两位.
_COUNTERS = (
    "个個卷届屆次年岁歲人名座部本条條种種位章回集层層件首项項场場家所块塊头頭只隻支批代任期"
    "篇册冊幅枚棵株间間级級类類朝世辈輩节節"
)
_CHINESE_RUN = re.compile(
    rf"(?P<prefix>第)?(?P<digits>[{_NUMERAL_CHARACTERS}]+)(?P<counter>[{_COUNTERS}])?"
)
# 首届, 首批: "the first".
_FIRST = re.compile(r"首(?P<counter>[届屆批次任代位])")
# Approximate counts ("三十多人", "百余年", "数百") are no single value.
_APPROXIMATE_AFTER = frozenset("多余餘几幾来來")
_APPROXIMATE_BEFORE = frozenset("数數几幾上成近约約")


def chinese_numerals(text: str) -> list[Numeral]:
    """Find Chinese numerals that count or rank: 四卷, 第三届, 一千二百人, 首届."""
    stripped = text.strip().rstrip("。.")
    found: list[Numeral] = []
    for match in _CHINESE_RUN.finditer(text):
        numeral = _chinese_numeral(match, whole=match.group() == stripped)
        if numeral is not None:
            found.append(numeral)

    for match in _FIRST.finditer(text):
        found.append(Numeral(Decimal(1), match.start(), match.end(), True, match["counter"]))
    return sorted(found, key=lambda numeral: numeral.start)


def _chinese_numeral(match: re.Match[str], *, whole: bool) -> Numeral | None:
    digits, counter = match["digits"], match["counter"] or ""
    ordinal = match["prefix"] is not None
    before = match.string[match.start() - 1 : match.start()]
    after = match.string[match.end() : match.end() + 1]
    if before in _APPROXIMATE_BEFORE or after in _APPROXIMATE_AFTER:
        return None
    if not (ordinal or counter or whole):
        return None
    if digits == "一" and not (ordinal or whole):
        return None

    value = _chinese_value(digits)
    if value is None:
        return None
    return Numeral(Decimal(value), match.start(), match.end(), ordinal, counter)


def _chinese_value(digits: str) -> int | None:
    if not any(character in _SMALL_UNITS or character in _LARGE_UNITS for character in digits):
        # Digit by digit, as years are written: 一八八九.
        return int("".join(str(_DIGITS[character]) for character in digits))

    total = 0
    section = 0
    number = 0
    for character in digits:
        if character in _DIGITS:
            number = _DIGITS[character]
        elif character in _SMALL_UNITS:
            # A unit without a digit before it counts once: 十二 is 12.
            section += (number or 1) * _SMALL_UNITS[character]
            number = 0
        else:
            total = (total + section + number) * _LARGE_UNITS[character]
            section = number = 0
    return total + section + number

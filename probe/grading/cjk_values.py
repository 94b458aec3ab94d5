"""Chinese values of one kind, and when two Chinese values are clearly different.

Chinese answers have no spaces, so the grader cannot cut out "the value" of a long answer
by words. Three kinds of value can be found by their form: dynasties (清朝, 唐代, 西周), book
and work titles in 《》, and terms that end in a category character such as 县, 族, 座 or
纲. Two values of a kind that share no character of their stems (天琴座 and 麒麟座) are
clearly different; values that share one (北平 and 北京, 关羽 and 关公, 红色 and 赤色) may
name the same thing, so the grader does not decide between them.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from probe.grading.normalize import is_cjk, normalize_text

Comparison = Literal["same", "different", "unclear"]
Kind = Literal["dynasty", "title", "suffix"]


@dataclass(frozen=True)
class KindedValue:
    """A value of one kind found in a text: its text, kind and character span."""

    text: str
    kind: Kind
    start: int
    end: int


# Dynasties and periods of Chinese history. Names of one character count only with 朝 or 代
# after them, because on their own they are common in other words (唐 in 唐玄宗).
# fmt: off
_DYNASTIES = (
    "魏晋南北朝", "南北朝", "五代十国", "春秋", "战国", "戰國", "西周", "东周", "東周",
    "西汉", "西漢", "东汉", "東漢", "西晋", "西晉", "东晋", "東晉", "北宋", "南宋", "北魏",
    "东魏", "東魏", "西魏", "北齐", "北齊", "北周", "刘宋", "劉宋", "南朝", "北朝", "三国",
    "三國", "民国", "民國",
)
# fmt: on
_ONE_CHARACTER_DYNASTIES = "夏商周秦汉漢晋晉隋唐宋辽遼金元明清魏蜀吴吳齐齊梁陈陳"
_DYNASTY = re.compile(
    "(?:" + "|".join(_DYNASTIES) + rf")(?:[朝代])?|[{_ONE_CHARACTER_DYNASTIES}][朝代]"
)
_TITLE = re.compile(r"《([^《》]{1,40})》")

# Characters that end a term and name its kind: places (县, 省), peoples (族), stars (座),
# taxonomy (纲, 目, 科), works and genres (剧, 经, 论), ranks (届, 代) and colours (色).
_KIND_SUFFIXES = (
    "世纪", "世紀", "公司", "县", "縣", "市", "省", "州", "镇", "鎮", "乡", "鄉", "村", "族",
    "座", "剧", "劇", "纲", "綱", "目", "科", "属", "屬", "经", "經", "穴", "号", "號", "奖",
    "獎", "届", "屆", "党", "黨", "寺", "帝", "王", "宗", "派", "教", "脉", "脈", "戏", "戲",
    "色", "省", "岛", "島", "山", "江", "河", "湖", "桥", "橋", "宫", "宮", "城", "府",
)  # fmt: skip
# Characters that cannot be part of a term: particles and verbs that introduce a value.
_TERM_BREAKS = frozenset("是的在于於为為由属屬即称稱叫被和与與或及了也都把从從到向给給对對将將")
# A term with one of these names no particular value: 这个穴, 每个民族, 该县, 一些地方知府.
_GENERIC_CHARACTERS = frozenset("这這该該本各每此哪某全其个個些诸諸多一民")
# Longer runs before a suffix are clauses, not names: 道光年间担任过一些地方知府.
_MAX_TERM_LENGTH = 8
# Words that introduce another name of the same thing: 又称, also known as.
ALIAS_INTRODUCERS = re.compile(
    r"(?:又称|又稱|又名|亦称|亦稱|也称|也稱|也叫|别称|別稱|简称|簡稱|全称|全稱|俗称|俗稱|即"
    r"|also\s+known\s+as|aka|or\s+simply)\s*[“\"「『]?\s*$",
    re.IGNORECASE,
)
_STEM_STOP_CHARACTERS = frozenset("的之")


def value_kind(value: str) -> Kind | None:
    """Return the kind of a gold value by its form, or None for a value of no known kind."""
    text = unicodedata.normalize("NFKC", value).strip()
    if _TITLE.fullmatch(text):
        return "title"
    if _DYNASTY.fullmatch(text):
        return "dynasty"
    if _kind_suffix(text) is not None:
        return "suffix"
    return None


def find_kinded(text: str, kind: Kind, suffix: str = "") -> list[KindedValue]:
    """Find the values of one kind in NFKC text. A "suffix" kind needs the suffix to look for."""
    if kind == "title":
        return [KindedValue(m[1], kind, m.start(), m.end()) for m in _TITLE.finditer(text)]
    if kind == "dynasty":
        return [KindedValue(m[0], kind, m.start(), m.end()) for m in _DYNASTY.finditer(text)]
    return _suffix_terms(text, suffix)


def kind_suffix(value: str) -> str:
    """Return the category suffix a value ends in, or ""."""
    return _kind_suffix(unicodedata.normalize("NFKC", value).strip()) or ""


def compare_values(value: str, gold: str) -> Comparison:
    """Compare a Chinese value with a gold value: the same, clearly different, or unclear."""
    value, gold = _plain(value), _plain(gold)
    if value == gold or _dynasty_stem(value) == _dynasty_stem(gold) != "":
        return "same"

    value_stem, gold_stem = _without_common_suffix(value, gold)
    if len(value_stem) <= 1 or len(gold_stem) <= 1:
        return "unclear"
    shared = (set(value_stem) & set(gold_stem)) - _STEM_STOP_CHARACTERS
    return "unclear" if any(is_cjk(character) for character in shared) else "different"


def dynasty_variants(value: str) -> list[str]:
    """Return the other spellings of a dynasty: 清朝 and 清代 name one dynasty."""
    plain = _plain(value)
    stem = _dynasty_stem(plain)
    if not stem:
        return []
    return [name for name in (stem + "朝", stem + "代") if name != plain]


def _plain(value: str) -> str:
    return normalize_text(value).replace(" ", "")


def _dynasty_stem(value: str) -> str:
    if not _DYNASTY.fullmatch(value):
        return ""
    return value[:-1] if value[-1] in "朝代" and len(value) > 1 else value


def _kind_suffix(text: str) -> str | None:
    for suffix in _KIND_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return suffix
    return None


def _suffix_terms(text: str, suffix: str) -> list[KindedValue]:
    terms: list[KindedValue] = []
    for match in re.finditer(re.escape(suffix), text):
        # The suffix must end the term: 穴 in 穴位 is part of another word.
        if match.end() < len(text) and _is_term_character(text[match.end()]):
            continue
        start = match.start()
        while start > 0 and _is_term_character(text[start - 1]):
            start -= 1
        stem = text[start : match.start()]
        short = len(stem) + len(suffix) <= _MAX_TERM_LENGTH
        if stem and short and not _GENERIC_CHARACTERS.intersection(stem):
            terms.append(KindedValue(text[start : match.end()], "suffix", start, match.end()))
    return terms


def _is_term_character(character: str) -> bool:
    return (is_cjk(character) and character not in _TERM_BREAKS) or character.isdigit()


def _without_common_suffix(first: str, second: str) -> tuple[str, str]:
    # The kind is not the value: 天琴座 and 麒麟座 differ in 天琴 and 麒麟.
    common = 0
    while common < min(len(first), len(second), 2) and first[-1 - common] == second[-1 - common]:
        common += 1
    return first[: len(first) - common], second[: len(second) - common]

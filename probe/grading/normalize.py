"""Text normalisation and the CJK-aware tokens that every text comparison uses."""

import itertools
import re
import unicodedata
from collections.abc import Iterable

from probe.consistency import ABSTAINED_KEY

# Punctuation that joins the letters or digits on both sides into one word: "Saint-Étienne",
# "O'Brien", "U.S.A.", "迈克尔·富特". Any other punctuation becomes a space.
_JOINING_PUNCTUATION = frozenset("-'\u2019\u2018.\u00b7\u30fb\u2027\u2010\u2011")
_ARTICLES = frozenset({"a", "an", "the"})

# Han, kana and the CJK compatibility ideographs: scripts written without spaces.
CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_CJK_CHARACTER = re.compile(f"[{CJK_RANGES}]")
_TOKEN = re.compile(f"[{CJK_RANGES}]|[^\\s{CJK_RANGES}]+")


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


def tokens(normalised: str) -> list[str]:
    """Split normalised text into words, with each CJK character a token of its own."""
    return _TOKEN.findall(normalised)


def has_cjk(text: str) -> bool:
    return _CJK_CHARACTER.search(text) is not None


def is_cjk(character: str) -> bool:
    return len(character) == 1 and _CJK_CHARACTER.match(character) is not None


def join_tokens(parts: Iterable[str]) -> str:
    """Join tokens with spaces, except between two CJK characters."""
    joined = " ".join(parts)
    return re.sub(f"(?<=[{CJK_RANGES}]) (?=[{CJK_RANGES}])", "", joined)


def cjk_pairs(parts: list[str]) -> list[str]:
    """Return the pairs of adjacent CJK tokens, the unit that CJK text is compared by."""
    pairs = itertools.pairwise(parts)
    return [first + second for first, second in pairs if has_cjk(first) and has_cjk(second)]


def text_key(normalised: str) -> str:
    """Return the answer key of normalised text that no other grading step gave a key."""
    # The consistency clusters reserve ABSTAINED_KEY, and normalize_text keeps the angle
    # brackets (they are symbols, not punctuation), so an answer of "<abstained>" needs this.
    return "abstained" if normalised == ABSTAINED_KEY else normalised

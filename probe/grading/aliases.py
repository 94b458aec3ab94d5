"""Gold aliases and where an alias occurs in a text.

A gold answer may carry its other names in brackets: 青山灵安尊王（青山王）, 蒂姆·伯纳斯·李
（Tim Berners-Lee）, 万历41年（1613年）. Each bracketed name is an alias of its own when it is
Chinese or when it is written in another script than the text before it, as a translation
is. A Latin text in brackets after Latin text ("Mercury (planet)") usually describes the
answer instead of naming it, so only the text without the brackets is added.
"""

import re
import unicodedata
from dataclasses import dataclass

from probe.grading.cjk_values import dynasty_variants
from probe.grading.normalize import has_cjk, normalize_text
from probe.questions import Question


@dataclass(frozen=True)
class Alias:
    """One acceptable form of the gold answer, as written and normalised."""

    raw: str
    normalised: str


_BRACKETED = re.compile(r"\s*[(（]([^()（）]+)[)）]\s*")


def gold_aliases(question: Question) -> list[Alias]:
    """Return the question's gold answers with their bracketed and dynasty variants."""
    aliases: list[Alias] = []
    seen: set[str] = set()
    for raw in question.answers:
        for form in [raw, *_variants(raw)]:
            normalised = normalize_text(form)
            if normalised and normalised not in seen:
                seen.add(normalised)
                aliases.append(Alias(form, normalised))
    return aliases


def _variants(raw: str) -> list[str]:
    text = unicodedata.normalize("NFKC", raw).strip()
    variants = dynasty_variants(text)
    found = _BRACKETED.search(text)
    if found is None:
        return variants

    outside = (text[: found.start()] + text[found.end() :]).strip()
    inside = found.group(1).strip()
    variants.append(outside)
    if has_cjk(outside) != has_cjk(inside) or has_cjk(inside):
        variants.append(inside)
    return variants + [variant for form in variants for variant in dynasty_variants(form)]


def contains_alias(text: str, alias: Alias) -> bool:
    """Return True when the alias occurs in the text as a whole word or CJK substring."""
    if has_cjk(alias.normalised):
        # CJK text has no spaces, so a substring is the only available match. The spaces that
        # normalisation leaves for punctuation stay: 采茶舞。采茶 does not contain 舞采茶.
        return alias.normalised in normalize_text(text)

    if alias.normalised.isascii() and alias.normalised.isalpha() and len(alias.normalised) <= 3:
        # Short aliases such as "Au" or "US" match with their case, so that "us" is no match.
        raw = unicodedata.normalize("NFKC", alias.raw).strip()
        return bool(find_words(unicodedata.normalize("NFKC", text), raw))
    # "Gehry's design" names Gehry, but normalisation would make it "gehrys".
    without_possessive = re.sub(r"(?<=\w)['\u2019]s\b", "", text)
    return bool(find_words(normalize_text(without_possessive), alias.normalised))


def find_all(text: str, part: str) -> list[int]:
    """Return the start of every occurrence of part in text."""
    return [match.start() for match in re.finditer(re.escape(part), text)]


def find_words(text: str, words: str) -> list[int]:
    """Return the start of every whole-word occurrence of words in text.

    A CJK character next to the words counts as a boundary, so "OER" is found in 缩写是OER.
    """
    return [
        position
        for position in find_all(text, words)
        if not _is_word_character(text[position - 1 : position])
        and not _is_word_character(text[position + len(words) : position + len(words) + 1])
    ]


def _is_word_character(character: str) -> bool:
    return character.isalnum() and not has_cjk(character)

"""Tell which of several values an answer gives as the one the question asks for.

"It was completed in 1889, begun in 1887" names two years. The cue of a value is the word
right before it, after skipping prepositions and auxiliaries ("completed" in "was completed
in 1889"), or for Chinese the two characters before it or right after its 年 (成立于1992年,
1889年建成). When exactly one value's cue is a word of the question, that value is the
answer; any other case stays undecided.
"""

import re
import unicodedata
from collections.abc import Sequence

from probe.grading.normalize import cjk_pairs, is_cjk, normalize_text, tokens

# Words between a cue and its value: "completed in about 1889", "was born on".
# fmt: off
_SKIPPED_WORDS = frozenset(
    {
        "in", "on", "at", "by", "of", "the", "a", "an", "was", "is", "were", "are", "been",
        "be", "year", "around", "about", "circa", "c", "ca", "approximately", "roughly",
        "until", "from", "since", "as", "early", "late", "mid", "only", "officially",
    }
)
# Words that any question or answer may use near a value, so they tie nothing to the question.
_STOP_WORDS = frozenset(
    {
        "what", "which", "when", "year", "years", "many", "much", "does", "did", "that",
        "this", "with", "from", "into", "have", "had", "there", "their", "they", "then",
        "than", "also", "first", "number",
    }
)
# fmt: on
# Particles between a Chinese cue and its value: 成立于1992年, 始建於, 是在.
_SKIPPED_CHARACTERS = frozenset("于於在是为為的自从從约約年公元")
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]\n.!?，；：（）。！？、\"“”]")
_YEAR_MARKER = re.compile(r"\s*(?:年份|年|份)")


def anchored_group(question: str, answer: str, spans: Sequence[tuple[int, int, int]]) -> int | None:
    """Return the one group whose value is tied to the question's wording, or None.

    `answer` is the NFKC text the spans refer to. Each span is (start, end, group), and the
    values of one group are one quantity.
    """
    anchored = {group for start, end, group in spans if is_anchored(question, answer, start, end)}
    return anchored.pop() if len(anchored) == 1 else None


def is_anchored(question: str, answer: str, start: int, end: int) -> bool:
    """Return True when the cue of the value at answer[start:end] is a word of the question."""
    normalised = normalize_text(question)
    if _cue_word(answer, start) in _stems(normalised.split()):
        return True
    return bool(_cue_pairs(answer, start, end) & set(cjk_pairs(tokens(normalised))))


def _cue_word(text: str, start: int) -> str:
    window = text[max(0, start - 60) : start]
    clauses = _CLAUSE_BREAK.split(window)
    clause = clauses[-1]
    if not clause.strip() and window.rstrip().endswith(":") and len(clauses) > 1:
        # A label before a colon cues its value: "The height of Mount Fuji: 3219 meters".
        clause = clauses[-2]
    words = re.findall(r"[^\W\d_]+", unicodedata.normalize("NFKC", clause).casefold())
    for word in reversed(words):
        if not word.isascii():
            return ""
        if word not in _SKIPPED_WORDS:
            return word[:5] if word not in _STOP_WORDS else ""
    return ""


def _cue_pairs(text: str, start: int, end: int) -> set[str]:
    before = _CLAUSE_BREAK.split(text[max(0, start - 12) : start])[-1]
    characters = [character for character in before if is_cjk(character)]
    while characters and characters[-1] in _SKIPPED_CHARACTERS:
        characters.pop()

    marker = _YEAR_MARKER.match(text, end)
    after_start = marker.end() if marker else end
    after = _CLAUSE_BREAK.split(text[after_start : after_start + 4])[0]
    following = [character for character in after[:2] if is_cjk(character)]
    pairs = {"".join(characters[-2:]), "".join(following)}
    return {pair for pair in pairs if len(pair) == 2}


def _stems(words: Sequence[str]) -> set[str]:
    # Five letters are enough to match "completed" with "completion" and "complete".
    return {
        word[:5]
        for word in words
        if word.isascii() and word.isalpha() and len(word) >= 4 and word not in _STOP_WORDS
    }

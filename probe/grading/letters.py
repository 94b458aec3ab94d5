"""Read which labelled token a reply gives: an option letter, or a judge's verdict.

"B", "(B) Paris", "The answer is B", "答案：B", "GRADE: C" and a reply whose last line is
"B" each give one token. In running text only capital letters count, and a capital "A"
followed by a lower-case word is the article: the "a" of "This is a B" and the "A" of "A
correct answer" are no letter A. A token after a negation ("not A", 不是A) is ruled out,
not given. Tokens that disagree are all returned, so that the caller can refuse to choose.
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TokenPick:
    """The distinct values a reply gives, in order of appearance, and where they were found."""

    values: tuple[str, ...]
    where: str


# Words that introduce the token: "answer: B", "grade is C", 答案是B, 选B.
_LABEL = (
    r"(?<![A-Za-z])(?:final\s+answer|answer|grade|verdict|rating|option|choice|letter"
    r"|答案|选项|選項|评分|評分|结论|結論|等级|等級|评级|評級)"
    r"\s*(?:is|would\s+be|:|：|=|-|为|為|是)?\s*[*_`\"'“「【(\[]*\s*"
    r"|(?:选择|選擇|选|選)\s*"
)
_NEGATION_BEFORE = re.compile(
    r"(?:\bnot|n't|\bnever|不是|并非|並非|而非|非)\s*(?:option\s+)?$", re.IGNORECASE
)
_CONJUNCTIONS = frozenset({"or", "and", "nor", "but", "vs", "versus", "then"})
# Characters that may surround a whole reply or line: markdown, brackets, quotes, a stop.
_DECORATION = " \t*_`\"'“”「」【】()[]（）.。:：!！"
# Replies longer than this many words are read for labelled tokens only.
_MAX_SHORT_WORDS = 8


def pick_token(text: str, tokens: Mapping[str, str]) -> TokenPick:
    """Find the tokens a reply gives. `tokens` maps each written form to the value it gives.

    Written forms of one character (letters) must be capitals in running text; longer
    forms (CORRECT, NOT ATTEMPTED) match in any case. Returns no values when the reply
    gives none.
    """
    prepared = unicodedata.normalize("NFKC", text).strip()
    whole = _whole_token(prepared, tokens)
    if whole is not None:
        return TokenPick((whole,), "the whole reply")

    pattern = _token_pattern(tokens)
    found = [*_labelled(prepared, pattern, tokens), *_final_line(prepared, tokens)]
    found += _leading(prepared, tokens)
    if found:
        return TokenPick(tuple(dict.fromkeys(found)), "a labelled answer")

    if len(prepared.split()) <= _MAX_SHORT_WORDS:
        standalone = _standalone(prepared, pattern, tokens)
        return TokenPick(tuple(dict.fromkeys(standalone)), "a short reply")
    return TokenPick((), "no labelled answer")


def _whole_token(text: str, tokens: Mapping[str, str]) -> str | None:
    cleaned = text.strip(_DECORATION)
    return _lookup(cleaned, tokens, any_case=True)


def _lookup(written: str, tokens: Mapping[str, str], *, any_case: bool) -> str | None:
    key = re.sub(r"[\s_]+", " ", written).strip()
    for form, value in tokens.items():
        form_key = re.sub(r"[\s_]+", " ", form)
        folded = key.casefold() == form_key.casefold()
        if key == form_key or ((any_case or len(form) > 1) and folded):
            return value
    return None


def _token_pattern(tokens: Mapping[str, str]) -> re.Pattern[str]:
    # Longer forms first, so that INCORRECT is not read as CORRECT and NOT_ATTEMPTED not as
    # NOT. Spaces and underscores are interchangeable: NOT ATTEMPTED, NOT_ATTEMPTED.
    forms = sorted(tokens, key=len, reverse=True)
    alternatives = [re.sub(r"[ _]", "[ _]", re.escape(form)) for form in forms]
    return re.compile(r"(?<![A-Za-z])(" + "|".join(alternatives) + r")(?![A-Za-z])", re.I)


def _labelled(text: str, pattern: re.Pattern[str], tokens: Mapping[str, str]) -> list[str]:
    found: list[str] = []
    for label in re.finditer(_LABEL, text, re.IGNORECASE):
        match = pattern.match(text, label.end())
        if match is None or _is_negated(text, label.start()):
            continue
        value = _accepted(match, tokens, any_case_words=True)
        if value is not None and not _is_article(text, match):
            found.append(value)
    return found


def _final_line(text: str, tokens: Mapping[str, str]) -> list[str]:
    lines = [line for line in text.splitlines() if line.strip(_DECORATION)]
    if len(lines) < 2:
        return []
    value = _lookup(lines[-1].strip(_DECORATION), tokens, any_case=False)
    return [value] if value is not None else []


def _leading(text: str, tokens: Mapping[str, str]) -> list[str]:
    # An option letter that opens the reply: "B. Paris", "(B) Paris", "B) Paris", "B：巴黎".
    match = re.match(r"[(\[（]?\s*([A-Z])\s*[.)\]）:：、]\s*\S", text)
    if match is None:
        return []
    value = tokens.get(match.group(1))
    return [value] if value is not None else []


def _standalone(text: str, pattern: re.Pattern[str], tokens: Mapping[str, str]) -> list[str]:
    found: list[str] = []
    for match in pattern.finditer(text):
        if _is_negated(text, match.start()) or _is_article(text, match):
            continue
        value = _accepted(match, tokens, any_case_words=False)
        if value is not None:
            found.append(value)
    return found


def _accepted(
    match: re.Match[str], tokens: Mapping[str, str], *, any_case_words: bool
) -> str | None:
    # In running text only capitals count: "a" and "b" are words, and "correct" is an
    # adjective unless it follows a label ("the answer is correct").
    written = match.group(1)
    if not written.isupper() and (len(written) == 1 or not any_case_words):
        return None
    return _lookup(written, tokens, any_case=False)


def _is_article(text: str, match: re.Match[str]) -> bool:
    # "A correct answer": a capital A followed by a lower-case word is the article, but
    # "A or B" names two letters.
    if match.group(1) != "A":
        return False
    following = re.match(r"\s+([a-z]+)", text[match.end() :])
    return following is not None and following.group(1) not in _CONJUNCTIONS


def _is_negated(text: str, start: int) -> bool:
    return _NEGATION_BEFORE.search(text[max(0, start - 16) : start]) is not None

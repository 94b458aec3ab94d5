"""What competes with a gold alias that an answer contains, and so keeps it from being correct.

Only the sentences that contain the gold alias are checked. In them, an alternative ("Paris
or Lyon", 北京、上海), a negation ("not Paris"), another capitalised name beside a Latin
answer, or another value of the same kind beside a Chinese answer (商代 beside 西周) makes
the answer undecided.
"""

import re
import unicodedata
from collections.abc import Sequence

from probe.grading.aliases import Alias, contains_alias, find_all, find_words
from probe.grading.cjk_values import (
    ALIAS_INTRODUCERS,
    compare_values,
    find_kinded,
    kind_suffix,
    value_kind,
)
from probe.grading.normalize import has_cjk, normalize_text, tokens
from probe.grading.places import QUALIFIER_WORDS
from probe.questions import Question

# Markers of an alternative in the sentence of the gold answer: "Paris or Lyon", "Paris/Lyon",
# 北京或上海. 或許/或许 means "perhaps" and is no alternative, and 5/10 is a fraction.
_ALTERNATION = re.compile(r"\bor\b|\beither\b|(?<!\d)/(?!\d)|或(?![許许])|還是|还是", re.IGNORECASE)
_NEGATION_BEFORE_ALIAS = re.compile(
    r"\b(?:not|never|neither|nor|isnt|wasnt|arent|werent)\s+(?:\S+\s+){0,2}$"
    r"|(?:不是|並非|并非|而非|不在|不屬於|不属于)\s*\S{0,2}$"
)
# A value the answer rules out competes with nothing: 并非起源于辽代.
_CJK_NEGATION_BEFORE = re.compile(r"(?:不是|並非|并非|而非|不在|没有|沒有)\S{0,4}$")
# Applied to NFKC text, in which full-width ! and ? are already ASCII.
SENTENCE = re.compile(r"[^.!?。\n]+(?:[.!?。]+|$)")
_CAPITALISED_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
# A gloss in brackets right after the answer: "OER (Open Educational Resources)".
_GLOSS_AFTER = re.compile(r"\s*[(（][^()（）]*[)）]")

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


def find_competitor(
    question: Question, answer: str, contained: Sequence[Alias], aliases: Sequence[Alias]
) -> str | None:
    """Return why the contained gold alias is not a clear answer, or None when it is."""
    # NOTE: only the sentences that contain the gold answer are checked, so "Lyon. Paris."
    # grades as Paris.
    alias_words = {token for alias in aliases for token in tokens(alias.normalised)}
    question_words = set(tokens(normalize_text(question.question)))
    known_words = alias_words | question_words | _NON_NAME_WORDS | QUALIFIER_WORDS
    for sentence in SENTENCE.findall(unicodedata.normalize("NFKC", answer)):
        found = [alias for alias in contained if contains_alias(sentence, alias)]
        if not found:
            continue
        problem = _sentence_competitor(sentence, found, alias_words, known_words)
        problem = problem or _kind_competitor(question, sentence, found, aliases)
        if problem is not None:
            return problem
    return None


def _sentence_competitor(
    sentence: str, found: list[Alias], alias_words: set[str], known_words: set[str]
) -> str | None:
    if _ALTERNATION.search(sentence) or any(_is_listed(sentence, alias) for alias in found):
        return "an alternative is offered beside the gold answer"

    normalised = normalize_text(sentence)
    for alias in found:
        if _is_negated(normalised, alias):
            return f"the gold answer {alias.raw!r} is negated"

    # Latin words beside a CJK answer are mostly translations or scientific names, such as
    # 先驱者10号 (Pioneer 10), so names are compared only for answers in other scripts.
    if any(has_cjk(alias.normalised) for alias in found):
        return None
    names = _other_names(_without_glosses(sentence, found), found, alias_words, known_words)
    if names:
        return f"another name appears beside the gold answer: {', '.join(names)}"
    return None


def _kind_competitor(
    question: Question, sentence: str, found: list[Alias], aliases: Sequence[Alias]
) -> str | None:
    # 毛公鼎铭文出自商武丁时期（西周末年），是商代的青铜器铭文 names two dynasties.
    for alias in found:
        kind = value_kind(alias.raw)
        if kind is None or not has_cjk(alias.normalised):
            continue
        suffix = kind_suffix(alias.raw)
        for value in find_kinded(sentence, kind, suffix):
            if _is_other_value(question, sentence, value.text, value.start, aliases):
                return (
                    f"another value of the same kind appears beside the gold answer: {value.text}"
                )
    return None


def _is_other_value(
    question: Question, sentence: str, text: str, start: int, aliases: Sequence[Alias]
) -> bool:
    if text in unicodedata.normalize("NFKC", question.question):
        return False
    before = sentence[max(0, start - 12) : start]
    if ALIAS_INTRODUCERS.search(before) or _CJK_NEGATION_BEFORE.search(before):
        return False
    # A part of the gold answer (北宋 in 北宋初年), the gold with a qualifier (安徽省合肥市)
    # or the gold itself is no competitor.
    normalised = normalize_text(text).replace(" ", "")
    for alias in aliases:
        plain = alias.normalised.replace(" ", "")
        if normalised in plain or plain in normalised:
            return False
    return all(compare_values(text, alias.raw) != "same" for alias in aliases)


def _is_listed(sentence: str, alias: Alias) -> bool:
    # The enumeration comma 、 is common inside CJK sentences ("政治家、文学家欧阳修"), so it
    # marks a competing value only right next to the gold answer, as in 王绪、王延忠.
    if not has_cjk(alias.normalised):
        return False
    text = unicodedata.normalize("NFKC", sentence).casefold()
    for position in find_all(text, alias.normalised):
        end = position + len(alias.normalised)
        if "、" in text[max(0, position - 2) : position] + text[end : end + 2]:
            return True
    return False


def _is_negated(normalised: str, alias: Alias) -> bool:
    if has_cjk(alias.normalised):
        positions = find_all(normalised, alias.normalised)
    else:
        positions = find_words(normalised, alias.normalised)
    # A negation comes at most a few words before the answer, so a short window suffices
    # and keeps long repetitive answers fast.
    windows = (normalised[max(0, position - 40) : position] for position in positions)
    return any(_NEGATION_BEFORE_ALIAS.search(window) for window in windows)


def _without_glosses(sentence: str, found: list[Alias]) -> str:
    # A bracket right after the answer explains it: "OER (Open Educational Resources)".
    text = sentence
    for alias in found:
        raw = re.escape(unicodedata.normalize("NFKC", alias.raw).strip())
        text = re.sub(rf"({raw}){_GLOSS_AFTER.pattern}", r"\1", text, flags=re.IGNORECASE)
    return text


def _other_names(
    sentence: str, found: list[Alias], alias_words: set[str], known_words: set[str]
) -> list[str]:
    # A capitalised word that is neither in the question nor in a gold alias may be a
    # competing answer ("Paris, not Lyon"). The first word of a sentence counts too, unless
    # it is a common opener, and a run of capitalised words that contains a gold word is one
    # name ("Frank Owen Gehry"). Countries and nationalities qualify the answer ("Paris,
    # France"; "the French engineer"), and a run whose initials spell an acronym answer
    # expands it ("Open Educational Resources" for OER).
    acronyms = {alias.normalised for alias in found if alias.raw.strip().isupper()}
    names: list[str] = []
    for run in _capitalised_runs(sentence):
        words = [_name_word(word) for word in run]
        if any(word in alias_words for word in words):
            continue
        if "".join(word[0] for word in words) in acronyms:
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

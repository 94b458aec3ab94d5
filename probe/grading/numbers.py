"""Years and numbers: grade the values an answer states against the gold values.

A gold answer may give an acceptable range ("211 (acceptable range: anything between 208
and 214)"). A value that the question itself states is no candidate answer. When the
answer states several values, the grade is decided only when all of them match, when all
of them differ, or when one of them is tied to the question's wording (probe.grading.anchors).
"""

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from probe.grading.anchors import anchored_group, is_anchored
from probe.grading.grade import Grade
from probe.grading.markers import marked_span
from probe.grading.normalize import normalize_text, text_key
from probe.grading.number_mentions import NumberMention, find_numbers, format_number
from probe.outcomes import Outcome
from probe.questions import AnswerType, Question

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GoldNumber:
    """One gold value, with the range of values that count as the same answer."""

    value: Decimal
    low: Decimal
    high: Decimal
    ordinal: bool
    counter: str

    def accepts(self, value: Decimal) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class _Candidate:
    # One quantity the answer states: a value, or the same value in two units.
    values: tuple[Decimal, ...]
    mentions: tuple[NumberMention, ...]


ACCEPTABLE_RANGE = re.compile(
    r"[(\[]?\s*acceptable\s+range:?\s*(?:anything\s+)?(?:between\s+|from\s+)?"
    r"(?P<low>-?[\d,.]+)\s*(?:and|to|-|–)\s*(?P<high>-?[\d,.]+)\s*[)\]]?",
    re.IGNORECASE,
)
_FIRST_SENTENCE = re.compile(r"[^.!?。！？\n]*(?:[。！？\n]|[.!?](?=\s|$)|$)")
# The measure word a question asks for: 多少卷, 几届, "how many volumes".
_PERCENT_AFTER = re.compile(r"\s*(?:%|percent\b|per\s+cent\b|百分)", re.IGNORECASE)
_ASKED_COUNTER = re.compile(
    r"(?:多少|几|幾)(?P<cjk>[\u3400-\u9fff])|\bhow\s+many\s+(?P<word>[A-Za-z]{2,})", re.IGNORECASE
)


def grade_number(question: Question, answer: str) -> Grade | None:
    """Grade a year or number answer, or return None when no gold answer has a number."""
    golds = _gold_numbers(question.answers, question.answer_type)
    flat = [gold for alias in golds for gold in alias]
    if question.answers and not flat:
        return None

    mentions = _relevant_mentions(question, answer, flat)
    canonical = " / ".join(format_number(gold.value) for gold in golds[0]) if flat else ""
    noun = "year" if question.answer_type == "year" else "number"
    if not mentions:
        return Grade(
            Outcome.UNGRADED, f"no {noun} found in the answer", text_key(normalize_text(answer))
        )

    range_grade = _grade_range(mentions, flat, noun)
    if range_grade is not None:
        return range_grade
    candidates = _candidates(mentions)
    return _decide(question, answer, candidates, flat, canonical, noun)


def _relevant_mentions(
    question: Question, answer: str, golds: Sequence[GoldNumber]
) -> list[NumberMention]:
    # A value the question already states ("the 2022 festival") is no candidate, unless the
    # gold answer is that same value.
    gold_values = {gold.value for gold in golds}
    stated = {mention.value for mention in find_numbers(question.question, question.answer_type)}
    mentions = [
        mention
        for mention in find_numbers(answer, question.answer_type)
        if mention.value not in stated - gold_values
    ]
    # A percentage is another kind of value than a count or a year, unless the gold is one:
    # "I am more than 16% confident" states no answer to "How many states…?".
    if not any(_PERCENT_AFTER.search(text) for text in (*question.answers, question.question)):
        text = unicodedata.normalize("NFKC", answer)
        mentions = [mention for mention in mentions if not _PERCENT_AFTER.match(text, mention.end)]

    # An ordinal gold (第三届, 15th) is compared with ranks only: 2017年 is no rank.
    if golds and all(gold.ordinal for gold in golds):
        counters = {gold.counter for gold in golds if gold.counter}
        return [mention for mention in mentions if mention.ordinal or mention.counter in counters]

    # A value after an answer marker stays a candidate without the counter asked for, so
    # that "There are 50 states. The answer is 12" is seen to contradict itself.
    counter = _asked_counter(question, golds)
    span = marked_span(unicodedata.normalize("NFKC", answer))
    counted = [
        mention
        for mention in mentions
        if (counter and _same_counter(mention, counter))
        or (span is not None and span.start <= mention.start < span.end)
    ]
    return counted if counter and counted else mentions


def _asked_counter(question: Question, golds: Sequence[GoldNumber]) -> str:
    asked = _ASKED_COUNTER.search(unicodedata.normalize("NFKC", question.question))
    if asked is not None:
        return asked["cjk"] or asked["word"].casefold()
    counters = {gold.counter for gold in golds if gold.counter}
    return counters.pop() if len(counters) == 1 else ""


def _same_counter(mention: NumberMention, counter: str) -> bool:
    # "volumes" and "volume" are one word; five letters tell English nouns apart well enough.
    if len(counter) == 1:
        return mention.counter == counter
    return mention.counter[:5] == counter[:5]


def _grade_range(
    mentions: Sequence[NumberMention], golds: Sequence[GoldNumber], noun: str
) -> Grade | None:
    for mention in mentions:
        if mention.range_with is None or mention.range_with < mentions.index(mention):
            continue
        other = mentions[mention.range_with]
        low, high = sorted((mention.value, other.value))
        listed = f"{format_number(low)}–{format_number(high)}"
        if any(gold.low <= high and low <= gold.high for gold in golds):
            reason = f"the answer gives the {noun} range {listed}, not one {noun}"
            return Grade(Outcome.UNGRADED, reason, listed)
    return None


def _candidates(mentions: Sequence[NumberMention]) -> list[_Candidate]:
    groups: dict[int, list[NumberMention]] = {}
    for mention in mentions:
        groups.setdefault(mention.group, []).append(mention)

    candidates: dict[tuple[Decimal, ...], list[NumberMention]] = {}
    for members in groups.values():
        values = tuple(dict.fromkeys(member.value for member in members))
        candidates.setdefault(values, []).extend(members)
    return [_Candidate(values, tuple(members)) for values, members in candidates.items()]


def _decide(
    question: Question,
    answer: str,
    candidates: list[_Candidate],
    golds: Sequence[GoldNumber],
    canonical: str,
    noun: str,
) -> Grade:
    matching = [candidate for candidate in candidates if _matches(candidate, golds)]
    if len(matching) == len(candidates):
        listed = ", ".join(_listed(candidate) for candidate in candidates)
        return Grade(Outcome.CORRECT, f"{noun} {listed} matches the gold answer", canonical)

    marked = _decide_marked(answer, candidates, matching, canonical, noun)
    if marked is not None:
        return marked
    if len(candidates) > 1:
        anchored = _anchored(question, answer, candidates)
        if anchored is not None:
            return _decide_anchored(anchored, golds, canonical, noun)
    listed = ", ".join(_listed(candidate) for candidate in candidates)
    if matching:
        return Grade(Outcome.UNGRADED, f"competing candidates: {listed}", _key(candidates))
    if not any(_is_stated_answer(question, answer, candidate) for candidate in candidates):
        reason = f"the {noun}s in the answer ({listed}) are not tied to the question"
        return Grade(Outcome.UNGRADED, reason, _key(candidates))

    if len(candidates) == 1:
        reason = f"{noun} {listed} differs from the gold answer {canonical}"
        return Grade(Outcome.INCORRECT, reason, _key(candidates))
    reason = f"several candidates ({listed}), none equal to the gold answer {canonical}"
    if question.answer_type == "year" or _all_counted(question, candidates, golds):
        # Every candidate is a value of the kind asked ("1887 or 1890" for a year, "13集 …
        # 25集" for 多少集), so the answer commits to wrong values only.
        return Grade(Outcome.INCORRECT, reason, _key(candidates))
    # Plain numbers may measure different things, as in "In 2017 the country had 345 million
    # people" for a count of states, so the grader cannot tell which one is the answer.
    return Grade(Outcome.UNGRADED, reason, _key(candidates))


def _decide_marked(
    answer: str,
    candidates: Sequence[_Candidate],
    matching: Sequence[_Candidate],
    canonical: str,
    noun: str,
) -> Grade | None:
    # "The answer is: 1930" names the answer among context values. A marked value that
    # differs from the gold decides only when no other value matches it, so that "There are
    # 50 states. The answer is 12" stays ungraded.
    span = marked_span(unicodedata.normalize("NFKC", answer))
    if span is None:
        return None
    marked = [
        candidate
        for candidate in candidates
        if any(span.start <= mention.start < span.end for mention in candidate.mentions)
    ]
    if not marked:
        return None

    listed = ", ".join(_listed(candidate) for candidate in marked)
    if all(candidate in matching for candidate in marked):
        reason = f"{noun} {listed}, given after an answer marker, matches the gold answer"
        return Grade(Outcome.CORRECT, reason, canonical)
    if matching:
        return None
    reason = f"{noun} {listed}, given after an answer marker, differs from {canonical}"
    return Grade(Outcome.INCORRECT, reason, _key(marked))


def _all_counted(
    question: Question, candidates: Sequence[_Candidate], golds: Sequence[GoldNumber]
) -> bool:
    counter = _asked_counter(question, golds)
    return bool(counter) and all(
        _same_counter(mention, counter)
        for candidate in candidates
        for mention in candidate.mentions
    )


def _is_stated_answer(question: Question, answer: str, candidate: _Candidate) -> bool:
    # In a long answer, a value outside the first sentence that the answer does not tie to
    # the question may be context, as in "…并未发生。吴三桂曾在1644年……".
    text = unicodedata.normalize("NFKC", answer)
    first = _FIRST_SENTENCE.match(text)
    if first is None or first.end() >= len(text.rstrip().rstrip("。.!?！？")):
        return True
    return any(
        mention.start < first.end()
        or is_anchored(question.question, text, mention.start, mention.end)
        for mention in candidate.mentions
    )


def _anchored(question: Question, answer: str, candidates: list[_Candidate]) -> _Candidate | None:
    spans = [
        (mention.start, mention.end, index)
        for index, candidate in enumerate(candidates)
        for mention in candidate.mentions
    ]
    text = unicodedata.normalize("NFKC", answer)
    index = anchored_group(question.question, text, spans)
    return None if index is None else candidates[index]


def _decide_anchored(
    candidate: _Candidate, golds: Sequence[GoldNumber], canonical: str, noun: str
) -> Grade:
    listed = _listed(candidate)
    if _matches(candidate, golds):
        reason = f"{noun} {listed}, the one tied to the question's wording, matches the gold answer"
        return Grade(Outcome.CORRECT, reason, canonical)
    reason = f"{noun} {listed}, the one tied to the question's wording, differs from {canonical}"
    return Grade(Outcome.INCORRECT, reason, _key([candidate]))


def _matches(candidate: _Candidate, golds: Sequence[GoldNumber]) -> bool:
    # The same quantity in two units matches when either unit's value does.
    return any(gold.accepts(value) for gold in golds for value in candidate.values)


def _listed(candidate: _Candidate) -> str:
    return " = ".join(format_number(value) for value in candidate.values)


def _key(candidates: Sequence[_Candidate]) -> str:
    return " / ".join(sorted(format_number(candidate.values[0]) for candidate in candidates))


@lru_cache(maxsize=4096)
def _gold_numbers(
    answers: tuple[str, ...], answer_type: AnswerType
) -> tuple[tuple[GoldNumber, ...], ...]:
    # Cached so that the warning below appears once per question, not once per sample.
    parsed = [_gold_values(alias, answer_type) for alias in answers]
    usable = tuple(values for values in parsed if values)
    if answers and not usable:
        logger.warning(
            "no %s found in the gold answers %r; grading them as text. Write the gold answer "
            "with digits, such as 1889 or 8848.",
            answer_type,
            answers,
        )
    return usable


def _gold_values(alias: str, answer_type: AnswerType) -> tuple[GoldNumber, ...]:
    text = unicodedata.normalize("NFKC", alias)
    bounds = ACCEPTABLE_RANGE.search(text)
    if bounds is not None:
        text = text[: bounds.start()] + " " * (bounds.end() - bounds.start()) + text[bounds.end() :]

    golds: dict[Decimal, GoldNumber] = {}
    for mention in find_numbers(text, answer_type):
        low, high = _bounds(bounds, mention.value)
        golds.setdefault(
            mention.value, GoldNumber(mention.value, low, high, mention.ordinal, mention.counter)
        )
    return tuple(golds.values())


def _bounds(found: re.Match[str] | None, value: Decimal) -> tuple[Decimal, Decimal]:
    if found is None:
        return value, value
    low, high = (Decimal(found[name].replace(",", "")) for name in ("low", "high"))
    return min(low, high, value), max(low, high, value)

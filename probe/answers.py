"""Extract the answer text from a model response, or the outcome that needs no grading.

Reasoning is removed before anything else looks at the text, both the separate reasoning
field and `<think>` blocks in the content, so that a model thinking "I don't know... it
opened for the 1889 fair" before it answers is not taken for an abstention.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from probe.outcomes import Outcome
from probe.questions import Question
from probe.responses import ModelResponse

AnswerSource = Literal["content", "reasoning_content", "reasoning"]


@dataclass(frozen=True)
class Extraction:
    """The answer text of one response, or the outcome that makes grading unnecessary."""

    # TRUNCATED, REFUSED, EMPTY or ABSTAINED, or None when there is an answer to grade.
    outcome: Outcome | None
    # The text after reasoning removal. It is kept for ABSTAINED and for a refusal written in
    # the content, and is None when no text could be taken.
    answer: str | None
    # The response field that supplied the text, also for EMPTY and TRUNCATED.
    source: AnswerSource | None
    reason: str


# --- Reasoning removal ---

_THINK_TAG = re.compile(r"<\s*(/?)\s*think\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class _ReasoningSplit:
    answer: str
    reasoning: str | None
    unclosed: bool


def strip_reasoning(text: str) -> tuple[str, str | None]:
    """Remove `<think>` blocks from text and return (answer text, removed reasoning).

    Everything before a closing `</think>` that has no opening tag is reasoning too: chat
    templates that put the opening tag into the prompt leave only the closing one in the
    output. An opening tag that never closes makes the whole text reasoning, with an empty
    answer. The reasoning is None when the text contains no think tag at all.
    """
    split = _split_reasoning(text)
    return split.answer, split.reasoning


def _split_reasoning(text: str) -> _ReasoningSplit:
    answer_parts: list[str] = []
    reasoning_parts: list[str] = []
    inside = False
    position = 0
    found_tag = False

    for tag in _THINK_TAG.finditer(text):
        found_tag = True
        segment = text[position : tag.start()]
        position = tag.end()
        (reasoning_parts if inside else answer_parts).append(segment)

        closing = tag.group(1) == "/"
        if closing and not inside:
            # A lone closing tag: all text so far was reasoning.
            reasoning_parts.extend(answer_parts)
            answer_parts.clear()
        inside = not closing

    (reasoning_parts if inside else answer_parts).append(text[position:])
    if not found_tag:
        return _ReasoningSplit(answer=text.strip(), reasoning=None, unclosed=False)
    if inside:
        return _ReasoningSplit(
            answer="", reasoning=_join(answer_parts + reasoning_parts), unclosed=True
        )
    return _ReasoningSplit(
        answer=_join(answer_parts), reasoning=_join(reasoning_parts), unclosed=False
    )


def _join(parts: list[str]) -> str:
    return "\n".join(part.strip() for part in parts if part.strip())


# --- Extraction ---


def extract_answer(
    response: ModelResponse,
    *,
    answer_from_reasoning: bool = False,
    question: Question | None = None,
) -> Extraction:
    """Find the answer text of a response, or the outcome that needs no grading.

    The checks run in this order: the refusal field, an unclosed `<think>` block, a length
    stop with no answer text, the content filter, missing text, then abstention and a refusal
    written in the answer. When the content is empty but the reasoning field has text, the
    result is EMPTY unless `answer_from_reasoning` is set, which makes that text the answer.
    `question` lets the abstention check recognise a hedged answer by its value.
    """
    if (response.refusal or "").strip():
        return Extraction(Outcome.REFUSED, None, None, "the refusal field is set")

    split = _split_reasoning(response.content or "")
    stop = _classify_stop(response, split)
    if stop is not None:
        return stop

    if split.answer:
        return _classify_text(split.answer, "content", question)
    return _classify_reasoning_only(response, split, answer_from_reasoning, question)


def _classify_stop(response: ModelResponse, split: _ReasoningSplit) -> Extraction | None:
    reasoning_source = _reasoning_source(response, split)
    if split.unclosed:
        return Extraction(Outcome.TRUNCATED, None, "content", "reasoning never closed")

    if response.finish_reason == "length" and not split.answer:
        return Extraction(
            Outcome.TRUNCATED, None, reasoning_source, "stopped for length before an answer"
        )

    if response.finish_reason == "content_filter":
        source: AnswerSource | None = "content" if split.answer else reasoning_source
        return Extraction(
            Outcome.REFUSED, split.answer or None, source, "stopped by the content filter"
        )
    return None


def _reasoning_source(response: ModelResponse, split: _ReasoningSplit) -> AnswerSource | None:
    # The separate field wins over a <think> block because servers that fill it have already
    # moved the reasoning out of the content.
    if (response.reasoning or "").strip():
        return response.reasoning_field or "reasoning"
    if split.reasoning:
        return "content"
    return None


def _reasoning_text(response: ModelResponse, split: _ReasoningSplit) -> str:
    field_text = (response.reasoning or "").strip()
    return field_text or split.reasoning or ""


def _classify_reasoning_only(
    response: ModelResponse,
    split: _ReasoningSplit,
    answer_from_reasoning: bool,
    question: Question | None,
) -> Extraction:
    source = _reasoning_source(response, split)
    text = _reasoning_text(response, split)
    if source is None or not text:
        return Extraction(Outcome.EMPTY, None, None, "no text in the content or reasoning")

    # Any finish reason other than length and content_filter (handled earlier) counts as a
    # normal stop here, including a missing one.
    if not answer_from_reasoning:
        where = "a <think> block" if source == "content" else f"the {source} field"
        return Extraction(Outcome.EMPTY, None, source, f"the text was only in {where}")
    return _classify_text(text, source, question)


def _classify_text(text: str, source: AnswerSource, question: Question | None) -> Extraction:
    if is_abstention(text, question):
        return Extraction(Outcome.ABSTAINED, text, source, "an abstention with no committed answer")

    if is_refusal(text):
        return Extraction(Outcome.REFUSED, text, source, "a refusal written in the answer")
    return Extraction(None, text, source, f"answer text from {source}")


# --- Refusals written in the content ---

# Narrow on purpose: only a reply that opens by declining to help. "I can't determine that"
# and 我无法回答 are abstentions, not refusals.
_REFUSAL = re.compile(
    r"^\W*(?:(?:I'm|I\s+am|I\s+am\s+very|I'm\s+very|very|so)?\s*sorry|apologies|unfortunately)?"
    r"\W*(?:but\s+)?I\s*(?:can't|cannot|can\s+not|won't|will\s+not|'m\s+unable\s+to|am\s+unable\s+to"
    r"|'m\s+not\s+able\s+to|am\s+not\s+able\s+to)\s+(?:help|assist|comply|fulfill|fulfil)\b"
    r"|^\W*(?:很?抱歉|對不起|对不起)?\W*(?:但)?我(?:不能|無法|无法|不可以)"
    r"(?:幫助|帮助|幫忙|帮忙|協助|协助|滿足|满足)",
    re.IGNORECASE,
)


def is_refusal(text: str) -> bool:
    """Return True when the text opens by declining to help, as in "I can't help with that"."""
    return _REFUSAL.search(_prepare(text)) is not None


# --- Abstentions ---

# Texts are NFKC-normalised first, which turns full-width punctuation such as ！ into ASCII.
_CLAUSE = r"[^\s,.;:!?。、]"
_ABSTENTION_PHRASES = re.compile(
    "|".join(
        [
            # English
            r"(?:\bI\s+|^\W*)(?:do\s+not|don't|dont)\s+know\b",
            r"\bI(?:'m|\s+am)\s+not\s+(?:\S+\s+){0,2}?(?:sure|certain)\b",
            r"\bI(?:'m|\s+am)\s+(?:unsure|uncertain)\b",
            r"^\W*not\s+(?:sure|certain)\b",
            (
                r"\bI\s+(?:cannot|can't|cant|can\s+not|am\s+unable\s+to|'m\s+unable\s+to"
                r"|am\s+not\s+able\s+to|'m\s+not\s+able\s+to)\s+(?:determine|say|tell|verify"
                r"|confirm|answer|know|recall|remember)\b"
            ),
            r"\b(?:cannot|can't|can\s+not)\s+be\s+(?:determined|known|verified)\b",
            r"\bimpossible\s+to\s+(?:determine|say|know|tell)\b",
            (
                r"\bI\s+(?:do\s+not|don't|dont)\s+have\s+(?:(?:any|enough|reliable|specific"
                r"|accurate|sufficient|access\s+to|the|that|this)\s+)*(?:information|data"
                r"|details|knowledge|records?|facts)\b"
            ),
            (
                r"\bthere\s+(?:is|are|'s|was|were)\s+no\s+(?:\w+\s+){0,2}?(?:records?"
                r"|information|data|evidence|documentation)\b"
            ),
            r"\bI(?:'m|\s+am)\s+not\s+aware\s+of\b",
            (
                r"\bI\s+(?:could\s+not|couldn't|couldnt|cannot|can't|can\s+not|was\s+unable\s+to"
                r"|am\s+unable\s+to|was\s+not\s+able\s+to|did\s+not|didn't)\s+(?:find|locate)\b"
            ),
            r"\bI\s+have\s+no\s+(?:idea|information|knowledge|records?|data)\b",
            r"\b(?:nobody|no\s+one|no-one)\s+knows\b",
            r"\b(?:is|are|was|were|remains?)\s+(?:still\s+|currently\s+)?(?:unknown|not\s+known)\b",
            # Chinese, Traditional and Simplified
            r"我?(?:並|并)?不(?:太|是很|大)?(?:知道|清楚|確定|确定|記得|记得)(?!性)",
            r"(?:無法|无法|不能)(?:確定|确定|回答|確認|确认|得知|判斷|判断|肯定)",
            rf"(?:無法|无法|不能)提供{_CLAUSE}{{0,8}}?(?:信息|資訊|資料|资料|答案)",
            (
                rf"(?:並|并)?(?:沒有|没有|缺乏|缺少){_CLAUSE}{{0,8}}?"
                r"(?:資料|资料|信息|資訊|記錄|记录|記載|记载)"
            ),
            r"(?:沒有|没有|未能|無法|无法)(?:找到|查到)|找不到|查不到",
        ]
    ),
    re.IGNORECASE,
)

# A whole reply of one of these words is an abstention.
# 不詳 is only an abstention alone: inside an answer, 作者不详 marks a detail as unknown.
_BARE_ABSTENTION = re.compile(
    r"\W*(?:unknown|no\s+idea|idk|未知|不知道|不詳|不详)\W*", re.IGNORECASE
)

_SENTENCE_END = r"[.!?。\n]"
# Atomic groups stop 但是 from matching as 但 followed by the copula 是.
_CONTRAST = r"(?>\b(?:but|however|though|although|yet)\b|但是|但|不過|不过|然而|可是|只是)"
_HEDGE = (
    r"(?:\bI\s+(?:think|believe|guess|suspect|recall)\b|\bmy\s+(?:best\s+)?guess\b"
    r"|\b(?:probably|likely|possibly|perhaps|maybe)\b"
    r"|可能|應該|应该|大概|也許|也许|或許|或许|估計|估计|似乎|好像|據說|据说|認為|认为"
    r"|推斷|推断|推測|推测|我(?:覺得|觉得|猜|記得|记得|相信))"
)
_COPULA = (
    r"(?:\b(?:it|this|that|the\s+answer|he|she|they)(?:'s|\s+(?:is|was|were|are|would\s+be"
    r"|might\s+be|may\s+be|could\s+be|should\s+be))\b|答案|是)"
)
_STRONG_COMMITMENT = (
    r"(?:\bI\s+(?:think|believe)\b|\bmy\s+(?:best\s+)?guess\b|\bthe\s+answer\s+(?:is|would\s+be)\b"
    r"|我(?:認為|认为|覺得|觉得|猜|相信)|可以(?:說|说|認為|认为)|答案(?:是|為|为|應該|应该))"
)
_COMMITMENT_AFTER = re.compile(
    rf"{_CONTRAST}(?:(?!{_SENTENCE_END}).)*?(?:{_HEDGE}|{_COPULA})"
    rf"|^(?:(?!{_SENTENCE_END}).)*?{_HEDGE}"
    rf"|{_STRONG_COMMITMENT}",
    re.IGNORECASE | re.DOTALL,
)
_COMMITMENT_BEFORE = re.compile(rf"{_HEDGE}|{_STRONG_COMMITMENT}", re.IGNORECASE)
# An answer followed by a hedge: "Paris, but I'm not sure", "Paris (I'm not certain)".
_HEDGE_TAIL = re.compile(rf"(?:[\s,;:]*{_CONTRAST}|\s*[(\[\u2013\u2014]|\s+-)\W*$", re.IGNORECASE)
# Openers that carry no answer, removed before deciding whether a prefix says anything.
_FILLER = re.compile(
    r"\b(?:I'm\s+sorry|I\s+am\s+sorry|sorry|apologies|unfortunately|honestly|to\s+be\s+honest"
    r"|hmm+|um+|well|good\s+question|great\s+question|as\s+an\s+AI(?:\s+language\s+model)?)\b"
    r"|很?抱歉|對不起|对不起|嗯|說實話|说实话|好問題|好问题",
    re.IGNORECASE,
)

_YEAR_VALUE = re.compile(r"(?<![A-Za-z\d.])(?:\d{3,4}(?!\d)|\d+(?=\s*年))")
_ANY_VALUE = re.compile(r"(?<![A-Za-z\d.])\d+(?:[.,]\d+)*")
_DATE_WORD = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|\d\s*月", re.IGNORECASE
)


def is_abstention(text: str, question: Question | None = None) -> bool:
    """Return True when the text declines to answer and commits to no value.

    An abstention phrase ("I don't know", 我不確定) followed by a commitment is a hedged
    answer, not an abstention: a contrast word with a hedge or copula ("but I think it was"),
    a hedge in the same sentence, or a value of the question's type that the question does
    not already contain. An answer stated before the phrase ("Paris, but I'm not sure")
    counts the same way. Without `question`, values are not checked.
    """
    prepared = _prepare(text)
    if _BARE_ABSTENTION.fullmatch(prepared):
        return True

    match = _ABSTENTION_PHRASES.search(prepared)
    if match is None:
        return False

    before, after = prepared[: match.start()], prepared[match.end() :]
    return not (_commits_before(before, question) or _commits_after(after, question))


def _prepare(text: str) -> str:
    # NFKC makes full-width letters, digits and most CJK punctuation ASCII. Curly apostrophes
    # (U+2019) become straight ones so that one pattern matches both spellings of "don't".
    text = unicodedata.normalize("NFKC", text)
    return text.replace("\u2019", "'").replace("\u2018", "'").strip()


def _commits_after(after: str, question: Question | None) -> bool:
    if _COMMITMENT_AFTER.search(after):
        return True
    return _mentions_value(after, question)


def _commits_before(before: str, question: Question | None) -> bool:
    if _COMMITMENT_BEFORE.search(before):
        return True

    content = _FILLER.sub(" ", before)
    # A whole sentence before the phrase ("It is a Qing novel. The author is unknown.") is
    # an answer with a caveat after it. Treating it as an answer risks an UNGRADED sample,
    # while treating it as an abstention would hide a possible hallucination.
    if re.search(rf"\w[^.!?。\n]*{_SENTENCE_END}", content):
        return True

    tail = _HEDGE_TAIL.search(content)
    if tail is not None and re.search(r"\w", content[: tail.start()]):
        return True
    return _is_short(content) and _mentions_value(content, question)


def _is_short(text: str) -> bool:
    cjk = len(re.findall(r"[\u3400-\u9fff]", text))
    words = len(re.findall(r"[^\W\d_]+|\d+", re.sub(r"[\u3400-\u9fff]", " ", text)))
    return words <= 4 and cjk <= 8


def _mentions_value(text: str, question: Question | None) -> bool:
    # A rough check: grading parses values exactly. This only has to tell a hedged guess
    # ("I'm not sure. Maybe 1889.") from a bare abstention, so any value of the question's
    # type counts, unless the question text itself contains it.
    if question is None or question.answer_type not in ("year", "number", "date"):
        return False
    if question.answer_type == "date" and _DATE_WORD.search(text):
        return True

    pattern = _YEAR_VALUE if question.answer_type == "year" else _ANY_VALUE
    question_values = set(pattern.findall(unicodedata.normalize("NFKC", question.question)))
    return any(value not in question_values for value in pattern.findall(text))

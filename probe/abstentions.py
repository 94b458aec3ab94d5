"""Abstentions and refusals written in an answer, and hedged answers that still commit.

"I don't know" and 我不確定 decline to answer, unless the text still commits to a value:
"我不太確定，但應該是1889年" is an answer of 1889, as is "I'm not sure, but I think it was
1889". Users can add phrases of their own (the `grading.abstention_phrases` config field).
"""

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from probe.numerals import chinese_numerals, english_numerals
from probe.questions import Question

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
            # "I'm not more than 75% confident" answers the threshold prompt's condition.
            r"\bI(?:'m|\s+am)\s+not\s+(?:\S+\s+){0,3}?(?:sure|certain|confident)\b",
            r"\bI(?:'m|\s+am)\s+(?:unsure|uncertain)\b",
            r"\bI\s+(?:do\s+not|don't|dont)\s+feel\s+(?:\S+\s+){0,2}?(?:sure|certain|confident)\b",
            r"^\W*not\s+(?:\S+\s+){0,3}?(?:sure|certain|confident)\b",
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
                r"\bthere(?:\s+(?:is|are|was|were)|'s)\s+no\s+(?:\w+\s+){0,2}?(?:records?"
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
            # Deflections that send the reader elsewhere instead of answering.
            (
                r"\bI\s+(?:would\s+)?(?:recommend|suggest)\s+(?:checking|consulting|looking\s+up"
                r"|referring\s+to)\b"
            ),
            r"\bplease\s+provide\s+more\s+(?:context|information|details)\b",
            r"\bI\s+(?:cannot|can't|am\s+unable\s+to|'m\s+unable\s+to)\s+provide\b",
            # Chinese, Traditional and Simplified
            r"我?(?:並|并)?不(?:太|是很|大)?(?:知道|清楚|確定|确定|記得|记得)(?!性)",
            r"(?:無法|无法|不能)(?:確定|确定|回答|確認|确认|得知|判斷|判断|肯定)",
            rf"(?:無法|无法|不能)提供{_CLAUSE}{{0,12}}?(?:信息|資訊|資料|资料|答案)",
            r"(?:還|还)?(?:沒有|没有|未)學會回答|(?:還|还)?(?:沒有|没有|未)学会回答|不(?:會|会)回答",
            r"(?:無從|无从)(?:考證|考证|得知|查證|查证)|難以(?:確定|考證|查證)|难以(?:确定|考证|查证)",
            r"(?:不予?|不便)(?:評論|评论)",
            # Deflections: 建议您查阅官方资料, 需要查阅历史档案, 请提供更多信息.
            r"建(?:議|议)(?:您|你)?(?:查閱|查阅|查詢|查询|參考|参考|諮詢|咨询|聯繫|联系)",
            r"需要(?:查閱|查阅|查詢|查询)",
            r"(?:請|请)(?:您|你)?提供更多",
            (
                rf"(?:並|并)?(?:沒有|没有|缺乏|缺少){_CLAUSE}{{0,8}}?"
                r"(?:資料|资料|信息|資訊|記錄|记录|記載|记载)"
            ),
            r"(?:沒有|没有|未能|無法|无法)(?:找到|查到)|找不到|查不到",
            # 我没有超过75%的把握, 我的把握沒有超過 75%, 我不太有把握. The prompt's own
            # "如果你的把握没有超过" names 你, so an echo of it does not match.
            r"我(?:並|并)?(?:沒有|没有|沒|没)[^,.;:!?。、\n]{0,12}?把握",
            r"我的?把握(?:沒有|没有|不到|不足|不夠|不够)",
            r"我(?:並|并)?不(?:太|是很|大)?有把握",
            r"(?:沒有|没有|缺乏)(?:足夠|足够|十足)的?把握",
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
_CONTRAST_PATTERN = re.compile(_CONTRAST, re.IGNORECASE)
_HEDGE_PATTERN = re.compile(_HEDGE, re.IGNORECASE)
_HEDGE_OR_COPULA = re.compile(f"{_HEDGE}|{_COPULA}", re.IGNORECASE)
_STRONG_PATTERN = re.compile(_STRONG_COMMITMENT, re.IGNORECASE)
_SENTENCE_SPLIT = re.compile(_SENTENCE_END)
_COMMITMENT_BEFORE = re.compile(rf"{_HEDGE}|{_STRONG_COMMITMENT}", re.IGNORECASE)
# An answer followed by a hedge: "Paris, but I'm not sure", "Paris (I'm not certain)".
_TAIL_WINDOW = 40  # characters
_HEDGE_TAIL = re.compile(rf"(?:[\s,;:]*{_CONTRAST}|\s*[(\[\u2013\u2014]|\s+-)\W*$", re.IGNORECASE)
# Openers that carry no answer, removed before deciding whether a prefix says anything.
_FILLER = re.compile(
    r"\b(?:I'm\s+sorry|I\s+am\s+sorry|sorry|apologies|unfortunately|honestly|to\s+be\s+honest"
    r"|hmm+|um+|well|good\s+question|great\s+question|as\s+an\s+AI(?:\s+language\s+model)?)\b"
    r"|很?抱歉|對不起|对不起|嗯|說實話|说实话|好問題|好问题",
    re.IGNORECASE,
)

# Answer types whose values the check below can see.
_VALUE_TYPES = frozenset({"year", "number", "date"})
_YEAR_VALUE = re.compile(r"(?<![A-Za-z\d.])(?:\d{3,4}(?!\d)|\d+(?=\s*年))")
_ANY_VALUE = re.compile(r"(?<![A-Za-z\d.])\d+(?:[.,]\d+)*")
# A confidence level ("not more than 75% confident") is no value of the answer.
_PERCENT_AFTER = re.compile(r"\s*(?:%|percent\b|per\s+cent\b)", re.IGNORECASE)
_DATE_WORD = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|\d\s*月", re.IGNORECASE
)


def is_abstention(
    text: str, question: Question | None = None, extra_phrases: Sequence[str] = ()
) -> bool:
    """Return True when the text declines to answer and commits to no value.

    An abstention phrase ("I don't know", 我不確定) followed by a commitment is a hedged
    answer, not an abstention. A commitment is a contrast word with a hedge or copula ("but
    I think it was"), a hedge in the same sentence, or a value of the question's type that
    the question does not already contain. An answer before the phrase counts the same way:
    a hedge, a fragment ending in a contrast ("Paris, but I'm not sure"), a value of the
    question's type, or for questions whose type has no parsable value, a whole sentence.
    Without `question`, values are not checked. `extra_phrases` are matched as literal
    text, case-insensitively, in addition to the built-in lexicon.
    """
    prepared = _prepare(text)
    if _BARE_ABSTENTION.fullmatch(prepared):
        return True

    match = _first_phrase(prepared, tuple(extra_phrases))
    if match is None:
        return False

    before, after = prepared[: match.start()], prepared[match.end() :]
    return not (_commits_before(before, question) or _commits_after(after, question))


def has_abstention_phrase(text: str, extra_phrases: Sequence[str] = ()) -> bool:
    """Return True when the text contains an abstention phrase, committed answer or not."""
    return _first_phrase(_prepare(text), tuple(extra_phrases)) is not None


def _first_phrase(text: str, extra_phrases: tuple[str, ...]) -> re.Match[str] | None:
    found = [_ABSTENTION_PHRASES.search(text)]
    if extra_phrases:
        found.append(_extra_pattern(extra_phrases).search(text))
    matches = [match for match in found if match is not None]
    return min(matches, key=lambda match: match.start()) if matches else None


@lru_cache(maxsize=16)
def _extra_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    # NFKC as the text is, so that a full-width phrase matches its ASCII form.
    escaped = [re.escape(_prepare(phrase)) for phrase in phrases if phrase.strip()]
    return re.compile("|".join(escaped) or "(?!)", re.IGNORECASE)


def _prepare(text: str) -> str:
    # NFKC makes full-width letters, digits and most CJK punctuation ASCII. Curly apostrophes
    # (U+2019) become straight ones so that one pattern matches both spellings of "don't".
    text = unicodedata.normalize("NFKC", text)
    return text.replace("\u2019", "'").replace("\u2018", "'").strip()


def _commits_after(after: str, question: Question | None) -> bool:
    sentences = _SENTENCE_SPLIT.split(after)
    if _HEDGE_PATTERN.search(sentences[0]) or _STRONG_PATTERN.search(after):
        return True

    if any(_has_contrast_commitment(sentence) for sentence in sentences):
        return True
    return _mentions_value(after, question)


def _has_contrast_commitment(sentence: str) -> bool:
    contrast = _CONTRAST_PATTERN.search(sentence)
    return contrast is not None and _HEDGE_OR_COPULA.search(sentence, contrast.end()) is not None


def _commits_before(before: str, question: Question | None) -> bool:
    if _COMMITMENT_BEFORE.search(before):
        return True
    if question is not None and question.answer_type in _VALUE_TYPES:
        # Sentences without a year before "建议查询官方信息" give context, not an answer.
        return _mentions_value(before, question)

    content = _FILLER.sub(" ", before)
    # A whole sentence before the phrase ("It is a Qing novel. The author is unknown.") is
    # an answer with a caveat after it. Treating it as an answer risks an UNGRADED sample,
    # while treating it as an abstention would hide a possible hallucination.
    finished_sentences = _SENTENCE_SPLIT.split(content)[:-1]
    if any(re.search(r"\w", sentence) for sentence in finished_sentences):
        return True

    # The tail is at the end, and searching only there keeps this linear in the text length.
    window_start = max(0, len(content) - _TAIL_WINDOW)
    tail = _HEDGE_TAIL.search(content, window_start)
    if tail is not None and re.search(r"\w", content[: tail.start()]):
        return True
    return _is_short_fragment(content) and _mentions_value(content, question)


def _is_short_fragment(text: str) -> bool:
    cjk = len(re.findall(r"[\u3400-\u9fff]", text))
    words = len(re.findall(r"[^\W\d_]+|\d+", re.sub(r"[\u3400-\u9fff]", " ", text)))
    return words <= 4 and cjk <= 8


def _mentions_value(text: str, question: Question | None) -> bool:
    # A rough check: grading parses values exactly. This only has to tell a hedged guess
    # ("I'm not sure. Maybe 1889.") from a bare abstention, so any value of the question's
    # type counts, unless the question text itself contains it.
    if question is None or question.answer_type not in _VALUE_TYPES:
        return False
    if question.answer_type == "date" and _DATE_WORD.search(text):
        return True

    pattern = _YEAR_VALUE if question.answer_type == "year" else _ANY_VALUE
    question_values = set(pattern.findall(unicodedata.normalize("NFKC", question.question)))
    values = [
        found.group()
        for found in pattern.finditer(text)
        if not _PERCENT_AFTER.match(text, found.end()) or _asks_percent(question)
    ]
    if any(value not in question_values for value in values):
        return True
    # 大概四卷吧: numbers in words count for number questions.
    return question.answer_type == "number" and bool(
        chinese_numerals(text) or english_numerals(text)
    )


def _asks_percent(question: Question) -> bool:
    texts = (question.question, *question.answers)
    return any(_PERCENT_AFTER.search(text) or "百分" in text for text in texts)

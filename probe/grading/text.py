"""Person, place and text answers: find a gold alias in the answer, or name another value.

An answer that contains a gold alias is correct unless something competes with it
(probe.grading.competitors). An answer without any alias is incorrect only when it clearly
names another value: a short answer, or the first sentence of a long one, whose words
left after removing the question's words share nothing with the gold answer, or a Chinese
value of the gold's kind (probe.grading.cjk_values). A surname or a reordered name counts
for a person, and a rank for an ordinal ("15th" for "15th place").
"""

import re
import unicodedata
from collections.abc import Sequence

from probe.answers import has_abstention_phrase
from probe.grading.aliases import Alias, contains_alias, gold_aliases
from probe.grading.cjk_values import compare_values, find_kinded, kind_suffix, value_kind
from probe.grading.competitors import find_competitor
from probe.grading.grade import Grade
from probe.grading.markers import marked_text
from probe.grading.normalize import (
    cjk_pairs,
    has_cjk,
    is_cjk,
    join_tokens,
    normalize_text,
    text_key,
    tokens,
)
from probe.grading.number_mentions import find_numbers, format_number
from probe.outcomes import Outcome
from probe.questions import Question

_NEGATION_WORDS = frozenset({"not", "never", "neither", "nor", "isnt", "wasnt", "no", "none"})
_CJK_NEGATION = re.compile(
    r"不是|並非|并非|沒有|没有|而非|不屬於|不属于|不会|不會|并未|並未|从未|從未|未曾|未被|无法|無法|不能"
)
_ALTERNATIVE = re.compile(r"\bor\b|或(?![許许])|還是|还是|、", re.IGNORECASE)
_FIRST_SENTENCE = re.compile(r"[^.!?。！？\n]+")
_QUESTION_WORD = re.compile(r"什么|什麼|谁|誰|哪[一个個位部本座种種家里裡儿兒]?|几|幾|多少|何")
_QUESTION_CHARACTERS = frozenset("是的在什么麼谁誰哪一个個几幾多少何|")

# Words removed from an answer before deciding whether what remains is a short value:
# "I think it is Lyon" leaves "lyon", 我認為是上海 leaves 上海.
# fmt: off
_FILLER_TOKENS = frozenset(
    {
        "i", "it", "its", "is", "was", "be", "im", "my", "think", "believe", "guess", "answer",
        "probably", "likely", "maybe", "perhaps", "would", "that", "this", "called", "named",
        "是", "的", "在", "了", "为", "為", "于", "於", "答", "案", "我", "认", "認", "应",
        "應", "该", "該",
    }
)
# fmt: on
# Chinese words that carry no value, removed from a remainder after the single characters
# above: 这句话出自 leaves nothing of 这句话, 根据您提供的描述 nothing at all.
# fmt: off
_CJK_FILLER_WORDS = (
    "这句话", "這句話", "被称为", "被稱為", "指的是", "具体来说", "具體來說", "包括",
    "以及", "并且", "並且", "而且", "通常", "一般", "主要", "根据", "根據", "因此",
    "所以", "这个", "這個", "您", "你", "提供", "描述", "称为", "稱為", "叫做", "就是",
    "其中", "具体", "具體", "之一", "一种", "一種", "一位", "一个", "一個", "这", "這",
    "它", "他", "她",
)
# fmt: on
# Generic words after a rank: "15th place", 第3名.
_RANK_NOUNS = frozenset({"place", "position", "rank", "spot", "overall", "名", "位"})
# Suffixes of levels of one hierarchy, where an answer of another level is less precise,
# not wrong: administrative divisions, taxonomic ranks and periods.
# fmt: off
_LEVEL_SUFFIXES = frozenset(
    {
        "省", "市", "县", "縣", "州", "区", "區", "镇", "鎮", "乡", "鄉", "村", "府", "门", "門",
        "纲", "綱", "目", "科", "属", "屬", "种", "種", "世纪", "世紀",
    }
)
# fmt: on
# At most this many words, or CJK characters, make a remainder a short value.
_MAX_SHORT_WORDS = 4
_MAX_SHORT_CJK = 8


def grade_text(question: Question, answer: str) -> Grade:
    """Grade an answer by matching normalised words against the gold aliases."""
    aliases = gold_aliases(question)
    normalised = normalize_text(answer)
    canonical = aliases[0].normalised if aliases else ""
    if not normalised:
        return Grade(Outcome.UNGRADED, "the answer has no words to compare", "")

    exact = next((alias for alias in aliases if _same_text(normalised, alias.normalised)), None)
    if exact is not None:
        return Grade(Outcome.CORRECT, f"matches the gold answer {exact.raw!r}", canonical)

    contained = [alias for alias in aliases if contains_alias(answer, alias)]
    if contained:
        return _grade_contained(question, answer, contained, aliases, canonical)
    return _grade_without_alias(question, answer, aliases, canonical)


def _same_text(normalised: str, alias: str) -> bool:
    if normalised == alias:
        return True
    # Spaces inside CJK text are layout, not word breaks: 北京 市 is 北京市.
    return has_cjk(alias) and normalised.replace(" ", "") == alias.replace(" ", "")


def _grade_contained(
    question: Question,
    answer: str,
    contained: list[Alias],
    aliases: list[Alias],
    canonical: str,
) -> Grade:
    key = text_key(normalize_text(answer))
    gold_text = contained[0].raw
    if any(contains_alias(question.question, alias) for alias in contained):
        reason = f"the gold answer {gold_text!r} also appears in the question"
        return Grade(Outcome.UNGRADED, reason, key)

    problem = find_competitor(question, answer, contained, aliases)
    if problem is not None:
        return Grade(Outcome.UNGRADED, problem, key)
    return Grade(Outcome.CORRECT, f"contains the gold answer {gold_text!r}", canonical)


def _grade_without_alias(
    question: Question, answer: str, aliases: list[Alias], canonical: str
) -> Grade:
    for grader in (_grade_rank, _grade_name_part, _grade_kinded):
        grade = grader(question, answer, aliases, canonical)
        if grade is not None:
            return grade
    return _grade_remainder(question, answer, aliases)


# --- Ranks ---


def _grade_rank(
    question: Question, answer: str, aliases: list[Alias], canonical: str
) -> Grade | None:
    # "15th" against "15th place": a gold alias that is a rank, alone or with a rank noun.
    gold = {value for alias in aliases for value in _rank_of(alias)}
    if not gold:
        return None
    ranks = {mention.value for mention in find_numbers(answer, "number") if mention.ordinal}
    stated = {mention.value for mention in find_numbers(question.question, "number")}
    ranks -= stated - gold
    if not ranks:
        return None

    listed = ", ".join(format_number(value) for value in sorted(ranks))
    if ranks <= gold:
        return Grade(Outcome.CORRECT, f"rank {listed} matches the gold answer", canonical)
    if len(ranks) == 1:
        reason = f"rank {listed} differs from the gold answer {canonical!r}"
        return Grade(Outcome.INCORRECT, reason, f"rank {listed}")
    return Grade(Outcome.UNGRADED, f"several ranks: {listed}", f"rank {listed}")


def _rank_of(alias: Alias) -> list[object]:
    mentions = [mention for mention in find_numbers(alias.raw, "number") if mention.ordinal]
    if len(mentions) != 1:
        return []
    mention = mentions[0]
    rest = (alias.raw[: mention.start] + alias.raw[mention.end :]).casefold()
    leftover = [word for word in tokens(normalize_text(rest)) if word not in _RANK_NOUNS]
    return [mention.value] if not leftover and mention.counter in ("", *_RANK_NOUNS) else []


# --- Names ---


def _grade_name_part(
    question: Question, answer: str, aliases: list[Alias], canonical: str
) -> Grade | None:
    # A person named by surname ("Eiffel" for "Gustave Eiffel") or in another order
    # ("Handel, George Frideric"). Only Latin names of two words or more, for a person
    # question: "Ocean" names no ocean.
    if question.answer_type != "person":
        return None
    remainder = _remainder_tokens(normalize_text(answer), question)
    if not remainder or has_cjk("".join(remainder)):
        return None

    for alias in aliases:
        parts = alias.normalised.split()
        is_name = len(parts) >= 2 and not has_cjk(alias.normalised)
        if is_name and set(remainder) <= set(parts) and parts[-1] in remainder:
            reason = f"names the gold answer {alias.raw!r} by its surname or in another order"
            return Grade(Outcome.CORRECT, reason, canonical)
    return None


# --- Chinese values of the gold's kind ---


def _grade_kinded(
    question: Question, answer: str, aliases: list[Alias], canonical: str
) -> Grade | None:
    # The first sentence of a Chinese answer names a value of the gold's kind: 这句话出自
    # 《伤寒杂病论》 for 《脾胃论》, 位于天琴座 for 麒麟座.
    kinded = [alias for alias in aliases if has_cjk(alias.normalised) and value_kind(alias.raw)]
    if not kinded:
        return None
    headline = _headline(answer)
    kind = value_kind(kinded[0].raw)
    if kind is None or _ALTERNATIVE.search(headline):
        return None

    values = [
        value.text
        for value in find_kinded(headline, kind, kind_suffix(kinded[0].raw))
        if value.text not in unicodedata.normalize("NFKC", question.question)
        and not _CJK_NEGATION.search(headline[max(0, value.start - 4) : value.start])
    ]
    if not values:
        return None
    return _decide_values(values, kinded, answer)


def _decide_values(values: list[str], aliases: Sequence[Alias], answer: str) -> Grade:
    key = text_key(normalize_text(answer))
    comparisons = {compare_values(value, alias.raw) for value in values for alias in aliases}
    listed = "、".join(dict.fromkeys(values))
    if comparisons == {"different"}:
        value_key = text_key(normalize_text(values[0]))
        return Grade(
            Outcome.INCORRECT, f"names a different value of the gold's kind: {listed}", value_key
        )
    return Grade(Outcome.UNGRADED, f"names {listed}, which may be the gold answer", key)


# --- What remains after the question's words ---


def _grade_remainder(question: Question, answer: str, aliases: list[Alias]) -> Grade:
    normalised = normalize_text(answer)
    key = text_key(normalised)
    remainder = _remainder_tokens(normalised, question)
    if not remainder:
        return Grade(Outcome.UNGRADED, "the answer only repeats the question", key)

    if not _is_short(remainder):
        headline = _headline_remainder(question, answer)
        if headline is None:
            marked = _grade_marked(question, answer)
            if marked is not None:
                return marked
            return Grade(Outcome.UNGRADED, "the answer is too long to grade by matching", key)
        remainder, normalised = headline, normalize_text(_headline(answer))

    if _NEGATION_WORDS & set(remainder) or _CJK_NEGATION.search(normalised):
        return Grade(Outcome.UNGRADED, "the answer rules a value out instead of naming one", key)
    mismatch = _kind_mismatch(remainder, aliases)
    if mismatch is not None:
        return Grade(Outcome.UNGRADED, mismatch, key)
    if _shares_piece(remainder, aliases):
        reason = "the answer shares words with the gold answer but differs from it"
        return Grade(Outcome.UNGRADED, reason, key)

    value = join_tokens(remainder)
    return Grade(Outcome.INCORRECT, f"a different value: {value!r}", text_key(value))


def _grade_marked(question: Question, answer: str) -> Grade | None:
    # "The answer would be Sydney. I will provide …" gives its answer after the marker, so
    # the short value there is graded in place of the whole text.
    marked = marked_text(answer)
    if marked is None or has_abstention_phrase(marked):
        return None
    remainder = _remainder_tokens(normalize_text(marked), question)
    if not remainder or not _is_short(remainder):
        return None
    grade = grade_text(question, marked)
    if grade.outcome is Outcome.UNGRADED:
        return None
    return Grade(grade.outcome, f"after an answer marker, {grade.reason}", grade.answer_key)


def _kind_mismatch(remainder: list[str], aliases: list[Alias]) -> str | None:
    # A Chinese gold compared with Latin words may be compared with its translation, and a
    # county (陇川县) with a prefecture (德宏傣族景颇族自治州) is a less precise answer,
    # not clearly a different value of the same kind.
    chinese = [alias for alias in aliases if has_cjk(alias.normalised)]
    if not chinese or len(chinese) < len(aliases):
        return None
    if any(not has_cjk(token) and token.isalpha() for token in remainder):
        return "the answer gives Latin words for a Chinese gold answer"
    suffix = kind_suffix(chinese[0].raw)
    if suffix in _LEVEL_SUFFIXES and not "".join(remainder).endswith(suffix):
        return f"the answer names no value of the gold's kind (…{suffix})"
    return None


def _headline(answer: str) -> str:
    found = _FIRST_SENTENCE.search(unicodedata.normalize("NFKC", answer))
    return found.group() if found else ""


def _headline_remainder(question: Question, answer: str) -> list[str] | None:
    # The first sentence of a long answer is its answer when it restates the question and
    # adds only a short value: "玫瑰星云位于天琴座。它距离地球……".
    headline = normalize_text(_headline(answer))
    if not _pieces(headline) & _focus(question.question):
        return None
    if has_abstention_phrase(answer):
        return None
    remainder = _remainder_tokens(headline, question)
    return remainder if remainder and _is_short(remainder) else None


def _focus(question: str) -> set[str]:
    # The words around the question word say what is asked: 谥号 in 谥号是什么, so that a
    # first sentence about the person (朱佶煟是明朝的一位人物) is not taken for the answer.
    text = unicodedata.normalize("NFKC", question)
    asked = _QUESTION_WORD.search(text)
    if asked is None:
        return _pieces(normalize_text(text))
    window = (
        text[max(0, asked.start() - 4) : asked.start()] + "|" + text[asked.end() : asked.end() + 6]
    )
    pairs = _pieces(normalize_text(window))
    return {pair for pair in pairs if not set(pair) & _QUESTION_CHARACTERS}


def _pieces(normalised: str) -> set[str]:
    words = tokens(normalised)
    return {word for word in words if not has_cjk(word) and len(word) > 3} | set(cjk_pairs(words))


def _remainder_tokens(normalised: str, question: Question) -> list[str]:
    # Unsegmented CJK text has no words to remove, so a character goes when it is part of a
    # two-character sequence that the question contains: 首都是北京 leaves 北京 for a question
    # that contains 首都是.
    answer_tokens = tokens(normalised)
    question_tokens = tokens(normalize_text(question.question))
    question_words = {token for token in question_tokens if not has_cjk(token)}
    question_pairs = set(cjk_pairs(question_tokens))
    covered: set[int] = set()
    for index in range(len(answer_tokens) - 1):
        if answer_tokens[index] + answer_tokens[index + 1] in question_pairs:
            covered.update((index, index + 1))

    kept = [
        token
        for index, token in enumerate(answer_tokens)
        if index not in covered and token not in question_words and token not in _FILLER_TOKENS
    ]
    return _without_cjk_filler(kept)


def _without_cjk_filler(remainder: list[str]) -> list[str]:
    # Filler words are removed from each run of CJK characters, Latin words stay as they are.
    result: list[str] = []
    run: list[str] = []
    for token in [*remainder, ""]:
        if token and is_cjk(token):
            run.append(token)
            continue
        text = "".join(run)
        for word in _CJK_FILLER_WORDS:
            text = text.replace(word, "")
        result.extend(text)
        run = []
        if token:
            result.append(token)
    return result


def _shares_piece(remainder: list[str], aliases: list[Alias]) -> bool:
    remainder_words = {token for token in remainder if not has_cjk(token)}
    for alias in aliases:
        alias_tokens = tokens(alias.normalised)
        if remainder_words & {token for token in alias_tokens if not has_cjk(token)}:
            return True
        # Any shared character may mean the same thing (北平 and 北京), see cjk_values.
        cjk_text = "".join(token for token in remainder if is_cjk(token))
        if (
            cjk_text
            and has_cjk(alias.normalised)
            and compare_values(cjk_text, alias.raw) != "different"
        ):
            return True
    return False


def _is_short(remainder: list[str]) -> bool:
    cjk = sum(1 for token in remainder if has_cjk(token))
    words = len(remainder) - cjk
    return words <= _MAX_SHORT_WORDS and cjk <= _MAX_SHORT_CJK

"""Years and numbers: ranges, numbers in words, ranks, conversions and values tied to questions."""

import pytest

from probe.grading import grade_answer
from probe.outcomes import Outcome
from probe.questions import AnswerType, Question

CORRECT = Outcome.CORRECT
INCORRECT = Outcome.INCORRECT
UNGRADED = Outcome.UNGRADED


def make_question(answers: tuple[str, ...], answer_type: AnswerType, question: str) -> Question:
    return Question(
        id="q1", question=question, answers=answers, answer_type=answer_type, language="en"
    )


EIFFEL = make_question(("1889",), "year", "In what year was the Eiffel Tower completed?")
FUJI = make_question(("3776",), "number", "What is the height of Mount Fuji, in metres?")
WATERFALL = make_question(
    ("211 (acceptable range: anything between 208 and 214)",),
    "number",
    "How many metres high is the waterfall?",
)
VOLUMES = make_question(("4",), "number", "连横的《台湾语典》全书共分为多少卷？")
SESSION = make_question(("第三届",), "number", "许润三被授予国医大师是哪一届？")
MONTHS = make_question(("12",), "number", "How many months are in a year?")
PLACE = make_question(("15th place",), "number", "In which place did she finish the race?")


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("211", CORRECT),
        ("208", CORRECT),
        ("about 214 m", CORRECT),
        ("207", INCORRECT),
        ("215", INCORRECT),
    ],
)
def test_gold_acceptable_range(answer: str, outcome: Outcome) -> None:
    assert grade_answer(WATERFALL, answer).outcome is outcome


def test_gold_range_key_is_gold_value() -> None:
    assert grade_answer(WATERFALL, "209").answer_key == "211"


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("between 1885 and 1890", UNGRADED),
        ("1887-1889", UNGRADED),
        ("可能是在1085年至1889年间", UNGRADED),
        ("1890–1895", INCORRECT),
    ],
)
def test_answer_range(answer: str, outcome: Outcome) -> None:
    assert grade_answer(EIFFEL, answer).outcome is outcome


def test_answer_range_reason() -> None:
    grade = grade_answer(EIFFEL, "between 1885 and 1890")

    assert "range 1885–1890" in grade.reason


@pytest.mark.parametrize(
    ("answer", "outcome", "key"),
    [
        ("It is 3,776 metres (12,388 ft) tall.", CORRECT, "3776"),
        ("12,388 ft (3,776 m)", CORRECT, "3776"),
        ("3776米（12388英尺）", CORRECT, "3776"),
        ("3,700 m (12,139 ft)", INCORRECT, "3700"),
        ("3,776 m or 3,700 m", UNGRADED, "3700 / 3776"),
    ],
)
def test_conversion_in_brackets(answer: str, outcome: Outcome, key: str) -> None:
    grade = grade_answer(FUJI, answer)

    assert grade.outcome is outcome, grade.reason
    assert grade.answer_key == key


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("It was completed in 1889, begun in 1887.", CORRECT),
        ("The tower was begun in 1887 and completed in 1889.", CORRECT),
        ("It was completed in 1887, and it opened in 1889.", INCORRECT),
        ("Construction began in 1887 and ended in 1889.", UNGRADED),
    ],
)
def test_value_tied_to_question(answer: str, outcome: Outcome) -> None:
    assert grade_answer(EIFFEL, answer).outcome is outcome


def test_value_tied_to_chinese_question() -> None:
    question = make_question(("1992",), "year", "中国音乐著作权协会是在哪一年成立的？")
    answer = "中国音乐著作权协会成立于1992年，其前身为1984年经中国政府批准成立的筹备处。"

    assert grade_answer(question, answer).outcome is CORRECT


def test_value_both_tied_stays_ungraded() -> None:
    question = make_question(("1889",), "year", "埃菲尔铁塔是哪一年建成的？")

    grade = grade_answer(question, "埃菲尔铁塔1887年动工，1889年建成。")

    assert grade.outcome is UNGRADED


def test_value_outside_first_sentence_not_tied() -> None:
    question = make_question(("1678",), "year", "吴三桂哪一年在湖南衡州称帝，国号周，改元昭武？")
    answer = "这个历史事件并未发生。吴三桂是一位军事领袖，曾在1644年降清。"

    grade = grade_answer(question, answer)

    assert grade.outcome is UNGRADED
    assert "not tied to the question" in grade.reason


def test_year_of_reign_ignored() -> None:
    question = make_question(("1813",), "year", "新民厅是在哪一年析置成立的？")

    grade = grade_answer(question, "新民厅于1908年（光绪34年）析置。")

    assert grade.outcome is INCORRECT
    assert grade.answer_key == "1908"


@pytest.mark.parametrize(
    ("question", "answer", "outcome"),
    [
        (MONTHS, "twelve", CORRECT),
        (MONTHS, "There are twelve months.", CORRECT),
        (MONTHS, "eleven", INCORRECT),
        (MONTHS, "twenty-one", INCORRECT),
        (VOLUMES, "全书共分为四卷。", CORRECT),
        (VOLUMES, "连横（1878-1936）所著，全书共分为四卷。", CORRECT),
        (VOLUMES, "共三卷", INCORRECT),
        (VOLUMES, "一个很重要的词典", UNGRADED),
        (VOLUMES, "三十多卷", UNGRADED),
    ],
)
def test_numbers_in_words(question: Question, answer: str, outcome: Outcome) -> None:
    assert grade_answer(question, answer).outcome is outcome


@pytest.mark.parametrize(
    ("question", "answer", "outcome"),
    [
        (SESSION, "第三届", CORRECT),
        (SESSION, "第3届国医大师", CORRECT),
        (SESSION, "他于2008年被授予首届国医大师称号。", INCORRECT),
        (SESSION, "柴嵩岩入选了2017年的国医大师。", UNGRADED),
        (PLACE, "15th", CORRECT),
        (PLACE, "She finished fifteenth.", CORRECT),
        (PLACE, "16th place", INCORRECT),
    ],
)
def test_ranks(question: Question, answer: str, outcome: Outcome) -> None:
    assert grade_answer(question, answer).outcome is outcome


STATES = Question(
    id="states",
    question="How many states does the United States have?",
    answers=("50",),
    answer_type="number",
    language="en",
)


def test_percentage_is_no_count() -> None:
    grade = grade_answer(STATES, "I am more than 16% confident in my answer.")
    assert grade.outcome is Outcome.UNGRADED


def test_numbers_of_other_kinds_left_ungraded() -> None:
    answer = "In 2017, the United States had a population of approximately 345 million."
    assert grade_answer(STATES, answer).outcome is Outcome.UNGRADED

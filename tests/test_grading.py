import logging

import pytest

from probe.consistency import ABSTAINED_KEY
from probe.grading import Assessment, Grade, assess_response, grade_answer, normalize_text
from probe.outcomes import Outcome
from probe.questions import AnswerType, Question
from probe.responses import ModelResponse

CORRECT = Outcome.CORRECT
INCORRECT = Outcome.INCORRECT
UNGRADED = Outcome.UNGRADED


def make_question(
    answers: tuple[str, ...],
    answer_type: AnswerType,
    question: str,
    *,
    language: str = "en",
    unanswerable: bool = False,
) -> Question:
    return Question(
        id="q1",
        question=question,
        answers=answers,
        answer_type=answer_type,
        language=language,
        unanswerable=unanswerable,
    )


EIFFEL_YEAR = make_question(("1889",), "year", "In what year was the Eiffel Tower completed?")
SEATS = make_question(("8000",), "number", "How many seats does the stadium have?")
FUJI = make_question(("3776",), "number", "What is the height of Mount Fuji, in metres?")
TAIPEI = make_question(("508",), "number", "台北101大樓的建築高度是多少公尺？", language="zh-Hant")
FARADAY = make_question(
    ("22 September", "22-09"), "date", "On what day and month was Michael Faraday born?"
)
APOLLO = make_question(
    ("1969-07-20", "20 July 1969", "July 20, 1969"), "date", "On what date did Apollo 11 land?"
)
SUN_YATSEN = make_question(
    ("12 November", "12-11", "11月12日"), "date", "孫中山的生日是幾月幾日？", language="zh-Hant"
)
PARIS = make_question(("Paris",), "place", "What is the capital of France?")
HAMLET = make_question(
    ("William Shakespeare", "Shakespeare"), "person", "Who wrote the play Hamlet?"
)
GEHRY = make_question(
    ("Frank Gehry", "Frank O. Gehry", "Gehry"),
    "person",
    "Which architect designed the Guggenheim Museum Bilbao?",
)
GOLD = make_question(("Au",), "text", "What is the chemical symbol for gold?")
PACIFIC = make_question(
    ("Pacific Ocean", "Pacific", "the Pacific"), "place", "What is the largest ocean on Earth?"
)
BEIJING = make_question(
    ("北京", "北京市"), "place", "中华人民共和国的首都是哪座城市？", language="zh-Hans"
)
SIMA_QIAN = make_question(
    ("司馬遷", "司马迁"), "person", "《史記》的作者是誰？", language="zh-Hant"
)
MERIDIAN = make_question(("足阳明胃经",), "text", "伏兔穴所属的经脉是什么？", language="zh-Hans")


def assert_grade(grade: Grade, outcome: Outcome, key: str | None) -> None:
    assert grade.outcome is outcome, grade.reason
    if key is not None:
        assert grade.answer_key == key


# normalize_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Paris", "paris"),
        ("  The  Paris. ", "paris"),
        ("A Tale of Two Cities", "tale of two cities"),
        ("an apple", "apple"),
        ("Theatre", "theatre"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),
        ("ＰＡＲＩＳ", "paris"),
        ("１８８９", "1889"),
        ("8,000", "8000"),
        ("Saint-Étienne", "saintétienne"),
        ("O'Brien", "obrien"),
        ("O\u2019Brien", "obrien"),
        ("U.S.A.", "usa"),
        ("Paris, France", "paris france"),
        ("Paris\u2014the capital", "paris capital"),
        ("《舞采茶》", "舞采茶"),
        ("迈克尔·富特", "迈克尔富特"),
        ("北京，中国。", "北京 中国"),
        ("「北京」", "北京"),
        ("Tōkyō", "tōkyō"),
        ("", ""),
    ],
)
def test_normalize_text_table(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


# Numbers and years: separators, sentences and full-width digits


@pytest.mark.parametrize(
    ("answer", "key"),
    [("8,000", "8000"), ("8 000", "8000"), ("8000", "8000")],
)
def test_number_separators(answer: str, key: str) -> None:
    assert_grade(grade_answer(SEATS, answer), CORRECT, key)


def test_number_in_sentence() -> None:
    grade = grade_answer(SEATS, "The answer is 72, in total.")

    assert_grade(grade, INCORRECT, "72")


def test_year_full_width_digits() -> None:
    assert_grade(grade_answer(EIFFEL_YEAR, "１８８９"), CORRECT, "1889")


# Numbers and years: candidates, units, eras and negation


@pytest.mark.parametrize(
    ("answer", "outcome", "key"),
    [
        ("1889", CORRECT, "1889"),
        ("1,889", CORRECT, "1889"),
        ("1889年", CORRECT, "1889"),
        ("The Eiffel Tower was completed in 1889.", CORRECT, "1889"),
        ("It was completed on 15 September 1889.", CORRECT, "1889"),
        ("15.09.1889", CORRECT, "1889"),
        ("1889-03-31", CORRECT, "1889"),
        ("1889年3月31日", CORRECT, "1889"),
        ("It wasn't 1887; it was 1889.", CORRECT, "1889"),
        ("It was not until 1889 that it opened.", CORRECT, "1889"),
        ("AD 1889", CORRECT, "1889"),
        ("1887", INCORRECT, "1887"),
        ("1887年", INCORRECT, "1887"),
        ("It took 2 years and opened in 1887.", INCORRECT, "1887"),
        ("The 330 m tower was completed in 1889.", CORRECT, "1889"),
        ("It took 300 years?", UNGRADED, None),
        ("建成于1889年，高300米。", CORRECT, "1889"),
        ("44 BC", INCORRECT, "-44"),
        ("公元前221年", INCORRECT, "-221"),
        ("1887 or 1890", INCORRECT, "1887 / 1890"),
        ("1887 or 1889", UNGRADED, "1887 / 1889"),
        ("Construction began in 1887 and ended in 1889.", UNGRADED, "1887 / 1889"),
        ("in the 1880s", UNGRADED, "in 1880s"),
        ("1880年代", UNGRADED, "1880年代"),
        ("It was not 1887.", UNGRADED, None),
        ("late nineteenth century", UNGRADED, "late nineteenth century"),
    ],
)
def test_year_table(answer: str, outcome: Outcome, key: str | None) -> None:
    assert_grade(grade_answer(EIFFEL_YEAR, answer), outcome, key)


@pytest.mark.parametrize(
    ("answer", "outcome", "key"),
    [
        ("8 thousand", CORRECT, "8000"),
        ("0.8万", CORRECT, "8000"),
        ("8000人", CORRECT, "8000"),
        ("8,000.0", CORRECT, "8000"),
        ("On 15 September 1889, 8,000 people attended.", CORRECT, "8000"),
        ("about 7,999", INCORRECT, "7999"),
        ("3.5", INCORRECT, "3.5"),
        ("-8000", INCORRECT, "-8000"),
        ("8,000 or 9,000", UNGRADED, "8000 / 9000"),
        ("I have no number", UNGRADED, "i have no number"),
    ],
)
def test_number_table(answer: str, outcome: Outcome, key: str | None) -> None:
    assert_grade(grade_answer(SEATS, answer), outcome, key)


@pytest.mark.parametrize(
    ("answer", "outcome", "key"),
    [
        ("3,776 m", CORRECT, "3776"),
        ("3 776 metres", CORRECT, "3776"),
        ("3776米", CORRECT, "3776"),
        ("It is 3,776 metres (12,388 ft) tall.", CORRECT, "3776"),
        ("12,388 ft (3,776 m)", CORRECT, "3776"),
        ("3,700 m (12,139 ft)", INCORRECT, "3700"),
        ("Mount Fuji is 3,778 m.", INCORRECT, "3778"),
    ],
)
def test_number_units_table(answer: str, outcome: Outcome, key: str | None) -> None:
    assert_grade(grade_answer(FUJI, answer), outcome, key)


def test_number_chinese_unit_suffix() -> None:
    question = make_question(("8848",), "number", "珠穆朗玛峰有多高？", language="zh-Hans")

    assert_grade(grade_answer(question, "8848米"), CORRECT, "8848")


def test_number_stated_in_question_ignored() -> None:
    grade = grade_answer(TAIPEI, "台北101大樓的高度是508公尺。")

    assert_grade(grade, CORRECT, "508")


def test_number_letters_attached_ignored() -> None:
    grade = grade_answer(SEATS, "The A380 version seats 8,000.")

    assert_grade(grade, CORRECT, "8000")


def test_number_gold_with_several_values() -> None:
    question = make_question(("1613年（万历41年）", "1613"), "year", "明重修纪公庙记刻立于哪一年？")

    assert_grade(grade_answer(question, "1613年"), CORRECT, "1613")


def test_year_of_reign_not_candidate() -> None:
    question = make_question(("1613",), "year", "明重修纪公庙记刻立于哪一年？")

    assert_grade(grade_answer(question, "万历41年（1613年）"), CORRECT, "1613")


def test_number_gold_without_digits_warns(caplog: pytest.LogCaptureFixture) -> None:
    question = make_question(("several",), "number", "How many were there?")

    with caplog.at_level(logging.WARNING, logger="probe.grading"):
        grade = grade_answer(question, "several")

    assert grade.outcome is CORRECT
    assert "no number found in the gold answers" in caplog.text


def test_number_gold_warning_once(caplog: pytest.LogCaptureFixture) -> None:
    question = make_question(("a dozen",), "number", "How many eggs are in a box?")

    with caplog.at_level(logging.WARNING, logger="probe.grading"):
        grade_answer(question, "a dozen")
        grade_answer(question, "12")

    assert caplog.text.count("no number found") == 1


# Dates


@pytest.mark.parametrize(
    ("answer", "outcome", "key"),
    [
        ("22-09", CORRECT, "--09-22"),
        ("22/09", CORRECT, "--09-22"),
        ("22.09", CORRECT, "--09-22"),
        ("22 September", CORRECT, "--09-22"),
        ("September 22", CORRECT, "--09-22"),
        ("September 22nd", CORRECT, "--09-22"),
        ("the 22nd of September", CORRECT, "--09-22"),
        ("22 Sept 1791", CORRECT, "--09-22"),
        ("Sept. 22, 1791", CORRECT, "--09-22"),
        ("22/09/1791", CORRECT, "--09-22"),
        ("1791-09-22", CORRECT, "--09-22"),
        ("9月22日", CORRECT, "--09-22"),
        ("1791年9月22日", CORRECT, "--09-22"),
        ("09-22", CORRECT, "--09-22"),
        ("He was born on 22 September 1791 in Newington.", CORRECT, "--09-22"),
        ("23-09", INCORRECT, "--09-23"),
        ("22-10", INCORRECT, "--10-22"),
        ("October", INCORRECT, "--10"),
        ("September", UNGRADED, "--09"),
        ("1791", UNGRADED, "1791"),
        ("22 September or 23 September", UNGRADED, "--09-22 / --09-23"),
        ("Born 22 September 1791, died 25 August 1867.", UNGRADED, "--08-25 / --09-22"),
        ("no idea of the date", UNGRADED, "no idea of date"),
    ],
)
def test_date_day_month_table(answer: str, outcome: Outcome, key: str | None) -> None:
    assert_grade(grade_answer(FARADAY, answer), outcome, key)


@pytest.mark.parametrize(
    ("answer", "outcome", "key"),
    [
        ("1969-07-20", CORRECT, "1969-07-20"),
        ("20 July 1969", CORRECT, "1969-07-20"),
        ("July 20, 1969", CORRECT, "1969-07-20"),
        ("20.07.1969", CORRECT, "1969-07-20"),
        ("7/20/1969", CORRECT, "1969-07-20"),
        ("1969年7月20日", CORRECT, "1969-07-20"),
        ("It landed on July 20, 1969, in the Sea of Tranquility in 1969.", CORRECT, None),
        ("1970-07-20", INCORRECT, "1970-07-20"),
        ("21 July 1969", INCORRECT, "1969-07-21"),
        ("July 1970", INCORRECT, "1970-07"),
        ("July 1969", UNGRADED, "1969-07"),
        ("July 20", UNGRADED, "--07-20"),
        ("1969", UNGRADED, "1969"),
    ],
)
def test_date_full_table(answer: str, outcome: Outcome, key: str | None) -> None:
    assert_grade(grade_answer(APOLLO, answer), outcome, key)


@pytest.mark.parametrize(
    ("answer", "outcome", "key"),
    [
        ("12-11", CORRECT, "--11-12"),
        ("11月12日", CORRECT, "--11-12"),
        ("1866年11月12日", CORRECT, "--11-12"),
        ("他生於1866年11月12日。", CORRECT, "--11-12"),
        ("11月13日", INCORRECT, "--11-13"),
    ],
)
def test_date_chinese_table(answer: str, outcome: Outcome, key: str | None) -> None:
    assert_grade(grade_answer(SUN_YATSEN, answer), outcome, key)


def test_date_ambiguous_read_day_first() -> None:
    question = make_question(("5 September",), "date", "On what day was it?")

    assert_grade(grade_answer(question, "05-09"), CORRECT, "--09-05")


def test_date_invalid_day_ignored() -> None:
    assert_grade(grade_answer(FARADAY, "31-09"), UNGRADED, None)


def test_date_leap_day_without_year() -> None:
    question = make_question(("29 February",), "date", "On what day was he born?")

    assert_grade(grade_answer(question, "29-02"), CORRECT, "--02-29")


def test_date_bare_may_not_month() -> None:
    question = make_question(("22 September",), "date", "When was he born?")

    assert_grade(grade_answer(question, "It may be 22 September."), CORRECT, "--09-22")


def test_date_unparsable_gold_warns(caplog: pytest.LogCaptureFixture) -> None:
    question = make_question(("the feast of Saint Crispin",), "date", "When was the battle?")

    with caplog.at_level(logging.WARNING, logger="probe.grading"):
        grade = grade_answer(question, "The feast of Saint Crispin")

    assert grade.outcome is CORRECT
    assert "gold date 'the feast of Saint Crispin'" in caplog.text


# Person, place and text


@pytest.mark.parametrize(
    ("answer", "outcome", "key"),
    [
        ("Paris", CORRECT, "paris"),
        ("paris.", CORRECT, "paris"),
        ("PARIS", CORRECT, "paris"),
        ("The capital is Paris", CORRECT, "paris"),
        ("The capital of France is Paris.", CORRECT, "paris"),
        ("I think it is Paris.", CORRECT, "paris"),
        ("Paris, France", CORRECT, "paris"),
        ("Paris. It is also the largest city.", CORRECT, "paris"),
        ("Lyon", INCORRECT, "lyon"),
        ("The capital of France is Lyon.", INCORRECT, "lyon"),
        ("I think it is Lyon.", INCORRECT, "lyon"),
        ("Lyon or Marseille", INCORRECT, "lyon or marseille"),
        ("Paris or Lyon", UNGRADED, "paris or lyon"),
        ("Either Paris or Lyon.", UNGRADED, None),
        ("Paris/Lyon", UNGRADED, None),
        ("Paris, not Lyon", UNGRADED, None),
        ("It is not Paris.", UNGRADED, None),
        ("Not Lyon.", UNGRADED, None),
        ("Parisian food is great but the capital is Lyon.", UNGRADED, None),
        ("Lyon is the second city and has a large region with many towns.", UNGRADED, None),
        ("The capital of France", UNGRADED, None),
        ("...", UNGRADED, ""),
    ],
)
def test_text_place_table(answer: str, outcome: Outcome, key: str | None) -> None:
    assert_grade(grade_answer(PARIS, answer), outcome, key)


@pytest.mark.parametrize(
    ("answer", "outcome", "key"),
    [
        ("William Shakespeare", CORRECT, "william shakespeare"),
        ("Shakespeare", CORRECT, "william shakespeare"),
        ("shakespeare", CORRECT, "william shakespeare"),
        ("Hamlet was written by William Shakespeare.", CORRECT, "william shakespeare"),
        ("It was Shakespeare, around 1600.", CORRECT, "william shakespeare"),
        ("Christopher Marlowe", INCORRECT, "christopher marlowe"),
        ("William", UNGRADED, None),
        ("Shakespeare and Marlowe wrote it together.", UNGRADED, None),
        ("Shakespeare or Marlowe", UNGRADED, None),
    ],
)
def test_text_person_table(answer: str, outcome: Outcome, key: str | None) -> None:
    assert_grade(grade_answer(HAMLET, answer), outcome, key)


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("Frank O. Gehry", CORRECT),
        ("Frank Owen Gehry", CORRECT),
        ("The museum was designed by Frank Gehry.", CORRECT),
        ("Gehry's design opened in 1997.", CORRECT),
        ("Frank Lloyd Wright", UNGRADED),
    ],
)
def test_text_person_name_runs(answer: str, outcome: Outcome) -> None:
    assert grade_answer(GEHRY, answer).outcome is outcome


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("Au", CORRECT),
        ("au", CORRECT),
        ("The symbol is Au.", CORRECT),
        ("Let us see: it is Ag.", INCORRECT),
        ("AU is not it", UNGRADED),
    ],
)
def test_text_short_alias_case(answer: str, outcome: Outcome) -> None:
    assert grade_answer(GOLD, answer).outcome is outcome


@pytest.mark.parametrize(
    ("answer", "outcome", "key"),
    [
        ("The Pacific Ocean", CORRECT, "pacific ocean"),
        ("the Pacific", CORRECT, "pacific ocean"),
        ("It is the Pacific.", CORRECT, "pacific ocean"),
        ("The Atlantic", INCORRECT, "atlantic"),
    ],
)
def test_text_article_aliases(answer: str, outcome: Outcome, key: str) -> None:
    assert_grade(grade_answer(PACIFIC, answer), outcome, key)


@pytest.mark.parametrize(
    ("answer", "outcome", "key"),
    [
        ("北京", CORRECT, "北京"),
        ("北京市", CORRECT, "北京"),
        ("北京。", CORRECT, "北京"),
        ("首都是北京。", CORRECT, "北京"),
        ("中华人民共和国的首都是北京。", CORRECT, "北京"),
        ("上海", INCORRECT, "上海"),
        ("中华人民共和国的首都是上海。", INCORRECT, "上海"),
        # 南京 and 北京 share 京, as 北平 and 北京 share 北; 北平 is a former name of Beijing,
        # so a shared character leaves the answer undecided.
        ("南京", UNGRADED, None),
        ("北京或上海", UNGRADED, None),
        ("北京还是上海", UNGRADED, None),
        ("北京、上海", UNGRADED, None),
        ("不是北京，是上海", UNGRADED, None),
        ("北京城", CORRECT, "北京"),
        ("北平", UNGRADED, None),
    ],
)
def test_text_chinese_table(answer: str, outcome: Outcome, key: str | None) -> None:
    assert_grade(grade_answer(BEIJING, answer), outcome, key)


@pytest.mark.parametrize(
    ("answer", "outcome", "key"),
    [
        ("司馬遷", CORRECT, "司馬遷"),
        ("司马迁", CORRECT, "司馬遷"),
        ("《史記》的作者是司馬遷。", CORRECT, "司馬遷"),
        ("班固", INCORRECT, "班固"),
    ],
)
def test_text_traditional_simplified_aliases(answer: str, outcome: Outcome, key: str) -> None:
    assert_grade(grade_answer(SIMA_QIAN, answer), outcome, key)


def test_text_simplified_without_alias_ungraded() -> None:
    question = make_question(("司馬遷",), "person", "《史記》的作者是誰？", language="zh-Hant")

    assert grade_answer(question, "司马迁").outcome is UNGRADED


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("伏兔穴所属的经脉是太冲经。", INCORRECT),
        ("伏兔穴是足阳明胃经的穴位，位于大腿前面。", CORRECT),
        ("足阳明经", UNGRADED),
        ("采茶舞。采茶", INCORRECT),
    ],
)
def test_text_chinese_remainder(answer: str, outcome: Outcome) -> None:
    assert grade_answer(MERIDIAN, answer).outcome is outcome


def test_text_chinese_gloss_not_competing() -> None:
    question = make_question(("先驱者10号",), "text", "首个飞越木星的探测器是哪个？")

    grade = grade_answer(question, "首个飞越木星的探测器是“先驱者10号”（Pioneer 10）。")

    assert grade.outcome is CORRECT


def test_text_chinese_enumeration_far_from_gold() -> None:
    question = make_question(("欧阳修",), "person", "北宋《集古录》是谁编纂的？")

    grade = grade_answer(question, "《集古录》是北宋著名政治家、文学家欧阳修所编。")

    assert grade.outcome is CORRECT


def test_text_chinese_sentence_boundary_not_matched() -> None:
    question = make_question(("舞采茶",), "text", "采茶摸螺舞是从哪个歌舞演变而来的？")

    grade = grade_answer(question, "它源于古代的采茶舞。采茶舞是一种舞蹈。")

    assert grade.outcome is not CORRECT


def test_text_gold_in_question_ungraded() -> None:
    question = make_question(("Paris",), "place", "Is the capital of France Paris or Lyon?")

    grade = grade_answer(question, "The capital is Paris.")

    assert grade.outcome is UNGRADED
    assert "also appears in the question" in grade.reason


def test_text_abstained_key_reserved() -> None:
    grade = grade_answer(PARIS, "<abstained>")

    assert grade.answer_key != ABSTAINED_KEY


# answer_key clustering


def test_key_paris_variants_cluster() -> None:
    keys = {
        grade_answer(PARIS, answer).answer_key
        for answer in ["Paris", "paris.", "The capital is Paris"]
    }

    assert keys == {"paris"}


def test_key_year_variants_cluster() -> None:
    keys = {grade_answer(EIFFEL_YEAR, answer).answer_key for answer in ["1,889", "1889年"]}

    assert keys == {"1889"}


def test_key_day_month_variants_cluster() -> None:
    question = make_question(("15-09",), "date", "On what day and month did it open?")

    keys = {grade_answer(question, answer).answer_key for answer in ["15-09", "September 15"]}

    assert keys == {"--09-15"}


def test_key_wrong_day_month_variants_cluster() -> None:
    keys = {grade_answer(FARADAY, answer).answer_key for answer in ["23-09", "September 23rd"]}

    assert keys == {"--09-23"}


def test_key_wrong_place_variants_cluster() -> None:
    answers = ["Lyon", "lyon.", "The capital of France is Lyon.", "I think it is Lyon"]

    keys = {grade_answer(PARIS, answer).answer_key for answer in answers}

    assert keys == {"lyon"}


# Unanswerable questions


@pytest.mark.parametrize(
    ("answer_type", "answer", "key"),
    [
        ("year", "It opened in 1901.", "1901"),
        ("number", "About 2,100 metres.", "2100"),
        ("date", "22-09", "--09-22"),
        ("date", "22 September 1950", "1950-09-22"),
        ("person", "Jane Doe", "jane doe"),
        ("person", "It was probably written by a local author named Jane Doe in her youth.", None),
    ],
)
def test_unanswerable_answer_incorrect(
    answer_type: AnswerType, answer: str, key: str | None
) -> None:
    question = make_question((), answer_type, "What about the fabricated thing?", unanswerable=True)

    grade = grade_answer(question, answer)

    assert_grade(grade, INCORRECT, key)
    assert grade.reason == "answered an unanswerable question"


# assess_response


def test_assess_lone_closing_tag_correct() -> None:
    content = (
        "Hmm, was it 1887? I don't know exactly... it opened for the 1889 fair.\n</think>\n\n"
        "The Eiffel Tower was completed in 1889."
    )

    assessment = assess_response(EIFFEL_YEAR, ModelResponse(content=content, finish_reason="stop"))

    assert assessment.outcome is CORRECT
    assert assessment.answer == "The Eiffel Tower was completed in 1889."
    assert assessment.answer_key == "1889"
    assert assessment.source == "content"


def test_assess_hedged_chinese_answer_correct() -> None:
    response = ModelResponse(content="我不太確定，但應該是1889年", finish_reason="stop")

    assessment = assess_response(EIFFEL_YEAR, response)

    assert assessment.outcome is CORRECT
    assert assessment.answer_key == "1889"


def test_assess_hedged_english_answer_correct() -> None:
    response = ModelResponse(content="I'm not sure, but I think it was 1889.", finish_reason="stop")

    assert assess_response(EIFFEL_YEAR, response).outcome is CORRECT


def test_assess_abstention_key() -> None:
    response = ModelResponse(content="I don't know.", finish_reason="stop")

    assessment = assess_response(EIFFEL_YEAR, response)

    assert assessment.outcome is Outcome.ABSTAINED
    assert assessment.answer_key == ABSTAINED_KEY
    assert assessment.answer == "I don't know."


def test_assess_truncated_has_no_key() -> None:
    response = ModelResponse(
        content=None,
        finish_reason="length",
        reasoning="Let me recall the",
        reasoning_field="reasoning_content",
    )

    assessment = assess_response(EIFFEL_YEAR, response)

    assert assessment.outcome is Outcome.TRUNCATED
    assert assessment.answer_key is None
    assert assessment.source == "reasoning_content"


def test_assess_refusal_has_no_key() -> None:
    response = ModelResponse(content=None, refusal="I'm sorry, I can't help with that.")

    assessment = assess_response(EIFFEL_YEAR, response)

    assert assessment.outcome is Outcome.REFUSED
    assert assessment.answer_key is None


def test_assess_reasoning_field_as_answer() -> None:
    response = ModelResponse(
        content=None,
        finish_reason="stop",
        reasoning="The answer is 1889.",
        reasoning_field="reasoning_content",
    )

    default = assess_response(EIFFEL_YEAR, response)
    from_reasoning = assess_response(EIFFEL_YEAR, response, answer_from_reasoning=True)

    assert default.outcome is Outcome.EMPTY
    assert from_reasoning.outcome is CORRECT
    assert from_reasoning.source == "reasoning_content"


def test_assess_unanswerable_abstention_kept() -> None:
    question = make_question((), "year", "When did the Hallbrecht Bridge open?", unanswerable=True)
    response = ModelResponse(
        content="I don't have information about that bridge.", finish_reason="stop"
    )

    assert assess_response(question, response).outcome is Outcome.ABSTAINED


def test_assess_unanswerable_answer_incorrect() -> None:
    question = make_question((), "year", "When did the Hallbrecht Bridge open?", unanswerable=True)
    response = ModelResponse(content="It opened in 1901.", finish_reason="stop")

    assessment = assess_response(question, response)

    assert assessment.outcome is INCORRECT
    assert assessment.reason == "answered an unanswerable question"
    assert assessment.answer_key == "1901"


def test_assess_ungraded_keeps_answer() -> None:
    response = ModelResponse(content="Either 1887 or 1889.", finish_reason="stop")

    assessment = assess_response(EIFFEL_YEAR, response)

    assert assessment.outcome is UNGRADED
    assert assessment.answer == "Either 1887 or 1889."
    assert assessment.reason == "competing candidates: 1887, 1889"


def test_assessment_is_frozen() -> None:
    assessment = Assessment(CORRECT, "1889", "1889", "content", "matches")

    with pytest.raises(AttributeError):
        assessment.outcome = INCORRECT  # type: ignore[misc]

"""Names, places and Chinese text: name parts, qualifiers, glosses, value kinds and long answers."""

import pytest

from probe.grading import grade_answer
from probe.outcomes import Outcome
from probe.questions import AnswerType, Question

CORRECT = Outcome.CORRECT
INCORRECT = Outcome.INCORRECT
UNGRADED = Outcome.UNGRADED


def make_question(
    answers: tuple[str, ...], answer_type: AnswerType, question: str, language: str = "en"
) -> Question:
    return Question(
        id="q1", question=question, answers=answers, answer_type=answer_type, language=language
    )


def zh(answers: tuple[str, ...], question: str) -> Question:
    return make_question(answers, "text", question, "zh-Hans")


HANDEL = make_question(("George Frideric Handel",), "person", "Who composed the oratorio Messiah?")
EIFFEL = make_question(
    ("Gustave Eiffel",), "person", "Whose company built the tower of 1889 in Paris?"
)
KESSEE = make_question(
    ("Kelton Kessee",), "person", "Who replaced Don Santos in the band Vertical Horizon?"
)
BIRTHPLACE = make_question(("Paris",), "place", "In which city was Marie Curie's daughter born?")
OER = make_question(("OER",), "text", "What is the English abbreviation of 开放教育资源?")


@pytest.mark.parametrize(
    ("question", "answer", "outcome"),
    [
        (HANDEL, "Handel (George Frideric Handel).", CORRECT),
        (HANDEL, "Handel, George Frideric", CORRECT),
        (HANDEL, "Handel", CORRECT),
        (HANDEL, "George", UNGRADED),
        (HANDEL, "Johann Sebastian Bach", INCORRECT),
        (EIFFEL, "Eiffel", CORRECT),
        (KESSEE, "Kelton Kessee replaced Don Santos in the band.", CORRECT),
        (KESSEE, "Kelton Kessee, who joined in 1999.", CORRECT),
    ],
)
def test_person_names(question: Question, answer: str, outcome: Outcome) -> None:
    grade = grade_answer(question, answer)

    assert grade.outcome is outcome, grade.reason


def test_surname_from_question_ungraded() -> None:
    question = make_question(("Gustave Eiffel",), "person", "Whose company built the Eiffel Tower?")

    assert grade_answer(question, "Eiffel").outcome is UNGRADED


def test_surname_only_for_persons() -> None:
    ocean = make_question(("Pacific Ocean",), "place", "What is the largest ocean?")

    assert grade_answer(ocean, "Ocean").outcome is not CORRECT


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("Paris, France", CORRECT),
        ("She was born in Paris, France.", CORRECT),
        ("Paris, Lyon", UNGRADED),
        ("Paris, Texas", UNGRADED),
        ("The French capital, Paris", CORRECT),
    ],
)
def test_place_qualifiers(answer: str, outcome: Outcome) -> None:
    assert grade_answer(BIRTHPLACE, answer).outcome is outcome


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("开放教育资源的英文缩写是OER（Open Educational Resources）。", CORRECT),
        ("OER, short for Open Educational Resources", CORRECT),
        ("OER or MOOC", UNGRADED),
    ],
)
def test_acronym_gloss(answer: str, outcome: Outcome) -> None:
    assert grade_answer(OER, answer).outcome is outcome


@pytest.mark.parametrize(
    ("question", "answer", "outcome"),
    [
        # Bracketed aliases of the gold answer.
        (zh(("青山灵安尊王（青山王）",), "十月廿三是哪个神灵的神诞？"), "青山王", CORRECT),
        (zh(("普利司通(BRIDGESTONE)公司",), "凡士通被哪家公司收购？"), "Bridgestone", CORRECT),
        # Dynasties written with 朝 or 代 are one dynasty.
        (zh(("唐朝",), "从哪个朝代起，元宵节张灯成为法定之事？"), "从唐代开始。", CORRECT),
        (zh(("清代",), "《株林野史》成书于哪个朝代？"), "清朝", CORRECT),
        # Another dynasty in the same sentence as the gold.
        (
            zh(("西周",), "毛公鼎铭文是哪个朝代的代表金文？"),
            "商武丁时期属于商代晚期，具体时间为西周末年。",
            UNGRADED,
        ),
        (
            zh(("唐朝",), "“道”作为行政区划始于哪个朝代？"),
            "“道”并非起源于辽代，而是始于唐代。",
            CORRECT,
        ),
        (zh(("合肥市",), "安徽大剧院位于哪个市？"), "安徽大剧院位于安徽省合肥市。", CORRECT),
    ],
)
def test_chinese_aliases_and_competitors(question: Question, answer: str, outcome: Outcome) -> None:
    grade = grade_answer(question, answer)

    assert grade.outcome is outcome, grade.reason


@pytest.mark.parametrize(
    ("question", "answer", "outcome"),
    [
        # A value of the gold's kind in the first sentence of a long answer.
        (
            zh(("麒麟座",), "玫瑰星云位于哪一个星座?"),
            "玫瑰星云（也称为NGC 2237）位于天琴座。它距离地球大约5,200光年。",
            INCORRECT,
        ),
        (
            zh(("《脾胃论》",), "这句话出自哪本古代医学著作？"),
            "这句话出自《伤寒杂病论》。这是东汉时期张仲景所著的一部重要临床医书。",
            INCORRECT,
        ),
        # Titles that share characters may be one work or a part of it.
        (
            zh(("《伤寒论》",), "大柴胡汤的出处是哪部中医经典著作？"),
            "出处是《伤寒杂病论》，由张仲景所著。",
            UNGRADED,
        ),
        # 穴 in 穴位 ends no term, and 这个穴 names no acupoint.
        (
            zh(("膺窗穴",), "位于第3肋间隙的是什么穴位？"),
            "这个穴位是“膻中穴”。膻中穴位于胸部。",
            INCORRECT,
        ),
        # Less precise, not different: a prefecture for a county.
        (
            zh(("陇川县",), "“景颇族目瑙纵歌”是云南省哪个县申报的？"),
            "“景颇族目瑙纵歌”是云南省德宏傣族景颇族自治州申报的非物质文化遗产。",
            UNGRADED,
        ),
    ],
)
def test_chinese_value_kinds(question: Question, answer: str, outcome: Outcome) -> None:
    grade = grade_answer(question, answer)

    assert grade.outcome is outcome, grade.reason


@pytest.mark.parametrize(
    ("question", "answer", "outcome"),
    [
        # Shared characters may name the same thing: 赤色 and 红色, 关公 and 关羽.
        (zh(("赤色",), "烛龙身体的颜色是什么？"), "红色", UNGRADED),
        (zh(("关公",), "武财神是哪位历史人物？"), "关羽", UNGRADED),
        (zh(("郑少秋",), "《岁月无情》的演唱者是谁？"), "叶倩文", INCORRECT),
        # The first sentence of a long answer names another person.
        (
            zh(("周兴嗣",), "《千字文》的作者是谁？"),
            "《千字文》的作者是李商隐。他是唐代诗人，以无题诗著称，作品流传很广。",
            INCORRECT,
        ),
        # A first sentence about the subject, not the asked value.
        (
            zh(("平遥僖靖王",), "朱佶煟薨后，谥号是什么？"),
            "朱佶煟是明朝的一位人物。由于信息不够完整，无法确定确切的谥号名称。",
            UNGRADED,
        ),
        # Latin words may translate a Chinese gold answer.
        (zh(("魏晋南北朝",), "腊八节在哪个朝代被固定？"), "Northern Wei 时期", UNGRADED),
        # A first sentence of function words names nothing.
        (
            zh(("关公",), "在道教中，护法四帅之一的财神是谁？"),
            "在道教中，财神的职能包括治病除灾以及招财进宝，并且是护法四帅之一。根据这些职责……",
            UNGRADED,
        ),
    ],
)
def test_chinese_different_values(question: Question, answer: str, outcome: Outcome) -> None:
    grade = grade_answer(question, answer)

    assert grade.outcome is outcome, grade.reason


def test_chinese_key_of_incorrect_value() -> None:
    question = zh(("郑少秋",), "《岁月无情》的演唱者是谁？")

    assert grade_answer(question, "叶倩文").answer_key == "叶倩文"

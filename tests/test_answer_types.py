"""Inferring a question's answer type from its gold answers."""

import pytest

from probe.grading import infer_answer_type


@pytest.mark.parametrize(
    ("question", "answer", "answer_type"),
    [
        ("PAL电视制式首次面世是哪一年？", "1963年", "year"),
        ("徽政院是哪一年设立的？", "1294", "year"),
        ("明重修纪公庙记刻立于哪一年？", "万历41年（1613年）", "year"),
        ("黄大仙灵签有多少枝运签？", "100", "number"),
        ("参赛费是多少？", "15英镑", "number"),
        ("许润三被授予国医大师是哪一届？", "第三届", "number"),
        ("How high?", "211 (acceptable range: anything between 208 and 214)", "number"),
        ("When?", "15 September", "date"),
        ("哪天？", "1949年10月1日", "date"),
        ("哪个世纪？", "19世纪", "text"),
        ("首个飞越木星的探测器是哪个？", "先驱者10号", "text"),
        ("哪个市？", "重庆市", "text"),
    ],
)
def test_infer_answer_type(question: str, answer: str, answer_type: str) -> None:
    assert infer_answer_type(question, [answer]) == answer_type


def test_infer_answer_type_disagreeing_aliases() -> None:
    assert infer_answer_type("When?", ["1889", "the late 1880s"]) == "text"

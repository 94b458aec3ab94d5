"""Numbers written in words, English and Chinese."""

from decimal import Decimal

import pytest

from probe.numerals import chinese_numerals, english_numerals


@pytest.mark.parametrize(
    ("text", "value", "ordinal"),
    [
        ("twelve", 12, False),
        ("twenty-one people", 21, False),
        ("three hundred and five", 305, False),
        ("two thousand", 2000, False),
        ("the fifteenth", 15, True),
        ("twenty-first", 21, True),
        ("15th place", 15, True),
        ("one", 1, False),
    ],
)
def test_english_numerals(text: str, value: int, ordinal: bool) -> None:
    found = english_numerals(text)

    assert [numeral.value for numeral in found] == [Decimal(value)]
    assert found[0].ordinal is ordinal


@pytest.mark.parametrize("text", ["one of the best", "in a second", "a few"])
def test_english_numerals_not_counts(text: str) -> None:
    assert english_numerals(text) == []


@pytest.mark.parametrize(
    ("text", "value", "counter", "ordinal"),
    [
        ("四卷", 4, "卷", False),
        ("第三届", 3, "届", True),
        ("第三十二代", 32, "代", True),
        ("一千二百人", 1200, "人", False),
        ("两位", 2, "位", False),
        ("首届国医大师", 1, "届", True),
        ("十二", 12, "", False),
        ("二〇二三年", 2023, "年", False),
    ],
)
def test_chinese_numerals(text: str, value: int, counter: str, ordinal: bool) -> None:
    found = chinese_numerals(text)

    assert [numeral.value for numeral in found] == [Decimal(value)]
    assert found[0].counter == counter
    assert found[0].ordinal is ordinal


@pytest.mark.parametrize(
    "text", ["一个著名的画家", "统一", "十分重要", "三十多人", "三国演义", "数百年"]
)
def test_chinese_numerals_not_counts(text: str) -> None:
    assert chinese_numerals(text) == []

"""Reading one labelled token from a reply: option letters and judge verdicts."""

import pytest

from probe.grading.letters import pick_token

LETTERS = {letter: letter for letter in "ABC"}


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("B", ("B",)),
        ("**B**", ("B",)),
        ("b", ("B",)),
        ("The answer is B", ("B",)),
        ("GRADE: C. There is no reason to downgrade: the answer is fine.", ("C",)),
        ("This is a B", ("B",)),
        ("A correct answer", ()),
        ("A or B", ("A", "B")),
        ("Not A", ()),
        ("理由如下。\n\nB", ("B",)),
        ("答案：B", ("B",)),
        ("选C", ("C",)),
        ("(A) the first", ("A",)),
    ],
)
def test_pick_token_letters(text: str, values: tuple[str, ...]) -> None:
    assert pick_token(text, LETTERS).values == values


def test_pick_token_long_reply_needs_label() -> None:
    text = "I think the grade should be A, although one could argue for B in this case."

    assert pick_token(text, LETTERS).values == ()


def test_pick_token_lowercase_word_needs_label() -> None:
    tokens = {"CORRECT": "correct", "INCORRECT": "incorrect"}

    assert pick_token("that looks correct to me", tokens).values == ()
    assert pick_token("The answer is incorrect.", tokens).values == ("incorrect",)

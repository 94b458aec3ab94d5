import logging
import math

import pytest

from probe.consistency import (
    ABSTAINED_KEY,
    QuestionConsistency,
    cluster_entropy,
    question_consistency,
)
from probe.outcomes import Outcome

C = Outcome.CORRECT
I = Outcome.INCORRECT  # noqa: E741 (C, I, A, U read as a table of outcomes)
A = Outcome.ABSTAINED
U = Outcome.UNGRADED


def consistency(*samples: tuple[Outcome, str | None, str | None]) -> QuestionConsistency:
    return question_consistency("q1", samples)


# Clusters paris ×2, lyon, nice and the abstention cluster: sizes 2, 1, 1, 1 of 5 valid.
MIXED = consistency(
    (C, "paris", "Paris"),
    (C, "paris", "paris."),
    (I, "lyon", "Lyon"),
    (A, None, "I don't know"),
    (I, "nice", "Nice"),
)


def test_mixed_question_id() -> None:
    assert MIXED.question_id == "q1"


def test_mixed_modal_key() -> None:
    assert MIXED.modal_key == "paris"


def test_mixed_modal_answer_is_first_text() -> None:
    assert MIXED.modal_answer == "Paris"


def test_mixed_valid() -> None:
    assert MIXED.valid == 5


def test_mixed_confidence() -> None:
    # c_q = 2 / 5
    assert MIXED.confidence == pytest.approx(0.4)


def test_mixed_entropy() -> None:
    # −(0.4·ln 0.4 + 3·0.2·ln 0.2) = 0.366516 + 0.965663 = 1.332179
    assert MIXED.entropy == pytest.approx(1.332179, abs=1e-6)


def test_mixed_modal_correct() -> None:
    assert MIXED.modal_correct is True


def test_tie_first_appearance_key() -> None:
    # b and a both have 2 samples, and b appears first.
    result = consistency((I, "b", "B"), (C, "a", "A"), (C, "a", "A"), (I, "b", "B"))
    assert result.modal_key == "b"


def test_tie_first_appearance_correctness() -> None:
    result = consistency((I, "b", "B"), (C, "a", "A"), (C, "a", "A"), (I, "b", "B"))
    assert result.modal_correct is False


def test_tie_confidence() -> None:
    # c_q = 2 / 4
    result = consistency((I, "b", "B"), (C, "a", "A"), (C, "a", "A"), (I, "b", "B"))
    assert result.confidence == pytest.approx(0.5)


def test_abstentions_never_modal_key() -> None:
    # Three abstentions outnumber the one answer, but m_q is the largest answer cluster.
    result = consistency((A, None, None), (A, None, None), (A, None, None), (I, "x", "X"))
    assert result.modal_key == "x"


def test_abstentions_count_in_confidence() -> None:
    # c_q = 1 / 4
    result = consistency((A, None, None), (A, None, None), (A, None, None), (I, "x", "X"))
    assert result.confidence == pytest.approx(0.25)


def test_abstentions_count_in_entropy() -> None:
    # Clusters x and abstained, 1 each of 2: −2·0.5·ln 0.5 = ln 2
    result = consistency((C, "x", "X"), (A, None, None))
    assert result.entropy == pytest.approx(math.log(2))


def test_invalid_outcomes_ignored_valid() -> None:
    result = consistency(
        (Outcome.ERROR, None, None),
        (Outcome.TRUNCATED, None, None),
        (C, "a", "A"),
        (Outcome.REFUSED, None, None),
        (Outcome.EMPTY, None, ""),
    )
    assert result.valid == 1


def test_invalid_outcomes_ignored_confidence() -> None:
    # Only the correct sample is valid: c_q = 1 / 1
    result = consistency((Outcome.ERROR, None, None), (C, "a", "A"), (Outcome.EMPTY, None, ""))
    assert result.confidence == 1.0


def test_all_errors_valid_zero() -> None:
    result = consistency((Outcome.ERROR, None, None), (Outcome.ERROR, None, None))
    assert result.valid == 0


def test_all_errors_modal_key_none() -> None:
    result = consistency((Outcome.ERROR, None, None), (Outcome.ERROR, None, None))
    assert result.modal_key is None


def test_all_errors_modal_answer_none() -> None:
    result = consistency((Outcome.ERROR, None, None), (Outcome.ERROR, None, None))
    assert result.modal_answer is None


def test_all_errors_confidence_zero() -> None:
    result = consistency((Outcome.ERROR, None, None), (Outcome.ERROR, None, None))
    assert result.confidence == 0.0


def test_all_errors_entropy_zero() -> None:
    result = consistency((Outcome.ERROR, None, None), (Outcome.ERROR, None, None))
    assert result.entropy == 0.0


def test_all_errors_modal_correct_none() -> None:
    result = consistency((Outcome.ERROR, None, None), (Outcome.ERROR, None, None))
    assert result.modal_correct is None


def test_no_samples_valid_zero() -> None:
    assert consistency().valid == 0


def test_no_samples_modal_correct_none() -> None:
    assert consistency().modal_correct is None


def test_only_abstentions_modal_key_none() -> None:
    result = consistency((A, None, None), (A, None, None))
    assert result.modal_key is None


def test_only_abstentions_confidence_zero() -> None:
    result = consistency((A, None, None), (A, None, None))
    assert result.confidence == 0.0


def test_only_abstentions_valid() -> None:
    result = consistency((A, None, None), (A, None, None))
    assert result.valid == 2


def test_only_abstentions_modal_correct_false() -> None:
    result = consistency((A, None, None), (A, None, None))
    assert result.modal_correct is False


def test_only_abstentions_entropy_zero() -> None:
    result = consistency((A, None, None), (A, None, None))
    assert result.entropy == 0.0


def test_ungraded_modal_correct_none() -> None:
    result = consistency((U, "x", "X"), (U, "x", "X"), (C, "y", "Y"))
    assert result.modal_correct is None


def test_ungraded_counts_as_valid() -> None:
    result = consistency((U, "x", "X"), (U, "x", "X"), (C, "y", "Y"))
    assert result.valid == 3


def test_ungraded_confidence() -> None:
    # c_q = 2 / 3
    result = consistency((U, "x", "X"), (U, "x", "X"), (C, "y", "Y"))
    assert result.confidence == pytest.approx(2 / 3)


def test_ungraded_beside_graded_uses_grade() -> None:
    result = consistency((U, "x", "X"), (C, "x", "X"))
    assert result.modal_correct is True


def test_conflicting_grades_modal_correct_none() -> None:
    result = consistency((C, "x", "X"), (I, "x", "X"))
    assert result.modal_correct is None


def test_conflicting_grades_logs_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="probe.consistency"):
        consistency((C, "x", "X"), (I, "x", "X"))
    assert "graded both correct and incorrect" in caplog.text


def test_all_correct_confidence_one() -> None:
    result = consistency(*[(C, "a", "A")] * 5)
    assert result.confidence == 1.0


def test_all_correct_entropy_zero() -> None:
    result = consistency(*[(C, "a", "A")] * 5)
    assert result.entropy == 0.0


def test_all_correct_modal_correct() -> None:
    result = consistency(*[(C, "a", "A")] * 5)
    assert result.modal_correct is True


def test_k1_answer_confidence_one() -> None:
    assert consistency((I, "a", "A")).confidence == 1.0


def test_k1_answer_modal_correct() -> None:
    assert consistency((I, "a", "A")).modal_correct is False


def test_k1_abstention_confidence_zero() -> None:
    assert consistency((A, None, None)).confidence == 0.0


def test_modal_answer_skips_missing_text() -> None:
    result = consistency((C, "p", None), (C, "p", "Paris"))
    assert result.modal_answer == "Paris"


def test_answer_without_key_raises() -> None:
    with pytest.raises(ValueError, match="sample 1: an answer with outcome 'correct'"):
        consistency((C, "a", "A"), (C, None, "A"))


def test_answer_with_abstained_key_raises() -> None:
    with pytest.raises(ValueError, match="must not equal '<abstained>'"):
        consistency((I, ABSTAINED_KEY, "?"))


def test_cluster_entropy_hand_computed() -> None:
    # Sizes 2, 1, 1 of 4: −(0.5·ln 0.5 + 2·0.25·ln 0.25) = 0.5·ln 2 + ln 2 = 1.5·ln 2
    assert cluster_entropy([2, 1, 1]) == pytest.approx(1.5 * math.log(2))


def test_cluster_entropy_one_cluster() -> None:
    assert cluster_entropy([3]) == 0.0


def test_cluster_entropy_empty() -> None:
    assert cluster_entropy([]) == 0.0

"""Checks of the per-question arrays that the metric functions take.

Every metric takes plain 1-D arrays with one entry per question, aligned by question. These
helpers convert an array-like to float64 and raise ValueError with the argument's name when
it is not a valid array of its kind.
"""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def as_float_array(name: str, values: npt.ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array with one entry per question, got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite numbers")
    return array


def as_count_array(name: str, values: npt.ArrayLike) -> FloatArray:
    """Return per-question sample counts as floats, after checking they are whole and ≥ 0."""
    array = as_float_array(name, values)
    if np.any(array < 0) or np.any(array != np.floor(array)):
        raise ValueError(f"{name} must contain whole counts of at least 0")
    return array


def as_confidence_array(values: npt.ArrayLike) -> FloatArray:
    array = as_float_array("confidence", values)
    if np.any((array < 0) | (array > 1)):
        raise ValueError("confidence must contain values between 0 and 1")
    return array


def as_outcome_array(values: npt.ArrayLike) -> FloatArray:
    """Return per-question correctness as 0.0 or 1.0, after checking every entry is 0 or 1."""
    array = as_float_array("correct", values)
    if np.any((array != 0) & (array != 1)):
        raise ValueError("correct must contain only 0 and 1 (or False and True)")
    return array


def split_modal_correct(
    modal_correct: Sequence[bool | None],
) -> tuple[BoolArray, BoolArray]:
    """Return (known, correct) masks from per-question y_q values, where None is unknown."""
    known = np.array([value is not None for value in modal_correct], dtype=np.bool_)
    correct = np.array([bool(value) for value in modal_correct], dtype=np.bool_)
    return known, correct


def check_aligned(**arrays: npt.NDArray[np.generic]) -> None:
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name}={length}" for name, length in lengths.items())
        raise ValueError(
            f"per-question arrays must have one entry per question, got lengths {listed}"
        )

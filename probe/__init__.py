"""probe: measure whether a language model abstains when it should.

It states a confidence threshold t in the prompt (+1 for a correct answer, −t/(1−t) for a
wrong one, 0 for "I don't know"), samples each question several times, and scores
behavioural calibration across thresholds.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("probe")
except PackageNotFoundError:  # Running from a source tree that is not installed.
    __version__ = "0.0.0+unknown"

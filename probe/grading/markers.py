"""Find the value an answer gives after an explicit answer marker.

"The answer is: 1930", 'The correct answer is "12"', "Answer: Sydney" and 答案是1957年 state
which value is the answer, so the grader takes it even when the rest of the text rambles.
The marked span runs from the marker to the end of its sentence or line, without quotes.
"""

import re
import unicodedata
from dataclasses import dataclass

_ENGLISH_MARKER = (
    r"\b(?:the|my)\s+(?:(?:correct|right|final|best)\s+)?answer"
    r"(?:\s+to\s+(?:this|the|your)\s+question)?\s+(?:is|would\s+be|will\s+be)\b\s*:?"
    r"|(?:^|\n)[^\S\n]*(?:(?:correct|final)\s+)?answer\s*:"
)
# NFKC has already turned the full-width colon ： into ":".
_CHINESE_MARKER = r"(?:正確|正确|最終|最终)?答案(?:是|為|为)\s*:?|答案\s*:"
_MARKER = re.compile(f"{_ENGLISH_MARKER}|{_CHINESE_MARKER}", re.IGNORECASE)
# A full stop ends the span only before a space or the end, so that 3.16 stays one value.
_SPAN_END = re.compile(r"[.!?](?=\s|$)|[\n。！？;；]")
_QUOTES = "\"'“”‘’「」『』《》"
# A span that opens with one of these words judges the question or the answer instead of
# giving a value: "the answer is not …", "the answer is incorrect".
_NOT_A_VALUE = re.compile(
    r"(?:not|incorrect|correct|wrong|right|true|false|unknown|unclear|uncertain|that|to|in"
    r"|yes|no|none|because|as|above|below|simple|obvious)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MarkedSpan:
    """The text after the last answer marker, with its offsets in the NFKC answer text."""

    text: str
    start: int
    end: int


def marked_span(answer: str) -> MarkedSpan | None:
    """Return the value span after the last answer marker of an NFKC text, or None.

    The last marker wins because a model that corrects itself ends with the answer it means.
    A span that is empty or opens with a judging word ("not", "incorrect") is no value.
    """
    markers = list(_MARKER.finditer(answer))
    if not markers:
        return None

    start = markers[-1].end()
    end_match = _SPAN_END.search(answer, start)
    end = end_match.start() if end_match else len(answer)
    raw = answer[start:end]
    text = raw.strip().strip(_QUOTES).strip()
    if not text or _NOT_A_VALUE.match(text):
        return None
    offset = start + raw.index(text[0])
    return MarkedSpan(text=text, start=offset, end=offset + len(text))


def marked_text(answer: str) -> str | None:
    """Return the value text after the last answer marker of any answer text, or None."""
    span = marked_span(unicodedata.normalize("NFKC", answer))
    return None if span is None else span.text

"""The text parts of one chat-completion choice, as the grader needs them."""

from dataclasses import dataclass
from typing import Literal

ReasoningField = Literal["reasoning_content", "reasoning"]


@dataclass(frozen=True)
class ModelResponse:
    """One returned choice, reduced to the fields that decide its outcome.

    `content` may still contain a `<think>` block; `reasoning` is the separate reasoning field
    that some servers send (vLLM and DeepSeek as `reasoning_content`, OpenRouter and
    Ollama as `reasoning`).
    """

    content: str | None
    finish_reason: str | None = None
    reasoning: str | None = None
    reasoning_field: ReasoningField | None = None
    refusal: str | None = None
    # The log-probability of each content token, when the request asked for logprobs and
    # the server returned them.
    token_logprobs: tuple[float, ...] | None = None

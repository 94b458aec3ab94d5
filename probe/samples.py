"""The record stored for every sample, one JSON line each in samples.jsonl."""

import hashlib
from typing import Annotated, Literal, NamedTuple

import pydantic.dataclasses
from pydantic import BaseModel, ConfigDict, Field

from probe.outcomes import Outcome
from probe.responses import ModelResponse, ReasoningField


class SampleKey(NamedTuple):
    """The key of a sample, by which results are resumed and de-duplicated."""

    question_id: str
    threshold: float
    sample_index: int


class Usage(BaseModel):
    """Token counts the server reported for one request; None where it reported none.

    A request that carries several samples (n > 1) has one usage, shared by its samples:
    the prompt is counted once, and completion_tokens covers every choice.
    """

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    reasoning_tokens: int | None = Field(
        default=None, description="The part of completion_tokens spent on reasoning."
    )


class RawResponse(BaseModel):
    """The returned choice as received, kept so any outcome can be audited and regraded."""

    content: str | None = None
    finish_reason: str | None = None
    reasoning: str | None = None
    reasoning_field: ReasoningField | None = None
    refusal: str | None = None

    @classmethod
    def from_response(cls, response: ModelResponse) -> "RawResponse":
        return cls(
            content=response.content,
            finish_reason=response.finish_reason,
            reasoning=response.reasoning,
            reasoning_field=response.reasoning_field,
            refusal=response.refusal,
        )

    def to_response(self) -> ModelResponse:
        return ModelResponse(
            content=self.content,
            finish_reason=self.finish_reason,
            reasoning=self.reasoning,
            reasoning_field=self.reasoning_field,
            refusal=self.refusal,
        )


class SampleRecord(BaseModel):
    """One sample: its key, outcome, the answer as graded, and the raw response."""

    model_config = ConfigDict(extra="ignore")

    question_id: str
    threshold: float
    sample_index: int = Field(ge=0)
    outcome: Outcome
    answer: str | None = Field(default=None, description="Answer text after reasoning removal.")
    answer_key: str | None = Field(
        default=None,
        description="Equivalence key: answers the grader treats as one value share it.",
    )
    reason: str = Field(default="", description="Why the sample got its outcome.")
    source: Literal["content", "reasoning_content", "reasoning"] | None = None
    response: RawResponse | None = None
    error: str | None = Field(default=None, description="The final error of a failed request.")
    model: str | None = Field(default=None, description="The model name the server reported.")
    usage: Usage | None = Field(
        default=None, description="The request's token usage; None when the server sent none."
    )
    request_id: str | None = Field(
        default=None,
        description="Shared by the samples of one request, so its usage is counted once.",
    )
    seed: int | None = Field(default=None, description="The seed sent with the request.")
    latency_s: float | None = Field(default=None, description="Seconds for the successful attempt.")
    attempts: int = Field(default=1, ge=1, description="Requests sent, retries included.")
    token_logprobs: list[float] | None = Field(
        default=None, description="Log-probability of each content token, when requested."
    )
    stated_confidence: float | None = Field(
        default=None,
        description="Verbalised samples only: the stated confidence over 100, in [0, 1].",
    )
    confidence_error: str | None = Field(
        default=None,
        description="Verbalised samples only: why the reply did not parse; no confidence then.",
    )

    @property
    def key(self) -> SampleKey:
        return SampleKey(self.question_id, self.threshold, self.sample_index)


@pydantic.dataclasses.dataclass(frozen=True, slots=True, config=ConfigDict(extra="ignore"))
class LeanSampleRecord:
    """A sample record with only the fields that the summary and the reports read.

    Reading a line into it skips the raw response, the reason and the timings. On the
    records of benchmarks/workloads.py it took about a third of the time and a quarter of
    the memory of a SampleRecord. Regrading and resuming need the full record. Each field
    has the type, default and meaning of SampleRecord's field of the same name.
    """

    question_id: str
    threshold: float
    sample_index: Annotated[int, Field(ge=0)]
    outcome: Outcome
    answer: str | None = None
    answer_key: str | None = None
    usage: Usage | None = None
    request_id: str | None = None
    token_logprobs: list[float] | None = None

    @property
    def key(self) -> SampleKey:
        return SampleKey(self.question_id, self.threshold, self.sample_index)


# Code that reads only the fields of LeanSampleRecord takes either form of a record.
AnySampleRecord = SampleRecord | LeanSampleRecord


def sample_seed(key: SampleKey) -> int:
    """Derive a seed from a sample's key, so every sample gets its own and reruns repeat it.

    One fixed seed for all samples of a question would make them identical wherever the
    server honours seeds, and every question would look perfectly consistent.
    """
    text = f"{key.question_id}\n{key.threshold!r}\n{key.sample_index}"
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    # 31 bits: some servers reject seeds outside a signed 32-bit integer.
    return int.from_bytes(digest[:4], "big") & 0x7FFF_FFFF

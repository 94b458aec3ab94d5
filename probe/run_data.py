"""A run read back from its folder for reports and checks: run.json, questions, samples, summary."""

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from probe.errors import ProbeError
from probe.questions import Question, load_question_set
from probe.samples import LeanSampleRecord, SampleRecord
from probe.store import LeanSamples, RunStore
from probe.summary import Summary, probed_questions, summarise_records

logger = logging.getLogger(__name__)


class PartialRun(NamedTuple):
    """A run that stopped early: its status, the samples collected and those planned."""

    status: str
    collected: int
    planned: int | None


@dataclass(frozen=True)
class RunData:
    """Everything the reports and checks read from one run folder.

    records are lean: they lack the raw responses, which `full_records` reads on demand.
    record_offsets contains the byte offset in samples.jsonl of each record's line.
    """

    store: RunStore
    info: dict[str, Any]
    summary: Summary
    records: tuple[LeanSampleRecord, ...]
    questions: tuple[Question, ...]
    record_offsets: tuple[int, ...]

    @property
    def run_id(self) -> str:
        return self.summary.run_id

    @property
    def model(self) -> str:
        return self.summary.model or "unknown model"

    @property
    def question_set_sha256(self) -> str:
        return str(self.summary.question_set.get("sha256", ""))

    @property
    def started_at(self) -> str:
        return str(self.info.get("started_at") or "")

    @property
    def thresholds(self) -> tuple[float, ...]:
        return tuple(item.threshold for item in self.summary.thresholds)

    @property
    def partial(self) -> PartialRun | None:
        """The status and sample counts of a run that stopped before its plan was complete."""
        status = str(self.info.get("status", "complete"))
        if status == "complete":
            return None
        planned = self.info.get("plan", {}).get("size")
        return PartialRun(status, self.summary.samples, int(planned) if planned else None)

    def full_records(self, question_ids: Collection[str]) -> list[SampleRecord]:
        """Read the full records, raw responses included, of the given questions' samples.

        Raises ProbeError when samples.jsonl changed since the run was read.
        """
        chosen = [
            (record.key, offset)
            for record, offset in zip(self.records, self.record_offsets, strict=True)
            if record.question_id in question_ids
        ]
        full = self.store.read_samples_at(offset for _, offset in chosen)
        for (key, _), record in zip(chosen, full, strict=True):
            if record.key != key:
                raise ProbeError(
                    f"{self.store.samples_jsonl}: changed while the report was written "
                    f"(expected sample {key}, found {record.key}). Run the command again."
                )
        return full


def load_run(run_dir: Path, *, recompute: bool = False) -> RunData:
    """Read a run folder, recomputing summary.json when asked or when it is missing or stale.

    A recomputed summary comes from the same reading of samples.jsonl as the records.
    Raises ProbeError when the folder has no run.json or its samples cannot be read.
    """
    store = RunStore(run_dir)
    info = store.read_run_info()
    summary = None if recompute else _stored_summary(store)
    if summary is None:
        questions = probed_questions(store, info)
        return summarise_read_run(store, info, questions, read_probed_samples(store, questions))
    return read_run(store, summary, info)


def read_run(store: RunStore, summary: Summary, info: dict[str, Any] | None = None) -> RunData:
    """Read the questions and samples of a run whose summary is already computed."""
    info = store.read_run_info() if info is None else info
    # A run probes the first `summary.questions` questions of its set (all without --limit).
    questions = load_question_set(store.questions_jsonl).questions[: summary.questions]
    return _run_data(store, info, summary, questions, read_probed_samples(store, questions))


def read_probed_samples(store: RunStore, questions: Sequence[Question]) -> LeanSamples:
    """Read the lean records of the given questions' samples, with their line offsets."""
    probed = {question.id for question in questions}
    samples = store.read_lean_samples()
    if all(record.question_id in probed for record in samples.records):
        return samples

    kept = [
        position for position, record in enumerate(samples.records) if record.question_id in probed
    ]
    return LeanSamples(
        [samples.records[position] for position in kept],
        [samples.offsets[position] for position in kept],
    )


def summarise_read_run(
    store: RunStore, info: dict[str, Any], questions: Sequence[Question], samples: LeanSamples
) -> RunData:
    """Recompute summary.json from a run's samples already read, and return the run with them.

    The bootstrap uses the draws and seed the run was made with.
    """
    config = info.get("config", {})
    summary = summarise_records(
        store,
        info,
        questions,
        samples.records,
        draws=int(config.get("bootstrap_draws", 1000)),
        seed=int(config.get("seed", 0)),
    )
    return _run_data(store, info, summary, questions, samples)


def _run_data(
    store: RunStore,
    info: dict[str, Any],
    summary: Summary,
    questions: Sequence[Question],
    samples: LeanSamples,
) -> RunData:
    return RunData(
        store=store,
        info=info,
        summary=summary,
        records=tuple(samples.records),
        questions=tuple(questions),
        record_offsets=tuple(samples.offsets),
    )


def find_runs(results_dir: Path) -> list[Path]:
    """List the run folders directly under results_dir (those holding a run.json), by name.

    Raises ProbeError when results_dir is not a folder or contains no run.
    """
    if not results_dir.is_dir():
        raise ProbeError(f"{results_dir}: not a folder. Pass the results folder, e.g. results/.")

    runs = sorted(path.parent for path in results_dir.glob("*/run.json"))
    if not runs:
        raise ProbeError(
            f"{results_dir}: no run folders found (folders holding a run.json). "
            "Pass the folder that `probe run --results-dir` wrote to."
        )
    return runs


def _stored_summary(store: RunStore) -> Summary | None:
    """Read summary.json, or return None when it is missing or written by an older probe."""
    try:
        return Summary.model_validate_json(store.summary_json.read_bytes())
    except FileNotFoundError:
        logger.info("%s: no summary.json yet; computing it from the samples.", store.run_dir)
    except ValidationError as error:
        # A summary written by an older probe lacks newer fields; the samples are the source.
        logger.info("%s: summary.json is out of date (%s); recomputing it.", store.run_dir, error)
    return None

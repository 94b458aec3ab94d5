"""A run read back from its folder for reports and checks: run.json, questions, samples, summary."""

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from probe.errors import ProbeError
from probe.questions import Question, load_question_set
from probe.samples import SampleRecord
from probe.store import RunStore
from probe.summary import Summary, summarise_run

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunData:
    """Everything the reports and checks read from one run folder."""

    store: RunStore
    info: dict[str, Any]
    summary: Summary
    records: tuple[SampleRecord, ...]
    questions: tuple[Question, ...]

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


def load_run(run_dir: Path, *, recompute: bool = False) -> RunData:
    """Read a run folder, recomputing summary.json when asked or when it is missing or stale.

    Raises ProbeError when the folder has no run.json or its samples cannot be read.
    """
    store = RunStore(run_dir)
    info = store.read_run_info()
    summary = summarise(store, info) if recompute else _stored_or_new_summary(store, info)
    return read_run(store, summary, info)


def read_run(store: RunStore, summary: Summary, info: dict[str, Any] | None = None) -> RunData:
    """Read the questions and samples of a run whose summary is already computed."""
    info = store.read_run_info() if info is None else info
    # A run probes the first `summary.questions` questions of its set (all without --limit).
    questions = load_question_set(store.questions_jsonl).questions[: summary.questions]
    probed = {question.id for question in questions}
    records = tuple(record for record in store.read_samples() if record.question_id in probed)
    return RunData(store=store, info=info, summary=summary, records=records, questions=questions)


def summarise(store: RunStore, info: dict[str, Any]) -> Summary:
    """Recompute summary.json with the bootstrap draws and seed the run was made with."""
    config = info.get("config", {})
    return summarise_run(
        store, draws=int(config.get("bootstrap_draws", 1000)), seed=int(config.get("seed", 0))
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


def _stored_or_new_summary(store: RunStore, info: dict[str, Any]) -> Summary:
    try:
        return Summary.model_validate_json(store.summary_json.read_bytes())
    except FileNotFoundError:
        logger.info("%s: no summary.json yet; computing it from the samples.", store.run_dir)
    except ValidationError as error:
        # A summary written by an older probe lacks newer fields; the samples are the source.
        logger.info("%s: summary.json is out of date (%s); recomputing it.", store.run_dir, error)
    return summarise(store, info)

"""The run folder: run.json, samples.jsonl, summary.json and report.md.

samples.jsonl is append-only, one record per line, flushed after every line, so a crash
loses at most the samples in flight and at most one torn last line, which reading drops.

A sample key that appears more than once is resolved by one rule, both when reading and
when a resume compacts the file. The first record that is not an error wins. A key with
only error records keeps its last one.
"""

import contextlib
import fcntl
import json
import logging
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NamedTuple

from pydantic import ValidationError

from probe.errors import ProbeError
from probe.outcomes import Outcome
from probe.samples import SampleKey, SampleRecord

logger = logging.getLogger(__name__)


class StoredLine(NamedTuple):
    """One line of samples.jsonl: its bytes as stored and the record they hold."""

    raw: bytes
    record: SampleRecord


class RunStore:
    """The files of one run, under results/<run-id>/."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir

    @property
    def run_json(self) -> Path:
        return self.run_dir / "run.json"

    @property
    def samples_jsonl(self) -> Path:
        return self.run_dir / "samples.jsonl"

    @property
    def questions_jsonl(self) -> Path:
        """A copy of the question set, so the run can be summarised after the set changes."""
        return self.run_dir / "questions.jsonl"

    @property
    def superseded_jsonl(self) -> Path:
        """Records a resume took out of samples.jsonl: retried errors and duplicate keys."""
        return self.run_dir / "superseded.jsonl"

    @property
    def summary_json(self) -> Path:
        return self.run_dir / "summary.json"

    @property
    def report_md(self) -> Path:
        return self.run_dir / "report.md"

    def write_json(self, path: Path, data: Any) -> None:
        """Write JSON atomically, so a reader never sees half a file."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(
            json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        os.replace(temporary, path)

    def read_run_info(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.run_json.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ProbeError(
                f"{self.run_json}: not found. Pass the folder of a run made by `probe run`."
            ) from None
        return data

    def open_writer(self) -> "SampleWriter":
        self.run_dir.mkdir(parents=True, exist_ok=True)
        return SampleWriter(self.samples_jsonl)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the run folder for one process, so two runs never append to one file."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with (self.run_dir / ".lock").open("a+") as file:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ProbeError(
                    f"{self.run_dir}: another probe process is writing this run. Wait for it "
                    "to finish or stop it, then run again."
                ) from None
            try:
                yield
            finally:
                fcntl.flock(file, fcntl.LOCK_UN)

    def iter_samples(self) -> Iterator[SampleRecord]:
        """Read samples.jsonl in order, dropping a torn last line with a warning."""
        for line in self.iter_lines():
            yield line.record

    def iter_lines(self) -> Iterator[StoredLine]:
        """Read samples.jsonl in order with each record's bytes, dropping a torn last line."""
        if not self.samples_jsonl.exists():
            return
        with self.samples_jsonl.open("rb") as file:
            lines = iter(file)
            line = next(lines, None)
            number = 0
            while line is not None:
                number += 1
                following = next(lines, None)
                record = self._parse_line(line, number, is_last=following is None)
                if record is not None:
                    yield StoredLine(line, record)
                line = following

    def read_samples(self) -> list[SampleRecord]:
        """Read every sample, one record per key by the rule in this module's docstring."""
        by_key: dict[SampleKey, SampleRecord] = {}
        duplicates = 0
        for record in self.iter_samples():
            kept = by_key.get(record.key)
            if kept is None:
                by_key[record.key] = record
                continue
            duplicates += 1
            if kept.outcome is Outcome.ERROR:
                by_key[record.key] = record
        if duplicates:
            logger.warning(
                "%s: %d sample key(s) appear more than once; the first record that is not an "
                "error is used for each. A resume moves the others to %s.",
                self.samples_jsonl,
                duplicates,
                self.superseded_jsonl.name,
            )
        return list(by_key.values())

    def _parse_line(self, line: bytes, number: int, *, is_last: bool) -> SampleRecord | None:
        if not line.strip():
            return None
        try:
            return SampleRecord.model_validate_json(line)
        except ValidationError as error:
            if is_last and not line.endswith(b"\n"):
                logger.warning(
                    "%s:%d: dropped a torn last line left by an interrupted run.",
                    self.samples_jsonl,
                    number,
                )
                return None
            raise ProbeError(
                f"{self.samples_jsonl}:{number}: invalid sample record "
                f"({error.error_count()} problem(s), first: {error.errors()[0]['msg']}). "
                "Remove or repair that line, then run again."
            ) from None


class SampleWriter:
    """Appends sample records to samples.jsonl, one flushed line each."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[str] | None = None

    def __enter__(self) -> "SampleWriter":
        _drop_torn_last_line(self._path)
        self._file = self._path.open("a", encoding="utf-8")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def write(self, record: SampleRecord) -> None:
        if self._file is None:
            raise RuntimeError("SampleWriter.write called outside its with block")
        self._file.write(record.model_dump_json(exclude_none=True) + "\n")
        self._file.flush()


def _drop_torn_last_line(path: Path) -> None:
    # A run killed mid-write leaves a last line without its newline. Cutting it off before
    # appending keeps every later record on a line of its own; the sample is sent again.
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("r+b") as file:
        end = file.seek(0, os.SEEK_END)
        file.seek(end - 1)
        if file.read(1) == b"\n":
            return
        file.truncate(_start_of_last_line(file, end))
    logger.warning("%s: dropped a torn last line left by an interrupted run.", path)


def _start_of_last_line(file: IO[bytes], end: int, chunk: int = 65536) -> int:
    position = end
    while position > 0:
        start = max(0, position - chunk)
        file.seek(start)
        newline = file.read(position - start).rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        position = start
    return 0


def new_run_id(model: str | None, now: datetime | None = None) -> str:
    """Name a run folder by UTC date, time and model, e.g. 20261204-211000-gpt-4o-mini."""
    now = now or datetime.now(UTC)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model or "model").strip("-.")[:60] or "model"
    return f"{now:%Y%m%d-%H%M%S}-{slug}"

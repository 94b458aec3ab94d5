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
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NamedTuple, TypeVar

from pydantic import TypeAdapter, ValidationError

from probe.errors import ProbeError
from probe.outcomes import Outcome
from probe.samples import LeanSampleRecord, SampleKey, SampleRecord

logger = logging.getLogger(__name__)


# The form a line is read into: the full record, or the lean one for summaries and reports.
Record = TypeVar("Record", SampleRecord, LeanSampleRecord)

_LEAN_RECORD_ADAPTER = TypeAdapter(LeanSampleRecord)


class StoredLine(NamedTuple):
    """One line of samples.jsonl: its bytes as stored and the record they hold."""

    raw: bytes
    record: SampleRecord


class LeanSamples(NamedTuple):
    """A run's samples as lean records, with the byte offset of each one's line."""

    records: list[LeanSampleRecord]
    offsets: list[int]


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
        for _, line, record in self._iter_parsed(SampleRecord.model_validate_json):
            yield StoredLine(line, record)

    def read_samples(self) -> list[SampleRecord]:
        """Read every sample, one record per key by the rule in this module's docstring."""
        records, _ = self._read_unique(SampleRecord.model_validate_json)
        return records

    def read_lean_samples(self) -> LeanSamples:
        """Read every sample as a lean record, one per key like read_samples."""
        records, offsets = self._read_unique(_LEAN_RECORD_ADAPTER.validate_json)
        return LeanSamples(records, offsets)

    def read_samples_at(self, offsets: Iterable[int]) -> list[SampleRecord]:
        """Read the full records of the lines that start at the given byte offsets, in order.

        The offsets come from read_lean_samples. Raises ProbeError when a line there is not
        a valid sample record, which means that samples.jsonl changed in between, as a
        resume rewrites it. The caller checks that each record has the key it expects.
        """
        records = []
        with self.samples_jsonl.open("rb") as file:
            for offset in offsets:
                file.seek(offset)
                try:
                    records.append(SampleRecord.model_validate_json(file.readline()))
                except ValidationError:
                    raise ProbeError(
                        f"{self.samples_jsonl}: no valid sample record at byte {offset}, so the "
                        "file changed after it was read. Run the command again."
                    ) from None
        return records

    def _read_unique(self, parse: Callable[[bytes], Record]) -> tuple[list[Record], list[int]]:
        """Read one record per key, with the byte offset of its line, in order of first key."""
        records: list[Record] = []
        offsets: list[int] = []
        position_of: dict[SampleKey, int] = {}
        duplicates = 0
        for offset, _, record in self._iter_parsed(parse):
            key = record.key
            position = position_of.get(key)
            if position is None:
                position_of[key] = len(records)
                records.append(record)
                offsets.append(offset)
                continue
            duplicates += 1
            if records[position].outcome is Outcome.ERROR:
                records[position] = record
                offsets[position] = offset
        if duplicates:
            logger.warning(
                "%s: %d sample key(s) appear more than once; the first record that is not an "
                "error is used for each. A resume moves the others to %s.",
                self.samples_jsonl,
                duplicates,
                self.superseded_jsonl.name,
            )
        return records, offsets

    def _iter_parsed(self, parse: Callable[[bytes], Record]) -> Iterator[tuple[int, bytes, Record]]:
        """Yield the byte offset, the bytes and the record of each line, in order."""
        path = self.samples_jsonl
        if not path.exists():
            return
        with path.open("rb") as file:
            lines = iter(file)
            line = next(lines, None)
            number = offset = 0
            while line is not None:
                number += 1
                following = next(lines, None)
                record = _parse_line(parse, line, path, number, is_last=following is None)
                if record is not None:
                    yield offset, line, record
                offset += len(line)
                line = following


def _parse_line(
    parse: Callable[[bytes], Record], line: bytes, path: Path, number: int, *, is_last: bool
) -> Record | None:
    if not line.strip():
        return None
    try:
        return parse(line)
    except ValidationError as error:
        if is_last and not line.endswith(b"\n"):
            logger.warning(
                "%s:%d: dropped a torn last line left by an interrupted run.", path, number
            )
            return None
        raise _invalid_line(f"{path}:{number}", error) from None


def _invalid_line(location: str, error: ValidationError) -> ProbeError:
    return ProbeError(
        f"{location}: invalid sample record "
        f"({error.error_count()} problem(s), first: {error.errors()[0]['msg']}). "
        "Remove or repair that line, then run again."
    )


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

"""Resuming a run: what changed since it started, which samples are stored, which are pending.

A resume sends only the pending samples: the plan's keys minus the stored ones. Error
samples count as pending, so they are retried. Before the run goes on, samples.jsonl is
rewritten without its error records and duplicate keys (the rule is in probe/store.py),
and those records move to superseded.jsonl, so each key appears once and none is lost.
"""

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from probe.config import RunConfig, load_config
from probe.errors import ConfigError
from probe.outcomes import Outcome
from probe.runner import Plan
from probe.samples import SampleKey
from probe.store import RunStore

logger = logging.getLogger(__name__)


class KeySet:
    """A set of sample keys held as one bit mask per question id.

    A plan has few (threshold, sample index) pairs, so each gets a bit, and a run of a
    million samples costs a few bytes per question rather than an object per sample.
    """

    def __init__(self) -> None:
        self._masks: dict[str, int] = {}
        self._bits: dict[tuple[float, int], int] = {}

    def add(self, key: SampleKey) -> bool:
        """Add a key; return False when it was already present."""
        bit = self._bits.setdefault((key.threshold, key.sample_index), len(self._bits))
        mask = self._masks.get(key.question_id, 0)
        if mask >> bit & 1:
            return False
        self._masks[key.question_id] = mask | 1 << bit
        return True

    def __contains__(self, key: object) -> bool:
        # Any (question id, threshold, sample index) tuple, as for a set of SampleKey.
        if not isinstance(key, tuple) or len(key) != 3:
            return False
        question_id, threshold, sample_index = key
        bit = self._bits.get((threshold, sample_index))
        if bit is None:
            return False
        return bool(self._masks.get(question_id, 0) >> bit & 1)


@dataclass(frozen=True)
class StoredSamples:
    """The state of a run folder's samples before a run goes on."""

    done: KeySet
    in_plan: int  # stored keys that the plan calls for
    error_records: int  # error records taken out of samples.jsonl
    duplicates: int  # records of a key beyond its first non-error record

    def pending(self, plan: Plan) -> int:
        return plan.size - self.in_plan


def load_stored_samples(store: RunStore, plan: Plan) -> StoredSamples:
    """Find the stored samples, then compact samples.jsonl if it contains errors or duplicates.

    The keys kept by compaction are exactly those with a non-error record, so one pass over
    the file finds both the done keys and whether compaction is needed.
    """
    stored = _scan(store, plan)
    if stored.error_records or stored.duplicates:
        _compact(store)
        logger.info(
            "%s: moved %d error record(s) and %d duplicate(s) to %s",
            store.samples_jsonl,
            stored.error_records,
            stored.duplicates,
            store.superseded_jsonl.name,
        )
    return stored


def _scan(store: RunStore, plan: Plan) -> StoredSamples:
    done = KeySet()
    contains = _plan_membership(plan)
    in_plan = errors = duplicates = 0
    for record in store.iter_samples():
        if record.outcome is Outcome.ERROR:
            errors += 1
        elif not done.add(record.key):
            duplicates += 1
        elif contains(record.key):
            in_plan += 1
    return StoredSamples(done, in_plan, errors, duplicates)


def _compact(store: RunStore) -> None:
    # Written beside the original and swapped in with one rename, so a crash leaves either
    # the old file or the new one, never a mix.
    kept = KeySet()
    temporary = store.samples_jsonl.with_suffix(".jsonl.tmp")
    with temporary.open("wb") as keep, store.superseded_jsonl.open("ab") as superseded:
        for line in store.iter_lines():
            raw = line.raw if line.raw.endswith(b"\n") else line.raw + b"\n"
            if line.record.outcome is not Outcome.ERROR and kept.add(line.record.key):
                keep.write(raw)
            else:
                superseded.write(raw)
        keep.flush()
        os.fsync(keep.fileno())
    os.replace(temporary, store.samples_jsonl)


def _plan_membership(plan: Plan) -> Callable[[SampleKey], bool]:
    ids = {question.id for question in plan.questions}
    thresholds = {condition.threshold for condition in plan.conditions}

    def contains(key: SampleKey) -> bool:
        return (
            key.question_id in ids
            and key.threshold in thresholds
            and 0 <= key.sample_index < plan.samples
        )

    return contains


def fingerprint(run_info: dict[str, Any]) -> dict[str, Any]:
    """The settings that decide what a run's samples mean; a resume must not change them."""
    endpoint = run_info["config"]["endpoint"]
    prompts = json.dumps(run_info["prompts"], sort_keys=True, ensure_ascii=False)
    return {
        "endpoint.model": run_info["endpoint"]["model"],
        "endpoint.temperature": endpoint.get("temperature"),
        "endpoint.max_tokens": endpoint.get("max_tokens"),
        "endpoint.seeds": endpoint.get("seeds", False),
        "endpoint.answer_from_reasoning": endpoint.get("answer_from_reasoning"),
        "question_set (sha256)": run_info["question_set"]["sha256"],
        "questions probed": run_info["question_set"]["probed"],
        "thresholds": run_info["plan"]["thresholds"],
        "samples": run_info["plan"]["samples"],
        "prompts (sha256)": hashlib.sha256(prompts.encode("utf-8")).hexdigest()[:16],
    }


def changes(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """List the fingerprint fields that differ, as 'field: old → new' lines."""
    before, after = fingerprint(previous), fingerprint(current)
    return [
        f"{name}: {before.get(name)!r} → {after[name]!r}"
        for name in after
        if before.get(name) != after[name]
    ]


def check_unchanged(
    store: RunStore, previous: dict[str, Any], current: dict[str, Any], *, force: bool
) -> list[str]:
    """Return the changes, raising ConfigError when there are any and `force` is off."""
    changed = changes(previous, current)
    if changed and not force:
        raise ConfigError(
            f"{store.run_dir}: the settings differ from those the run started with:\n"
            + _indent(changed)
            + "\nResume with the original settings, start a new run with another --run-id, "
            "or pass --force to resume anyway."
        )
    if changed:
        logger.warning("resuming %s with changed settings (--force): %s", store.run_dir, changed)
    return changed


def _indent(lines: Iterable[str]) -> str:
    return "\n".join(f"  {line}" for line in lines)


def resume_config(
    run: str, config_path: Path | None, overrides: dict[str, Any]
) -> RunConfig:
    """Build the config of a resumed run: its stored config, then any flags over it.

    `run` is a run folder, or a run id under the results folder. With `config_path`, that
    file replaces the stored config, and the usual comparison still guards the samples.
    """
    run_dir = _find_run(run, overrides.get("results_dir"))
    stored = RunStore(run_dir).read_run_info().get("config", {})
    pinned = {**overrides, "results_dir": str(run_dir.parent), "run_id": run_dir.name}
    return load_config(config_path, pinned, base=stored)


def _find_run(run: str, results_dir: str | None) -> Path:
    candidates = [Path(run), Path(results_dir or "results") / run]
    for candidate in candidates:
        if (candidate / "run.json").is_file():
            return candidate
    raise ConfigError(
        f"--resume {run}: no run.json in {' or '.join(str(path) for path in candidates)}. "
        "Pass a run folder such as results/<run-id>, or its run id."
    )

"""One probe run from config to report: the function `probe run` calls."""

import contextlib
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from probe import __version__
from probe.client import ChatClient
from probe.config import RunConfig
from probe.errors import ConfigError, RunStopped
from probe.local_model import serve_local_model
from probe.prompts import ABSTENTION_PHRASES, TEMPLATES, Condition
from probe.questions import QuestionSet, load_question_set
from probe.report import write_report
from probe.runner import Collection, Plan, collect_samples
from probe.store import RunStore, new_run_id
from probe.summary import Summary, summarise_run

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    model: str
    embedded: bool


@dataclass(frozen=True)
class RunResult:
    store: RunStore
    summary: Summary
    collection: Collection


async def run_probe(config: RunConfig, *, show_progress: bool = True) -> RunResult:
    """Probe the configured endpoint, then write summary.json and report.md.

    A run that stops early (quota, bad key, Ctrl-C) keeps every sample written so far and
    raises RunStopped after recording its state in run.json.
    """
    question_set = load_question_set(config.question_set)
    questions = question_set.questions[: config.limit] if config.limit else question_set.questions
    plan = Plan(questions, [Condition(t) for t in config.thresholds], config.samples)
    api_key = config.endpoint.api_key()
    store = RunStore(
        config.results_dir / (config.run_id or new_run_id(config.endpoint.model or "smollm2"))
    )

    with _endpoint(config, store) as endpoint:
        run_info = _run_info(config, question_set, plan, endpoint, store)
        store.write_json(store.run_json, run_info)
        shutil.copyfile(question_set.path, store.questions_jsonl)
        logger.info(
            "run %s: %d samples planned against %s",
            store.run_dir.name,
            plan.size,
            endpoint.base_url,
        )

        client = ChatClient(
            config.endpoint, base_url=endpoint.base_url, model=endpoint.model, api_key=api_key
        )
        try:
            collection = await _collect(plan, client, store, config, show_progress, run_info)
        finally:
            await client.aclose()

    summary = summarise_run(store, draws=config.bootstrap_draws, seed=config.seed)
    write_report(store, summary)
    return RunResult(store=store, summary=summary, collection=collection)


async def _collect(
    plan: Plan,
    client: ChatClient,
    store: RunStore,
    config: RunConfig,
    show_progress: bool,
    run_info: dict[str, Any],
) -> Collection:
    status = "stopped"
    collection = Collection()
    try:
        with store.open_writer() as writer:
            collection = await collect_samples(
                plan,
                client,
                writer,
                concurrency=config.endpoint.max_concurrency,
                answer_from_reasoning=config.endpoint.answer_from_reasoning,
                show_progress=show_progress,
            )
        status = "complete"
        return collection
    except RunStopped as error:
        raise RunStopped(
            f"{error}\nThe samples already written are kept in {store.samples_jsonl}."
        ) from error
    finally:
        run_info["status"] = status
        run_info["finished_at"] = _now()
        run_info["endpoint"]["reported_models"] = sorted(collection.reported_models)
        store.write_json(store.run_json, run_info)


@contextlib.contextmanager
def _endpoint(config: RunConfig, store: RunStore) -> Iterator[Endpoint]:
    if not config.endpoint.is_embedded:
        if not config.endpoint.model:
            raise ConfigError(
                "endpoint.model is missing: name the model to probe, e.g. --model gpt-4o-mini."
            )
        yield Endpoint(config.endpoint.base_url or "", config.endpoint.model, embedded=False)
        return

    with serve_local_model(store.run_dir / "local-model.log") as server:
        yield Endpoint(server.base_url, config.endpoint.model or server.model, embedded=True)


def _run_info(
    config: RunConfig, question_set: QuestionSet, plan: Plan, endpoint: Endpoint, store: RunStore
) -> dict[str, Any]:
    # The config holds only the *name* of the key's environment variable, never the key.
    return {
        "run_id": store.run_dir.name,
        "probe_version": __version__,
        "status": "running",
        "started_at": _now(),
        "finished_at": None,
        "config": config.model_dump(mode="json"),
        "endpoint": {
            "base_url": endpoint.base_url,
            "model": endpoint.model,
            "embedded": endpoint.embedded,
        },
        "question_set": {
            "path": str(question_set.path),
            "name": question_set.name,
            "sha256": question_set.sha256,
            "questions": len(question_set),
            "probed": len(plan.questions),
        },
        "plan": {
            "thresholds": [condition.threshold for condition in plan.conditions],
            "samples": plan.samples,
            "size": plan.size,
        },
        "prompts": {"templates": TEMPLATES, "abstention_phrases": ABSTENTION_PHRASES},
    }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

"""One probe run from config to report: the function `probe run` calls.

A run folder that already holds a run.json is resumed: its settings must match (unless
forced), and only the pending samples are sent. Every run starts with the endpoint check,
whose result goes into run.json and shapes the requests.
"""

import asyncio
import contextlib
import logging
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from probe import __version__, local_model
from probe.adaptive import first_round
from probe.capabilities import EndpointCheck, check_endpoint, run_request_options
from probe.client import ChatClient
from probe.config import RunConfig
from probe.errors import (
    ConfigError,
    EndpointFatalError,
    QuestionSetError,
    RunInterrupted,
    RunStopped,
)
from probe.guard import Limits, RunGuard
from probe.pricing import ModelPrice, load_price_table
from probe.prompts import ABSTENTION_PHRASES, TEMPLATES, Condition, format_number
from probe.questions import QuestionSet, load_question_set
from probe.ratelimit import Throttle
from probe.regrade import grade_collected
from probe.report import summarise_and_report
from probe.resume import StoredSamples, check_unchanged, load_stored_samples
from probe.runner import Collection, CollectOptions, Plan, collect_samples
from probe.store import RunStore, new_run_id
from probe.summary import Summary
from probe.verbalised_run import collect_verbalised

logger = logging.getLogger(__name__)

# Exit codes of a cancelled run, by the shell's convention of 128 + the signal number.
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    model: str
    embedded: bool


@dataclass(frozen=True)
class _Setup:
    """The inputs that every step of one run needs."""

    config: RunConfig
    plan: Plan
    store: RunStore
    endpoint: Endpoint
    api_key: str
    price: ModelPrice | None
    show_progress: bool


@dataclass(frozen=True)
class RunResult:
    store: RunStore
    summary: Summary
    collection: Collection
    endpoint_check: EndpointCheck
    already_complete: bool = False  # every sample was stored before, so none was requested


def run_in_foreground(
    config: RunConfig, *, force: bool = False, show_progress: bool = True
) -> RunResult:
    """Run `run_probe` on a new event loop; Ctrl-C and SIGTERM stop it with a resume hint.

    The samples received before the signal are already written. Raises RunInterrupted
    with exit code 130 (SIGINT) or 143 (SIGTERM).
    """
    config = with_run_id(config)
    run_dir = run_folder(config)
    try:
        return asyncio.run(_cancel_on_sigterm(config, force, show_progress))
    except KeyboardInterrupt:
        raise RunInterrupted(_interrupted("Interrupted", run_dir), EXIT_SIGINT) from None
    except asyncio.CancelledError:
        raise RunInterrupted(_interrupted("Stopped by SIGTERM", run_dir), EXIT_SIGTERM) from None


async def _cancel_on_sigterm(config: RunConfig, force: bool, show_progress: bool) -> RunResult:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await run_probe(config, force=force, show_progress=show_progress)
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def _interrupted(event: str, run_dir: Path) -> str:
    if not (run_dir / "run.json").exists():
        return (
            f"{event} during start-up, before any sample was stored, so there is no run to "
            "resume. Run the same command again to start it."
        )
    return (
        f"{event}. The samples received so far are kept in {run_dir}; resume with:\n"
        f"  probe run --resume {run_dir}"
    )


def with_run_id(config: RunConfig) -> RunConfig:
    """Fill in a new run id from the date, time and model when the config names none."""
    if config.run_id is not None:
        return config
    return config.model_copy(update={"run_id": new_run_id(model_name(config))})


def run_folder(config: RunConfig) -> Path:
    return config.results_dir / (config.run_id or "")


async def run_probe(
    config: RunConfig, *, force: bool = False, show_progress: bool = True
) -> RunResult:
    """Probe the configured endpoint, then write summary.json and report.md.

    A run that stops early (quota, bad key, circuit breaker, a limit, Ctrl-C) keeps every
    sample written so far and raises RunStopped after recording its state in run.json.
    `force` resumes a run whose settings changed, and reports consistency for an endpoint
    whose canary samples came back identical.
    """
    config = with_run_id(config)
    question_set = _load_questions(config.question_set)
    questions = question_set.questions[: config.limit] if config.limit else question_set.questions
    plan = Plan(questions, [Condition(t) for t in config.thresholds], config.samples)
    api_key = config.endpoint.api_key()
    price = _price(config)
    store = RunStore(run_folder(config))

    with store.lock(), _discarded_unless_started(store):
        run_info = _run_info(config, question_set, plan, model_name(config), price)
        previous = store.read_run_info() if store.run_json.exists() else None
        changed = check_unchanged(store, previous, run_info, force=force) if previous else []
        complete = _stored_if_complete(store, previous, plan) if previous and not changed else None
        if previous is not None and complete is not None:
            return _complete_result(store, previous, complete)
        with open_endpoint(config, store.run_dir / "local-model.log") as endpoint:
            setup = _Setup(config, plan, store, endpoint, api_key, price, show_progress)
            run_info["endpoint"]["base_url"] = endpoint.base_url
            check = await _check(setup)
            _record_start(run_info, previous, check, force, changed)
            _record_adaptive(run_info, previous, config, plan, _samples_per_request(config, check))
            stored = _prepare_folder(store, question_set, plan, run_info)
            collection = await _collect(setup, run_info, stored, check)
            await grade_collected(store, config, show_progress=show_progress)

    summary = summarise_and_report(store)
    return RunResult(store=store, summary=summary, collection=collection, endpoint_check=check)


def _stored_if_complete(
    store: RunStore, previous: dict[str, Any], plan: Plan
) -> StoredSamples | None:
    """Return the stored samples when the folder already contains all of `plan`, none failed.

    An adaptive run stores fewer samples than the plan by design, so its recorded
    "complete" status is trusted when no sample failed.
    """
    if previous.get("status") != "complete":
        return None
    stored = load_stored_samples(store, plan)
    if stored.error_records:
        return None
    if stored.pending(plan) and not previous.get("adaptive_sampling"):
        return None
    return stored


def _complete_result(
    store: RunStore, previous: dict[str, Any], stored: StoredSamples
) -> RunResult:
    """Record a re-run of a complete run in run.json and summarise it, sending nothing."""
    logger.info("%s: every sample is already stored; no request sent", store.run_dir)
    resume = {
        "at": _now(),
        "changed": [],
        "stored": stored.in_plan,
        "pending": 0,
        "error_records": 0,
        "duplicates": stored.duplicates,
        "already_complete": True,
    }
    previous["resumes"] = [*previous.get("resumes", []), resume]
    store.write_json(store.run_json, previous)

    check = EndpointCheck.model_validate(previous["endpoint_check"])
    summary = summarise_and_report(store)
    return RunResult(store, summary, Collection(), check, already_complete=True)


@contextlib.contextmanager
def _discarded_unless_started(store: RunStore) -> Iterator[None]:
    """Remove the lock, and the folder once empty, of a new run that fails before run.json.

    Such a folder contains no sample and cannot be resumed, so it must not look like a run.
    Other files in it, such as the embedded model's log, are kept. The caller holds the lock.
    """
    new_run = not store.run_json.exists()
    try:
        yield
    except BaseException:
        if new_run and not store.run_json.exists():
            (store.run_dir / ".lock").unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                store.run_dir.rmdir()  # only succeeds when the folder is empty
        raise


async def _check(setup: _Setup) -> EndpointCheck:
    # Its own client: the check's few requests are not counted against --max-requests.
    endpoint = setup.endpoint
    client = ChatClient(
        setup.config.endpoint,
        base_url=endpoint.base_url,
        model=endpoint.model,
        api_key=setup.api_key,
    )
    try:
        check = await check_endpoint(
            client, setup.config.endpoint, base_url=endpoint.base_url, samples=setup.plan.samples
        )
    finally:
        await client.aclose()

    if not check.reachable:
        raise EndpointFatalError(
            f"The endpoint check at {endpoint.base_url} got no completion: {check.error}. "
            "No sample was sent; once the endpoint answers, run the same command again."
        )
    return check


def _record_start(
    run_info: dict[str, Any],
    previous: dict[str, Any] | None,
    check: EndpointCheck,
    force: bool,
    changed: list[str],
) -> None:
    run_info["endpoint_check"] = check.model_dump(mode="json")
    independent = check.sampling_independent is not False
    if not independent:
        logger.warning(
            "%s: canary samples at temperature 1 came back identical, so the endpoint does "
            "not sample independently; consistency is %s.",
            check.base_url,
            "reported anyway (--force)" if force else "not reported (pass --force to report it)",
        )
    run_info["consistency"] = {
        "reported": independent or force,
        "reason": None if independent else "canary samples at temperature 1 were identical",
    }
    if previous is not None:
        run_info["started_at"] = previous.get("started_at", run_info["started_at"])
        run_info["resumes"] = [*previous.get("resumes", []), {"at": _now(), "changed": changed}]


def _samples_per_request(config: RunConfig, check: EndpointCheck) -> int:
    # Per-sample seeds need a request per sample, whatever n the endpoint honours.
    if config.endpoint.seeds or not config.endpoint.batch_samples:
        return 1
    return min(check.max_n, config.samples)


def _record_adaptive(
    run_info: dict[str, Any],
    previous: dict[str, Any] | None,
    config: RunConfig,
    plan: Plan,
    samples_per_request: int,
) -> None:
    """Record in run.json whether adaptive sampling applies, and its first round's size.

    It applies only where each best-guess sample is its own request: where the endpoint
    honours n, one request of k samples costs fewer requests and tokens than the rounds
    adaptive sampling would send (docs/benchmarks.md). It is also off when the first round
    already takes all k samples, since nothing could be skipped. Once a run has stopped
    samples early, its summary keeps reading t = 0 from the first rounds, resumed or not.
    """
    if previous is not None and previous.get("adaptive_sampling"):
        run_info["adaptive_sampling"] = previous["adaptive_sampling"]
        return
    if not config.adaptive_sampling:
        return
    if samples_per_request > 1:
        logger.warning(
            "adaptive sampling is off for this run: the endpoint takes the %d samples of a "
            "question in one request, which costs fewer requests and tokens than adaptive "
            "rounds. Pass --no-batch-samples to send one sample per request and use it anyway.",
            samples_per_request,
        )
        return

    rounds_from = first_round(plan.samples, config.thresholds)
    if rounds_from >= plan.samples:
        logger.warning(
            "adaptive sampling cannot skip a sample in this run: with thresholds up to %s and "
            "k = %d, a question settles only once all %d samples agree. It saves samples when "
            "the highest threshold is well below 1 − 1/k = %s.",
            format_number(max(config.thresholds)),
            plan.samples,
            plan.samples,
            format_number(1 - 1 / plan.samples),
        )
        return
    run_info["adaptive_sampling"] = {"first_round": rounds_from}


def _prepare_folder(
    store: RunStore, question_set: QuestionSet, plan: Plan, run_info: dict[str, Any]
) -> StoredSamples:
    store.write_json(store.run_json, run_info)
    shutil.copyfile(question_set.path, store.questions_jsonl)
    stored = load_stored_samples(store, plan)
    if "resumes" in run_info:
        run_info["resumes"][-1].update(
            stored=stored.in_plan,
            pending=stored.pending(plan),
            error_records=stored.error_records,
            duplicates=stored.duplicates,
        )
        logger.info(
            "resuming %s: %d of %d samples stored, %d pending",
            store.run_dir.name,
            stored.in_plan,
            plan.size,
            stored.pending(plan),
        )
    return stored


async def _collect(
    setup: _Setup, run_info: dict[str, Any], stored: StoredSamples, check: EndpointCheck
) -> Collection:
    config, plan, store = setup.config, setup.plan, setup.store
    request_options = run_request_options(check, config.endpoint)
    guard = _guard(config, setup.price)
    client = ChatClient(
        config.endpoint,
        base_url=setup.endpoint.base_url,
        model=setup.endpoint.model,
        api_key=setup.api_key,
        guard=guard,
    )
    client.options = request_options
    options = CollectOptions(
        concurrency=config.endpoint.max_concurrency,
        batch_size=_samples_per_request(config, check),
        seeds=config.endpoint.seeds,
        answer_from_reasoning=config.endpoint.answer_from_reasoning,
        abstention_phrases=tuple(config.grading.abstention_phrases),
        show_progress=setup.show_progress,
        adaptive_thresholds=(
            tuple(config.thresholds) if run_info.get("adaptive_sampling") else ()
        ),
    )
    logger.info(
        "run %s: %d samples planned, %d pending, against %s",
        store.run_dir.name,
        plan.size,
        stored.pending(plan),
        setup.endpoint.base_url,
    )
    status = "stopped"
    collection = Collection()
    try:
        with store.open_writer() as writer:
            await collect_samples(
                plan,
                client,
                writer,
                options,
                done=stored.done,
                pending=stored.pending(plan),
                collection=collection,
            )
        if config.verbalised_confidence:
            await collect_verbalised(
                plan.questions,
                plan.samples,
                client,
                store.run_dir,
                concurrency=config.endpoint.max_concurrency,
                answer_from_reasoning=config.endpoint.answer_from_reasoning,
            )
        status = "complete"
        return collection
    except RunStopped as error:
        raise RunStopped(
            f"{error}\nThe samples already written are kept in {store.samples_jsonl}; once "
            f"the cause is fixed, resume with:\n  probe run --resume {store.run_dir}"
        ) from error
    except asyncio.CancelledError:
        status = "interrupted"
        raise
    finally:
        await client.aclose()
        _record_end(store, run_info, status, collection, guard)


def _record_end(
    store: RunStore, run_info: dict[str, Any], status: str, collection: Collection, guard: RunGuard
) -> None:
    run_info["status"] = status
    run_info["finished_at"] = _now()
    run_info["endpoint"]["reported_models"] = sorted(collection.reported_models)
    run_info["last_invocation"] = {
        "requests_sent": guard.requests_sent,
        "samples_written": collection.written,
        "samples_failed": collection.failed,
        "samples_skipped_adaptive": collection.skipped,
        "samples_per_request": collection.batch_limit,
        "estimated_cost": round(guard.cost, 6) if run_info.get("pricing") else None,
        "stopped_by": str(guard.stopped).splitlines()[0] if guard.stopped else None,
    }
    store.write_json(store.run_json, run_info)


def _guard(config: RunConfig, price: ModelPrice | None) -> RunGuard:
    endpoint = config.endpoint
    throttle = Throttle(
        endpoint.max_concurrency,
        requests_per_minute=endpoint.requests_per_minute,
        tokens_per_minute=endpoint.tokens_per_minute,
    )
    limits = Limits(
        max_consecutive_failures=endpoint.max_consecutive_failures,
        max_requests=config.max_requests,
        max_cost=config.max_cost,
        price=price,
    )
    return RunGuard(throttle, limits)


def _load_questions(path: Path) -> QuestionSet:
    if path.exists():
        return load_question_set(path)
    relative = "" if path.is_absolute() else f" (relative to {Path.cwd()})"
    where = f"{path}: question set not found{relative}."
    if path == RunConfig.model_fields["question_set"].default:
        raise QuestionSetError(
            f"{where} This default set comes with a clone of the probe repository. Run probe "
            "from the clone, or pass your own set with --question-set FILE (docs/formats.md "
            "describes the format)."
        )
    raise QuestionSetError(
        f"{where} Check the path, set by --question-set or by question_set in the config."
    )


def _price(config: RunConfig) -> ModelPrice | None:
    if config.price_table is None:
        if config.max_cost is not None:
            raise ConfigError(
                "max_cost needs a price table to estimate the cost: pass --price-table FILE "
                "(see configs/prices.example.yaml)."
            )
        return None

    model = model_name(config)
    price = load_price_table(config.price_table).price_of(model)
    if price is None and config.max_cost is not None:
        raise ConfigError(
            f"{config.price_table}: no price for model {model!r}, so max_cost cannot be "
            "enforced. Add the model under `models:`."
        )
    if price is None:
        logger.warning("%s: no price for model %r; no cost is estimated", config.price_table, model)
    return price


def model_name(config: RunConfig) -> str:
    """Return the model a run probes; raise ConfigError when a base_url has no model."""
    if config.endpoint.is_embedded:
        return config.endpoint.model or local_model.MODEL_NAME
    if not config.endpoint.model:
        raise ConfigError(
            "endpoint.model is missing: name the model to probe, e.g. --model gpt-4o-mini."
        )
    return config.endpoint.model


@contextlib.contextmanager
def open_endpoint(config: RunConfig, log_path: Path) -> Iterator[Endpoint]:
    """Yield the configured endpoint, starting the embedded model (logging to `log_path`)
    for the duration of the block when no base_url is set."""
    if not config.endpoint.is_embedded:
        yield Endpoint(config.endpoint.base_url or "", model_name(config), embedded=False)
        return

    with local_model.serve_local_model(log_path) as server:
        yield Endpoint(server.base_url, config.endpoint.model or server.model, embedded=True)


def _run_info(
    config: RunConfig,
    question_set: QuestionSet,
    plan: Plan,
    model: str,
    price: ModelPrice | None,
) -> dict[str, Any]:
    # The config holds only the *name* of the key's environment variable, never the key.
    return {
        "run_id": config.run_id,
        "probe_version": __version__,
        "status": "running",
        "started_at": _now(),
        "finished_at": None,
        "config": config.model_dump(mode="json"),
        "endpoint": {
            "base_url": config.endpoint.base_url,
            "model": model,
            "embedded": config.endpoint.is_embedded,
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
        "pricing": price.model_dump(mode="json") if price else None,
    }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

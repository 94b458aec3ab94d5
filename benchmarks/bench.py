"""Benchmarks of probe's client side: throughput, CPU, inspect_ai and report time.

Every section starts benchmarks/canned_server.py in its own process on 127.0.0.1 and runs
probe itself (`python -m probe.cli run` or `report`) in another, measuring each process
with os.wait4. benchmarks/README.md describes each section and how to read its figures.

    .venv/bin/python benchmarks/bench.py                       # every section, 3 runs each
    .venv/bin/python benchmarks/bench.py --quick               # a smoke run of a few seconds
    .venv/bin/python benchmarks/bench.py --sections cpu,inspect --repeats 5 --json out.json
"""

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from measure import CannedServer, Measured, run_measured
from tables import render
from workloads import write_questions, write_synthetic_run

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
MODEL = "canned-model"
INSPECT_VENV = BENCHMARKS / ".venv-inspect"
INSPECT_TASK = BENCHMARKS / "inspect_task.py"
SECTIONS = ("throughput", "cpu", "inspect", "report")
ALL_THRESHOLDS = "0,0.5,0.75,0.9"


@dataclass(frozen=True)
class Settings:
    latency_s: float
    repeats: int
    quick: bool
    workdir: Path
    concurrencies: tuple[int, ...]
    # Extra throughput points (C, L) at a slower server, nearer the latency of real models.
    slow_points: tuple[tuple[int, float], ...]
    requests: int  # for the CPU and inspect_ai sections
    concurrency: int  # for the CPU and inspect_ai sections
    report_records: int


def quick_settings(workdir: Path, latency_s: float) -> Settings:
    return Settings(
        latency_s=latency_s,
        repeats=1,
        quick=True,
        workdir=workdir,
        concurrencies=(8,),
        slow_points=(),
        requests=200,
        concurrency=64,
        report_records=2000,
    )


def full_settings(workdir: Path, latency_s: float, repeats: int) -> Settings:
    return Settings(
        latency_s=latency_s,
        repeats=repeats,
        quick=False,
        workdir=workdir,
        concurrencies=(8, 32, 128, 512),
        slow_points=((512, 1.0),),
        requests=2000,
        concurrency=64,
        report_records=1_000_000,
    )


class Bench:
    """Runs the sections, sharing a work folder and generated question sets."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._question_sets: dict[int, Path] = {}
        self._runs = 0
        self.template_run_json: Path | None = None

    def questions(self, count: int) -> Path:
        """Write a question set of `count` questions, once per bench, and return its path."""
        if count not in self._question_sets:
            path = self.settings.workdir / f"questions-{count}.jsonl"
            self._question_sets[count] = write_questions(path, count)
        return self._question_sets[count]

    def probe_run(
        self,
        server: CannedServer,
        questions: Path,
        *,
        concurrency: int,
        thresholds: str = "0",
        samples: int = 1,
    ) -> Measured:
        """Run `probe run` against the server; its run folder is deleted afterwards."""
        self._runs += 1
        results = self.settings.workdir / "results"
        run_id = f"run-{self._runs}"
        command = [
            sys.executable, "-m", "probe.cli", "run",
            "--base-url", server.base_url,
            "--model", MODEL,
            "--question-set", str(questions),
            "--thresholds", thresholds,
            "--samples", str(samples),
            "--max-concurrency", str(concurrency),
            "--results-dir", str(results),
            "--run-id", run_id,
            "--no-progress",
        ]  # fmt: skip
        measured = run_measured(command, cwd=REPO).check()
        self._keep_template(results / run_id / "run.json")
        shutil.rmtree(results / run_id, ignore_errors=True)
        return measured

    def _keep_template(self, run_json: Path) -> None:
        if self.template_run_json is None and run_json.exists():
            self.template_run_json = self.settings.workdir / "template-run.json"
            shutil.copyfile(run_json, self.template_run_json)

    def client_loop(
        self, server: CannedServer, client: str, requests: int, concurrency: int
    ) -> dict[str, Any]:
        """Run one reference client of client_loops.py and return its JSON line."""
        command = [
            sys.executable, str(BENCHMARKS / "client_loops.py"), client,
            "--base-url", server.base_url,
            "--requests", str(requests),
            "--concurrency", str(concurrency),
        ]  # fmt: skip
        measured = run_measured(command).check()
        result: dict[str, Any] = json.loads(measured.output.strip().splitlines()[-1])
        return result


def section_throughput(bench: Bench) -> dict[str, Any]:
    """Requests per second at each concurrency C against Little's law, C / L."""
    settings = bench.settings
    points = [(concurrency, settings.latency_s) for concurrency in settings.concurrencies]
    points += settings.slow_points
    rows = [_throughput_row(bench, concurrency, latency_s) for concurrency, latency_s in points]
    return {"latency_s": settings.latency_s, "rows": rows}


def _throughput_row(bench: Bench, concurrency: int, latency_s: float) -> dict[str, Any]:
    settings = bench.settings
    limit = concurrency / latency_s
    requests = _throughput_requests(limit, latency_s, settings.quick)
    questions = bench.questions(requests)
    row: dict[str, Any] = {
        "concurrency": concurrency,
        "latency_s": latency_s,
        "requests": requests,
        "limit_per_s": limit,
        "probe_per_s": [],
        "probe_cpu_ms_per_request": [],
        "aiohttp_per_s": [],
        "sdk-aiohttp_per_s": [],
    }
    for _ in range(settings.repeats):
        with CannedServer(latency_s) as server:
            measured = bench.probe_run(server, questions, concurrency=concurrency)
            stats = server.stats()
        row["probe_per_s"].append(stats["requests"] / stats["active_s"])
        row["probe_cpu_ms_per_request"].append(1000 * measured.cpu_s / stats["requests"])
        for client in ("aiohttp", "sdk-aiohttp"):
            with CannedServer(latency_s) as server:
                loop = bench.client_loop(server, client, requests, concurrency)
            row[f"{client}_per_s"].append(requests / loop["loop_wall_s"])
    return row


def _throughput_requests(limit_per_s: float, latency_s: float, quick: bool) -> int:
    # About 3 s of requests at the limit, and at least 5 rounds, so start-up and the last
    # round weigh little.
    if quick:
        return max(50, round(limit_per_s * 0.3))
    return max(500, min(20_000, round(limit_per_s * max(3.0, 5 * latency_s))))


def section_cpu(bench: Bench) -> dict[str, Any]:
    """CPU seconds per request of probe, the bare aiohttp loop and the openai SDK."""
    settings = bench.settings
    requests, concurrency = settings.requests, settings.concurrency
    small = max(1, requests // 100)
    runs: dict[str, list[float]] = {
        "aiohttp": [], "sdk-aiohttp": [], "sdk-post": [], "probe_total": [], "probe_marginal": []
    }  # fmt: skip
    for _ in range(settings.repeats):
        for client in ("aiohttp", "sdk-aiohttp", "sdk-post"):
            with CannedServer(settings.latency_s) as server:
                loop = bench.client_loop(server, client, requests, concurrency)
            runs[client].append(1000 * loop["loop_cpu_s"] / requests)
        if settings.quick:
            continue  # probe's start-up would take most of the quick run's time.
        with CannedServer(settings.latency_s) as server:
            full = bench.probe_run(server, bench.questions(requests), concurrency=concurrency)
        runs["probe_total"].append(1000 * full.cpu_s / requests)
        with CannedServer(settings.latency_s) as server:
            fixed = bench.probe_run(server, bench.questions(small), concurrency=concurrency)
        runs["probe_marginal"].append(1000 * (full.cpu_s - fixed.cpu_s) / (requests - small))
    return {
        "requests": requests,
        "concurrency": concurrency,
        "small_run_requests": small,
        "cpu_ms_per_request": runs,
    }


def section_inspect(bench: Bench) -> dict[str, Any]:
    """inspect_ai's CLI and probe's, one after the other, on the same server and questions."""
    settings = bench.settings
    inspect = INSPECT_VENV / "bin" / "inspect"
    if not inspect.exists():
        return {"skipped": f"{inspect} not found; benchmarks/README.md says how to install it"}

    questions = bench.questions(settings.requests)
    version = run_measured([str(inspect), "--version"]).check().output.strip()
    runs: dict[str, list[dict[str, float]]] = {"inspect_ai": [], "probe": []}
    for _ in range(settings.repeats):
        with CannedServer(settings.latency_s) as server:
            measured = _inspect_eval(inspect, server, questions, settings)
            runs["inspect_ai"].append(_process_figures(measured, server.stats()))
        with CannedServer(settings.latency_s) as server:
            measured = bench.probe_run(server, questions, concurrency=settings.concurrency)
            runs["probe"].append(_process_figures(measured, server.stats()))
    return {
        "inspect_ai_version": version,
        "requests": settings.requests,
        "concurrency": settings.concurrency,
        "runs": runs,
    }


def _inspect_eval(
    inspect: Path, server: CannedServer, questions: Path, settings: Settings
) -> Measured:
    log_dir = settings.workdir / "inspect-logs"
    command = [
        str(inspect), "eval", INSPECT_TASK.name,
        "-T", f"questions={questions}",
        "--model", f"openai-api/bench/{MODEL}",
        "--max-connections", str(settings.concurrency),
        "--max-tokens", "256",
        "--temperature", "1",
        "--log-dir", str(log_dir),
        "--display", "none",
    ]  # fmt: skip
    env = {"BENCH_BASE_URL": server.base_url, "BENCH_API_KEY": "no-key"}
    # inspect_ai 0.3.285 rejects an absolute task path on Python 3.11 (its loader globs it).
    measured = run_measured(command, env=env, cwd=BENCHMARKS).check()
    shutil.rmtree(log_dir, ignore_errors=True)
    return measured


def _process_figures(measured: Measured, stats: dict[str, Any]) -> dict[str, float]:
    return {
        "wall_s": measured.wall_s,
        "cpu_s": measured.cpu_s,
        "max_rss_mib": measured.max_rss_mib,
        "requests": stats["requests"],
        "requests_active_s": stats["active_s"],
    }


def section_report(bench: Bench) -> dict[str, Any]:
    """Wall time, CPU and peak RSS of `probe report` on a synthetic run folder."""
    settings = bench.settings
    if bench.template_run_json is None:
        with CannedServer(settings.latency_s) as server:
            bench.probe_run(server, bench.questions(20), concurrency=8, thresholds=ALL_THRESHOLDS)
    assert bench.template_run_json is not None

    questions = settings.report_records // 20
    run_dir = settings.workdir / "synthetic-run"
    started = time.perf_counter()
    records = write_synthetic_run(
        run_dir, bench.template_run_json, questions=questions, thresholds=(0, 0.5, 0.75, 0.9),
        samples=5,
    )  # fmt: skip
    generated_s = time.perf_counter() - started
    runs = []
    for _ in range(settings.repeats):
        command = [sys.executable, "-m", "probe.cli", "report", str(run_dir)]
        measured = run_measured(command, cwd=REPO).check()
        runs.append(
            {
                "wall_s": measured.wall_s,
                "cpu_s": measured.cpu_s,
                "max_rss_mib": measured.max_rss_mib,
            }
        )
    return {"records": records, "questions": questions, "generate_s": generated_s, "runs": runs}


RUNNERS: dict[str, Callable[[Bench], dict[str, Any]]] = {
    "throughput": section_throughput,
    "cpu": section_cpu,
    "inspect": section_inspect,
    "report": section_report,
}


def machine() -> dict[str, Any]:
    """Describe the machine and software the figures were taken on."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(memory_kib / 2**20, 1),
        "python": platform.python_version(),
        "packages": {name: metadata.version(name) for name in ("probe", "openai", "aiohttp")},
    }


def wait_for_idle(idle_load: float, timeout_s: float) -> bool:
    """Wait until the 1-minute load average is below `idle_load`; False after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while os.getloadavg()[0] >= idle_load:
        if time.monotonic() >= deadline:
            return False
        time.sleep(5)
    return True


def run_sections(
    settings: Settings,
    sections: Sequence[str],
    *,
    idle_load: float | None = None,
    idle_timeout_s: float = 0.0,
) -> dict[str, Any]:
    """Run the named sections in order; a failing section is recorded and the rest go on.

    With `idle_load`, each section first waits up to `idle_timeout_s` for the 1-minute load
    average to fall below it, and records whether it did.
    """
    bench = Bench(settings)
    results: dict[str, Any] = {
        "machine": machine(),
        "settings": {
            "latency_s": settings.latency_s,
            "repeats": settings.repeats,
            "quick": settings.quick,
        },
        "sections": {},
    }
    for name in sections:
        idle = None
        if idle_load is not None:
            idle = wait_for_idle(idle_load, idle_timeout_s)
        load = os.getloadavg()
        started = time.perf_counter()
        try:
            figures = RUNNERS[name](bench)
        except Exception:
            figures = {"failed": traceback.format_exc()}
        figures["load_average_before"] = load
        figures["idle_before"] = idle
        figures["load_average_after"] = os.getloadavg()
        figures["section_s"] = time.perf_counter() - started
        results["sections"][name] = figures
        print(f"{name}: done in {figures['section_s']:.1f} s", file=sys.stderr, flush=True)
    return results


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])

    # What to run.
    parser.add_argument(
        "--quick", action="store_true", help="Tiny sizes, one run each, inspect_ai skipped."
    )
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"Comma-separated sections to run, in order (default: {','.join(SECTIONS)}).",
    )
    parser.add_argument(
        "--latency", type=float, default=0.05, help="Server latency L in seconds (default: 0.05)."
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="Runs per figure; tables show the median."
    )

    # Where results go and when sections start.
    parser.add_argument("--json", type=Path, help="Also write the raw results to this JSON file.")
    parser.add_argument(
        "--idle-load",
        type=float,
        help="Before each section, wait until the 1-minute load average is below this, "
        "e.g. 0.5 on a shared machine.",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=1800,
        help="Seconds to wait for --idle-load before running the section anyway (default: 1800).",
    )
    parser.add_argument(
        "--workdir", type=Path, help="Folder for generated files (default: a temporary folder)."
    )

    args = parser.parse_args(argv)
    args.sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    unknown = sorted(set(args.sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if args.quick and "inspect" in args.sections:
        args.sections.remove("inspect")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="probe-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.quick:
        settings = quick_settings(workdir, args.latency)
    else:
        settings = full_settings(workdir, args.latency, args.repeats)

    try:
        results = run_sections(
            settings, args.sections, idle_load=args.idle_load, idle_timeout_s=args.idle_timeout
        )
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)

    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(render(results))
    failed = [name for name, figures in results["sections"].items() if "failed" in figures]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

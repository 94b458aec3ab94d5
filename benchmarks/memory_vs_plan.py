"""Peak memory of sample collection as the plan grows, against a fast local fake server.

For each plan size this starts a fresh Python process that generates a question set. The
process collects every sample (questions × 4 thresholds × 5 samples) from an
OpenAI-compatible fake server on 127.0.0.1 through probe's own client, runner and writer.
Then it reads the file back as a resume would. The process reports its resident memory
(VmRSS) before collection, its peak during collection (VmHWM), and its peak after the
resume scan.

    .venv/bin/python benchmarks/memory_vs_plan.py 1000 10000 100000

The fake server runs in a separate process, so its memory is not counted.
"""

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

THRESHOLDS = (0.0, 0.5, 0.75, 0.9)
SAMPLES = 5
CONCURRENCY = 16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.serve is not None:
        serve(args.serve)
    elif args.measure is not None:
        print(json.dumps(asyncio.run(measure(args.measure, args.base_url))))
    else:
        compare(args.sizes)


def compare(sizes: list[int]) -> None:
    port = _free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        _wait_for_port(port)
        print("| questions | samples | RSS before (MiB) | peak collecting (MiB) | "
              "peak after resume scan (MiB) | seconds | samples/s |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for size in sizes:
            command = [sys.executable, __file__, "--measure", str(size),
                       "--base-url", f"http://127.0.0.1:{port}/v1"]
            result = json.loads(subprocess.run(command, check=True, capture_output=True,
                                               text=True).stdout)
            print(f"| {size:,} | {result['samples']:,} | {result['rss_before_mib']:.0f} | "
                  f"{result['peak_collect_mib']:.0f} | {result['peak_resume_mib']:.0f} | "
                  f"{result['seconds']:.0f} | {result['samples'] / result['seconds']:.0f} |",
                  flush=True)
    finally:
        server.terminate()
        server.wait()


def serve(port: int) -> None:
    from tests.openai_server import OpenAIServer, choices_reply, requested_n

    def respond(request: Any, index: int) -> Any:
        return choices_reply(["Paris"] * requested_n(request))

    with OpenAIServer(respond, port=port, record=False):
        while True:
            time.sleep(3600)


async def measure(size: int, base_url: str) -> dict[str, Any]:
    from probe.client import ChatClient
    from probe.config import EndpointConfig
    from probe.prompts import Condition
    from probe.questions import load_question_set
    from probe.resume import load_stored_samples
    from probe.runner import CollectOptions, Plan, collect_samples
    from probe.store import RunStore

    folder = Path(tempfile.mkdtemp(prefix="probe-bench-"))
    questions = load_question_set(_write_questions(folder / "questions.jsonl", size))
    plan = Plan(questions.questions, [Condition(t) for t in THRESHOLDS], SAMPLES)
    store = RunStore(folder / "run")
    endpoint = EndpointConfig(base_url=base_url, model="fake", max_concurrency=CONCURRENCY)
    client = ChatClient(endpoint, base_url=base_url, model="fake", api_key="no-key")
    options = CollectOptions(concurrency=CONCURRENCY, batch_size=SAMPLES, show_progress=False)

    rss_before = _status_kib("VmRSS")
    started = time.monotonic()
    with store.open_writer() as writer:
        collection = await collect_samples(plan, client, writer, options)
    seconds = time.monotonic() - started
    await client.aclose()
    peak_collect = _status_kib("VmHWM")

    stored = load_stored_samples(store, plan)
    assert stored.in_plan == plan.size == collection.written
    shutil.rmtree(folder)
    return {
        "samples": collection.written,
        "seconds": seconds,
        "rss_before_mib": rss_before / 1024,
        "peak_collect_mib": peak_collect / 1024,
        "peak_resume_mib": _status_kib("VmHWM") / 1024,
    }


def _write_questions(path: Path, size: int) -> Path:
    with path.open("w", encoding="utf-8") as file:
        for index in range(size):
            record = {"id": f"q{index:06d}", "question": f"What is the capital of country {index}?",
                      "answers": ["Paris"], "answer_type": "place", "language": "en"}
            file.write(json.dumps(record) + "\n")
    return path


def _status_kib(field: str) -> int:
    # Linux only: /proc/self/status reports VmRSS (now) and VmHWM (peak) in kB.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found in /proc/self/status")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the fake server did not listen on port {port}")


if __name__ == "__main__":
    threading.current_thread().name = "benchmark"
    main()

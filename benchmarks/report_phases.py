"""Time each step of `probe report` on one run folder, in one process.

    .venv/bin/python benchmarks/report_phases.py RUN_DIR

The steps are those `probe report RUN_DIR` takes, in its order: one read of samples.jsonl
into lean records, the summary computed from them, report.md and report.html (which reads
the full records of the questions it lists). Each line gives the wall and CPU seconds of
one step, and the last line the peak RSS. bench.py --sections report writes a synthetic
run folder of 1,000,000 records to run this on (pass --workdir to keep it).
"""

import argparse
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from probe.html_report import write_html_report
from probe.report import write_markdown_report
from probe.run_data import read_probed_samples, summarise_read_run
from probe.store import RunStore
from probe.summary import probed_questions

Result = TypeVar("Result")


def timed(label: str, step: Callable[[], Result]) -> Result:
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    result = step()
    wall = time.perf_counter() - started_wall
    cpu = time.process_time() - started_cpu
    print(f"| {label} | {wall:.1f} | {cpu:.1f} |", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="A run folder.")
    args = parser.parse_args()
    store = RunStore(args.run_dir)
    info = store.read_run_info()

    print("| step | wall (s) | CPU (s) |\n| --- | ---: | ---: |")
    questions = probed_questions(store, info)
    samples = timed(
        "read samples.jsonl as lean records", lambda: read_probed_samples(store, questions)
    )
    run = timed(
        "summary: compute, write summary.json",
        lambda: summarise_read_run(store, info, questions, samples),
    )
    timed("write report.md", lambda: write_markdown_report(run))
    timed("write report.html", lambda: write_html_report(run))

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nPeak RSS: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()

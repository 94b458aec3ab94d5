"""index.html of a results folder: every run with its model, date, question set and headline
figures, linking to each run's report."""

from dataclasses import dataclass
from pathlib import Path

from probe.html_pages import render_page, report_link
from probe.run_data import RunData, find_runs, load_run
from probe.summary import ThresholdSummary

INDEX_HTML = "index.html"


@dataclass(frozen=True)
class IndexRow:
    """One run of the index, with the figures at its highest threshold as its headline."""

    run: RunData
    link: str | None
    highest: ThresholdSummary | None
    violations: int


def write_index(results_dir: Path) -> Path:
    """Write results_dir/index.html and return its path; raises ProbeError without runs."""
    output = results_dir / INDEX_HTML
    runs = sorted(
        (load_run(path) for path in find_runs(results_dir)),
        key=lambda run: (run.started_at, run.run_id),
        reverse=True,
    )
    rows = [
        IndexRow(
            run=run,
            link=report_link(run, output),
            highest=max(run.summary.thresholds, key=lambda item: item.threshold, default=None),
            violations=sum(bool(item.violation) for item in run.summary.thresholds),
        )
        for run in runs
    ]
    return render_page(
        "index.html.j2",
        output,
        title=f"probe runs in {results_dir.name or results_dir}",
        results_dir=str(results_dir),
        rows=rows,
        pages=sorted(path.name for path in results_dir.glob("*.html") if path.name != INDEX_HTML),
    )

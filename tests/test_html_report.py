"""`probe report RUN`: report.html, report.md and summary.json rebuilt from a run's samples."""

import base64
import hashlib
import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from probe import __version__, figures
from probe.cli import main
from probe.html_report import write_html_report
from probe.intervals import Figure
from probe.outcomes import OUTCOME_MEANINGS
from probe.report import console_summary
from probe.run_data import load_run
from probe.summary import Summary
from probe.verdicts import threshold_verdict, verdict_sentence
from tests.run_factory import KnowingModel, knowledge_questions, probe_run, write_questions


class PageParser(HTMLParser):
    """Collects the tags, attributes and inline script and style of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: dict[str, str] = {}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._open = tag

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open:
            self.inline[self._open] = self.inline.get(self._open, "") + data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def parse(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def built_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    questions = knowledge_questions()
    question_file = write_questions(folder / "questions.jsonl", questions)
    return probe_run(KnowingModel(questions, seed=5), question_file, folder, "run")


@pytest.fixture
def run_dir(built_run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(built_run, copy)
    return copy


def test_report_rebuilds_all_from_samples(run_dir: Path) -> None:
    before = json.loads((run_dir / "summary.json").read_text())
    for name in ("summary.json", "report.md", "report.html"):
        (run_dir / name).unlink()

    assert main(["report", str(run_dir)]) == 0
    assert json.loads((run_dir / "summary.json").read_text()) == before
    assert (run_dir / "report.md").exists()
    assert (run_dir / "report.html").exists()


def test_report_reflects_regraded_samples(run_dir: Path) -> None:
    lines = (run_dir / "samples.jsonl").read_text().splitlines()
    regraded = []
    for line in lines:
        record = json.loads(line)
        if record["outcome"] == "incorrect":
            record["outcome"] = "ungraded"
            record["reason"] = "regraded: sent to a judge"
        regraded.append(json.dumps(record))
    (run_dir / "samples.jsonl").write_text("\n".join(regraded) + "\n")

    assert main(["report", str(run_dir)]) == 0
    summary = Summary.model_validate_json((run_dir / "summary.json").read_text())
    page = (run_dir / "report.html").read_text()
    assert summary.outcomes["incorrect"] == 0
    assert summary.outcomes["ungraded"] > 0
    assert "regraded: sent to a judge" in page


def test_report_embeds_five_figures(built_run: Path) -> None:
    images = parse(built_run / "report.html").all("img")
    sources = [image["src"] or "" for image in images]
    assert len(sources) == 5
    for source in sources:
        assert source.startswith("data:image/svg+xml;base64,")
        assert base64.b64decode(source.split(",", 1)[1]).lstrip().startswith(b"<?xml")
    assert all(image["alt"] for image in images)


def test_report_is_self_contained(built_run: Path) -> None:
    page = parse(built_run / "report.html")
    assert not [attrs for _, attrs in page.tags if (attrs.get("src") or "").startswith("http")]
    assert not [attrs for tag, attrs in page.tags if tag == "link"]
    assert not [attrs for tag, attrs in page.tags if tag == "script" and "src" in attrs]


def test_report_policy_allows_only_own_script(built_run: Path) -> None:
    page = parse(built_run / "report.html")
    policy = next(
        attrs["content"] or ""
        for attrs in page.all("meta")
        if attrs.get("http-equiv") == "Content-Security-Policy"
    )
    digest = base64.b64encode(hashlib.sha256(page.inline["script"].encode()).digest()).decode()
    assert "default-src 'none'" in policy
    assert f"script-src 'sha256-{digest}'" in policy


def test_report_states_verdicts_and_table(built_run: Path) -> None:
    summary = Summary.model_validate_json((built_run / "summary.json").read_text())
    page = html.unescape((built_run / "report.html").read_text())
    for item in summary.thresholds:
        assert verdict_sentence(item) in page
    assert "Per-threshold results" in page
    assert "precision − t" in page


def test_report_counts_every_outcome(built_run: Path) -> None:
    summary = Summary.model_validate_json((built_run / "summary.json").read_text())
    page = html.unescape((built_run / "report.html").read_text())
    for outcome, meaning in OUTCOME_MEANINGS.items():
        row = re.search(
            rf'<span class="chip o-{outcome.value}">{outcome.value}</span></td><td class="num">'
            r"(\d+)</td>",
            page,
        )
        assert row is not None, outcome
        assert int(row.group(1)) == summary.outcomes[outcome.value], outcome
        assert meaning in page


def test_report_shows_run_facts(built_run: Path) -> None:
    info = json.loads((built_run / "run.json").read_text())
    page = html.unescape((built_run / "report.html").read_text())
    assert info["endpoint"]["base_url"] in page
    assert info["question_set"]["sha256"] in page
    assert info["started_at"] in page
    assert f"<td>{__version__}</td>" in page
    assert "knowing-1" in page
    # The test server reports usage on every request.
    assert re.search(r"prompt, [\d,]+ completion; reported for ([\d,]+) of \1 requests", page)
    assert "not estimated" in page


def test_report_lists_every_question(built_run: Path) -> None:
    page = parse(built_run / "report.html")
    ids = [attrs["data-id"] for attrs in page.all("tbody") if "data-id" in attrs]
    assert ids == [question["id"] for question in knowledge_questions()]
    tags = {
        json.loads(attrs["data-tags"] or "[]")[0]
        for attrs in page.all("tbody")
        if "data-tags" in attrs
    }
    assert tags == {"sure", "likely", "unsure", "guess", "fabricated"}
    options = {attrs["value"] for attrs in page.all("option")}
    assert {"sure", "fabricated", "abstained", "incorrect"} <= options


def test_report_without_runs_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report"]) == 2
    assert "give a run folder" in capsys.readouterr().err


def test_report_from_older_summary_draws_all(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    for newer in ("confidence_quality", "coverage_at_target_precision", "threshold_response"):
        summary.pop(newer, None)
    (run_dir / "summary.json").write_text(json.dumps(summary))
    (run_dir / "report.html").unlink()

    write_html_report(load_run(run_dir))
    page = parse(run_dir / "report.html")
    assert len(page.all("img")) == 5


def test_report_with_consistency_withheld(run_dir: Path) -> None:
    info = json.loads((run_dir / "run.json").read_text())
    info["consistency"] = {"reported": False, "reason": "identical samples at temperature 1"}
    (run_dir / "run.json").write_text(json.dumps(info))

    assert main(["report", str(run_dir)]) == 0
    page = (run_dir / "report.html").read_text()
    assert "withheld: identical samples at temperature 1" in page
    assert page.count("<tbody data-id=") == len(knowledge_questions())


def test_report_of_complete_run_has_no_status_line(built_run: Path) -> None:
    page = (built_run / "report.html").read_text()
    assert 'id="partial"' not in page


def test_report_marks_partial_run(run_dir: Path) -> None:
    info = json.loads((run_dir / "run.json").read_text())
    info["status"] = "stopped"
    info["plan"]["size"] = 12345
    (run_dir / "run.json").write_text(json.dumps(info))

    assert main(["report", str(run_dir)]) == 0
    summary = Summary.model_validate_json((run_dir / "summary.json").read_text())
    page = (run_dir / "report.html").read_text()
    header = page[page.index("<header>") : page.index("</header>")]
    assert 'id="partial"' in header
    assert "This run is stopped:</strong>" in header
    assert f"{summary.samples:,} of 12,345 samples were collected" in header


JUDGE = {
    "model": "judge-1",
    "base_url": "http://127.0.0.1:9/v1",
    "mode": "all",
    "prompt_sha256": "ab" * 32,
    "judged": 3,
    "judge_decided": 1,
    "verdicts": {"A": 2, "B": 1},
    "audit": {
        "both_decided": 2,
        "disagreements": 1,
        "disagreement_rate": {"value": 0.5, "low": 0.1, "high": 0.9, "n": 2},
    },
}


def add_judge(run_dir: Path) -> None:
    info = json.loads((run_dir / "run.json").read_text())
    info["judge"] = JUDGE
    (run_dir / "run.json").write_text(json.dumps(info))
    disagreement = {
        "question_id": "sure-3",
        "threshold": 0.0,
        "sample_index": 1,
        "answer": "<script>alert(1)</script>",
        "grader_outcome": "correct",
        "grader_reason": "matches gold",
        "verdict": "B",
        "judge_reason": "wrong",
        "reply": "B",
        "attempts": 1,
        "decided": True,
        "disagrees": True,
    }
    (run_dir / "judge.jsonl").write_text(json.dumps(disagreement) + "\n")


def test_report_without_judge_has_no_judge_section(built_run: Path) -> None:
    page = (built_run / "report.html").read_text()
    assert 'id="judge"' not in page


def test_report_shows_judge_section(run_dir: Path) -> None:
    add_judge(run_dir)

    assert main(["report", str(run_dir)]) == 0
    page = (run_dir / "report.html").read_text()
    section = html.unescape(page[page.index('<section id="judge">') :].split("</section>")[0])
    assert "<code>judge-1</code>" in section
    assert "ab" * 32 in section
    assert "A 2, B 1" in section
    assert "disagree on 1 of 2 samples that both decided (50.0%" in section
    assert "<code>sure-3</code>" in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_report_md_and_html_share_judge_facts(run_dir: Path) -> None:
    add_judge(run_dir)

    assert main(["report", str(run_dir)]) == 0
    markdown = (run_dir / "report.md").read_text()
    page = html.unescape((run_dir / "report.html").read_text())
    audit = "the grader and the judge disagree on 1 of 2 samples that both decided"
    assert audit in markdown
    assert audit in page


def test_report_shows_estimated_cost(run_dir: Path) -> None:
    info = json.loads((run_dir / "run.json").read_text())
    info["pricing"] = {"input": 1.5, "output": 6.0}
    (run_dir / "run.json").write_text(json.dumps(info))

    assert main(["report", str(run_dir)]) == 0
    summary = Summary.model_validate_json((run_dir / "summary.json").read_text())
    page = (run_dir / "report.html").read_text()
    section = page[page.index('<section id="usage">') :].split("</section>")[0]
    assert summary.usage is not None
    assert summary.usage.estimated_cost is not None
    assert f"${summary.usage.estimated_cost:,.4f}, an estimate at $1.5 per million" in section
    assert f"{summary.usage.prompt_tokens:,} prompt" in section
    assert 'href="#usage"' in page


def test_report_without_price_says_cost_unknown(built_run: Path) -> None:
    page = (built_run / "report.html").read_text()
    section = page[page.index('<section id="usage">') :].split("</section>")[0]
    assert "not estimated: the run had no price" in section


def test_report_md_lists_least_consistent(built_run: Path) -> None:
    summary = Summary.model_validate_json((built_run / "summary.json").read_text())
    markdown = (built_run / "report.md").read_text()
    candidates = [item for item in summary.per_question if item.valid > 0]
    expected = sorted(candidates, key=lambda item: (item.confidence, -item.entropy))[:5]
    listed = re.findall(r"^### `([^`]+)`", markdown, flags=re.MULTILINE)
    assert listed == [item.id for item in expected]


def ungrade_most_answers(run_dir: Path) -> None:
    lines = (run_dir / "samples.jsonl").read_text().splitlines()
    changed = []
    for index, line in enumerate(lines):
        record = json.loads(line)
        if index % 3 == 0 and record["outcome"] in ("correct", "incorrect"):
            record["outcome"] = "ungraded"
        changed.append(json.dumps(record))
    (run_dir / "samples.jsonl").write_text("\n".join(changed) + "\n")


def test_report_headline_warns_of_ungraded(run_dir: Path) -> None:
    ungrade_most_answers(run_dir)

    assert main(["report", str(run_dir)]) == 0
    page = html.unescape((run_dir / "report.html").read_text())
    verdicts = page[page.index('<section id="verdicts">') : page.index('<section id="figures">')]
    assert 'class="warning" id="uncounted"' in verdicts
    assert "ungraded samples (" in verdicts
    assert "graded samples only" in verdicts
    assert "probe regrade" in verdicts


def test_report_md_top_warns_of_ungraded(run_dir: Path) -> None:
    ungrade_most_answers(run_dir)

    assert main(["report", str(run_dir)]) == 0
    text = (run_dir / "report.md").read_text()
    top = text[: text.index("## Per-threshold results")]
    assert "ungraded samples (" in top
    assert "probe regrade" in top


def test_console_summary_wording(run_dir: Path) -> None:
    ungrade_most_answers(run_dir)
    run = load_run(run_dir, recompute=True)

    text = console_summary(run.summary, run.store)
    assert "consistent with the target" not in text
    assert "rest on the rest" not in text
    assert "The rates rest on the other" in text


def test_report_unreached_target_says_so(run_dir: Path) -> None:
    run = load_run(run_dir)
    point = run.summary.coverage_at_target_precision[-1]
    unreached = point.model_copy(
        update={
            "coverage": Figure(value=None, n=0),
            "condition": None,
            "conservative_coverage": Figure(value=None, n=0),
            "conservative_condition": None,
        }
    )
    run.summary.coverage_at_target_precision[-1] = unreached

    page = html.unescape(write_html_report(run).read_text())
    assert "not reached" in page


def test_report_verdicts_use_three_classes(built_run: Path) -> None:
    summary = Summary.model_validate_json((built_run / "summary.json").read_text())
    page = (built_run / "report.html").read_text()
    for item in summary.thresholds:
        assert f'<li class="{threshold_verdict(item).name.lower()}">' in page
    assert "No rise beyond" not in page
    assert "fell by -" not in page


def test_precision_legend_covers_no_data() -> None:
    thresholds = [0, 0.5, 0.75, 0.9]
    precision = [Figure(value=0.6, low=0.5, high=0.7, n=100)] * 3
    precision.append(Figure(value=0.95, low=0.9, high=0.99, n=100))
    canvas = figures.precision_canvas(thresholds, precision)
    canvas.canvas.draw()

    axes_box = canvas.axes[0].get_window_extent()
    legend_box = canvas.legends[0].get_window_extent()
    assert not legend_box.overlaps(axes_box)

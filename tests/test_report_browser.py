"""report.html in headless Chromium: hostile model output stays text, and the page works.

The model's answers, reasoning and reported name, and the question set's texts and tags,
carry script payloads. Each payload would add a <xss-ran> element and set document.title if
it ran. The test reads the DOM after load with --dump-dom and saves a screenshot under
tests/artifacts/.
"""

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from probe.cli import main
from tests.openai_server import OpenAIServer, ReceivedRequest, Reply, user_prompt
from tests.run_factory import write_questions

ARTIFACTS = Path(__file__).parent / "artifacts"

RAN = "document.title='pwned';document.body.appendChild(document.createElement('xss-ran'))"
PAYLOADS = [
    f"<script>{RAN}</script>",
    f'<img src=x onerror="{RAN}">',
    f'<a href="javascript:{RAN}">click me</a>',
    f"</pre></td></tr></tbody></table><script>{RAN}</script>",
    f'<svg onload="{RAN}"></svg>',
    f"' onmouseover='{RAN}' x='",
    "{{ 7 * 7 }} {% raw %}",
]
HOSTILE_MODEL = f"evil-model<script>{RAN}</script>"

QUESTIONS: list[dict[str, Any]] = [
    {
        "id": f"xss-{index}",
        "question": f"Which payload is number {index}? {payload}",
        "answers": [payload],
        "answer_type": "text",
        "language": "en",
        "tags": ["xss", f'<b onmouseover="{RAN}">tag</b>'],
    }
    for index, payload in enumerate(PAYLOADS)
] + [
    {
        "id": "plain",
        "question": "What is the capital of France?",
        "answers": ["Paris"],
        "answer_type": "place",
        "language": "en",
        "tags": ["geography"],
    }
]


def hostile_reply(request: ReceivedRequest, index: int) -> Reply:
    """Answer each question with its payload, with payload reasoning, as a hostile model."""
    prompt = user_prompt(request)
    question = next((q for q in QUESTIONS if q["question"] in prompt), None)
    content = "Paris" if question is None or question["id"] == "plain" else question["answers"][0]
    n = int(request.body.get("n") or 1)
    message = {
        "role": "assistant",
        "content": f"{content} {index}" if question is None else content,
        "reasoning_content": f"thinking <script>{RAN}</script>",
    }
    return Reply(
        body={
            "id": "chatcmpl-xss",
            "object": "chat.completion",
            "created": 0,
            "model": HOSTILE_MODEL,
            "choices": [
                {"index": choice, "message": message, "finish_reason": "stop"}
                for choice in range(n)
            ],
        }
    )


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("chromium is missing in CI: .ci/run installs it with apt-get")
    pytest.skip("chromium is not installed; install it with `apt-get install chromium`")


def run_chromium(page: Path, profile: Path, *arguments: str, fragment: str = "") -> str:
    command = [
        find_chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        # Let timers, image errors and load handlers fire before the DOM is read.
        "--virtual-time-budget=3000",
        *arguments,
        page.resolve().as_uri() + fragment,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    question_file = write_questions(folder / "questions.jsonl", QUESTIONS)
    with OpenAIServer(hostile_reply) as server:
        code = main(
            [
                "run",
                "--base-url",
                server.base_url,
                "--model",
                "evil-model",
                "--question-set",
                str(question_file),
                "--results-dir",
                str(folder),
                "--run-id",
                "hostile",
                "--samples",
                "2",
                "--thresholds",
                "0,0.9",
                "--answer-from-reasoning",
                "--no-progress",
            ]
        )
    assert code == 0
    return folder / "hostile" / "report.html"


def test_report_escapes_model_output(hostile_report: Path) -> None:
    text = hostile_report.read_text(encoding="utf-8")
    assert "<script>document.title" not in text
    assert 'onerror="document' not in text
    assert "&lt;script&gt;document.title" in text
    assert "{{ 7 * 7 }}" in text


class ElementParser(HTMLParser):
    """Collects every element's name and attributes from a serialised DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))


def test_browser_runs_no_payload(hostile_report: Path, tmp_path: Path) -> None:
    dom = run_chromium(hostile_report, tmp_path / "profile", "--dump-dom")
    parser = ElementParser()
    parser.feed(dom)
    handlers = [
        (tag, name) for tag, attrs in parser.elements for name in attrs if name.startswith("on")
    ]
    links = [attrs["href"] for tag, attrs in parser.elements if "href" in attrs]

    assert "xss-ran" not in {tag for tag, _ in parser.elements}
    assert "<title>probe report: evil-model&lt;script&gt;" in dom
    assert "pwned</title>" not in dom
    assert handlers == []
    assert not [link for link in links if not link.startswith("#")]
    assert [tag for tag, _ in parser.elements].count("script") == 1
    assert '<img src="x"' not in dom
    # The page's own script ran, so the policy blocks only foreign script.
    assert 'data-ready="true"' in dom


def test_browser_filters_by_tag_from_address(hostile_report: Path, tmp_path: Path) -> None:
    dom = run_chromium(
        hostile_report, tmp_path / "profile", "--dump-dom", fragment="#tag=geography"
    )
    assert '<tbody data-id="plain"' in dom
    assert dom.count("<tbody data-id=") == len(QUESTIONS)
    assert (
        dom.count(' hidden="">') - dom.count('<tr class="detail" hidden="">') == len(QUESTIONS) - 1
    )
    assert f"1 of {len(QUESTIONS)} shown" in dom


def test_browser_screenshot(hostile_report: Path, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "report-hostile.png"
    screenshot.unlink(missing_ok=True)
    run_chromium(
        hostile_report,
        tmp_path / "profile",
        f"--screenshot={screenshot}",
        "--window-size=1400,5200",
        "--hide-scrollbars",
    )
    print(f"screenshot of the hostile report: {screenshot}")
    assert screenshot.stat().st_size > 10_000

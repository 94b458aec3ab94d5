"""Rendering of probe's HTML pages: Jinja2 templates with autoescape and a strict CSP.

Every page is one self-contained file: its style sheet and script are inlined, figures are
data URIs, and nothing is fetched, so it works offline. Model output is untrusted, so two
layers keep it inert. Autoescape turns every value into text. The Content-Security-Policy
allows only the page's own script and style, by their SHA-256, so even a value that escaped
as markup could not run script or load anything.
"""

import base64
import hashlib
import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from probe import __version__, display
from probe.prompts import format_number
from probe.run_data import RunData


def render_page(template: str, path: Path, **context: Any) -> Path:
    """Render a template to `path`, written atomically, and return the path."""
    script = _asset("page.js")
    style = _asset("page.css")
    html = (
        _environment()
        .get_template(template)
        .render(
            script=Markup(script),
            style=Markup(style),
            content_security_policy=_content_security_policy(script, style),
            probe_version=__version__,
            **context,
        )
    )

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(html, encoding="utf-8")
    os.replace(temporary, path)
    return path


def report_link(run: RunData, page: Path) -> str | None:
    """Return the link from `page` to the run's report.html, or report.md without it."""
    for name in ("report.html", "report.md"):
        target = run.store.run_dir / name
        if target.exists():
            return Path(os.path.relpath(target.resolve(), page.resolve().parent)).as_posix()
    return None


def _content_security_policy(script: str, style: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            "img-src data:",
            f"script-src '{_sha256(script)}'",
            f"style-src '{_sha256(style)}'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("probe", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        percent=display.percent,
        rate=display.rate,
        interval=display.interval,
        number=display.number,
        number_interval=display.number_interval,
        signed=display.signed,
        yes_no=display.yes_no,
        shorten=display.shorten,
        points=display.points,
        threshold=format_number,
    )
    return environment


@cache
def _asset(name: str) -> str:
    return (resources.files("probe") / "templates" / name).read_text(encoding="utf-8")

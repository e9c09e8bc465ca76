"""The HTML report in headless Chromium: it renders, logs no console error, requests nothing from
the network, runs only its own script, no evidence string becomes an element, and a screenshot
is not blank. The same probes run on a planted bad page first, to show they catch what they claim.

Network requests are read from Chromium's NetLog (--log-net-log): a request made by the page
carries the file:// network isolation key (the browser's own background requests do not). The
proxy points at a dead port and host resolution fails, so nothing could leave the machine anyway.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.reports.conftest import Bundle
from tests.reports.evidence import HOSTILE_USER

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.xdist_group("reports"),
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (the Makefile's deps target installs it)"
    ),
]
BAD_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p>planted</p>
<img src="http://example.invalid/pixel.png">
<script>console.error("planted console error"); undefinedFunction();</script>
</body></html>
"""


@dataclass
class Probe:
    """What Chromium did with one page."""

    dom: str
    console: list[str]
    requests: list[str]


def probe(page: Path, work: Path, *extra: str) -> Probe:
    """Load ``page`` in headless Chromium offline; its DOM, console messages and network requests."""
    netlog = work / "netlog.json"
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-logging=stderr",
        "--v=0",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={work / 'profile'}",
        f"--log-net-log={netlog}",
        "--no-first-run",
        "--disable-background-networking",
        *extra,
        page.as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    requests = [
        e["params"]["url"]
        for e in log["events"]
        if e["type"] == start and "file://" in e["params"].get("network_isolation_key", "")
    ]
    return Probe(done.stdout, console, requests)


class Elements(HTMLParser):
    """Tags, event-handler attributes and hidden filter inputs in a DOM dump."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.hidden_filters = 0
        self.filters = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        names = dict(attrs)
        self.handlers += [name for name in names if name.startswith("on")]
        if tag == "input" and "filter" in (names.get("class") or ""):
            self.filters += 1
            self.hidden_filters += "hidden" in names


def elements(dom: str) -> Elements:
    parser = Elements()
    parser.feed(dom)
    return parser


def test_probes_catch_a_bad_page(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text(BAD_PAGE)
    seen = probe(page, tmp_path, "--dump-dom")
    assert any("planted console error" in line for line in seen.console)
    assert any("Uncaught ReferenceError" in line for line in seen.console)
    assert seen.requests == ["http://example.invalid/pixel.png"]
    assert elements(seen.dom).tags.count("img") == 1


def test_report_renders_offline_without_errors_or_injected_elements(bundle: Bundle, tmp_path: Path) -> None:
    page = bundle.path / "report.html"
    seen = probe(page, tmp_path, "--dump-dom")
    assert seen.console == []  # no console error, no CSP violation, no script error
    assert seen.requests == []
    found = elements(seen.dom)
    assert found.tags.count("script") == 1 and "img" not in found.tags and "iframe" not in found.tags
    assert found.handlers == []
    # The inline script ran (CSP allowed it by hash): it showed the filter boxes it wires up.
    assert found.filters > 10 and found.hidden_filters == 0
    assert "evil&lt;script&gt;alert(1)&lt;/script&gt;" in seen.dom
    assert HOSTILE_USER not in seen.dom
    html = page.read_text()
    assert not [m for m in ("http://", "https://") if f'src="{m}' in html or f'href="{m}' in html]


def test_screenshot_is_not_blank(bundle: Bundle, tmp_path: Path) -> None:
    from PIL import Image

    shot = tmp_path / "shot.png"
    probe(bundle.path / "report.html", tmp_path, f"--screenshot={shot}", "--window-size=1280,2000")
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2000)
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50
    white = max(count for count, colour in colours if colour == (255, 255, 255))
    assert white < 0.97 * image.size[0] * image.size[1]  # text, tables and rules cover the page

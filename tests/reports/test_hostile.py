"""Hostile evidence strings (file names, NFO text, SQL rows) are escaped in the HTML, kept whole in
JSON, and neutralised in CSV cells; none of them turns into markup, a template or a formula."""

from __future__ import annotations

import csv
import re

import pytest

from tests.reports.conftest import Bundle, ReportCase
from tests.reports.evidence import FORMULA, HOSTILE_NOTE, HOSTILE_USER, LONG_VALUE

pytestmark = pytest.mark.xdist_group("reports")


def test_html_escapes_every_hostile_string(bundle: Bundle) -> None:
    html = (bundle.path / "report.html").read_text(encoding="utf-8")
    # One script element, ours (after the CSP meta that pins its hash); no image, no handler.
    assert len(re.findall(r"<script", html, re.IGNORECASE)) == 1
    assert html.index("Content-Security-Policy") < html.index("<script>")
    assert "<img" not in html.lower() and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # SQL user name, NFO text and file name
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "{{7*7}}" in html  # a template in evidence stays text
    assert "Operation &lt;b&gt;Hostile&lt;/b&gt;" in html  # even the examiner's own title
    # Control characters and bidi overrides are shown as escapes, never written raw.
    assert "\x1b" not in html and "\u202e" not in html
    assert "\\u001b[31mRED" in html and "invoice\\u202etxt.exe" in html
    # The 10 kB SQL value is cut for display; the 10 kB path keeps its end (the file name).
    assert LONG_VALUE not in html and "more characters in report.json]" in html
    assert re.search(r"…\[[\d,]+ characters\]… [0-9d]+/deep\.nfo", html)


def test_json_keeps_hostile_values_whole_and_ascii(report_case: ReportCase, bundle: Bundle) -> None:
    raw = (bundle.path / "report.json").read_bytes()
    assert raw.isascii() and b"\x1b" not in raw
    rows = [r for fam in bundle.model["findings"] for t in fam["kinds"] for r in t["rows"]]
    [subscriber] = [
        r for r in rows if r["kind"] == "iptv.subscriber" and r["fields"]["username"] == HOSTILE_USER
    ]
    assert subscriber["fields"]["admin_notes"] == HOSTILE_NOTE
    deep = [r for r in rows if r["provenance"].get("path") == report_case.evidence.deep_nfo_path]
    assert deep and len(report_case.evidence.deep_nfo_path) > 10_000
    nfo = next(
        r for r in rows if r["kind"] == "scene.nfo" and r["provenance"]["path"].endswith("script>.nfo")
    )
    assert "<script>alert(1)</script>" in nfo["fields"]["source"]
    assert nfo["provenance"]["path"] == "/srv/upload/<script>alert(1)</script>.nfo"


def test_csv_cells_cannot_act_as_formulas(bundle: Bundle) -> None:
    with open(bundle.path / "csv" / "iptv.subscriber.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    [row] = [r for r in rows if r["username"] == HOSTILE_USER]
    assert row["reseller_notes"] == "'" + FORMULA
    assert row["admin_notes"] == HOSTILE_NOTE  # kept as data, starts with a quote character, not a formula
    number = re.compile(r"^-?\d+(\.\d+)?$")  # numbers are written as numbers
    for r in rows:
        for value in r.values():
            assert number.match(value) or not value.startswith(("=", "+", "-", "@", "\t", "\r")), value

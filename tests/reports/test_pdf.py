"""The PDF report: pages as PNG with pdftoppm, text with pdftotext: page count, "page X of Y" and the
case number and report id on every page, a table of contents with page numbers, section headings,
and hostile evidence text shown as text."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.reports.conftest import CASE_NUMBER, Bundle

pytestmark = [
    pytest.mark.xdist_group("reports"),
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed"),
]
SECTIONS = (
    "Contents",
    "Evidence items",
    "Methodology",
    "Findings summary",
    "Findings by artefact family",
    "Tagged items",
    "Timeline highlights",
    "Errors and limitations",
    "Chain of custody",
    "Appendix: files of this bundle",
)


def test_pdf_pages_render_and_are_not_blank(bundle: Bundle, tmp_path: Path) -> None:
    from PIL import Image

    pdf = bundle.path / "report.pdf"
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))  # type: ignore[union-attr]
    # 713 artefacts in 26 kinds at most 50 rows each, plus evidence, custody and appendix.
    assert 40 <= pages <= 200, pages
    subprocess.run(["pdftoppm", "-png", "-r", "15", pdf, tmp_path / "page"], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    for image in (images[0], images[len(images) // 2], images[-1]):
        histogram = Image.open(image).convert("L").histogram()  # pixels per grey level 0..255
        dark = sum(histogram[:160])
        assert dark > 50, image.name  # text on the page


def test_pdf_text_has_headers_page_numbers_contents_and_sections(bundle: Bundle) -> None:
    text = subprocess.run(
        ["pdftotext", "-layout", bundle.path / "report.pdf", "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")[:-1]
    report_id = bundle.manifest["report_id"]
    for number, page in enumerate(pages, 1):
        assert f"Case {CASE_NUMBER} · report {report_id}" in page, number
        assert f"page {number} of {len(pages)}" in page, number
    assert "page 1 of" in pages[0]
    for heading in SECTIONS:
        assert heading in text, heading
    contents = {
        m.group(1).strip(): int(m.group(2))
        for m in re.finditer(r"\d+\. ([A-Za-z:, ]+?)\s*\.{3,}\s*page (\d+)", pages[0])
    }
    assert contents["Evidence items"] == 2
    assert contents["Chain of custody"] > contents["Findings by artefact family"] > contents["Methodology"]
    assert "Chain of custody" in pages[contents["Chain of custody"] - 1]
    appendix = "\n".join(pages[contents["Appendix: files of this bundle"] - 1 :])
    assert appendix.startswith(f"Case {CASE_NUMBER}") and "Appendix: files of this bundle" in appendix
    assert "report.html" in appendix and "custody.jsonl" in appendix


def test_pdf_shows_hostile_strings_as_text(bundle: Bundle) -> None:
    text = subprocess.run(
        ["pdftotext", bundle.path / "report.pdf", "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "/srv/upload/<script>alert(1)</script>.nfo" in text
    assert "\\u001b[31mRED" in text and "invoice\\u202etxt.exe" in text
    assert "\x1b" not in text and "\u202e" not in text
    assert "{{7*7}}" in text

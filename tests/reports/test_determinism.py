"""Re-rendering an unchanged case gives the same content apart from the report id and generation time."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from workbench.reports.html import render_html
from workbench.reports.model import build_model

from tests.reports.conftest import ReportCase, run_cli
from workbench.store import Case

pytestmark = pytest.mark.xdist_group("reports")


def without_identity(model: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(model))
    del out["report"]["id"], out["report"]["generated_at"]
    return out


def masked(html: str, model: dict[str, Any]) -> str:
    html = html.replace(model["report"]["id"], "REPORT-ID")
    stamp = model["report"]["generated_at"]
    html = html.replace(stamp, "GENERATED")
    return re.sub(
        r"\(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z]+\)(?=</span></td></tr>\s*<tr><th>Time zone)", "(LOCAL)", html
    )


def test_same_model_and_html_twice(report_case: ReportCase) -> None:
    case = Case.open(report_case.case_dir)
    first = build_model(case, report_id="RPT-A", generated_at="2026-01-01T00:00:00Z")
    second = build_model(case, report_id="RPT-B", generated_at="2026-02-03T04:05:06.789000Z")
    assert first != second and without_identity(first) == without_identity(second)
    assert masked(render_html(first), first) == masked(render_html(second), second)
    assert render_html(first) != render_html(second)  # the masking is what makes them equal


def test_two_bundles_differ_only_in_identity_and_the_first_render_event(
    report_case: ReportCase, tmp_path: Path
) -> None:
    case_dir = tmp_path / "case"
    shutil.copytree(report_case.case_dir, case_dir, ignore=shutil.ignore_patterns("reports"))
    formats = "json,html,csv,timeline"
    run_cli("report", case_dir, "--out", tmp_path / "one", "--format", formats)
    run_cli("report", case_dir, "--out", tmp_path / "two", "--format", formats)
    one = json.loads((tmp_path / "one" / "report.json").read_text())
    two = json.loads((tmp_path / "two" / "report.json").read_text())
    # The case did change in one way: the first render is now in its custody log.
    render = two["custody"]["events"][-1]
    assert render["action"] == "report.render" and render["details"]["report_id"] == one["report"]["id"]
    assert two["custody"]["events"][:-1] == one["custody"]["events"]
    for model in (one, two):
        del model["custody"]
    assert without_identity(one) == without_identity(two)
    for name in ["timeline.jsonl", *(f"csv/{p.name}" for p in (tmp_path / "one" / "csv").iterdir())]:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name

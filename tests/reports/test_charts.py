"""Charts: series from the case's artefacts, drawn as well-formed inline SVG with escaped labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from workbench.reports.charts import ChartSpec, case_charts, chart_data, render_svg

from tests.reports.conftest import ReportCase
from workbench.store import Case

pytestmark = pytest.mark.xdist_group("reports")
SVG = "{http://www.w3.org/2000/svg}"


def test_series_come_from_the_case(report_case: ReportCase) -> None:
    case = Case.open(report_case.case_dir)
    charts = {c["id"]: c for c in case_charts(case)}
    subscribers = charts["subscribers-over-time"]["points"]
    months = [m for m, _ in subscribers]
    assert months == sorted(months) and subscribers[-1][1] == sum(
        1 for a in case.artefacts(kind="iptv.subscriber") if a.fields.get("created_at")
    )
    countries = charts["activity-by-country"]["bars"]
    assert sum(n for _, n in countries) == sum(
        1 for a in case.artefacts(kind="iptv.activity") if a.fields.get("country")
    )
    stacked = charts["releases-per-group-per-month"]
    assert {g for g, _ in stacked["series"]} == {"FAKEGRP", "NOGRP", "OTHERGRP"}
    nothing = ChartSpec("x", "x", "no.such_kind", "cumulative_by_month", time_field="created_at")
    assert chart_data(case, nothing) is None


@pytest.mark.parametrize(
    "chart",
    [
        {"type": "line", "title": "t", "points": [["2024-01", 1], ["2024-02", 5], ["2024-03", 9]]},
        {"type": "bar", "title": "t", "bars": [["<script>alert(1)</script>", 3], ['"><img src=x>', 0]]},
        {
            "type": "stacked",
            "title": "t",
            "months": ["2024-05", "2024-06"],
            "series": [["<b>GRP</b>", [1, 2]], ["OTHER\u202eGRP", [0, 4]]],
        },
    ],
)
def test_svg_is_well_formed_and_escapes_labels(chart: dict[str, Any]) -> None:
    svg = render_svg(chart)
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    assert not root.findall(f".//{SVG}script") and not root.findall(".//img") and "<script" not in svg
    text = "".join(root.itertext())
    if chart["type"] == "bar":
        assert "<script>alert(1)</script>" in text  # shown as text
    if chart["type"] == "stacked":
        assert "<b>GRP</b>" in text and "\u202e" not in svg
    drawn = root.findall(f".//{SVG}rect") + root.findall(f".//{SVG}polyline")
    assert drawn

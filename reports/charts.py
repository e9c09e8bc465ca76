"""Charts for the findings summary: their data from the case store, and inline SVG to draw them.

Each chart is declared once (``CHARTS``) by the artefact kind and fields it counts; a chart whose
kind the case does not hold is left out. The series are plain data in the report model; the SVG is
drawn from them at render time (no script, no external asset, escaped labels).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from workbench.store import Case

PALETTE = ("#1f5fa8", "#d9822b", "#3b8f4a", "#a83b3b", "#7a4fa8", "#2b9aa3", "#8a6d3b", "#c25a9b")
TOP_CATEGORIES = 15
MAX_GROUPS = len(PALETTE)


@dataclass(frozen=True)
class ChartSpec:
    """One chart: which kind it counts and how."""

    id: str
    title: str
    kind: str
    mode: str  # "cumulative_by_month" | "count_by_value" | "distinct_by_month_and_value"
    time_field: str = ""
    value_field: str = ""
    distinct_field: str = ""
    exclude: tuple[tuple[str, str], ...] = ()  # (field, value) pairs left out
    basis: str = ""


CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(
        "subscribers-over-time",
        "Subscriber lines over time (cumulative, by creation month)",
        "iptv.subscriber",
        "cumulative_by_month",
        time_field="created_at",
        basis="iptv.subscriber created_at; lines without a creation time are not counted",
    ),
    ChartSpec(
        "activity-by-country",
        "Viewing sessions by client country",
        "iptv.activity",
        "count_by_value",
        value_field="country",
        basis=f"iptv.activity country (GeoIP in the panel database); top {TOP_CATEGORIES}",
    ),
    ChartSpec(
        "releases-per-group-per-month",
        "Releases pre'd per group per month",
        "scene.pre",
        "distinct_by_month_and_value",
        time_field="time",
        value_field="group",
        distinct_field="release",
        exclude=(("status", "NUKE"), ("status", "UNNUKE")),
        basis="scene.pre rows (pre database), distinct release names, nukes left out",
    ),
)


def _month(value: Any) -> str | None:
    return value[:7] if isinstance(value, str) and len(value) >= 7 and value[4] == "-" else None


def chart_data(case: Case, spec: ChartSpec) -> dict[str, Any] | None:
    """The series of one chart, or None when the case holds nothing to draw."""
    counts: Counter[Any] = Counter()
    seen: set[tuple[str, str, str]] = set()
    for a in case.artefacts(kind=spec.kind):
        f = a.fields
        if any(str(f.get(name)) == value for name, value in spec.exclude):
            continue
        if spec.mode == "cumulative_by_month":
            month = _month(f.get(spec.time_field))
            if month:
                counts[month] += 1
        elif spec.mode == "count_by_value":
            value = f.get(spec.value_field)
            if value not in (None, ""):
                counts[str(value)] += 1
        else:
            month, group = _month(f.get(spec.time_field)), f.get(spec.value_field)
            key = (month or "", str(group or ""), str(f.get(spec.distinct_field)))
            if month and group and key not in seen:
                seen.add(key)
                counts[(month, str(group))] += 1
    if not counts:
        return None
    out: dict[str, Any] = {"id": spec.id, "title": spec.title, "kind": spec.kind, "basis": spec.basis}
    if spec.mode == "cumulative_by_month":
        total, points = 0, []
        for month in sorted(counts):
            total += counts[month]
            points.append([month, total])
        return {**out, "type": "line", "points": points}
    if spec.mode == "count_by_value":
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        other = sum(n for _, n in ranked[TOP_CATEGORIES:])
        bars = [[label, n] for label, n in ranked[:TOP_CATEGORIES]] + ([["other", other]] if other else [])
        return {**out, "type": "bar", "bars": bars}
    totals: Counter[str] = Counter()
    for (_, group), n in counts.items():
        totals[group] += n
    groups = [g for g, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_GROUPS]]
    months = sorted({m for m, _ in counts})
    series = [[g, [counts.get((m, g), 0) for m in months]] for g in groups]
    return {**out, "type": "stacked", "months": months, "series": series}


def case_charts(case: Case) -> list[dict[str, Any]]:
    """Every declared chart the case has data for, in declaration order."""
    counts = case.artefact_counts()
    out = []
    for spec in CHARTS:
        if counts.get(spec.kind):
            data = chart_data(case, spec)
            if data is not None:
                out.append(data)
    return out


# ----- SVG ----------------------------------------------------------------------------------------

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 56
LEGEND = 130  # room right of the plot for a stacked chart's legend
MAX_BAR = 48


def _label(text: str, limit: int = 18) -> str:
    text = "".join(c if c.isprintable() else "?" for c in str(text))
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def _scale(maximum: float) -> float:
    return maximum if maximum > 0 else 1.0


def _axes(maximum: float, title: str, right: int = RIGHT) -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#555"/>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - right}" y2="{HEIGHT - BOTTOM}" stroke="#555"/>',
    ]
    plot = HEIGHT - TOP - BOTTOM
    for i in range(5):
        value = maximum * i / 4
        y = HEIGHT - BOTTOM - plot * i / 4
        shown = f"{value:,.0f}" if maximum >= 4 or value.is_integer() else f"{value:.1f}"
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{shown}</text>'
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="#ddd"/>'
        )
    return parts


def _x_labels(labels: Sequence[str], step_width: float, right: int = RIGHT) -> list[str]:
    every = max(1, int(len(labels) / ((WIDTH - LEFT - right) / 48)) + 1)
    out = []
    for i, label in enumerate(labels):
        if i % every == 0:
            x = LEFT + step_width * (i + 0.5)
            out.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="11" text-anchor="end" '
                f'transform="rotate(-35 {x:.1f} {HEIGHT - BOTTOM + 14})">{_label(label)}</text>'
            )
    return out


def _bar(step: float) -> tuple[float, float]:
    """Width of a bar and its offset inside its slot."""
    width = min(step * 0.7, MAX_BAR)
    return width, (step - width) / 2


def render_svg(chart: dict[str, Any]) -> str:
    """An inline SVG drawing of one chart from its model data."""
    right = RIGHT + LEGEND if chart["type"] == "stacked" else RIGHT
    plot_w, plot_h = WIDTH - LEFT - right, HEIGHT - TOP - BOTTOM
    if chart["type"] == "line":
        labels = [p[0] for p in chart["points"]]
        values = [p[1] for p in chart["points"]]
        top = _scale(max(values))
        step = plot_w / len(values)
        parts = _axes(top, chart["title"])
        coords = " ".join(
            f"{LEFT + step * (i + 0.5):.1f},{HEIGHT - BOTTOM - plot_h * v / top:.1f}"
            for i, v in enumerate(values)
        )
        parts.append(f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="2" points="{coords}"/>')
        parts += _x_labels(labels, step)
    elif chart["type"] == "bar":
        labels = [b[0] for b in chart["bars"]]
        values = [b[1] for b in chart["bars"]]
        top = _scale(max(values))
        step = plot_w / len(values)
        parts = _axes(top, chart["title"])
        width, pad = _bar(step)
        for i, v in enumerate(values):
            h = plot_h * v / top
            parts.append(
                f'<rect x="{LEFT + step * i + pad:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" '
                f'width="{width:.1f}" height="{h:.1f}" fill="{PALETTE[0]}"><title>{_label(labels[i], 80)}: '
                f"{v}</title></rect>"
            )
        parts += _x_labels(labels, step)
    else:
        months = chart["months"]
        totals = [sum(s[1][i] for s in chart["series"]) for i in range(len(months))]
        top = _scale(max(totals))
        step = plot_w / len(months)
        parts = _axes(top, chart["title"], right)
        width, pad = _bar(step)
        base = [0.0] * len(months)
        for n, (group, values) in enumerate(chart["series"]):
            colour = PALETTE[n % len(PALETTE)]
            for i, v in enumerate(values):
                if not v:
                    continue
                h = plot_h * v / top
                y = HEIGHT - BOTTOM - base[i] - h
                parts.append(
                    f'<rect x="{LEFT + step * i + pad:.1f}" y="{y:.1f}" width="{width:.1f}" '
                    f'height="{h:.1f}" fill="{colour}"><title>{_label(group, 80)} {months[i]}: {v}</title></rect>'
                )
                base[i] += h
            parts.append(
                f'<rect x="{WIDTH - LEGEND}" y="{TOP + 14 * n}" width="10" height="10" fill="{colour}"/>'
                f'<text x="{WIDTH - LEGEND + 14}" y="{TOP + 9 + 14 * n}" font-size="11">{_label(group, 16)}</text>'
            )
        parts += _x_labels(months, step, right)
    parts.append("</svg>")
    return "".join(parts)

"""The HTML report: one self-contained file rendered from the report model with Jinja2.

Autoescape is on for every template; evidence strings additionally have control characters and
bidi overrides neutralised and very long values shortened (the full value is in report.json). The
page has inline CSS, inline SVG charts and one small inline script (sorting and filtering) allowed
by its hash in a Content-Security-Policy that forbids every other script and any network access.
The ``print`` variant (for WeasyPrint) drops the script and adds page headers, "page X of Y" and
page numbers in the table of contents.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup
from workbench.reports.charts import render_svg

from workbench.render_values import terminal_safe

TEMPLATES = Path(__file__).parent / "templates"
VALUE_LIMIT = 300  # characters of one value shown in a table cell
PATH_LIMIT = 240  # characters of a path shown in a provenance cell
SCREEN_ROWS = 500
PRINT_ROWS = 50


def display(value: Any, limit: int = VALUE_LIMIT) -> str:
    """A stored value as one line of safe text: lists joined, controls/bidi escaped, long values cut."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, list):
        text = ", ".join(display(v, limit) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    else:
        text = str(value)
    text = terminal_safe(text)
    if len(text) > limit:
        return f"{text[:limit]}… [{len(text) - limit:,} more characters in report.json]"
    return text


def middle(value: Any, limit: int = PATH_LIMIT) -> str:
    """Like ``display`` but cut in the middle, so the end of a long path (the file name) stays visible."""
    text = display(value, limit=10**9)
    if len(text) <= limit:
        return text
    keep = limit // 2
    return f"{text[:keep]} …[{len(text) - 2 * keep:,} characters]… {text[-keep:]}"


def local_time(value: Any, zone: str) -> str:
    """A stored UTC time shown in the case's display time zone (empty if it is not a time)."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        shown = moment.astimezone(ZoneInfo(zone))
    except (ValueError, KeyError):
        return ""
    return shown.strftime("%Y-%m-%d %H:%M:%S %Z")


def size(value: Any) -> str:
    """Bytes with a binary unit."""
    if not isinstance(value, int):
        return ""
    step, unit = float(value), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if step < 1024 or unit == "TiB":
            break
        step /= 1024
    return f"{value:,} B" if unit == "B" else f"{step:,.1f} {unit} ({value:,} B)"


def number(value: Any) -> str:
    """A figure: whole numbers without decimals, others to two places."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return display(value)
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment (autoescape on, undefined variables are errors)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        {
            "shown": display,
            "middle": middle,
            "size": size,
            "number": number,
            "svg": lambda chart: Markup(render_svg(chart)),
        }
    )
    return env


def script() -> str:
    """The inline script (sorting and filtering) as written into the page."""
    return (TEMPLATES / "report.js").read_text(encoding="utf-8")


def script_hash(source: str) -> str:
    """The CSP source expression allowing exactly this inline script."""
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode()


def render_html(
    model: dict[str, Any],
    *,
    appendix: list[dict[str, Any]] | None = None,
    variant: str = "screen",
    row_limit: int | None = None,
) -> str:
    """The report as one HTML document; ``variant`` is "screen" (browser) or "print" (PDF)."""
    if variant not in ("screen", "print"):
        raise ValueError(f"unknown HTML variant {variant!r}")
    source = script() if variant == "screen" else ""
    zone = model["cover"]["timezone"]
    template = environment().get_template("report.html.j2")
    return template.render(
        m=model,
        variant=variant,
        appendix=appendix or [],
        row_limit=row_limit or (SCREEN_ROWS if variant == "screen" else PRINT_ROWS),
        script=Markup(source.replace("</", "<\\/")),
        script_csp=script_hash(source.replace("</", "<\\/")) if source else "",
        local=lambda value: local_time(value, zone),
    )

"""The PDF report: WeasyPrint over the print variant of the HTML (same model, same template).

The print variant carries "page X of Y", the case number and report id in every page header and a
table of contents with page numbers. No URL is fetched: the document has no external resource and
the URL fetcher refuses everything but inline ``data:`` URLs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.reports.html import PRINT_ROWS, render_html


class OfflineFetchError(ValueError):
    """The PDF renderer was asked to fetch a resource; reports never load anything."""


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    if url.startswith("data:"):
        from weasyprint import default_url_fetcher

        return dict(default_url_fetcher(url, *args, **kwargs))
    raise OfflineFetchError(f"report tried to load {url[:80]!r}; reports load nothing")


def write_pdf(
    model: dict[str, Any],
    out: Path,
    *,
    appendix: list[dict[str, Any]] | None = None,
    row_limit: int = PRINT_ROWS,
) -> Path:
    """Render the model to a PDF file at ``out``."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    html = render_html(model, appendix=appendix, variant="print", row_limit=row_limit)
    document = HTML(string=html, url_fetcher=_no_fetch, base_url=None)
    document.write_pdf(out)
    return out

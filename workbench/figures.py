"""The case figures: ``case.figure`` artefacts computed by the plugins' correlate hooks, by family."""

from __future__ import annotations

from typing import Any

from workbench.store import Case


def case_figures(case: Case) -> dict[str, list[dict[str, Any]]]:
    """Figures grouped by family, in family then declaration order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for a in case.artefacts(kind="case.figure"):
        f = a.fields
        out.setdefault(f.get("family", ""), []).append(
            {
                "name": f.get("name", ""),
                "value": f.get("value", 0),
                "unit": f.get("unit") or "",
                "basis": f.get("basis", ""),
                "plugin": a.plugin,
            }
        )
    return dict(sorted(out.items()))

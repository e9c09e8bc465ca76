"""The report model: everything a report shows, built from the case store alone.

The model is plain JSON-able data in a deterministic order (no dict- or set-order dependence, no
clock except ``report.generated_at``), so re-rendering an unchanged case gives the same model apart
from the report id and generation time. Values from evidence are kept in full here; renderers
escape, neutralise and shorten them for display. Secret fields are masked (render_values policy).

Findings tables hold the first ``row_cap`` rows of each kind; the full rows are streamed from the
store into report.json and the CSV files (``iter_rows``), so memory stays bounded for any case.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from workbench.reports.charts import case_charts
from workbench.reports.rows import FileCache, iter_rows, report_row

from workbench import __version__
from workbench.artefacts import ArtefactKind
from workbench.figures import case_figures
from workbench.registry import Registry, load_registry
from workbench.render_values import mask
from workbench.store import Case
from workbench.versions import library_versions

MODEL_VERSION = 1
ROW_CAP = 500  # rows per kind in the HTML/PDF tables
ERROR_COLUMNS = ("exhibit", "location", "stage", "plugin", "error")
LIST_CAP = 200  # errors per run, highlights, windowed scans …
SUMMARY_KIND = "case.figure"  # shown as the findings summary, not as a findings table
HIGHLIGHT_KINDS = ("log.highlight",)
JSON_EXPORT = "report.json"
TIMELINE_EXPORT = "timeline.jsonl"


def build_model(
    case: Case,
    *,
    report_id: str,
    generated_at: str,
    tagged_only: bool = False,
    row_cap: int = ROW_CAP,
    csv_files: dict[str, str] | None = None,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """The whole report model of ``case`` (findings capped at ``row_cap`` rows per kind)."""
    reg = registry or load_registry()
    files = FileCache(case)
    events = case.custody_events()
    return {
        "report": {
            "id": report_id,
            "generated_at": generated_at,
            "model_version": MODEL_VERSION,
            "tool": f"isop-workbench {__version__}",
            "tagged_only": tagged_only,
            "row_cap": row_cap,
        },
        "cover": cover(case, events),
        "evidence": evidence_items(case),
        "methodology": methodology(case, reg),
        "summary": summary(case),
        "findings": findings(case, reg, files, tagged_only, row_cap, csv_files or {}),
        "tagged": tagged_items(case, reg, files),
        "timeline": timeline_highlights(case, reg, files),
        "limitations": limitations(case, row_cap),
        "custody": custody_section(case, events),
    }


# ----- cover and evidence -------------------------------------------------------------------------


def cover(case: Case, events: list[Any]) -> dict[str, Any]:
    """Case identity and display settings."""
    i = case.info
    return {
        "case_number": i.number,
        "title": i.title,
        "agency": i.agency,
        "examiner": i.examiner,
        "examiners": sorted({e.examiner for e in events}),
        "timezone": i.timezone,
        "times": "All times are UTC (ISO 8601, Z), as stored; the case's display time zone is shown beside "
        "seizure and custody times.",
        "created_at": i.created_at,
    }


def _intake_state(item: dict[str, Any]) -> str:
    intake = item.get("intake_result") or {}
    if not intake.get("checks"):
        return "no stored or expected hash to compare"
    return "match" if intake.get("ok") else "MISMATCH"


def evidence_items(case: Case) -> list[dict[str, Any]]:
    """Every evidence item: seizure, container, layer tree, hashes, checks and re-verifications."""
    out = []
    for item in case.evidence():
        verifications = [
            {k: v.get(k) for k in ("time", "examiner", "result", "detail", "md5", "sha1", "sha256")}
            for v in case.verifications(item["exhibit"])
        ]
        intake = _intake_state(item)
        latest = verifications[-1]["result"] if verifications else None
        out.append(
            {
                "exhibit": item["exhibit"],
                "description": item["description"],
                "seizure": {
                    "seized_by": item.get("seized_by"),
                    "seized_at": item.get("seized_at"),
                    "seized_from": item.get("seized_from"),
                    "seal": item.get("seal"),
                },
                "container": {
                    "format": item["format"],
                    "paths": list(item["paths"]),
                    "size": item["size"],
                    "details": item.get("details") or {},
                },
                "layers": item.get("layers"),
                "layer_problems": list(item.get("problems") or []),
                "hashes": {a: item.get(a) for a in ("md5", "sha1", "sha256")},
                "stored_hashes": item.get("stored_hashes") or {},
                "expected_hashes": item.get("expected_hashes") or {},
                "intake_checks": list((item.get("intake_result") or {}).get("checks") or []),
                "intake_state": intake,
                "verifications": verifications,
                "latest_verification": latest,
                "mismatch": intake == "MISMATCH" or latest == "MISMATCH",
                "added_at": item.get("added_at"),
                "added_by": item.get("added_by"),
                "password": mask(item["password"]) if item.get("password") else None,
                "recovery_key": mask(item["recovery_key"]) if item.get("recovery_key") else None,
            }
        )
    return out


# ----- methodology --------------------------------------------------------------------------------


def methodology(case: Case, reg: Registry) -> dict[str, Any]:
    """Tool and library versions, rule packs with SHA-256, plugins, and each run's parameters."""
    runs: list[dict[str, Any]] = []
    packs: dict[tuple[str, str, str], list[str]] = {}
    used: set[tuple[str, str]] = set()
    for run in case.runs():
        env = run.get("environment") or {}
        params = {k: v for k, v in (run.get("params") or {}).items() if k != "key"}
        plugins = sorted((p["name"], p["version"]) for p in env.get("plugins", []))
        used.update(plugins)
        for f in env.get("rule_files", []):
            entry = packs.setdefault((f.get("pack", ""), f.get("path", ""), f.get("sha256", "")), [])
            entry.append(run["id"])
        summary = run.get("summary") or {}
        runs.append(
            {
                "id": run["id"],
                "started": run["started"],
                "finished": run.get("finished"),
                "status": run["status"],
                "parameters": params,
                "versions": env.get("versions", {}),
                "engines": env.get("engines", {}),
                "engine_versions": env.get("engine_versions", {}),
                "plugins": [{"name": n, "version": v} for n, v in plugins],
                "rule_files": len(env.get("rule_files", [])),
                "files": summary.get("files"),
                "bytes": summary.get("bytes"),
                "yara_hits": summary.get("hits"),
                "artefacts": sum((summary.get("artefacts") or {}).values()),
                "errors": summary.get("errors"),
                "wall_seconds": summary.get("wall_seconds"),
            }
        )
    return {
        "report_tool_versions": dict(sorted(library_versions().items())),
        "runs": runs,
        "rule_files": [
            {"pack": pack, "path": path, "sha256": sha, "runs": sorted(ids)}
            for (pack, path, sha), ids in sorted(packs.items())
        ],
        "plugins": [
            {
                "name": p.name,
                "version": p.version,
                "description": p.description,
                "entry_point": reg.sources.get(p.name, ""),
                "kinds": sorted(k.name for k in p.kinds),
                "used_in_runs": (p.name, p.version) in used,
            }
            for p in reg.plugins
        ],
    }


# ----- summary and findings -----------------------------------------------------------------------


def summary(case: Case) -> dict[str, Any]:
    """Case figures by family, charts and artefact counts."""
    counts = case.artefact_counts()
    return {
        "figures": case_figures(case),
        "charts": case_charts(case),
        "artefact_counts": dict(sorted(counts.items())),
        "artefacts_total": sum(counts.values()),
        "file_records": case.file_totals(),
    }


def _columns(kind: ArtefactKind | None, sample: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if kind is not None:
        return [
            {"name": f.name, "type": f.type, "description": f.description, "secret": f.secret}
            for f in kind.fields
        ]
    names: list[str] = []
    for row in sample:
        names += [k for k in row["fields"] if k not in names]
    return [{"name": n, "type": "", "description": "", "secret": False} for n in names]


def findings(
    case: Case,
    reg: Registry,
    files: FileCache,
    tagged_only: bool,
    row_cap: int,
    csv_files: dict[str, str],
) -> list[dict[str, Any]]:
    """Findings by artefact family, one table per kind, driven by the kind declarations."""
    counts = case.artefact_counts()
    families: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(counts):
        if name == SUMMARY_KIND:
            continue
        kind = reg.kind(name)
        rows = list(islice(iter_rows(case, name, kind, tagged_only=tagged_only, files=files), row_cap))
        total = counts[name]
        if tagged_only:
            total = (
                len(rows) if len(rows) < row_cap else sum(1 for _ in case.artefacts(name, tagged_only=True))
            )
            if not total:
                continue
        family = kind.family if kind else name.split(".", 1)[0]
        columns = _columns(kind, rows)
        shown = list(kind.shown_columns) if kind else [c["name"] for c in columns[:6]]
        families.setdefault(family, []).append(
            {
                "kind": name,
                "title": kind.title if kind else name,
                "description": kind.description if kind else "(kind not declared by any installed plugin)",
                "family": family,
                "columns": columns,
                "shown_columns": shown,
                "time_field": kind.time_field if kind else None,
                "count": total,
                "rows": rows,
                "omitted": total - len(rows),
                "exports": {"csv": csv_files.get(name), "json": JSON_EXPORT},
            }
        )
    return [{"family": family, "kinds": kinds} for family, kinds in sorted(families.items())]


# ----- tagged items and timeline ------------------------------------------------------------------


def tagged_items(case: Case, reg: Registry, files: FileCache) -> list[dict[str, Any]]:
    """Every tag with its note, examiner, time and the artefact it is on (with provenance)."""
    out = []
    for t in case.tag_rows():
        a = case.artefact(t["artefact_id"])
        kind = reg.kind(a.kind) if a else None
        row = report_row(a, kind, files.get(a.file_id)) if a else None
        out.append(
            {
                "artefact_id": t["artefact_id"],
                "tag": t["tag"],
                "note": t["note"],
                "examiner": t["examiner"],
                "time": t["time"],
                "kind": a.kind if a else None,
                "kind_title": kind.title if kind else (a.kind if a else None),
                "shown_columns": list(kind.shown_columns) if kind else [],
                "row": row,
            }
        )
    return out


def _timed(row: dict[str, Any], kind: ArtefactKind | None) -> str | None:
    if kind is None or not kind.time_field:
        return None
    value = row["fields"].get(kind.time_field)
    return value if isinstance(value, str) else None


def timeline_highlights(case: Case, reg: Registry, files: FileCache) -> dict[str, Any]:
    """Log highlights and tagged artefacts that have a time, in time order; the rest is in timeline.jsonl."""
    entries = []
    counts = case.artefact_counts()
    for name in HIGHLIGHT_KINDS:
        kind = reg.kind(name)
        for row in islice(iter_rows(case, name, kind, files=files), LIST_CAP):
            entries.append(("highlight", name, kind, row))
    highlight_total = sum(counts.get(n, 0) for n in HIGHLIGHT_KINDS)
    for a in islice(case.artefacts(tagged_only=True), LIST_CAP):
        if a.kind in HIGHLIGHT_KINDS:
            continue
        kind = reg.kind(a.kind)
        entries.append(("tagged", a.kind, kind, report_row(a, kind, files.get(a.file_id))))
    items = []
    for source, name, kind, row in entries:
        when = _timed(row, kind)
        if when is None:
            continue
        items.append(
            {
                "time": when,
                "source": source,
                "kind": name,
                "what": (kind.time_description or kind.title) if kind else name,
                "shown_columns": list(kind.shown_columns) if kind else [],
                "row": row,
            }
        )
    items.sort(key=lambda e: (e["time"], e["kind"], e["row"]["id"]))
    timed = [
        {"kind": k.name, "title": k.title, "count": counts[k.name], "time_field": k.time_field}
        for k in reg.kinds.values()
        if k.time_field and counts.get(k.name)
    ]
    return {
        "entries": items,
        "highlights_total": highlight_total,
        "highlights_shown": min(highlight_total, LIST_CAP),
        "timed_kinds": timed,
        "export": TIMELINE_EXPORT,
    }


# ----- limitations and custody --------------------------------------------------------------------


def limitations(case: Case, row_cap: int) -> dict[str, Any]:
    """Errors and limits of each run, layers that could not be read, and what the report leaves out."""
    runs = []
    for run in case.runs():
        env = run.get("environment") or {}
        summary = run.get("summary") or {}
        error_count = case.error_count(run["id"])
        errors = [{k: e[k] for k in ERROR_COLUMNS} for e in case.errors(run["id"], limit=LIST_CAP)]
        runs.append(
            {
                "id": run["id"],
                "status": run["status"],
                "finished": run["status"] == "finished",
                "parameters": {
                    k: (run.get("params") or {}).get(k)
                    for k in ("include_deleted", "max_scan_bytes", "rules", "plugins", "exhibits")
                },
                "problems": list(summary.get("problems") or []),
                "engine_warnings": list(env.get("engine_warnings") or []),
                "error_count": error_count,
                "errors": errors,
            }
        )
    windowed_total, windowed = case.windowed_scans(LIST_CAP)
    return {
        "runs": runs,
        "layer_problems": [
            {"exhibit": e["exhibit"], "problem": p}
            for e in case.evidence()
            for p in (e.get("problems") or [])
        ],
        "windowed_scans_total": windowed_total,
        "windowed_scans": windowed,
        "list_cap": LIST_CAP,
        "report_limits": [
            f"Findings tables show at most {row_cap} rows per artefact kind; every row is in report.json "
            "and the CSV files of this bundle.",
            "Secret fields (passwords, keys) are masked in this report; the full values are in the case store.",
            "The custody log is shown as it stood when the report was rendered; the report.render event that "
            "records this bundle's manifest hash follows it in the case's custody log.",
        ],
    }


def custody_section(case: Case, events: list[Any]) -> dict[str, Any]:
    """The full custody log, its chain verification result and head hash."""
    checks = case.verify_custody()
    return {
        "events": [e.as_dict() for e in events],
        "count": len(events),
        "head": events[-1].hash if events else None,
        "ok": all(c.ok for c in checks),
        "checks": [
            {
                "source": c.source,
                "ok": c.ok,
                "events": c.events,
                "head": c.head,
                "first_bad_seq": c.first_bad_seq,
                "reason": c.reason,
                "verdict": c.line(),
            }
            for c in checks
        ],
    }

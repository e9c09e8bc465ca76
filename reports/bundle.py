"""The report bundle: HTML, PDF, JSON, CSV, CASE/UCO, timeline, a custody copy and a manifest.

Everything is written into a temporary directory beside the destination and renamed into place
when complete, so a bundle is either whole or absent. ``manifest.json`` lists every other file with
its SHA-256; the manifest's own SHA-256 is then recorded in the case's custody log as the
``report.render`` event, which is what ``workbench verify`` checks a bundle against.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.reports.html import render_html
from workbench.reports.json_export import write_model_json
from workbench.reports.model import ROW_CAP, build_model

from workbench import __version__, custody
from workbench.hashing import sha256_file
from workbench.registry import load_registry
from workbench.store import Case

FORMATS = ("html", "pdf", "json", "csv", "case", "timeline")
MANIFEST = "manifest.json"
CUSTODY_COPY = "custody.jsonl"
FILE_NAMES = {
    "html": "report.html",
    "pdf": "report.pdf",
    "json": "report.json",
    "case": "case-uco.jsonld",
    "timeline": "timeline.jsonl",
}
CSV_DIR = "csv"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")  # as reports.csv_export names its files


class ReportError(ValueError):
    """A report that cannot be written (bad option, destination in the way). One line."""


@dataclass
class BundleResult:
    """What ``write_bundle`` produced."""

    path: Path
    report_id: str
    generated_at: str
    formats: tuple[str, ...]
    files: list[dict[str, Any]] = field(default_factory=list)
    manifest_sha256: str = ""
    custody_seq: int = 0
    verifications: list[dict[str, Any]] = field(default_factory=list)


def parse_formats(text: str) -> tuple[str, ...]:
    """'html,pdf' -> ('html', 'pdf') in canonical order; 'all' for every format."""
    wanted = [t.strip().lower() for t in text.split(",") if t.strip()]
    if not wanted or wanted == ["all"]:
        return FORMATS
    unknown = [w for w in wanted if w not in FORMATS]
    if unknown:
        raise ReportError(
            f"--format {text!r}: unknown format(s) {', '.join(unknown)} (use {','.join(FORMATS)})"
        )
    return tuple(f for f in FORMATS if f in wanted)


def new_report_id(generated_at: str) -> str:
    """A report id: the UTC generation time and a random suffix, e.g. RPT-20240602T060000Z-3f9a1c."""
    stamp = generated_at[:19].replace("-", "").replace(":", "")
    return f"RPT-{stamp}Z-{secrets.token_hex(3)}"


def file_list(root: Path) -> list[dict[str, Any]]:
    """Every regular file under ``root`` (relative POSIX path, size, SHA-256), sorted by path."""
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        out.append(
            {
                "path": path.relative_to(root).as_posix(),
                "size": path.stat().st_size,
                "sha256": sha256_file(path),
            }
        )
    return out


def _destination(case: Case, out: Path | None, report_id: str) -> Path:
    dest = out if out is not None else case.path / "reports" / report_id
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ReportError(f"{dest}: already exists and is not an empty directory")
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest


def _write_lines(target: Path, lines: Iterable[str]) -> None:
    with open(target, "w", encoding="utf-8", newline="\n") as out:
        for line in lines:
            out.write(line + "\n")


def _write_timeline(case: Case, target: Path, tagged_only: bool) -> None:
    from workbench.timeline import iter_timeline

    tagged = {a.id for a in case.artefacts(tagged_only=True)} if tagged_only else None
    events = iter_timeline(case)
    _write_lines(
        target,
        (
            json.dumps(e.to_timesketch(), ensure_ascii=True)
            for e in events
            if tagged is None or e.artefact_id in tagged
        ),
    )


def _write_csv(case: Case, root: Path, model: dict[str, Any], tagged_only: bool) -> None:
    from workbench.reports.csv_export import write_csv_exports

    written = {p.resolve() for p in write_csv_exports(case, root / CSV_DIR, tagged_only=tagged_only)}
    for family in model["findings"]:
        for table in family["kinds"]:
            if table["exports"]["csv"] and (root / table["exports"]["csv"]).resolve() not in written:
                table["exports"]["csv"] = None


def _write_case_uco(case: Case, target: Path, report_id: str, generated_at: str) -> None:
    from workbench.reports.case_uco import build_case_uco

    document = build_case_uco(case, report_id=report_id, generated_at=generated_at)
    target.write_text(json.dumps(document, indent=1, ensure_ascii=True) + "\n", encoding="ascii")


def write_bundle(
    case: Case,
    out: Path | None = None,
    *,
    formats: tuple[str, ...] = FORMATS,
    tagged_only: bool = False,
    reverify: bool = False,
    row_cap: int = ROW_CAP,
    progress: Callable[[str], None] | None = None,
) -> BundleResult:
    """Write a report bundle of ``case`` to ``out`` (default CASE/reports/REPORT_ID) and log it."""
    step = progress or (lambda _what: None)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ReportError(f"unknown or no report format(s): {', '.join(unknown) or '(none)'}")
    generated_at = custody.utc_now()
    report_id = new_report_id(generated_at)
    dest = _destination(case, out, report_id)
    result = BundleResult(dest, report_id, generated_at, tuple(f for f in FORMATS if f in formats))
    if reverify:
        from workbench.intake import verify_evidence

        for item in case.evidence():
            step(f"re-verifying {item['exhibit']}")
            result.verifications.append(verify_evidence(case, item["exhibit"]))
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        tmp.chmod(0o755)
        _render_into(case, tmp, result, tagged_only, row_cap, step)
        if dest.exists():
            dest.rmdir()  # an empty directory given as --out
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.manifest_sha256 = sha256_file(dest / MANIFEST)
    event = case.log(
        "report.render",
        {
            "report_id": report_id,
            "generated_at": generated_at,
            "out": str(dest),
            "formats": list(result.formats),
            "tagged_only": tagged_only,
            "files": len(result.files),
            "manifest": MANIFEST,
            "manifest_sha256": result.manifest_sha256,
        },
    )
    result.custody_seq = event.seq
    return result


def _render_into(
    case: Case,
    root: Path,
    result: BundleResult,
    tagged_only: bool,
    row_cap: int,
    step: Callable[[str], None],
) -> None:
    formats = result.formats
    reg = load_registry()
    csv_files = (
        {k: f"{CSV_DIR}/{_UNSAFE_NAME.sub('_', k)}.csv" for k in case.artefact_counts()}
        if "csv" in formats
        else {}
    )
    step("building the report model")
    model = build_model(
        case,
        report_id=result.report_id,
        generated_at=result.generated_at,
        tagged_only=tagged_only,
        row_cap=row_cap,
        csv_files=csv_files,
        registry=reg,
    )
    events = model["custody"]["events"]
    _write_lines(root / CUSTODY_COPY, (custody.canonical_json(e) for e in events))
    if "csv" in formats:
        step("writing CSV exports")
        _write_csv(case, root, model, tagged_only)
    if "case" in formats:
        step("writing CASE/UCO")
        _write_case_uco(case, root / FILE_NAMES["case"], result.report_id, result.generated_at)
    if "timeline" in formats:
        step("writing the timeline")
        _write_timeline(case, root / FILE_NAMES["timeline"], tagged_only)
    if "json" in formats:
        step("writing report.json")
        write_model_json(case, model, root / FILE_NAMES["json"], registry=reg)
    if "html" in formats:
        step("rendering HTML")
        html = render_html(model, appendix=file_list(root), variant="screen")
        (root / FILE_NAMES["html"]).write_text(html, encoding="utf-8")
    if "pdf" in formats:
        step("rendering PDF")
        from workbench.reports.pdf import write_pdf

        write_pdf(model, root / FILE_NAMES["pdf"], appendix=file_list(root))
    result.files = file_list(root)
    manifest = {
        "manifest_version": 1,
        "tool": f"isop-workbench {__version__}",
        "report_id": result.report_id,
        "generated_at": result.generated_at,
        "case_number": case.info.number,
        "formats": list(formats),
        "tagged_only": tagged_only,
        "custody_events": len(events),
        "custody_head": events[-1]["hash"] if events else custody.GENESIS,
        "files": result.files,
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=True) + "\n", encoding="ascii")

"""CSV exports: one file per artefact kind (columns from its declaration) and files.csv.

Every cell goes through ``csv_safe``, so evidence text starting with = + - @ tab or CR cannot act
as a spreadsheet formula. Rows are streamed from the store; a kind of any size is written in
bounded memory. The same row layout serves ``workbench artefacts --format csv``.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from workbench.reports.rows import FileCache

from workbench.artefacts import Artefact, ArtefactKind
from workbench.registry import load_registry
from workbench.render_values import artefact_row, csv_safe, mask_secrets
from workbench.store import Case

PROVENANCE_COLUMNS = ("id", "kind", "exhibit", "location", "path", "inode", "line", "offset", "file_sha256")
TRAILING_COLUMNS = ("plugin", "rules", "tags", "notes")
FILE_COLUMNS = (
    "id",
    "exhibit",
    "location",
    "layers",
    "path",
    "inode",
    "type",
    "size",
    "allocated",
    "mtime",
    "atime",
    "ctime",
    "btime",
    "md5",
    "sha1",
    "sha256",
    "mime",
    "magic",
    "yara_rules",
)
FILES_CSV = "files.csv"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def csv_file_name(kind_name: str) -> str:
    """The export file name of a kind: ``iptv.subscriber.csv`` (anything unusual becomes ``_``)."""
    return f"{_UNSAFE_NAME.sub('_', kind_name)}.csv"


def csv_header(field_columns: Sequence[str]) -> list[str]:
    """Header of an artefact CSV: provenance, the kind's fields, then plugin, rules, tags, notes.

    A field named like a provenance column (a credential's ``kind``) is headed ``field_<name>``.
    """
    own = {*PROVENANCE_COLUMNS, *TRAILING_COLUMNS}
    fields = [f"field_{c}" if c in own else c for c in field_columns]
    return [*PROVENANCE_COLUMNS, *fields, *TRAILING_COLUMNS]


def csv_cells(row: dict[str, Any], field_columns: Sequence[str]) -> list[Any]:
    """One ``artefact_row`` (optionally with path, inode, file_sha256) as formula-safe CSV cells."""
    values = [row.get(c) for c in PROVENANCE_COLUMNS]
    values += [row["fields"].get(c) for c in field_columns]
    values += [_joined(row.get(c)) for c in TRAILING_COLUMNS]
    return [csv_safe(v) for v in values]


def _joined(value: Any) -> Any:
    """Rules, tags and notes as one readable cell ("a; b"), not JSON."""
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return value


def write_artefact_csv(stream: TextIO, rows: Iterable[dict[str, Any]], field_columns: Sequence[str]) -> int:
    """Write the header and every row; returns the number of rows."""
    writer = csv.writer(stream)
    writer.writerow(csv_header(field_columns))
    count = 0
    for row in rows:
        writer.writerow(csv_cells(row, field_columns))
        count += 1
    return count


def export_row(
    a: Artefact, kind: ArtefactKind | None, file: dict[str, Any] | None, *, show_secrets: bool
) -> dict[str, Any]:
    """An artefact as an export row: ``artefact_row`` plus its file's path, inode and SHA-256."""
    row = artefact_row(a, kind, file)
    if not show_secrets:
        row = mask_secrets(row, kind)
    row["path"] = (file or {}).get("path")
    row["inode"] = (file or {}).get("inode")
    row["file_sha256"] = (file or {}).get("sha256")
    row["tags"] = sorted(a.tags)
    return row


def write_csv_exports(
    case: Case, out_dir: Path, *, tagged_only: bool = False, show_secrets: bool = False
) -> list[Path]:
    """One CSV per artefact kind in the case (and files.csv) under ``out_dir``; the paths written.

    Secret fields are masked as on the terminal unless ``show_secrets``. With ``tagged_only`` only
    tagged artefacts are written, and files.csv lists only the files they came from.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    reg = load_registry()
    cache = FileCache(case)
    written: list[Path] = []
    file_ids: set[str] = set()
    for kind_name in case.artefact_counts():
        kind = reg.kind(kind_name)
        columns = kind.columns if kind else _stored_columns(case, kind_name, tagged_only)
        rows = (
            export_row(a, kind, cache.get(a.file_id), show_secrets=show_secrets)
            for a in _noting_files(case.artefacts(kind=kind_name, tagged_only=tagged_only), file_ids)
        )
        target = out_dir / csv_file_name(kind_name)
        write = partial(write_artefact_csv, rows=rows, field_columns=columns)
        if _write_atomic(target, write, keep_empty=False):
            written.append(target)
    target = out_dir / FILES_CSV
    only = file_ids if tagged_only else None
    if _write_atomic(target, partial(write_files_csv, case, only=only), keep_empty=not tagged_only):
        written.append(target)
    return written


def _noting_files(artefacts: Iterable[Artefact], file_ids: set[str]) -> Iterator[Artefact]:
    for a in artefacts:
        if a.file_id:
            file_ids.add(a.file_id)
        yield a


def write_files_csv(case: Case, stream: TextIO, only: set[str] | None = None) -> int:
    """The file listing (all files, or the ids in ``only``) with hashes, times and YARA rules."""
    rules: dict[str, list[str]] = {}
    for hit in case.yara_hits():
        rules.setdefault(hit["file_id"], []).append(hit["rule"])
    writer = csv.writer(stream)
    writer.writerow(FILE_COLUMNS)
    count = 0
    for record in case.files():
        if only is not None and record["id"] not in only:
            continue
        row = {
            **record,
            "yara_rules": "; ".join(sorted(rules.get(record["id"], []))),
            "allocated": bool(record["allocated"]),
        }
        writer.writerow([csv_safe(row.get(c)) for c in FILE_COLUMNS])
        count += 1
    return count


def _stored_columns(case: Case, kind_name: str, tagged_only: bool) -> list[str]:
    """Field names of a kind no installed plugin declares, in first-seen order (a first pass)."""
    seen: dict[str, None] = {}
    for a in case.artefacts(kind=kind_name, tagged_only=tagged_only):
        seen.update(dict.fromkeys(a.fields))
    return list(seen)


def _write_atomic(target: Path, write: Callable[[TextIO], int], *, keep_empty: bool) -> bool:
    """Write through a temporary file and rename; True when ``target`` was written.

    Without ``keep_empty`` a file that got no row is not left behind.
    """
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            count = write(fh)
        if count or keep_empty:
            os.replace(tmp, target)
            return True
        tmp.unlink()
        return False
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

"""Artefacts as report rows: declared fields (secrets masked) and provenance for every row.

A row is plain JSON-able data with full values; renderers shorten and neutralise for display.
Rows are streamed from the store so a case of any size is read in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from workbench.artefacts import Artefact, ArtefactKind
from workbench.render_values import artefact_row, mask_secrets
from workbench.store import Case

FILE_CACHE_SIZE = 4096


class FileCache:
    """File records by id, cached (artefacts of one file come one after another)."""

    def __init__(self, case: Case, size: int = FILE_CACHE_SIZE) -> None:
        self.case = case
        self.size = size
        self._cache: dict[str, dict[str, Any] | None] = {}

    def get(self, file_id: str | None) -> dict[str, Any] | None:
        """The file record, or None for case-level artefacts and unknown ids."""
        if not file_id:
            return None
        if file_id not in self._cache:
            if len(self._cache) >= self.size:
                self._cache.clear()
            self._cache[file_id] = self.case.file(file_id)
        return self._cache[file_id]


def provenance(a: Artefact, file: dict[str, Any] | None) -> dict[str, Any]:
    """Where an artefact came from: exhibit → layers → path → inode → line/offset, hashes, rules, plugin."""
    base: dict[str, Any] = {
        "line": a.line,
        "offset": a.offset,
        "rules": sorted(a.rules),
        "plugin": a.plugin,
        "plugin_version": a.plugin_version,
    }
    if file is None:
        return {**base, "derived": "case level (plugin correlation over stored artefacts)"}
    return {
        "exhibit": file.get("exhibit"),
        "layers": list(file.get("layers") or []),
        "path": file.get("path"),
        "inode": file.get("inode"),
        "allocated": bool(file.get("allocated")),
        "file_size": file.get("size"),
        "md5": file.get("md5"),
        "sha1": file.get("sha1"),
        "sha256": file.get("sha256"),
        "file_id": file.get("id"),
        **base,
    }


def report_row(a: Artefact, kind: ArtefactKind | None, file: dict[str, Any] | None) -> dict[str, Any]:
    """One artefact as a report row: id, fields in declaration order (secrets masked), provenance, tags."""
    row = mask_secrets(artefact_row(a, kind, file), kind)
    notes = [n for n in a.notes if n]
    return {
        "id": a.id,
        "kind": a.kind,
        "fields": row["fields"],
        "provenance": provenance(a, file),
        "tags": sorted(a.tags),
        "notes": notes,
    }


def iter_rows(
    case: Case,
    kind_name: str,
    kind: ArtefactKind | None,
    *,
    tagged_only: bool = False,
    files: FileCache | None = None,
) -> Iterator[dict[str, Any]]:
    """Every artefact of one kind as report rows, in the store's stable order."""
    cache = files or FileCache(case)
    for a in case.artefacts(kind=kind_name, tagged_only=tagged_only):
        yield report_row(a, kind, cache.get(a.file_id))

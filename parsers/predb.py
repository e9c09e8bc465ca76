"""Pre-database rows: pT-PreBot `MAIN` and `NUKE` tables and the older `pretimes` table."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from workbench.parsers.sqldump import SqlRow

PRE_TABLES = frozenset({"MAIN", "main", "NUKE", "nuke", "pretimes", "PRETIMES"})
_POSITIONAL = {
    "main": ("rlsname", "group", "section", "datetime", "status", "files", "size", "nukereason", "genre"),
    "nuke": ("rlsname", "group", "datetime", "nuke", "reason", "nukenet"),
    "pretimes": ("pretime", "section", "release", "files", "kbytes", "disks", "nuked", "nuketime", "reason"),
}


@dataclass(frozen=True)
class PreRecord:
    """A release's pre: when and where it was released, and its nuke state."""

    release: str
    group: str | None
    section: str | None
    time: datetime | None  # UTC
    status: str | None  # ADDPRE, ADDOLD, SiTEPRE; NUKED for pretimes rows marked nuked
    files: int | None
    size_mb: float | None
    nuke_reason: str | None
    genre: str | None
    table: str
    line: int


@dataclass(frozen=True)
class NukeRecord:
    """A nuke, unnuke or delpre of a release."""

    release: str
    group: str | None
    time: datetime | None
    action: str | None  # NUKE, UNNUKE, DELPRE, UNDELPRE, MODNUKE …
    reason: str | None
    network: str | None
    table: str
    line: int


def _columns(row: SqlRow) -> dict[str, object]:
    """Column -> value with lower-case names; positional names when the dump gave none."""
    table = row.table.lower()
    if row.columns:
        return {c.lower(): v for c, v in zip(row.columns, row.values, strict=False)}
    names = _POSITIONAL.get(table, ())
    # pT-PreBot dumps often carry a leading auto-increment id
    values = list(row.values)
    if len(values) == len(names) + 1 and isinstance(values[0], int):
        values = values[1:]
    return dict(zip(names, values, strict=False))


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "backslashreplace")
    text = str(value).strip()
    return text or None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value.strip()):
        return int(value)
    return None


def _float(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def parse_time(value: object) -> datetime | None:
    """Unix epoch (int or digits) or `YYYY-MM-DD HH:MM:SS` (taken as UTC) → aware datetime."""
    epoch = _int(value)
    if epoch is not None:
        if 0 < epoch < 253402300800:
            return datetime.fromtimestamp(epoch, tz=UTC)
        return None
    text = _text(value)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def from_row(row: SqlRow) -> PreRecord | NukeRecord | None:
    """Map one SQL row of a pre table to a record; None for other tables or rows without a name."""
    table = row.table.lower()
    if table not in _POSITIONAL:
        return None
    cols = _columns(row)
    if table == "main":
        release = _text(cols.get("rlsname"))
        if not release:
            return None
        return PreRecord(
            release=release,
            group=_text(cols.get("group")) or _group_of(release),
            section=_text(cols.get("section")),
            time=parse_time(cols.get("datetime") or cols.get("unixtime") or cols.get("time")),
            status=_text(cols.get("status")),
            files=_int(cols.get("files")),
            size_mb=_float(cols.get("size")),
            nuke_reason=_text(cols.get("nukereason")),
            genre=_text(cols.get("genre")),
            table=row.table,
            line=row.line,
        )
    if table == "nuke":
        release = _text(cols.get("rlsname"))
        if not release:
            return None
        return NukeRecord(
            release=release,
            group=_text(cols.get("group")) or _group_of(release),
            time=parse_time(cols.get("datetime")),
            action=_text(cols.get("nuke")),
            reason=_text(cols.get("reason")),
            network=_text(cols.get("nukenet")),
            table=row.table,
            line=row.line,
        )
    release = _text(cols.get("release") or cols.get("rlsname"))
    if not release:
        return None
    kbytes = _float(cols.get("kbytes"))
    nuked = _int(cols.get("nuked"))
    return PreRecord(
        release=release,
        group=_group_of(release),
        section=_text(cols.get("section")),
        time=parse_time(cols.get("pretime")),
        status="NUKED" if nuked else "PRE",
        files=_int(cols.get("files")),
        size_mb=round(kbytes / 1024, 3) if kbytes is not None else None,
        nuke_reason=_text(cols.get("reason")),
        genre=None,
        table=row.table,
        line=row.line,
    )


def _group_of(release: str) -> str | None:
    _, sep, group = release.rpartition("-")
    return group if sep and re.fullmatch(r"[A-Za-z0-9_]{2,30}", group) else None


def iter_pre(stream: BinaryIO) -> Iterator[PreRecord | NukeRecord]:
    """Stream the pre and nuke records of a MySQL dump."""
    from workbench.parsers.sqldump import iter_rows

    for row in iter_rows(stream, tables=PRE_TABLES):
        record = from_row(row)
        if record is not None:
            yield record

"""The case timeline: one time-ordered stream over log events, dated artefacts and file MACB times.

Which artefacts are on it, and with what wording, comes from the kind declarations
(``ArtefactKind.timeline_fields``: the kind's ``time_field`` plus any datetime field declared with
``timeline=`` wording). Each (kind, field) pair and each file time column is one SQL query ordered by
time; ``heapq.merge`` interleaves them, so memory stays flat however many events the case holds.

Times are compared on a key that puts every stored form of a UTC time in order: whole seconds
("…:05Z"), microseconds ("…:05.250000Z", artefacts) and nanoseconds ("…:05.250000001Z", file times).
"""

from __future__ import annotations

import heapq
import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.artefacts import ArtefactError, ArtefactKind, iso_utc
from workbench.registry import load_registry
from workbench.store import Case

FILE_KIND = "file"
FILE_TIMES = (  # column, Timesketch / plaso wording
    ("mtime", "Content Modification Time"),
    ("atime", "Last Access Time"),
    ("ctime", "Metadata Modification Time"),
    ("btime", "Creation Time"),
)
# Timesketch's keys and ours; an artefact field with one of these names goes into ``extra`` as
# "field_<name>" so it never overwrites them.
RESERVED = frozenset(
    {
        "datetime",
        "timestamp_desc",
        "message",
        "kind",
        "exhibit",
        "source",
        "line",
        "inode",
        "artefact_id",
        "file_id",
        "time_field",
        "tags",
        "timestamp",
    }
)
_BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class TimelineError(ValueError):
    """A timeline filter that cannot be used (unknown kind, bad time)."""


@dataclass(frozen=True)
class TimelineEvent:
    """One moment on the case timeline."""

    datetime: str  # UTC ISO 8601 with Z, as stored
    timestamp_desc: str  # what happened at that moment ("Log line", "Subscriber line expires" …)
    message: str  # evidence text, unescaped: render with terminal_safe / csv_safe
    kind: str  # artefact kind, or "file" for file-system times
    exhibit: str | None
    source: str | None  # location of the file it came from
    line: int | None
    inode: str | None
    artefact_id: str | None
    file_id: str | None
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def sort_key(self) -> str:
        """The time as a key that sorts correctly across precisions."""
        return time_key(self.datetime)

    def to_timesketch(self) -> dict[str, Any]:
        """The event in Timesketch's JSONL import form: message, datetime, timestamp_desc, then ours."""
        out: dict[str, Any] = {
            "message": self.message,
            "datetime": self.datetime,
            "timestamp_desc": self.timestamp_desc,
            "kind": self.kind,
            "exhibit": self.exhibit,
            "source": self.source,
            "line": self.line,
            "inode": self.inode,
            "artefact_id": self.artefact_id,
            "file_id": self.file_id,
        }
        out.update(self.extra)
        return out


# ----- time keys -----------------------------------------------------------------------------------


def time_key(iso: str) -> str:
    """'2024-05-20T06:19:47.5Z' -> '2024-05-20T06:19:47.500000000': fixed width, sorts as time."""
    body = iso[:-1] if iso.endswith("Z") else iso
    fraction = body[20:] if body[19:20] == "." else ""
    return f"{body[:19]}.{(fraction + '000000000')[:9]}"


def time_key_sql(expr: str) -> str:
    """SQL for ``time_key`` of the ISO text ``expr`` (an expression evaluated three times)."""
    return (
        f"(substr({expr}, 1, 19) || '.' || substr(CASE WHEN substr({expr}, 20, 1) = '.' "
        f"THEN substr({expr}, 21, length({expr}) - 21) ELSE '' END || '000000000', 1, 9))"
    )


def bound_key(text: str, *, end: bool) -> str:
    """--from / --to text as a time key: any ISO 8601 time (naive = UTC) or a bare date.

    A bare date as the end bound covers the whole day; other bounds are inclusive as given.
    """
    value = text.strip()
    try:
        if end and _BARE_DATE.match(value):
            return time_key(iso_utc(value))[:11] + "23:59:59.999999999"
        return time_key(iso_utc(value))
    except (ValueError, ArtefactError):
        raise TimelineError(f"{text!r}: not an ISO 8601 time or date (e.g. 2024-05-20T06:00:00Z)") from None


# ----- the merged stream ------------------------------------------------------------------------------


def iter_timeline(
    case: Case,
    *,
    start: str | None = None,
    end: str | None = None,
    kinds: Sequence[str] | None = None,
    exhibit: str | None = None,
    include_files: bool = False,
) -> Iterator[TimelineEvent]:
    """Every dated artefact (and, with ``include_files``, every file time) of the case, oldest first.

    ``start`` / ``end`` are inclusive ISO 8601 bounds (see ``bound_key``); ``kinds`` limits the
    artefact kinds ("file" in it adds the file times); ``exhibit`` limits to one evidence item.
    Bad filters raise here (TimelineError, CaseError), before the first event is produced.
    """
    low = bound_key(start, end=False) if start else None
    high = bound_key(end, end=True) if end else None
    if exhibit is not None:
        case.evidence_item(exhibit)  # CaseError for an unknown exhibit
    wanted = set(kinds or ())
    with_files = include_files or FILE_KIND in wanted
    wanted.discard(FILE_KIND)
    sources: list[Iterator[tuple[str, TimelineEvent]]] = []
    for kind, name, wording in list(_timeline_fields(case, wanted, only_kinds=bool(kinds))):
        sources.append(_artefact_events(case.conn, kind, name, wording, low, high, exhibit))
    if with_files:
        for column, wording in FILE_TIMES:
            sources.append(_file_events(case.conn, column, wording, low, high, exhibit))
    return (event for _key, event in heapq.merge(*sources, key=lambda item: item[0]))


def _timeline_fields(
    case: Case, wanted: set[str], *, only_kinds: bool
) -> Iterator[tuple[ArtefactKind, str, str]]:
    declared = load_registry().kinds
    dated = {name for name, kind in declared.items() if kind.timeline_fields}
    for name in sorted(wanted):
        if name not in declared:
            raise TimelineError(f"--kind {name}: no installed plugin declares this kind")
        if name not in dated:
            raise TimelineError(f"--kind {name}: this kind has no time that places it on the timeline")
    stored = case.artefact_counts()
    for name in sorted(dated):
        if name not in stored or (only_kinds and name not in wanted):
            continue
        kind = declared[name]
        for field_name, wording in kind.timeline_fields:
            yield kind, field_name, wording


def _range_sql(
    key: str, low: str | None, high: str | None, exhibit: str | None, exhibit_col: str
) -> tuple[str, list[Any]]:
    where, args = "", []
    if low is not None:
        where += f" AND {key} >= ?"
        args.append(low)
    if high is not None:
        where += f" AND {key} <= ?"
        args.append(high)
    if exhibit is not None:
        where += f" AND {exhibit_col} = ?"
        args.append(exhibit)
    return where, args


def _artefact_events(
    conn: sqlite3.Connection,
    kind: ArtefactKind,
    field_name: str,
    wording: str,
    low: str | None,
    high: str | None,
    exhibit: str | None,
) -> Iterator[tuple[str, TimelineEvent]]:
    value = f"json_extract(a.fields, '$.\"{field_name}\"')"
    key = time_key_sql(value)
    where, args = _range_sql(key, low, high, exhibit, "a.exhibit")
    sql = (
        f"SELECT {key}, {value}, a.id, a.exhibit, a.file_id, a.fields, a.line, f.location, f.inode, "
        "(SELECT group_concat(t.tag, ',') FROM tags t WHERE t.artefact_id = a.id) "
        "FROM artefacts a LEFT JOIN files f ON f.id = a.file_id "
        f"WHERE a.kind = ? AND {value} IS NOT NULL{where} "
        "ORDER BY 1, a.file_id, a.line, a.offset, a.id"
    )
    secret = {f.name for f in kind.fields if f.secret}
    shown = [c for c in kind.shown_columns if c != field_name and c not in secret]
    has_message = "message" in kind.columns and "message" not in secret
    skip = secret | {field_name} | ({"message"} if has_message else set())
    renamed = {name: f"field_{name}" for name in RESERVED}
    for row in conn.execute(sql, [kind.name, *args]):
        sort, when, aid, ex, file_id, raw, line, location, inode, tags = row
        fields = json.loads(raw)
        message = str(fields.get("message") or "") if has_message else ""
        if not message:
            message = _describe(kind, fields, shown)
        extra = {
            renamed.get(k, k): v
            for k, v in fields.items()
            if v is not None and v != "" and v != [] and k not in skip
        }
        extra["time_field"] = field_name
        if tags:
            extra["tags"] = sorted(tags.split(","))
        yield (
            sort,
            TimelineEvent(
                datetime=when,
                timestamp_desc=wording,
                message=message,
                kind=kind.name,
                exhibit=ex,
                source=location,
                line=line,
                inode=inode,
                artefact_id=aid,
                file_id=file_id,
                extra=extra,
            ),
        )


def _describe(kind: ArtefactKind, fields: dict[str, Any], columns: Sequence[str]) -> str:
    parts = []
    for name in columns:
        value = fields.get(name)
        if value in (None, "", []):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{name}={text}")
    return f"{kind.title}: " + " ".join(parts) if parts else kind.title


def _file_events(
    conn: sqlite3.Connection,
    column: str,
    wording: str,
    low: str | None,
    high: str | None,
    exhibit: str | None,
) -> Iterator[tuple[str, TimelineEvent]]:
    key = time_key_sql(column)
    where, args = _range_sql(key, low, high, exhibit, "exhibit")
    sql = (
        f"SELECT {key}, {column}, id, exhibit, location, path, inode, type, size, allocated, sha256 "
        f"FROM files WHERE {column} IS NOT NULL{where} ORDER BY 1, location, id"
    )
    for sort, when, file_id, ex, location, path, inode, ftype, size, allocated, sha256 in conn.execute(
        sql, args
    ):
        state = "" if allocated else " (deleted)"
        yield (
            sort,
            TimelineEvent(
                datetime=when,
                timestamp_desc=wording,
                message=f"{location}{state}",
                kind=FILE_KIND,
                exhibit=ex,
                source=location,
                line=None,
                inode=inode,
                artefact_id=None,
                file_id=file_id,
                extra={
                    "path": path,
                    "file_type": ftype,
                    "size": size,
                    "allocated": bool(allocated),
                    "sha256": sha256,
                    "time_field": column,
                },
            ),
        )

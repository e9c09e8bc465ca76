"""The case: a directory with case.sqlite (WAL, versioned schema), custody.jsonl, exports/, reports/.

``Case`` is the only writer of the case store. Readers (plugins' ``correlate``, reports) use its
read methods. Every change goes through a method that also appends a custody event.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workbench import custody
from workbench.artefacts import Artefact
from workbench.spool import artefact_row

SCHEMA_VERSION = 1

# Forward migrations: MIGRATIONS[n] takes a store from version n to n + 1.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE custody (
        seq INTEGER NOT NULL, time TEXT NOT NULL, examiner TEXT NOT NULL, action TEXT NOT NULL,
        details TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL
    );
    CREATE TABLE evidence (
        exhibit TEXT PRIMARY KEY, description TEXT NOT NULL, seized_by TEXT, seized_at TEXT,
        seized_from TEXT, seal TEXT, format TEXT NOT NULL, paths TEXT NOT NULL, size INTEGER,
        stored_hashes TEXT NOT NULL, expected_hashes TEXT NOT NULL, md5 TEXT, sha1 TEXT, sha256 TEXT,
        manifest TEXT, details TEXT NOT NULL, intake_result TEXT NOT NULL, added_at TEXT NOT NULL,
        added_by TEXT NOT NULL, password TEXT, recovery_key TEXT, layers TEXT, problems TEXT
    );
    CREATE TABLE verifications (
        exhibit TEXT NOT NULL, time TEXT NOT NULL, examiner TEXT NOT NULL, md5 TEXT, sha1 TEXT,
        sha256 TEXT, result TEXT NOT NULL, detail TEXT NOT NULL
    );
    CREATE TABLE runs (
        id TEXT PRIMARY KEY, started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,
        params TEXT NOT NULL, environment TEXT NOT NULL, summary TEXT
    );
    CREATE TABLE batches (
        run_id TEXT NOT NULL, exhibit TEXT NOT NULL, batch INTEGER NOT NULL, files INTEGER NOT NULL,
        finished TEXT NOT NULL, PRIMARY KEY (run_id, exhibit, batch)
    );
    CREATE TABLE files (
        id TEXT PRIMARY KEY, exhibit TEXT NOT NULL, location TEXT NOT NULL, layers TEXT NOT NULL,
        path TEXT NOT NULL, address TEXT NOT NULL, inode TEXT, type TEXT NOT NULL, size INTEGER NOT NULL,
        allocated INTEGER NOT NULL, mtime TEXT, atime TEXT, ctime TEXT, btime TEXT,
        md5 TEXT, sha1 TEXT, sha256 TEXT, mime TEXT, magic TEXT, scan TEXT, run_id TEXT
    );
    CREATE INDEX files_exhibit ON files(exhibit);
    CREATE INDEX files_sha256 ON files(sha256);
    CREATE TABLE yara_hits (
        file_id TEXT NOT NULL, rule TEXT NOT NULL, namespace TEXT NOT NULL, tags TEXT NOT NULL,
        meta TEXT NOT NULL, strings TEXT NOT NULL, capped INTEGER NOT NULL,
        PRIMARY KEY (file_id, namespace, rule)
    );
    CREATE TABLE artefacts (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, exhibit TEXT, file_id TEXT, fields TEXT NOT NULL,
        line INTEGER, offset INTEGER, rules TEXT NOT NULL, plugin TEXT NOT NULL,
        plugin_version TEXT NOT NULL, run_id TEXT, seq INTEGER
    );
    CREATE INDEX artefacts_kind ON artefacts(kind, seq);
    CREATE INDEX artefacts_file ON artefacts(file_id);
    CREATE TABLE tags (
        artefact_id TEXT NOT NULL, tag TEXT NOT NULL, note TEXT NOT NULL, examiner TEXT NOT NULL,
        time TEXT NOT NULL, PRIMARY KEY (artefact_id, tag)
    );
    CREATE TABLE errors (
        run_id TEXT NOT NULL, exhibit TEXT, file_id TEXT, location TEXT, stage TEXT NOT NULL,
        plugin TEXT, error TEXT NOT NULL
    );
    """,
]


class CaseError(Exception):
    """A case that cannot be created, opened or changed. ``str(err)`` is one line."""


@dataclass(frozen=True)
class CaseInfo:
    """The case's identity and display settings."""

    number: str
    title: str
    examiner: str
    agency: str
    timezone: str
    created_at: str


def connect(db_path: Path) -> sqlite3.Connection:
    """Open the SQLite file with the settings every connection to a case uses."""
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=60)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema forward to SCHEMA_VERSION; returns the version found before."""
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise CaseError(
            f"case store has schema version {found}, newer than this workbench ({SCHEMA_VERSION})"
        )
    for version in range(found, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[version].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return int(found)


class Case:
    """An open case directory."""

    def __init__(self, path: Path, conn: sqlite3.Connection, examiner: str | None = None) -> None:
        self.path = path
        self.conn = conn
        self.info = self._load_info()
        self.examiner = examiner or os.environ.get("WORKBENCH_EXAMINER") or self.info.examiner

    # ----- opening and creating -----------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        *,
        number: str,
        title: str,
        examiner: str,
        agency: str = "",
        timezone: str = "UTC",
        tool_versions: dict[str, str] | None = None,
    ) -> Case:
        """Create a new case directory and record ``case.init``."""
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CaseError(f"{timezone}: not a known time zone") from None
        if not number.strip() or not examiner.strip():
            raise CaseError(f"{path}: case number and examiner must not be empty")
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise CaseError(f"{path}: exists and is not an empty directory")
        path.mkdir(parents=True, exist_ok=True)
        tmp_db = path / ".case.sqlite.tmp"
        try:
            conn = connect(tmp_db)
            migrate(conn)
            created = custody.utc_now()
            meta = {
                "number": number,
                "title": title,
                "examiner": examiner,
                "agency": agency,
                "timezone": timezone,
                "created_at": created,
            }
            conn.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", meta.items())
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.close()
            os.replace(tmp_db, path / "case.sqlite")
            for sub in ("exports", "reports"):
                (path / sub).mkdir(exist_ok=True)
            (path / "custody.jsonl").touch()
        except BaseException:
            for leftover in path.glob(".case.sqlite.tmp*"):
                leftover.unlink()
            raise
        case = cls.open(path, examiner=examiner)
        case.log("case.init", {**meta, "tool_versions": tool_versions or {}})
        return case

    @classmethod
    def open(cls, path: Path, examiner: str | None = None) -> Case:
        """Open an existing case directory (applying forward migrations)."""
        db = path / "case.sqlite"
        if not path.is_dir():
            raise CaseError(f"{path}: no such case directory")
        if not db.is_file() or not (path / "custody.jsonl").exists():
            raise CaseError(f"{path}: not a case directory (no case.sqlite / custody.jsonl)")
        try:
            conn = connect(db)
            migrate(conn)
            conn.execute("SELECT value FROM meta WHERE key='number'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise CaseError(f"{db}: not a readable case store ({exc})") from None
        return cls(path, conn, examiner)

    def _load_info(self) -> CaseInfo:
        meta = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        try:
            return CaseInfo(
                meta["number"],
                meta["title"],
                meta["examiner"],
                meta["agency"],
                meta["timezone"],
                meta["created_at"],
            )
        except KeyError as exc:
            raise CaseError(f"{self.path}: case store lacks {exc}") from None

    def close(self) -> None:
        """Close the store."""
        self.conn.close()

    # ----- custody -------------------------------------------------------------------------------

    def log(
        self, action: str, details: dict[str, Any], apply: Callable[[sqlite3.Connection], None] | None = None
    ) -> custody.CustodyEvent:
        """Append a custody event by this case's current examiner; ``apply`` commits with it."""
        return custody.append_event(self.conn, self.path, self.examiner, action, details, apply)

    def custody_events(self) -> list[custody.CustodyEvent]:
        """The custody log as stored in SQLite."""
        return custody.read_db_events(self.conn)

    def verify_custody(self) -> list[custody.ChainCheck]:
        """Verify both copies of the chain and that they agree."""
        db = custody.read_db_events(self.conn)
        checks = [custody.verify_chain(db, "case.sqlite")]
        try:
            mirror = custody.read_jsonl_events(self.path / "custody.jsonl")
        except ValueError as exc:
            checks.append(custody.ChainCheck("custody.jsonl", False, 0, "", None, str(exc)))
            return checks
        checks.append(custody.verify_chain(mirror, "custody.jsonl"))
        checks.append(custody.compare_copies(db, mirror))
        return checks

    # ----- reads ---------------------------------------------------------------------------------

    def evidence(self) -> list[dict[str, Any]]:
        """Every evidence item, in exhibit order, with JSON columns decoded."""
        cur = self.conn.execute("SELECT * FROM evidence ORDER BY exhibit")
        return [_decode_row(cur, row) for row in cur.fetchall()]

    def evidence_item(self, exhibit: str) -> dict[str, Any]:
        """One evidence item; CaseError when the exhibit is unknown."""
        cur = self.conn.execute("SELECT * FROM evidence WHERE exhibit = ?", (exhibit,))
        row = cur.fetchone()
        if row is None:
            raise CaseError(f"{self.path}: no evidence item {exhibit}")
        return _decode_row(cur, row)

    def verifications(self, exhibit: str | None = None) -> list[dict[str, Any]]:
        """Re-verification results, oldest first."""
        sql = "SELECT * FROM verifications" + (" WHERE exhibit = ?" if exhibit else "") + " ORDER BY rowid"
        cur = self.conn.execute(sql, (exhibit,) if exhibit else ())
        return [_decode_row(cur, r) for r in cur.fetchall()]

    def files(self, exhibit: str | None = None) -> Iterator[dict[str, Any]]:
        """File records, in listing order."""
        sql = "SELECT * FROM files" + (" WHERE exhibit = ?" if exhibit else "") + " ORDER BY rowid"
        cur = self.conn.execute(sql, (exhibit,) if exhibit else ())
        decode = _row_decoder(cur)
        for row in cur:
            yield decode(row)

    def file(self, file_id: str) -> dict[str, Any] | None:
        """One file record by id."""
        cur = self.conn.execute("SELECT * FROM files WHERE id = ?", (file_id,))
        row = cur.fetchone()
        return _decode_row(cur, row) if row else None

    def yara_hits(self, file_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Stored YARA hits."""
        sql = "SELECT * FROM yara_hits" + (" WHERE file_id = ?" if file_id else "") + " ORDER BY rowid"
        cur = self.conn.execute(sql, (file_id,) if file_id else ())
        for row in cur:
            yield _decode_row(cur, row)

    def artefacts(
        self, kind: str | None = None, exhibit: str | None = None, tagged_only: bool = False
    ) -> Iterator[Artefact]:
        """Stored artefacts (with their tags and notes), in a stable order."""
        where, args = [], []
        if kind:
            where.append("a.kind = ?")
            args.append(kind)
        if exhibit:
            where.append("a.exhibit = ?")
            args.append(exhibit)
        if tagged_only:
            where.append("EXISTS (SELECT 1 FROM tags t WHERE t.artefact_id = a.id)")
        sql = ARTEFACT_SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY a.seq, a.id"
        tags = self._tags()
        for r in self.conn.execute(sql, args):
            yield _artefact_from_row(r, tags.get(r[0], []))

    def artefact(self, artefact_id: str) -> Artefact | None:
        """One artefact by id (a unique prefix of at least 8 characters also works)."""
        rows = self.conn.execute(
            ARTEFACT_SELECT + " WHERE a.id = ? OR (length(?) >= 8 AND a.id LIKE ? || '%') LIMIT 2",
            (artefact_id, artefact_id, artefact_id),
        ).fetchall()
        if len(rows) != 1:
            return None
        return _artefact_from_row(rows[0], self._tags().get(rows[0][0], []))

    def artefact_counts(self) -> dict[str, int]:
        """Number of artefacts per kind."""
        return dict(
            self.conn.execute("SELECT kind, count(*) FROM artefacts GROUP BY kind ORDER BY kind").fetchall()
        )

    def _tags(self) -> dict[str, list[tuple[str, str]]]:
        tags: dict[str, list[tuple[str, str]]] = {}
        for aid, tag, note in self.conn.execute("SELECT artefact_id, tag, note FROM tags ORDER BY time, tag"):
            tags.setdefault(aid, []).append((tag, note))
        return tags

    def tag_rows(self) -> list[dict[str, Any]]:
        """Every tag with its note, examiner and time."""
        cur = self.conn.execute("SELECT * FROM tags ORDER BY time, artefact_id, tag")
        return [_decode_row(cur, r) for r in cur.fetchall()]

    def runs(self) -> list[dict[str, Any]]:
        """Processing runs, oldest first."""
        cur = self.conn.execute("SELECT * FROM runs ORDER BY started")
        return [_decode_row(cur, r) for r in cur.fetchall()]

    def errors(self, run_id: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Errors recorded by processing runs, in recording order (the first ``limit`` of them)."""
        sql = "SELECT * FROM errors" + (" WHERE run_id = ?" if run_id else "") + " ORDER BY rowid"
        args: tuple[Any, ...] = (run_id,) if run_id else ()
        if limit is not None:
            sql, args = sql + " LIMIT ?", (*args, limit)
        cur = self.conn.execute(sql, args)
        return [_decode_row(cur, r) for r in cur.fetchall()]

    def error_count(self, run_id: str) -> int:
        """How many errors a run recorded."""
        return int(self.conn.execute("SELECT count(*) FROM errors WHERE run_id = ?", (run_id,)).fetchone()[0])

    def file_totals(self) -> dict[str, int]:
        """File records: all entries, regular files, and entries that are deleted."""
        row = self.conn.execute(
            "SELECT count(*), coalesce(sum(type = 'file'), 0), coalesce(sum(allocated = 0), 0) FROM files"
        ).fetchone()
        return {"entries": row[0], "files": row[1], "deleted_entries": row[2]}

    def windowed_scans(self, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """Files YARA scanned in windows (too big to scan whole): how many, and the first ``limit``."""
        where = "FROM files WHERE scan LIKE '%scan_windows%'"
        total = self.conn.execute(f"SELECT count(*) {where}").fetchone()[0]
        rows = self.conn.execute(f"SELECT exhibit, location, size {where} ORDER BY rowid LIMIT ?", (limit,))
        return total, [{"exhibit": r[0], "location": r[1], "size": r[2]} for r in rows]

    def artefact_runs(self, kind: str) -> dict[str, str]:
        """Artefact id -> the run that produced it, for one kind."""
        rows = self.conn.execute("SELECT id, run_id FROM artefacts WHERE kind = ?", (kind,))
        return {r[0]: r[1] for r in rows if r[1]}

    # ----- tagging -------------------------------------------------------------------------------

    def tag(self, artefact_id: str, tag: str, note: str = "") -> str:
        """Tag an artefact (with an optional note); returns the full artefact id."""
        artefact = self.artefact(artefact_id)
        if artefact is None:
            raise CaseError(f"{artefact_id}: no such artefact (or the prefix is ambiguous)")

        def apply(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO tags(artefact_id, tag, note, examiner, time) VALUES (?,?,?,?,?)",
                (artefact.id, tag, note, self.examiner, custody.utc_now()),
            )

        self.log("tag", {"artefact": artefact.id, "kind": artefact.kind, "tag": tag, "note": note}, apply)
        return artefact.id

    def untag(self, artefact_id: str, tag: str) -> str:
        """Remove a tag from an artefact; returns the full artefact id."""
        artefact = self.artefact(artefact_id)
        if artefact is None:
            raise CaseError(f"{artefact_id}: no such artefact (or the prefix is ambiguous)")

        def apply(conn: sqlite3.Connection) -> None:
            if not conn.execute(
                "DELETE FROM tags WHERE artefact_id = ? AND tag = ?", (artefact.id, tag)
            ).rowcount:
                raise CaseError(f"{artefact.id}: has no tag {tag!r}")

        self.log("untag", {"artefact": artefact.id, "kind": artefact.kind, "tag": tag}, apply)
        return artefact.id

    # ----- writes used by intake and the pipeline -------------------------------------------------

    def transaction(self) -> _Transaction:
        """``with case.transaction():`` — one atomic write."""
        return _Transaction(self.conn)

    def insert_artefacts(self, artefacts: Iterable[Artefact], exhibit: str | None, run_id: str) -> int:
        """Store artefacts whose ids are already set; an id already stored is kept, not duplicated."""
        return self.insert_artefact_rows(map(artefact_row, artefacts), exhibit, run_id)

    def insert_artefact_rows(self, rows: Iterable[tuple[Any, ...]], exhibit: str | None, run_id: str) -> int:
        """``insert_artefacts`` for rows as ``ArtefactSpool.rows`` gives them (kind, fields, line,
        offset, rules, id, file_id, plugin, plugin_version)."""
        first = self.conn.execute("SELECT coalesce(max(seq), 0) FROM artefacts").fetchone()[0] + 1
        before = self.conn.total_changes
        self.conn.executemany(
            "INSERT OR IGNORE INTO artefacts(id, kind, exhibit, file_id, fields, line, offset, rules, plugin,"
            " plugin_version, run_id, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (
                    aid,
                    kind,
                    exhibit,
                    file_id,
                    json.dumps(fields, sort_keys=True, ensure_ascii=False),
                    line,
                    offset,
                    json.dumps(list(rules)),
                    plugin,
                    version,
                    run_id,
                    seq,
                )
                for seq, (kind, fields, line, offset, rules, aid, file_id, plugin, version) in enumerate(
                    rows, first
                )
            ),
        )
        return self.conn.total_changes - before


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")


ARTEFACT_SELECT = (
    "SELECT a.id, a.kind, a.file_id, a.fields, a.line, a.offset, a.rules, a.plugin, a.plugin_version "
    "FROM artefacts a"
)


# The store wrote these columns with json.dumps (no surrounding whitespace): the decoder's own
# raw_decode skips json.loads' per-call checks, which cost as much as decoding a small record.
_decode_json = json.JSONDecoder().raw_decode


def _artefact_from_row(r: tuple[Any, ...], tags: list[tuple[str, str]]) -> Artefact:
    return Artefact(
        kind=r[1],
        fields=_decode_json(r[3])[0],
        line=r[4],
        offset=r[5],
        rules=tuple(_decode_json(r[6])[0]) if r[6] != "[]" else (),
        id=r[0],
        file_id=r[2],
        plugin=r[7],
        plugin_version=r[8],
        tags=[t for t, _ in tags],
        notes=[n for _, n in tags if n],
    )


JSON_COLUMNS = {
    "paths",
    "stored_hashes",
    "expected_hashes",
    "manifest",
    "details",
    "intake_result",
    "layers",
    "problems",
    "params",
    "environment",
    "summary",
    "tags",
    "meta",
    "strings",
    "scan",
    "fields",
    "rules",
}


def _decode_row(cur: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return _row_decoder(cur)(row)


def _row_decoder(cur: sqlite3.Cursor) -> Callable[[tuple[Any, ...]], dict[str, Any]]:
    """Rows of ``cur`` as dicts, JSON columns decoded (the column names are looked at once)."""
    names = [d[0] for d in cur.description]
    json_columns = [(i, name) for i, name in enumerate(names) if name in JSON_COLUMNS]

    def decode(row: tuple[Any, ...]) -> dict[str, Any]:
        out = dict(zip(names, row, strict=True))
        for index, name in json_columns:
            if isinstance(row[index], str):
                out[name] = json.loads(row[index])
        return out

    return decode

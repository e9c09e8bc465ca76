"""The hash-chained custody log: every action on a case, append-only, in SQLite and in custody.jsonl.

Each event's ``hash`` is SHA-256 over the previous event's hash and the canonical JSON of the event
(sequence, time, examiner, action, details). Changing, deleting, inserting or reordering any event
breaks the chain from that event on; ``verify_chain`` names the first bad sequence number.

Appends are serialised across processes by an exclusive lock on ``custody.lock`` in the case
directory, so two processes appending at once still leave one valid chain. The JSONL mirror is
written after the SQLite commit; a mirror left short by a crash is completed on the next append.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class CustodyEvent:
    """One entry of the custody log."""

    seq: int
    time: str
    examiner: str
    action: str
    details: dict[str, Any]
    prev: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        """The event as the JSON object stored in custody.jsonl."""
        return {
            "seq": self.seq,
            "time": self.time,
            "examiner": self.examiner,
            "action": self.action,
            "details": self.details,
            "prev": self.prev,
            "hash": self.hash,
        }


def canonical_json(value: Any) -> str:
    """Canonical JSON: sorted keys, no insignificant white space, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev: str, seq: int, time: str, examiner: str, action: str, details: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the canonical JSON of the event body."""
    body = canonical_json(
        {"seq": seq, "time": time, "examiner": examiner, "action": action, "details": details}
    )
    return hashlib.sha256((prev + body).encode("utf-8")).hexdigest()


def utc_now() -> str:
    """Current UTC time, ISO 8601 with microseconds and Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@contextmanager
def case_lock(case_dir: Path) -> Iterator[None]:
    """Exclusive inter-process lock for appending to the custody log."""
    with open(case_dir / "custody.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_db_events(conn: sqlite3.Connection) -> list[CustodyEvent]:
    """Every event stored in the case database, in sequence order."""
    rows = conn.execute(
        "SELECT seq, time, examiner, action, details, prev, hash FROM custody ORDER BY rowid"
    ).fetchall()
    return [CustodyEvent(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6]) for r in rows]


def read_jsonl_events(path: Path) -> list[CustodyEvent]:
    """Every event in the JSONL mirror, in file order. Raises ValueError on a line that is not an event."""
    events = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                events.append(
                    CustodyEvent(
                        int(d["seq"]),
                        d["time"],
                        d["examiner"],
                        d["action"],
                        d["details"],
                        d["prev"],
                        d["hash"],
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}: line {number} is not a custody event ({exc})") from None
    return events


def append_event(
    conn: sqlite3.Connection,
    case_dir: Path,
    examiner: str,
    action: str,
    details: dict[str, Any],
    apply: Callable[[sqlite3.Connection], None] | None = None,
) -> CustodyEvent:
    """Append one event to the chain (SQLite, then the JSONL mirror) under the case lock.

    ``apply`` runs inside the same transaction, so a change to the case and the event that records
    it are committed together or not at all.
    """
    mirror = case_dir / "custody.jsonl"
    with case_lock(case_dir):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if apply is not None:
                apply(conn)
            last = conn.execute("SELECT seq, hash FROM custody ORDER BY rowid DESC LIMIT 1").fetchone()
            seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            time = utc_now()
            clean = json.loads(canonical_json(details))  # the stored form is exactly what was hashed
            digest = event_hash(prev, seq, time, examiner, action, clean)
            conn.execute(
                "INSERT INTO custody(seq, time, examiner, action, details, prev, hash) VALUES (?,?,?,?,?,?,?)",
                (seq, time, examiner, action, canonical_json(clean), prev, digest),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        _sync_mirror(conn, mirror)
    return CustodyEvent(seq, time, examiner, action, clean, prev, digest)


def _sync_mirror(conn: sqlite3.Connection, mirror: Path) -> None:
    """Append to the mirror the events it lacks (normally just the new one)."""
    have = 0
    if mirror.exists():
        with open(mirror, "rb") as fh:
            have = sum(1 for line in fh if line.strip())
    rows = conn.execute(
        "SELECT seq, time, examiner, action, details, prev, hash FROM custody ORDER BY rowid LIMIT -1 OFFSET ?",
        (have,),
    ).fetchall()
    if not rows:
        return
    with open(mirror, "a", encoding="utf-8") as fh:
        for r in rows:
            event = CustodyEvent(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6])
            fh.write(canonical_json(event.as_dict()) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


@dataclass(frozen=True)
class ChainCheck:
    """Result of verifying one copy of the custody log."""

    source: str
    ok: bool
    events: int
    head: str
    first_bad_seq: int | None = None
    reason: str = ""

    def line(self) -> str:
        """One-line verdict."""
        if self.ok:
            return f"{self.source}: OK, {self.events} events, head {self.head}"
        return f"{self.source}: BROKEN at sequence {self.first_bad_seq}: {self.reason}"


def verify_chain(events: Sequence[CustodyEvent], source: str) -> ChainCheck:
    """Recompute the chain; report the first event whose sequence, link or hash is wrong."""
    prev = GENESIS
    for position, e in enumerate(events, 1):
        if e.seq != position:
            kind = "missing or reordered event" if e.seq > position else "inserted or reordered event"
            return ChainCheck(source, False, len(events), prev, position, f"{kind}: found sequence {e.seq}")
        if e.prev != prev:
            return ChainCheck(
                source, False, len(events), prev, e.seq, "link to the previous event does not match"
            )
        expected = event_hash(e.prev, e.seq, e.time, e.examiner, e.action, e.details)
        if expected != e.hash:
            return ChainCheck(
                source, False, len(events), prev, e.seq, "event content does not match its hash"
            )
        prev = e.hash
    return ChainCheck(source, True, len(events), prev)


def compare_copies(db: Sequence[CustodyEvent], mirror: Sequence[CustodyEvent]) -> ChainCheck:
    """Check that the JSONL mirror holds exactly the events of the database, in order."""
    for position, (a, b) in enumerate(zip(db, mirror, strict=False), 1):
        if a.as_dict() != b.as_dict():
            return ChainCheck("copies", False, len(db), "", position, "custody.jsonl and case.sqlite differ")
    if len(db) != len(mirror):
        position = min(len(db), len(mirror)) + 1
        return ChainCheck(
            "copies",
            False,
            len(db),
            "",
            position,
            f"custody.jsonl has {len(mirror)} events, case.sqlite has {len(db)}",
        )
    return ChainCheck("copies", True, len(db), db[-1].hash if db else GENESIS)

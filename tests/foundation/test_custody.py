"""The custody chain: every change detected at the right sequence number, concurrent appends stay valid."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from pathlib import Path

from workbench import custody
from workbench.store import Case


def _case_with_events(tmp_path: Path, n: int = 6) -> Case:
    case = Case.create(tmp_path / "c", number="N-1", title="T", examiner="E")
    for i in range(n):
        case.log("test.event", {"i": i, "text": f"event {i} ✓"})
    return case


def _db_checks(case: Case) -> custody.ChainCheck:
    return case.verify_custody()[0]


def test_clean_chain_verifies_in_both_copies(tmp_path: Path) -> None:
    case = _case_with_events(tmp_path)
    checks = case.verify_custody()
    assert [c.ok for c in checks] == [True, True, True]
    assert checks[0].events == 7 and checks[0].head == case.custody_events()[-1].hash


def test_edited_event_in_sqlite_is_reported_with_its_sequence(tmp_path: Path) -> None:
    case = _case_with_events(tmp_path)
    case.conn.execute("UPDATE custody SET details = ? WHERE seq = 4", (json.dumps({"i": 99}),))
    check = _db_checks(case)
    assert not check.ok and check.first_bad_seq == 4 and "content" in check.reason


def test_deleted_event_is_reported(tmp_path: Path) -> None:
    case = _case_with_events(tmp_path)
    case.conn.execute("DELETE FROM custody WHERE seq = 3")
    check = _db_checks(case)
    assert not check.ok and check.first_bad_seq == 3


def test_inserted_event_is_reported(tmp_path: Path) -> None:
    case = _case_with_events(tmp_path)
    events = case.custody_events()
    # A forged event that links correctly to event 2 and claims sequence 3 …
    forged_hash = custody.event_hash(events[1].hash, 3, events[1].time, "mallory", "tag", {"x": 1})
    rows = [(e.seq, e.time, e.examiner, e.action, json.dumps(e.details), e.prev, e.hash) for e in events]
    rows.insert(2, (3, events[1].time, "mallory", "tag", json.dumps({"x": 1}), events[1].hash, forged_hash))
    case.conn.execute("DELETE FROM custody")
    case.conn.executemany("INSERT INTO custody VALUES (?,?,?,?,?,?,?)", rows)
    check = _db_checks(case)
    # … is consistent itself, so the break shows at the genuine event that follows it.
    assert not check.ok and check.first_bad_seq == 4


def test_reordered_events_are_reported(tmp_path: Path) -> None:
    case = _case_with_events(tmp_path)
    rows = case.conn.execute("SELECT * FROM custody ORDER BY rowid").fetchall()
    rows[4], rows[5] = rows[5], rows[4]
    case.conn.execute("DELETE FROM custody")
    case.conn.executemany("INSERT INTO custody VALUES (?,?,?,?,?,?,?)", rows)
    check = _db_checks(case)
    assert not check.ok and check.first_bad_seq == 5


def test_mirror_edit_delete_and_reorder_are_reported(tmp_path: Path) -> None:
    case = _case_with_events(tmp_path)
    mirror = case.path / "custody.jsonl"
    original = mirror.read_text(encoding="utf-8").splitlines()

    edited = list(original)
    event = json.loads(edited[2])
    event["examiner"] = "someone else"
    edited[2] = json.dumps(event)
    mirror.write_text("\n".join(edited) + "\n", encoding="utf-8")
    checks = case.verify_custody()
    assert checks[0].ok
    assert not checks[1].ok and checks[1].first_bad_seq == 3
    assert not checks[2].ok and checks[2].first_bad_seq == 3

    mirror.write_text("\n".join(original[:4] + original[5:]) + "\n", encoding="utf-8")
    assert case.verify_custody()[1].first_bad_seq == 5

    swapped = list(original)
    swapped[1], swapped[2] = swapped[2], swapped[1]
    mirror.write_text("\n".join(swapped) + "\n", encoding="utf-8")
    assert case.verify_custody()[1].first_bad_seq == 2


def test_cli_verify_exits_non_zero_on_tampering(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    case = _case_with_events(tmp_path)
    cli("custody", "verify", case.path)
    db = sqlite3.connect(case.path / "case.sqlite")
    db.execute("UPDATE custody SET examiner = 'x' WHERE seq = 2")
    db.commit()
    result = cli("custody", "verify", case.path, expect=1)
    assert "BROKEN at sequence 2" in result.output


def _append_many(case_dir: str, who: str, n: int) -> None:
    case = Case.open(Path(case_dir), examiner=who)
    for i in range(n):
        case.log("test.concurrent", {"who": who, "i": i})


def test_two_processes_appending_at_once_leave_a_valid_chain(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "c", number="N-1", title="T", examiner="E")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(case.path), f"p{k}", 40)) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    checks = case.verify_custody()
    assert all(c.ok for c in checks), [c.line() for c in checks]
    assert checks[0].events == 81


def test_mirror_left_short_by_a_crash_is_completed_on_next_append(tmp_path: Path) -> None:
    case = _case_with_events(tmp_path, 3)
    mirror = case.path / "custody.jsonl"
    lines = mirror.read_text(encoding="utf-8").splitlines()
    mirror.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    assert not case.verify_custody()[2].ok
    case.log("test.after_crash", {})
    assert all(c.ok for c in case.verify_custody())

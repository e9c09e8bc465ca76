"""mysqldump / MariaDB / SQLite row parser: every construct, damage handling, speed paths, fuzzing."""

from __future__ import annotations

import contextlib
import io
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workbench.parsers import sqldump
from workbench.parsers.errors import ParseError
from workbench.parsers.sqldump import SqlRow, iter_rows, iter_sqlite_rows, table_names

DUMP = b"""-- MySQL dump 10.13  Distrib 5.7.44, for Linux (x86_64)
--
-- Host: localhost    Database: xtream_iptvpro
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8 */;

DROP TABLE IF EXISTS `users`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
CREATE TABLE `users` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `username` varchar(50) NOT NULL,
  `admin_notes` mediumtext COMMENT 'it''s (a) note, with commas',
  `exp_date` int(11) DEFAULT NULL,
  `credits` decimal(10,2) NOT NULL DEFAULT '0.00',
  PRIMARY KEY (`id`),
  UNIQUE KEY `username` (`username`),
  KEY `exp_date` (`exp_date`)
) ENGINE=InnoDB AUTO_INCREMENT=4 DEFAULT CHARSET=utf8;

LOCK TABLES `users` WRITE;
/*!40000 ALTER TABLE `users` DISABLE KEYS */;
INSERT INTO `users` VALUES (1,'jdoe42','paid via PayPal\\r\\nO\\'Brien',1735689600,12.50),(2,'a\\\\b','say \\"hi\\"',NULL,-3.00),(3,'nul\\0z\\Z','tab\\there',-7,0);
/*!40000 ALTER TABLE `users` ENABLE KEYS */;
UNLOCK TABLES;
"""


def rows_of(data: bytes, tables: set[str] | None = None) -> list[SqlRow]:
    return list(iter_rows(io.BytesIO(data), tables))


def test_mysqldump_extended_insert_with_create_table_columns() -> None:
    rows = rows_of(DUMP)
    assert [r.values for r in rows] == [
        (1, "jdoe42", "paid via PayPal\r\nO'Brien", 1735689600, 12.5),
        (2, "a\\b", 'say "hi"', None, -3.0),
        (3, "nul\x00z\x1a", "tab\there", -7, 0),
    ]
    assert rows[0].columns == ("id", "username", "admin_notes", "exp_date", "credits")
    assert rows[0].table == "users" and rows[0].line == 22
    assert rows[1].as_dict()["exp_date"] is None
    assert table_names(io.BytesIO(DUMP)) == ["users"]


def test_every_escape_and_doubled_quotes() -> None:
    sql = (
        b"INSERT INTO t VALUES ('\\0\\'\\\"\\b\\n\\r\\t\\Z\\\\\\%\\_\\q','it''s','',\"dq \"\"x\"\" \\'\");\n"
    )
    (row,) = rows_of(sql)
    assert row.values == ("\x00'\"\b\n\r\t\x1a\\\\%\\_q", "it's", "", 'dq "x" \'')


def test_insert_variants_names_and_column_lists() -> None:
    sql = b"""INSERT IGNORE INTO `xtream_iptvpro`.`users` (`id`,`username`) VALUES (1,'a');
REPLACE INTO "lines" (id, username) VALUES (2,'b');
insert low_priority into streams VALUE (3,'c');
REPLACE users SET id=9;
"""
    rows = rows_of(sql)
    assert [(r.table, r.columns, r.values) for r in rows] == [
        ("users", ("id", "username"), (1, "a")),
        ("lines", ("id", "username"), (2, "b")),
        ("streams", (), (3, "c")),
    ]
    assert rows[2].as_dict() == {"c0": 3, "c1": "c"}
    assert table_names(io.BytesIO(sql)) == ["users", "lines", "streams"]


def test_binary_hex_bit_literals_and_numbers() -> None:
    sql = (
        b"INSERT INTO b VALUES (_binary 'a\\0b\xff',0x4142,X'0a0B',0xABC,b'0000000101',"
        b"-12,+4,1.50,-0.25,1e3,.5,NULL,null,TRUE,_utf8mb4'\xc3\xa9t\xc3\xa9');\n"
    )
    (row,) = rows_of(sql)
    assert row.values == (
        b"a\x00b\xff",
        b"AB",
        b"\n\x0b",
        b"\n\xbc",
        b"\x00\x05",
        -12,
        4,
        1.5,
        -0.25,
        1000.0,
        0.5,
        None,
        None,
        1,
        "été",
    )


def test_strings_spanning_lines_crlf_and_comments_between_statements() -> None:
    sql = (
        b"# hash comment\r\n/* block\r\ncomment; */\r\n-- dash comment\r\n"
        b"INSERT INTO notes VALUES (1,'line one;\r\nline two'),\r\n(2,'x');\r\n"
        b"INSERT INTO notes\r\n  VALUES\r\n  (3,'y');\r\n"
    )
    assert [r.values for r in rows_of(sql)] == [(1, "line one;\r\nline two"), (2, "x"), (3, "y")]


def test_delimiter_blocks_and_same_line_statements() -> None:
    sql = b"""DELIMITER ;;
CREATE PROCEDURE p() BEGIN
INSERT INTO t VALUES (99);
END ;;
DELIMITER ;
INSERT INTO t VALUES (1); INSERT INTO u VALUES (2);
INSERT INTO t VALUES (3) ON DUPLICATE KEY UPDATE x=VALUES(x);
"""
    assert [(r.table, r.values) for r in rows_of(sql)] == [("t", (1,)), ("u", (2,)), ("t", (3,))]


def test_table_filter_skips_other_tables() -> None:
    sql = b"INSERT INTO a VALUES (1,'it''s;\n');\nINSERT INTO b VALUES (2);\nINSERT INTO a VALUES (3);\n"
    assert [r.values for r in rows_of(sql, {"b"})] == [(2,)]
    assert table_names(io.BytesIO(sql)) == ["a", "b"]


def test_invalid_utf8_is_kept_visibly() -> None:
    (row,) = rows_of(b"INSERT INTO t VALUES ('caf\xe9','ok');\n")
    assert row.values == ("caf\\xe9", "ok")


def test_truncated_dump_yields_good_rows_then_raises_naming_the_line() -> None:
    data = DUMP + b"INSERT INTO `users` VALUES (4,'x','',NULL,1),(5,'y','"
    got: list[SqlRow] = []
    with pytest.raises(ParseError) as err:
        got.extend(iter_rows(io.BytesIO(data)))
    assert [r.values[0] for r in got] == [1, 2, 3, 4]
    assert err.value.line == 25 and "never closed" in str(err.value)


def test_unterminated_last_statement_is_reported() -> None:
    got: list[SqlRow] = []
    with pytest.raises(ParseError, match="cut off") as err:
        got.extend(iter_rows(io.BytesIO(b"INSERT INTO t VALUES (1),(2)")))
    assert [r.values for r in got] == [(1,), (2,)] and err.value.line == 1


def test_broken_statement_mid_dump_keeps_later_rows_and_reports_first_line() -> None:
    sql = b"INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2),(3,NOW(),4);\nINSERT INTO t VALUES (5);\n"
    got: list[SqlRow] = []
    with pytest.raises(ParseError, match="broken INSERT") as err:
        got.extend(iter_rows(io.BytesIO(sql)))
    assert [r.values for r in got] == [(1,), (2,), (5,)]
    assert err.value.line == 2


def test_long_statements_are_cut_into_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqldump, "BLOCK", 64)
    monkeypatch.setattr(sqldump, "PIECE", 32)
    monkeypatch.setattr(sqldump, "CHUNK", 16)
    tuples = [f"({i},'v{i} (a),(b) it\\'s','x\\\\')" for i in range(200)]
    sql = ("INSERT INTO t VALUES " + ",".join(tuples) + ";\nINSERT INTO t VALUES (7);\n").encode()
    rows = rows_of(sql)
    assert [r.values for r in rows] == [(i, f"v{i} (a),(b) it's", "x\\") for i in range(200)] + [(7,)]


def test_overlong_row_is_reported_and_memory_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqldump, "BLOCK", 256)
    monkeypatch.setattr(sqldump, "MAX_ROW", 4096)
    monkeypatch.setattr(sqldump, "PIECE", 128)
    monkeypatch.setattr(sqldump, "CHUNK", 100)
    sql = b"INSERT INTO t VALUES (1),('" + b"z" * 20000 + b"');\nINSERT INTO t VALUES (2);\n"
    got: list[SqlRow] = []
    with pytest.raises(ParseError, match="longer than"):
        got.extend(iter_rows(io.BytesIO(sql)))
    assert [r.values for r in got] == [(2,)] or [r.values for r in got] == [(1,), (2,)]


def test_sqlite_rows_with_rowid_and_without(tmp_path: Path) -> None:
    db = tmp_path / "panel.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE lines (id INTEGER PRIMARY KEY, username TEXT, exp_date INT, blob BLOB)")
    con.executemany(
        "INSERT INTO lines VALUES (?,?,?,?)", [(5, "jdoe42", 1735689600, b"\x00\x01"), (9, "b", None, None)]
    )
    con.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v REAL) WITHOUT ROWID")
    con.execute("INSERT INTO kv VALUES ('a', 1.5)")
    con.commit()
    con.close()
    rows = list(iter_sqlite_rows(db.read_bytes()))
    assert [(r.table, r.columns, r.values, r.line) for r in rows] == [
        ("lines", ("id", "username", "exp_date", "blob"), (5, "jdoe42", 1735689600, b"\x00\x01"), 5),
        ("lines", ("id", "username", "exp_date", "blob"), (9, "b", None, None), 9),
        ("kv", ("k", "v"), ("a", 1.5), 1),
    ]
    assert [r.table for r in iter_sqlite_rows(db.read_bytes(), {"kv"})] == ["kv"]


def test_sqlite_in_wal_mode_and_garbage(tmp_path: Path) -> None:
    db = tmp_path / "wal.db"
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (a)")
    con.execute("INSERT INTO t VALUES ('x')")
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    assert [r.values for r in iter_sqlite_rows(db.read_bytes())] == [("x",)]
    with pytest.raises(ParseError):
        list(iter_sqlite_rows(b"SQLite format 3\x00" + b"\xff" * 200))
    with pytest.raises(ParseError):
        list(iter_sqlite_rows(b"not a database"))


# ---------------------------------------------------------------------------------------- properties

_MYSQLDUMP_ESCAPES = {
    "\x00": "\\0",
    "\n": "\\n",
    "\r": "\\r",
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\x1a": "\\Z",
}
text_values = st.lists(
    st.sampled_from([*"aZ09 ,()[]{};'\"\\\n\r\t\x00\x1aNULnul-é€", "NULL", "),(", "null", "\\'"]),
    max_size=8,
).map("".join)
values = st.one_of(
    st.none(),
    st.integers(-(10**20), 10**20),
    text_values,
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)


def sql_literal(v: object, doubled: bool) -> str:
    """A value the way mysqldump writes it (or with doubled quotes, as some other tools do)."""
    if v is None:
        return "NULL"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, int):
        return str(v)
    assert isinstance(v, str)
    if doubled:
        return "'" + v.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + "".join(_MYSQLDUMP_ESCAPES.get(c, c) for c in v) + "'"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(values, min_size=1, max_size=5), min_size=1, max_size=6), st.booleans(), st.booleans()
)
def test_written_values_come_back_exactly(rows: list[list[object]], doubled: bool, crlf: bool) -> None:
    body = ",".join("(" + ",".join(sql_literal(v, doubled) for v in row) + ")" for row in rows)
    nl = "\r\n" if crlf else "\n"
    sql = f"INSERT INTO `t` VALUES {body};{nl}INSERT INTO t VALUES (1);{nl}".encode()
    got = [r.values for r in rows_of(sql)]
    assert got == [tuple(r) for r in rows] + [(1,)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(values, min_size=1, max_size=5), min_size=1, max_size=6))
def test_fast_path_agrees_with_exact_parser(rows: list[list[object]]) -> None:
    block = ",".join("(" + ",".join(sql_literal(v, False) for v in row) + ")" for row in rows).encode()
    exact: list[tuple[object, ...]] = []
    assert sqldump._exact_rows(block, exact) == (None, -1)
    fast = sqldump._fast_rows(block)
    if fast is not None:
        assert [tuple(r) for r in fast] == exact


def _consume(data: bytes) -> None:
    try:
        for row in iter_rows(io.BytesIO(data)):
            assert isinstance(row.values, tuple)
            assert all(v is None or isinstance(v, str | int | float | bytes) for v in row.values)
        table_names(io.BytesIO(data))
    except ParseError:
        pass


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_rows_or_parse_error(data: bytes) -> None:
    _consume(data)
    _consume(b"INSERT INTO t VALUES " + data)
    with contextlib.suppress(ParseError):
        list(iter_sqlite_rows(b"SQLite format 3\x00" + data))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(DUMP)), st.integers(0, len(DUMP) - 1), st.binary(min_size=1, max_size=4))
def test_truncated_and_mangled_dumps_never_crash(cut: int, at: int, junk: bytes) -> None:
    _consume(DUMP[:cut])
    _consume(DUMP[:at] + junk + DUMP[at + len(junk) :])


def test_hostile_inputs_do_not_hang() -> None:
    _consume(b"INSERT INTO t VALUES (" + b"(" * 50000 + b");\n")
    _consume(b"INSERT INTO t VALUES ('" + b"\\" * 300001 + b"');\n")
    _consume(b"x" * (3 << 20))
    _consume(b"INSERT INTO t VALUES (1,'" + b"a" * (2 << 20) + b"')," * 3 + b"(2);\n")

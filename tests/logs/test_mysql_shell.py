"""MySQL/MariaDB general query log (file, CSV table, dump rows) and shell histories."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from workbench.parsers.mysqllog import (
    MysqlLogEntry,
    entries_from_rows,
    iter_general_log,
    iter_general_log_csv,
    iter_general_log_dump,
)
from workbench.parsers.shell_history import HistoryEntry, iter_history, unmetafy
from workbench.parsers.sqldump import SqlRow
from workbench.parsers.syslog import UnparsedLine

MYSQL = b"""/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:
Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock
Time                 Id Command    Argument
2024-06-01T21:15:10.123456Z\t   31 Connect\tuser_iptvpro@localhost on xtream_iptvpro using Socket
2024-06-01T21:15:10.124001Z\t   31 Query\tSELECT * FROM users WHERE username='jdoe42'
2024-06-01T21:15:10.125000Z\t   31 Query\tUPDATE users
   SET last_activity = 1717276510
 WHERE id = 7
2024-06-01T21:15:11.000001Z\t   31 Quit\t
"""

MARIADB = b"""240601 21:15:10\t    32 Connect\troot@localhost as anonymous on\x20
\t\t    32 Query\tSHOW DATABASES
\t\t    32 Connect\tAccess denied for user 'root'@'203.0.113.5' (using password: YES)
240601 21:16:00\t    33 Init DB\tstream_cms
"""


def entries(data: bytes) -> list[MysqlLogEntry | UnparsedLine]:
    return list(iter_general_log(io.BytesIO(data)))


def test_mysql_8_layout_with_multiline_query() -> None:
    connect, select, update, quit_ = entries(MYSQL)
    assert isinstance(connect, MysqlLogEntry) and connect.line == 4
    assert connect.time == datetime(2024, 6, 1, 21, 15, 10, 123456, tzinfo=UTC) and not connect.zone_assumed
    assert (connect.command, connect.user, connect.host, connect.database) == (
        "Connect",
        "user_iptvpro",
        "localhost",
        "xtream_iptvpro",
    )
    assert (
        isinstance(select, MysqlLogEntry) and select.argument == "SELECT * FROM users WHERE username='jdoe42'"
    )
    assert isinstance(update, MysqlLogEntry)
    assert (
        update.argument == "UPDATE users\n   SET last_activity = 1717276510\n WHERE id = 7"
        and update.line == 6
    )
    assert isinstance(quit_, MysqlLogEntry) and quit_.command == "Quit" and quit_.argument == ""


def test_mariadb_layout_carries_the_stamp() -> None:
    connect, show, denied, init = entries(MARIADB)
    assert (
        isinstance(connect, MysqlLogEntry) and connect.zone_assumed and connect.source_tz == "UTC (assumed)"
    )
    assert connect.user == "root" and connect.database is None
    assert isinstance(show, MysqlLogEntry) and show.time_carried and show.time == connect.time
    assert isinstance(denied, MysqlLogEntry) and (denied.user, denied.host) == ("root", "203.0.113.5")
    assert isinstance(init, MysqlLogEntry) and init.command == "Init DB" and init.argument == "stream_cms"
    assert init.time == datetime(2024, 6, 1, 21, 16, tzinfo=UTC)


def test_lines_before_any_entry_are_unparsed_and_long_queries_capped() -> None:
    data = b"junk line\n2024-06-01T21:15:10Z\t 1 Query\tSELECT 1\n" + (b"x" * 70000 + b"\n") * 3
    junk, query = entries(data)
    assert isinstance(junk, UnparsedLine)
    assert isinstance(query, MysqlLogEntry) and query.truncated and len(query.argument) == 65536


def test_general_log_table_rows_from_a_dump_and_from_rows() -> None:
    dump = (
        b"CREATE TABLE `general_log` (`event_time` timestamp(6), `user_host` mediumtext, `thread_id` bigint, "
        b"`server_id` int, `command_type` varchar(64), `argument` mediumblob) ENGINE=CSV;\n"
        b"INSERT INTO `general_log` VALUES ('2024-06-01 21:15:10.123456','root[root] @ localhost [127.0.0.1]',31,1,"
        b"'Query',_binary 'SELECT 1'),('2024-06-01 21:15:11.000000','root[root] @ localhost []',31,1,'Quit','');\n"
    )
    first, second = iter_general_log_dump(io.BytesIO(dump))
    assert (first.command, first.argument, first.user, first.host, first.thread_id) == (
        "Query",
        "SELECT 1",
        "root",
        "127.0.0.1",
        31,
    )
    assert first.time == datetime(2024, 6, 1, 21, 15, 10, 123456, tzinfo=UTC) and first.line == 2
    assert second.host == "localhost"
    rows = [
        SqlRow(
            "general_log",
            ("event_time", "user_host", "thread_id", "server_id", "command_type", "argument"),
            ("2024-06-01 21:15:10", "u[u] @ h []", 5, 1, "Connect", b"u@h on db using TCP/IP"),
            9,
        )
    ]
    (entry,) = entries_from_rows(rows)
    assert (entry.user, entry.database, entry.line) == ("u", "db", 9)


def test_general_log_csv_engine_file() -> None:
    data = b'"2024-06-01 21:15:10.123456","root[root] @ localhost [127.0.0.1]",31,1,"Query","SELECT \\"x\\"\\nFROM t"\nbroken,row\n'
    entry, broken = iter_general_log_csv(io.BytesIO(data))
    assert isinstance(entry, MysqlLogEntry) and entry.argument == 'SELECT "x"\nFROM t'
    assert isinstance(broken, UnparsedLine)


def test_bash_history_with_and_without_stamps() -> None:
    data = b"ls\n#1717276510\nmysqldump -u user_iptvpro -p xtream_iptvpro > /root/backup_0601.sql\n#notastamp\n\n#1717276600\nscp a b\n"
    out = list(iter_history(io.BytesIO(data)))
    assert [(e.line, e.time, e.command, e.shell) for e in out] == [
        (1, None, "ls", "bash"),
        (
            3,
            datetime(2024, 6, 1, 21, 15, 10, tzinfo=UTC),
            "mysqldump -u user_iptvpro -p xtream_iptvpro > /root/backup_0601.sql",
            "bash",
        ),
        (4, datetime(2024, 6, 1, 21, 15, 10, tzinfo=UTC), "#notastamp", "bash"),
        (7, datetime(2024, 6, 1, 21, 16, 40, tzinfo=UTC), "scp a b", "bash"),
    ]


def test_zsh_extended_history_multiline_and_metafied() -> None:
    e_acute = unmetafy(b"\x83\xe3\x83\x89")
    assert e_acute == "é".encode()
    data = b": 1717276510:0;echo start\n: 1717276520:3;for f in *.sql; do \\\n  gzip $f\\\ndone\n: 1717276530:0;caf\x83\xe3\x83\x89\n"
    out = list(iter_history(io.BytesIO(data)))
    assert [(e.line, e.command, e.duration) for e in out] == [
        (1, "echo start", 0),
        (2, "for f in *.sql; do \n  gzip $f\ndone", 3),
        (5, "café", 0),
    ]
    assert out[0].time == datetime(2024, 6, 1, 21, 15, 10, tzinfo=UTC)


def test_bash_history_keeps_utf8_bytes_that_look_metafied() -> None:
    (entry,) = iter_history(io.BytesIO("echo σ\n".encode()))
    assert entry.command == "echo σ"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_mysql(data: bytes) -> None:
    for entry in iter_general_log(io.BytesIO(data)):
        assert isinstance(entry, MysqlLogEntry | UnparsedLine)
    for entry in iter_general_log_csv(io.BytesIO(data)):
        assert isinstance(entry, MysqlLogEntry | UnparsedLine)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([None, "bash", "zsh"]))
def test_arbitrary_bytes_history(data: bytes, shell: str | None) -> None:
    for entry in iter_history(io.BytesIO(data), shell):
        assert isinstance(entry, HistoryEntry)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(MYSQL)), st.binary(max_size=10))
def test_mangled_general_log(cut: int, junk: bytes) -> None:
    out = entries(MYSQL[:cut] + junk + MYSQL[cut:])
    assert sum(isinstance(e, MysqlLogEntry) for e in out) >= 3

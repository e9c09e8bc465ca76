"""MySQL / MariaDB general query log, as a file or as rows of the ``mysql.general_log`` table.

File layouts:

* MySQL 5.7+: ``2024-06-01T21:15:10.123456Z\\t   31 Connect\\tuser@host on db using Socket``
* MariaDB and MySQL ≤ 5.6: ``240601 21:15:10\\t    31 Query\\tSELECT …``; entries within the same
  second leave the stamp out (``\\t\\t    31 Query\\t…``) and carry the previous one.

A query spanning several lines continues on the following lines until the next entry; the
server's start-up banner (``… started with:``, ``Tcp port:``, ``Time  Id Command  Argument``) is
skipped. The table comes from a dump (``SqlRow`` objects of ``workbench.parsers.sqldump``) or from
the CSV-engine file ``mysql/general_log.CSV``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, BinaryIO

from workbench.parsers.syslog import (
    MAX_RAW_CHARS,
    UnparsedLine,
    cap,
    iter_text_lines,
    parse_rfc3339,
    zone_name,
)

if TYPE_CHECKING:
    from workbench.parsers.sqldump import SqlRow

MAX_ARGUMENT_CHARS = 65536  # a multi-line query is kept up to this many characters

COMMANDS = (
    "Binlog Dump GTID", "Binlog Dump", "Change user", "Close stmt", "Connect Out", "Connect", "Create DB",
    "Daemon", "Debug", "Delayed insert", "Drop DB", "Error", "Execute", "Fetch", "Field List", "Init DB",
    "Kill", "Long Data", "Ping", "Prepare", "Processlist", "Query", "Quit", "Refresh", "Register Slave",
    "Reset connection", "Reset stmt", "Set option", "Shutdown", "Sleep", "Statistics", "Table Dump", "Time",
)  # fmt: skip
_COMMAND = "|".join(re.escape(c) for c in COMMANDS)
_ISO_ENTRY = re.compile(
    r"(?P<stamp>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)?)\s+(?P<id>\d{1,20})\s(?P<cmd>"
    + _COMMAND
    + r")(?:\t(?P<arg>.*))?",
    re.DOTALL,
)
_SHORT_ENTRY = re.compile(
    r"(?:(?P<date>\d{6})\s{1,2}(?P<time>\d{1,2}:\d\d:\d\d)|\t)\t?\s*(?P<id>\d{1,20})\s(?P<cmd>"
    + _COMMAND
    + r")(?:\t(?P<arg>.*))?",
    re.DOTALL,
)
_BANNER = re.compile(r".{0,300}, Version: .{0,300}started with:|Tcp port: |Time\s+Id\s+Command\s+Argument")
_CONNECT = re.compile(
    r"(?P<user>[^@\s]{0,128})@(?P<host>[^\s]{0,255})(?: as \S+)?(?: on ?(?P<db>\S*))?(?: using (?P<via>.+))?"
)
_DENIED = re.compile(r"Access denied for user '(?P<user>[^']{0,128})'@'(?P<host>[^']{0,255})'")
_USER_HOST = re.compile(
    r"(?P<user>[^\[\s]{0,128})\[[^\]]{0,128}\] @ (?P<host>\S{0,255}) \[(?P<ip>[^\]]{0,64})\]"
)


@dataclass(frozen=True)
class MysqlLogEntry:
    """One entry of the general query log."""

    line: int  # first line of the entry (table rows: the row's line in the dump or CSV file)
    time: datetime | None  # UTC
    time_carried: bool  # the entry had no stamp: it took the previous entry's
    zone_assumed: bool
    source_tz: str
    thread_id: int | None
    command: str
    argument: str
    user: str | None = None
    host: str | None = None
    database: str | None = None
    raw: str = ""  # the first line as written, capped
    truncated: bool = False  # the argument was cut at MAX_ARGUMENT_CHARS


def _connect_details(command: str, argument: str) -> tuple[str | None, str | None, str | None]:
    if command not in ("Connect", "Change user"):
        return None, None, None
    denied = _DENIED.search(argument)
    if denied:
        return denied.group("user"), denied.group("host"), None
    m = _CONNECT.match(argument)
    if m is None:
        return None, None, None
    return m.group("user") or None, m.group("host") or None, m.group("db") or None


def _short_stamp(date: str, clock: str, tz: tzinfo) -> datetime | None:
    hour, minute, second = (int(p) for p in clock.split(":"))
    try:
        local = datetime(
            2000 + int(date[:2]), int(date[2:4]), int(date[4:6]), hour, minute, second, tzinfo=tz
        )
    except ValueError:
        return None
    return local.astimezone(UTC)


def iter_general_log(stream: BinaryIO, tz: tzinfo = UTC) -> Iterator[MysqlLogEntry | UnparsedLine]:
    """Stream a general query log file as entries; ``tz`` is assumed for stamps without a zone."""
    pending: MysqlLogEntry | None = None
    parts: list[str] = []
    size = 0
    last_time: datetime | None = None
    last_zone = (f"{zone_name(tz)} (assumed)", True)

    def finish() -> MysqlLogEntry | None:
        if pending is None:
            return None
        argument = "\n".join(parts)
        return replace(
            pending,
            argument=argument[:MAX_ARGUMENT_CHARS],
            truncated=pending.truncated or size > MAX_ARGUMENT_CHARS,
        )

    for number, text, line_truncated in iter_text_lines(stream):
        m = _ISO_ENTRY.match(text) or _SHORT_ENTRY.match(text)
        if m is None:
            if _BANNER.match(text):
                done = finish()
                if done:
                    yield done
                pending, parts, size = None, [], 0
            elif pending is not None:
                if size <= MAX_ARGUMENT_CHARS:
                    parts.append(text)
                size += len(text) + 1
            elif text.strip():
                yield UnparsedLine(number, cap(text), "not a general-log entry", line_truncated)
            continue
        done = finish()
        if done:
            yield done
        groups = m.groupdict()
        carried = False
        when: datetime | None
        if groups.get("stamp"):
            parsed = parse_rfc3339(groups["stamp"], tz)
            when, zone = (parsed[0], (parsed[1], parsed[2])) if parsed else (None, last_zone)
        elif groups.get("date"):
            when, zone = (
                _short_stamp(groups["date"], groups["time"], tz),
                (f"{zone_name(tz)} (assumed)", True),
            )
        else:
            when, zone, carried = last_time, last_zone, True
        last_time, last_zone = when, zone
        command, argument = groups["cmd"], groups.get("arg") or ""
        user, host, database = _connect_details(command, argument)
        pending = MysqlLogEntry(
            line=number,
            time=when,
            time_carried=carried,
            zone_assumed=zone[1],
            source_tz=zone[0],
            thread_id=int(groups["id"]),
            command=command,
            argument="",
            user=user,
            host=host,
            database=database,
            raw=text[:MAX_RAW_CHARS],
            truncated=line_truncated,
        )
        parts, size = [argument[:MAX_ARGUMENT_CHARS]], len(argument)
    done = finish()
    if done:
        yield done


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)


def entry_from_table_row(values: dict[str, object], line: int, tz: tzinfo = UTC) -> MysqlLogEntry | None:
    """One ``mysql.general_log`` row (event_time, user_host, thread_id, server_id, command_type,
    argument) to an entry; None when the row lacks a command."""
    command = _text(values.get("command_type")).strip()
    if not command:
        return None
    stamp = _text(values.get("event_time")).strip()
    parsed = parse_rfc3339(stamp, tz) if stamp else None
    argument = _text(values.get("argument"))
    user = host = None
    m = _USER_HOST.match(_text(values.get("user_host")))
    if m is not None:
        user, host = m.group("user") or None, m.group("ip") or m.group("host") or None
    c_user, c_host, database = _connect_details(command, argument)
    thread = _text(values.get("thread_id")).strip()
    thread_id = int(thread) if thread.isascii() and thread.isdigit() and len(thread) <= 20 else None
    return MysqlLogEntry(
        line=line,
        time=parsed[0] if parsed else None,
        time_carried=False,
        zone_assumed=parsed[2] if parsed else True,
        source_tz=parsed[1] if parsed else f"{zone_name(tz)} (assumed)",
        thread_id=thread_id,
        command=command,
        argument=argument[:MAX_ARGUMENT_CHARS],
        user=user or c_user,
        host=host or c_host,
        database=database,
        raw=cap(f"{stamp}\t{_text(values.get('user_host'))}\t{command}\t{argument}"),
        truncated=len(argument) > MAX_ARGUMENT_CHARS,
    )


def entries_from_rows(rows: Iterable[SqlRow], tz: tzinfo = UTC) -> Iterator[MysqlLogEntry]:
    """Entries from ``general_log`` rows of a SQL dump (as ``sqldump.iter_rows`` yields them)."""
    for row in rows:
        if row.table.lower() != "general_log":
            continue
        entry = entry_from_table_row(row.as_dict(), row.line, tz)
        if entry is not None:
            yield entry


def iter_general_log_dump(stream: BinaryIO, tz: tzinfo = UTC) -> Iterator[MysqlLogEntry]:
    """Entries from the ``mysql.general_log`` table of a mysqldump file."""
    from workbench.parsers import sqldump  # owned by the SQL dump parser; imported when needed

    yield from entries_from_rows(sqldump.iter_rows(stream, tables={"general_log"}), tz)


_CSV_FIELD = re.compile(r'"((?:[^"\\]|\\.)*)"|([^,]*)', re.DOTALL)
_CSV_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "Z": "\x1a"}
_TABLE_COLUMNS = ("event_time", "user_host", "thread_id", "server_id", "command_type", "argument")


def _csv_unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _CSV_ESCAPES.get(m.group(1), m.group(1)), body, flags=re.DOTALL)


def iter_general_log_csv(stream: BinaryIO, tz: tzinfo = UTC) -> Iterator[MysqlLogEntry | UnparsedLine]:
    """Entries from the CSV-engine file of the table (``/var/lib/mysql/mysql/general_log.CSV``)."""
    for number, text, truncated in iter_text_lines(stream):
        if not text.strip():
            continue
        values: list[str] = []
        pos = 0
        while pos <= len(text) and len(values) < len(_TABLE_COLUMNS):
            m = _CSV_FIELD.match(text, pos)
            if m is None:
                break
            quoted, bare = m.groups()
            values.append(_csv_unescape(quoted) if quoted is not None else bare)
            pos = m.end() + 1
        entry = (
            entry_from_table_row(dict(zip(_TABLE_COLUMNS, values, strict=False)), number, tz)
            if len(values) == 6
            else None
        )
        if entry is None:
            yield UnparsedLine(number, cap(text), "not a general_log CSV row", truncated)
        else:
            yield entry

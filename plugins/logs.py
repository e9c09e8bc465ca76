"""Server logs: web access logs, auth logs, syslog, the MySQL general log and shell histories.

Every parsed line becomes a ``log.event`` on the timeline; each file also gets a ``log.file``
summary (lines, events, lines that did not parse, time span, the year/zone assumptions made).
After all files, ``correlate`` links panel stream requests to the IPTV subscribers they log in
as, and picks out the highlights an examiner looks for first: admin logins, the busiest client
IPs, how root was reached, and what was run around the last ``mysqldump``.
"""

from __future__ import annotations

import gzip
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, cast

from workbench.parsers.accesslog import AccessRecord, iter_access_log
from workbench.parsers.authlog import AuthEvent, iter_auth_log
from workbench.parsers.errors import ParseError
from workbench.parsers.mysqllog import (
    MysqlLogEntry,
    iter_general_log,
    iter_general_log_csv,
    iter_general_log_dump,
)
from workbench.parsers.shell_history import HistoryEntry, iter_history
from workbench.parsers.syslog import (
    SyslogRecord,
    UnparsedLine,
    escape_control,
    first_year_from_end,
    iter_syslog,
)

from workbench.plugin_api import Artefact, ArtefactKind, CaseReader, Field, FileView, Plugin, figure

MAX_FIELD_CHARS = 4096  # longest text kept in one event field (the raw line is already capped)
NEAR_DUMP = timedelta(hours=1)  # window around the last mysqldump for "commands_near_mysqldump"
TOP_IPS = 10
GZIP_PIECE = 1 << 16
SNIFF_LINES = 50  # a file whose first lines hold no entry of its format is not that log

LOG_TYPES = ("access", "auth", "syslog", "mysql", "shell")
STREAM_KINDS = frozenset({"live", "movie", "series", "timeshift"})

LOG_EVENT = ArtefactKind(
    "log.event",
    "Log event",
    description="One line (or entry) of a server log, with its time in UTC and the assumptions made to get it.",
    fields=(
        Field("time", "datetime", "When (UTC)"),
        Field(
            "time_inferred",
            "bool",
            "Part of the time was inferred (year from the file's mtime, or carried over)",
        ),
        Field("source_tz", "str", "Zone written in the log, or the one assumed"),
        Field("log_type", "str", "access | auth | syslog | mysql | shell", key=True),
        Field("source_file", "str", "Path of the log file"),
        Field("line_number", "int", "Line in the (decompressed) file", key=True),
        Field("host", "str", "Host name written in the line, or the vhost"),
        Field("program", "str", "Program (syslog), or the shell"),
        Field("user", "str", "Account: log-in user, sudo user, HTTP user, panel user, history owner"),
        Field("ip", "str", "Client / remote address"),
        Field("port", "int", "Remote port"),
        Field("action", "str", "What happened: request, stream, accepted, failed, sudo, Query, command …"),
        Field("method", "str", "HTTP method, or authentication method"),
        Field("path", "str", "Request path"),
        Field("query", "str", "Request query string"),
        Field("status", "int", "HTTP status"),
        Field("bytes", "int", "Bytes sent"),
        Field("referer", "str", "HTTP referer"),
        Field("user_agent", "str", "HTTP user agent"),
        Field("key_type", "str", "SSH key type"),
        Field("key_fingerprint", "str", "SSH key fingerprint (SHA256:…)"),
        Field("command", "str", "Command run (sudo, shell) or SQL statement"),
        Field("subscriber_username", "str", "Xtream panel user name in a stream / API request"),
        Field("subscriber_password", "str", "Xtream panel password in that request", secret=True),
        Field("stream_id", "str", "Stream / VOD id requested"),
        Field("message", "str", "The line as written (control characters escaped)"),
    ),
    time_field="time",
    time_description="Log line",
    summary_fields=("time", "log_type", "action", "user", "ip", "message"),
)

LOG_FILE = ArtefactKind(
    "log.file",
    "Log file",
    description="What one log file held: lines, events, unreadable lines, time span and assumptions.",
    fields=(
        Field("source_file", "str", "Path of the log file", key=True),
        Field("log_type", "str", "access | auth | syslog | mysql | shell", key=True),
        Field("lines", "int", "Lines read (last line number)"),
        Field("events", "int", "log.event artefacts emitted"),
        Field("unparsed", "int", "Non-blank lines that did not parse (kept out of the timeline)"),
        Field("truncated", "int", "Over-long lines cut (the rest of each was skipped)"),
        Field("first", "datetime", "Earliest event time"),
        Field("last", "datetime", "Latest event time"),
        Field("assumption", "str", "Year / zone assumptions used for this file"),
        Field("error", "str", "Why reading stopped early (damaged compression, broken dump …)"),
    ),
    summary_fields=("source_file", "log_type", "lines", "events", "unparsed", "first"),
)

SUBSCRIBER_LINK = ArtefactKind(
    "log.subscriber_link",
    "Subscriber seen in access logs",
    description="Panel stream/API requests in web access logs made with an IPTV subscriber's user name.",
    fields=(
        Field("subscriber", "str", "Subscriber user name", key=True),
        Field("panel", "str", "Panel the subscriber belongs to", key=True),
        Field("requests", "int", "Requests made with that user name"),
        Field("stream_requests", "int", "Of which live/movie/series/timeshift streams"),
        Field("first", "datetime", "First request (UTC)"),
        Field("last", "datetime", "Last request (UTC)", timeline="Last request by subscriber"),
        Field("ips", "list", "Client IPs, most frequent first"),
        Field("password_matches", "bool", "Every request carried the subscriber's stored password"),
        Field("log_files", "list", "Access logs the requests are in"),
    ),
    time_field="first",
    time_description="First request by subscriber",
    summary_fields=("subscriber", "requests", "first", "last", "ips"),
)

HIGHLIGHT = ArtefactKind(
    "log.highlight",
    "Log highlight",
    description="Something in the logs an examiner looks at first (admin logins, busiest IPs, root access, activity around a database dump).",
    fields=(
        Field(
            "category",
            "str",
            "first_admin_login, last_admin_login, top_client_ip, root_login_source, last_mysqldump, command_near_mysqldump",
            key=True,
        ),
        Field("time", "datetime", "When (UTC)", key=True),
        Field("ip", "str", "Address involved", key=True),
        Field("user", "str", "Account involved", key=True),
        Field("detail", "str", "What it is", key=True),
        Field("count", "int", "How many lines it stands for"),
        Field("source", "str", "Log file and line"),
    ),
    time_field="time",
    time_description="Log highlight",
    summary_fields=("category", "time", "user", "ip", "detail", "count"),
)


def log_type_of(path: str) -> str | None:
    """Which log a path names (by file name), or None."""
    name = path.rsplit("/", 1)[-1]
    base = name[:-3] if name.endswith(".gz") else name
    if base in (".bash_history", ".zsh_history", ".history"):
        return "shell"
    if "access" in base and ("log" in base):
        return "access"
    if base.startswith(("auth.log", "secure")):
        return "auth"
    if base.startswith(("syslog", "messages")):
        return "syslog"
    if ("mysql" in base or "general" in base or "mariadb" in base) and (
        ".log" in base or base.lower().endswith((".csv", ".sql"))
    ):
        return "mysql"
    return None


def _user_of_history(path: str) -> str | None:
    parts = path.split("/")
    if len(parts) > 2 and parts[1] == "root":
        return "root"
    if len(parts) > 3 and parts[1] == "home":
        return parts[2]
    return None


def _mtime(file: FileView) -> datetime | None:
    if not file.mtime:
        return None
    try:
        stamp = datetime.fromisoformat(file.mtime.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _short(text: str | None) -> str | None:
    if text is None:
        return None
    return escape_control(text[:MAX_FIELD_CHARS])


@dataclass
class _Tally:
    """Per-file counters for the ``log.file`` summary."""

    lines: int = 0
    events: int = 0
    unparsed: int = 0
    truncated: int = 0
    first: datetime | None = None
    last: datetime | None = None
    error: str | None = None
    assumptions: list[str] = field(default_factory=list)

    def saw(self, when: datetime | None) -> None:
        self.events += 1
        if when is not None:
            self.first = when if self.first is None or when < self.first else self.first
            self.last = when if self.last is None or when > self.last else self.last


class _GzipReader:
    """Decompresses a gzip-rotated log; damage (a truncated or corrupt file) ends the stream after
    the last good bytes and is noted in the file's summary instead of losing the whole file."""

    def __init__(self, raw: BinaryIO, tally: _Tally) -> None:
        self._gzip = gzip.GzipFile(fileobj=raw, mode="rb")
        self._tally = tally
        self._failed = False

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` decompressed bytes (all when negative); b"" at the end or after damage."""
        out = bytearray()
        if self._failed:
            return b""
        try:
            while size < 0 or len(out) < size:
                chunk = self._gzip.read1(GZIP_PIECE if size < 0 else min(GZIP_PIECE, size - len(out)))
                if not chunk:
                    break
                out += chunk
        except (OSError, EOFError, zlib.error) as exc:
            self._failed = True
            self._tally.error = f"damaged gzip after {self._gzip.tell()} bytes: {type(exc).__name__}: {exc}"[
                :500
            ]
        return bytes(out)


class LogsPlugin(Plugin):
    """Web access, auth, syslog, MySQL general log and shell history files as timeline events."""

    name = "logs"
    version = "1.0"
    description = "Server logs as timeline events; subscriber links and log highlights"
    kinds = (LOG_EVENT, LOG_FILE, SUBSCRIBER_LINK, HIGHLIGHT)
    globs = (
        "*/access.log*",
        "*access_log*",
        "*/auth.log*",
        "*/secure*",
        "*/syslog*",
        "*/messages*",
        "*mysql*.log",
        "*mysql*.log.*",
        "*general*.log",
        "*general*.log.*",
        "*general_log*.CSV",
        "*general_log*.sql",
        "*/.bash_history",
        "*/.zsh_history",
    )

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """One ``log.event`` per parsed line and one ``log.file`` summary."""
        log_type = log_type_of(file.path)
        if log_type is None or file.decompressed_from is not None:
            return  # a rotated .gz is read here from the file itself (its name and mtime are the evidence)
        tally = _Tally()
        events = self._events(file, log_type, tally)
        try:
            yield from events
        except (OSError, EOFError, zlib.error, ParseError) as exc:
            tally.error = f"{type(exc).__name__}: {exc}"[:500]
        if tally.events == 0 and tally.error is None:
            return  # nothing in it is a log of this type
        yield LOG_FILE(
            source_file=file.path,
            log_type=log_type,
            lines=tally.lines,
            events=tally.events,
            unparsed=tally.unparsed,
            truncated=tally.truncated,
            first=tally.first,
            last=tally.last,
            assumption="; ".join(tally.assumptions),
            error=tally.error,
        )

    @staticmethod
    def _open(file: FileView, tally: _Tally) -> BinaryIO:
        stream = file.open()
        if file.path.endswith(".gz"):
            return cast(BinaryIO, _GzipReader(stream, tally))
        return stream

    def _events(self, file: FileView, log_type: str, tally: _Tally) -> Iterator[Artefact]:
        source = file.path
        if log_type == "access":
            records: Iterable[Any] = iter_access_log(self._open(file, tally))
            build = _access_event
        elif log_type in ("auth", "syslog"):
            end = _mtime(file)
            if end is not None:
                year = first_year_from_end(self._open(file, tally), end)
                tally.assumptions.append(
                    f"year of BSD stamps from file mtime {end.date().isoformat()} (first line: {year})"
                )
            else:
                year = 1970
                tally.assumptions.append("no file mtime: BSD stamps without a year were given 1970")
            tally.assumptions.append("stamps without a zone taken as UTC")
            records = (iter_auth_log if log_type == "auth" else iter_syslog)(self._open(file, tally), year)
            build = _auth_event if log_type == "auth" else _syslog_event
        elif log_type == "mysql":
            lower = file.path.lower()
            if lower.endswith(".sql"):
                records = iter_general_log_dump(self._open(file, tally))
            elif lower.endswith(".csv"):
                records = iter_general_log_csv(self._open(file, tally))
            else:
                records = iter_general_log(self._open(file, tally))
            tally.assumptions.append("stamps without a zone taken as UTC")
            build = _mysql_event
        else:
            user = _user_of_history(file.path)
            records = iter_history(self._open(file, tally))
            build = _shell_event_for(user)
        sniffed = 0
        for record in records:
            line = record.line
            tally.lines = max(tally.lines, line)
            if getattr(record, "truncated", False):
                tally.truncated += 1
            if isinstance(record, UnparsedLine):
                tally.unparsed += 1
                sniffed += 1
                if tally.events == 0 and sniffed >= SNIFF_LINES:
                    return  # the first lines hold nothing of this format: not this log
                continue
            artefact = build(record, source)
            tally.saw(_parse_time(artefact.fields.get("time")))
            yield artefact

    def correlate(self, store: CaseReader) -> Iterable[Artefact]:
        """Subscriber links, highlights and figures over every stored log event."""
        return correlate_logs(store.artefacts(kind=LOG_EVENT.name), store.artefacts(kind="iptv.subscriber"))


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _access_event(record: AccessRecord, source: str) -> Artefact:
    xtream = record.xtream
    action = "request" if xtream is None else "stream" if xtream.kind in STREAM_KINDS else "panel_api"
    return LOG_EVENT(
        time=record.time,
        time_inferred=False,
        source_tz=record.tz_offset,
        log_type="access",
        source_file=source,
        line_number=record.line,
        host=record.vhost,
        user=xtream.username if xtream else record.user,
        ip=record.ip,
        action=action,
        method=_short(record.method),
        path=_short(record.path),
        query=_short(record.query),
        status=record.status,
        bytes=record.bytes_sent,
        referer=_short(record.referer),
        user_agent=_short(record.user_agent),
        subscriber_username=_short(xtream.username) if xtream else None,
        subscriber_password=_short(xtream.password) if xtream else None,
        stream_id=_short(xtream.stream_id) if xtream else None,
        message=escape_control(record.raw),
        line=record.line,
    )


def _auth_event(record: AuthEvent, source: str) -> Artefact:
    return LOG_EVENT(
        time=record.time,
        time_inferred=record.year_inferred,
        source_tz=record.source_tz,
        log_type="auth",
        source_file=source,
        line_number=record.line,
        host=record.host,
        program=record.program,
        user=_short(record.user),
        ip=record.ip,
        port=record.port,
        action=record.event,
        method=record.method,
        key_type=record.key_type,
        key_fingerprint=record.key_fingerprint,
        command=_short(record.command),
        message=escape_control(record.raw),
        line=record.line,
    )


def _syslog_event(record: SyslogRecord, source: str) -> Artefact:
    return LOG_EVENT(
        time=record.time,
        time_inferred=record.year_inferred,
        source_tz=record.source_tz,
        log_type="syslog",
        source_file=source,
        line_number=record.line,
        host=record.host,
        program=record.program,
        action="message",
        message=escape_control(record.raw),
        line=record.line,
    )


def _mysql_event(record: MysqlLogEntry, source: str) -> Artefact:
    return LOG_EVENT(
        time=record.time,
        time_inferred=record.time_carried,
        source_tz=record.source_tz,
        log_type="mysql",
        source_file=source,
        line_number=record.line,
        host=record.host,
        program="mysqld",
        user=record.user,
        action=record.command,
        command=_short(record.argument),
        message=escape_control(record.raw),
        line=record.line,
    )


def _shell_event_for(user: str | None) -> Any:
    def build(record: HistoryEntry, source: str) -> Artefact:
        return LOG_EVENT(
            time=record.time,
            time_inferred=False,
            source_tz="UTC (epoch stamp)" if record.time else "no time stamp",
            log_type="shell",
            source_file=source,
            line_number=record.line,
            program=record.shell,
            user=user,
            action="command",
            command=_short(record.command),
            message=escape_control(record.raw or record.command),
            line=record.line,
        )

    return build


# --- correlation -------------------------------------------------------------------------------


@dataclass
class _Usage:
    """Requests made with one panel user name."""

    requests: int = 0
    streams: int = 0
    first: datetime | None = None
    last: datetime | None = None
    ips: Counter[str] = field(default_factory=Counter)
    passwords: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)


@dataclass
class _Shell:
    time: datetime
    user: str | None
    command: str
    source: str


def _where(event: Artefact) -> str:
    return f"{event.fields.get('source_file')}:{event.fields.get('line_number')}"


def correlate_logs(events: Iterable[Artefact], subscribers: Iterable[Artefact]) -> Iterator[Artefact]:
    """Subscriber links, highlights and figures from stored ``log.event`` and ``iptv.subscriber`` artefacts."""
    by_type: Counter[str] = Counter()
    usage: dict[str, _Usage] = defaultdict(_Usage)
    ip_requests: Counter[str] = Counter()
    ip_first: dict[str, datetime] = {}
    accepted: list[tuple[datetime, Artefact]] = []
    sudo_users: set[str] = set()
    shell: list[_Shell] = []
    for event in events:
        f = event.fields
        log_type = str(f.get("log_type") or "")
        by_type[log_type] += 1
        when = _parse_time(f.get("time"))
        if log_type == "access":
            ip = str(f.get("ip") or "")
            ip_requests[ip] += 1
            if when is not None and (ip not in ip_first or when < ip_first[ip]):
                ip_first[ip] = when
            name = f.get("subscriber_username")
            if name:
                u = usage[str(name)]
                u.requests += 1
                u.streams += f.get("action") == "stream"
                if when is not None:
                    u.first = when if u.first is None or when < u.first else u.first
                    u.last = when if u.last is None or when > u.last else u.last
                u.ips[ip] += 1
                u.passwords.add(str(f.get("subscriber_password") or ""))
                u.files.add(str(f.get("source_file") or ""))
        elif log_type == "auth":
            action = f.get("action")
            if action == "accepted" and when is not None:
                accepted.append((when, event))
            elif action == "sudo" and f.get("user"):
                sudo_users.add(str(f.get("user")))
        elif log_type == "shell" and when is not None and f.get("command"):
            shell.append(_Shell(when, f.get("user"), str(f.get("command")), _where(event)))

    yield from _subscriber_links(usage, subscribers)
    yield from _admin_highlights(accepted, sudo_users)
    for ip, count in sorted(ip_requests.items(), key=lambda item: (-item[1], item[0]))[:TOP_IPS]:
        yield HIGHLIGHT(
            category="top_client_ip",
            time=ip_first.get(ip),
            ip=ip,
            detail=f"{count} access-log requests",
            count=count,
        )
    yield from _dump_highlights(shell)
    for log_type in LOG_TYPES:
        yield figure(
            "log",
            f"log events ({log_type})",
            by_type.get(log_type, 0),
            f"log.event artefacts with log_type {log_type}",
        )


def _subscriber_links(usage: dict[str, _Usage], subscribers: Iterable[Artefact]) -> Iterator[Artefact]:
    linked = 0
    seen: set[tuple[str, str]] = set()
    for subscriber in subscribers:
        name = str(subscriber.fields.get("username") or "")
        panel = str(subscriber.fields.get("panel") or "")
        u = usage.get(name)
        if u is None or (name, panel) in seen:
            continue
        seen.add((name, panel))
        linked += 1
        yield SUBSCRIBER_LINK(
            subscriber=name,
            panel=panel,
            requests=u.requests,
            stream_requests=u.streams,
            first=u.first,
            last=u.last,
            ips=[ip for ip, _ in sorted(u.ips.items(), key=lambda item: (-item[1], item[0]))],
            password_matches=u.passwords == {str(subscriber.fields.get("password") or "")},
            log_files=sorted(u.files),
        )
    yield figure(
        "log",
        "subscribers seen in access logs",
        linked,
        "iptv.subscriber user names that made panel requests in web access logs (log.subscriber_link)",
    )


def _admin_highlights(accepted: list[tuple[datetime, Artefact]], sudo_users: set[str]) -> Iterator[Artefact]:
    admins = {"root"} | sudo_users
    admin_logins = sorted(
        ((when, _where(event), event) for when, event in accepted if event.fields.get("user") in admins),
        key=lambda item: (item[0], item[1]),
    )
    if admin_logins:
        for category, (when, where, event) in (
            ("first_admin_login", admin_logins[0]),
            ("last_admin_login", admin_logins[-1]),
        ):
            f = event.fields
            key = f" {f.get('key_type')} {f.get('key_fingerprint')}" if f.get("key_fingerprint") else ""
            yield HIGHLIGHT(
                category=category,
                time=when,
                ip=f.get("ip"),
                user=f.get("user"),
                detail=f"accepted {f.get('method')}{key} for {f.get('user')}",
                count=len(admin_logins),
                source=where,
            )
    sources: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
    for when, event in accepted:
        f = event.fields
        if f.get("user") != "root":
            continue
        how = (
            f"{f.get('method')} {f.get('key_type')} {f.get('key_fingerprint')}"
            if f.get("key_fingerprint")
            else str(f.get("method"))
        )
        sources[(str(f.get("ip") or ""), how)].append((when, _where(event)))
    for (ip, how), logins in sorted(sources.items()):
        logins.sort()
        yield HIGHLIGHT(
            category="root_login_source",
            time=logins[0][0],
            ip=ip,
            user="root",
            detail=f"root logged in by {how} ({len(logins)}x, last {logins[-1][0].isoformat()})",
            count=len(logins),
            source=logins[0][1],
        )


def _dump_highlights(shell: list[_Shell]) -> Iterator[Artefact]:
    dumps = [s for s in shell if "mysqldump" in s.command]
    if not dumps:
        return
    last = max(dumps, key=lambda s: (s.time, s.source))
    yield HIGHLIGHT(
        category="last_mysqldump",
        time=last.time,
        user=last.user,
        detail=last.command[:MAX_FIELD_CHARS],
        count=len(dumps),
        source=last.source,
    )
    for s in sorted(shell, key=lambda s: (s.time, s.source)):
        if s is not last and abs(s.time - last.time) <= NEAR_DUMP:
            yield HIGHLIGHT(
                category="command_near_mysqldump",
                time=s.time,
                user=s.user,
                detail=s.command[:MAX_FIELD_CHARS],
                count=1,
                source=s.source,
            )


PLUGINS = (LogsPlugin,)

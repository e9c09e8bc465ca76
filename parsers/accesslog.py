"""nginx / Apache access logs (combined and common formats, optionally with a vhost prefix).

Streams a binary log line by line: one compiled regex per line, time stamps converted through a
cache keyed on their text, and for IPTV panel requests the Xtream credentials taken from
``/live/U/P/ID.ext``, ``/movie/…``, ``/series/…``, ``/timeshift/…`` and the ``get.php`` /
``player_api.php`` / ``xmltv.php`` query strings. Lines that do not parse come back as
:class:`~workbench.parsers.syslog.UnparsedLine`; gzip-rotated files are the caller's to decompress.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO
from urllib.parse import unquote_plus

from workbench.parsers.syslog import MAX_RAW_CHARS, MONTHS, UnparsedLine, iter_line_blocks

MAX_PARSED_CHARS = 65536  # longer lines are cut here before matching (their raw text is capped anyway)

# Fast path: quoted fields as [^"]* (the regex engine runs single-character classes natively, 3x
# faster than the escape-aware form) and an HTTP request line split by the regex itself. A field
# holding a backslash may hide an escaped quote, so such lines, and lines the fast regex rejects,
# are re-read with the escape-aware regex and the request is split afterwards.
_FAST = re.compile(
    r'(?:(\S+) )??(\S+) (\S+) (\S+) \[([^\]]{1,64})\] "(([A-Z]+) (\S+) (HTTP/[0-9.]+)|[^"]*)" '
    r'(\d{3}|-) (\d{1,19}|-)(?: "([^"]*)" "([^"]*)")?'
)
_REQUEST = re.compile(r"([A-Z]+) (\S+) (HTTP/[0-9.]+)")
_QUOTED = r'[^"\\]*(?:\\.[^"\\]*)*'
_CAREFUL = re.compile(
    rf'(?:(\S+) )??(\S+) (\S+) (\S+) \[([^\]]{{1,64}})\] "({_QUOTED})" (\d{{3}}|-) (\d{{1,19}}|-)'
    rf'(?: "({_QUOTED})" "({_QUOTED})")?',
    re.DOTALL,
)

_STREAM_PREFIXES = ("/live/", "/movie/", "/series/", "/timeshift/")
_API_SCRIPTS = ("/get.php", "/player_api.php", "/xmltv.php", "/panel_api.php", "/enigma2.php")


@dataclass(frozen=True)
class XtreamRequest:
    """The Xtream Codes credentials and target of one panel request."""

    kind: str  # live | movie | series | timeshift | playlist | player_api | xmltv | panel_api | enigma2
    username: str
    password: str
    stream_id: str | None = None  # the id without extension, e.g. "1187"
    extension: str | None = None  # ts, m3u8, mkv …
    action: str | None = None  # player_api action, or the playlist type


@dataclass(frozen=True)
class AccessRecord:
    """One access-log line."""

    line: int
    time: datetime  # UTC
    tz_offset: str  # the zone written in the line, e.g. "+0200"
    ip: str
    ident: str | None
    user: str | None
    vhost: str | None
    request: str  # as written between the quotes
    method: str | None
    path: str | None
    query: str | None  # None when the request had no "?"
    protocol: str | None
    status: int | None
    bytes_sent: int | None
    referer: str | None
    user_agent: str | None
    xtream: XtreamRequest | None
    raw: str  # the line, capped to MAX_RAW_CHARS
    truncated: bool = False  # the line was longer than what was kept


# Records are built by filling the instance dict of a fresh object instead of calling the frozen
# dataclass __init__ (which sets each field through object.__setattr__, ~0.1 µs a field and on its
# own would halve the throughput). The result is an ordinary, equal-comparing, frozen instance.
_new = object.__new__


_time_cache: dict[str, tuple[datetime, str] | None] = {}


def parse_clf_time(text: str) -> tuple[datetime, str] | None:
    """``01/Jun/2024:20:01:07 +0200`` to ``(UTC datetime, "+0200")``; None if it is not such a stamp."""
    if text in _time_cache:
        return _time_cache[text]
    result: tuple[datetime, str] | None = None
    if len(text) == 26 and text[2] == "/" and text[6] == "/" and text[11] == ":" and text[20] == " ":
        month = MONTHS.get(text[3:6])
        zone = text[21:]
        try:
            if month is not None and zone[0] in "+-" and zone[1:].isdigit():
                offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
                local = datetime(
                    int(text[7:11]),
                    month,
                    int(text[0:2]),
                    int(text[12:14]),
                    int(text[15:17]),
                    int(text[18:20]),
                )
                utc = local - offset if zone[0] == "+" else local + offset
                result = (utc.replace(tzinfo=UTC), zone)
        except (ValueError, OverflowError):
            result = None
    if len(_time_cache) >= 100_000:
        _time_cache.clear()
    _time_cache[text] = result
    return result


def _unquote(text: str) -> str:
    return unquote_plus(text) if "%" in text or "+" in text else text


def xtream_request(path: str | None, query: str | None) -> XtreamRequest | None:
    """The panel credentials in a request path/query, or None when it is not a panel request."""
    if not path:
        return None
    if path.startswith(_STREAM_PREFIXES):
        parts = path.split("/")
        # ['', 'live', user, pass, '1187.ts'] or ['', 'timeshift', user, pass, duration, start, '1187.ts']
        if len(parts) < 5 or not parts[2] or not parts[3]:
            return None
        stream, _, extension = parts[-1].partition(".")
        username, password = parts[2], parts[3]
        if "%" in username or "+" in username:
            username = unquote_plus(username)
        if "%" in password or "+" in password:
            password = unquote_plus(password)
        request = _new(XtreamRequest)
        fields = request.__dict__
        fields["kind"] = parts[1]
        fields["username"] = username
        fields["password"] = password
        fields["stream_id"] = stream or None
        fields["extension"] = extension or None
        fields["action"] = None
        return request
    if query and "username=" in query and path.endswith(_API_SCRIPTS):
        params: dict[str, str] = {}
        for pair in query.split("&"):
            key, _, value = pair.partition("=")
            params.setdefault(key, _unquote(value))
        api_user = params.get("username")
        if not api_user:
            return None
        script = path.rsplit("/", 1)[-1][:-4]
        return XtreamRequest(
            kind="playlist" if script == "get" else script,
            username=api_user,
            password=params.get("password", ""),
            stream_id=params.get("stream_id") or params.get("vod_id") or params.get("series_id"),
            action=params.get("action") or params.get("type"),
        )
    return None


def parse_access_line(text: str, number: int, truncated: bool = False) -> AccessRecord | UnparsedLine:
    """One decoded access-log line to a record (or an ``UnparsedLine`` saying why not)."""
    raw = text
    if len(text) > MAX_RAW_CHARS:
        raw = text[:MAX_RAW_CHARS]
        if len(text) > MAX_PARSED_CHARS:
            text, truncated = text[:MAX_PARSED_CHARS], True
    m = _FAST.match(text)
    if m is not None and "\\" not in text:
        (
            vhost,
            ip,
            ident,
            user,
            stamp_text,
            request,
            method,
            target,
            protocol,
            status,
            size,
            referer,
            agent,
        ) = m.groups()
    else:
        m = _CAREFUL.match(text)
        if m is None:
            return UnparsedLine(number, raw, "not an access-log line", truncated)
        vhost, ip, ident, user, stamp_text, request, status, size, referer, agent = m.groups()
        parts = _REQUEST.fullmatch(request)
        method, target, protocol = parts.groups() if parts else (None, None, None)
    stamp = _time_cache.get(stamp_text) or parse_clf_time(stamp_text)
    if stamp is None:
        return UnparsedLine(number, raw, "bad time stamp", truncated)
    path = query = xtream = None
    if target is not None:
        path, question, query = target.partition("?")
        if not question:
            query = None
        if path.startswith(_STREAM_PREFIXES) or ".php" in path:
            xtream = xtream_request(path, query)
    record = _new(AccessRecord)
    fields = record.__dict__
    fields["line"] = number
    fields["time"] = stamp[0]
    fields["tz_offset"] = stamp[1]
    fields["ip"] = ip
    fields["ident"] = None if ident == "-" else ident
    fields["user"] = None if user == "-" else user
    fields["vhost"] = vhost
    fields["request"] = request
    fields["method"] = method
    fields["path"] = path
    fields["query"] = query
    fields["protocol"] = protocol
    fields["status"] = None if status == "-" else int(status)
    fields["bytes_sent"] = None if size == "-" else int(size)
    fields["referer"] = None if referer == "-" else referer
    fields["user_agent"] = None if agent == "-" else agent
    fields["xtream"] = xtream
    fields["raw"] = raw
    fields["truncated"] = truncated
    return record


def iter_access_log(stream: BinaryIO) -> Iterator[AccessRecord | UnparsedLine]:
    """Stream every non-blank line of an access log as a record or an ``UnparsedLine``."""
    parse = parse_access_line
    for number, lines, truncated in iter_line_blocks(stream):
        for text in lines:
            if text and (text[0] > " " or not text.isspace()):
                yield parse(text, number, truncated)
            number += 1

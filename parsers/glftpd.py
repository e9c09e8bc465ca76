"""glFTPd: glftpd.conf, etc/passwd, etc/group, ftp-data/users/<user> files and the site logs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from workbench.parsers.errors import ParseError

MAX_LINE = 64 * 1024
MAX_TEXT = 16 * 1024 * 1024


def iter_lines(stream: BinaryIO, limit: int = MAX_LINE) -> Iterator[tuple[int, str]]:
    """(1-based number, text) of every line of a binary stream; lines longer than ``limit`` are cut
    (the rest is skipped without being held in memory); bytes that are not UTF-8 are kept as Latin-1."""
    number = 0
    while True:
        raw = stream.readline(limit)
        if not raw:
            return
        number += 1
        if not raw.endswith(b"\n"):
            rest = raw
            while rest and not rest.endswith(b"\n"):
                rest = stream.readline(limit)
        yield number, decode_line(raw.rstrip(b"\r\n"))


def decode_line(raw: bytes) -> str:
    """UTF-8 if valid, else Latin-1: never fails, keeps every byte visible."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    if len(data) > MAX_TEXT:
        raise ParseError(f"larger than {MAX_TEXT} bytes")
    return decode_line(data)


# ---------------------------------------------------------------- glftpd.conf


@dataclass(frozen=True)
class GlSection:
    """A site section from `stat_section NAME /path` (or `section NAME /path`)."""

    name: str
    path: str
    line: int


@dataclass(frozen=True)
class GlConf:
    """The settings of a glftpd.conf that matter to an examiner, plus every setting as found."""

    settings: tuple[tuple[str, str, int], ...]  # (keyword, rest of line, line number)
    sitename_long: str | None
    sitename_short: str | None
    email: str | None
    login_prompt: str | None
    rootpath: str | None
    datapath: str | None
    pasv_addr: tuple[str, ...]
    pasv_ports: str | None
    sections: tuple[GlSection, ...]
    privpaths: tuple[str, ...]
    path_filters: tuple[str, ...]

    def get(self, keyword: str) -> str | None:
        """The first value of ``keyword``."""
        return next((value for key, value, _ in self.settings if key == keyword), None)


_KEYWORD = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]{0,40})(?:\s+(.*))?$")


def parse_glftpd_conf(data: bytes | str) -> GlConf:
    """Parse glftpd.conf `keyword value` lines; ParseError if no line looks like a setting."""
    settings: list[tuple[str, str, int]] = []
    bad = 0
    for number, raw in enumerate(_text(data).splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _KEYWORD.match(line[:MAX_LINE])
        if m is None:
            bad += 1
            continue
        settings.append((m.group(1).lower(), (m.group(2) or "").strip(), number))
    if not settings or bad > len(settings):
        raise ParseError("no `keyword value` settings: not a glftpd.conf")
    first: dict[str, str] = {}
    for key, value, _ in settings:
        first.setdefault(key, value)
    sections = []
    for key, value, number in settings:
        words = value.split()
        if key in ("stat_section", "section") and len(words) >= 2:
            sections.append(GlSection(words[0], words[1], number))
    return GlConf(
        settings=tuple(settings),
        sitename_long=first.get("sitename_long"),
        sitename_short=first.get("sitename_short"),
        email=first.get("email"),
        login_prompt=first.get("login_prompt"),
        rootpath=first.get("rootpath"),
        datapath=first.get("datapath"),
        pasv_addr=tuple(v.split()[0] for k, v, _ in settings if k == "pasv_addr" and v.split()),
        pasv_ports=first.get("pasv_ports"),
        sections=tuple(sections),
        privpaths=tuple(v for k, v, _ in settings if k == "privpath"),
        path_filters=tuple(v for k, v, _ in settings if k == "path-filter"),
    )


# ---------------------------------------------------------------- passwd and group


@dataclass(frozen=True)
class PasswdEntry:
    """One `user:password:uid:gid:date:homedir:irrelevant` line."""

    user: str
    password: str
    uid: int | None
    gid: int | None
    added: str | None  # ISO date when the MM-DD-YY stamp parses, else None
    added_raw: str
    homedir: str
    line: int


@dataclass(frozen=True)
class GroupEntry:
    """One `group:description:gid:irrelevant` line."""

    name: str
    description: str
    gid: int | None
    line: int


def _int(value: str) -> int | None:
    value = value.strip()
    return int(value) if re.fullmatch(r"-?\d{1,18}", value) else None


def _mmddyy(value: str) -> str | None:
    m = re.fullmatch(r"(\d\d)-(\d\d)-(\d\d)", value.strip())
    if not m:
        return None
    month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        return datetime(1900 + year if year >= 70 else 2000 + year, month, day).date().isoformat()
    except ValueError:
        return None


def parse_passwd(data: bytes | str) -> list[PasswdEntry]:
    """glFTPd etc/passwd entries; lines with fewer than six fields are skipped."""
    entries = []
    lines = _text(data).splitlines()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line[:MAX_LINE].split(":")
        if len(parts) < 6 or not parts[0]:
            continue
        entries.append(
            PasswdEntry(
                user=parts[0],
                password=parts[1],
                uid=_int(parts[2]),
                gid=_int(parts[3]),
                added=_mmddyy(parts[4]),
                added_raw=parts[4],
                homedir=parts[5],
                line=number,
            )
        )
    if not entries and any(line.strip() for line in lines):
        raise ParseError("no `user:password:uid:gid:date:homedir` lines: not a glFTPd passwd file")
    return entries


def parse_group(data: bytes | str) -> list[GroupEntry]:
    """glFTPd etc/group entries."""
    entries = []
    lines = _text(data).splitlines()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line[:MAX_LINE].split(":")
        if len(parts) < 3 or not parts[0]:
            continue
        entries.append(GroupEntry(parts[0], parts[1], _int(parts[2]), number))
    if not entries and any(line.strip() for line in lines):
        raise ParseError("no `group:description:gid` lines: not a glFTPd group file")
    return entries


# ---------------------------------------------------------------- user files


@dataclass(frozen=True)
class Stats:
    """One ALLUP/ALLDN/WKUP… line: (files, KB, seconds) per section, section 0 first."""

    per_section: tuple[tuple[int, int, int], ...]

    @property
    def files(self) -> int:
        """Files over all sections."""
        return sum(s[0] for s in self.per_section)

    @property
    def kilobytes(self) -> int:
        """Kilobytes over all sections."""
        return sum(s[1] for s in self.per_section)

    @property
    def seconds(self) -> int:
        """Seconds over all sections."""
        return sum(s[2] for s in self.per_section)


STAT_KEYS = ("ALLUP", "ALLDN", "WKUP", "WKDN", "DAYUP", "DAYDN", "MONTHUP", "MONTHDN", "NUKE")


@dataclass(frozen=True)
class GlUser:
    """A glFTPd user file (ftp-data/users/<user>)."""

    name: str
    added_by: str | None
    flags: str
    tagline: str | None
    homedir: str | None
    startdir: str | None
    ratio: tuple[int, ...]
    credits_kb: tuple[int, ...]
    stats: dict[str, Stats]
    ips: tuple[str, ...]
    groups: tuple[str, ...]
    gadmin_groups: tuple[str, ...]
    private_groups: tuple[str, ...]
    general: str | None
    logins: str | None
    time: str | None
    lines: tuple[tuple[str, str], ...] = field(default=())  # every (KEYWORD, rest) as found

    @property
    def deleted(self) -> bool:
        """FLAGS holds 6: the user was deleted (the file stays until purged)."""
        return "6" in self.flags

    @property
    def siteop(self) -> bool:
        """FLAGS holds 1: site operator."""
        return "1" in self.flags


_USERFILE_KEYS = frozenset(
    {
        "USER",
        "GENERAL",
        "LOGINS",
        "FLAGS",
        "TAGLINE",
        "DIR",
        "HOMEDIR",
        "RATIO",
        "CREDITS",
        "TIME",
        "IP",
        "GROUP",
        "PRIVATE",
        "GADMIN",
        "ADDED",
        "EXPIRES",
        "SLOTS",
        "TIMEFRAME",
        "CREATOR",
        "NUKE",
        "WKLYALLOTMENT",
        "DNS",
        *STAT_KEYS,
    }
)


def _ints(words: list[str]) -> tuple[int, ...]:
    return tuple(v for v in (_int(w) for w in words) if v is not None)


def parse_userfile(data: bytes | str, name: str) -> GlUser:
    """Parse one user file; ``name`` is its file name (the user name)."""
    fields: list[tuple[str, str]] = []
    unknown = 0
    for raw in _text(data).splitlines():
        line = raw.strip()[:MAX_LINE]
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.upper() in _USERFILE_KEYS:
            fields.append((keyword.upper(), rest.strip()))
        else:
            unknown += 1
    if not fields or unknown > 2 * len(fields) + 2:
        raise ParseError("no glFTPd user-file keywords: not a user file")

    def first(key: str) -> str | None:
        return next((v for k, v in fields if k == key), None)

    stats: dict[str, Stats] = {}
    for key, value in fields:
        if key in STAT_KEYS and key not in stats:
            numbers = _ints(value.split())
            triples = tuple(
                (numbers[i], numbers[i + 1], numbers[i + 2]) for i in range(0, len(numbers) - 2, 3)
            )
            stats[key] = Stats(triples)
    groups, gadmin, private = [], [], []
    for key, value in fields:
        words = value.split()
        if not words:
            continue
        if key == "GROUP":
            groups.append(words[0])
            if len(words) > 1 and words[1] == "1":
                gadmin.append(words[0])
        elif key == "GADMIN":
            gadmin.append(words[0])
        elif key == "PRIVATE":
            private.append(words[0])
    added = first("USER")
    added_by = None
    if added:
        m = re.search(r"added by\s+(\S+)", added, re.IGNORECASE)
        added_by = m.group(1) if m else added
    return GlUser(
        name=name,
        added_by=added_by,
        flags=(first("FLAGS") or "").strip(),
        tagline=first("TAGLINE"),
        homedir=first("HOMEDIR"),
        startdir=first("DIR"),
        ratio=_ints((first("RATIO") or "").split()),
        credits_kb=_ints((first("CREDITS") or "").split()),
        stats=stats,
        ips=tuple(v.split()[0] for k, v in fields if k == "IP" and v.split()),
        groups=tuple(dict.fromkeys(groups)),
        gadmin_groups=tuple(dict.fromkeys(gadmin)),
        private_groups=tuple(dict.fromkeys(private)),
        general=first("GENERAL"),
        logins=first("LOGINS"),
        time=first("TIME"),
        lines=tuple(fields),
    )


# ---------------------------------------------------------------- logs


@dataclass(frozen=True)
class GlLogEvent:
    """One glftpd.log / login.log / sysop.log line: `Sat Jun  1 14:02:11 2024 EVENT: "arg" …`."""

    time: datetime | None  # naive, in the site's local time (glFTPd writes local time)
    event: str  # NEWDIR, LOGIN … or "MESSAGE" for free text
    args: tuple[str, ...]
    pid: int | None
    line: int
    raw: str


_LOG_LINE = re.compile(
    r"^(?P<time>(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4})"
    r"\s+(?:\[\s*(?P<pid>\d{1,10})\s*\]\s+)?(?P<rest>.*)$"
)
_EVENT = re.compile(r"^(?P<event>[A-Z][A-Z0-9_-]{1,40}):\s*(?P<args>.*)$")


def parse_log_time(text: str) -> datetime | None:
    """`Sat Jun  1 14:02:11 2024` → naive datetime, None when it does not parse."""
    try:
        return datetime.strptime(" ".join(text.split()), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        return None


def split_args(text: str) -> tuple[str, ...]:
    """Split `"a b" "c "quoted" d" e` into ('a b', 'c "quoted" d', 'e'): a quote closes an argument
    only before whitespace-then-quote or the end of the line, so embedded quotes are kept."""
    args: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        if text[i] == '"':
            end = _closing_quote(text, i + 1)
            args.append(text[i + 1 : end])
            i = end + 1
        else:
            j = i
            while j < n and not text[j].isspace():
                j += 1
            args.append(text[i:j])
            i = j
    return tuple(args)


def _closing_quote(text: str, start: int) -> int:
    fallback = -1
    pos = text.find('"', start)
    n = len(text)
    while pos != -1:
        j = pos + 1
        while j < n and text[j].isspace():
            j += 1
        if j >= n or (j > pos + 1 and text[j] == '"'):
            return pos
        if fallback == -1 and text[pos + 1 : pos + 2].isspace():
            fallback = pos
        pos = text.find('"', pos + 1)
    return fallback if fallback != -1 else len(text)


def iter_log(stream: BinaryIO) -> Iterator[GlLogEvent]:
    """Stream the events of a glFTPd log; lines without a glFTPd time stamp are skipped."""
    for number, line in iter_lines(stream):
        m = _LOG_LINE.match(line)
        if m is None:
            continue
        rest = m.group("rest")
        event = _EVENT.match(rest)
        if event:
            name, args = event.group("event"), split_args(event.group("args"))
        else:
            name, args = "MESSAGE", (rest,)
        pid = m.group("pid")
        yield GlLogEvent(parse_log_time(m.group("time")), name, args, int(pid) if pid else None, number, line)

"""Generic syslog lines and the line/time helpers every log parser shares.

Classic BSD stamps (``Jun  1 21:14:03``) carry no year and no zone: the year comes from a hint
(normally the file's mtime, see :func:`first_year_from_end`) and rolls over from December to
January inside a file; the zone is an assumption the caller passes (UTC unless told). Newer
rsyslog writes RFC 3339 stamps (``2024-06-01T21:14:03.123456+00:00``), which need neither.

Every reader streams a binary file line by line (1-based numbers, ``\\n`` is the only separator),
reads at most :data:`MAX_LINE_BYTES` of one line and skips the rest, and keeps at most
:data:`MAX_RAW_CHARS` characters of each line as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import BinaryIO

from workbench.parsers.errors import ParseError

MAX_LINE_BYTES = 1 << 20  # bytes of one line that are read; the rest of a longer line is skipped
MAX_RAW_CHARS = 4096  # characters of a line kept as evidence in records
BLOCK_BYTES = 1 << 20  # read size of the line readers

MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}

_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0))}
_CONTROL[0x0A] = "\\n"


@dataclass(frozen=True)
class UnparsedLine:
    """A line a log parser could not read: kept (capped) as evidence with the reason."""

    line: int
    raw: str
    reason: str
    truncated: bool = False


@dataclass(frozen=True)
class SyslogRecord:
    """One syslog line: when, which host and program, and the message."""

    line: int
    time: datetime | None  # UTC; None when the stamp names an impossible date
    year_inferred: bool  # the stamp had no year: it came from the year hint
    zone_assumed: bool  # the stamp had no zone: the caller's assumption was applied
    source_tz: str  # the zone of the stamp, e.g. "+02:00", or the assumption, e.g. "UTC (assumed)"
    host: str
    program: str | None
    pid: int | None
    message: str
    raw: str
    truncated: bool = False


def escape_control(text: str) -> str:
    """Make control characters (ANSI escapes, NUL, CR, C1) visible as ``\\xNN``; other text unchanged."""
    if text.isprintable():  # every character _CONTROL maps is non-printable: nothing to change
        return text
    return text.translate(_CONTROL)


def cap(text: str, limit: int = MAX_RAW_CHARS) -> str:
    """``text`` cut to ``limit`` characters (evidence is kept, not unbounded)."""
    return text if len(text) <= limit else text[:limit]


def iter_line_blocks(
    stream: BinaryIO, max_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, list[str], bool]]:
    """Yield ``(first_line_number, lines, truncated)``: the lines of a stream in blocks, ``\\n``
    being the only separator and a trailing ``\\r`` removed.

    Reads the stream in blocks and decodes each block once (UTF-8, invalid bytes as ``\\xNN``;
    a line break byte never sits inside a UTF-8 sequence, so this equals decoding line by line).
    A line longer than ``max_bytes`` comes alone in a block with ``truncated`` set, holding only
    its start; the rest of it is skipped, so memory stays bounded whatever the input. Hot loops
    (the access-log parser) iterate the lists directly instead of one generator step per line.
    """
    read = stream.read
    number = 1
    carry = b""
    skipping = False  # inside the unread rest of an over-long line
    while True:
        block = read(BLOCK_BYTES)
        if not block:
            break
        if skipping:
            cut = block.find(b"\n")
            if cut < 0:
                continue
            block, skipping = block[cut + 1 :], False
        data = carry + block if carry else block
        end = data.rfind(b"\n")
        if end < 0:
            carry = data
        else:
            carry = data[end + 1 :]
            text = data[:end].decode("utf-8", "backslashreplace")
            if "\r" in text:
                text = text.replace("\r\n", "\n")
                if text.endswith("\r"):
                    text = text[:-1]
            lines = text.split("\n")
            if len(text) > max_bytes and any(len(line) > max_bytes for line in lines):
                for line in lines:
                    yield number, [line[:max_bytes]], len(line) > max_bytes
                    number += 1
            else:
                yield number, lines, False
                number += len(lines)
        if len(carry) > max_bytes:
            yield number, [_strip_cr(carry[:max_bytes].decode("utf-8", "backslashreplace"))], True
            number += 1
            carry, skipping = b"", True
    if carry:
        yield number, [_strip_cr(carry.decode("utf-8", "backslashreplace"))], False


def iter_text_lines(stream: BinaryIO, max_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, str, bool]]:
    """Yield ``(line_number, text, truncated)`` for every line (see :func:`iter_line_blocks`)."""
    for first, lines, truncated in iter_line_blocks(stream, max_bytes):
        for number, text in enumerate(lines, first):
            yield number, text, truncated


def _strip_cr(text: str) -> str:
    return text[:-1] if text.endswith("\r") else text


_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|z|[+-]\d\d:?\d\d)?")


def parse_rfc3339(text: str, assume: tzinfo = UTC) -> tuple[datetime, str, bool] | None:
    """An RFC 3339 / ISO 8601 stamp to ``(utc_datetime, zone_text, zone_assumed)``; None if invalid."""
    m = _RFC3339.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, zone = m.groups()
    micro = int(frac[:6].ljust(6, "0")) if frac else 0
    if zone is None:
        tz, zone_text, assumed = assume, f"{zone_name(assume)} (assumed)", True
    elif zone in ("Z", "z"):
        tz, zone_text, assumed = UTC, "+00:00", False
    else:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if offset >= timedelta(hours=24):
            return None
        tz, zone_text, assumed = timezone(sign * offset), f"{zone[0]}{digits[:2]}:{digits[2:]}", False
    try:
        stamp = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
        )
    except ValueError:
        return None
    return stamp.astimezone(UTC), zone_text, assumed


def zone_name(tz: tzinfo) -> str:
    """A short label for a zone assumption: ``UTC`` or ``+02:00`` or the zone's own name."""
    if tz is UTC:
        return "UTC"
    name = tz.tzname(None)
    return name or str(tz)


class SyslogClock:
    """Turns year-less ``Mmm dd HH:MM:SS`` stamps, read in file order, into UTC datetimes.

    The first stamp gets ``first_year``; whenever the month drops by six or more (December then
    January) the year moves on by one, so a file that spans New Year keeps its order.
    """

    def __init__(self, first_year: int, tz: tzinfo = UTC) -> None:
        self.year = first_year
        self.tz = tz
        self.last_month: int | None = None

    def resolve(self, month: int, day: int, hour: int, minute: int, second: int) -> datetime | None:
        """The UTC time of the next stamp, or None for an impossible date (e.g. Feb 30)."""
        if self.last_month is not None and self.last_month - month >= 6:
            self.year += 1
        self.last_month = month
        try:
            return datetime(self.year, month, day, hour, minute, second, tzinfo=self.tz).astimezone(UTC)
        except (ValueError, OverflowError):
            return None


_BSD_PREFIX = re.compile(r"(?:<\d{1,3}>)?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ")


def first_year_from_end(stream: BinaryIO, end: datetime) -> int:
    """The year of the first BSD-stamped line, given a time at or after the last line (the file's
    mtime): counts the December→January rollovers in the file and works back from ``end``."""
    rollovers = 0
    last_month: int | None = None
    for _number, text, _truncated in iter_text_lines(stream):
        m = _BSD_PREFIX.match(text)
        if m is None:
            continue
        month = MONTHS[m.group(1)]
        if last_month is not None and last_month - month >= 6:
            rollovers += 1
        last_month = month
    last_year = end.year - (1 if last_month is not None and last_month > end.month else 0)
    return last_year - rollovers


_SYSLOG = re.compile(
    r"(?:<(?P<pri>\d{1,3})>(?:1 )?)?"
    r"(?:(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(?P<day>\d{1,2}) "
    r"(?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d)"
    r"|(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?))"
    r" (?P<host>\S{1,255}) "
    r"(?:(?P<prog>[^\s\[\]:]{1,128})(?:\[(?P<pid>\d{1,10})\])?:(?: |$))?"
    r"(?P<msg>.*)",
    re.DOTALL,
)


def parse_syslog_line(
    text: str, number: int, clock: SyslogClock, truncated: bool = False
) -> SyslogRecord | None:
    """One decoded syslog line to a record (None if it is not a syslog line)."""
    m = _SYSLOG.match(text)
    if m is None:
        return None
    when: datetime | None
    if m.group("iso") is not None:
        parsed = parse_rfc3339(m.group("iso"), clock.tz)
        if parsed is None:
            return None
        when, zone_text, zone_assumed = parsed
        year_inferred = False
    else:
        when = clock.resolve(
            MONTHS[m.group("mon")],
            int(m.group("day")),
            int(m.group("h")),
            int(m.group("m")),
            int(m.group("s")),
        )
        zone_text, zone_assumed, year_inferred = f"{zone_name(clock.tz)} (assumed)", True, True
    pid = m.group("pid")
    return SyslogRecord(
        line=number,
        time=when,
        year_inferred=year_inferred,
        zone_assumed=zone_assumed,
        source_tz=zone_text,
        host=m.group("host"),
        program=m.group("prog"),
        pid=int(pid) if pid else None,
        message=cap(m.group("msg")),
        raw=cap(text),
        truncated=truncated,
    )


def iter_syslog(stream: BinaryIO, year_hint: int, tz: tzinfo = UTC) -> Iterator[SyslogRecord | UnparsedLine]:
    """Stream every line of a syslog file as a record (or an ``UnparsedLine``); blank lines are skipped.

    ``year_hint`` is the year of the first BSD-stamped line; ``tz`` the zone assumed for stamps without one.
    """
    if not 1 <= year_hint <= 9998:
        raise ParseError(f"year hint {year_hint} is out of range")
    clock = SyslogClock(year_hint, tz)
    for number, text, truncated in iter_text_lines(stream):
        if not text or text.isspace():
            continue
        record = parse_syslog_line(text, number, clock, truncated)
        if record is None:
            yield UnparsedLine(number, cap(text), "not a syslog line", truncated)
        else:
            yield record

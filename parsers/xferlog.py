"""xferlog transfer logs: wu-ftpd's layout and glFTPd's variant (group in the service-name place)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from workbench.parsers.glftpd import iter_lines, parse_log_time

DIRECTIONS = {"i": "up", "o": "down", "d": "delete"}


@dataclass(frozen=True)
class XferEntry:
    """One transfer line."""

    time: datetime | None  # naive local time as logged
    seconds: int
    remote_host: str
    size: int  # bytes
    filename: str
    transfer_type: str  # a (ascii) | b (binary)
    special_action: str  # C, U, T or _
    direction: str  # up | down | delete
    access_mode: str  # a (anonymous) | g (guest) | r (real)
    user: str
    service: str  # wu-ftpd: service name ("ftp"); glFTPd: the user's group
    auth_method: str
    auth_user_id: str
    completed: bool | None  # c → True, i → False, None when the field is absent
    line: int


_HEAD = re.compile(
    r"^(?P<time>(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4})"
    r" +(?P<seconds>\d{1,10}) +(?P<host>\S+) +(?P<size>\d{1,20}) +(?P<rest>.+)$"
)
_TYPES, _DIRS, _MODES = frozenset("ab"), frozenset("iod"), frozenset("agr")
_ACTION = re.compile(r"^[CUT_]{1,3}$")


def _tail(rest: str) -> tuple[str, list[str]] | None:
    """Split `filename type action dir mode user service auth authid [status]` from the right; the
    file name may hold spaces. Returns (filename, the 8 or 9 tail fields)."""
    for count in (9, 8):
        parts = rest.rsplit(None, count)
        if len(parts) != count + 1:
            continue
        name, tail = parts[0], parts[1:]
        if count == 9 and tail[8] not in ("c", "i"):
            continue
        if tail[0] in _TYPES and _ACTION.match(tail[1]) and tail[2] in _DIRS and tail[3] in _MODES:
            return name, tail
    return None


def parse_line(line: str, number: int = 0) -> XferEntry | None:
    """One xferlog line, or None when it does not follow the layout."""
    head = _HEAD.match(line)
    if head is None:
        return None
    split = _tail(head.group("rest"))
    if split is None:
        return None
    filename, tail = split
    status = tail[8] if len(tail) == 9 else None
    return XferEntry(
        time=parse_log_time(head.group("time")),
        seconds=int(head.group("seconds")),
        remote_host=head.group("host"),
        size=int(head.group("size")),
        filename=filename,
        transfer_type=tail[0],
        special_action=tail[1],
        direction=DIRECTIONS[tail[2]],
        access_mode=tail[3],
        user=tail[4],
        service=tail[5],
        auth_method=tail[6],
        auth_user_id=tail[7],
        completed=None if status is None else status == "c",
        line=number,
    )


def iter_xferlog(stream: BinaryIO) -> Iterator[XferEntry]:
    """Stream every parseable line of an xferlog; other lines are skipped."""
    for number, line in iter_lines(stream):
        entry = parse_line(line, number)
        if entry is not None:
            yield entry

"""Authentication logs (``/var/log/auth.log``, ``/var/log/secure``): sshd, sudo, su and PAM sessions.

Built on the generic syslog reader (:mod:`workbench.parsers.syslog`), so the year and zone rules
are the same: BSD stamps take their year from ``year_hint`` and roll over December→January.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import BinaryIO

from workbench.parsers.syslog import SyslogRecord, UnparsedLine, iter_syslog


@dataclass(frozen=True)
class AuthEvent:
    """One line of an authentication log, classified."""

    line: int
    time: datetime | None  # UTC
    year_inferred: bool
    zone_assumed: bool
    source_tz: str
    host: str
    program: str | None
    pid: int | None
    event: str  # accepted | failed | invalid_user | disconnected | session_opened | session_closed | sudo | su | other
    user: str | None = None  # the account logged into (for sudo: the user who ran it)
    ip: str | None = None
    port: int | None = None
    method: str | None = None  # password | publickey | keyboard-interactive/pam …
    key_type: str | None = None  # RSA, ED25519 …
    key_fingerprint: str | None = None  # SHA256:…
    target_user: str | None = None  # sudo/su: the account switched to
    command: str | None = None  # sudo: the command run
    message: str = ""
    raw: str = ""
    truncated: bool = False


_USER = r"(?P<user>.{0,128}?)"
_FROM = r" from (?P<ip>[0-9A-Fa-f.:]{2,45}|\S{1,255})(?: port (?P<port>\d{1,5}))?"
_SSHD_PATTERNS = (
    (
        "accepted",
        re.compile(
            r"Accepted (?P<method>\S+) for "
            + _USER
            + _FROM
            + r"(?: ssh2)?(?:: (?P<keytype>[A-Z0-9-]{2,32}) (?P<fp>\S+))?"
        ),
    ),
    ("failed", re.compile(r"Failed (?P<method>\S+) for (?:invalid user )?" + _USER + _FROM)),
    ("invalid_user", re.compile(r"Invalid user " + _USER + _FROM)),
    (
        "disconnected",
        re.compile(
            r"(?:Disconnected from|Connection closed by|Received disconnect from)(?: (?:invalid|authenticating) user (?P<user>\S+))? (?P<ip>[0-9A-Fa-f.:]{2,45})(?: port (?P<port>\d{1,5}))?"
        ),
    ),
)
_SESSION = re.compile(
    r"pam_unix\((?P<service>[^:)]{1,64}):session\): session (?P<what>opened|closed) for user (?P<user>[^\s(]{1,128})(?:\(uid=\d+\))?(?: by (?P<by>[^\s(]{0,128}))?"
)
_SUDO = re.compile(
    r"\s*(?P<user>\S{1,128}) : (?:(?P<failure>.{0,200}?) ; )?TTY=(?P<tty>\S*) ; PWD=(?P<pwd>.{0,4096}?) ; USER=(?P<target>\S{1,128}) ;(?: [A-Z]+=\S* ;)* COMMAND=(?P<command>.*)"
)
_SU = re.compile(
    r"(?:\(to (?P<target>\S{1,128})\) (?P<user>\S{1,128}) on \S+|Successful su for (?P<target2>\S{1,128}) by (?P<user2>\S{1,128}))"
)


def classify(record: SyslogRecord) -> AuthEvent:
    """The auth event a syslog record describes (``other`` when it is not one of the known kinds)."""
    base = {
        "line": record.line,
        "time": record.time,
        "year_inferred": record.year_inferred,
        "zone_assumed": record.zone_assumed,
        "source_tz": record.source_tz,
        "host": record.host,
        "program": record.program,
        "pid": record.pid,
        "message": record.message,
        "raw": record.raw,
        "truncated": record.truncated,
    }
    message = record.message
    program = (record.program or "").lower()
    if program.startswith("sshd"):
        for event, pattern in _SSHD_PATTERNS:
            m = pattern.match(message)
            if m is not None:
                groups = m.groupdict()
                port = groups.get("port")
                return AuthEvent(
                    **base,
                    event=event,
                    user=groups.get("user") or None,
                    ip=groups.get("ip"),
                    port=int(port) if port else None,
                    method=groups.get("method"),
                    key_type=groups.get("keytype"),
                    key_fingerprint=groups.get("fp"),
                )
    if program == "sudo":
        m = _SUDO.match(message)
        if m is not None:
            return AuthEvent(
                **base,
                event="sudo" if m.group("failure") is None else "sudo_denied",
                user=m.group("user"),
                target_user=m.group("target"),
                command=m.group("command"),
            )
    if program == "su":
        m = _SU.search(message)
        if m is not None:
            return AuthEvent(
                **base,
                event="su",
                user=m.group("user") or m.group("user2"),
                target_user=m.group("target") or m.group("target2"),
            )
    m = _SESSION.search(message)
    if m is not None:
        return AuthEvent(
            **base,
            event=f"session_{m.group('what')}",
            user=m.group("user"),
            target_user=m.group("user"),
            method=m.group("service"),
        )
    return AuthEvent(**base, event="other")


def iter_auth_log(stream: BinaryIO, year_hint: int, tz: tzinfo = UTC) -> Iterator[AuthEvent | UnparsedLine]:
    """Stream an auth log as classified events (or ``UnparsedLine`` for lines that are not syslog).

    ``year_hint`` is the year of the first BSD-stamped line (see ``syslog.first_year_from_end``);
    ``tz`` the zone assumed for stamps without one.
    """
    for record in iter_syslog(stream, year_hint, tz):
        yield record if isinstance(record, UnparsedLine) else classify(record)

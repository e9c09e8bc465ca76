"""Generic syslog lines, year inference and rollover, and auth-log classification."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbench.parsers.authlog import AuthEvent, iter_auth_log
from workbench.parsers.errors import ParseError
from workbench.parsers.syslog import (
    SyslogRecord,
    UnparsedLine,
    escape_control,
    first_year_from_end,
    iter_syslog,
    iter_text_lines,
    parse_rfc3339,
)

AUTH = b"""Dec 31 23:59:58 panel01 sshd[48211]: Accepted password for root from 192.0.2.77 port 51522 ssh2
Jan  1 00:00:03 panel01 sshd[48212]: Accepted publickey for deploy from 198.51.100.4 port 40022 ssh2: ED25519 SHA256:Vt2pD1kq0lFf1nS8b3kCqzJ0m7c0S6cQm2K7oYbq1xE
Jan  1 00:00:04 panel01 sshd[48213]: Failed password for invalid user ad min from 203.0.113.50 port 1022 ssh2
Jan  1 00:00:04 panel01 sshd[48213]: Failed password for root from 203.0.113.51 port 1023 ssh2
Jan  1 00:00:05 panel01 sshd[48213]: Invalid user oracle from 203.0.113.50 port 1023
Jan  1 00:00:06 panel01 sshd[48213]: Disconnected from invalid user oracle 203.0.113.50 port 1023 [preauth]
Jan  1 00:00:07 panel01 sshd[48212]: pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)
Jan  1 00:01:07 panel01 sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/mysqldump -u root xtream_iptvpro
Jan  1 00:02:07 panel01 sudo: pam_unix(sudo:session): session closed for user root
Jan  1 00:03:00 panel01 su[991]: (to root) deploy on pts/1
2024-06-01T21:14:03.123456+02:00 panel01 sshd[1]: Accepted password for root from 192.0.2.77 port 51522 ssh2
Jan  1 00:04:00 panel01 CRON[5]: (root) CMD (true)
"""


def auth_events(data: bytes, year: int = 2023) -> list[AuthEvent | UnparsedLine]:
    return list(iter_auth_log(io.BytesIO(data), year))


def test_auth_events_classified() -> None:
    events = auth_events(AUTH)
    assert all(isinstance(e, AuthEvent) for e in events)
    summary = [(e.event, e.user, e.ip) for e in events if isinstance(e, AuthEvent)]
    assert summary == [
        ("accepted", "root", "192.0.2.77"),
        ("accepted", "deploy", "198.51.100.4"),
        ("failed", "ad min", "203.0.113.50"),
        ("failed", "root", "203.0.113.51"),
        ("invalid_user", "oracle", "203.0.113.50"),
        ("disconnected", "oracle", "203.0.113.50"),
        ("session_opened", "deploy", None),
        ("sudo", "deploy", None),
        ("session_closed", "root", None),
        ("su", "deploy", None),
        ("accepted", "root", "192.0.2.77"),
        ("other", None, None),
    ]
    key = events[1]
    assert isinstance(key, AuthEvent)
    assert (key.method, key.key_type, key.key_fingerprint, key.port) == (
        "publickey",
        "ED25519",
        "SHA256:Vt2pD1kq0lFf1nS8b3kCqzJ0m7c0S6cQm2K7oYbq1xE",
        40022,
    )
    sudo = events[7]
    assert isinstance(sudo, AuthEvent)
    assert sudo.target_user == "root" and sudo.command == "/usr/bin/mysqldump -u root xtream_iptvpro"


def test_year_rolls_over_from_december_to_january() -> None:
    events = [e for e in auth_events(AUTH) if isinstance(e, AuthEvent)]
    assert events[0].time == datetime(2023, 12, 31, 23, 59, 58, tzinfo=UTC)
    assert events[1].time == datetime(2024, 1, 1, 0, 0, 3, tzinfo=UTC)
    assert events[0].year_inferred and events[0].zone_assumed and events[0].source_tz == "UTC (assumed)"


def test_rfc3339_stamps_carry_year_and_zone() -> None:
    event = auth_events(AUTH)[10]
    assert isinstance(event, AuthEvent)
    assert event.time == datetime(2024, 6, 1, 19, 14, 3, 123456, tzinfo=UTC)
    assert not event.year_inferred and not event.zone_assumed and event.source_tz == "+02:00"


def test_first_year_from_file_mtime() -> None:
    assert first_year_from_end(io.BytesIO(AUTH), datetime(2024, 1, 2, tzinfo=UTC)) == 2023
    assert (
        first_year_from_end(
            io.BytesIO(b"Dec 30 10:00:00 h p: x\nDec 31 10:00:00 h p: y\n"), datetime(2025, 1, 3, tzinfo=UTC)
        )
        == 2024
    )
    assert (
        first_year_from_end(io.BytesIO(b"Jun  1 10:00:00 h p: x\n"), datetime(2024, 6, 2, tzinfo=UTC)) == 2024
    )
    assert first_year_from_end(io.BytesIO(b""), datetime(2024, 6, 2, tzinfo=UTC)) == 2024


def test_assumed_zone_is_applied() -> None:
    (record,) = iter_syslog(io.BytesIO(b"Jun  1 21:14:03 h kernel: x\n"), 2024, timezone(timedelta(hours=2)))
    assert isinstance(record, SyslogRecord)
    assert (
        record.time == datetime(2024, 6, 1, 19, 14, 3, tzinfo=UTC)
        and record.source_tz == "UTC+02:00 (assumed)"
    )


def test_generic_syslog_fields_priority_and_impossible_dates() -> None:
    lines = list(
        iter_syslog(
            io.BytesIO(
                b"<34>Jan 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8\n"
                b"Feb 29 10:00:00 h cron[1]: leap\n"
                b"Jun  1 10:00:00 h last message repeated 3 times\n"
                b"not syslog at all\n"
            ),
            2023,
        )
    )
    first, leap, bare, bad = lines
    assert isinstance(first, SyslogRecord) and (first.host, first.program, first.pid) == (
        "mymachine",
        "su",
        None,
    )
    assert first.message == "'su root' failed for lonvick on /dev/pts/8"
    assert isinstance(leap, SyslogRecord) and leap.time is None  # 2023 has no Feb 29
    assert (
        isinstance(bare, SyslogRecord)
        and bare.program is None
        and bare.message == "last message repeated 3 times"
    )
    assert isinstance(bad, UnparsedLine) and bad.line == 4


def test_bad_year_hint_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        list(iter_syslog(io.BytesIO(b""), 0))


def test_rfc3339_variants() -> None:
    assert parse_rfc3339("2024-06-01T21:14:03Z") == (
        datetime(2024, 6, 1, 21, 14, 3, tzinfo=UTC),
        "+00:00",
        False,
    )
    assert parse_rfc3339("2024-06-01 21:14:03.123456789-0500") == (
        datetime(2024, 6, 2, 2, 14, 3, 123456, tzinfo=UTC),
        "-05:00",
        False,
    )
    assert parse_rfc3339("2024-13-01T00:00:00Z") is None
    assert parse_rfc3339("2024-06-01T00:00:00+25:00") is None


def test_line_reader_caps_long_lines_and_keeps_numbering() -> None:
    data = b"a\r\n" + b"x" * 3_000_000 + b"\nb\n\xff\xfe\nlast"
    lines = list(iter_text_lines(io.BytesIO(data), max_bytes=1_000_000))
    assert [(n, t[:3], tr) for n, t, tr in lines] == [
        (1, "a", False),
        (2, "xxx", True),
        (3, "b", False),
        (4, "\\xf", False),
        (5, "las", False),
    ]
    assert len(lines[1][1]) == 1_000_000


def test_escape_control() -> None:
    assert escape_control("a\x1b[31mb\x00\rc\td\x85") == "a\\x1b[31mb\\x00\\x0dc\td\\x85"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.integers(min_value=1970, max_value=2030))
def test_arbitrary_bytes_auth(data: bytes, year: int) -> None:
    for event in iter_auth_log(io.BytesIO(data), year):
        assert isinstance(event, AuthEvent | UnparsedLine)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(AUTH)), st.binary(max_size=10))
def test_mangled_auth_log(cut: int, junk: bytes) -> None:
    events = auth_events(AUTH[:cut] + junk + AUTH[cut:])
    assert sum(isinstance(e, AuthEvent) for e in events) >= 10


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=5000), st.integers(min_value=1, max_value=64))
def test_line_reader_equals_splitting(data: bytes, max_bytes: int) -> None:
    lines = list(iter_text_lines(io.BytesIO(data), max_bytes=max_bytes * 1000))
    expected = data.split(b"\n")
    if expected and expected[-1] == b"":
        expected.pop()
    assert len(lines) == len(expected)


@given(st.text())
def test_escape_control_fast_path_changes_nothing(text: str) -> None:
    from workbench.parsers.syslog import _CONTROL

    assert escape_control(text) == text.translate(_CONTROL)

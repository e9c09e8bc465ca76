"""The logs plugin through FileView (plain and gzip-rotated files, year from mtime) and its
correlation through a fake store."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

from workbench.plugins.logs import LogsPlugin, correlate_logs, log_type_of

from workbench.artefacts import Artefact
from workbench.plugin_api import FileView

ACCESS = (
    b'203.0.113.9 - - [01/Jun/2024:22:01:07 +0200] "GET /live/jdoe42/Pa55w0rd/1187.ts HTTP/1.1" 200 1048576 "-" "VLC/3.0.20"\n'
    b'203.0.113.9 - - [01/Jun/2024:20:05:00 +0000] "GET /player_api.php?username=jdoe42&password=Pa55w0rd&action=get_live_streams HTTP/1.1" 200 900 "-" "VLC/3.0.20"\n'
    b'203.0.113.10 - - [01/Jun/2024:20:06:00 +0000] "GET /live/jdoe42/wrongpw/1187.ts HTTP/1.1" 403 0 "-" "VLC/3.0.20"\n'
    b'198.51.100.7 - - [01/Jun/2024:20:07:00 +0000] "GET / HTTP/1.1" 200 5120 "-" "Mozilla/5.0 \x1b[31m"\n'
    b"\x00\x00\x00\n"
    b'203.0.113.77 - - [01/Jun/2024:20:08:00 +0000] "GET /live/ghost/x/1.ts HTTP/1.1" 200 10 "-" "VLC/3.0.20"\n'
)

AUTH = (
    b"Dec 31 23:50:00 web01 sshd[1]: Accepted password for root from 192.0.2.77 port 51522 ssh2\n"
    b"Jan  1 09:00:00 web01 sshd[2]: Accepted publickey for deploy from 198.51.100.4 port 40022 ssh2: RSA SHA256:k0deploy\n"
    b"Jan  1 09:01:00 web01 sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/true\n"
    b"Jan  1 20:00:00 web01 sshd[3]: Accepted publickey for root from 198.51.100.23 port 40023 ssh2: ED25519 SHA256:k0root\n"
    b"Jan  1 21:00:00 web01 sshd[4]: Accepted publickey for root from 198.51.100.23 port 40024 ssh2: ED25519 SHA256:k0root\n"
    b"Jan  1 21:30:00 web01 sshd[5]: Accepted password for alice from 203.0.113.5 port 40025 ssh2\n"
)

HISTORY = (
    b"#1717270000\nls\n#1717272000\ncd /root\n#1717275000\nmysqldump -u root panel > /root/p.sql\n"
    b"#1717276000\ngzip /root/p.sql\n#1717280000\nhistory -c\n"
)


def view(path: str, data: bytes, mtime: str | None = None) -> FileView:
    return FileView(
        exhibit="EX-01", location="EX-01 / ext4 /" + path, path=path, size=len(data), mtime=mtime, _data=data
    )


def extract(path: str, data: bytes, mtime: str | None = None) -> list[Artefact]:
    return list(LogsPlugin().extract(view(path, data, mtime), data))


def events(artefacts: list[Artefact]) -> list[dict[str, Any]]:
    return [a.fields for a in artefacts if a.kind == "log.event"]


def test_log_type_by_name() -> None:
    assert log_type_of("/var/log/nginx/access.log.2.gz") == "access"
    assert log_type_of("/var/log/apache2/watchfree_access_log") == "access"
    assert log_type_of("/var/log/secure-20240601") == "auth"
    assert log_type_of("/var/log/messages.1") == "syslog"
    assert log_type_of("/var/lib/mysql/web01-general.log") == "mysql"
    assert log_type_of("/home/bob/.zsh_history") == "shell"
    assert log_type_of("/var/log/dpkg.log") is None


def test_access_log_events_and_summary() -> None:
    found = extract("/var/log/nginx/access.log", ACCESS)
    evs = events(found)
    assert len(evs) == 5
    first = evs[0]
    assert (
        first["time"] == "2024-06-01T20:01:07Z"
        and first["source_tz"] == "+0200"
        and not first["time_inferred"]
    )
    assert (
        first["action"],
        first["subscriber_username"],
        first["subscriber_password"],
        first["stream_id"],
    ) == (
        "stream",
        "jdoe42",
        "Pa55w0rd",
        "1187",
    )
    assert evs[1]["action"] == "panel_api" and evs[3]["action"] == "request"
    assert evs[3]["user_agent"] == "Mozilla/5.0 \\x1b[31m" and "\\x1b" in evs[3]["message"]
    assert [a.line for a in found if a.kind == "log.event"] == [1, 2, 3, 4, 6]
    (summary,) = [a.fields for a in found if a.kind == "log.file"]
    assert (summary["lines"], summary["events"], summary["unparsed"]) == (6, 5, 1)
    assert (summary["first"], summary["last"]) == ("2024-06-01T20:01:07Z", "2024-06-01T20:08:00Z")


def test_gzip_rotated_log_gives_the_same_events() -> None:
    plain = events(extract("/var/log/nginx/access.log.1", ACCESS))
    packed = gzip.compress(ACCESS, mtime=0)
    zipped = events(extract("/var/log/nginx/access.log.2.gz", packed))
    assert [{k: v for k, v in e.items() if k != "source_file"} for e in zipped] == [
        {k: v for k, v in e.items() if k != "source_file"} for e in plain
    ]


def test_damaged_gzip_keeps_what_was_read_and_says_why() -> None:
    packed = gzip.compress(ACCESS * 50, mtime=0)
    found = extract("/var/log/nginx/access.log.3.gz", packed[: len(packed) // 2])
    (summary,) = [a.fields for a in found if a.kind == "log.file"]
    assert summary["error"] and summary["events"] == len(events(found)) > 0


def test_auth_log_year_from_mtime_across_new_year() -> None:
    found = extract("/var/log/auth.log", AUTH, mtime="2025-01-02T08:00:00Z")
    evs = events(found)
    assert evs[0]["time"] == "2024-12-31T23:50:00Z" and evs[1]["time"] == "2025-01-01T09:00:00Z"
    assert all(e["time_inferred"] for e in evs) and evs[0]["source_tz"] == "UTC (assumed)"
    assert evs[3]["key_fingerprint"] == "SHA256:k0root" and evs[2]["command"] == "/bin/true"
    (summary,) = [a.fields for a in found if a.kind == "log.file"]
    assert "mtime 2025-01-02" in summary["assumption"]


def test_auth_log_without_mtime_says_so() -> None:
    found = extract("/var/log/auth.log", AUTH)
    assert events(found)[0]["time"].startswith("1970-12-31")
    assert "no file mtime" in next(a.fields for a in found if a.kind == "log.file")["assumption"]


def test_history_user_comes_from_the_path() -> None:
    evs = events(extract("/home/deploy/.bash_history", HISTORY))
    assert {e["user"] for e in evs} == {"deploy"} and evs[2][
        "command"
    ] == "mysqldump -u root panel > /root/p.sql"
    assert {e["user"] for e in events(extract("/root/.bash_history", HISTORY))} == {"root"}


def test_mysql_general_log() -> None:
    data = b"2024-06-01T21:15:10.123456Z\t   31 Connect\tu@localhost on db using Socket\n2024-06-01T21:15:11Z\t   31 Query\tSELECT 1\n"
    evs = events(extract("/var/log/mysql/general.log", data))
    assert [(e["action"], e["user"], e["command"]) for e in evs] == [
        ("Connect", "u", "u@localhost on db using Socket"),
        ("Query", None, "SELECT 1"),
    ]


def test_a_file_that_only_has_a_log_name_yields_nothing() -> None:
    assert extract("/usr/share/doc/secure-boot.txt", b"This is documentation.\n" * 100) == []
    assert extract("/var/log/syslog", b"") == []


def test_deterministic() -> None:
    def run() -> list[tuple[str, dict[str, Any], int | None]]:
        return [(a.kind, a.fields, a.line) for a in extract("/var/log/nginx/access.log", ACCESS)]

    assert run() == run()


class FakeStore:
    """In-memory CaseReader."""

    def __init__(self, artefacts: list[Artefact]) -> None:
        self._artefacts = artefacts

    def artefacts(self, kind: str | None = None, exhibit: str | None = None) -> Iterator[Artefact]:
        return iter([a for a in self._artefacts if kind is None or a.kind == kind])

    def evidence(self) -> list[dict[str, Any]]:
        return []

    def files(self, exhibit: str | None = None) -> Iterator[dict[str, Any]]:
        return iter([])


def subscriber(username: str, password: str) -> Artefact:
    return Artefact(
        kind="iptv.subscriber", fields={"username": username, "password": password, "panel": "xtream-ui"}
    )


def test_correlate_links_highlights_and_figures() -> None:
    stored = (
        extract("/var/log/nginx/access.log", ACCESS)
        + extract("/var/log/auth.log", AUTH, mtime="2025-01-02T08:00:00Z")
        + extract("/root/.bash_history", HISTORY)
        + [subscriber("jdoe42", "Pa55w0rd"), subscriber("mrossi", "q7Lm2pRt")]
    )
    out = list(LogsPlugin().correlate(FakeStore(stored)))
    (link,) = [a.fields for a in out if a.kind == "log.subscriber_link"]
    assert link == {
        "subscriber": "jdoe42",
        "panel": "xtream-ui",
        "requests": 3,
        "stream_requests": 2,
        "first": "2024-06-01T20:01:07Z",
        "last": "2024-06-01T20:06:00Z",
        "ips": ["203.0.113.9", "203.0.113.10"],
        "password_matches": False,
        "log_files": ["/var/log/nginx/access.log"],
    }
    highlights = [a.fields for a in out if a.kind == "log.highlight"]
    by_category: dict[str, list[dict[str, Any]]] = {}
    for h in highlights:
        by_category.setdefault(h["category"], []).append(h)
    assert by_category["first_admin_login"][0]["time"] == "2024-12-31T23:50:00Z"
    assert by_category["first_admin_login"][0]["ip"] == "192.0.2.77"
    assert by_category["last_admin_login"][0]["ip"] == "198.51.100.23"  # alice is no admin
    assert by_category["last_admin_login"][0]["count"] == 4
    assert [(h["ip"], h["count"]) for h in by_category["root_login_source"]] == [
        ("192.0.2.77", 1),
        ("198.51.100.23", 2),
    ]
    assert "SHA256:k0root" in by_category["root_login_source"][1]["detail"]
    assert [(h["ip"], h["count"]) for h in by_category["top_client_ip"]][:2] == [
        ("203.0.113.9", 2),
        ("198.51.100.7", 1),
    ]
    assert by_category["last_mysqldump"][0]["detail"] == "mysqldump -u root panel > /root/p.sql"
    assert [h["detail"] for h in by_category["command_near_mysqldump"]] == ["cd /root", "gzip /root/p.sql"]
    figures = {a.fields["name"]: a.fields["value"] for a in out if a.kind == "case.figure"}
    assert figures == {
        "subscribers seen in access logs": 1,
        "log events (access)": 5,
        "log events (auth)": 6,
        "log events (syslog)": 0,
        "log events (mysql)": 0,
        "log events (shell)": 5,
    }


def test_correlate_on_an_empty_case() -> None:
    out = list(correlate_logs([], []))
    assert [a.kind for a in out] == ["case.figure"] * 6

"""IPTV plugins over sample panel servers: artefacts, credentials, and case figures equal to what was built."""

from __future__ import annotations

import dataclasses
import fnmatch
import gzip
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from workbench.parsers.errors import ParseError
from workbench.plugins.iptv import (
    PLUGINS,
    IptvCaseFigures,
    IptvPanelConfigPlugin,
    IptvPanelDatabasePlugin,
)

from workbench.artefacts import Artefact
from workbench.plugin_api import FileView, Plugin
from workbench.samples.iptv import BITCOIN_ADDRESS, IptvFigures, build_xtream_panel, build_xui_panel

SEIZED = "2024-06-01T21:00:00Z"
KINDS = {k.name: k for cls in PLUGINS for k in cls.kinds}


class FakeStore:
    """The read-only case view ``correlate`` gets."""

    def __init__(self, artefacts: list[Artefact], seized_at: str | None = SEIZED) -> None:
        self._artefacts = artefacts
        self._seized_at = seized_at

    def artefacts(self, kind: str | None = None, exhibit: str | None = None) -> Iterator[Artefact]:
        return iter([a for a in self._artefacts if kind is None or a.kind == kind])

    def evidence(self) -> list[dict[str, Any]]:
        return [{"exhibit": "EX-01", "seized_at": self._seized_at}, {"exhibit": "EX-02", "seized_at": None}]

    def files(self, exhibit: str | None = None) -> Iterator[dict[str, Any]]:
        return iter(())


def view(path: str, data: bytes) -> FileView:
    return FileView(exhibit="EX-01", location="EX-01 / ext4 " + path, path=path, size=len(data), _data=data)


def extract_tree(root: Path) -> list[Artefact]:
    """Run every IPTV plugin whose globs match each file, binding artefacts as the pipeline does."""
    out: list[Artefact] = []
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        path = "/" + file.relative_to(root).as_posix()
        data = file.read_bytes()
        for cls in PLUGINS:
            if any(fnmatch.fnmatch(path, g) for g in cls.globs):
                for artefact in cls().extract(view(path, data), data):
                    artefact.file_id = path
                    artefact.id = artefact.identity(KINDS, path)
                    out.append(artefact)
    return out


def case_figures(artefacts: list[Artefact], seized_at: str | None = SEIZED) -> dict[str, float]:
    produced = list(IptvCaseFigures().correlate(FakeStore(artefacts, seized_at)))
    return {a.fields["name"]: a.fields["value"] for a in produced if a.kind == "case.figure"}


def expected(f: IptvFigures) -> dict[str, float]:
    return {
        "live channels": f.live_channels, "VOD items": f.vod, "series": f.series, "series episodes": f.series_episodes,
        "radio stations": f.radio, "subscribers": f.subscribers, "active subscribers": f.active,
        "expired subscribers": f.expired, "trial subscribers": f.trial, "disabled or banned subscribers": f.disabled,
        "MAG devices": f.mag_devices, "resellers": f.resellers, "resellers with credits": f.resellers_with_credits,
        "panel admins": f.admins, "streaming servers": f.servers, "viewing sessions": f.activity_sessions,
        "client IPs": f.client_ips, "client countries": f.countries,
    }  # fmt: skip


@pytest.fixture(scope="module")
def xtream(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, IptvFigures, list[Artefact]]:
    root = tmp_path_factory.mktemp("xtream")
    figures = build_xtream_panel(root, subscribers=300, streams=90, resellers=5)
    return root, figures, extract_tree(root)


@pytest.fixture(scope="module")
def xui(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, IptvFigures, list[Artefact]]:
    root = tmp_path_factory.mktemp("xui")
    figures = build_xui_panel(root, subscribers=250, streams=80, resellers=4)
    return root, figures, extract_tree(root)


def test_builders_are_deterministic(tmp_path: Path) -> None:
    a = build_xtream_panel(tmp_path / "a", subscribers=60, streams=30)
    b = build_xtream_panel(tmp_path / "b", subscribers=60, streams=30)
    assert a == b
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in a.files)


@pytest.mark.parametrize("panel", ["xtream", "xui"])
def test_case_figures_equal_what_was_built(panel: str, request: pytest.FixtureRequest) -> None:
    _root, figures, artefacts = request.getfixturevalue(panel)
    assert case_figures(artefacts) == expected(figures)


def test_xtream_artefacts_config_credentials_and_evidence_trail(
    xtream: tuple[Path, IptvFigures, list[Artefact]],
) -> None:
    _root, figures, artefacts = xtream
    configs = [a.fields for a in artefacts if a.kind == "iptv.panel_config"]
    assert {c["source"] for c in configs} == {"config", "nginx.conf"}
    config = next(c for c in configs if c["source"] == "config")
    assert (config["db_user"], config["db_password"], config["db_port"]) == (
        "user_iptvpro",
        figures.db_password,
        7999,
    )
    nginx = next(c for c in configs if c["source"] == "nginx.conf")
    assert (nginx["http_port"], nginx["https_port"], nginx["admin_port"], nginx["rtmp_port"]) == (
        25461,
        25463,
        25500,
        25462,
    )
    assert (nginx["nginx_user"], nginx["access_log"]) == ("xtreamcodes", "off")
    creds = [a.fields for a in artefacts if a.kind == "credential"]
    assert {"kind": "database", "service": "mysql://127.0.0.1:7999/xtream_iptvpro", "username": "user_iptvpro",
            "secret": figures.db_password, "secret_type": "plaintext", "context": "iptv_xtream_codes/config db_pass"} in creds  # fmt: skip
    assert sum(1 for c in creds if c["kind"] == "ssh") == figures.servers
    assert (
        sum(1 for c in creds if c["kind"] == "panel" and c["secret_type"] == "crypt-sha512")
        == figures.resellers + figures.admins
    )
    owner = next(a for a in artefacts if a.kind == "iptv.subscriber" and a.fields["panel_user_id"] == 1)
    assert BITCOIN_ADDRESS in owner.fields["admin_notes"] and owner.line is not None
    assert len({a.id for a in artefacts}) == len(artefacts), "artefact ids must be unique"


def test_xui_secrets_are_marked_encrypted(xui: tuple[Path, IptvFigures, list[Artefact]]) -> None:
    _root, figures, artefacts = xui
    config = next(
        a.fields for a in artefacts if a.kind == "iptv.panel_config" and a.fields["source"] == "config.ini"
    )
    assert (config["credentials_encrypted"], config["db_password"], len(config["licence"])) == (
        True,
        figures.db_password,
        16,
    )
    assert any(a.fields.get("secret_type") == "xui-encrypted" for a in artefacts if a.kind == "credential")


def test_extraction_is_deterministic(xtream: tuple[Path, IptvFigures, list[Artefact]]) -> None:
    root, _figures, artefacts = xtream
    again = extract_tree(root)
    assert [(a.id, a.kind, a.fields) for a in again] == [(a.id, a.kind, a.fields) for a in artefacts]


def test_subscriber_summary_joins_activity_and_playlists(
    xtream: tuple[Path, IptvFigures, list[Artefact]],
) -> None:
    _root, figures, artefacts = xtream
    sub = next(
        a
        for a in artefacts
        if a.kind == "iptv.subscriber"
        and any(
            x.kind == "iptv.activity" and x.fields["subscriber_id"] == a.fields["panel_user_id"]
            for x in artefacts
        )
    )
    sessions = [
        x.fields
        for x in artefacts
        if x.kind == "iptv.activity" and x.fields["subscriber_id"] == sub.fields["panel_user_id"]
    ]
    username, password = sub.fields["username"], sub.fields["password"]
    playlist = [
        Artefact(
            "iptv.channel",
            {
                "name": "UK: Sport One HD",
                "tvg_id": "sportone.uk",
                "url": "u1",
                "username": username,
                "password": password,
            },
        ),
        Artefact("iptv.access_url", {"url": "u2", "username": username, "password": password}),
        Artefact("iptv.access_url", {"url": "u3", "username": "walkin", "password": "pw"}),
    ]
    duplicate_dump = [
        dataclasses.replace(a, file_id="/copy/backup.sql")
        for a in artefacts
        if a.kind in ("iptv.subscriber", "iptv.activity")
    ]
    produced = list(IptvCaseFigures().correlate(FakeStore(artefacts + duplicate_dump + playlist)))
    summaries = {
        (a.fields["username"], a.fields["password"]): a.fields
        for a in produced
        if a.kind == "iptv.subscriber_summary"
    }
    mine = summaries[(username, password)]
    assert (mine["sessions"], mine["playlist_urls"], mine["playlist_channels"]) == (len(sessions), 1, 1)
    assert mine["seen_in"] == ["database", "playlist"] and mine["ips"] == sorted({s["ip"] for s in sessions})
    assert mine["first_activity"] == min(s["start"] for s in sessions)
    assert summaries[("walkin", "pw")]["status"] == "unknown"
    figures_out = {a.fields["name"]: a.fields["value"] for a in produced if a.kind == "case.figure"}
    assert (
        figures_out["subscribers"] == figures.subscribers + 1
    )  # the dump twice and a playlist: counted once
    assert figures_out["viewing sessions"] == figures.activity_sessions


def test_without_seizure_date_status_uses_latest_activity(
    xtream: tuple[Path, IptvFigures, list[Artefact]],
) -> None:
    _root, _figures, artefacts = xtream
    produced = list(IptvCaseFigures().correlate(FakeStore(artefacts, seized_at=None)))
    active = next(
        a.fields for a in produced if a.kind == "case.figure" and a.fields["name"] == "active subscribers"
    )
    latest = max(
        x
        for a in artefacts
        if a.kind == "iptv.activity"
        for x in (a.fields["start"], a.fields.get("end") or "")
    )
    assert "no seizure date recorded" in active["basis"] and latest in active["basis"]


def test_playlists_alone_give_channel_and_subscriber_counts() -> None:
    channels = [
        Artefact(
            "iptv.channel",
            {
                "name": f"C{i}",
                "tvg_id": f"c{i % 3}",
                "url": f"u{i}",
                "username": "jdoe42",
                "password": "Pa55w0rd",
            },
        )
        for i in range(5)
    ]
    figures = case_figures(channels)
    assert (figures["live channels"], figures["subscribers"]) == (3, 1)
    assert list(IptvCaseFigures().correlate(FakeStore([]))) == []


def test_gzip_dump_and_truncated_dump(
    xtream: tuple[Path, IptvFigures, list[Artefact]], tmp_path: Path
) -> None:
    root, figures, _artefacts = xtream
    dump = (root / "root" / "backup_0601.sql").read_bytes()
    plugin = IptvPanelDatabasePlugin()
    gz = gzip.compress(dump, mtime=0)
    kinds = [a.kind for a in plugin.extract(view("/root/backup.sql.gz", gz), gz)]
    assert kinds.count("iptv.subscriber") == figures.subscribers
    cut = dump[: dump.index(b"INSERT INTO `users`") + 5000]
    got: list[Artefact] = []
    with pytest.raises(ParseError, match="users"):
        got.extend(plugin.extract(view("/root/cut.sql", cut), cut))
    subscribers = [a for a in got if a.kind == "iptv.subscriber"]
    assert 0 < len(subscribers) < figures.subscribers and any(a.kind == "iptv.stream" for a in got)
    broken_gz = gz[: len(gz) // 2]
    got = []
    with pytest.raises(ParseError):
        got.extend(plugin.extract(view("/root/cut.sql.gz", broken_gz), broken_gz))


def test_sqlite_copy_of_a_panel_database(tmp_path: Path) -> None:
    db = tmp_path / "xui.sqlite"
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TABLE lines (id INTEGER PRIMARY KEY, member_id INT, username TEXT, password TEXT, exp_date INT, enabled INT, admin_enabled INT)"
    )
    con.execute(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, password TEXT, member_group_id INT, credits REAL)"
    )
    con.execute("INSERT INTO users VALUES (2, 'res1', '$2y$10$fakefakefake', 4, 10)")
    con.execute("INSERT INTO lines VALUES (1, 2, 'jdoe42', 'Pa55w0rd', NULL, 1, 1)")
    con.commit()
    con.close()
    data = db.read_bytes()
    artefacts = list(IptvPanelDatabasePlugin().extract(view("/var/lib/xui.sqlite", data), data))
    sub = next(a.fields for a in artefacts if a.kind == "iptv.subscriber")
    assert (sub["panel"], sub["username"], sub["reseller"], sub["never_expires"]) == (
        "xui-one",
        "jdoe42",
        "res1",
        True,
    )


def test_non_panel_files_give_nothing() -> None:
    wordpress = b"INSERT INTO `wp_users` VALUES (1,'editor','x','e@x.invalid');\n"
    assert list(IptvPanelDatabasePlugin().extract(view("/srv/wp.sql", wordpress), wordpress)) == []
    other_nginx = b"user www-data;\nhttp { server { listen 80; root /var/www/html; } }\n"
    assert (
        list(IptvPanelConfigPlugin().extract(view("/etc/nginx/nginx.conf", other_nginx), other_nginx)) == []
    )


def test_plugin_declarations() -> None:
    names = [cls.name for cls in PLUGINS]
    assert len(set(names)) == len(names)
    for cls in PLUGINS:
        assert issubclass(cls, Plugin) and cls.version and cls.kinds
    declared = [k.name for cls in PLUGINS for k in cls.kinds if k.name.startswith("iptv.")]
    assert len(declared) == len(set(declared)) == 9

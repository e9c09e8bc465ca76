"""Playlist plugins over the sample tree: channels, EPG channels, access URLs and case figures."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
from workbench.parsers.errors import ParseError
from workbench.plugins.playlists import (
    ACCESS_URL,
    CHANNEL,
    EPG_CHANNEL,
    PLUGINS,
    AccessUrlPlugin,
    M3uPlaylistPlugin,
    XmltvGuidePlugin,
)

from workbench.artefacts import Artefact
from workbench.plugin_api import FileView
from workbench.samples.playlists import PANEL_HOST, PlaylistFigures, build_playlists


class FakeStore:
    """In-memory CaseReader over a list of artefacts."""

    def __init__(self, artefacts: list[Artefact]) -> None:
        self._artefacts = artefacts

    def artefacts(self, kind: str | None = None, exhibit: str | None = None) -> Iterator[Artefact]:
        return (a for a in self._artefacts if kind is None or a.kind == kind)

    def evidence(self) -> list[dict[str, Any]]:
        return [{"exhibit": "EX-01", "seized_at": "2024-06-01T06:00:00Z"}]

    def files(self, exhibit: str | None = None) -> Iterator[dict[str, Any]]:
        return iter(())


def view(path: str, data: bytes) -> FileView:
    return FileView(exhibit="EX-01", location="EX-01 / ext4 /" + path, path=path, size=len(data), _data=data)


def run(plugin: Any, path: str, data: bytes) -> list[Artefact]:
    return list(plugin.extract(view(path, data), data))


@pytest.fixture(scope="module")
def sample_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PlaylistFigures]:
    root = tmp_path_factory.mktemp("playlists")
    return root, build_playlists(root)


def extract_tree(root: Path, figures: PlaylistFigures) -> dict[str, list[Artefact]]:
    found: dict[str, list[Artefact]] = {}
    for relative in figures.paths:
        data = (root / relative).read_bytes()
        path = "/" + relative
        for plugin_class in PLUGINS:
            plugin = plugin_class()
            if any(fnmatch(path, glob) for glob in plugin.globs) or (
                plugin_class is AccessUrlPlugin and relative.endswith(".txt")
            ):
                found.setdefault(plugin.name, []).extend(run(plugin, path, data))
    return found


def test_plugin_declarations() -> None:
    for plugin_class in PLUGINS:
        assert plugin_class.name and plugin_class.version and plugin_class.kinds
    assert CHANNEL.name == "iptv.channel" and ACCESS_URL.name == "iptv.access_url"
    for field in (
        "name",
        "tvg_id",
        "tvg_name",
        "group",
        "logo",
        "url",
        "username",
        "password",
        "stream_id",
        "xui_id",
        "duration",
        "playlist",
    ):
        CHANNEL.field(field)
    for field in ("url", "host", "port", "endpoint", "username", "password", "stream_id", "action", "output"):
        ACCESS_URL.field(field)
    assert CHANNEL.field("password").secret and ACCESS_URL.field("password").secret


def test_sample_tree_figures(sample_tree: tuple[Path, PlaylistFigures]) -> None:
    root, figures = sample_tree
    found = extract_tree(root, figures)
    channels = [a for a in found["playlists.m3u"] if a.kind == CHANNEL.name]
    assert len(channels) == figures.channel_entries
    assert len({(a.fields["name"], a.fields["tvg_id"]) for a in channels}) == figures.distinct_channels
    m3u_access = [a for a in found["playlists.m3u"] if a.kind == ACCESS_URL.name]
    # one per line from its entries, one per line from the url-tvg header (xmltv.php)
    assert len(m3u_access) == 2 * figures.playlists
    assert {a.fields["endpoint"] for a in m3u_access} == {"live", "xmltv.php"}
    epg = found["playlists.xmltv"]
    assert len(epg) == figures.epg_channels
    assert sum(a.fields["programmes"] for a in epg) == figures.epg_programmes
    assert all(a.fields["complete"] and a.fields["declared"] for a in epg)
    notes = found["playlists.access_urls"]
    assert len(notes) == figures.notes_access_urls
    assert sorted(a.fields["occurrences"] for a in notes) == [1] * figures.playlists + [2] * figures.playlists

    store = FakeStore(channels + m3u_access + epg + notes)
    m3u_figures = {a.fields["name"]: a.fields["value"] for a in M3uPlaylistPlugin().correlate(store)}
    assert m3u_figures == {
        "playlist channels": figures.distinct_channels,
        "line credentials in playlists": figures.line_credentials,
    }
    (epg_figure,) = XmltvGuidePlugin().correlate(store)
    assert epg_figure.fields["value"] == figures.epg_channels
    (url_figure,) = AccessUrlPlugin().correlate(store)
    assert url_figure.fields["value"] == figures.line_credentials


def test_channel_fields(sample_tree: tuple[Path, PlaylistFigures]) -> None:
    root, figures = sample_tree
    relative = figures.paths[0]
    artefacts = run(M3uPlaylistPlugin(), "/" + relative, (root / relative).read_bytes())
    header_url = artefacts[0]
    assert (header_url.kind, header_url.fields["endpoint"], header_url.line) == (
        ACCESS_URL.name,
        "xmltv.php",
        1,
    )
    channel = artefacts[1]
    line = figures.subscribers[0]
    assert channel.kind == CHANNEL.name
    assert channel.fields["username"] == line.username and channel.fields["password"] == line.password
    assert channel.fields["host"] == PANEL_HOST and channel.fields["port"] == 8080
    assert channel.fields["endpoint"] == "live" and isinstance(channel.fields["stream_id"], int)
    assert channel.fields["xui_id"] == str(channel.fields["stream_id"])
    assert channel.fields["playlist"] == "/" + relative and channel.line == 3
    assert channel.fields["attributes"]["group-title"] == channel.fields["group"]


def test_hls_playlist_gives_no_channels(sample_tree: tuple[Path, PlaylistFigures]) -> None:
    root, figures = sample_tree
    hls = next(p for p in figures.paths if p.endswith(".m3u8"))
    assert run(M3uPlaylistPlugin(), "/" + hls, (root / hls).read_bytes()) == []


def test_deterministic(sample_tree: tuple[Path, PlaylistFigures]) -> None:
    root, figures = sample_tree
    assert extract_tree(root, figures) == extract_tree(root, figures)


def test_xmltv_plugin_checks_root_and_reads_gzip() -> None:
    plugin = XmltvGuidePlugin()
    assert run(plugin, "/var/www/epg/sitemap.xml", b"<?xml version='1.0'?><urlset/>") == []
    assert run(plugin, "/var/www/epg/logo.png", b"\x89PNG\r\n\x1a\n") == []
    assert run(plugin, "/var/www/epg/broken.xml.gz", b"\x1f\x8bnot really gzip") == []
    guide = (
        b'<tv source-info-url="http://line.fakeiptv.invalid:8080/xmltv.php?username=jdoe42&amp;password=Pa55w0rd">'
        b'<channel id="a"><display-name>A</display-name></channel></tv>'
    )
    artefacts = run(plugin, "/srv/epg/guide.xml.gz", gzip.compress(guide, mtime=0))
    assert [a.kind for a in artefacts] == [ACCESS_URL.name, EPG_CHANNEL.name]
    assert artefacts[0].fields["username"] == "jdoe42"


def test_truncated_guide_is_marked_incomplete() -> None:
    data = b'<tv><channel id="a"><display-name>A</display-name></channel><programme start="20240601" channel="a">'
    (channel,) = run(XmltvGuidePlugin(), "/srv/epg.xml", data)
    assert channel.fields["complete"] is False


def test_access_url_plugin_on_gzipped_log_and_skips_playlists() -> None:
    log = b"".join(
        b'203.0.113.%d - - [01/Jun/2024:20:01:07 +0000] "GET /live/jdoe42/Pa55w0rd/1187.ts HTTP/1.1" 200 1 "-" "VLC"\n'
        % i
        for i in range(50)
    )
    (artefact,) = run(AccessUrlPlugin(), "/var/log/nginx/access.log.2.gz", gzip.compress(log, mtime=0))
    assert (artefact.fields["occurrences"], artefact.fields["host"], artefact.offset) == (
        50,
        "",
        log.index(b"/live/"),
    )
    assert run(AccessUrlPlugin(), "/home/a/list.m3u", b"#EXTM3U\nhttp://h.invalid:1/live/a/b/1.ts\n") == []


def test_truncated_gzip_log_keeps_urls_then_reports_damage() -> None:
    log = b"".join(b"GET /live/user%d/pw/%d.ts HTTP/1.1\n" % (i, i) for i in range(2000))
    packed = gzip.compress(log, mtime=0)
    plugin = AccessUrlPlugin()
    data = packed[: len(packed) // 2]
    found: list[Artefact] = []
    with pytest.raises(ParseError, match="damaged gzip"):
        for artefact in plugin.extract(view("/var/log/nginx/access.log.3.gz", data), data):
            found.append(artefact)
    assert 0 < len(found) < 2000
    assert [a.fields["username"] for a in found[:2]] == ["user0", "user1"]


def test_m3u_plugin_raises_parse_error_on_non_playlist() -> None:
    with pytest.raises(ParseError):
        run(M3uPlaylistPlugin(), "/tmp/fake.m3u", b"\x7fELF\x02\x01\x01")


def test_stream_is_used_when_data_is_not_inline() -> None:
    data = b"#EXTM3U\n#EXTINF:-1,One\nhttp://h.invalid:8080/live/a/b/1.ts\n"
    file = FileView(
        exhibit="EX-01",
        location="EX-01 / ext4 //big.m3u",
        path="/big.m3u",
        size=len(data),
        opener=lambda: io.BytesIO(data),
    )
    assert [a.kind for a in M3uPlaylistPlugin().extract(file, None)] == [CHANNEL.name, ACCESS_URL.name]

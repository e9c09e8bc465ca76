"""The scene plugin through FileView: NFO, SFV (with siblings), file_id.diz, and correlate."""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from typing import Any

from workbench.plugins.scene import GROUP_SUMMARY, RELEASE, ScenePlugin

from workbench.plugin_api import Artefact, FileView

REL = "/site/x264-1080/Example.Film.2024.1080p.BluRay.x264-FAKEGRP"
NFO = (
    " ┌──────────── F A K E G R P ────────────┐\n"
    "  Release : Example.Film.2024.1080p.BluRay.x264-FAKEGRP\n"
    "  Date    : 2024-06-01     Size : 49 x 100 MB\n"
    "  IMDb    : https://www.imdb.com/title/tt0000000/\n"
    "  Greets  : NOGRP - OTHERGRP\n"
    " └───────────────────────────────────────┘\n"
).encode("cp437")


def view(path: str, data: bytes, siblings: dict[str, bytes] | None = None) -> FileView:
    siblings = siblings or {}
    return FileView(
        exhibit="EX-01",
        location="EX-01 / ext4 /" + path,
        path=path,
        size=len(data),
        sibling_opener=lambda name: io.BytesIO(siblings[name]) if name in siblings else None,
        _data=data,
    )


def test_nfo_gives_nfo_and_two_releases() -> None:
    out = list(ScenePlugin().extract(view(REL + "/fakegrp-ef1080.nfo", NFO), NFO))
    assert [a.kind for a in out] == ["scene.release", "scene.nfo", "scene.release"]
    dirname, nfo, stated = out
    assert dirname.fields["seen_as"] == "dirname" and dirname.fields["path"] == REL
    assert dirname.fields["group"] == "FAKEGRP" and dirname.fields["year"] == 2024
    assert dirname.fields["codec"] == "x264" and dirname.fields["source"] == "BluRay"
    assert nfo.fields["imdb"] == "tt0000000" and nfo.fields["greets"] == ["NOGRP", "OTHERGRP"]
    assert nfo.fields["encoding"] == "cp437"
    assert stated.fields["seen_as"] == "nfo"


def test_sfv_checks_siblings() -> None:
    parts = {"a.rar": b"x" * 500, "a.r00": b"y" * 500}
    sfv = f"; fake sfv\na.rar {zlib.crc32(parts['a.rar']):08X}\na.r00 00000000\na.r01 12345678\n".encode()
    out = list(ScenePlugin().extract(view(REL + "/a.sfv", sfv, parts), sfv))
    checks = [a.fields for a in out if a.kind == "scene.sfv_check"]
    assert [(c["file"], c["status"]) for c in checks] == [
        ("a.rar", "good"),
        ("a.r00", "bad"),
        ("a.r01", "missing"),
    ]
    assert checks[1]["actual_crc"] == f"{zlib.crc32(parts['a.r00']):08X}"
    assert [a.fields["seen_as"] for a in out if a.kind == "scene.release"] == ["sfv"]


def test_diz_and_garbage() -> None:
    diz = b"Fake.Tool.Pro.v2.4.1.Incl.Keygen-FAKESW\r\n[01/03]\r\n"
    out = list(ScenePlugin().extract(view("/0day/x/file_id.diz", diz), diz))
    assert out[0].kind == "scene.nfo" and out[0].fields["files"] == "1/3"
    assert out[1].fields["name"] == "Fake.Tool.Pro.v2.4.1.Incl.Keygen-FAKESW"
    assert list(ScenePlugin().extract(view("/x/junk.sfv", b"\x00\xff" * 50), b"\x00\xff" * 50)) == []


def test_extract_is_deterministic() -> None:
    first = list(ScenePlugin().extract(view(REL + "/a.nfo", NFO), NFO))
    second = list(ScenePlugin().extract(view(REL + "/a.nfo", NFO), NFO))
    assert [(a.kind, a.fields) for a in first] == [(a.kind, a.fields) for a in second]


class Store:
    def __init__(self, artefacts: list[Artefact]) -> None:
        self.items = artefacts

    def artefacts(self, kind: str | None = None, exhibit: str | None = None) -> Iterator[Artefact]:
        return iter([a for a in self.items if kind is None or a.kind == kind])

    def evidence(self) -> list[dict[str, Any]]:
        return []

    def files(self, exhibit: str | None = None) -> Iterator[dict[str, Any]]:
        return iter(())


def test_correlate_groups_releases_events_and_torrents() -> None:
    a = Artefact
    store = Store(
        [
            RELEASE(name="Example.Film.2024.1080p.BluRay.x264-FAKEGRP", group="FAKEGRP", seen_as="dirname"),
            RELEASE(name="Fake.Show.S02E05.720p.HDTV.x264-NOGRP", group="NOGRP", seen_as="log"),
            a("topsite.config", {"site_short": "FSE"}),
            a(
                "topsite.event",
                {
                    "event": "NEWDIR",
                    "time": "2024-06-01T14:02:11Z",
                    "path": REL,
                    "release": REL.rsplit("/", 1)[1],
                    "user": "racer1",
                },
            ),
            a(
                "topsite.transfer",
                {
                    "time": "2024-06-01T14:05:40Z",
                    "user": "racer2",
                    "direction": "up",
                    "bytes": 100,
                    "file": REL + "/a.r00",
                    "release": REL.rsplit("/", 1)[1],
                },
            ),
            a(
                "topsite.transfer",
                {
                    "time": "2024-06-02T10:00:00Z",
                    "user": "leech",
                    "direction": "down",
                    "bytes": 40,
                    "file": REL + "/a.r00",
                    "release": REL.rsplit("/", 1)[1],
                },
            ),
            a(
                "torrent.file",
                {
                    "info_hash_v1": "aa" * 20,
                    "name": "Other.Film.2023.720p.WEB.H264-FAKEGRP",
                    "files": [
                        ["Other.Film.2023.720p.WEB.H264-FAKEGRP/other.film.2023.720p.web.h264-fakegrp.mkv", 1]
                    ],
                    "created": "2024-05-30T00:00:00Z",
                },
            ),
        ]
    )
    out = list(ScenePlugin().correlate(store))
    summaries = {x.fields["group"]: x.fields for x in out if x.kind == GROUP_SUMMARY.name}
    fake = summaries["FAKEGRP"]
    assert fake["releases"] == 2 and fake["torrents"] == 1
    assert (
        fake["uploaders"] == ["racer1", "racer2"]
        and fake["sections"] == ["x264-1080"]
        and fake["sites"] == ["FSE"]
    )
    assert (fake["first_seen"], fake["last_seen"]) == ("2024-05-30T00:00:00Z", "2024-06-02T10:00:00Z")
    assert (fake["transfers"], fake["bytes_up"], fake["bytes_down"]) == (2, 100, 40)
    assert summaries["NOGRP"]["releases"] == 1
    figures = {x.fields["name"]: x.fields["value"] for x in out if x.kind == "case.figure"}
    assert figures["release groups"] == 2 and figures["releases"] == 3 and figures["releases by FAKEGRP"] == 2


class DirectoryStore(Store):
    """A store whose file listing holds release directories no NFO or SFV reported."""

    def files(self, exhibit: str | None = None) -> Iterator[dict[str, Any]]:
        return iter(
            [
                {"type": "dir", "path": "/site/tv-720/Fake.Show.S02E05.720p.HDTV.x264-NOGRP"},
                {"type": "file", "path": "/site/tv-720/Fake.Show.S02E05.720p.HDTV.x264-NOGRP/nogrp.r00"},
                {"type": "dir", "path": "/site/x264-1080"},
                {"type": "dir", "path": "/var/lib/backup-2024-06-01"},
                {"type": "dir", "path": "/site/x264-1080/Example.Film.2024.1080p.BluRay.x264-FAKEGRP"},
            ]
        )


def test_correlate_reports_release_directories_that_nothing_else_reported() -> None:
    store = DirectoryStore(
        [
            RELEASE(
                name="Example.Film.2024.1080p.BluRay.x264-FAKEGRP",
                group="FAKEGRP",
                seen_as="dirname",
                path="/site/x264-1080/Example.Film.2024.1080p.BluRay.x264-FAKEGRP",
            )
        ]
    )
    produced = list(ScenePlugin().correlate(store))
    from_dirs = [a for a in produced if a.kind == "scene.release"]
    assert [a.fields["name"] for a in from_dirs] == ["Fake.Show.S02E05.720p.HDTV.x264-NOGRP"]
    assert from_dirs[0].fields["seen_as"] == "dirname"
    figures = {a.fields["name"]: a.fields["value"] for a in produced if a.kind == "case.figure"}
    assert figures["releases"] == 2 and figures["release groups"] == 2

"""The torrents plugin through FileView: .torrent, magnets in text, SQL dumps, ocelot.conf."""

from __future__ import annotations

import hashlib

from workbench.parsers.bencode import encode
from workbench.plugins.torrents import TorrentsPlugin

from workbench.plugin_api import FileView

from .test_torrents_predb_tracker import GAZELLE_DUMP, PREBOT_DUMP


def view(path: str, data: bytes, mime: str = "") -> FileView:
    return FileView(
        exhibit="EX-01", location="EX-01 / ext4 /" + path, path=path, size=len(data), mime=mime, _data=data
    )


INFO = {
    "files": [
        {"length": 65536, "path": ["example.film.2024.1080p.web.h264-fakegrp.mkv"]},
        {"length": 27, "path": ["example.film.2024.1080p.web.h264-fakegrp.nfo"]},
    ],
    "name": "Example.Film.2024.1080p.WEB.H264-FAKEGRP",
    "piece length": 32768,
    "pieces": b"\x07" * 60,
    "private": 1,
}
TORRENT = encode(
    {
        "announce": "https://tracker.example-pt.invalid/announce/0123456789abcdef0123456789abcdef",
        "created by": "mktorrent 1.1",
        "creation date": 1717243200,
        "info": INFO,
    }
)


def test_torrent_file() -> None:
    out = list(TorrentsPlugin().extract(view("/data/torrents/x.torrent", TORRENT), TORRENT))
    kinds = [a.kind for a in out]
    assert kinds == ["torrent.file", "credential", "scene.release"]
    torrent = out[0].fields
    assert torrent["info_hash_v1"] == hashlib.sha1(encode(INFO)).hexdigest()
    assert torrent["passkey"] == "0123456789abcdef0123456789abcdef" and torrent["private"] is True
    assert torrent["created"] == "2024-06-01T12:00:00Z" and torrent["size"] == 65563
    assert (
        out[1].fields["service"] == "tracker.example-pt.invalid" and out[1].fields["secret_type"] == "passkey"
    )
    assert out[2].fields["seen_as"] == "torrent" and out[2].fields["group"] == "FAKEGRP"
    assert list(TorrentsPlugin().extract(view("/x/bad.torrent", b"d4:spam"), b"d4:spam")) == []


def test_magnets_in_text() -> None:
    text = b"forum post magnet:?xt=urn:btih:30af5e09fe3a9ae42c66df156a9582781da42558&dn=Example.Film.2024.1080p.WEB.H264-FAKEGRP end"
    out = list(TorrentsPlugin().extract(view("/home/u/notes.txt", text, "text/plain"), text))
    assert [a.kind for a in out] == ["torrent.magnet"]
    assert out[0].fields["info_hash_v1"] == "30af5e09fe3a9ae42c66df156a9582781da42558" and out[0].offset == 11
    assert list(TorrentsPlugin().extract(view("/etc/motd", b"hello", "text/plain"), b"hello")) == []


def test_sql_dumps() -> None:
    out = list(TorrentsPlugin().extract(view("/root/prebot.sql", PREBOT_DUMP, "text/plain"), PREBOT_DUMP))
    pres = [a.fields for a in out if a.kind == "scene.pre"]
    assert [p["status"] for p in pres] == ["ADDPRE", "SiTEPRE", "NUKE", "NUKED"]
    assert pres[0]["time"] == "2024-06-01T12:00:00Z"
    releases = [a.fields["name"] for a in out if a.kind == "scene.release"]
    assert releases == [
        "Example.Film.2024.1080p.BluRay.x264-FAKEGRP",
        "Fake_Artist-Some_Title-WEB-2024-FAKEMP3",
        "Fake.Show.S01E01.HDTV.XviD-OLDGRP",
    ]
    out = list(TorrentsPlugin().extract(view("/root/gazelle.sql", GAZELLE_DUMP, "text/plain"), GAZELLE_DUMP))
    users = [a.fields for a in out if a.kind == "tracker.user"]
    assert [(u["tracker"], u["username"], u["bitcoin_address"]) for u in users] == [
        ("gazelle", "racer1", "13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79h"),
        ("unit3d", "unituser", None),
    ]
    damaged = PREBOT_DUMP[:-60]
    assert any(
        a.kind == "scene.pre" for a in TorrentsPlugin().extract(view("/root/cut.sql", damaged), damaged)
    )


def test_ocelot_conf() -> None:
    conf = b"listen_port = 34000\nmysql_host = localhost\nmysql_username = ocelot\nmysql_password = 0c3l0tFake\nsite_password = 00000000000000000000000000000000\n"
    out = list(TorrentsPlugin().extract(view("/srv/ocelot/ocelot.conf", conf), conf))
    assert out[0].kind == "tracker.config" and out[0].fields["listen_port"] == 34000
    creds = [(a.fields["kind"], a.fields["secret"]) for a in out if a.kind == "credential"]
    assert creds == [("database", "0c3l0tFake"), ("api_key", "0" * 32)]

"""Strict bencode decoding, .torrent parsing (v1, v2, hybrid) and magnet links."""

from __future__ import annotations

import base64
import contextlib
import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbench.parsers.bencode import decode, decode_with_info, encode
from workbench.parsers.errors import ParseError
from workbench.parsers.torrent import find_magnets, parse_magnet, parse_torrent, passkey_of


def benc(value: Any) -> bytes:
    """A separate minimal recursive encoder, so info-hashes are checked independently of the parser."""
    if isinstance(value, int):
        return b"i" + str(value).encode() + b"e"
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return str(len(value)).encode() + b":" + value
    if isinstance(value, list):
        return b"l" + b"".join(benc(v) for v in value) + b"e"
    items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in value.items())
    return b"d" + b"".join(benc(k) + benc(v) for k, v in items) + b"e"


PIECES = bytes(range(60))
EXAMPLE_INFO = {
    "files": [
        {"length": 65536, "path": ["example.film.2024.1080p.web.h264-fakegrp.mkv"]},
        {"length": 27, "path": ["example.film.2024.1080p.web.h264-fakegrp.nfo"]},
    ],
    "name": "Example.Film.2024.1080p.WEB.H264-FAKEGRP",
    "piece length": 32768,
    "pieces": PIECES,
    "private": 1,
}
EXAMPLE = benc(
    {
        "announce": "https://tracker.example-pt.invalid/announce/0123456789abcdef0123456789abcdef",
        "created by": "mktorrent 1.1",
        "creation date": 1717243200,
        "info": EXAMPLE_INFO,
    }
)


def test_example_torrent_layout_and_hash() -> None:
    prefix = (
        b"d8:announce76:https://tracker.example-pt.invalid/announce/0123456789abcdef0123456789abcdef"
        b"10:created by13:mktorrent 1.113:creation datei1717243200e4:infod5:filesld6:lengthi65536e4:pathl44:"
        b"example.film.2024.1080p.web.h264-fakegrp.mkveed6:lengthi27e4:pathl44:"
        b"example.film.2024.1080p.web.h264-fakegrp.nfoeee4:name40:Example.Film.2024.1080p.WEB.H264-FAKEGRP"
        b"12:piece lengthi32768e6:pieces60:"
    )
    assert EXAMPLE.startswith(prefix) and EXAMPLE.endswith(b"7:privatei1eee")
    torrent = parse_torrent(EXAMPLE)
    assert torrent.info_hash_v1 == hashlib.sha1(benc(EXAMPLE_INFO)).hexdigest()
    assert torrent.info_hash_v2 is None
    assert torrent.name == "Example.Film.2024.1080p.WEB.H264-FAKEGRP"
    assert torrent.total_size == 65563
    assert [f.path for f in torrent.files] == [
        "Example.Film.2024.1080p.WEB.H264-FAKEGRP/example.film.2024.1080p.web.h264-fakegrp.mkv",
        "Example.Film.2024.1080p.WEB.H264-FAKEGRP/example.film.2024.1080p.web.h264-fakegrp.nfo",
    ]
    assert torrent.piece_length == 32768 and torrent.pieces == 3 and torrent.private
    assert torrent.passkey == "0123456789abcdef0123456789abcdef"
    assert (
        torrent.creation_date is not None and torrent.creation_date.isoformat() == "2024-06-01T12:00:00+00:00"
    )
    assert torrent.created_by == "mktorrent 1.1"


def test_info_hash_uses_stored_bytes_not_a_reencoding() -> None:
    # keys in `info` stored unsorted would be rejected; but an integer written differently cannot
    # exist in strict bencode, so check the span directly instead
    decoded = decode_with_info(EXAMPLE)
    assert decoded.info_span is not None
    start, end = decoded.info_span
    assert EXAMPLE[start:end] == benc(EXAMPLE_INFO)


def test_single_file_announce_list_comment_source() -> None:
    data = benc(
        {
            "announce": "http://tracker.fake.invalid:34000/9f8e7d6c5b4a39281706f5e4d3c2b1a0/announce",
            "announce-list": [
                ["http://tracker.fake.invalid:34000/9f8e7d6c5b4a39281706f5e4d3c2b1a0/announce"],
                ["https://backup.fake.invalid/announce.php?passkey=00112233445566778899aabbccddeeff"],
            ],
            "comment": "Uploaded by racer1",
            "info": {
                "length": 1000,
                "name": "Fake.Show.S02E05.720p.HDTV.x264-NOGRP.mkv",
                "piece length": 16384,
                "pieces": b"\x01" * 20,
                "source": "FAKEPT",
            },
        }
    )
    torrent = parse_torrent(data)
    assert torrent.total_size == 1000 and not torrent.private
    assert torrent.files[0].path == "Fake.Show.S02E05.720p.HDTV.x264-NOGRP.mkv"
    assert torrent.announce_list == (
        "http://tracker.fake.invalid:34000/9f8e7d6c5b4a39281706f5e4d3c2b1a0/announce",
        "https://backup.fake.invalid/announce.php?passkey=00112233445566778899aabbccddeeff",
    )
    assert torrent.passkeys == ("9f8e7d6c5b4a39281706f5e4d3c2b1a0", "00112233445566778899aabbccddeeff")
    assert torrent.comment == "Uploaded by racer1" and torrent.source == "FAKEPT"


V2_TREE = {
    "Fake.Album": {
        "01-track.flac": {"": {"length": 500, "pieces root": b"\x02" * 32}},
        "cover.jpg": {"": {"length": 20}},
    }
}


def test_v2_only_and_hybrid() -> None:
    v2_info = {"file tree": V2_TREE, "meta version": 2, "name": "Fake.Album", "piece length": 16384}
    v2 = parse_torrent(benc({"info": v2_info, "piece layers": {}}))
    assert v2.meta_version == 2 and v2.info_hash_v1 is None
    assert v2.info_hash_v2 == hashlib.sha256(benc(v2_info)).hexdigest()
    assert [(f.path, f.length) for f in v2.files] == [
        ("Fake.Album/01-track.flac", 500),
        ("Fake.Album/cover.jpg", 20),
    ]
    hybrid_info = dict(
        v2_info,
        files=[{"length": 500, "path": ["01-track.flac"]}, {"length": 20, "path": ["cover.jpg"]}],
        pieces=b"\x03" * 20,
    )
    hybrid = parse_torrent(benc({"info": hybrid_info}))
    assert hybrid.info_hash_v1 == hashlib.sha1(benc(hybrid_info)).hexdigest()
    assert hybrid.info_hash_v2 == hashlib.sha256(benc(hybrid_info)).hexdigest()
    assert hybrid.total_size == 520


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"i-0e",
        b"i03e",
        b"ie",
        b"i-e",
        b"i12",
        b"03:abc",
        b"5:abc",
        b"-1:a",
        b"d1:b0:1:a0:e",  # unsorted keys
        b"d1:a0:1:a0:e",  # duplicate key
        b"di1e0:e",  # integer key
        b"d1:ae",  # key without value
        b"l",
        b"i1ei2e",  # trailing data
        b"e",
        b"x",
        b"l" * 100 + b"e" * 100,  # deeper than the limit
        b"l" * 1_000_000,
    ],
)
def test_bencode_errors(bad: bytes) -> None:
    with pytest.raises(ParseError):
        decode(bad)


def test_bencode_round_trip() -> None:
    value = {b"a": [1, -2, b"x", {b"k": b""}], b"b": 0}
    assert decode(encode(value)) == value
    assert decode(b"l" * 64 + b"e" * 64) == decode(encode(decode(b"l" * 64 + b"e" * 64)))


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (benc({"announce": "x"}), "info"),
        (benc({"info": {"length": 1}}), "name"),
        (benc({"info": {"name": "x"}}), "neither"),
        (benc({"info": {"name": "x", "length": 1, "pieces": b"123"}}), "multiple of 20"),
        (benc([1, 2]), "dictionary"),
    ],
)
def test_torrent_errors(bad: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_torrent(bad)


def test_magnets() -> None:
    digest = bytes.fromhex("30af5e09fe3a9ae42c66df156a9582781da42558")
    b32 = base64.b32encode(digest).decode()
    text = (
        "see magnet:?xt=urn:btih:30af5e09fe3a9ae42c66df156a9582781da42558&dn=Example.Film.2024.1080p.WEB.H264-FAKEGRP\n"
        f'<a href="magnet:?xt=urn:btih:{b32}&amp;tr=https%3A%2F%2Ftracker.fake.invalid%2Fannounce%3Fpasskey%3D00112233445566778899aabbccddeeff&amp;xl=65563">x</a>\n'
        "magnet:?xt=urn:btmh:1220" + "ab" * 32 + "&dn=v2\n"
        "magnet:?xt=urn:sha1:NOTBITTORRENT\n"
    )
    found = [m for _, m in find_magnets(text)]
    assert len(found) == 3
    assert found[0].info_hash_v1 == "30af5e09fe3a9ae42c66df156a9582781da42558"
    assert found[0].name == "Example.Film.2024.1080p.WEB.H264-FAKEGRP"
    assert found[1].info_hash_v1 == digest.hex()
    assert found[1].trackers == (
        "https://tracker.fake.invalid/announce?passkey=00112233445566778899aabbccddeeff",
    )
    assert found[1].passkeys == ("00112233445566778899aabbccddeeff",)
    assert found[1].size == 65563
    assert found[2].info_hash_v2 == "ab" * 32 and found[2].info_hash_v1 is None
    assert parse_magnet("magnet:?dn=nothing") is None


def test_passkey_of() -> None:
    assert (
        passkey_of("https://t.invalid/announce/0123456789abcdef0123456789abcdef")
        == "0123456789abcdef0123456789abcdef"
    )
    assert (
        passkey_of("https://t.invalid/0123456789abcdef0123456789abcdef/announce")
        == "0123456789abcdef0123456789abcdef"
    )
    assert (
        passkey_of("https://t.invalid/announce.php?torrent_pass=0123456789abcdef0123456789abcdef")
        == "0123456789abcdef0123456789abcdef"
    )
    assert passkey_of("udp://open.tracker.invalid:1337/announce") is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data: bytes) -> None:
    for parser in (decode, parse_torrent):
        with contextlib.suppress(ParseError):
            parser(data)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(EXAMPLE)), st.integers(0, 255), st.integers(0, len(EXAMPLE) - 1))
def test_mangled_torrent(cut: int, byte: int, where: int) -> None:
    flipped = bytearray(EXAMPLE)
    flipped[where] = byte
    for data in (EXAMPLE[:cut], bytes(flipped)):
        with contextlib.suppress(ParseError):
            parse_torrent(data)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_magnet_text_never_raises(text: str) -> None:
    list(find_magnets("magnet:?" + text))
    list(find_magnets(text))

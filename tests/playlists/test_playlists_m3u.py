"""M3U/M3U8 playlists: the panel template, real-world variations, HLS playlists and hostile input."""

from __future__ import annotations

import io
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbench.parsers.errors import ParseError
from workbench.parsers.m3u import MAX_LINE_BYTES, M3uEntry, iter_entries, parse_extinf, read_header

PANEL_PLAYLIST = (
    b"#EXTM3U\r\n"
    b'#EXTINF:-1 tvg-id="sportone.uk" tvg-name="UK: Sport One HD" tvg-logo="http://img.fakeiptv.invalid/s1.png" '
    b'group-title="UK | Sports",UK: Sport One HD\r\n'
    b"http://line.fakeiptv.invalid:8080/live/jdoe42/Pa55w0rd/1187.ts\r\n"
)


def entries(data: bytes) -> list[M3uEntry]:
    return list(iter_entries(io.BytesIO(data)))


def test_panel_template_entry() -> None:
    (entry,) = entries(PANEL_PLAYLIST)
    assert entry.kind == "channel"
    assert entry.title == "UK: Sport One HD"
    assert (entry.tvg_id, entry.tvg_name, entry.group) == ("sportone.uk", "UK: Sport One HD", "UK | Sports")
    assert entry.logo == "http://img.fakeiptv.invalid/s1.png"
    assert entry.duration == -1
    assert (entry.line, entry.extinf_line) == (3, 2)
    assert entry.access is not None
    assert (entry.access.username, entry.access.password, entry.access.stream_id) == (
        "jdoe42",
        "Pa55w0rd",
        "1187",
    )
    assert read_header(PANEL_PLAYLIST).kind == "iptv"


def test_header_epg_urls_and_bom() -> None:
    data = (
        b'\xef\xbb\xbf#EXTM3U url-tvg="http://epg.fake.invalid/a.xml,http://epg.fake.invalid/b.xml" '
        b'x-tvg-url="http://line.fakeiptv.invalid:8080/xmltv.php?username=jdoe42&password=Pa55w0rd"\n'
        b"#EXTINF:-1,Plain\nhttp://a.invalid/x.ts\n"
    )
    header = read_header(data)
    assert header.has_extm3u
    assert header.epg_urls == (
        "http://epg.fake.invalid/a.xml",
        "http://epg.fake.invalid/b.xml",
        "http://line.fakeiptv.invalid:8080/xmltv.php?username=jdoe42&password=Pa55w0rd",
    )
    (entry,) = entries(data)
    assert entry.title == "Plain"


@pytest.mark.parametrize(
    ("extinf", "duration", "attributes", "title"),
    [
        (
            '-1 tvg-id="a.uk" group-title="UK, Sports",Title',
            -1.0,
            {"tvg-id": "a.uk", "group-title": "UK, Sports"},
            "Title",
        ),
        (
            "-1 tvg-id=a.uk tvg-chno=7,Title, with comma",
            -1.0,
            {"tvg-id": "a.uk", "tvg-chno": "7"},
            "Title, with comma",
        ),
        ('-1 tvg-name="unclosed,Title', -1.0, {"tvg-name": "unclosed"}, "Title"),
        ('-1 tvg-id="x"', -1.0, {"tvg-id": "x"}, ""),
        ("0,", 0.0, {}, ""),
        ("10.5,Segment", 10.5, {}, "Segment"),
        (" tvg-id='single' ,Single quoted", None, {"tvg-id": "single"}, "Single quoted"),
        ('-1 TVG-ID="Upper" catchup,Name', -1.0, {"tvg-id": "Upper", "catchup": ""}, "Name"),
        ('-1 xui-id="55" tvg-logo="" ,', -1.0, {"xui-id": "55", "tvg-logo": ""}, ""),
    ],
)
def test_extinf_variations(
    extinf: str, duration: float | None, attributes: dict[str, str], title: str
) -> None:
    parsed_duration, parsed_attributes, parsed_title = parse_extinf(extinf)
    assert parsed_duration == duration
    assert dict(parsed_attributes) == attributes
    assert parsed_title == title


def test_extgrp_vlcopt_and_missing_extinf() -> None:
    data = (
        b"#EXTM3U\n"
        b"#EXTGRP:Sports\n"
        b"#EXTINF:-1,One\n"
        b"#EXTVLCOPT:http-user-agent=VLC/3.0\n"
        b"#KODIPROP:inputstream=inputstream.adaptive\n"
        b"http://a.invalid/1.ts\n"
        b"\n"
        b"http://a.invalid/2.ts\n"
    )
    first, second = entries(data)
    assert (first.group, first.options) == (
        "Sports",
        ("http-user-agent=VLC/3.0", "inputstream=inputstream.adaptive"),
    )
    assert (second.title, second.extinf_line, second.options, second.line) == ("", None, (), 8)


def test_hls_master_playlist_has_variants_not_channels() -> None:
    data = (
        b"#EXTM3U\n#EXT-X-VERSION:3\n"
        b'#EXT-X-STREAM-INF:BANDWIDTH=1280000,RESOLUTION=1280x720,CODECS="avc1.4d401f,mp4a.40.2"\n'
        b"720p/index.m3u8\n"
        b"#EXT-X-STREAM-INF:BANDWIDTH=640000\n360p/index.m3u8\n"
    )
    assert read_header(data).kind == "hls_master"
    first, second = entries(data)
    assert (first.kind, second.kind) == ("variant", "variant")
    assert dict(first.attributes) == {
        "bandwidth": "1280000",
        "resolution": "1280x720",
        "codecs": "avc1.4d401f,mp4a.40.2",
    }


def test_hls_media_playlist_has_segments() -> None:
    data = b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:5\n#EXTINF:10.0,\nseg5.ts\n#EXTINF:10.0,\nseg6.ts\n"
    assert read_header(data).kind == "hls_media"
    assert [(e.kind, e.duration, e.url) for e in entries(data)] == [
        ("segment", 10.0, "seg5.ts"),
        ("segment", 10.0, "seg6.ts"),
    ]


def test_plain_url_list_and_latin1() -> None:
    data = "http://a.invalid/1.ts\n#EXTINF:-1,Télé Sport\nhttp://a.invalid/2.ts\n".encode("latin-1")
    assert read_header(data).kind == "iptv"
    assert [e.title for e in entries(data)] == ["", "Télé Sport"]


def test_not_a_playlist_raises() -> None:
    with pytest.raises(ParseError):
        entries(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(ParseError):
        entries(b"<html><body>hello</body></html>\n")
    assert entries(b"") == []


def test_one_megabyte_lines() -> None:
    data = (
        b"#EXTM3U\n#EXTINF:-1 " + b"a" * 1_000_000 + b",Long\nhttp://a.invalid/1.ts\n"
        b'#EXTINF:-1 tvg-name="' + b"q" * 1_500_000 + b"\n" + b"http://a.invalid/" + b"b" * 2_000_000 + b"\n"
        b"#EXTINF:-1,After\nhttp://a.invalid/2.ts\n"
    )
    started = time.perf_counter()
    found = entries(data)
    assert time.perf_counter() - started < 5
    assert next(e.title for e in found) == "Long"
    assert len(found[1].url) == MAX_LINE_BYTES  # cut, the rest of the line skipped
    assert (found[-1].title, found[-1].line) == ("After", 7)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(data: bytes) -> None:
    try:
        for entry in entries(data):
            assert isinstance(entry, M3uEntry)
    except ParseError:
        pass
    read_header(data)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(PANEL_PLAYLIST)), st.binary(max_size=40), st.integers(0, len(PANEL_PLAYLIST)))
def test_truncated_and_mangled_real_playlist(cut: int, noise: bytes, where: int) -> None:
    mangled = PANEL_PLAYLIST[:where] + noise + PANEL_PLAYLIST[where:]
    for data in (PANEL_PLAYLIST[:cut], mangled):
        try:
            for entry in entries(data):
                assert entry.line >= 1
        except ParseError:
            pass

"""Xtream/XUI/Stalker client URLs: positives, ordinary URLs that must not match, streaming, hostile input."""

from __future__ import annotations

import io
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbench.parsers.xtream_urls import (
    ENDPOINTS,
    XtreamUrl,
    classify_url,
    find_urls,
    iter_stream_urls,
    might_contain,
)

HOST = "http://line.fakeiptv.invalid:8080"

# (url, endpoint, username, password, stream_id, action, output)
POSITIVES = [
    (f"{HOST}/get.php?username=jdoe42&password=Pa55w0rd&type=m3u_plus&output=ts", "get.php", "jdoe42", "Pa55w0rd", None, None, "ts"),
    (f"{HOST}/get.php?username=jdoe42&password=Pa55w0rd&type=m3u_plus&output=hls", "get.php", "jdoe42", "Pa55w0rd", None, None, "hls"),
    (f"{HOST}/player_api.php?username=jdoe42&password=Pa55w0rd", "player_api.php", "jdoe42", "Pa55w0rd", None, None, None),
    (f"{HOST}/player_api.php?username=jdoe42&password=Pa55w0rd&action=get_live_streams", "player_api.php", "jdoe42", "Pa55w0rd", None, "get_live_streams", None),
    (f"{HOST}/player_api.php?username=jdoe42&password=Pa55w0rd&action=get_short_epg&stream_id=1187", "player_api.php", "jdoe42", "Pa55w0rd", "1187", "get_short_epg", None),
    (f"{HOST}/xmltv.php?username=jdoe42&password=Pa55w0rd", "xmltv.php", "jdoe42", "Pa55w0rd", None, None, None),
    (f"{HOST}/live/jdoe42/Pa55w0rd/1187.ts", "live", "jdoe42", "Pa55w0rd", "1187", None, "ts"),
    (f"{HOST}/live/jdoe42/Pa55w0rd/1187.m3u8", "live", "jdoe42", "Pa55w0rd", "1187", None, "m3u8"),
    (f"{HOST}/movie/jdoe42/Pa55w0rd/50211.mkv", "movie", "jdoe42", "Pa55w0rd", "50211", None, "mkv"),
    (f"{HOST}/series/jdoe42/Pa55w0rd/7781.mp4", "series", "jdoe42", "Pa55w0rd", "7781", None, "mp4"),
    (f"{HOST}/timeshift/jdoe42/Pa55w0rd/120/2024-06-01:20-00/1187.ts", "timeshift", "jdoe42", "Pa55w0rd", "1187", None, "ts"),
    (f"{HOST}/jdoe42/Pa55w0rd/1187", "short", "jdoe42", "Pa55w0rd", "1187", None, None),
    ("http://198.51.100.7/jdoe42/Pa55w0rd/1187.ts", "short", "jdoe42", "Pa55w0rd", "1187", None, "ts"),
    ("http://portal.fakeiptv.invalid/portal.php?type=stb&action=handshake&token=&JsHttpRequest=1-xml", "portal", None, None, None, "handshake", None),
    ("http://portal.fakeiptv.invalid:80/stalker_portal/server/load.php?type=itv&action=get_all_channels&mac=00:1A:79:12:34:56", "portal", None, None, None, "get_all_channels", None),
    # bare paths as they appear in a web server log
    ("/live/jdoe42/Pa55w0rd/1187.ts", "live", "jdoe42", "Pa55w0rd", "1187", None, "ts"),
    ("/get.php?username=jdoe42&password=Pa55w0rd&type=m3u", "get.php", "jdoe42", "Pa55w0rd", None, None, None),
    # host without scheme, as in chat messages
    ("line.fakeiptv.invalid:8080/live/jdoe42/Pa55w0rd/1187.ts", "live", "jdoe42", "Pa55w0rd", "1187", None, "ts"),
]  # fmt: skip

NEGATIVES = [
    "http://news.fakepaper.invalid/live/news/2024/06/01/story.html",
    "https://www.fakepaper.invalid/live/sport/football",
    "https://films.fakereview.invalid/movie/reviews/great-film-2024.html",
    "https://films.fakereview.invalid/movie/reviews/2024/",
    "https://tv.fakeguide.invalid/series/fake-show/season-2/episode-5",
    "https://blog.fake.invalid/2024/06/123",
    "https://shop.fake.invalid/get.php?id=5&page=2",
    "https://shop.fake.invalid/get.php?username=onlyuser",
    "https://forum.fake.invalid/portal.php?page=home",
    "https://cdn.fake.invalid/static/img/1187.ts",
    "http://line.fakeiptv.invalid:8080/live/jdoe42/Pa55w0rd",
    "http://line.fakeiptv.invalid:99999/live/jdoe42/Pa55w0rd/1187.ts",
    "ftp://files.fake.invalid/live/jdoe42/Pa55w0rd/1187.ts",
    "mailto:someone@fake.invalid",
    "/var/www/html/live/index.html",
]


@pytest.mark.parametrize(
    ("url", "endpoint", "username", "password", "stream_id", "action", "output"), POSITIVES
)
def test_positive_urls_classify(
    url: str,
    endpoint: str,
    username: str | None,
    password: str | None,
    stream_id: str | None,
    action: str | None,
    output: str | None,
) -> None:
    found = classify_url(url)
    assert found is not None, url
    assert (found.endpoint, found.username, found.password, found.stream_id, found.action, found.output) == (
        endpoint,
        username,
        password,
        stream_id,
        action,
        output,
    )
    assert found.endpoint in ENDPOINTS
    assert found.url == url


@pytest.mark.parametrize("url", NEGATIVES)
def test_ordinary_urls_do_not_classify(url: str) -> None:
    assert classify_url(url) is None
    assert list(find_urls(f"see {url} for details")) == []


def test_host_port_scheme_and_portal_mac() -> None:
    found = classify_url(POSITIVES[0][0])
    assert found is not None
    assert (found.scheme, found.host, found.port, found.playlist_type) == (
        "http",
        "line.fakeiptv.invalid",
        8080,
        "m3u_plus",
    )
    portal = classify_url(POSITIVES[14][0])
    assert portal is not None
    assert (portal.mac, portal.playlist_type, portal.port) == ("00:1A:79:12:34:56", "itv", 80)


def test_parameters_are_url_decoded_and_html_entities_undone() -> None:
    found = classify_url(
        f"{HOST}/get.php?username=m.rossi%40mail.invalid&amp;password=p%26ss+w%C3%B6rd&amp;type=m3u"
    )
    assert found is not None
    assert (found.username, found.password, found.playlist_type) == (
        "m.rossi@mail.invalid",
        "p&ss wörd",
        "m3u",
    )
    path = classify_url(f"{HOST}/live/j%20doe/p%2Fw/1.ts")
    assert path is not None and (path.username, path.password) == ("j doe", "p/w")


def test_timeshift_details() -> None:
    found = classify_url(f"{HOST}/timeshift/jdoe42/Pa55w0rd/120/2024-06-01:20-00/1187.ts")
    assert found is not None
    assert (found.timeshift_duration, found.timeshift_start) == ("120", "2024-06-01:20-00")


def test_find_in_access_log_sql_and_json() -> None:
    log = (
        b'203.0.113.9 - - [01/Jun/2024:20:01:07 +0000] "GET /live/jdoe42/Pa55w0rd/1187.ts HTTP/1.1" 200 1048576 '
        b'"-" "VLC/3.0.20 LibVLC/3.0.20"\n'
    )
    found = list(find_urls(log))
    assert [(f.endpoint, f.host, f.username, f.offset) for f in found] == [
        ("live", "", "jdoe42", log.index(b"/live/"))
    ]

    sql = b"INSERT INTO `streams` VALUES (7,1,'[\"http:\\/\\/up.fakecs.invalid:8000\\/live\\/r1\\/x9\\/55.ts\"]');"
    (stream,) = find_urls(sql)
    assert (stream.host, stream.port, stream.username, stream.stream_id) == (
        "up.fakecs.invalid",
        8000,
        "r1",
        "55",
    )
    assert stream.offset == sql.index(b"http:")

    text = "note: url=http://line.fakeiptv.invalid:8080/get.php?username=a&password=b, thanks."
    (glued,) = find_urls(text)
    assert glued.offset == text.index("http://")
    assert glued.url.endswith("password=b")


def test_offsets_are_bytes_for_bytes_input() -> None:
    text = "Müller → " + f"{HOST}/live/jdoe42/Pa55w0rd/1187.ts"
    (as_text,) = find_urls(text)
    (as_bytes,) = find_urls(text.encode("utf-8"))
    assert as_text.offset == text.index("http")
    assert as_bytes.offset == text.encode("utf-8").index(b"http")
    assert as_bytes.username == "jdoe42"


def test_utf8_credentials_in_bytes_are_decoded() -> None:
    (found,) = find_urls(f"{HOST}/live/jörg/pässwort/1.ts".encode())
    assert (found.username, found.password) == ("jörg", "pässwort")


def test_stream_matches_whole_text_across_chunk_boundaries() -> None:
    lines = [f"{i:06d} GET {HOST}/live/user{i}/pw{i}/{1000 + i}.ts 200\n" for i in range(3000)]
    data = "".join(lines).encode()
    whole = list(find_urls(data))
    streamed = list(iter_stream_urls(io.BytesIO(data), chunk_size=16384))
    assert len(whole) == 3000
    assert streamed == whole


def test_stream_ignores_url_inside_overlong_token() -> None:
    data = b"x" * 50_000 + b"/live/u/p/1.ts " + f"{HOST}/live/a/b/2.ts".encode()
    streamed = list(iter_stream_urls(io.BytesIO(data), chunk_size=16384))
    assert [f.username for f in streamed] == ["a"]
    assert [f.username for f in find_urls(data)] == ["a"]


def test_prefilter() -> None:
    assert not might_contain(b"nothing to see here")
    assert might_contain(b"GET /live/x")
    assert might_contain("http://a")


def test_large_hostile_text_is_fast() -> None:
    hostile = ("a:// " * 100_000) + ("/live/" * 100_000) + ("b" * 1_000_000) + "get.php"
    started = time.perf_counter()
    assert list(find_urls(hostile)) == []
    assert list(find_urls(hostile.encode())) == []
    assert time.perf_counter() - started < 5


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    for found in find_urls(data):
        assert isinstance(found, XtreamUrl)
        assert found.endpoint in ENDPOINTS
        assert 0 <= found.offset < len(data)
    assert list(iter_stream_urls(io.BytesIO(data), chunk_size=1)) == list(find_urls(data))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([p[0] for p in POSITIVES]), st.integers(0, 200), st.text(max_size=20))
def test_mangled_real_urls_never_crash(url: str, cut: int, noise: str) -> None:
    mangled = url[:cut] + noise + url[cut:]
    for found in find_urls(mangled):
        assert found.endpoint in ENDPOINTS
    classify_url(mangled)

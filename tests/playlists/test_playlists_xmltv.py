"""XMLTV guides: channels, programme spans, time zones, entity bombs and damaged files."""

from __future__ import annotations

import contextlib
import io
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbench.parsers.errors import ParseError
from workbench.parsers.xmltv import (
    XmltvGuide,
    iter_programmes,
    looks_like_xmltv,
    parse_xmltv_time,
    read_guide,
)

EXAMPLE = (
    b'<tv generator-info-name="fake-epg"><channel id="sportone.uk"><display-name>Sport One</display-name></channel>\n'
    b'<programme start="20240601200000 +0000" stop="20240601220000 +0000" channel="sportone.uk">'
    b"<title>Live Football</title></programme></tv>"
)

RICHER = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE tv SYSTEM "xmltv.dtd">
<tv generator-info-name="fake-epg" source-info-url="http://line.fakeiptv.invalid:8080/xmltv.php?username=jdoe42&amp;password=Pa55w0rd">
  <channel id="sportone.uk">
    <display-name lang="en">Sport One</display-name>
    <display-name>S1 HD</display-name>
    <icon src="http://img.fakeiptv.invalid/s1.png"/>
    <url>http://sportone.fake.invalid</url>
  </channel>
  <channel id="news24.uk"><display-name>News 24</display-name></channel>
  <programme start="20240601200000 +0200" stop="20240601210000 +0200" channel="sportone.uk">
    <title>Pre-match</title><desc>Build-up &amp; analysis</desc>
  </programme>
  <programme start="20240601210000 +0200" stop="20240601230000 +0200" channel="sportone.uk"><title>Live</title></programme>
  <programme start="202406011800" channel="news24.uk"><title>News</title></programme>
  <programme start="garbage" stop="" channel="orphan.tv"><title>Lost</title></programme>
</tv>
"""


def guide(data: bytes, **kwargs: bool) -> XmltvGuide:
    return read_guide(io.BytesIO(data), **kwargs)


def test_example_from_catalogue() -> None:
    parsed = guide(EXAMPLE)
    assert parsed.programmes == 1
    (channel,) = parsed.channels
    assert (channel.channel_id, channel.display_name, channel.programmes, channel.line) == (
        "sportone.uk",
        "Sport One",
        1,
        1,
    )
    assert channel.first_programme == datetime(2024, 6, 1, 20, tzinfo=UTC)
    assert channel.last_programme == datetime(2024, 6, 1, 22, tzinfo=UTC)
    assert dict(parsed.attributes) == {"generator-info-name": "fake-epg"}


def test_richer_guide() -> None:
    parsed = guide(RICHER)
    by_id = {channel.channel_id: channel for channel in parsed.channels}
    assert list(by_id) == ["sportone.uk", "news24.uk", "orphan.tv"]
    sport = by_id["sportone.uk"]
    assert sport.display_names == ("Sport One", "S1 HD")
    assert (sport.icon, sport.urls, sport.programmes) == (
        "http://img.fakeiptv.invalid/s1.png",
        ("http://sportone.fake.invalid",),
        2,
    )
    assert sport.first_programme == datetime(2024, 6, 1, 18, tzinfo=UTC)  # +0200 converted to UTC
    assert sport.last_programme == datetime(2024, 6, 1, 21, tzinfo=UTC)
    news = by_id["news24.uk"]
    assert news.first_programme == news.last_programme == datetime(2024, 6, 1, 18, tzinfo=UTC)  # no zone: UTC
    orphan = by_id["orphan.tv"]
    assert (orphan.declared, orphan.programmes, orphan.first_programme) == (False, 1, None)
    assert "xmltv.php?username=jdoe42&password=Pa55w0rd" in dict(parsed.attributes)["source-info-url"]
    programmes = list(iter_programmes(io.BytesIO(RICHER)))
    assert [p.title for p in programmes] == ["Pre-match", "Live", "News", "Lost"]
    assert programmes[0].description == "Build-up & analysis"
    assert (programmes[3].start, programmes[3].start_raw) == (None, "garbage")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20240601200000 +0000", datetime(2024, 6, 1, 20, tzinfo=UTC)),
        ("20240601200000 -0130", datetime(2024, 6, 1, 21, 30, tzinfo=UTC)),
        ("20240601200000+01:00", datetime(2024, 6, 1, 19, tzinfo=UTC)),
        ("20240601200000", datetime(2024, 6, 1, 20, tzinfo=UTC)),
        ("202406012000 Z", datetime(2024, 6, 1, 20, tzinfo=UTC)),
        ("20240601", datetime(2024, 6, 1, tzinfo=UTC)),
        ("20241301000000 +0000", None),
        ("20240601200000 +9999", None),
        ("tomorrow", None),
        ("", None),
    ],
)
def test_time_formats(text: str, expected: datetime | None) -> None:
    assert parse_xmltv_time(text) == expected


def test_root_sniffing() -> None:
    assert looks_like_xmltv(EXAMPLE)
    assert looks_like_xmltv(RICHER)
    assert looks_like_xmltv(b"\xef\xbb\xbf<!-- guide -->\n<tv>")
    assert looks_like_xmltv("<?xml version='1.0' encoding='UTF-16'?><tv/>".encode("utf-16"))
    assert not looks_like_xmltv(b"<?xml version='1.0'?><rss><channel/></rss>")
    assert not looks_like_xmltv(b"<tvshow/>")
    assert not looks_like_xmltv(b"\x00\x01\x02")


def test_wrong_root_raises() -> None:
    with pytest.raises(ParseError, match="root element"):
        guide(b"<rss><channel id='x'/></rss>")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE tv [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<tv><channel id="x"><display-name>&lol9;</display-name></channel></tv>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE tv [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<tv><channel id="x"><display-name>&secret;</display-name></channel></tv>
"""


@pytest.mark.parametrize(
    "document", [BILLION_LAUGHS, EXTERNAL_ENTITY, BILLION_LAUGHS.decode().encode("utf-16")]
)
def test_entity_declarations_are_refused(document: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(ParseError, match="entity"):
        guide(document, partial=True)
    assert time.perf_counter() - started < 1


def test_unknown_declared_encoding_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="unreadable XML"):
        guide(b'<?xml version="1.0" encoding="UTF-Y"?><tv/>')


def test_undefined_entity_is_an_error() -> None:
    with pytest.raises(ParseError, match="undefined entity"):
        guide(b"<tv><channel id='x'><display-name>&nope;</display-name></channel></tv>")


def test_truncated_guide_partial_and_strict() -> None:
    truncated = RICHER[: RICHER.index(b'<programme start="202406011800"') + 20]
    with pytest.raises(ParseError):
        guide(truncated)
    parsed = guide(truncated, partial=True)
    assert parsed.error
    assert [c.channel_id for c in parsed.channels] == ["sportone.uk", "news24.uk"]
    assert parsed.programmes == 2


def test_huge_text_is_capped() -> None:
    data = b"<tv><channel id='x'><display-name>" + b"A" * 3_000_000 + b"</display-name></channel></tv>"
    (channel,) = guide(data).channels
    assert len(channel.display_name) == 64 * 1024


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        guide(data, partial=True)
    looks_like_xmltv(data)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(RICHER)), st.binary(max_size=30), st.integers(0, len(RICHER)))
def test_truncated_and_mangled_real_guide(cut: int, noise: bytes, where: int) -> None:
    for data in (RICHER[:cut], RICHER[:where] + noise + RICHER[where:]):
        try:
            parsed = guide(data, partial=True)
            assert all(channel.programmes >= 0 for channel in parsed.channels)
        except ParseError:
            pass

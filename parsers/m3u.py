"""M3U / M3U8 playlists: IPTV channel lists and HLS master/media playlists, read as a stream.

An IPTV panel writes ``#EXTM3U`` then, per channel, ``#EXTINF:-1 tvg-id="…" tvg-name="…"
tvg-logo="…" group-title="…",Title`` and the stream URL on the next line. The same container is
used by HLS: a master playlist lists variants after ``#EXT-X-STREAM-INF``, a media playlist lists
segments after ``#EXTINF`` once ``#EXT-X-TARGETDURATION`` (or another media tag) has been seen.
Every URL line becomes an ``M3uEntry`` whose ``kind`` tells the three apart.

Tolerated: BOM, CRLF, missing ``#EXTM3U``, unquoted or unclosed attribute values, commas inside
quoted values, missing titles, ``#EXTGRP``, ``#EXTVLCOPT`` / ``#KODIPROP`` options, lines of any
length (cut at ``MAX_LINE_BYTES``, the rest of the line is skipped but counted for line numbers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from workbench.parsers.errors import ParseError
from workbench.parsers.xtream_urls import XtreamUrl, classify_url

MAX_LINE_BYTES = 1 << 20
HEAD_BYTES = 64 * 1024

# An attribute ``key=value`` with the value double-quoted, single-quoted or bare.
_ATTR_RE = re.compile(r"""\s*([^\s=,"']++)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s,"']*))""")
_BARE_TOKEN_RE = re.compile(r"""\s*[^\s,]+""")
_HLS_ATTR_RE = re.compile(r'\s*([A-Za-z0-9-]++)=("[^"]*"|[^,]*),?')
_DURATION_RE = re.compile(r"\s*([-+]?[0-9]{1,12}(?:\.[0-9]{1,9})?)")
_HLS_MEDIA_TAGS = (
    "#EXT-X-TARGETDURATION",
    "#EXT-X-MEDIA-SEQUENCE",
    "#EXT-X-PLAYLIST-TYPE",
    "#EXT-X-ENDLIST",
    "#EXT-X-DISCONTINUITY-SEQUENCE",
)
_URLISH_RE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]{0,15}://|/|[A-Za-z]:\\)")


@dataclass(frozen=True)
class M3uHeader:
    """What the start of a playlist says about the whole: its kind and ``#EXTM3U`` attributes."""

    kind: str  # "iptv" (channel list), "hls_master", "hls_media" or "plain" (bare URL list)
    has_extm3u: bool
    attributes: tuple[tuple[str, str], ...]
    epg_urls: tuple[str, ...]  # from url-tvg / x-tvg-url / tvg-url, comma-separated lists split


@dataclass(frozen=True)
class M3uEntry:
    """One URL line of a playlist with the tags that preceded it."""

    line: int  # 1-based line of the URL
    url: str
    kind: str  # "channel", "variant" (HLS master) or "segment" (HLS media)
    title: str
    duration: float | None
    attributes: tuple[tuple[str, str], ...]  # #EXTINF (or #EXT-X-STREAM-INF) attributes, keys lower-cased
    group: str  # group-title, else #EXTGRP
    options: tuple[str, ...]  # #EXTVLCOPT / #KODIPROP values
    extinf_line: int | None
    access: XtreamUrl | None  # the URL classified as an Xtream/XUI client URL, if it is one

    def attribute(self, name: str) -> str:
        """The value of attribute ``name`` (lower-case key), or ""."""
        for key, value in self.attributes:
            if key == name:
                return value
        return ""

    @property
    def tvg_id(self) -> str:
        """The tvg-id attribute (EPG channel id)."""
        return self.attribute("tvg-id")

    @property
    def tvg_name(self) -> str:
        """The tvg-name attribute."""
        return self.attribute("tvg-name")

    @property
    def logo(self) -> str:
        """The tvg-logo attribute (channel icon URL)."""
        return self.attribute("tvg-logo") or self.attribute("logo")

    @property
    def xui_id(self) -> str:
        """The xui-id attribute written by XUI.one panels."""
        return self.attribute("xui-id")


def parse_attributes(text: str) -> tuple[tuple[tuple[str, str], ...], int]:
    """Parse ``key="value" …`` up to the first top-level comma; returns the pairs and where the
    comma is (``len(text)`` when there is none). Linear in the length of ``text``."""
    pairs: list[tuple[str, str]] = []
    pos = 0
    size = len(text)
    while pos < size:
        while pos < size and text[pos].isspace():
            pos += 1
        if pos >= size or text[pos] == ",":
            break
        match = _ATTR_RE.match(text, pos)
        if match:
            value = next((g for g in match.groups()[1:] if g is not None), "")
            if match.group(4) == "" and match.end() < size and text[match.end()] in "\"'":
                # Unclosed quote: the value runs to the next comma.
                comma = text.find(",", match.end())
                end = size if comma < 0 else comma
                value = text[match.end() + 1 : end]
                pairs.append((match.group(1).lower(), value))
                pos = end
                continue
            pairs.append((match.group(1).lower(), value))
            pos = match.end()
            continue
        token = _BARE_TOKEN_RE.match(text, pos)
        if token is None:  # a lone quote character
            pos += 1
            continue
        pairs.append((token.group().strip().lower(), ""))
        pos = token.end()
    return tuple(pairs), min(pos, size)


def parse_extinf(text: str) -> tuple[float | None, tuple[tuple[str, str], ...], str]:
    """Split the part after ``#EXTINF:`` into duration, attributes and title."""
    duration: float | None = None
    pos = 0
    match = _DURATION_RE.match(text)
    if match:
        duration = float(match.group(1))
        pos = match.end()
    attributes, comma = parse_attributes(text[pos:])
    title = text[pos + comma + 1 :].strip() if pos + comma < len(text) else ""
    return duration, attributes, title


def parse_hls_attributes(text: str) -> tuple[tuple[str, str], ...]:
    """HLS attribute list (``BANDWIDTH=1280000,RESOLUTION=1280x720,CODECS="a,b"``), keys lower-cased."""
    pairs: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _HLS_ATTR_RE.match(text, pos)
        if match is None:  # not NAME=VALUE: skip to the next comma
            comma = text.find(",", pos)
            if comma < 0:
                break
            pos = comma + 1
            continue
        value = match.group(2)
        pairs.append((match.group(1).lower(), value[1:-1] if value.startswith('"') else value.strip()))
        pos = match.end()
    return tuple(pairs)


def read_header(head: bytes) -> M3uHeader:
    """Classify a playlist from its first bytes (``HEAD_BYTES`` is enough) and read ``#EXTM3U``."""
    text = _decode(head[:HEAD_BYTES])
    lines = [line.strip() for line in text.splitlines()]
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:].strip()
    first = next((line for line in lines if line), "")
    has_extm3u = first.upper().startswith("#EXTM3U")
    attributes: tuple[tuple[str, str], ...] = ()
    if has_extm3u:
        attributes, _ = parse_attributes(first[len("#EXTM3U") :])
    upper_lines = [line[:32].upper() for line in lines]
    if any(line.startswith("#EXT-X-STREAM-INF") for line in upper_lines):
        kind = "hls_master"
    elif any(line.startswith(_HLS_MEDIA_TAGS) for line in upper_lines):
        kind = "hls_media"
    elif any(line.startswith("#EXTINF") for line in upper_lines):
        kind = "iptv"
    else:
        kind = "plain"
    epg_urls: list[str] = []
    for key, value in attributes:
        if key in ("url-tvg", "x-tvg-url", "tvg-url"):
            epg_urls.extend(part.strip() for part in value.split(",") if part.strip())
    return M3uHeader(kind=kind, has_extm3u=has_extm3u, attributes=attributes, epg_urls=tuple(epg_urls))


def iter_lines(stream: BinaryIO, max_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes]]:
    """(line number, line without its end) for each line of a binary stream; a line longer than
    ``max_bytes`` is cut there and the rest of it skipped, so memory stays bounded."""
    number = 0
    while True:
        chunk = stream.readline(max_bytes)
        if not chunk:
            return
        number += 1
        if not chunk.endswith(b"\n") and len(chunk) >= max_bytes:
            while True:  # discard the rest of an over-long line
                rest = stream.readline(max_bytes)
                if not rest or rest.endswith(b"\n"):
                    break
        yield number, chunk.rstrip(b"\r\n")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def iter_entries(stream: BinaryIO) -> Iterator[M3uEntry]:
    """Every URL line of an M3U/M3U8 playlist, streamed. Raises ParseError when the stream does not
    start like a playlist (``#EXTM3U``, ``#EXTINF``, another ``#EXT`` tag or a URL)."""
    started = False
    media = False
    pending_inf: tuple[int, float | None, tuple[tuple[str, str], ...], str] | None = None
    pending_variant: tuple[int, tuple[tuple[str, str], ...]] | None = None
    group = ""
    options: list[str] = []
    for number, raw in iter_lines(stream):
        text = _decode(raw)
        if not started:
            text = text.lstrip("\ufeff")
        line = text.strip()
        if not line:
            continue
        if not started:
            if not (line.startswith("#EXT") or _URLISH_RE.match(line)):
                raise ParseError(
                    "not an M3U playlist: first line is neither #EXTM3U, #EXTINF nor a URL", line=number
                )
            started = True
        if line.startswith("#"):
            tag, _, value = line.partition(":")
            tag = tag.upper()
            if tag == "#EXTINF":
                duration, attributes, title = parse_extinf(value)
                pending_inf = (number, duration, attributes, title)
            elif tag == "#EXT-X-STREAM-INF":
                pending_variant = (number, parse_hls_attributes(value))
            elif tag == "#EXTGRP":
                group = value.strip()
            elif tag in ("#EXTVLCOPT", "#KODIPROP"):
                options.append(value.strip())
            elif tag in _HLS_MEDIA_TAGS:
                media = True
            continue
        if pending_variant is not None:
            inf_line, attributes = pending_variant
            kind, duration, title = "variant", None, ""
        elif pending_inf is not None:
            inf_line, duration, attributes, title = pending_inf
            kind = "segment" if media else "channel"
        else:
            inf_line, duration, attributes, title, kind = (
                None,
                None,
                (),
                "",
                "segment" if media else "channel",
            )
        group_title = next((value for key, value in attributes if key == "group-title"), "") or group
        yield M3uEntry(
            line=number,
            url=line,
            kind=kind,
            title=title,
            duration=duration,
            attributes=attributes,
            group=group_title,
            options=tuple(options),
            extinf_line=inf_line,
            access=classify_url(line),
        )
        pending_inf, pending_variant, options = None, None, []

"""IPTV playlists, XMLTV guides and Xtream/XUI/Stalker access URLs found anywhere in text.

Three plugins:
- ``playlists.m3u``: M3U/M3U8 files: one ``iptv.channel`` per channel entry (HLS master/media
  playlists have variants and segments, not channels) and one ``iptv.access_url`` per distinct
  line credential (host, port, user, password) plus the EPG URLs of the ``#EXTM3U`` header.
- ``playlists.xmltv``: XMLTV guides (also gzipped): one ``iptv.epg_channel`` per channel.
- ``playlists.access_urls``: any text file, log or SQL dump: one ``iptv.access_url`` per distinct
  client URL, with how often it occurs. Streamed in chunks, so big logs cost one pass.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from workbench.parsers.errors import ParseError
from workbench.parsers.m3u import HEAD_BYTES, M3uEntry, iter_entries, read_header
from workbench.parsers.xmltv import looks_like_xmltv, read_guide
from workbench.parsers.xtream_urls import XtreamUrl, classify_url, iter_stream_urls

from workbench.plugin_api import (
    Artefact,
    ArtefactKind,
    CaseReader,
    Field,
    FileView,
    Plugin,
    UcoMapping,
    figure,
)

CHANNEL = ArtefactKind(
    "iptv.channel",
    "IPTV channel",
    description="A channel or VOD item of an IPTV playlist, with the line credentials its stream URL carries.",
    fields=(
        Field("name", "str", "Title as listed in the playlist", key=True),
        Field("tvg_id", "str", "EPG channel id (tvg-id)"),
        Field("tvg_name", "str", "tvg-name attribute"),
        Field("group", "str", "Category (group-title or #EXTGRP)"),
        Field("logo", "str", "Logo URL (tvg-logo)"),
        Field("url", "str", "Stream URL", key=True),
        Field("username", "str", "Line user name in the stream URL"),
        Field("password", "str", "Line password in the stream URL", secret=True),
        Field("stream_id", "int", "Panel stream id in the stream URL"),
        Field("xui_id", "str", "xui-id attribute (XUI.one panels)"),
        Field("duration", "float", "#EXTINF duration (-1 for live streams)"),
        Field("playlist", "str", "Path of the playlist file"),
        Field("host", "str", "Stream host"),
        Field("port", "int", "Stream port"),
        Field(
            "endpoint", "str", "Client URL form (live, movie, series, short …); empty when not a panel URL"
        ),
        Field("attributes", "json", "Every #EXTINF attribute as found"),
    ),
    summary_fields=("name", "group", "tvg_id", "url", "username", "playlist"),
    uco=UcoMapping("uco-observable:URLFacet", {"uco-observable:fullValue": "url"}),
)

ACCESS_URL = ArtefactKind(
    "iptv.access_url",
    "IPTV access URL",
    description="An Xtream Codes / XUI / Stalker client URL: proof that a line's credentials were handed out or used.",
    fields=(
        Field("url", "str", "The URL as found", key=True),
        Field("host", "str", "Host (empty for a bare path, e.g. in a web server log)"),
        Field("port", "int", "Explicit port"),
        Field(
            "endpoint",
            "str",
            "get.php, player_api.php, xmltv.php, live, movie, series, timeshift, short or portal",
        ),
        Field("username", "str", "Line user name"),
        Field("password", "str", "Line password", secret=True),
        Field("stream_id", "int", "Stream, VOD or series id"),
        Field("action", "str", "player_api.php / portal action"),
        Field("output", "str", "Output format or stream file extension"),
        Field("scheme", "str", "http or https"),
        Field("playlist_type", "str", "get.php type= (m3u, m3u_plus …) or portal type="),
        Field("mac", "str", "MAG device MAC (portal URLs)"),
        Field("timeshift_start", "str", "Timeshift start as written"),
        Field("timeshift_duration", "int", "Timeshift duration (minutes)"),
        Field("occurrences", "int", "How often the URL occurs in the file"),
        Field("source", "str", "Where it was found: m3u entry, m3u header, xmltv header or text"),
    ),
    summary_fields=("endpoint", "host", "port", "username", "stream_id", "occurrences"),
    uco=UcoMapping(
        "uco-observable:URLFacet",
        {
            "uco-observable:fullValue": "url",
            "uco-observable:scheme": "scheme",
            "uco-observable:host": "host",
            "uco-observable:port": "port",
            "uco-observable:userName": "username",
        },
    ),
)

EPG_CHANNEL = ArtefactKind(
    "iptv.epg_channel",
    "EPG channel",
    description="A channel of an XMLTV electronic programme guide, with how many programmes it lists and when.",
    fields=(
        Field("channel_id", "str", "XMLTV channel id (matches tvg-id in playlists)", key=True),
        Field("display_name", "str", "First display name"),
        Field("icon", "str", "Icon URL"),
        Field("programmes", "int", "Number of programmes listed"),
        Field("first_programme", "datetime", "Earliest programme start (UTC)"),
        Field("last_programme", "datetime", "Latest programme end (UTC)"),
        Field("display_names", "list", "Every display name"),
        Field("declared", "bool", "The guide has a <channel> element for it (else only programmes name it)"),
        Field("complete", "bool", "False when the guide file is truncated or damaged after this point"),
    ),
    summary_fields=("channel_id", "display_name", "programmes", "first_programme", "last_programme"),
)

MAX_DISTINCT_URLS = 200_000
M3U_NAMES = (".m3u", ".m3u8")


def _stream_id(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) <= 18 else None


def access_url_artefact(
    found: XtreamUrl, source: str, *, line: int | None = None, occurrences: int = 1
) -> Artefact:
    """The ``iptv.access_url`` artefact for one classified URL."""
    duration = found.timeshift_duration
    return ACCESS_URL(
        line=line,
        offset=None if line is not None else found.offset,
        url=found.url,
        host=found.host,
        port=found.port,
        endpoint=found.endpoint,
        username=found.username,
        password=found.password,
        stream_id=_stream_id(found.stream_id),
        action=found.action,
        output=found.output,
        scheme=found.scheme,
        playlist_type=found.playlist_type,
        mac=found.mac,
        timeshift_start=found.timeshift_start,
        timeshift_duration=_stream_id(duration),
        occurrences=occurrences,
        source=source,
    )


class GzipReader(io.RawIOBase):
    """Decompresses a gzip stream; a damaged or truncated one ends early with ``error`` set, so
    what could be read is still used (recovered and rotated logs are often cut short)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._gzip = gzip.GzipFile(fileobj=raw)
        self.error = ""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.error:
            return 0
        try:
            # read1: one decompression step at a time, so data before a damaged spot is returned
            data = self._gzip.read1(min(len(buffer), 1 << 16))
        except (OSError, EOFError, zlib.error) as exc:
            self.error = f"damaged gzip data: {exc}"
            return 0
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._gzip.close()
        self._raw.close()
        super().close()


def open_maybe_gzip(file: FileView) -> BinaryIO:
    """The file's content stream, decompressed (tolerantly) when it is gzip."""
    stream = file.open()
    magic = stream.read(2)
    stream.close()
    stream = file.open()
    if magic == b"\x1f\x8b":
        return GzipReader(stream)  # type: ignore[return-value]
    return stream


class M3uPlaylistPlugin(Plugin):
    """Channels and line credentials of M3U/M3U8 playlists."""

    name = "playlists.m3u"
    version = "1"
    description = "IPTV channel lists (M3U/M3U8): channels, stream URLs and the line credentials in them."
    kinds = (CHANNEL, ACCESS_URL)
    globs = ("*.m3u", "*.m3u8", "*.M3U", "*.M3U8")
    mime_types = (
        "audio/x-mpegurl",
        "audio/mpegurl",
        "application/x-mpegurl",
        "application/vnd.apple.mpegurl",
    )

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """Yield channels and distinct access URLs of one playlist, streamed."""
        with file.open() as stream:
            header = read_header(stream.read(HEAD_BYTES))
        for epg_url in header.epg_urls:
            found = classify_url(epg_url)
            if found is not None:
                yield access_url_artefact(found, "m3u header", line=1)
        channels_expected = header.kind in ("iptv", "plain")
        seen: set[tuple[object, ...]] = set()
        with file.open() as stream:
            for entry in iter_entries(stream):
                if channels_expected and entry.kind == "channel":
                    yield self._channel(entry, file.path)
                access = entry.access
                if access is None:
                    continue
                credential = (access.host, access.port, access.username, access.password, access.mac)
                if credential not in seen:
                    seen.add(credential)
                    yield access_url_artefact(access, "m3u entry", line=entry.line)

    @staticmethod
    def _channel(entry: M3uEntry, playlist: str) -> Artefact:
        access = entry.access
        return CHANNEL(
            line=entry.line,
            name=entry.title or entry.tvg_name,
            tvg_id=entry.tvg_id,
            tvg_name=entry.tvg_name,
            group=entry.group,
            logo=entry.logo,
            url=entry.url,
            username=access.username if access else None,
            password=access.password if access else None,
            stream_id=_stream_id(access.stream_id) if access else None,
            xui_id=entry.xui_id,
            duration=entry.duration,
            playlist=playlist,
            host=access.host if access else None,
            port=access.port if access else None,
            endpoint=access.endpoint if access else "",
            attributes=dict(entry.attributes),
        )

    def correlate(self, store: CaseReader) -> Iterable[Artefact]:
        """Case figures: distinct playlist channels and distinct line credentials in playlists."""
        channels: set[tuple[str, str]] = set()
        credentials: set[tuple[str, str, str]] = set()
        for artefact in store.artefacts(kind=CHANNEL.name):
            fields = artefact.fields
            channels.add((str(fields.get("name") or ""), str(fields.get("tvg_id") or "")))
            if fields.get("username"):
                credentials.add(
                    (
                        str(fields.get("host") or ""),
                        str(fields["username"]),
                        str(fields.get("password") or ""),
                    )
                )
        if channels:
            yield figure(
                "iptv",
                "playlist channels",
                len(channels),
                "distinct (name, tvg-id) pairs over all iptv.channel artefacts from M3U playlists",
            )
        if credentials:
            yield figure(
                "iptv",
                "line credentials in playlists",
                len(credentials),
                "distinct (host, username, password) in the stream URLs of iptv.channel artefacts",
            )


class XmltvGuidePlugin(Plugin):
    """Channels of XMLTV programme guides."""

    name = "playlists.xmltv"
    version = "1"
    description = "XMLTV electronic programme guides: channels, programme counts and covered period."
    kinds = (EPG_CHANNEL, ACCESS_URL)
    globs = ("*.xml", "*.XML", "*.xmltv", "*.xml.gz", "*.xmltv.gz", "*epg*")

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """Yield one ``iptv.epg_channel`` per channel; files whose root is not <tv> give nothing."""
        with open_maybe_gzip(file) as stream:
            head = stream.read(8192)
        if not looks_like_xmltv(head):
            return
        with open_maybe_gzip(file) as stream:
            guide = read_guide(stream, partial=True)
            complete = not (guide.error or (isinstance(stream, GzipReader) and stream.error))
        for key, value in guide.attributes:
            found = classify_url(value) if key.endswith("url") else None
            if found is not None:
                yield access_url_artefact(found, "xmltv header", line=1)
        for channel in guide.channels:
            yield EPG_CHANNEL(
                line=channel.line,
                channel_id=channel.channel_id,
                display_name=channel.display_name,
                icon=channel.icon,
                programmes=channel.programmes,
                first_programme=channel.first_programme,
                last_programme=channel.last_programme,
                display_names=list(channel.display_names),
                declared=channel.declared,
                complete=complete,
            )

    def correlate(self, store: CaseReader) -> Iterable[Artefact]:
        """Case figure: distinct EPG channel ids."""
        channel_ids = {str(a.fields.get("channel_id")) for a in store.artefacts(kind=EPG_CHANNEL.name)}
        if channel_ids:
            yield figure(
                "iptv", "EPG channels", len(channel_ids), "distinct channel ids over all iptv.epg_channel"
            )


class AccessUrlPlugin(Plugin):
    """Xtream/XUI/Stalker client URLs in any text: notes, logs, SQL dumps, configs, chat exports."""

    name = "playlists.access_urls"
    version = "1"
    description = "Xtream Codes / XUI / Stalker client URLs (line credentials) found in text files and logs."
    kinds = (ACCESS_URL,)
    globs = ("*.log", "*.log.[0-9]*", "*/access.log*", "*.sql", "*.sql.gz")
    mime_types = ("text/*",)
    yara_rules = ("iptv_xtream_url", "xtream_url", "iptv_xtream_client_url", "iptv_access_url")
    yara_tags = ("iptv_url",)

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """Yield one ``iptv.access_url`` per distinct URL, at its first offset, with its count."""
        if file.path.lower().endswith(M3U_NAMES):
            return  # playlists are read by playlists.m3u
        with open_maybe_gzip(file) as stream:
            yield from self._distinct(iter_stream_urls(stream))
            damage = stream.error if isinstance(stream, GzipReader) else ""
        if damage:
            raise ParseError(f"{damage} (the URLs before the damage were kept)")

    @staticmethod
    def _distinct(found_urls: Iterator[XtreamUrl]) -> Iterator[Artefact]:
        first: dict[str, XtreamUrl] = {}
        counts: dict[str, int] = {}
        for found in found_urls:
            if found.url in counts:
                counts[found.url] += 1
            elif len(first) < MAX_DISTINCT_URLS:
                first[found.url] = found
                counts[found.url] = 1
        for url, found in first.items():
            yield access_url_artefact(found, "text", occurrences=counts[url])

    def correlate(self, store: CaseReader) -> Iterable[Artefact]:
        """Case figure: distinct line credentials seen in client URLs (any source)."""
        credentials = set()
        for artefact in store.artefacts(kind=ACCESS_URL.name):
            fields = artefact.fields
            if fields.get("username") or fields.get("mac"):
                credentials.add(
                    (
                        str(fields.get("host") or ""),
                        str(fields.get("username") or ""),
                        str(fields.get("password") or ""),
                        str(fields.get("mac") or ""),
                    )
                )
        if credentials:
            yield figure(
                "iptv",
                "line credentials in access URLs",
                len(credentials),
                "distinct (host, username, password, MAC) over all iptv.access_url artefacts",
            )


PLUGINS = (M3uPlaylistPlugin, XmltvGuidePlugin, AccessUrlPlugin)

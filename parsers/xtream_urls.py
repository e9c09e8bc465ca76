"""Xtream Codes / XUI / Stalker client access URLs found in any text (playlists, logs, SQL, notes).

A client URL carries the subscriber's line credentials, so every one found is evidence of access:

    /get.php?username=U&password=P&type=m3u_plus&output=ts       endpoint "get.php"
    /player_api.php?username=U&password=P[&action=…]             endpoint "player_api.php"
    /xmltv.php?username=U&password=P                             endpoint "xmltv.php"
    /live/U/P/ID.ts|m3u8   /movie/U/P/ID.ext   /series/U/P/ID.ext
    /timeshift/U/P/DURATION/START/ID.ts                          endpoint "timeshift"
    http://host:port/U/P/ID                                      endpoint "short"
    /portal.php, /server/load.php (MAG / Stalker emulation)      endpoint "portal"

Finding works marker-first: a cheap scan for the literal markers above, then the URL-ish token
around each marker is cut out (bounded length) and classified. Ordinary URLs such as
``/live/news/2024/06/01/story.html`` or ``/movie/reviews/…`` do not classify, because every path
form is matched exactly (segment count, numeric id, known extensions). The short form
``/U/P/ID`` needs a host and either an explicit port or a ``.ts``/``.m3u8`` extension, since a
bare ``https://site/2024/06/123`` is indistinguishable from it otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import unquote_plus

ENDPOINTS = (
    "get.php",
    "player_api.php",
    "xmltv.php",
    "live",
    "movie",
    "series",
    "timeshift",
    "short",
    "portal",
)

MAX_URL_LENGTH = 4096
_CHUNK_SIZE = 1 << 20

# Characters that end a URL token in free text, logs, SQL, JSON and HTML.
_DELIMS = r"\s\x00-\x1f\x7f\"'<>`^{}|()"
_DELIM_RE = re.compile(f"[{_DELIMS}]")
_TOKEN_START_RE = re.compile(f"[{_DELIMS}][^{_DELIMS}]*\\Z")
_MARKER_RE = re.compile(
    r"get\.php|player_api\.php|xmltv\.php|portal\.php|load\.php|://|:\\/\\/"
    r"|(?:/|\\/)(?:live|movie|series|timeshift)(?:/|\\/)"
)
_MARKERS_BYTES = (
    b"get.php",
    b"player_api.php",
    b"xmltv.php",
    b"portal.php",
    b"load.php",
    b"://",
    b":\\/\\/",
    b"/live/",
    b"/movie/",
    b"/series/",
    b"/timeshift/",
    b"\\/live\\/",
    b"\\/movie\\/",
    b"\\/series\\/",
    b"\\/timeshift\\/",
)

_SCHEME_RE = re.compile(r"(?i)(https?)://")
_AUTHORITY_RE = re.compile(
    r"(?:[^/?#@\s]*@)?(?P<host>\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252}))(?::(?P<port>[0-9]{1,5}))?"
)
_BARE_HOST_RE = re.compile(
    r"(?P<host>(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z0-9-]{1,63}|localhost)(?::(?P<port>[0-9]{1,5}))?(?=/)"
)

_SEG = r"([^/?#]{1,256})"
_STREAM_EXT = r"ts|m3u8"
_VOD_EXT = r"mp4|mkv|avi|ts|m3u8|flv|mov|wmv|m4v|webm|mpg|mpeg|3gp|ogv|divx|mp3|aac"
_LIVE_RE = re.compile(rf"/live/{_SEG}/{_SEG}/([0-9]{{1,12}})\.({_STREAM_EXT})/?")
_VOD_RE = re.compile(rf"/(movie|series)/{_SEG}/{_SEG}/([0-9]{{1,12}})\.({_VOD_EXT})/?")
_TIMESHIFT_RE = re.compile(
    rf"/timeshift/{_SEG}/{_SEG}/([0-9]{{1,6}})/([^/?#]{{1,64}})/([0-9]{{1,12}})(?:\.({_STREAM_EXT}))?/?"
)
_SHORT_RE = re.compile(rf"/{_SEG}/{_SEG}/([0-9]{{1,12}})(?:\.({_STREAM_EXT}))?/?")
_QUERY_ENDPOINT_RE = re.compile(r"(?:/[^?#]*)?/(get\.php|player_api\.php|xmltv\.php)")
_PORTAL_RE = re.compile(r"(?:/[^?#]*)?/(?:portal\.php|server/load\.php)")
_STALKER_QUERY_RE = re.compile(
    r"(?:^|&)(?:type=(?:stb|itv|vod|series|account_info|watchdog|epg|radio|tv_archive|tvreminder)\b|mac=|JsHttpRequest=)",
    re.IGNORECASE,
)
# First path segments that are endpoint names, never a line user name in the short form.
_NOT_SHORT_USERS = frozenset(
    {"live", "movie", "series", "timeshift", "images", "static", "assets", "uploads", "hls"}
)


@dataclass(frozen=True)
class XtreamUrl:
    """One client access URL with the line credentials it carries."""

    url: str
    host: str  # lower-case host name or address, "" when the URL was a bare path (e.g. in a log request)
    port: int | None  # explicit port only
    endpoint: str  # one of ENDPOINTS
    username: str | None
    password: str | None
    stream_id: str | None
    action: str | None  # player_api.php / portal action
    output: str | None  # get.php output=, or the stream file extension
    offset: int  # where the URL starts in the searched text (bytes offset for bytes input)
    scheme: str = ""
    playlist_type: str | None = None  # get.php type= (m3u, m3u_plus …), portal type=
    mac: str | None = None  # MAG device MAC from a portal URL
    timeshift_duration: str | None = None
    timeshift_start: str | None = None


def might_contain(data: bytes | str) -> bool:
    """Cheap prefilter: False when ``data`` holds none of the markers any client URL needs."""
    raw = data.encode("latin-1", "replace") if isinstance(data, str) else data
    return any(marker in raw for marker in _MARKERS_BYTES)


def classify_url(url: str, offset: int = 0) -> XtreamUrl | None:
    """Classify one URL (absolute, bare ``host:port/…`` or a bare path); None if it is not a client URL."""
    url = url.strip().rstrip(".,;:!?")
    if not url or len(url) > MAX_URL_LENGTH:
        return None
    url = url.replace("&amp;", "&")
    scheme = ""
    host = ""
    port: int | None = None
    scheme_match = _SCHEME_RE.match(url)
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        authority = _AUTHORITY_RE.match(url, scheme_match.end())
        if authority is None:
            return None
        host, port_text, rest = authority.group("host"), authority.group("port"), url[authority.end() :]
    elif url.startswith("/"):
        port_text, rest = None, url
    else:
        bare = _BARE_HOST_RE.match(url)
        if bare is None:
            return None
        host, port_text, rest = bare.group("host"), bare.group("port"), url[bare.end() :]
    if port_text is not None:
        port = int(port_text)
        if not 0 < port < 65536:
            return None
    if rest and rest[0] not in "/?#":
        return None
    path, _, query = rest.partition("?")
    path = path.split("#", 1)[0]
    query = query.split("#", 1)[0]
    parts = _Parts(url=url, offset=offset, scheme=scheme, host=host.lower(), port=port)
    return _classify_path(parts, path, query)


@dataclass(frozen=True)
class _Parts:
    url: str
    offset: int
    scheme: str
    host: str
    port: int | None


def _classify_path(parts: _Parts, path: str, query: str) -> XtreamUrl | None:
    """Match the path (and query) of an already split URL against every client URL form."""
    endpoint_match = _QUERY_ENDPOINT_RE.fullmatch(path)
    if endpoint_match:
        return _query_url(parts, endpoint_match.group(1), query)
    if _PORTAL_RE.fullmatch(path):
        if _STALKER_QUERY_RE.search(query) or "stalker_portal/" in path.lower():
            return _portal_url(parts, query)
        return None
    live = _LIVE_RE.fullmatch(path)
    if live:
        user, password, stream_id, ext = live.groups()
        return _path_url(parts, "live", user, password, stream_id, ext)
    vod = _VOD_RE.fullmatch(path)
    if vod:
        kind, user, password, stream_id, ext = vod.groups()
        return _path_url(parts, kind, user, password, stream_id, ext)
    timeshift = _TIMESHIFT_RE.fullmatch(path)
    if timeshift:
        user, password, duration, start, stream_id, ext = timeshift.groups()
        found = _path_url(parts, "timeshift", user, password, stream_id, ext)
        return _replace(found, timeshift_duration=duration, timeshift_start=_decode(start))
    short = _SHORT_RE.fullmatch(path)
    if short and parts.host and not query:
        user, password, stream_id, ext = short.groups()
        if user.lower() in _NOT_SHORT_USERS or (parts.port is None and ext is None):
            return None
        return _path_url(parts, "short", user, password, stream_id, ext)
    return None


def _replace(found: XtreamUrl, **changes: str | None) -> XtreamUrl:
    values = {name: getattr(found, name) for name in found.__dataclass_fields__}
    values.update(changes)
    return XtreamUrl(**values)


def _path_url(
    parts: _Parts, endpoint: str, user: str, password: str, stream_id: str, ext: str | None
) -> XtreamUrl:
    return XtreamUrl(
        url=parts.url,
        host=parts.host,
        port=parts.port,
        endpoint=endpoint,
        username=_decode(user),
        password=_decode(password),
        stream_id=stream_id,
        action=None,
        output=ext.lower() if ext else None,
        offset=parts.offset,
        scheme=parts.scheme,
    )


def _query_url(parts: _Parts, endpoint: str, query: str) -> XtreamUrl | None:
    params = _query_params(query)
    username, password = params.get("username"), params.get("password")
    if username is None or password is None:
        return None
    return XtreamUrl(
        url=parts.url,
        host=parts.host,
        port=parts.port,
        endpoint=endpoint,
        username=username,
        password=password,
        stream_id=params.get("stream_id") or params.get("vod_id") or params.get("series_id"),
        action=params.get("action"),
        output=params.get("output"),
        offset=parts.offset,
        scheme=parts.scheme,
        playlist_type=params.get("type"),
    )


def _portal_url(parts: _Parts, query: str) -> XtreamUrl:
    params = _query_params(query)
    return XtreamUrl(
        url=parts.url,
        host=parts.host,
        port=parts.port,
        endpoint="portal",
        username=params.get("login") or params.get("username"),
        password=params.get("password"),
        stream_id=params.get("stream_id") or params.get("ch_id"),
        action=params.get("action"),
        output=None,
        offset=parts.offset,
        scheme=parts.scheme,
        playlist_type=params.get("type"),
        mac=params.get("mac"),
    )


def _query_params(query: str) -> dict[str, str]:
    """First value of each (lower-cased) query parameter, URL-decoded."""
    params: dict[str, str] = {}
    for pair in query.split("&"):
        key, sep, value = pair.partition("=")
        name = _decode(key).strip().lower()
        if name and sep and name not in params:
            params[name] = _decode(value)
    return params


def _decode(text: str) -> str:
    return unquote_plus(text, encoding="utf-8", errors="backslashreplace")


def find_urls(text: str | bytes, base_offset: int = 0) -> Iterator[XtreamUrl]:
    """Every client URL in ``text``, in order of appearance; offsets are byte offsets for bytes input."""
    if isinstance(text, bytes):
        if might_contain(text):
            yield from _find_in_text(text.decode("latin-1"), base_offset, from_bytes=True)
    else:
        yield from _find_in_text(text, base_offset, from_bytes=False)


def _find_in_text(
    text: str, base_offset: int, *, from_bytes: bool, starts_mid_token: bool = False
) -> Iterator[XtreamUrl]:
    """Marker-first search. ``skip_until`` (a delimiter index, or 0) bounds every backward scan, so
    the whole search stays linear in the text length whatever the input."""
    skip_until = 0
    if starts_mid_token:
        first = _DELIM_RE.search(text)
        skip_until = first.start() if first else len(text)
    for marker in _MARKER_RE.finditer(text):
        if marker.start() < skip_until:
            continue
        token = _token_around(text, skip_until, marker.start(), marker.end())
        if token is None:
            end = _DELIM_RE.search(text, marker.end())
            skip_until = end.start() if end else len(text)
            continue
        start, skip_until = token
        raw = text[start:skip_until]
        if "\\/" in raw:
            raw = raw.replace("\\/", "/")  # JSON-escaped slashes, e.g. stream_source columns
        else:
            scheme = _SCHEME_RE.search(raw)
            if scheme and scheme.start() > 0:
                # Something glued in front, e.g. "url=http://…": the URL starts at its scheme.
                start += scheme.start()
                raw = raw[scheme.start() :]
        if from_bytes:
            raw = _bytes_text(raw)
        found = classify_url(raw, base_offset + start)
        if found is not None:
            yield found


def _bytes_text(latin: str) -> str:
    """Re-read a token cut out of Latin-1-decoded bytes as UTF-8 when it is valid UTF-8."""
    data = latin.encode("latin-1")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return latin


def _token_around(text: str, floor: int, marker_start: int, marker_end: int) -> tuple[int, int] | None:
    """Bounds of the delimiter-free token holding the marker, or None when it is too long for a URL.
    ``floor`` is 0 or the index of a delimiter known to lie before the token."""
    low = max(floor, marker_start - MAX_URL_LENGTH)
    left = _TOKEN_START_RE.search(text, low, marker_start)
    if left is not None:
        start = left.start() + 1
    elif low == 0:
        start = 0
    else:
        return None
    right = _DELIM_RE.search(text, marker_end, min(len(text), start + MAX_URL_LENGTH + 1))
    if right is not None:
        return start, right.start()
    if len(text) - start <= MAX_URL_LENGTH:
        return start, len(text)
    return None


def iter_stream_urls(stream: BinaryIO, chunk_size: int = _CHUNK_SIZE) -> Iterator[XtreamUrl]:
    """Every client URL in a binary stream, read in chunks (never whole), with byte offsets."""
    chunk_size = max(chunk_size, 4 * MAX_URL_LENGTH)
    carry = b""
    carry_offset = 0
    mid_token = False
    while True:
        block = stream.read(chunk_size)
        data = carry + block
        if not block:
            if data and might_contain(data):
                yield from _find_in_text(
                    data.decode("latin-1"), carry_offset, from_bytes=True, starts_mid_token=mid_token
                )
            return
        # Cut at the last delimiter so no token straddles two rounds; the tail is carried over.
        cut = _last_delimiter(data)
        next_mid_token = cut is None
        if cut is None:
            cut = len(data)  # one token longer than any URL: nothing in it can classify
        if might_contain(data[:cut]):
            text = data[:cut].decode("latin-1")
            yield from _find_in_text(text, carry_offset, from_bytes=True, starts_mid_token=mid_token)
        carry, carry_offset, mid_token = data[cut:], carry_offset + cut, next_mid_token


def _last_delimiter(data: bytes) -> int | None:
    """Index of the last delimiter byte within the final stretch of ``data`` (None if there is none)."""
    floor = max(0, len(data) - 2 * MAX_URL_LENGTH)
    tail = data[floor:].decode("latin-1")
    match = _DELIM_RE.search(tail[::-1])  # the first delimiter of the reversed tail is the last one
    return None if match is None else floor + len(tail) - 1 - match.start()

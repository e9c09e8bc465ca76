"""XMLTV electronic programme guides: channels, programme counts and the time span they cover.

The root is ``<tv>`` with ``<channel id><display-name><icon src><url>`` and ``<programme start
stop channel><title><desc>``. Times are ``YYYYMMDDhhmmss ±hhmm`` (precision may be cut after any
field; UTC when the zone is missing) and are returned as aware UTC datetimes.

Safety: the document is parsed with expat directly, fed in chunks (memory stays bounded, the tree
is never built). Every entity declaration (``<!ENTITY``, in an internal DTD subset) is refused with
a ParseError before it can be expanded, so entity bombs ("billion laughs") and external entities
never take effect; parameter entities and external DTDs are never loaded. A plain
``<!DOCTYPE tv SYSTEM "xmltv.dtd">`` is accepted. Undefined entity references are expat errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import BinaryIO
from xml.parsers import expat

from workbench.parsers.errors import ParseError

CHUNK_BYTES = 64 * 1024
MAX_TEXT_CHARS = 64 * 1024  # longer titles/descriptions are cut (a hostile file cannot grow memory)

_TIME_RE = re.compile(
    r"\s*([0-9]{4})([0-9]{2})?([0-9]{2})?([0-9]{2})?([0-9]{2})?([0-9]{2})?\s*(?:([+-])([0-9]{2}):?([0-9]{2})|(Z|UTC|GMT))?\s*",
    re.IGNORECASE,
)
_PROLOG_RE = re.compile(
    r"\s*(?:<\?xml[^>]{0,512}\?>\s*)?(?:(?:<!--.{0,2048}?-->|<\?[^>]{0,512}\?>|<!DOCTYPE[^>\[]{0,512}(?:\[.{0,2048}?\])?\s*>)\s*){0,16}<tv[\s>/]",
    re.DOTALL,
)


@dataclass(frozen=True)
class XmltvProgramme:
    """One ``<programme>`` element."""

    channel: str
    start: datetime | None  # UTC; None when the attribute is missing or malformed
    stop: datetime | None
    start_raw: str
    stop_raw: str
    title: str
    description: str
    line: int


@dataclass(frozen=True)
class XmltvChannel:
    """One channel of a guide, declared or only referenced by programmes, with its programme span."""

    channel_id: str
    display_names: tuple[str, ...]
    icon: str
    urls: tuple[str, ...]
    line: int | None  # line of the <channel> element; None when only programmes name it
    programmes: int
    first_programme: datetime | None  # earliest programme start (UTC)
    last_programme: datetime | None  # latest programme stop, or latest start when stops are missing

    @property
    def display_name(self) -> str:
        """The first display name, or ""."""
        return self.display_names[0] if self.display_names else ""

    @property
    def declared(self) -> bool:
        """True when the guide has a <channel> element for this id."""
        return self.line is not None


@dataclass(frozen=True)
class XmltvGuide:
    """A whole guide: the <tv> attributes, its channels and the number of programmes."""

    attributes: tuple[tuple[str, str], ...]  # generator-info-name, source-info-url …
    channels: tuple[XmltvChannel, ...]  # declaration order, then undeclared ones by first reference
    programmes: int
    error: str = ""  # with partial=True: why reading stopped early (truncated or malformed file)


@dataclass(frozen=True)
class _ChannelDecl:
    channel_id: str
    display_names: tuple[str, ...]
    icon: str
    urls: tuple[str, ...]
    line: int


def parse_xmltv_time(text: str) -> datetime | None:
    """``YYYYMMDDhhmmss ±hhmm`` (any precision, zone optional = UTC) to an aware UTC datetime."""
    match = _TIME_RE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, sign, zone_h, zone_m, _named = match.groups()
    try:
        zone = UTC
        if sign is not None:
            offset = timedelta(hours=int(zone_h), minutes=int(zone_m))
            zone = timezone(-offset if sign == "-" else offset)
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=zone,
        )
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def looks_like_xmltv(head: bytes) -> bool:
    """Cheap check on a file's first bytes: is its root element ``<tv>``?"""
    sample = head[:8192]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = sample.decode("utf-16", "ignore")
    else:
        text = sample.decode("utf-8", "ignore")
    return _PROLOG_RE.match(text.lstrip("\ufeff")) is not None


class _Collector:
    """expat handlers that turn <tv> children into channel declarations and programmes."""

    def __init__(self, parser: expat.XMLParserType, root: list[tuple[tuple[str, str], ...]]) -> None:
        self.parser = parser
        self.items: list[_ChannelDecl | XmltvProgramme] = []
        self.root = root  # receives the <tv> attributes once the root element is seen
        self.depth = 0
        self.element = ""  # the <channel>/<programme> being read (depth 2), else ""
        self.attributes: dict[str, str] = {}
        self.line = 0
        self.child = ""  # the text-bearing child being read (depth 3), else ""
        self.text: list[str] = []
        self.text_size = 0
        self.values: dict[str, list[str]] = {}

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.depth += 1
        if self.depth == 1:
            if name != "tv":
                raise ParseError(f"not an XMLTV guide: root element is <{name[:64]}>, not <tv>")
            self.root[:] = [tuple(sorted(attributes.items()))]
        elif self.depth == 2 and name in ("channel", "programme"):
            self.element, self.attributes, self.values = name, attributes, {}
            self.line = self.parser.CurrentLineNumber
        elif self.depth == 3 and self.element:
            if name == "icon":
                self.values.setdefault("icon", []).append(attributes.get("src", ""))
            elif name in ("display-name", "title", "desc", "url"):
                self.child, self.text, self.text_size = name, [], 0

    def end(self, name: str) -> None:
        if self.depth == 3 and self.child:
            self.values.setdefault(self.child, []).append("".join(self.text).strip())
            self.child = ""
        elif self.depth == 2 and self.element:
            self.items.append(self._finish())
            self.element = ""
        self.depth -= 1

    def data(self, text: str) -> None:
        if self.child and self.text_size < MAX_TEXT_CHARS:
            piece = text[: MAX_TEXT_CHARS - self.text_size]
            self.text.append(piece)
            self.text_size += len(piece)

    def _finish(self) -> _ChannelDecl | XmltvProgramme:
        first = {key: values[0] for key, values in self.values.items() if values}
        if self.element == "channel":
            return _ChannelDecl(
                channel_id=self.attributes.get("id", ""),
                display_names=tuple(self.values.get("display-name", ())),
                icon=first.get("icon", ""),
                urls=tuple(self.values.get("url", ())),
                line=self.line,
            )
        start_raw = self.attributes.get("start", "")
        stop_raw = self.attributes.get("stop", "")
        return XmltvProgramme(
            channel=self.attributes.get("channel", ""),
            start=parse_xmltv_time(start_raw),
            stop=parse_xmltv_time(stop_raw),
            start_raw=start_raw,
            stop_raw=stop_raw,
            title=first.get("title", ""),
            description=first.get("desc", ""),
            line=self.line,
        )


def _refuse_entity(name: str, *_args: object) -> None:
    raise ParseError(f"XML entity declaration refused ({name[:64]!r}): entity expansion is not allowed")


def _iter_items(
    stream: BinaryIO, root: list[tuple[tuple[str, str], ...]]
) -> Iterator[_ChannelDecl | XmltvProgramme]:
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    collector = _Collector(parser, root)
    parser.StartElementHandler = collector.start
    parser.EndElementHandler = collector.end
    parser.CharacterDataHandler = collector.data
    parser.EntityDeclHandler = _refuse_entity
    while True:
        chunk = stream.read(CHUNK_BYTES)
        error: ParseError | None = None
        try:
            parser.Parse(chunk, not chunk)
        except expat.ExpatError as exc:
            error = ParseError(f"malformed XML: {expat.ErrorString(exc.code)}", line=exc.lineno)
        except ParseError as exc:
            error = exc
        except (ValueError, LookupError, RecursionError) as exc:  # LookupError: unknown declared encoding
            error = ParseError(f"unreadable XML: {str(exc)[:200]}")
        yield from collector.items  # what was complete before an error still counts
        collector.items.clear()
        if error is not None:
            raise error
        if not chunk:
            return


def iter_programmes(stream: BinaryIO) -> Iterator[XmltvProgramme]:
    """Every <programme> of an XMLTV guide, streamed in document order."""
    for item in _iter_items(stream, []):
        if isinstance(item, XmltvProgramme):
            yield item


@dataclass
class _Span:
    programmes: int = 0
    first: datetime | None = None
    last: datetime | None = None


def read_guide(stream: BinaryIO, *, partial: bool = False) -> XmltvGuide:
    """Read a whole guide (streamed): channels with programme counts and first/last programme time.

    With ``partial=True`` an error after the ``<tv>`` root was seen (a truncated or damaged file)
    does not raise: what was read so far is returned, with the reason in ``error``."""
    declared: dict[str, _ChannelDecl] = {}
    spans: dict[str, _Span] = {}
    total = 0
    root: list[tuple[tuple[str, str], ...]] = []
    error = ""
    items = _iter_items(stream, root)
    while True:
        try:
            item = next(items)
        except StopIteration:
            break
        except ParseError as exc:
            if not (partial and root):
                raise
            error = str(exc)
            break
        if isinstance(item, _ChannelDecl):
            declared.setdefault(item.channel_id, item)
            spans.setdefault(item.channel_id, _Span())
            continue
        total += 1
        span = spans.setdefault(item.channel, _Span())
        span.programmes += 1
        if item.start is not None and (span.first is None or item.start < span.first):
            span.first = item.start
        end = item.stop or item.start
        if end is not None and (span.last is None or end > span.last):
            span.last = end
    channels = []
    order = [*declared, *(channel_id for channel_id in spans if channel_id not in declared)]
    for channel_id in order:
        span, decl = spans[channel_id], declared.get(channel_id)
        channels.append(
            XmltvChannel(
                channel_id=channel_id,
                display_names=decl.display_names if decl else (),
                icon=decl.icon if decl else "",
                urls=decl.urls if decl else (),
                line=decl.line if decl else None,
                programmes=span.programmes,
                first_programme=span.first,
                last_programme=span.last,
            )
        )
    return XmltvGuide(
        attributes=root[0] if root else (), channels=tuple(channels), programmes=total, error=error
    )

"""CCcam.cfg: the card-sharing server's customers (F:), upstream servers (C:, N:) and options.

    SERVER LISTEN PORT : 12000
    C: upstream.fakecs.invalid 12000 resell01 xK9pass no
    F: client_0417 q7Lm2pRt 1 0 0   # M. Rossi, paid until 2024-07-01
    N: 10.0.0.5 15000 nuser npass 01 02 03 04 05 06 07 08 09 10 11 12 13 14

F-lines may carry ``{ caid:id(:downhops), … } { caid:id:sid, … } { begintime-endtime, … }``
filter groups and a trailing host restriction. A ``#`` that starts a line or follows white space
starts a comment; operators keep customer names and payment notes there, so the comment of a
C/F/N line is kept. Commented-out C/F/N lines (``#F: olduser pw``) are returned with
``commented=True`` (disabled accounts are evidence too), except the ``<username> <password>``
templates of the stock config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.parsers.errors import ParseError

MAX_CONFIG_BYTES = 64 * 1024 * 1024

_LINE_RE = re.compile(r"\s*(#+)?\s*([CFNLR])\s*:\s*(.*)", re.IGNORECASE | re.DOTALL)
_OPTION_RE = re.compile(r"\s*([A-Z][A-Z0-9 _-]{1,60}?)\s*:\s*(.*)", re.DOTALL)
_COMMENT_RE = re.compile(r"(?:^|\s)#")
_BRACES_RE = re.compile(r"\{([^{}]*)\}")
_KEY_RE = re.compile(r"[0-9A-Fa-f]{28}")
_KEY_BYTE_RE = re.compile(r"[0-9A-Fa-f]{2}")


@dataclass(frozen=True)
class CccamOption:
    """A ``KEY WORDS : value`` setting, e.g. ``SERVER LISTEN PORT : 12000``."""

    key: str  # upper-case, single-spaced
    value: str
    line: int


@dataclass(frozen=True)
class CccamFriend:
    """An F: line: one customer account of this server."""

    user: str
    password: str
    uphops: int | None
    shareemus: int | None
    allowemm: int | None
    filters: tuple[tuple[str, ...], ...]  # the {…} groups: caid:id(:downhops) limits, caid:id:sid, times
    hostname: str  # host/IP restriction after the filter groups, or ""
    extra: tuple[str, ...]  # other tokens, as found
    comment: str  # trailing "# …" text
    commented: bool  # the whole line was commented out
    line: int
    raw: str


@dataclass(frozen=True)
class CccamUpstream:
    """A C: (CCcam), N: (newcamd), L: (camd3) or R: (radegast) line: a server this one reads from."""

    protocol: str  # "cccam", "newcamd", "camd3" or "radegast"
    host: str
    port: int | None
    user: str
    password: str
    des_key: str  # N: lines: the 14-byte DES key as 28 hex digits, else ""
    want_emu: bool | None  # C: lines: the trailing yes/no
    extra: tuple[str, ...]
    comment: str
    commented: bool
    line: int
    raw: str


@dataclass(frozen=True)
class CccamConfig:
    """Everything read from one CCcam.cfg."""

    options: tuple[CccamOption, ...]
    friends: tuple[CccamFriend, ...]
    upstreams: tuple[CccamUpstream, ...]

    def option(self, key: str) -> str | None:
        """The last value of option ``key`` (case-insensitive), or None."""
        wanted = " ".join(key.upper().split())
        found = None
        for option in self.options:
            if option.key == wanted:
                found = option.value
        return found

    @property
    def listen_port(self) -> int | None:
        """SERVER LISTEN PORT (CCcam's own default is 12000 when the line is absent)."""
        return _int(self.option("SERVER LISTEN PORT"))

    @property
    def webif_port(self) -> int | None:
        """WEBINFO LISTEN PORT: the web status page."""
        return _int(self.option("WEBINFO LISTEN PORT"))


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _split_comment(text: str) -> tuple[str, str]:
    match = _COMMENT_RE.search(text)
    if match is None:
        return text.strip(), ""
    return text[: match.start()].strip(), text[match.end() :].strip()


def _is_template(tokens: list[str]) -> bool:
    return any("<" in token or ">" in token for token in tokens[:4])


def parse_cccam(data: bytes) -> CccamConfig:
    """Parse a CCcam.cfg. Raises ParseError for binary input (NUL bytes) or an oversized file."""
    if len(data) > MAX_CONFIG_BYTES:
        raise ParseError(f"too large for a CCcam.cfg ({len(data)} bytes)")
    if b"\x00" in data:
        raise ParseError("binary data, not a CCcam.cfg", offset=data.index(b"\x00"))
    text = data.decode("utf-8") if _is_utf8(data) else data.decode("latin-1")
    options: list[CccamOption] = []
    friends: list[CccamFriend] = []
    upstreams: list[CccamUpstream] = []
    for number, raw_line in enumerate(text.lstrip("\ufeff").split("\n"), start=1):
        raw = raw_line.rstrip("\r\n")
        match = _LINE_RE.match(raw)
        if match:
            commented = match.group(1) is not None
            letter = match.group(2).upper()
            body, comment = _split_comment(match.group(3))
            tokens = body.split()
            if commented and (_is_template(tokens) or len(tokens) < 2):
                continue
            if letter == "F":
                friend = _friend(tokens, comment, commented, number, raw)
                if friend is not None:
                    friends.append(friend)
            else:
                upstream = _upstream(letter, tokens, comment, commented, number, raw)
                if upstream is not None:
                    upstreams.append(upstream)
            continue
        if raw.lstrip().startswith("#"):
            continue
        option = _OPTION_RE.match(raw)
        if option:
            key = " ".join(option.group(1).split())
            value, _ = _split_comment(option.group(2))
            options.append(CccamOption(key=key, value=value, line=number))
    return CccamConfig(options=tuple(options), friends=tuple(friends), upstreams=tuple(upstreams))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _friend(tokens: list[str], comment: str, commented: bool, number: int, raw: str) -> CccamFriend | None:
    if len(tokens) < 2:
        return None
    body = " ".join(tokens[2:])
    filters = tuple(
        tuple(item.strip() for item in group.split(",") if item.strip()) for group in _BRACES_RE.findall(body)
    )
    outside = _BRACES_RE.sub(" ", body).split()
    numeric_prefix = 0
    while numeric_prefix < min(3, len(outside)) and _int(outside[numeric_prefix]) is not None:
        numeric_prefix += 1
    flags = [_int(token) for token in outside[:numeric_prefix]] + [None] * (3 - numeric_prefix)
    rest = outside[numeric_prefix:]
    hostname = rest[0] if rest and filters else ""
    extra = tuple(rest[1:] if hostname else rest)
    return CccamFriend(
        user=tokens[0],
        password=tokens[1],
        uphops=flags[0],
        shareemus=flags[1],
        allowemm=flags[2],
        filters=filters,
        hostname=hostname,
        extra=extra,
        comment=comment,
        commented=commented,
        line=number,
        raw=raw,
    )


_PROTOCOLS = {"C": "cccam", "N": "newcamd", "L": "camd3", "R": "radegast"}


def _upstream(
    letter: str, tokens: list[str], comment: str, commented: bool, number: int, raw: str
) -> CccamUpstream | None:
    if len(tokens) < 2:
        return None
    host, port = tokens[0], _int(tokens[1])
    user = tokens[2] if len(tokens) > 2 else ""
    password = tokens[3] if len(tokens) > 3 else ""
    rest = tokens[4:]
    des_key = ""
    want_emu: bool | None = None
    if letter == "N":
        if rest and _KEY_RE.fullmatch(rest[0]):
            des_key = rest.pop(0).upper()  # the key written as one 28-digit run
        else:
            key_parts: list[str] = []
            while rest and len(key_parts) < 14 and _KEY_BYTE_RE.fullmatch(rest[0]):
                key_parts.append(rest.pop(0))
            des_key = "".join(key_parts).upper()
    elif letter == "C" and rest and rest[0].lower() in ("yes", "no"):
        want_emu = rest.pop(0).lower() == "yes"
    return CccamUpstream(
        protocol=_PROTOCOLS[letter],
        host=host,
        port=port,
        user=user,
        password=password,
        des_key=des_key,
        want_emu=want_emu,
        extra=tuple(rest),
        comment=comment,
        commented=commented,
        line=number,
        raw=raw,
    )

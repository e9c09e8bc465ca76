"""IPTV panel configuration files: Xtream UI ``config``, XUI.one ``config.ini``, Stalker/Ministra
``config.ini``/``custom.ini`` and the panel's ``nginx.conf``.

The Xtream UI ``config`` is JSON XOR'd with the repeating key ``5709650b0d7806074842c6de575025b1``
and then Base64-encoded. Keys: host, db_user, db_pass, db_name, server_id, db_port.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import cycle

from workbench.parsers.errors import ParseError

__all__ = [
    "XTREAM_KEY",
    "IniEntry",
    "NginxConfig",
    "NginxListen",
    "NginxServer",
    "StalkerConfig",
    "XtreamConfig",
    "XuiConfig",
    "decode_xtream_config",
    "encode_xtream_config",
    "parse_ini",
    "parse_nginx_conf",
    "parse_stalker_config",
    "parse_xui_config",
]

XTREAM_KEY = "5709650b0d7806074842c6de575025b1"
MAX_CONFIG = 1 << 20  # panel configs are a few hundred bytes; refuse to decode anything huge


def _as_text(data: bytes | str) -> str:
    """Text as evidence files come: UTF-8 (with or without BOM) or else Latin-1."""
    if isinstance(data, str):
        return data
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _int_or_none(value: object) -> int | None:
    """An integer from an int or a decimal string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) < 12:
        return int(value.strip())
    return None


# --------------------------------------------------------------------------------------------------
# Xtream UI config


@dataclass(frozen=True)
class XtreamConfig:
    """The decoded ``iptv_xtream_codes/config``."""

    host: str
    db_user: str
    db_pass: str
    db_name: str
    db_port: int | None
    server_id: int | None
    settings: tuple[tuple[str, str], ...]  # every key as found (values as text), in file order
    plaintext: str  # the decoded JSON text, kept as evidence


def _xor(data: bytes) -> bytes:
    return bytes(c ^ k for c, k in zip(data, cycle(XTREAM_KEY.encode()), strict=False))


def decode_xtream_config(data: bytes | str) -> XtreamConfig:
    """Decode an Xtream UI ``config`` file: Base64, XOR with the installer key, JSON."""
    text = _as_text(data)
    if len(text) > MAX_CONFIG:
        raise ParseError("Xtream config: file too large to be a panel config")
    compact = "".join(text.split())
    if not compact:
        raise ParseError("Xtream config: empty file")
    compact += "=" * (-len(compact) % 4)
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ParseError("Xtream config: not Base64") from None
    plain = _xor(raw)
    try:
        plaintext = plain.decode("utf-8")
        obj = json.loads(plaintext)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ParseError(
            "Xtream config: Base64 decodes, but not to the XOR'd JSON of a panel config"
        ) from None
    if not isinstance(obj, dict):
        raise ParseError("Xtream config: decoded JSON is not an object")
    settings = tuple((str(k), v if isinstance(v, str) else json.dumps(v)) for k, v in obj.items())
    if not any(k in obj for k in ("host", "db_user", "db_pass", "db_name")):
        raise ParseError("Xtream config: decoded JSON has none of host, db_user, db_pass, db_name")

    def text_of(key: str) -> str:
        value = obj.get(key)
        return "" if value is None else value if isinstance(value, str) else json.dumps(value)

    return XtreamConfig(
        host=text_of("host"),
        db_user=text_of("db_user"),
        db_pass=text_of("db_pass"),
        db_name=text_of("db_name"),
        db_port=_int_or_none(obj.get("db_port")),
        server_id=_int_or_none(obj.get("server_id")),
        settings=settings,
        plaintext=plaintext,
    )


def encode_xtream_config(settings: Mapping[str, object]) -> bytes:
    """The installer's encoding of a config mapping (used to build test evidence)."""
    plain = json.dumps(dict(settings), separators=(",", ":")).encode()
    return base64.b64encode(_xor(plain))


# --------------------------------------------------------------------------------------------------
# INI files (XUI.one, Stalker)


@dataclass(frozen=True)
class IniEntry:
    """One ``key = value`` of an INI file."""

    section: str  # "" before the first [section]
    key: str
    value: str  # unquoted; inline comments removed from unquoted values
    line: int


_SECTION = re.compile(r"\[([^\]\r\n]{0,200})\]")


def _ini_value(raw: str) -> str:
    raw = raw.strip()
    if raw[:1] in ('"', "'"):
        end = raw.find(raw[0], 1)
        if end > 0:
            return raw[1:end]
        return raw[1:]
    for marker in (" ;", "\t;", " #", "\t#"):
        cut = raw.find(marker)
        if cut >= 0:
            raw = raw[:cut]
    return raw.strip()


def parse_ini(data: bytes | str) -> tuple[IniEntry, ...]:
    """Every ``key = value`` of a PHP/INI-style file, tolerant of anything else on a line."""
    entries: list[IniEntry] = []
    section = ""
    for number, line in enumerate(_as_text(data).splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped[0] in ";#":
            continue
        m = _SECTION.match(stripped)
        if m is not None:
            section = m.group(1).strip()
            continue
        key, sep, value = stripped.partition("=")
        key = key.strip()
        if not sep or not key or len(key) > 200:
            continue
        entries.append(IniEntry(section, key, _ini_value(value), number))
    return tuple(entries)


def _lookup(entries: tuple[IniEntry, ...], key: str, section: str | None = None) -> IniEntry | None:
    """The last entry called ``key`` (case-insensitive), preferring ``section`` when given."""
    key = key.lower()
    found = [e for e in entries if e.key.lower() == key]
    if section is not None:
        in_section = [e for e in found if e.section.lower() == section.lower()]
        found = in_section or found
    return found[-1] if found else None


@dataclass(frozen=True)
class XuiConfig:
    """XUI.one / XC_VM ``/home/xui/config/config.ini``."""

    hostname: str
    database: str
    port: int | None
    server_id: int | None
    license: str
    username: str  # [Encrypted] section: stored encrypted by the installer (scheme unknown)
    password: str
    entries: tuple[IniEntry, ...]


def parse_xui_config(data: bytes | str) -> XuiConfig:
    """Read an XUI.one ``config.ini`` (``[XUI]`` and ``[Encrypted]`` sections)."""
    entries = parse_ini(data)
    if not any(e.section.upper() in ("XUI", "ENCRYPTED") for e in entries):
        raise ParseError("XUI config: no [XUI] or [Encrypted] section with settings")

    def get(key: str, section: str) -> str:
        entry = _lookup(entries, key, section)
        return entry.value if entry else ""

    return XuiConfig(
        hostname=get("hostname", "XUI"),
        database=get("database", "XUI"),
        port=_int_or_none(get("port", "XUI")),
        server_id=_int_or_none(get("server_id", "XUI")),
        license=get("license", "XUI"),
        username=get("username", "Encrypted"),
        password=get("password", "Encrypted"),
        entries=entries,
    )


@dataclass(frozen=True)
class StalkerConfig:
    """Stalker / Ministra middleware ``server/config.ini`` or ``custom.ini``."""

    mysql_host: str
    mysql_port: int | None
    mysql_user: str
    mysql_pass: str
    db_name: str
    portal_url: str
    entries: tuple[IniEntry, ...]


def parse_stalker_config(data: bytes | str) -> StalkerConfig:
    """Read a Stalker ``config.ini``/``custom.ini`` (``[database]`` mysql_* keys, portal_url)."""
    entries = parse_ini(data)
    wanted = ("mysql_host", "mysql_port", "mysql_user", "mysql_pass", "db_name", "portal_url")
    if not any(_lookup(entries, k) for k in wanted):
        raise ParseError("Stalker config: none of mysql_host, mysql_user, mysql_pass, db_name, portal_url")

    def get(key: str) -> str:
        entry = _lookup(entries, key, "database")
        return entry.value if entry else ""

    return StalkerConfig(
        mysql_host=get("mysql_host"),
        mysql_port=_int_or_none(get("mysql_port")),
        mysql_user=get("mysql_user"),
        mysql_pass=get("mysql_pass"),
        db_name=get("db_name"),
        portal_url=get("portal_url"),
        entries=entries,
    )


# --------------------------------------------------------------------------------------------------
# nginx.conf


@dataclass(frozen=True)
class NginxListen:
    """One ``listen`` directive."""

    port: int | None  # None for unix sockets
    address: str
    ssl: bool
    line: int


@dataclass(frozen=True)
class NginxServer:
    """One ``server { }`` block."""

    context: str  # "http", "rtmp", "stream" … (the enclosing top-level block)
    listens: tuple[NginxListen, ...]
    server_names: tuple[str, ...]
    root: str
    access_log: str  # "off", a path (with format), or "" when not set in this block
    line: int


@dataclass(frozen=True)
class NginxConfig:
    """The parts of an nginx.conf that describe a panel: who runs it, where it listens, logging."""

    user: str
    access_log: str  # the http-level access_log ("off" on Xtream UI panels), "" when not set
    servers: tuple[NginxServer, ...]


_NGINX_TOKEN = re.compile(r"""#[^\n]*|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[{};]|[^\s{};"'#]+|\S""", re.S)
MAX_DEPTH = 64


@dataclass
class _Block:
    name: str
    args: list[str]
    line: int
    children: list[_Block]


def _nginx_tree(text: str) -> list[_Block]:
    """Directives as a tree (blocks have children; simple directives have none)."""
    root: list[_Block] = []
    stack: list[list[_Block]] = [root]
    words: list[str] = []
    first_line = 0
    line = 1
    pos = 0
    for m in _NGINX_TOKEN.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        tok = m.group()
        if tok.startswith("#"):
            continue
        if tok == ";":
            if words:
                stack[-1].append(_Block(words[0], words[1:], first_line, []))
            words = []
        elif tok == "{":
            block = _Block(words[0] if words else "", words[1:], first_line or line, [])
            stack[-1].append(block)
            if len(stack) > MAX_DEPTH:
                raise ParseError("nginx.conf: blocks nested too deeply", line=line)
            stack.append(block.children)
            words = []
        elif tok == "}":
            words = []
            if len(stack) > 1:
                stack.pop()
        else:
            if not words:
                first_line = line
            if tok[:1] in ('"', "'") and tok[-1:] == tok[:1] and len(tok) >= 2:
                tok = tok[1:-1]
            words.append(tok)
    return root


def _listen(args: list[str], line: int) -> NginxListen:
    target = args[0] if args else ""
    port: int | None = None
    address = ""
    if not target.startswith("unix:"):
        host, _, tail = target.rpartition(":")
        if target.startswith("[") and "]" in target and not target.endswith("]"):
            host, tail = target[: target.rindex("]") + 1], target[target.rindex("]") + 2 :]
        elif target.startswith("[") and target.endswith("]"):
            host, tail = target, ""
        digits = tail if tail else target if target.isdecimal() else ""
        if digits.isdecimal() and len(digits) <= 5:
            port = int(digits)
            address = host if tail else ""
        elif not tail:
            address = target
            port = 80
    return NginxListen(port=port, address=address, ssl="ssl" in args[1:], line=line)


def _directive(block: _Block, name: str) -> _Block | None:
    found = [c for c in block.children if c.name == name]
    return found[-1] if found else None


def parse_nginx_conf(data: bytes | str) -> NginxConfig:
    """Read an nginx.conf: the ``user``, the http-level ``access_log`` and every ``server`` block."""
    tree = _nginx_tree(_as_text(data))
    user = ""
    access_log = ""
    servers: list[NginxServer] = []
    top = _Block("", [], 0, tree)
    user_directive = _directive(top, "user")
    if user_directive and user_directive.args:
        user = user_directive.args[0]

    def walk(blocks: list[_Block], context: str) -> None:
        for b in blocks:
            if b.name == "server" and b.children:
                listens = tuple(_listen(c.args, c.line) for c in b.children if c.name == "listen")
                names = tuple(a for c in b.children if c.name == "server_name" for a in c.args)
                root_d = _directive(b, "root")
                log_d = _directive(b, "access_log")
                servers.append(
                    NginxServer(
                        context=context,
                        listens=listens,
                        server_names=names,
                        root=root_d.args[0] if root_d and root_d.args else "",
                        access_log=" ".join(log_d.args) if log_d else "",
                        line=b.line,
                    )
                )
            elif b.children:
                walk(b.children, context or b.name)

    walk(tree, "")
    http = _directive(top, "http")
    if http is not None:
        log_d = _directive(http, "access_log")
        access_log = " ".join(log_d.args) if log_d else ""
    if not user and http is None and not servers:
        raise ParseError("nginx.conf: no user, http or server directives")
    return NginxConfig(user=user, access_log=access_log, servers=tuple(servers))

"""OSCam configuration: oscam.conf (server settings), oscam.server (readers) and oscam.user (accounts).

All three are INI-like: ``[section]`` headers, repeated as often as needed (one ``[account]`` per
customer, one ``[reader]`` per card or upstream server), and ``key = value`` lines. ``#`` and
``;`` start comment lines; values are kept as written (a ``#`` inside a password stays).

    [account]
    user        = client_0417
    pwd         = q7Lm2pRt
    description = M. Rossi / PayPal m.rossi@mail.invalid
    expdate     = 2024-07-01
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from workbench.parsers.errors import ParseError

MAX_CONFIG_BYTES = 64 * 1024 * 1024

_SECTION_RE = re.compile(r"\s*\[([^\]\[]{1,64})\]\s*(?:[#;].*)?")
_SETTING_RE = re.compile(r"\s*([A-Za-z0-9_.-]{1,64})\s*=(.*)")
_DATE_RE = re.compile(r"\s*([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})")

# Sections of oscam.conf whose ``port`` setting opens a listening port.
_LISTENER_SECTIONS = (
    "cccam",
    "newcamd",
    "camd33",
    "camd35",
    "cs357x",
    "cs378x",
    "radegast",
    "gbox",
    "serial",
    "scam",
)


@dataclass(frozen=True)
class OscamSetting:
    """One ``key = value`` line (key lower-cased, value stripped)."""

    key: str
    value: str
    line: int


@dataclass(frozen=True)
class OscamSection:
    """One ``[name]`` block with its settings in file order."""

    name: str  # lower-cased, "" for settings before the first header
    line: int
    settings: tuple[OscamSetting, ...]

    def get(self, key: str) -> str | None:
        """The last value of ``key`` in this section, or None."""
        found = None
        for setting in self.settings:
            if setting.key == key:
                found = setting.value
        return found

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """All (key, value) pairs as written."""
        return tuple((setting.key, setting.value) for setting in self.settings)


@dataclass(frozen=True)
class OscamAccount:
    """One ``[account]`` of oscam.user: a customer (or the operator's own box)."""

    user: str
    password: str
    description: str
    disabled: bool | None
    hostname: str
    expdate: date | None
    expdate_raw: str
    group: str
    uniq: str
    au: str
    caid: str
    ident: str
    numusers: int | None
    allowedprotocols: str
    line: int
    settings: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class OscamReader:
    """One ``[reader]`` of oscam.server: a local card or an upstream server."""

    label: str
    protocol: str
    device: str
    host: str  # from device = host,port[,lport] for network protocols, else ""
    port: int | None
    user: str
    password: str
    key: str  # newcamd DES key (28 hex digits) as written
    group: str
    caid: str
    ident: str
    cccversion: str
    enabled: bool | None
    line: int
    settings: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class OscamConf:
    """Server-level settings from oscam.conf."""

    sections: tuple[OscamSection, ...]
    listen_ports: tuple[tuple[str, str], ...]  # (protocol section, port setting as written)
    webif_port: int | None
    webif_ssl: bool
    webif_user: str
    webif_password: str
    webif_allowed: str
    newcamd_key: str
    cccam_nodeid: str
    cccam_version: str
    logfile: str
    usrfile: str

    def section(self, name: str) -> OscamSection | None:
        """The first section called ``name``, or None."""
        return next((section for section in self.sections if section.name == name), None)


def _text(data: bytes) -> str:
    if len(data) > MAX_CONFIG_BYTES:
        raise ParseError(f"too large for an OSCam config ({len(data)} bytes)")
    if b"\x00" in data:
        raise ParseError("binary data, not an OSCam config", offset=data.index(b"\x00"))
    try:
        return data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def iter_sections(data: bytes) -> Iterator[OscamSection]:
    """Every section of an INI-like OSCam file in order, repeated sections kept apart."""
    name, start = "", 0
    settings: list[OscamSetting] = []
    for number, raw in enumerate(_text(data).split("\n"), start=1):
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        header = _SECTION_RE.fullmatch(raw)
        if header:
            if settings or name:
                yield OscamSection(name=name, line=start, settings=tuple(settings))
            name, start, settings = header.group(1).strip().lower(), number, []
            continue
        setting = _SETTING_RE.match(raw)
        if setting:
            settings.append(
                OscamSetting(key=setting.group(1).lower(), value=setting.group(2).strip(), line=number)
            )
    if settings or name:
        yield OscamSection(name=name, line=start, settings=tuple(settings))


def parse_expdate(text: str) -> date | None:
    """``YYYY-MM-DD`` or ``YYYY/MM/DD`` (time part ignored) to a date; None when not a valid date."""
    match = _DATE_RE.match(text)
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _flag(text: str | None) -> bool | None:
    if text is None or not text.strip():
        return None
    return text.strip().lower() in ("1", "yes", "true", "on")


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def parse_oscam_user(data: bytes) -> list[OscamAccount]:
    """The ``[account]`` blocks of an oscam.user, in file order (blocks without ``user`` skipped)."""
    accounts = []
    for section in iter_sections(data):
        if section.name != "account":
            continue
        user = section.get("user")
        if not user:
            continue
        expdate_raw = section.get("expdate") or ""
        accounts.append(
            OscamAccount(
                user=user,
                password=section.get("pwd") or "",
                description=section.get("description") or "",
                disabled=_flag(section.get("disabled")),
                hostname=section.get("hostname") or "",
                expdate=parse_expdate(expdate_raw),
                expdate_raw=expdate_raw,
                group=section.get("group") or "",
                uniq=section.get("uniq") or "",
                au=section.get("au") or "",
                caid=section.get("caid") or "",
                ident=section.get("ident") or "",
                numusers=_int(section.get("numusers")),
                allowedprotocols=section.get("allowedprotocols") or "",
                line=section.line,
                settings=section.pairs(),
            )
        )
    return accounts


def parse_device(device: str) -> tuple[str, int | None]:
    """``host,port[,lport]`` to (host, port); ("", None) for local devices such as ``/dev/sci0``."""
    parts = [part.strip() for part in device.split(",")]
    if len(parts) >= 2 and parts[0] and not parts[0].startswith("/"):
        return parts[0], _int(parts[1])
    return "", None


def parse_oscam_server(data: bytes) -> list[OscamReader]:
    """The ``[reader]`` blocks of an oscam.server, in file order."""
    readers = []
    for section in iter_sections(data):
        if section.name != "reader":
            continue
        device = section.get("device") or ""
        host, port = parse_device(device)
        readers.append(
            OscamReader(
                label=section.get("label") or "",
                protocol=(section.get("protocol") or "").lower(),
                device=device,
                host=host,
                port=port,
                user=section.get("user") or "",
                password=section.get("password") or "",
                key=section.get("key") or "",
                group=section.get("group") or "",
                caid=section.get("caid") or "",
                ident=section.get("ident") or "",
                cccversion=section.get("cccversion") or "",
                enabled=_flag(section.get("enable")),
                line=section.line,
                settings=section.pairs(),
            )
        )
    return readers


def parse_oscam_conf(data: bytes) -> OscamConf:
    """The server settings of an oscam.conf: listening ports, web interface, logs."""
    sections = tuple(iter_sections(data))

    def value(section_name: str, key: str) -> str:
        found = ""
        for section in sections:
            if section.name == section_name:
                found = section.get(key) or found
        return found

    listen_ports = []
    for section in sections:
        port = section.get("port")
        if section.name in _LISTENER_SECTIONS and port:
            listen_ports.append((section.name, port))
    http_port = value("webif", "httpport")
    return OscamConf(
        sections=sections,
        listen_ports=tuple(listen_ports),
        webif_port=_int(http_port.lstrip("+")),
        webif_ssl=http_port.startswith("+"),
        webif_user=value("webif", "httpuser"),
        webif_password=value("webif", "httppwd"),
        webif_allowed=value("webif", "httpallowed"),
        newcamd_key=value("newcamd", "key"),
        cccam_nodeid=value("cccam", "nodeid"),
        cccam_version=value("cccam", "version"),
        logfile=value("global", "logfile"),
        usrfile=value("global", "usrfile"),
    )

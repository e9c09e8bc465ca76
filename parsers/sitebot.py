"""Site bots: eggdrop.conf and pzs-ng ngBot.conf (Tcl `set`/`server add`/`channel add` commands)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from workbench.parsers.errors import ParseError

MAX_TEXT = 8 * 1024 * 1024
MAX_WORDS = 64


@dataclass(frozen=True)
class TclCommand:
    """One Tcl command: its words with quotes/braces removed, and the line it starts on."""

    words: tuple[str, ...]
    line: int


def iter_commands(text: str) -> Iterator[TclCommand]:
    """Tcl-lite: split a config into commands of words. `"…"` and `{…}` (nested, multi-line) group
    words, `#` starts a comment at the start of a command, `;` and newlines end commands, a
    backslash-newline continues the line. Unbalanced input ends the command at the end of the text."""
    i, n, line = 0, len(text), 1
    while i < n:
        words: list[str] = []
        start_line = line
        # skip blanks between commands
        while i < n and text[i] in " \t\r\n;":
            if text[i] == "\n":
                line += 1
            i += 1
        if i >= n:
            return
        start_line = line
        if text[i] == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        while i < n and text[i] not in "\n;":
            c = text[i]
            if c in " \t\r":
                i += 1
                continue
            if c == "\\" and i + 1 < n and text[i + 1] == "\n":
                i += 2
                line += 1
                continue
            if c == "{":
                depth, j = 1, i + 1
                while j < n and depth:
                    if text[j] == "\\":
                        j += 1
                    elif text[j] == "{":
                        depth += 1
                    elif text[j] == "}":
                        depth -= 1
                    j += 1
                word = text[i + 1 : j - 1] if depth == 0 else text[i + 1 : j]
                line += text.count("\n", i, j)
                i = j
            elif c == '"':
                j = i + 1
                chars: list[str] = []
                while j < n and text[j] != '"':
                    if text[j] == "\\" and j + 1 < n:
                        j += 1
                    chars.append(text[j])
                    j += 1
                word = "".join(chars)
                line += text.count("\n", i, j)
                i = j + 1
            else:
                j = i
                while j < n and text[j] not in " \t\r\n;":
                    j += 1
                word = text[i:j]
                i = j
            if len(words) < MAX_WORDS:
                words.append(word)
        if words:
            yield TclCommand(tuple(words), start_line)


@dataclass(frozen=True)
class IrcServer:
    """An IRC server a bot connects to."""

    host: str
    port: int | None
    password: str | None
    line: int


@dataclass(frozen=True)
class TclSetting:
    """`set name value` or `set name(index) value`."""

    name: str
    index: str | None
    value: str
    line: int


_SET_NAME = re.compile(r"^(?P<name>[A-Za-z_:][A-Za-z0-9_:-]{0,60})(?:\((?P<index>[^)]{0,200})\))?$")
_BLOWFISH_NAMES = ("blowfish", "blowkey", "fishkey", "fish_key", "key", "keyx", "fish")


def _settings(text: str) -> tuple[list[TclSetting], list[TclCommand]]:
    settings, others = [], []
    for cmd in iter_commands(text):
        if cmd.words[0] == "set" and len(cmd.words) >= 3:
            m = _SET_NAME.match(cmd.words[1])
            if m:
                settings.append(TclSetting(m.group("name"), m.group("index"), cmd.words[2], cmd.line))
                continue
        others.append(cmd)
    return settings, others


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    if len(data) > MAX_TEXT:
        raise ParseError(f"larger than {MAX_TEXT} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _port(value: str) -> int | None:
    value = value.lstrip("+")
    return int(value) if value.isdecimal() and len(value) <= 5 else None


@dataclass(frozen=True)
class EggdropConf:
    """What an eggdrop.conf says about the bot, its network and its keys."""

    nick: str | None
    altnick: str | None
    username: str | None
    admin: str | None
    owner: str | None
    network: str | None
    userfile: str | None
    chanfile: str | None
    logfiles: tuple[str, ...]
    servers: tuple[IrcServer, ...]
    channels: tuple[str, ...]
    modules: tuple[str, ...]
    sources: tuple[str, ...]  # loaded scripts
    blowfish_module: bool
    blowfish_keys: dict[str, str]  # channel or setting -> key (secret)
    settings: tuple[TclSetting, ...]

    @property
    def blowfish(self) -> bool:
        """Blowfish is loaded or keys are set."""
        return self.blowfish_module or bool(self.blowfish_keys)


def parse_eggdrop(data: bytes | str) -> EggdropConf:
    """Parse an eggdrop.conf; ParseError if it holds no eggdrop command at all."""
    settings, commands = _settings(_text(data))
    values = {s.name: s.value for s in reversed(settings) if s.index is None}
    servers: list[IrcServer] = []
    channels: list[str] = []
    modules: list[str] = []
    sources: list[str] = []
    logfiles: list[str] = []
    for cmd in commands:
        w = cmd.words
        if w[0] == "server" and len(w) >= 3 and w[1] == "add":
            servers.append(
                IrcServer(w[2], _port(w[3]) if len(w) > 3 else None, w[4] if len(w) > 4 else None, cmd.line)
            )
        elif w[0] == "channel" and len(w) >= 3 and w[1] == "add":
            channels.append(w[2])
        elif w[0] == "loadmodule" and len(w) >= 2:
            modules.append(w[1])
        elif w[0] == "source" and len(w) >= 2:
            sources.append(w[1])
        elif w[0] == "logfile" and len(w) >= 4:
            logfiles.append(w[3])
    for s in settings:
        if s.name == "servers" and s.index is None:
            for entry in s.value.split():
                host, _, rest = entry.partition(":")
                port, _, password = rest.partition(":")
                servers.append(IrcServer(host, _port(port), password or None, s.line))
    if not settings and not servers and not channels and not modules:
        raise ParseError("no eggdrop `set`, `server add`, `channel add` or `loadmodule` commands")
    return EggdropConf(
        nick=values.get("nick"),
        altnick=values.get("altnick"),
        username=values.get("username"),
        admin=values.get("admin"),
        owner=values.get("owner"),
        network=values.get("network") or values.get("net-type"),
        userfile=values.get("userfile"),
        chanfile=values.get("chanfile"),
        logfiles=tuple(logfiles),
        servers=tuple(servers),
        channels=tuple(dict.fromkeys(channels)),
        modules=tuple(modules),
        sources=tuple(sources),
        blowfish_module="blowfish" in modules,
        blowfish_keys=_blowfish_keys(settings),
        settings=tuple(settings),
    )


def _blowfish_keys(settings: list[TclSetting]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for s in settings:
        if s.name.lower() in _BLOWFISH_NAMES and s.value:
            keys.setdefault(s.index or s.name, s.value)
    return keys


@dataclass(frozen=True)
class NgBotConf:
    """What a pzs-ng ngBot.conf says about the site, its channels and its keys."""

    sitename: str | None
    mainchan: str | None
    glroot: str | None
    locations: dict[str, str]
    glftpdlog: dict[str, str]
    bnc: dict[str, str]
    paths: dict[str, str]
    chanlist: dict[str, str]
    blowfish_keys: dict[str, str]
    settings: tuple[TclSetting, ...]

    @property
    def channels(self) -> tuple[str, ...]:
        """Every channel named in mainchan and chanlist(…), in order."""
        seen: list[str] = []
        for value in ([self.mainchan] if self.mainchan else []) + list(self.chanlist.values()):
            seen.extend(c for c in value.split() if c.startswith(("#", "&")))
        return tuple(dict.fromkeys(seen))


def parse_ngbot(data: bytes | str) -> NgBotConf:
    """Parse an ngBot.conf; ParseError if it has no `set` commands."""
    settings, _ = _settings(_text(data))
    if not settings:
        raise ParseError("no Tcl `set` commands: not an ngBot.conf")
    plain = {s.name: s.value for s in reversed(settings) if s.index is None}

    def indexed(name: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for s in settings:
            if s.name == name and s.index is not None:
                out[s.index] = s.value
        return out

    return NgBotConf(
        sitename=plain.get("sitename"),
        mainchan=plain.get("mainchan"),
        glroot=plain.get("glroot"),
        locations=indexed("location"),
        glftpdlog=indexed("glftpdlog"),
        bnc=indexed("bnc"),
        paths=indexed("paths"),
        chanlist=indexed("chanlist"),
        blowfish_keys=_blowfish_keys(settings),
        settings=tuple(settings),
    )

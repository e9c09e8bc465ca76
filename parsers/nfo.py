"""Scene .nfo files (CP437 art, UTF-8 or Latin-1 text) and file_id.diz descriptions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.parsers.errors import ParseError
from workbench.parsers.release import find_releases, parse_release

MAX_NFO = 4 * 1024 * 1024

ENCODING_ASCII = "ascii"
ENCODING_UTF8 = "utf-8"
ENCODING_CP437 = "cp437"
ENCODING_LATIN1 = "latin-1"


@dataclass(frozen=True)
class Nfo:
    """The fields an NFO states, as written (values are attacker-controlled text)."""

    text: str
    encoding: str  # ascii, utf-8, cp437 or latin-1 (how the bytes were decoded)
    release: str | None
    group: str | None
    date: str | None
    size: str | None
    files: str | None
    source: str | None
    runtime: str | None
    video: str | None
    audio: str | None
    video_bitrate: str | None
    audio_bitrate: str | None
    genre: str | None
    language: str | None
    imdb: str | None  # tt1234567
    tvdb: str | None  # TheTVDB URL
    tmdb: str | None  # TMDB URL
    notes: str | None
    greets: tuple[str, ...]
    emails: tuple[str, ...]
    irc: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]  # every "Key : value" pair seen, raw key and value


@dataclass(frozen=True)
class Diz:
    """A file_id.diz: its lines and the `[01/12]` disk counter when there is one."""

    text: str
    encoding: str
    lines: tuple[str, ...]
    disk: int | None
    disks: int | None
    conforming: bool  # at most 10 lines of at most 45 characters
    release: str | None


# Bytes 0xB0–0xDF are CP437 shading, box-drawing and block characters; 0xFE, 0xF9, 0xFA are bullets.
_ART_BYTES = frozenset(range(0xB0, 0xE0)) | {0xFE, 0xF9, 0xFA, 0xDC, 0xDF}
_ART_RUN = re.compile(rb"[\xb0-\xdf\xfe]{3,}")


def decode_nfo(data: bytes) -> tuple[str, str]:
    """Decode NFO bytes and say how: UTF-8 when valid, else CP437 when the high bytes look like art,
    else Latin-1. Never fails."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.isascii():
        return data.decode("ascii"), ENCODING_ASCII
    try:
        return data.decode("utf-8"), ENCODING_UTF8
    except UnicodeDecodeError:
        pass
    high = [b for b in data if b >= 0x80]
    art = sum(1 for b in high if b in _ART_BYTES)
    if _ART_RUN.search(data) or art * 2 >= len(high):
        return data.decode("cp437"), ENCODING_CP437
    return data.decode("latin-1"), ENCODING_LATIN1


_KEY_ALIASES = {
    "release": ("release", "rls", "rls name", "release name", "title", "name", "album", "movie"),
    "date": (
        "date",
        "rls date",
        "release date",
        "pre date",
        "street date",
        "retail date",
        "air date",
        "aired",
        "ripped",
    ),
    "size": ("size", "rls size", "release size", "archive size", "total size"),
    "files": ("files", "disks", "archives", "rars", "files/size", "discs"),
    "source": ("source", "src", "supplier", "origin"),
    "runtime": ("runtime", "length", "duration", "playtime", "play time", "running time"),
    "video": ("video", "video codec", "codec", "format", "encoder", "video format"),
    "audio": ("audio", "audio codec", "sound", "audio format"),
    "video_bitrate": ("bitrate", "video bitrate", "vbitrate", "bit rate"),
    "audio_bitrate": ("audio bitrate", "abitrate"),
    "genre": ("genre", "genres", "category"),
    "language": ("language", "languages", "lang", "audio language"),
    "greets": ("greets", "greetings", "greetz", "greets to", "respect", "shouts", "shoutouts", "respects"),
    "notes": ("notes", "note", "comments", "info", "plot", "description"),
    "imdb": ("imdb", "imdb url", "imdb link"),
    "contact": ("contact", "email", "e-mail", "mail", "irc", "join us", "contact us"),
}
_ALIAS_TO_FIELD = {alias: name for name, aliases in _KEY_ALIASES.items() for alias in aliases}
# "Key : value" pairs; several may share a line when separated by two or more spaces.
_PAIR = re.compile(
    r"(?:^|(?<=\s\s)|(?<=[\]|│║▌▐█]))\s*(?P<key>[A-Za-z][A-Za-z /&.-]{0,22}?)\s*(?:\.{2,}\s*:?|:|»|>|\])\s*(?P<value>.*?)(?=\s{2,}[A-Za-z][A-Za-z /&.-]{0,22}?\s*(?:\.{2,}|:)\s|$)"
)
_ART_CHARS = "░▒▓█▄▀▌▐■│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌·∙¯_=*#~<>^|\\/[](){}`'\""
_IMDB = re.compile(r"\b(tt\d{7,9})\b")
_TVDB = re.compile(r"(?:https?://)?(?:www\.)?thetvdb\.com/[^\s\"'<>]{1,200}", re.IGNORECASE)
_TMDB = re.compile(
    r"(?:https?://)?(?:www\.)?themoviedb\.org/(?:movie|tv)/\d+[^\s\"'<>]{0,100}", re.IGNORECASE
)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,6}\b")
_IRC = re.compile(
    r"(?:irc://[^\s\"'<>]{1,200})|(?:#[A-Za-z0-9_.-]{2,40}\s*(?:@|on)\s*[A-Za-z][A-Za-z0-9.-]{1,60})",
    re.IGNORECASE,
)
_GREET_SPLIT = re.compile(r"\s*(?:[,/|·•+*]|\s-\s|\s{2,}|\band\b)\s*")


def _strip_art(line: str) -> str:
    return line.strip().strip(_ART_CHARS + " \t").strip()


def parse_nfo(data: bytes) -> Nfo:
    """Decode an NFO and pull out the fields it states."""
    if len(data) > MAX_NFO:
        raise ParseError(f"NFO larger than {MAX_NFO} bytes")
    if b"\x00" in data[:4096] and data.count(b"\x00") > len(data) // 20:
        raise ParseError("binary data, not an NFO")
    text, encoding = decode_nfo(data)
    pairs: list[tuple[str, str]] = []
    found: dict[str, str] = {}
    lines = [_strip_art(line)[:400] for line in text.splitlines()]
    greets: list[str] = []
    greet_block = False
    for raw_line in lines:
        line_pairs = _pairs(raw_line)
        if greet_block:
            if not raw_line or line_pairs:
                greet_block = False
            else:
                greets.extend(_split_greets(raw_line))
                continue
        for key, value in line_pairs:
            pairs.append((key, value))
            name = _ALIAS_TO_FIELD.get(key.lower().strip(" .-"))
            if name is None:
                continue
            if name == "greets":
                greets.extend(_split_greets(value))
                greet_block = True
            elif value and name not in found:
                found[name] = value
    release = _release_from(found.get("release"), text)
    parsed = parse_release(release) if release else None
    imdb = _IMDB.search(found.get("imdb", "") + " " + text)
    tvdb = _TVDB.search(text)
    tmdb = _TMDB.search(text)
    emails = tuple(dict.fromkeys(m.group(0) for m in _EMAIL.finditer(text)))
    irc = tuple(dict.fromkeys(m.group(0).strip() for m in _IRC.finditer(text)))
    size, files = found.get("size"), found.get("files")
    return Nfo(
        text=text,
        encoding=encoding,
        release=release,
        group=parsed.group if parsed else None,
        date=found.get("date"),
        size=size,
        files=files,
        source=found.get("source"),
        runtime=found.get("runtime"),
        video=found.get("video"),
        audio=found.get("audio"),
        video_bitrate=found.get("video_bitrate"),
        audio_bitrate=found.get("audio_bitrate"),
        genre=found.get("genre"),
        language=found.get("language"),
        imdb=imdb.group(1) if imdb else None,
        tvdb=tvdb.group(0) if tvdb else None,
        tmdb=tmdb.group(0) if tmdb else None,
        notes=found.get("notes"),
        greets=tuple(dict.fromkeys(g for g in greets if g)),
        emails=emails,
        irc=irc,
        fields=tuple(pairs),
    )


def _pairs(line: str) -> list[tuple[str, str]]:
    if not line or (":" not in line and ".." not in line and "»" not in line):
        return []
    out = []
    for m in _PAIR.finditer(line):
        key, value = m.group("key").strip(), _strip_art(m.group("value"))
        if key and not key.lower().startswith(("http", "www")):
            out.append((key, value))
    return out


def _split_greets(value: str) -> list[str]:
    names = []
    for part in _GREET_SPLIT.split(value):
        part = part.strip(" .-_!")
        if 2 <= len(part) <= 30 and re.fullmatch(r"[A-Za-z0-9_.\- ]+", part) and len(part.split()) <= 3:
            names.append(part)
    return names


def _release_from(stated: str | None, text: str) -> str | None:
    if stated:
        word = stated.split()[0] if stated.split() else ""
        if parse_release(word):
            return word
    for _, release in find_releases(text):
        return release.name
    return stated.strip() if stated else None


_DISK = re.compile(r"[\[(]\s*(\d{1,3})\s*/\s*(\d{1,3})\s*[\])]")


def parse_diz(data: bytes) -> Diz:
    """Read a file_id.diz: its lines, disk counter and whether it keeps the 10×45 limit."""
    if len(data) > 64 * 1024:
        raise ParseError("file_id.diz larger than 64 KiB")
    if data.count(b"\x00") > 4:
        raise ParseError("binary data, not a file_id.diz")
    text, encoding = decode_nfo(data)
    lines = tuple(line.rstrip() for line in text.splitlines())
    while lines and not lines[-1]:
        lines = lines[:-1]
    counter = _DISK.search(text)
    disk = int(counter.group(1)) if counter else None
    disks = int(counter.group(2)) if counter else None
    conforming = len(lines) <= 10 and all(len(line) <= 45 for line in lines)
    release = next((r.name for _, r in find_releases(text)), None)
    return Diz(text, encoding, lines, disk, disks, conforming, release)

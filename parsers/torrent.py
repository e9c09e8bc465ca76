"""BitTorrent metainfo (.torrent, BEP 3 / BEP 52 v2 and hybrid) and magnet links (BEP 9)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from workbench.parsers.bencode import decode_with_info
from workbench.parsers.errors import ParseError

MAX_TORRENT = 64 * 1024 * 1024
MAX_FILES = 200_000
MAX_TREE_DEPTH = 48


@dataclass(frozen=True)
class TorrentFile:
    """One file of a torrent: its path inside the torrent (joined with "/") and length."""

    path: str
    length: int


@dataclass(frozen=True)
class Torrent:
    """What a .torrent holds."""

    name: str
    info_hash_v1: str | None  # SHA-1 hex of the stored `info` bytes (absent for v2-only torrents)
    info_hash_v2: str | None  # SHA-256 hex when `meta version` is 2
    meta_version: int
    total_size: int
    files: tuple[TorrentFile, ...]
    piece_length: int | None
    pieces: int  # number of v1 piece hashes
    private: bool
    announce: str | None
    announce_list: tuple[str, ...]  # all tiers flattened, announce first, de-duplicated
    passkeys: tuple[str, ...]
    creation_date: datetime | None
    created_by: str | None
    comment: str | None
    source: str | None
    url_list: tuple[str, ...]

    @property
    def passkey(self) -> str | None:
        """The first passkey found in an announce URL."""
        return self.passkeys[0] if self.passkeys else None


def _str(value: Any) -> str | None:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    if isinstance(value, int):
        return str(value)
    return None


_PASSKEY_PATH = re.compile(r"(?:^|/)([0-9a-fA-F]{32})(?:/|$)")
_PASSKEY_PARAMS = ("passkey", "torrent_pass", "pk", "authkey")


def passkey_of(url: str) -> str | None:
    """The passkey in a tracker URL: a 32-hex path segment or a passkey=/torrent_pass= parameter."""
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=False)
    except ValueError:
        return None
    for key, value in query:
        if key.lower() in _PASSKEY_PARAMS and re.fullmatch(r"[0-9A-Za-z]{16,64}", value):
            return value
    m = _PASSKEY_PATH.search(parts.path)
    return m.group(1) if m else None


def parse_torrent(data: bytes) -> Torrent:
    """Parse .torrent bytes strictly; ParseError for anything that is not a valid metainfo file."""
    if len(data) > MAX_TORRENT:
        raise ParseError(f"torrent larger than {MAX_TORRENT} bytes")
    decoded = decode_with_info(data)
    meta = decoded.value
    if not isinstance(meta, dict):
        raise ParseError("top level is not a dictionary")
    info = meta.get(b"info")
    if not isinstance(info, dict) or decoded.info_span is None:
        raise ParseError("no `info` dictionary")
    start, end = decoded.info_span
    info_bytes = data[start:end]
    meta_version = info.get(b"meta version", 1)
    if not isinstance(meta_version, int):
        raise ParseError("`meta version` is not an integer")
    name = _str(info.get(b"name.utf-8")) or _str(info.get(b"name"))
    if name is None:
        raise ParseError("`info` has no name")
    v1_files = _v1_files(info, name)
    v2_files = _v2_files(info.get(b"file tree")) if meta_version == 2 else None
    if v1_files is None and v2_files is None:
        raise ParseError("`info` has neither length/files nor a v2 file tree")
    files = v1_files if v1_files is not None else v2_files
    assert files is not None
    pieces = info.get(b"pieces")
    has_v1 = v1_files is not None and isinstance(pieces, bytes)
    if has_v1 and isinstance(pieces, bytes) and len(pieces) % 20:
        raise ParseError("`pieces` is not a multiple of 20 bytes")
    piece_length = info.get(b"piece length")
    announce = _str(meta.get(b"announce"))
    trackers: list[str] = [announce] if announce else []
    tiers = meta.get(b"announce-list")
    if isinstance(tiers, list):
        for tier in tiers:
            for url in tier if isinstance(tier, list) else [tier]:
                text = _str(url)
                if text:
                    trackers.append(text)
    trackers = list(dict.fromkeys(trackers))
    created = meta.get(b"creation date")
    url_list = meta.get(b"url-list")
    urls = [url_list] if isinstance(url_list, bytes) else url_list if isinstance(url_list, list) else []
    return Torrent(
        name=name,
        info_hash_v1=hashlib.sha1(info_bytes).hexdigest() if has_v1 or meta_version == 1 else None,
        info_hash_v2=hashlib.sha256(info_bytes).hexdigest() if meta_version == 2 else None,
        meta_version=meta_version,
        total_size=sum(f.length for f in files),
        files=tuple(files),
        piece_length=piece_length if isinstance(piece_length, int) else None,
        pieces=len(pieces) // 20 if isinstance(pieces, bytes) else 0,
        private=info.get(b"private") == 1,
        announce=announce,
        announce_list=tuple(trackers),
        passkeys=tuple(dict.fromkeys(k for k in (passkey_of(u) for u in trackers) if k)),
        creation_date=_epoch(created),
        created_by=_str(meta.get(b"created by")),
        comment=_str(meta.get(b"comment.utf-8")) or _str(meta.get(b"comment")),
        source=_str(info.get(b"source")),
        url_list=tuple(u for u in (_str(x) for x in urls) if u),
    )


def _epoch(value: Any) -> datetime | None:
    if not isinstance(value, int) or not 0 <= value < 253402300800:
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def _v1_files(info: dict[bytes, Any], name: str) -> list[TorrentFile] | None:
    length = info.get(b"length")
    if isinstance(length, int):
        if length < 0:
            raise ParseError("negative file length")
        return [TorrentFile(name, length)]
    files = info.get(b"files")
    if not isinstance(files, list):
        return None
    if len(files) > MAX_FILES:
        raise ParseError(f"more than {MAX_FILES} files")
    out = []
    for entry in files:
        if not isinstance(entry, dict):
            raise ParseError("`files` entry is not a dictionary")
        size = entry.get(b"length")
        path = entry.get(b"path.utf-8") or entry.get(b"path")
        if not isinstance(size, int) or size < 0 or not isinstance(path, list):
            raise ParseError("`files` entry without length or path")
        parts = [_str(p) for p in path]
        if any(p is None for p in parts):
            raise ParseError("`files` path element is not a string")
        out.append(TorrentFile("/".join([name, *(p for p in parts if p is not None)]), size))
    return out


def _v2_files(tree: Any) -> list[TorrentFile] | None:
    """Walk a BEP 52 `file tree` without recursion: leaves are `{"": {"length": n, …}}`."""
    if not isinstance(tree, dict):
        return None
    out: list[TorrentFile] = []
    stack: list[tuple[tuple[str, ...], dict[bytes, Any]]] = [((), tree)]
    while stack:
        prefix, node = stack.pop()
        if len(prefix) > MAX_TREE_DEPTH:
            raise ParseError("v2 file tree nested too deeply")
        for key in sorted(node, reverse=True):
            child = node[key]
            if key == b"":
                if isinstance(child, dict) and isinstance(child.get(b"length"), int):
                    out.append(TorrentFile("/".join(prefix), child[b"length"]))
                    continue
                raise ParseError("v2 file tree leaf without length")
            if not isinstance(child, dict):
                raise ParseError("v2 file tree node is not a dictionary")
            stack.append(((*prefix, _str(key) or ""), child))
        if len(out) > MAX_FILES:
            raise ParseError(f"more than {MAX_FILES} files")
    out.sort(key=lambda f: f.path)
    return out


@dataclass(frozen=True)
class Magnet:
    """A magnet link."""

    uri: str
    info_hash_v1: str | None  # lower-case hex (base32 forms are converted)
    info_hash_v2: str | None  # SHA-256 hex from urn:btmh:1220…
    name: str | None
    trackers: tuple[str, ...]
    size: int | None  # xl
    passkeys: tuple[str, ...]


_MAGNET = re.compile(r"magnet:\?[^\s\"'<>`\\]{1,8000}", re.IGNORECASE)


def parse_magnet(uri: str) -> Magnet | None:
    """One magnet URI; None when it carries no BitTorrent info-hash."""
    if not uri.lower().startswith("magnet:?"):
        return None
    try:
        params = parse_qsl(uri[8:], keep_blank_values=True)
    except ValueError:
        return None
    v1 = v2 = name = None
    trackers: list[str] = []
    size = None
    for key, value in params:
        key = key.lower()
        if key.startswith("xt"):
            v1 = v1 or _btih(value)
            v2 = v2 or _btmh(value)
        elif key == "dn" and name is None:
            name = value
        elif key.startswith("tr"):
            trackers.append(value)
        elif key == "xl" and value.isdecimal() and len(value) <= 20:
            size = int(value)
    if v1 is None and v2 is None:
        return None
    passkeys = tuple(dict.fromkeys(k for k in (passkey_of(t) for t in trackers) if k))
    return Magnet(uri, v1, v2, name, tuple(dict.fromkeys(trackers)), size, passkeys)


def _btih(value: str) -> str | None:
    m = re.fullmatch(r"urn:btih:([0-9A-Fa-f]{40}|[A-Za-z2-7]{32})", value.strip())
    if not m:
        return None
    digest = m.group(1)
    if len(digest) == 40:
        return digest.lower()
    return base64.b32decode(digest.upper()).hex()


def _btmh(value: str) -> str | None:
    m = re.fullmatch(r"urn:btmh:1220([0-9A-Fa-f]{64})", value.strip())
    return m.group(1).lower() if m else None


def find_magnets(text: str) -> Iterator[tuple[int, Magnet]]:
    """Every magnet link with a BitTorrent hash in free text, with its character offset."""
    for m in _MAGNET.finditer(text):
        uri = m.group(0).rstrip(".,;)]")
        magnet = parse_magnet(unquote_amp(uri))
        if magnet is not None:
            yield m.start(), magnet


def unquote_amp(uri: str) -> str:
    """Magnets copied out of HTML carry `&amp;`: turn it back into `&`."""
    return uri.replace("&amp;", "&")

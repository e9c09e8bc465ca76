"""The records of the sources layer: container info, evidence refs, file entries, layers, problems."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache

FORMATS = ("raw", "split-raw", "ewf", "qcow2", "vmdk", "vhd", "vhdx", "tar", "zip", "gz", "directory", "file")

ENTRY_TYPES = ("file", "dir", "symlink", "other")


class SourceError(Exception):
    """Evidence that cannot be opened or read; ``str(err)`` is one line: "<input>: <reason>"."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = one_line(reason)
        super().__init__(f"{one_line(where)}: {self.reason}")


@dataclass(frozen=True)
class ContainerInfo:
    """What an evidence path is: its format, every segment, media size and stored hashes."""

    format: str
    paths: tuple[str, ...]
    media_size: int | None
    stored_hashes: dict[str, str] = field(default_factory=dict)
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class EvidenceRef:
    """An exhibit id, its container and the credentials for its encrypted volumes."""

    exhibit: str
    info: ContainerInfo
    password: str | None = None
    recovery_key: str | None = None


@dataclass(frozen=True)
class FileEntry:
    """One file, directory or stream found in the evidence, with its location chain.

    ``layers`` is the chain below the exhibit. Encoded containers (ewf, qcow2, vmdk, vhd, vhdx) are
    the first layer; plain and split raw images are not a layer (their bytes are the media). Then
    come partitions ("gpt p2 @ 1048576"), LVM/encryption layers, the file system ("ext4"), and one
    layer per archive opened inside it ("tar.gz /srv/backup.tar.gz"). Logical evidence uses
    ("dir",) or ("file",); an archive given as evidence is its own first layer ("zip", "tar", "gz").
    """

    exhibit: str
    layers: tuple[str, ...]
    path: str
    address: str
    type: str
    size: int
    inode: str | None
    allocated: bool
    mtime: str | None
    atime: str | None
    ctime: str | None
    btime: str | None
    stream: str | None = None

    @property
    def location(self) -> str:
        """Full location: "EX-01 / gpt p2 @ 1048576 / ext4 / var/www/panel/config.php"."""
        return " / ".join((self.exhibit, *self.layers, self.path[1:]))


@dataclass
class LayerNode:
    """One layer of the evidence: container, volume system, partition, file system or archive."""

    kind: str
    label: str
    offset: int | None
    size: int | None
    details: dict[str, object] = field(default_factory=dict)
    children: list[LayerNode] = field(default_factory=list)


@dataclass(frozen=True)
class LayerProblem:
    """A layer that could not be (fully) read, with a one-line reason."""

    layers: tuple[str, ...]
    reason: str


def one_line(text: str) -> str:
    """Collapse a (possibly multi-line) message to one line."""
    return " ".join(str(text).split())


def escape_name(raw: bytes | str) -> str:
    """A file name as safe text: invalid UTF-8 as \\xNN, control characters and backslash as \\xNN."""
    text = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
    if text.isprintable() and "\\" not in text:
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte kept by surrogateescape
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch == "\\" or code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not ch.isprintable():
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=65536)
def _iso_seconds(seconds: int) -> str:
    t = time.gmtime(seconds)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"


def iso_time(seconds: int | None, nanoseconds: int = 0) -> str | None:
    """UTC ISO 8601 with Z from epoch seconds and nanoseconds, at full precision; None for 0/None.

    A zero fraction is left out ("2024-06-01T14:02:11Z"), else all nine digits are shown
    ("2024-06-01T14:02:11.123456789Z"); out-of-range values give None.
    """
    if not seconds and not nanoseconds:
        return None
    key = (seconds, nanoseconds)
    text = _TIME_CACHE.get(key)
    if text is None:
        text = _format_time(int(seconds or 0), int(nanoseconds or 0))
        if len(_TIME_CACHE) > 65536:
            _TIME_CACHE.clear()
        _TIME_CACHE[key] = text
    return text or None


_TIME_CACHE: dict[tuple[int | None, int], str] = {}


def _format_time(seconds: int, nanoseconds: int) -> str:
    try:
        base = _iso_seconds(seconds)
    except (OverflowError, OSError, ValueError):
        return ""
    if nanoseconds:
        return f"{base}.{nanoseconds:09d}Z"
    return f"{base}Z"

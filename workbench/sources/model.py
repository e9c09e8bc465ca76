"""The records of the sources layer: container info, evidence refs, file entries, layers, problems."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, NamedTuple, Protocol

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


class FileEntry(NamedTuple):
    """One file, directory or stream found in the evidence, with its location chain.

    ``layers`` is the chain below the exhibit. Encoded containers (ewf, qcow2, vmdk, vhd, vhdx) are
    the first layer; plain and split raw images are not a layer (their bytes are the media). Then
    come partitions ("gpt p2 @ 1048576"), LVM/encryption layers, the file system ("ext4"), and one
    layer per archive opened inside it ("tar.gz /srv/backup.tar.gz"). Logical evidence uses
    ("dir",) or ("file",); an archive given as evidence is its own first layer ("zip", "tar", "gz").

    A named tuple rather than a dataclass: a walk makes one per file, and a tuple is made (and
    pickled to the pipeline's workers) several times faster.
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


class Stamp(NamedTuple):
    """What every entry of one file-system layer carries besides its own fields.

    The Source hands one to a back-end's ``walk``; the back-end makes each ``FileEntry`` with it
    once, instead of a record of its own that the Source would copy into a ``FileEntry``.
    """

    exhibit: str
    layers: tuple[str, ...]
    address_prefix: str  # an address up to the back-end's own handle: '["f", ["ext4"], '

    def entry(
        self,
        path: str,
        handle: str,
        type: str,
        size: int,
        inode: str | None,
        allocated: bool,
        mtime: str | None,
        atime: str | None,
        ctime: str | None,
        btime: str | None,
        stream: str | None = None,
    ) -> FileEntry:
        """The entry at ``path`` of this layer; ``handle`` is the back-end's JSON part of its address."""
        address = f"{self.address_prefix}{handle}]"
        return FileEntry(
            self.exhibit,
            self.layers,
            path,
            address,
            type,
            size,
            inode,
            allocated,
            mtime,
            atime,
            ctime,
            btime,
            stream,
        )


def layer_address_prefix(layers: tuple[str, ...]) -> str:
    """The start of every address of a file-system layer: '["f", [<layer chain>], '."""
    return '["f", ' + json.dumps(list(layers)) + ", "


# What a file-system back-end's ``walk`` yields: an entry, and for a regular file the first bytes it
# already read (archive sniffing needs them), or None when it read none.
Listed = tuple[FileEntry, bytes | None]


class FileSystemBackend(Protocol):
    """A file system (or a directory tree, or one file) a Source walks and reads.

    ``walk`` lists every entry below the root, and ``open`` reads one by the handle ``walk`` put in
    its address. Whatever the walk could not list goes to ``problems`` as one line each; the walk
    goes on. A back-end may also offer ``resolve(path, stamp)`` (one entry by path, without a walk)
    and ``close()``.
    """

    type_name: str

    def walk(self, include_deleted: bool, stamp: Stamp) -> Iterator[Listed]:
        """Every entry, depth first."""
        ...

    def open(self, handle: Any, where: str) -> BinaryIO | io.IOBase:
        """A read-only binary stream of the entry behind a (parsed) handle from ``walk``."""
        ...


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


def iso_time(seconds: int | None, nanoseconds: int | None = 0) -> str | None:
    """UTC ISO 8601 with Z from epoch seconds and nanoseconds, at full precision; None for 0/None.

    A zero fraction is left out ("2024-06-01T14:02:11Z"), else all nine digits are shown
    ("2024-06-01T14:02:11.123456789Z"); out-of-range values give None.
    """
    if not seconds and not nanoseconds:
        return None
    # A walk formats four times per file, nearly all different: the date comes from a small cache
    # of days and the time of day from tables, with no gmtime call and no cache of whole times.
    day, second_of_day = divmod(seconds or 0, 86400)
    date = _DATES.get(day)
    if date is None:
        date = _date(day)
        if date is None:
            return None
    minute, second = divmod(second_of_day, 60)
    if nanoseconds:
        return f"{date}{_CLOCK_MINUTES[minute]}{_CLOCK_SECONDS[second]}.{nanoseconds:09d}Z"
    return f"{date}{_CLOCK_MINUTES[minute]}{_CLOCK_SECONDS[second]}Z"


_DATES: dict[int, str] = {}  # days since the epoch -> "2024-06-01T"
_MAX_DATES = 200_000  # some 550 years of distinct days; a hostile image cannot grow it without bound
_CLOCK_MINUTES = tuple(f"{hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60))
_CLOCK_SECONDS = tuple(f"{second:02d}" for second in range(60))


def _date(day: int) -> str | None:
    """The "YYYY-MM-DDT" of a day since the epoch (remembered), or None when out of range."""
    try:
        t = time.gmtime(day * 86400)
    except (OverflowError, OSError, ValueError):
        return None
    text = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
    if len(_DATES) >= _MAX_DATES:
        _DATES.clear()
    _DATES[day] = text
    return text

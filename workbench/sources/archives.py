"""Archives found in evidence (zip, tar, tar.gz/bz2/xz, gz, bz2, xz), listed as their own layer.

Archives are never extracted: members are listed from the archive's own directory and read as
streams. Member names are shown as stored, made relative ("/" + name), with ".." components
escaped as "\\x2e\\x2e" so no consumer can interpret them. Bombs are refused by limits the caller
passes in (expansion ratio, total expanded bytes); the refusal is a one-line ``ArchiveLimit``.
"""

from __future__ import annotations

import bz2
import calendar
import gzip
import io
import lzma
import os
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from workbench.sources.containers import ZIP_DOCUMENT_EXTENSIONS
from workbench.sources.model import SourceError, escape_name, iso_time
from workbench.sources.streams import RangeStream

SPOOL_LIMIT = 64 << 20
COPY_CHUNK = 1 << 20
COMPRESSED_KINDS = ("gz", "bz2", "xz")


class ArchiveLimit(Exception):
    """An archive that goes over a safety limit (bomb, too deep, too big)."""


@dataclass(frozen=True)
class Member:
    """One member of an archive."""

    path: str
    spec: Any  # JSON-able: how to find the member again (zip index, tar data offset, 0 for gz)
    type: str
    size: int
    mtime: str | None
    odd_name: bool = False  # absolute or with ".." components


@dataclass
class Budget:
    """Expansion limits shared by all archives of one source."""

    ratio: int
    total_bytes: int
    used_bytes: int = 0

    def charge(self, count: int, label: str) -> None:
        """Count ``count`` expanded bytes; raise when the total limit is passed."""
        self.used_bytes += count
        if self.used_bytes > self.total_bytes:
            raise ArchiveLimit(
                f"archive expansion over the total limit of {_human(self.total_bytes)} ({label}): not opened"
            )


def sniff(head: bytes, name: str) -> str | None:
    """The archive kind of a file from its first bytes (and name for zip documents), or None."""
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return None if name.lower().endswith(ZIP_DOCUMENT_EXTENSIONS) else "zip"
    if head[:3] == b"\x1f\x8b\x08":
        return "gz"
    if head[:3] == b"BZh" and head[4:10] == b"1AY&SY":
        return "bz2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[257:262] == b"ustar":
        return "tar"
    return None


def member_path(raw: bytes | str) -> tuple[str, bool]:
    """Path of a member as shown ("/a/b"), and whether the stored name was absolute or had ".."."""
    text = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
    odd = text.startswith(("/", "\\")) or (len(text) > 1 and text[1] == ":")
    parts = []
    for part in text.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            odd = True
            parts.append("\\x2e\\x2e")
        else:
            parts.append(escape_name(part))
    return "/" + "/".join(parts), odd


class _Decompressed(io.RawIOBase):
    """A forward-only decompressed view that counts output and stops at the limit."""

    def __init__(self, raw: BinaryIO, kind: str, limit: int, label: str) -> None:
        super().__init__()
        self._raw = raw
        self._kind = kind
        self._limit = limit
        self._label = label
        self.produced = 0
        self._stream = _decompressor_stream(raw, kind)

    def readable(self) -> bool:
        """Readable."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Decompress into ``buffer``; raise ArchiveLimit past the limit."""
        view = memoryview(buffer).cast("B")
        try:
            data = self._stream.read(len(view))
        except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
            raise SourceError(self._label, f"corrupt {self._kind} data: {exc}") from None
        self.produced += len(data)
        if self.produced > self._limit:
            raise ArchiveLimit(self._bomb_message())
        view[: len(data)] = data
        return len(data)

    def _bomb_message(self) -> str:
        return f"{self._kind} bomb: expands past {_human(self._limit)} (limit), not opened"


def _decompressor_stream(raw: BinaryIO, kind: str) -> Any:
    if kind == "gz":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if kind == "bz2":
        return bz2.BZ2File(raw, mode="rb")
    return lzma.LZMAFile(raw, mode="rb")


def _human(count: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count} bytes"


class Archive:
    """An opened archive over a stream of its bytes; lists members and opens them."""

    def __init__(
        self, kind: str, opener: Callable[[], BinaryIO], size: int, name: str, label: str, budget: Budget
    ):
        self.kind = kind  # zip, tar, tar.gz, tar.bz2, tar.xz, gz, bz2, xz
        self._opener = opener
        self._size = max(size, 1)
        self._name = name
        self._label = label
        self._budget = budget
        self._zip: zipfile.ZipFile | None = None
        self._zip_stream: BinaryIO | None = None
        self._members: list[Member] | None = None
        self.problem: str | None = None  # set when the listing stopped early

    @classmethod
    def open(
        cls, kind: str, opener: Callable[[], BinaryIO], size: int, name: str, label: str, budget: Budget
    ) -> Archive:
        """Open an archive of a sniffed ``kind``; a compressed tar becomes "tar.gz" etc."""
        if kind in COMPRESSED_KINDS:
            with opener() as raw:
                stream = _decompressor_stream(raw, kind)
                try:
                    head = stream.read(512)
                except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
                    raise SourceError(label, f"corrupt {kind} data: {exc}") from None
            if len(head) == 512 and head[257:262] == b"ustar":
                kind = f"tar.{kind}"
        return cls(kind, opener, size, name, label, budget)

    @property
    def limit(self) -> int:
        """The most bytes this archive may expand to."""
        return min(self._size * self._budget.ratio, self._budget.total_bytes)

    def members(self) -> list[Member]:
        """Every member, in archive order (raises ArchiveLimit for a bomb)."""
        if self._members is None:
            if self.kind == "zip":
                self._members = self._zip_members()
            elif self.kind.startswith("tar"):
                self._members = self._tar_members()
            else:
                self._members = self._single_member()
        return self._members

    def open_member(self, spec: Any) -> BinaryIO:
        """A read-only stream over one member's content."""
        if self.kind == "zip":
            return self._open_zip_member(int(spec))
        if self.kind == "tar":
            offset, size = int(spec[0]), int(spec[1])
            return cast(BinaryIO, RangeStream(self._opener(), offset, size, self._label))
        if self.kind.startswith("tar."):
            offset, size = int(spec[0]), int(spec[1])
            return _spool(cast(BinaryIO, self._decompressed()), offset, size, self._label)
        size = self.members()[0].size
        return _spool(cast(BinaryIO, self._decompressed()), 0, size, self._label)

    def _decompressed(self) -> _Decompressed:
        kind = self.kind.split(".")[-1]
        return _Decompressed(self._opener(), kind, self.limit, self._label)

    # zip -----------------------------------------------------------------------------------
    def _zipfile(self) -> zipfile.ZipFile:
        if self._zip is None:
            self._zip_stream = self._opener()
            try:
                self._zip = zipfile.ZipFile(self._zip_stream)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                raise SourceError(self._label, f"corrupt zip: {exc}") from None
        return self._zip

    def _zip_members(self) -> list[Member]:
        archive = self._zipfile()
        infos = archive.infolist()
        declared = sum(max(i.file_size, 0) for i in infos)
        ratio = declared // self._size
        if ratio > self._budget.ratio:
            raise ArchiveLimit(
                f"zip bomb: expansion ratio {ratio}:1 over limit {self._budget.ratio}:1, not opened"
            )
        self._budget.charge(declared, self._label)
        members = []
        for index, info in enumerate(infos):
            raw = info.filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", "surrogateescape")
            path, odd = member_path(raw)
            if info.is_dir():
                kind = "dir"
            elif (info.external_attr >> 16) & 0o170000 == 0o120000:
                kind = "symlink"
            else:
                kind = "file"
            mtime = _zip_time(info.date_time)
            members.append(Member(path, index, kind, int(info.file_size), mtime, odd))
        return members

    def _open_zip_member(self, index: int) -> BinaryIO:
        archive = self._zipfile()
        infos = archive.infolist()
        if not 0 <= index < len(infos):
            raise SourceError(self._label, f"no member #{index}")
        info = infos[index]
        if info.file_size > self.limit:
            raise SourceError(self._label, f"member {info.filename!r} larger than the expansion limit")
        try:
            member = archive.open(info)
            return _spool(
                cast(BinaryIO, _Bounded(member, info.file_size, self._label)), 0, info.file_size, self._label
            )
        except (
            zipfile.BadZipFile,
            NotImplementedError,
            RuntimeError,
            OSError,
            ValueError,
            zlib.error,
        ) as exc:
            raise SourceError(self._label, f"cannot read member {info.filename!r}: {exc}") from None

    # tar -----------------------------------------------------------------------------------
    def _tar_members(self) -> list[Member]:
        compressed = self.kind != "tar"
        raw = self._decompressed() if compressed else self._opener()
        members = []
        try:
            with tarfile.open(
                fileobj=cast(Any, raw),
                mode="r|" if compressed else "r:",
                encoding="utf-8",
                errors="surrogateescape",
            ) as archive:
                for info in archive:
                    path, odd = member_path(info.name.encode("utf-8", "surrogateescape"))
                    if info.isdir():
                        kind = "dir"
                    elif info.issym():
                        kind = "symlink"
                    elif info.isreg():
                        kind = "file"
                    else:
                        kind = "other"
                    size = int(info.size) if kind == "file" else 0
                    mtime = iso_time(int(info.mtime)) if info.mtime else None
                    members.append(Member(path, [int(info.offset_data), size], kind, size, mtime, odd))
        except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
            if not members:
                raise SourceError(self._label, f"corrupt {self.kind}: {exc}") from None
            self.problem = f"listing stopped early after {len(members)} members: corrupt {self.kind}: {exc}"
        finally:
            raw.close()
        if compressed:
            self._budget.charge(cast(_Decompressed, raw).produced, self._label)
        return members

    # gz / bz2 / xz ---------------------------------------------------------------------------
    def _single_member(self) -> list[Member]:
        stream = self._decompressed()
        try:
            while stream.read(COPY_CHUNK):
                pass
        finally:
            stream.close()
        self._budget.charge(stream.produced, self._label)
        name, mtime = self._gzip_name_time() if self.kind == "gz" else (None, None)
        if not name:
            base = os.path.basename(self._name)
            suffix = {"gz": (".gz", ".tgz"), "bz2": (".bz2",), "xz": (".xz",)}[self.kind]
            lower = base.lower()
            stripped = next((base[: -len(s)] for s in suffix if lower.endswith(s)), "")
            name = stripped or "data"
        path, odd = member_path(name)
        return [Member(path, 0, "file", stream.produced, mtime, odd)]

    def _gzip_name_time(self) -> tuple[str | None, str | None]:
        """FNAME and MTIME from the gzip header (RFC 1952)."""
        with self._opener() as raw:
            head = raw.read(1024)
        if len(head) < 10:
            return None, None
        flags = head[3]
        mtime = int.from_bytes(head[4:8], "little")
        pos = 10
        if flags & 0x04 and len(head) >= 12:  # FEXTRA
            pos += 2 + int.from_bytes(head[10:12], "little")
        name = None
        if flags & 0x08:  # FNAME
            end = head.find(b"\0", pos)
            if end > pos:
                name = head[pos:end].decode("latin-1")
        return name, iso_time(mtime) if mtime else None

    def close(self) -> None:
        """Close the zip handle if one is open."""
        if self._zip is not None:
            self._zip.close()
            self._zip = None
        if self._zip_stream is not None:
            self._zip_stream.close()
            self._zip_stream = None


class _Bounded(io.RawIOBase):
    """A member stream that may not produce more than its declared size (lying zip headers)."""

    def __init__(self, inner: Any, declared: int, label: str) -> None:
        super().__init__()
        self._inner = inner
        self._left = declared
        self._label = label

    def readable(self) -> bool:
        """Readable."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read, refusing output beyond the declared size."""
        view = memoryview(buffer).cast("B")
        want = min(len(view), self._left + 1)
        try:
            data = self._inner.read(want)
        except (zipfile.BadZipFile, OSError, ValueError, zlib.error, EOFError) as exc:
            raise SourceError(self._label, f"corrupt member: {exc}") from None
        if len(data) > self._left:
            raise ArchiveLimit("zip member expands past its declared size, not read")
        self._left -= len(data)
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        """Close the member."""
        self._inner.close()
        super().close()


def _spool(stream: BinaryIO, offset: int, size: int, label: str) -> BinaryIO:
    """Copy ``size`` bytes from ``offset`` of a forward-only stream into a seekable spool."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT)  # noqa: SIM115 - returned to the caller
    try:
        skipped = 0
        while skipped < offset:
            chunk = stream.read(min(COPY_CHUNK, offset - skipped))
            if not chunk:
                break
            skipped += len(chunk)
        left = size
        while left > 0:
            chunk = stream.read(min(COPY_CHUNK, left))
            if not chunk:
                break
            spool.write(chunk)
            left -= len(chunk)
    except ArchiveLimit as exc:
        spool.close()
        raise SourceError(label, str(exc)) from None
    finally:
        stream.close()
    spool.seek(0)
    return cast(BinaryIO, spool)


def _zip_time(date_time: tuple[int, int, int, int, int, int]) -> str | None:
    """Zip times carry no time zone: they are shown as stored, marked as if UTC."""
    try:
        return iso_time(calendar.timegm((*date_time, 0, 0, 0)))
    except (OverflowError, ValueError):
        return None

"""EWF (E01) images through pyewf: segments, acquisition metadata, and checksum-verified reads.

libewf fills a chunk whose checksum fails with zeros and returns success, which would be a silent
wrong read. So for EWF1 segment files (E01/s01/L01 generation) we parse the table sections
ourselves and verify every chunk (Adler-32 for stored chunks, a full zlib decode for compressed
ones) the first time it is read; a corrupt chunk raises ``SourceError`` naming the media offset.
EWF2 (Ex01) is read through pyewf without that extra check.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import pyewf

from workbench.sources.model import SourceError
from workbench.sources.streams import ReadStream

EWF1_SIGNATURE = b"EVF\x09\x0d\x0a\xff\x00"
LVF1_SIGNATURE = b"LVF\x09\x0d\x0a\xff\x00"
EWF2_SIGNATURE = b"EVF2\x0d\x0a\x81\x00"
LEF2_SIGNATURE = b"LEF2\x0d\x0a\x81\x00"
SIGNATURES = (EWF1_SIGNATURE, LVF1_SIGNATURE, EWF2_SIGNATURE, LEF2_SIGNATURE)
SECTION_DESCRIPTOR = struct.Struct("<16sQQ40sI")
HEADER_FIELDS = {
    "case_number": "case_number",
    "evidence_number": "evidence_number",
    "description": "description",
    "examiner_name": "examiner",
    "notes": "notes",
    "acquiry_date": "acquiry_date",
    "system_date": "system_date",
    "acquiry_operating_system": "acquiry_os",
    "acquiry_software": "acquiry_software",
    "acquiry_software_version": "acquiry_software_version",
    "model": "model",
    "serial_number": "serial_number",
}


def is_ewf(head: bytes) -> bool:
    """True when ``head`` starts with an EWF segment signature."""
    return head[:8] in SIGNATURES


def segment_extension(first_ext: str, number: int) -> str:
    """The extension of segment ``number`` (1-based) given the first one (".E01" → ".E02", ".EAA" …)."""
    letter = first_ext[1]
    upper = letter.isupper()
    if first_ext[2:3].lower() == "x":  # Ex01, Lx01
        return f"{first_ext[:3]}{number:02d}"
    if number < 100:
        return f".{letter}{number:02d}"
    # E99 is followed by EAA … EZZ, then FAA … (libewf naming)
    index = number - 100
    first = ord(letter.upper()) + index // (26 * 26)
    second = (index // 26) % 26
    third = index % 26
    text = chr(first) + chr(ord("A") + second) + chr(ord("A") + third)
    return "." + (text if upper else text.lower())


def segment_number(path: str) -> int | None:
    """Segment number stored in an EWF1 segment file header, or None."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(13)
    except OSError:
        return None
    if len(head) < 13 or head[:8] not in (EWF1_SIGNATURE, LVF1_SIGNATURE):
        return None
    return int.from_bytes(head[9:11], "little")


def find_segments(path: str) -> tuple[list[str], list[str]]:
    """Segments of the EWF set ``path`` belongs to, in order, and the names of missing ones."""
    directory, name = os.path.split(os.path.abspath(path))
    stem, ext = os.path.splitext(name)
    first_ext = ext[:2] + ("x01" if ext[2:3].lower() == "x" else "01")
    first = os.path.join(directory, stem + first_ext)
    if not os.path.exists(first):
        return [], [stem + first_ext]
    try:
        found = list(pyewf.glob(first))
    except OSError:
        found = [first]
    # Segments present on disk beyond a gap that pyewf.glob stopped at.
    pattern = re.compile(re.escape(stem) + r"\.[A-Za-z][A-Za-z0-9]{2,3}$")
    present = {os.path.join(directory, n) for n in os.listdir(directory) if pattern.match(n)}
    missing: list[str] = []
    later = sorted(p for p in present if p not in found and segment_number(p) is not None)
    if later:
        numbers = [segment_number(p) or 0 for p in later]
        for number in range(len(found) + 1, max(numbers)):
            candidate = stem + segment_extension(first_ext, number)
            if os.path.join(directory, candidate) not in present:
                missing.append(candidate)
    if not missing and found and _ends_with(found[-1], b"next"):
        missing.append(stem + segment_extension(first_ext, len(found) + 1))
    return found, missing


def _ends_with(path: str, section: bytes) -> bool:
    """True when the last section descriptor of an EWF1 segment is ``section`` ("next"/"done")."""
    try:
        with open(path, "rb") as handle:
            if handle.read(8) not in (EWF1_SIGNATURE, LVF1_SIGNATURE):
                return False
            handle.seek(-SECTION_DESCRIPTOR.size, os.SEEK_END)
            tail = handle.read(SECTION_DESCRIPTOR.size)
    except OSError:
        return False
    return tail[:16].rstrip(b"\0") == section


def read_metadata(paths: list[str]) -> tuple[int, dict[str, str], dict[str, object]]:
    """Media size, stored hashes and acquisition details of an EWF set."""
    handle = pyewf.handle()
    try:
        handle.open(paths)
        media_size = int(handle.get_media_size())
        headers = handle.get_header_values() or {}
        hashes = {k.lower(): v.lower() for k, v in (handle.get_hash_values() or {}).items() if v}
        details: dict[str, object] = {
            HEADER_FIELDS.get(k, k): v for k, v in sorted(headers.items()) if v not in (None, "")
        }
        details["bytes_per_sector"] = int(handle.get_bytes_per_sector())
        details["chunk_size"] = int(handle.get_chunk_size())
        details["segments"] = len(paths)
        details["segment_sizes"] = [os.path.getsize(p) for p in paths]
    except OSError as exc:
        raise SourceError(paths[0], f"cannot open EWF image: {exc}") from None
    finally:
        with contextlib.suppress(OSError):
            handle.close()
    return media_size, hashes, details


@dataclass(frozen=True)
class _Chunk:
    segment: int
    offset: int  # absolute offset of the stored chunk in its segment file
    stored_size: int  # bytes on disk (with the Adler-32 for stored chunks)
    compressed: bool


class EwfStream(ReadStream):
    """Decoded EWF media via pyewf, with every chunk checksum-verified on first read (EWF1)."""

    def __init__(self, paths: list[str]) -> None:
        self._paths = paths
        self._handle = pyewf.handle()
        try:
            self._handle.open(paths)
            size = int(self._handle.get_media_size())
            self._chunk_size = int(self._handle.get_chunk_size())
        except OSError as exc:
            raise SourceError(paths[0], f"cannot open EWF image: {exc}") from None
        super().__init__(size, paths[0])
        self._chunks: list[_Chunk] | None = _chunk_map(paths, self._chunk_size, size)
        self._verified = bytearray(len(self._chunks)) if self._chunks is not None else bytearray()
        self._files: dict[int, Any] = {}

    def _read_at(self, offset: int, size: int) -> bytes:
        if self._chunks is not None:
            first = offset // self._chunk_size
            last = (offset + size - 1) // self._chunk_size
            for index in range(first, last + 1):
                if not self._verified[index]:
                    self._verify(index)
        try:
            self._handle.seek(offset)
            return bytes(self._handle.read(size))
        except OSError as exc:
            raise SourceError(
                self.where, f"read error at media offset {offset}: {_first_line(exc)}"
            ) from None

    def _verify(self, index: int) -> None:
        assert self._chunks is not None
        if index >= len(self._chunks):
            raise SourceError(self.where, f"chunk {index} is missing from the chunk tables")
        chunk = self._chunks[index]
        handle = self._files.get(chunk.segment)
        if handle is None:
            handle = open(self._paths[chunk.segment], "rb")  # noqa: SIM115 - closed in close()
            self._files[chunk.segment] = handle
        handle.seek(chunk.offset)
        stored = handle.read(chunk.stored_size)
        expected = min(self._chunk_size, self._size - index * self._chunk_size)
        where = f"{self._paths[chunk.segment]}"
        media_offset = index * self._chunk_size
        if chunk.compressed:
            try:
                decoder = zlib.decompressobj()
                data = decoder.decompress(stored, expected + 1)
                ok = len(data) == expected and decoder.eof
            except zlib.error:
                ok = False
        else:
            data = stored[:expected]
            checksum = stored[expected : expected + 4]
            ok = len(checksum) == 4 and zlib.adler32(data) == int.from_bytes(checksum, "little")
        if not ok:
            raise SourceError(
                where,
                f"corrupt EWF chunk {index} (media offset {media_offset}, segment offset {chunk.offset}): checksum mismatch",
            )
        self._verified[index] = 1

    def close(self) -> None:
        """Close pyewf and the segment files opened for verification."""
        if not self.closed:
            for handle in self._files.values():
                handle.close()
            self._files.clear()
            with contextlib.suppress(OSError):
                self._handle.close()
        super().close()


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    # pyewf chains every libewf frame into one message; the second sentence is the root cause.
    parts = [p.strip() for p in text.split(". ") if p.strip()]
    return parts[1] if len(parts) > 1 else text


def _chunk_map(paths: list[str], chunk_size: int, media_size: int) -> list[_Chunk] | None:
    """Every chunk's place in the segment files, from the EWF1 table sections; None if not EWF1."""
    chunks: list[_Chunk] = []
    for segment, path in enumerate(paths):
        try:
            sections = _sections(path)
        except OSError:
            return None
        if sections is None:
            return None
        sectors_end = 0
        for kind, start, size in sections:
            if kind == b"sectors":
                sectors_end = start + size
            elif kind == b"table":
                table = _read_table(path, start, size, sectors_end)
                if table is None:
                    return None
                chunks.extend(_Chunk(segment, o, s, c) for o, s, c in table)
    expected = (media_size + chunk_size - 1) // chunk_size
    if len(chunks) < expected:
        return None
    return chunks[:expected]


def _sections(path: str) -> list[tuple[bytes, int, int]] | None:
    """(type, descriptor offset, section size) of each section of an EWF1 segment file."""
    result = []
    with open(path, "rb") as handle:
        if handle.read(8) not in (EWF1_SIGNATURE, LVF1_SIGNATURE):
            return None
        file_size = os.fstat(handle.fileno()).st_size
        offset = 13
        seen = set()
        while offset + SECTION_DESCRIPTOR.size <= file_size and offset not in seen:
            seen.add(offset)
            handle.seek(offset)
            kind, next_offset, size, _, _ = SECTION_DESCRIPTOR.unpack(handle.read(SECTION_DESCRIPTOR.size))
            kind = kind.rstrip(b"\0")
            result.append((kind, offset, size))
            if kind in (b"done", b"next") or next_offset <= offset:
                break
            offset = next_offset
    return result


def _read_table(path: str, start: int, size: int, sectors_end: int) -> list[tuple[int, int, bool]] | None:
    """Chunks listed by one table section: (absolute offset, stored size, compressed)."""
    with open(path, "rb") as handle:
        handle.seek(start + SECTION_DESCRIPTOR.size)
        header = handle.read(24)
        if len(header) < 24:
            return None
        count = int.from_bytes(header[0:4], "little")
        base = int.from_bytes(header[8:16], "little")
        if count > (size // 4) + 1:
            return None
        raw = handle.read(4 * count)
    if len(raw) < 4 * count:
        return None
    entries = struct.unpack(f"<{count}I", raw)
    offsets = [(base + (e & 0x7FFFFFFF), bool(e & 0x80000000)) for e in entries]
    end_of_last = sectors_end if sectors_end else start
    result = []
    for i, (offset, compressed) in enumerate(offsets):
        end = offsets[i + 1][0] if i + 1 < len(offsets) else end_of_last
        result.append((offset, max(0, end - offset), compressed))
    return result

"""Read-only, seekable byte streams: ranges, concatenated segments, library handles, TSK files."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from typing import Any

import pytsk3

from workbench.sources.model import SourceError

READ_STEP = 16 << 20  # the most one library read call is asked for


class ReadStream(io.RawIOBase):
    """Base of the read-only streams: subclasses implement ``_read_at(offset, size)``."""

    def __init__(self, size: int, where: str) -> None:
        super().__init__()
        self._size = size
        self._pos = 0
        self.where = where

    @property
    def size(self) -> int:
        """Length of the stream in bytes."""
        return self._size

    def readable(self) -> bool:
        """Always readable."""
        return True

    def seekable(self) -> bool:
        """Always seekable."""
        return True

    def writable(self) -> bool:
        """Never writable: evidence is read-only."""
        return False

    def tell(self) -> int:
        """Current position."""
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move the position (SEEK_SET, SEEK_CUR, SEEK_END)."""
        if whence == os.SEEK_SET:
            pos = offset
        elif whence == os.SEEK_CUR:
            pos = self._pos + offset
        elif whence == os.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise ValueError("negative seek position")
        self._pos = pos
        return pos

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all remaining when negative or None)."""
        if self.closed:
            raise ValueError("read from a closed stream")
        remaining = self._size - self._pos
        if remaining <= 0:
            return b""
        if size is None or size < 0 or size > remaining:
            size = remaining
        if size == 0:
            return b""
        if size <= READ_STEP:
            data = self._read_at(self._pos, size)
        else:  # in steps: a damaged size field must not make one read allocate terabytes
            parts, position, left = [], self._pos, size
            while left > 0:
                part = self._read_at(position, min(left, READ_STEP))
                if not part:
                    break
                parts.append(part)
                position += len(part)
                left -= len(part)
            data = b"".join(parts)
        self._pos += len(data)
        return data

    def readall(self) -> bytes:
        """Read everything from the current position."""
        return self.read(-1)

    def readinto(self, buffer: Any) -> int:
        """Read into a writable buffer (for io.BufferedReader and friends)."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def write(self, data: Any) -> int:
        """Refuse: evidence is read-only."""
        raise io.UnsupportedOperation("evidence streams are read-only")

    def _read_at(self, offset: int, size: int) -> bytes:
        raise NotImplementedError


class RangeStream(ReadStream):
    """A window ``[offset, offset + size)`` of another seekable stream (a partition, an archive member)."""

    def __init__(self, base: Any, offset: int, size: int, where: str = "range") -> None:
        super().__init__(size, where)
        self._base = base
        self._offset = offset

    def _read_at(self, offset: int, size: int) -> bytes:
        self._base.seek(self._offset + offset)
        data = self._base.read(size)
        return bytes(data) if data else b""


class BytesStream(io.BytesIO):
    """Evidence bytes already in memory (a small file read whole while it was listed), read-only.

    Built on ``io.BytesIO`` rather than ``ReadStream``: a walk hands out one per small file, and
    the C stream is opened, read and closed several times faster. Reading it cannot fail, so it
    needs no ``where``.
    """

    @property
    def size(self) -> int:
        """Length of the stream in bytes."""
        return len(self.getvalue())

    def writable(self) -> bool:
        """Never writable: evidence is read-only."""
        return False

    def write(self, data: Any) -> int:
        """Refuse: evidence is read-only."""
        raise io.UnsupportedOperation("evidence streams are read-only")

    def writelines(self, lines: Any) -> None:
        """Refuse: evidence is read-only."""
        raise io.UnsupportedOperation("evidence streams are read-only")

    def truncate(self, size: int | None = None) -> int:
        """Refuse: evidence is read-only."""
        raise io.UnsupportedOperation("evidence streams are read-only")

    def getbuffer(self) -> memoryview:
        """Refuse: a writable view of evidence bytes is never handed out."""
        raise io.UnsupportedOperation("evidence streams are read-only")


class ConcatStream(ReadStream):
    """Segments of a split raw image read as one stream."""

    def __init__(self, paths: Sequence[str]) -> None:
        self._paths = list(paths)
        self._sizes = [os.path.getsize(p) for p in self._paths]
        self._starts = []
        total = 0
        for s in self._sizes:
            self._starts.append(total)
            total += s
        super().__init__(total, self._paths[0] if self._paths else "split raw")
        self._handles: dict[int, Any] = {}

    def _handle(self, index: int) -> Any:
        handle = self._handles.get(index)
        if handle is None:
            handle = open(self._paths[index], "rb")  # noqa: SIM115 - closed in close()
            self._handles[index] = handle
        return handle

    def _read_at(self, offset: int, size: int) -> bytes:
        chunks = []
        index = _segment_index(self._starts, offset)
        while size > 0 and index < len(self._paths):
            inner = offset - self._starts[index]
            take = min(size, self._sizes[index] - inner)
            handle = self._handle(index)
            handle.seek(inner)
            data = handle.read(take)
            if len(data) != take:
                raise SourceError(self._paths[index], f"short read at offset {inner} (segment changed?)")
            chunks.append(data)
            offset += take
            size -= take
            index += 1
        return b"".join(chunks)

    def close(self) -> None:
        """Close every open segment."""
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()
        super().close()


def _segment_index(starts: list[int], offset: int) -> int:
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo


class HandleStream(ReadStream):
    """A libyal handle (pyqcow, pyvmdk, pyvhdi, dfvfs file objects …) as a read-only stream."""

    def __init__(
        self, handle: Any, size: int, where: str, on_close: Callable[[], None] | None = None
    ) -> None:
        super().__init__(size, where)
        self._handle = handle
        self._on_close = on_close

    def _read_at(self, offset: int, size: int) -> bytes:
        try:
            self._handle.seek(offset)
            data = self._handle.read(size)
        except (OSError, ValueError, RuntimeError) as exc:
            raise SourceError(self.where, f"read error at offset {offset}: {exc}") from None
        return bytes(data)

    def close(self) -> None:
        """Close the handle (and whatever it was opened over)."""
        if not self.closed:
            try:
                if self._on_close is not None:
                    self._on_close()
                elif hasattr(self._handle, "close"):
                    self._handle.close()
            except (OSError, RuntimeError):
                pass
        super().close()


class StreamImage(pytsk3.Img_Info):
    """A Python stream as a TSK image, so pytsk3 can read volumes and file systems through it."""

    def __init__(self, stream: Any, size: int) -> None:
        self._stream = stream
        self._stream_size = size
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    def read(self, offset: int, length: int) -> bytes:
        """TSK read callback."""
        self._stream.seek(offset)
        return self._stream.read(length)

    def get_size(self) -> int:
        """TSK size callback."""
        return self._stream_size

    def close(self) -> None:
        """Nothing to release here: the stream belongs to its layer."""


class TskFileStream(ReadStream):
    """Content of one TSK file (or one of its attributes, e.g. an NTFS alternate data stream)."""

    def __init__(self, tsk_file: Any, size: int, where: str, attr: tuple[int, int] | None = None) -> None:
        super().__init__(size, where)
        self._file = tsk_file
        self._attr = attr

    def _read_at(self, offset: int, size: int) -> bytes:
        try:
            if self._attr is None:
                return bytes(self._file.read_random(offset, size))
            return bytes(self._file.read_random(offset, size, self._attr[0], self._attr[1]))
        except OSError as exc:
            raise SourceError(self.where, f"read error at offset {offset}: {exc}") from None

"""libmagic's type of a file (MIME and description), as the ``file`` command gives it for the same file.

libmagic is handed a file descriptor, not a buffer: only then does it read the end of the file,
which some magic needs (gzip's original size, ID3v1 tags, DMG trailers), and look at ELF headers.
The descriptor is an anonymous in-memory file (memfd) holding the file's bytes when the worker has
them all; for a file larger than that (a film past --max-scan-bytes) it holds the first and last
MAGIC_BYTES at their offsets with a hole between, and libmagic's ELF and OLE2 readers, which would
read the hole as zeros, are switched off for it.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass
from functools import cache
from typing import Any

# libmagic's own default byte budget (``file``'s): a smaller one costs little less per file here
# (bench/magic_bench.py) but loses types whose magic lies deeper, e.g. ISO 9660 at 32 KiB
MAGIC_BYTES = 7 << 20
WHOLE_LIMIT = 64 << 20  # a file held whole but larger is typed from its edges: no second copy of it
# what `file` says of an empty file (its stat check; a descriptor would say application/x-empty)
EMPTY = ("inode/x-empty", "empty")
KEEP_BYTES = 1 << 20  # the scratch file may keep up to this much of the last file typed


@dataclass(frozen=True)
class Content:
    """What the worker read of a file: all of it (``whole``), or its first and last MAGIC_BYTES."""

    size: int
    whole: bytes | None
    head: bytes = b""
    tail: bytes = b""


def held_content(data: bytes) -> Content:
    """A file the worker holds whole: all of it for libmagic, or past WHOLE_LIMIT its edges."""
    if len(data) <= WHOLE_LIMIT:
        return Content(len(data), data)
    return Content(len(data), None, data[:MAGIC_BYTES], data[-MAGIC_BYTES:])


class Edges:
    """Keeps the first and last MAGIC_BYTES of a file read in chunks (one too large to hold whole)."""

    def __init__(self) -> None:
        self._head: list[bytes] = []
        self._head_bytes = 0
        self._tail: deque[bytes] = deque()
        self._tail_bytes = 0

    def add(self, chunk: bytes) -> None:
        """Take the next chunk of the file."""
        if self._head_bytes < MAGIC_BYTES:
            part = chunk[: MAGIC_BYTES - self._head_bytes]
            self._head.append(part)
            self._head_bytes += len(part)
        self._tail.append(chunk)
        self._tail_bytes += len(chunk)
        while self._tail_bytes - len(self._tail[0]) >= MAGIC_BYTES:
            self._tail_bytes -= len(self._tail.popleft())

    def content(self, size: int) -> Content:
        """The file's ``size`` and its edges, for ``file_type``."""
        return Content(size, None, b"".join(self._head), b"".join(self._tail)[-MAGIC_BYTES:])


def typing_key(max_scan_bytes: int) -> str:
    """What the answers depend on besides the bytes: libmagic's version and database, its byte
    budget, and up to which size libmagic saw the whole file (the worker holds files up to
    ``max_scan_bytes``). Runs with the same key give the same answers for the same content."""
    import magic

    return (
        f"libmagic {magic.version()}, bytes={MAGIC_BYTES} by descriptor,"
        f" whole file up to {min(max_scan_bytes, WHOLE_LIMIT)} bytes, else first and last {MAGIC_BYTES}"
    )


@cache
def _cookies(partial: bool) -> tuple[Any, Any]:
    """libmagic handles for the MIME type and the description (ELF/OLE2 readers off when ``partial``)."""
    import magic

    lib: Any = magic  # python-magic's type stubs lack some of libmagic's flag names
    extra = lib.MAGIC_NO_CHECK_ELF | lib.MAGIC_NO_CHECK_CDF if partial else 0
    cookies = []
    for flags in (magic.MAGIC_MIME_TYPE | extra, magic.MAGIC_NONE | extra):
        cookie = magic.magic_open(flags)
        if magic.magic_load(cookie, None) != 0:
            raise RuntimeError("libmagic cannot load its database")
        magic.magic_setparam(cookie, magic.MAGIC_PARAM_BYTES_MAX, MAGIC_BYTES)
        cookies.append(cookie)
    return cookies[0], cookies[1]


@cache
def _scratch() -> int:
    """This process's anonymous in-memory file, rewritten for each file typed."""
    return os.memfd_create("workbench-filetype", os.MFD_CLOEXEC)


def _write_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def _stage(content: Content) -> int:
    fd = _scratch()
    if content.whole is not None:
        _write_all(fd, content.whole, 0)
        os.ftruncate(fd, len(content.whole))  # cut what a longer earlier file left
    else:
        os.ftruncate(fd, 0)
        os.ftruncate(fd, content.size)  # a hole: no memory for the bytes between head and tail
        _write_all(fd, content.head, 0)
        _write_all(fd, content.tail, content.size - len(content.tail))
    return fd


def _ask(cookie: Any, fd: int) -> str:
    import magic

    os.lseek(fd, 0, os.SEEK_SET)
    answer = magic.magic_descriptor(cookie, fd)
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)


def file_type(content: Content, describe: bool = True) -> tuple[str, str]:
    """libmagic's MIME type and (when ``describe``) description of the content."""
    if content.size == 0:
        return EMPTY
    mime_cookie, desc_cookie = _cookies(content.whole is None)
    fd = _stage(content)
    try:
        return _ask(mime_cookie, fd), _ask(desc_cookie, fd) if describe else ""
    finally:
        if content.size > KEEP_BYTES:
            os.ftruncate(fd, 0)  # do not hold a large file's copy in memory until the next file

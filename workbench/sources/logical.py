"""Logical evidence: a directory tree or a single file, listed from the live file system.

Directory rules: paths are relative to the tree's root; ``inode`` is ``st_ino``; times come from
``lstat`` (``btime`` where the platform keeps it); symlinks are listed as symlinks and never
followed; a directory reached twice (bind mounts, loops) is entered once; files are opened with
``O_NOFOLLOW`` and only when their real path stays inside the tree.
"""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

from workbench.sources.model import FileEntry, SourceError, Stamp, escape_name, iso_time


def _times(st: os.stat_result) -> tuple[str | None, str | None, str | None, str | None]:
    birth = getattr(st, "st_birthtime_ns", None)
    return (
        iso_time(st.st_mtime_ns // 1_000_000_000, st.st_mtime_ns % 1_000_000_000),
        iso_time(st.st_atime_ns // 1_000_000_000, st.st_atime_ns % 1_000_000_000),
        iso_time(st.st_ctime_ns // 1_000_000_000, st.st_ctime_ns % 1_000_000_000),
        iso_time(birth // 1_000_000_000, birth % 1_000_000_000) if birth else None,
    )


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "other"


def _handle(relative: bytes) -> str:
    """A JSON handle for a relative path: the raw bytes as latin-1 text (lossless, ASCII-safe JSON)."""
    return json.dumps(relative.decode("latin-1"))


def walk_directory(root: str, stamp: Stamp, problems: list[str] | None = None) -> Iterator[FileEntry]:
    """Every entry below ``root``, depth first, sorted by name within each directory; what cannot be
    read (a directory or entry the examiner's account may not read) is described in ``problems``."""
    problems = [] if problems is None else problems
    root_bytes = os.fsencode(os.path.abspath(root))
    try:
        top = os.lstat(root_bytes)
    except OSError as exc:
        raise SourceError(root, f"cannot read directory: {exc.strerror}") from None
    visited = {(top.st_dev, top.st_ino)}
    stack: list[bytes] = [b""]
    while stack:
        relative = stack.pop()
        directory = os.path.join(root_bytes, relative) if relative else root_bytes
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            problems.append(f"directory {_shown(relative)} not listed: {exc.strerror}")
            continue
        subdirs = []
        for entry in entries:
            rel = os.path.join(relative, entry.name) if relative else entry.name
            path = _shown(rel)
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                problems.append(f"{path} not listed: {exc.strerror}")
                continue
            kind = _kind(st.st_mode)
            size = st.st_size if kind in ("file", "symlink") else 0
            yield stamp.entry(path, _handle(rel), kind, size, str(st.st_ino), True, *_times(st))
            if kind == "dir" and (st.st_dev, st.st_ino) not in visited:
                visited.add((st.st_dev, st.st_ino))
                subdirs.append(rel)
        stack.extend(reversed(subdirs))


def _shown(relative: bytes) -> str:
    """A relative path of the tree as the listing shows it ("/" for the top)."""
    return "/" + "/".join(escape_name(part) for part in relative.split(b"/")) if relative else "/"


def open_in_directory(root: str, handle: str, where: str) -> BinaryIO:
    """Open a file of a directory tree by its handle, refusing anything that leads outside the tree."""
    relative = json.loads(handle).encode("latin-1")
    root_bytes = os.fsencode(os.path.realpath(root))
    full = os.path.join(root_bytes, relative)
    try:
        st = os.lstat(full)
    except OSError as exc:
        raise SourceError(where, f"cannot open: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        # The content of a symlink is its target, as TSK shows it; it is never followed.
        return io.BytesIO(os.readlink(full))
    parent = os.path.realpath(os.path.dirname(full))
    if parent != root_bytes and not parent.startswith(root_bytes + b"/"):
        raise SourceError(where, "path leads outside the evidence directory")
    if not stat.S_ISREG(st.st_mode):
        raise SourceError(where, "not a regular file")
    flags = os.O_RDONLY | os.O_NOFOLLOW
    try:
        # O_NOATIME keeps reading from changing the evidence's access times (owner or root only).
        fd = os.open(full, flags | getattr(os, "O_NOATIME", 0))
    except PermissionError:
        fd = os.open(full, flags)
    except OSError as exc:
        raise SourceError(where, f"cannot open: {exc.strerror}") from None
    return os.fdopen(fd, "rb")


def single_file_entry(path: str, stamp: Stamp) -> FileEntry:
    """The one entry of single-file evidence."""
    st = os.lstat(path)
    name = "/" + escape_name(os.fsencode(os.path.basename(path)))
    return stamp.entry(name, json.dumps(""), "file", st.st_size, str(st.st_ino), True, *_times(st))

"""Directories and hard links in an NTFS image file through libntfs-3g, without mounting.

``ntfscp`` copies files into an image but cannot make a directory or a second name for a file.
libntfs-3g, the library ntfs-3g and ntfscp are built on, can: it opens the image file as a volume
in this process (no kernel, no loop device) and writes the MFT records and directory indexes the
way Windows would. Used by the sample-image builders only, never on evidence.
"""

from __future__ import annotations

import ctypes
import os
import stat
from pathlib import Path, PurePosixPath
from types import TracebackType

LIBRARY = "libntfs-3g.so.89"  # Debian 12's libntfs-3g89, installed with ntfs-3g (mkntfs, ntfscp)


class NtfsError(Exception):
    """An NTFS image libntfs-3g cannot open or change; ``str(err)`` names the image and path."""


def _library() -> ctypes.CDLL:
    try:
        lib = ctypes.CDLL(LIBRARY, use_errno=True)
    except OSError as exc:
        raise NtfsError(f"{LIBRARY} not found (install ntfs-3g): {exc}") from None
    pointer, text = ctypes.c_void_p, ctypes.c_char_p
    lib.ntfs_mount.restype, lib.ntfs_mount.argtypes = pointer, [text, ctypes.c_int]
    lib.ntfs_umount.restype, lib.ntfs_umount.argtypes = ctypes.c_int, [pointer, ctypes.c_int]
    lib.ntfs_pathname_to_inode.restype = pointer
    lib.ntfs_pathname_to_inode.argtypes = [pointer, pointer, text]
    lib.ntfs_create.restype = pointer
    lib.ntfs_create.argtypes = [pointer, ctypes.c_uint32, text, ctypes.c_uint8, ctypes.c_uint32]
    lib.ntfs_link.restype = ctypes.c_int
    lib.ntfs_link.argtypes = [pointer, pointer, text, ctypes.c_uint8]
    lib.ntfs_inode_close.restype, lib.ntfs_inode_close.argtypes = ctypes.c_int, [pointer]
    return lib


def _utf16(name: str) -> tuple[bytes, int]:
    """An NTFS name: UTF-16LE code units and their count (at most 255)."""
    data = name.encode("utf-16-le")
    if not name or len(data) // 2 > 255:
        raise NtfsError(f"not a valid NTFS name: {name!r}")
    return data, len(data) // 2


class NtfsVolume:
    """An NTFS image file opened read-write by libntfs-3g; use as a context manager."""

    def __init__(self, image: str | Path) -> None:
        self.image = str(image)
        self._lib = _library()
        self._volume = self._lib.ntfs_mount(os.fsencode(self.image), 0)
        if not self._volume:
            raise NtfsError(f"{self.image}: libntfs-3g cannot open the volume ({self._reason()})")

    def mkdir(self, path: str) -> None:
        """Create the directory ``path`` (its parent must exist)."""
        parent, name, length = self._parent_and_name(path)
        try:
            inode = self._lib.ntfs_create(parent, 0, name, length, stat.S_IFDIR)
            if not inode:
                raise NtfsError(f"{self.image}: cannot create directory {path} ({self._reason()})")
            self._lib.ntfs_inode_close(inode)
        finally:
            self._lib.ntfs_inode_close(parent)

    def link(self, existing: str, new: str) -> None:
        """Give the file at ``existing`` a second name ``new`` (a hard link: one MFT record, two names)."""
        target = self._inode(existing)
        try:
            parent, name, length = self._parent_and_name(new)
            try:
                if self._lib.ntfs_link(target, parent, name, length) != 0:
                    raise NtfsError(f"{self.image}: cannot link {new} to {existing} ({self._reason()})")
            finally:
                self._lib.ntfs_inode_close(parent)
        finally:
            self._lib.ntfs_inode_close(target)

    def close(self) -> None:
        """Write everything back and release the volume."""
        if self._volume:
            volume, self._volume = self._volume, None
            if self._lib.ntfs_umount(volume, 0) != 0:
                raise NtfsError(f"{self.image}: libntfs-3g could not close the volume ({self._reason()})")

    def __enter__(self) -> NtfsVolume:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _parent_and_name(self, path: str) -> tuple[int, bytes, int]:
        """The open parent directory of ``path`` and the last name as NTFS wants it."""
        posix = PurePosixPath("/", path)
        name, length = _utf16(posix.name)
        return self._inode(str(posix.parent)), name, length

    def _inode(self, path: str) -> int:
        inode = self._lib.ntfs_pathname_to_inode(self._volume, None, os.fsencode(path))
        if not inode:
            raise NtfsError(f"{self.image}: no {path} in the volume ({self._reason()})")
        return int(inode)

    @staticmethod
    def _reason() -> str:
        code = ctypes.get_errno()
        return os.strerror(code) if code else "unknown error"

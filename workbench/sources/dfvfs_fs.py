"""File systems that pytsk3 does not read (XFS, APFS, and libyal back-ends), walked through dfvfs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from dfvfs.lib import definitions
from dfvfs.resolver import resolver
from dfvfs.serializer.json_serializer import JsonPathSpecSerializer

from workbench.sources.fs_identity import identify, knows
from workbench.sources.model import FileEntry, Listed, SourceError, Stamp, escape_name, one_line
from workbench.sources.streams import HandleStream

MAX_DEPTH = 512


def dfvfs_time(value: Any) -> str | None:
    """A dfdatetime value as UTC ISO 8601 with Z, at the precision it has."""
    if value is None:
        return None
    try:
        text = value.CopyToDateTimeStringISO8601()
    except (AttributeError, ValueError, OverflowError):
        return None
    if not text:
        return None
    for suffix in ("+00:00", "Z"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return text + "Z"


def _identifier(path_spec: Any) -> str | None:
    for attribute in ("inode", "identifier", "mft_entry"):
        value = getattr(path_spec, attribute, None)
        if value is not None:
            return str(value)
    return None


class DfvfsFileSystem:
    """A file system opened by dfvfs from a path spec; entries are addressed by serialised path specs."""

    def __init__(self, path_spec: Any, where: str, resolver_context: Any = None) -> None:
        self.where = where
        self.path_spec = path_spec
        self.resolver_context = resolver_context  # the evidence item's own cache of opened dfvfs objects
        try:
            self.fs = resolver.Resolver.OpenFileSystem(path_spec, resolver_context=resolver_context)
            self.root = self.fs.GetRootFileEntry()
        except Exception as exc:  # dfvfs back-ends raise many types
            raise SourceError(where, f"cannot open file system: {' '.join(str(exc).split())}") from None
        if self.root is None:
            raise SourceError(where, "file system has no root directory")
        self.type_name = str(path_spec.type_indicator).lower()
        self.problems: list[str] = []  # directories and entries the walk could not list, with the reason

    def details(self) -> dict[str, object]:
        """The back-end, and the label and UUID the file system's own superblock holds."""
        found: dict[str, object] = {"backend": f"dfvfs {self.path_spec.type_indicator}"}
        if knows(self.type_name) and getattr(self.path_spec, "parent", None) is not None:
            try:
                volume = resolver.Resolver.OpenFileObject(
                    self.path_spec.parent, resolver_context=self.resolver_context
                )
            except Exception:  # the listing does not depend on it: the fields are left out
                return found

            def read(offset: int, size: int) -> bytes:
                volume.seek(offset)
                return bytes(volume.read(size))

            found.update(identify(self.type_name, read))
        return found

    def walk(self, include_deleted: bool, stamp: Stamp) -> Iterator[Listed]:
        """Every entry below the root, depth first."""
        self.problems = []
        visited: set[str] = set()
        stack: list[tuple[str, Any, int]] = [("", self.root, 0)]
        while stack:
            parent, directory, depth = stack.pop()
            try:
                children = list(directory.sub_file_entries)
            except Exception as exc:  # a corrupt directory: reported, the walk goes on
                self.problems.append(f"directory {parent or '/'} not listed: {one_line(str(exc))}")
                continue
            subdirs = []
            for child in children:
                found = self._entry(parent, child, stamp)
                if found is None or (not found[0].allocated and not include_deleted):
                    continue
                item, handle = found
                yield item, None
                if item.type == "dir" and depth < MAX_DEPTH:
                    key = item.inode or item.path
                    if key not in visited:
                        visited.add(key)
                        subdirs.append((item.path, child, depth + 1))
                for stream in self._streams(item, handle, child, stamp):
                    yield stream, None
            stack.extend(reversed(subdirs))

    def _entry(self, parent: str, entry: Any, stamp: Stamp) -> tuple[FileEntry, str] | None:
        """The entry, and its path spec serialised (its handle)."""
        try:
            name = entry.name or ""
            if name in (".", ".."):
                return None
            if entry.IsDirectory():
                kind = "dir"
            elif entry.IsLink():
                kind = "symlink"
            elif entry.IsFile():
                kind = "file"
            else:
                kind = "other"
            size = int(entry.size or 0) if kind != "dir" else 0
            allocated = bool(entry.IsAllocated())
            handle = JsonPathSpecSerializer.WriteSerialized(entry.path_spec)
        except Exception as exc:
            self.problems.append(f"an entry of {parent or '/'} not listed: {one_line(str(exc))}")
            return None
        item = stamp.entry(
            f"{parent}/{escape_name(name)}",
            json.dumps(handle),
            kind,
            size,
            _identifier(entry.path_spec),
            allocated,
            dfvfs_time(getattr(entry, "modification_time", None)),
            dfvfs_time(getattr(entry, "access_time", None)),
            dfvfs_time(getattr(entry, "change_time", None)),
            dfvfs_time(getattr(entry, "creation_time", None)),
        )
        return item, handle

    def _streams(self, item: FileEntry, handle: str, entry: Any, stamp: Stamp) -> Iterator[FileEntry]:
        """Named data streams (NTFS alternate data streams through libfsntfs)."""
        try:
            streams = [s for s in entry.data_streams if s.name]
        except Exception:
            return
        for stream in streams:
            size = int(getattr(stream, "size", 0) or 0)
            yield stamp.entry(
                f"{item.path}:{escape_name(stream.name)}",
                json.dumps([handle, stream.name]),
                "file",
                size,
                item.inode,
                item.allocated,
                item.mtime,
                item.atime,
                item.ctime,
                item.btime,
                stream=escape_name(stream.name),
            )

    def open(self, handle: Any, where: str) -> HandleStream:
        """Content stream of an entry from its handle."""
        stream_name = ""
        if isinstance(handle, list):
            handle, stream_name = handle[0], handle[1]
        try:
            path_spec = JsonPathSpecSerializer.ReadSerialized(handle)
            entry = resolver.Resolver.OpenFileEntry(path_spec, resolver_context=self.resolver_context)
            if entry is None:
                raise SourceError(where, "entry no longer found")
            if entry.IsDirectory():
                raise SourceError(where, "is a directory")
            file_object = entry.GetFileObject(data_stream_name=stream_name)
            if file_object is None:
                raise SourceError(where, "no content")
            return HandleStream(file_object, int(file_object.get_size()), where, on_close=lambda: None)
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(where, f"cannot open: {' '.join(str(exc).split())}") from None

    def close(self) -> None:
        """dfvfs objects are released by the garbage collector."""


TSK_READABLE = (
    definitions.TYPE_INDICATOR_TSK,
    definitions.TYPE_INDICATOR_EXT,
    definitions.TYPE_INDICATOR_NTFS,
    definitions.TYPE_INDICATOR_FAT,
    definitions.TYPE_INDICATOR_HFS,
)

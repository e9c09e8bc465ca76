"""File systems read with pytsk3 directly: ext2/3/4, NTFS, FAT12/16/32, exFAT, HFS+, ISO 9660.

Listing rules (checked against ``fls -r -p`` in the tests):
- "." and ".." are skipped; TSK's virtual files ($MBR, $FAT1, $FAT2, …) are skipped;
- names whose entry is unallocated are listed with ``allocated=False`` (deleted), and so are the
  orphan inodes TSK collects under ``/$OrphanFiles`` when deleted entries are wanted;
- NTFS named $DATA attributes (alternate data streams) are listed as ``path:stream``;
- each directory is entered once (by inode), so a corrupt directory loop cannot hang the walk.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import pytsk3

from workbench.sources.fs_identity import identify
from workbench.sources.model import FileEntry, Listed, SourceError, Stamp, escape_name, iso_time
from workbench.sources.streams import BytesStream, TskFileStream

FS_TYPE_NAMES = {
    pytsk3.TSK_FS_TYPE_EXT2: "ext2",
    pytsk3.TSK_FS_TYPE_EXT3: "ext3",
    pytsk3.TSK_FS_TYPE_EXT4: "ext4",
    pytsk3.TSK_FS_TYPE_NTFS: "ntfs",
    pytsk3.TSK_FS_TYPE_FAT12: "fat12",
    pytsk3.TSK_FS_TYPE_FAT16: "fat16",
    pytsk3.TSK_FS_TYPE_FAT32: "fat32",
    pytsk3.TSK_FS_TYPE_EXFAT: "exfat",
    pytsk3.TSK_FS_TYPE_HFS: "hfs+",
    pytsk3.TSK_FS_TYPE_ISO9660: "iso9660",
    pytsk3.TSK_FS_TYPE_FFS1: "ufs1",
    pytsk3.TSK_FS_TYPE_FFS1B: "ufs1",
    pytsk3.TSK_FS_TYPE_FFS2: "ufs2",
    pytsk3.TSK_FS_TYPE_YAFFS2: "yaffs2",
    pytsk3.TSK_FS_TYPE_APFS: "apfs",
}

META_TYPES = {
    pytsk3.TSK_FS_META_TYPE_REG: "file",
    pytsk3.TSK_FS_META_TYPE_DIR: "dir",
    pytsk3.TSK_FS_META_TYPE_LNK: "symlink",
}
NAME_TYPES = {
    pytsk3.TSK_FS_NAME_TYPE_REG: "file",
    pytsk3.TSK_FS_NAME_TYPE_DIR: "dir",
    pytsk3.TSK_FS_NAME_TYPE_LNK: "symlink",
}
VIRTUAL_META = (pytsk3.TSK_FS_META_TYPE_VIRT, pytsk3.TSK_FS_META_TYPE_VIRT_DIR)
META_UNDEF = pytsk3.TSK_FS_META_TYPE_UNDEF
VIRTUAL_NAME = (pytsk3.TSK_FS_NAME_TYPE_VIRT, pytsk3.TSK_FS_NAME_TYPE_VIRT_DIR)
NAME_UNALLOC = int(pytsk3.TSK_FS_NAME_FLAG_UNALLOC)
META_UNALLOC = int(pytsk3.TSK_FS_META_FLAG_UNALLOC)
NTFS_DATA = int(pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA)
NTFS_INDEX_ROOT = 144
NTFS_VOLUME_NAME = 0x60
ORPHAN_DIR_NAME = b"$OrphanFiles"
FAT_LABEL_SUFFIX = b"(Volume Label Entry)"
HEAD_BYTES = 4096  # one block: a file this small is read whole while listed, and ``open`` serves it
# from memory instead of reading it a second time
RECENT_FILES = 16
MAX_DEPTH = 512


class TskFileSystem:
    """One file system opened with pytsk3, walked and read by inode."""

    def __init__(self, image: Any, offset: int, where: str) -> None:
        self.where = where
        try:
            self.fs = pytsk3.FS_Info(image, offset=offset)
        except OSError as exc:
            raise SourceError(where, f"no file system TSK can open: {_tsk_reason(exc)}") from None
        self.ftype = int(self.fs.info.ftype)
        self.type_name = FS_TYPE_NAMES.get(self.ftype, f"tsk-{self.ftype}")
        self.is_ntfs = self.ftype == pytsk3.TSK_FS_TYPE_NTFS
        self.is_fat = self.type_name.startswith(("fat", "exfat"))  # both list the volume label as a file
        self._recent: OrderedDict[int, tuple[Any, int, bytes]] = OrderedDict()  # regular files
        # just listed, with their sizes and first bytes: opened without a lookup
        self._image = image  # keep the image alive as long as the file system
        self._offset = offset
        self.problems: list[str] = []  # directories the walk could not list, with TSK's reason

    def details(self) -> dict[str, object]:
        """Label, UUID or serial, block size, block and inode counts of the file system."""
        info = self.fs.info
        found: dict[str, object] = dict(identify(self.type_name, self._read))
        label = self._ntfs_label() if self.is_ntfs else self._fat_label() if self.is_fat else ""
        if label:
            found["label"] = label  # where Windows keeps it, over the boot sector's copy
        return {
            **found,
            "block_size": int(info.block_size),
            "block_count": int(info.block_count),
            "inode_count": int(info.inum_count),
            "root_inode": int(info.root_inum),
        }

    def _read(self, offset: int, size: int) -> bytes:
        return bytes(self._image.read(self._offset + offset, size))

    def _fat_label(self) -> str:
        """The volume label entry of a FAT or exFAT root directory (TSK shows it as a file name)."""
        try:
            for entry in self.fs.open_dir(inode=int(self.fs.info.root_inum)):
                name = entry.info.name.name
                if name.endswith(FAT_LABEL_SUFFIX):
                    return escape_name(name[: -len(FAT_LABEL_SUFFIX)].strip())
        except OSError:
            pass
        return ""

    def _ntfs_label(self) -> str:
        """The $VOLUME_NAME attribute of NTFS's $Volume (MFT entry 3)."""
        try:
            volume = self.fs.open_meta(inode=3)
            for attribute in volume:
                if int(attribute.info.type) == NTFS_VOLUME_NAME:
                    size, ident = int(attribute.info.size), int(attribute.info.id)
                    return escape_name(
                        volume.read_random(0, size, NTFS_VOLUME_NAME, ident).decode("utf-16-le")
                    )
        except (OSError, UnicodeDecodeError):
            pass
        return ""

    def walk(self, include_deleted: bool, stamp: Stamp) -> Iterator[Listed]:
        """Every entry below the root, depth first (pre-order, like ``fls -r``), in directory order;
        each regular file with its first ``HEAD_BYTES``."""
        self.problems = []
        root = int(self.fs.info.root_inum)
        visited = {root}
        top = self._directory(root, "/")
        if top is None:
            return
        entries_of = self._entries
        # one frame per open directory: its entry iterator, path, allocated state and depth (``next``,
        # not a ``for`` loop: iter() on a pytsk3 Directory starts it again from its first entry)
        stack: list[tuple[Iterator[Any], str, bool, int]] = [(iter(top), "", True, 0)]
        while stack:
            directory, parent, parent_alloc, depth = stack[-1]
            try:
                entry = next(directory, None)
            except OSError as exc:  # a damaged entry: the rest of this directory is lost, not the walk
                self.problems.append(f"directory {parent or '/'} listed only in part: {_tsk_reason(exc)}")
                entry = None
            if entry is None:
                stack.pop()
                continue
            for listed, descend in entries_of(entry, parent, include_deleted, parent_alloc, stamp):
                yield listed
                if descend is not None and descend not in visited and depth < MAX_DEPTH:
                    item = listed[0]
                    visited.add(descend)
                    inner = self._directory(descend, item.path)
                    if inner is not None:
                        stack.append((iter(inner), item.path, item.allocated, depth + 1))

    def _directory(self, inode: int, path: str | None = None) -> Any:
        """The TSK directory at ``inode``, or None when it cannot be opened (recorded in
        ``problems`` when ``path`` is given: a directory the walk could not list is never silent)."""
        try:
            return self.fs.open_dir(inode=inode)
        except OSError as exc:
            if path is not None:
                self.problems.append(f"directory {path} (inode {inode}) not listed: {_tsk_reason(exc)}")
            return None

    def _listing(self, parent: str, inode: int, stamp: Stamp) -> Iterator[tuple[Listed, int | None]] | None:
        directory = self._directory(inode)
        if directory is None:
            return None
        entries = self._entries
        return (step for entry in directory for step in entries(entry, parent, True, True, stamp))

    def resolve(self, path: str, stamp: Stamp) -> FileEntry | None:
        """The entry at ``path`` (as shown by ``walk``), found by descending its directories only."""
        parts = [p for p in path.split("/") if p]
        if not parts:
            return None
        inode = int(self.fs.info.root_inum)
        parent = ""
        for index, part in enumerate(parts):
            listing = self._listing(parent, inode, stamp)
            if listing is None:
                return None
            wanted = f"{parent}/{part}"
            match = None
            for (item, _), descend in listing:
                if item.path == wanted:
                    match = (item, descend)
                    break
            if match is None:
                return None
            if index == len(parts) - 1:
                return match[0]
            if match[1] is None:
                return None
            parent, inode = wanted, match[1]
        return None

    def _entries(
        self, entry: Any, parent: str, include_deleted: bool, parent_alloc: bool, stamp: Stamp
    ) -> list[tuple[Listed, int | None]]:
        """What one directory entry lists (one item, or more for NTFS streams), each with the inode
        to descend into when it is a directory."""
        info = entry.info
        name_info = info.name
        raw_name = name_info.name
        if raw_name in (b".", b"..") or not raw_name:
            return []
        meta = info.meta
        name_type = name_info.type
        meta_type = meta.type if meta is not None else None
        if meta_type in VIRTUAL_META or name_type in VIRTUAL_NAME:
            if raw_name == ORPHAN_DIR_NAME and include_deleted and meta is not None:
                addr = int(meta.addr)
                orphans = stamp.entry(
                    f"{parent}/$OrphanFiles", f"[{addr}]", "dir", 0, str(addr), False, None, None, None, None
                )
                return [((orphans, None), addr)]
            return []
        if self.is_fat and raw_name.endswith(FAT_LABEL_SUFFIX):
            return []  # TSK shows the FAT volume label as a file; it is in the layer details instead
        allocated = parent_alloc and not (name_info.flags & NAME_UNALLOC)
        if meta is not None and meta.flags & META_UNALLOC:
            allocated = False
        if not allocated and not include_deleted:
            return []
        path = f"{parent}/{escape_name(raw_name)}"
        if meta is None:
            kind = NAME_TYPES.get(name_type, "other")
            addr = int(name_info.meta_addr)
            item = stamp.entry(path, f"[{addr}]", kind, 0, str(addr), False, None, None, None, None)
            return [((item, None), None)]
        if meta_type == META_UNDEF and not meta.addr:
            # TSK found the name but could not read its metadata (fls shows "d/-"): list it by the
            # name's type and address, and try a directory anyway so a failure is reported, not lost
            kind = NAME_TYPES.get(name_type, "other")
            addr = int(name_info.meta_addr)
            item = stamp.entry(path, f"[{addr}]", kind, 0, str(addr), allocated, None, None, None, None)
            return [((item, None), addr if kind == "dir" and allocated else None)]
        kind = META_TYPES.get(meta_type, "other")
        addr = meta.addr  # pytsk3 gives ints
        size = meta.size
        mtime = iso_time(meta.mtime, meta.mtime_nano)
        atime = iso_time(meta.atime, meta.atime_nano)
        ctime = iso_time(meta.ctime, meta.ctime_nano)
        btime = iso_time(meta.crtime, meta.crtime_nano)
        head = None
        if kind == "file" and size:
            try:
                head = entry.read_random(0, min(size, HEAD_BYTES))
            except OSError:
                head = b""  # unreadable now: ``open`` goes to TSK again and reports why
            recent = self._recent
            recent[addr] = (entry, size, head)
            if len(recent) > RECENT_FILES:
                recent.popitem(last=False)
        descend = addr if kind == "dir" else None
        if not self.is_ntfs:
            item = stamp.entry(
                path, f"[{addr}]", kind, size, str(addr), allocated, mtime, atime, ctime, btime
            )
            return [((item, head), descend)]
        default_attr, streams = _ntfs_attributes(entry, kind)
        inode = f"{addr}-{default_attr[0]}-{default_attr[1]}" if default_attr else str(addr)
        item = stamp.entry(path, f"[{addr}]", kind, size, inode, allocated, mtime, atime, ctime, btime)
        result: list[tuple[Listed, int | None]] = [((item, head), descend)]
        for name, attr_type, attr_id, stream_size in streams:
            stream = stamp.entry(
                f"{path}:{name}",
                f"[{addr}, {attr_type}, {attr_id}]",
                "file",
                stream_size,
                f"{addr}-{attr_type}-{attr_id}",
                allocated,
                mtime,
                atime,
                ctime,
                btime,
                name,
            )
            result.append(((stream, None), None))
        return result

    def open(self, handle: list[Any], where: str) -> TskFileStream | BytesStream:
        """Content stream of the entry behind a handle from ``walk``."""
        inode = int(handle[0])
        listed = self._recent.get(inode)
        if listed is not None and len(handle) == 1:  # a regular file just listed: its size is known
            tsk_file, size, head = listed
            if len(head) == size:
                return BytesStream(head)
            return TskFileStream(tsk_file, size, where)
        tsk_file = listed[0] if listed is not None else None
        if tsk_file is None:
            try:
                tsk_file = self.fs.open_meta(inode=inode)
            except OSError as exc:
                raise SourceError(where, f"cannot open inode {inode}: {_tsk_reason(exc)}") from None
        meta = tsk_file.info.meta
        if len(handle) == 3:
            attr = (int(handle[1]), int(handle[2]))
            for attribute in tsk_file:
                if int(attribute.info.type) == attr[0] and int(attribute.info.id) == attr[1]:
                    return TskFileStream(tsk_file, int(attribute.info.size), where, attr)
            raise SourceError(where, f"inode {inode} has no attribute {attr[0]}-{attr[1]}")
        size = int(meta.size) if meta is not None else 0
        if meta is not None and meta.type == pytsk3.TSK_FS_META_TYPE_DIR:
            raise SourceError(where, "is a directory")
        return TskFileStream(tsk_file, size, where)

    def close(self) -> None:
        """Drop the TSK objects."""
        self.fs = None


def _ntfs_attributes(entry: Any, kind: str) -> tuple[tuple[int, int] | None, list[tuple[str, int, int, int]]]:
    """The default attribute (unnamed $DATA, or $INDEX_ROOT of a directory) and the named $DATA streams."""
    default: tuple[int, int] | None = None
    streams: list[tuple[str, int, int, int]] = []
    wanted_default = NTFS_INDEX_ROOT if kind == "dir" else NTFS_DATA
    for attribute in entry:
        ainfo = attribute.info
        atype = int(ainfo.type)
        name = ainfo.name
        if atype == NTFS_DATA and name and name != b"$Data":
            streams.append((escape_name(name), atype, int(ainfo.id), int(ainfo.size)))
        elif atype == wanted_default and default is None and (not name or name in (b"$I30", b"$Data")):
            default = (atype, int(ainfo.id))
    return default, streams


def _tsk_reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text.split(": ", 1)[-1] if text.count(":") > 2 else text

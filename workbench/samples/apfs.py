"""APFS sample images with files, for the tests: mkapfs makes the container, this module fills it.

No tool on Debian writes files into APFS (no kernel driver, no FUSE writer, and ``mkapfs`` only
makes an empty volume), so :func:`add_files_to_apfs` edits the container ``mkapfs`` made, after
Apple's "Apple File System Reference". It finds the latest checkpoint, the space manager, the
container and volume object maps and the volume's file-system tree, and writes:

* an inode record for every directory and regular file of a host directory (times from the host,
  mode 755/644, owner 501:20), with its name xfield and, for files with data, a dstream xfield;
* a directory record for each, keyed by the CRC32C name hash (case-folded on the default
  case-insensitive volume, only normalised on one made with ``mkapfs -s``);
* for every non-empty file one file-extent record, a dstream-id record and a physical-extent
  record in the extent-reference tree, its bytes in one contiguous run of free blocks;
* the fs tree, the extent-reference tree and the volume object map rebuilt with as many leaf
  and index levels as their records need (new fs-tree nodes get new virtual object ids, mapped
  in the object map), with their info footers; the volume counters (files, directories, next
  object id, blocks allocated), the container's next object id, and the space-manager bitmap
  and free counts; every changed object with a fresh Fletcher-64 checksum.

Everything is written in place under the checkpoint's own transaction id, as if ``mkapfs`` had
written it, and only once all of it has been worked out: ``apfsck -cuw`` accepts the result, The
Sleuth Kit (``fls -B``) and libfsapfs list it. With a password the volume is encrypted as
FileVault does without a T2 chip (see :mod:`workbench.samples.apfs_crypto`): libfsapfs unlocks
it, apfsck refuses it ("Software encryption: not supported"). Not supported: symbolic links, hard
links, special files, extended attributes, resource forks, sparse or compressed files, snapshots; trees that are not a single leaf before (anything but a fresh ``mkapfs`` volume);
data beyond the chunks whose bitmap ``mkapfs`` wrote (in a 512 MB container the first 128 MB,
about 100 MB of it free). Used by the sample builders only, never on evidence.
"""

from __future__ import annotations

import itertools
import stat
import struct
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from workbench.samples.apfs_crypto import (
    KB_TAG_VOLUME_KEY,
    KB_TAG_VOLUME_UNLOCK_RECORDS,
    TYPE_CONTAINER_KEYBAG,
    TYPE_VOLUME_KEYBAG,
    Keys,
    kek_blob,
    keybag_block,
    vek_blob,
    xts,
)
from workbench.samples.images import make_apfs
from workbench.sources.apfs_integrity import fletcher64

BLOCK = 4096
NODE_HEADER = 56  # obj_phys_t, flags, level, key count and the four nloc_t of btree_node_phys_t
INFO_SIZE = 40  # btree_info_t, at the end of a root node
NO_OFFSET = 0xFFFF
OBJ_PHYSICAL = 0x40000000
TYPE_NX_SUPERBLOCK, TYPE_BTREE, TYPE_BTREE_NODE, TYPE_CHECKPOINT_MAP = 0x1, 0x2, 0x3, 0xC
NODE_ROOT, NODE_LEAF, NODE_FIXED_KV = 1, 2, 4
J_EXTENT, J_INODE, J_DSTREAM_ID, J_FILE_EXTENT, J_DIR_REC = 2, 3, 6, 8, 9
OBJ_ID_MASK = (1 << 60) - 1
ROOT_DIR = 2
INCOMPAT_CASE_INSENSITIVE = 0x1
DT_DIR, DT_REG = 4, 8
XF_NAME, XF_DSTREAM = 4, 8
XF_DO_NOT_COPY, XF_SYSTEM_FIELD = 0x02, 0x20
KIND_NEW = 1
DIR_MODE, FILE_MODE = 0o040755, 0o100644
OWNER, GROUP = 501, 20  # the first macOS user, group staff
MAX_NAME = 255  # bytes of UTF-8, without the terminating NUL
SECTORS_PER_BLOCK = BLOCK // 512  # the XTS tweak counts 512-byte sectors
OMAP_VAL_ENCRYPTED = 0x4
APFS_FS_UNENCRYPTED, APFS_FS_ONEKEY = 0x1, 0x8
NX_CRYPTO_SW = 0x4
NX_FLAGS, NX_KEYLOCKER, NX_UUID, APFS_FS_FLAGS, APFS_VOL_UUID = 0x4F0, 0x510, 0x48, 0x108, 0xF0
PBKDF2_ITERATIONS = 1000  # low, for fast tests; macOS uses far more


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
        table.append(crc)
    return table


CRC32C_TABLE = _crc32c_table()


def name_hash(name: str, case_fold: bool) -> int:
    """The 22-bit hash of a directory-record name: CRC32C of its NFD (case-folded) form in UTF-32LE.

    The CRC is seeded with all ones and, unlike the usual CRC32C, not inverted at the end."""
    text = unicodedata.normalize("NFD", name)
    if case_fold:
        text = unicodedata.normalize("NFD", text.casefold())
    crc = 0xFFFFFFFF
    for byte in text.encode("utf-32-le"):
        crc = CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc & 0x3FFFFF


def _u16(data: bytes | bytearray, offset: int) -> int:
    return int(struct.unpack_from("<H", data, offset)[0])


def _u32(data: bytes | bytearray, offset: int) -> int:
    return int(struct.unpack_from("<I", data, offset)[0])


def _u64(data: bytes | bytearray, offset: int) -> int:
    return int(struct.unpack_from("<Q", data, offset)[0])


class _Disk:
    """Block reads and writes on the image file; writes are held back until ``commit``."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.pending: dict[int, bytes] = {}

    def read(self, block: int) -> bytearray:
        if block in self.pending:
            return bytearray(self.pending[block][:BLOCK])
        self.handle.seek(block * BLOCK)
        data = bytearray(self.handle.read(BLOCK))
        if len(data) != BLOCK:
            raise ValueError(f"block {block} is beyond the end of the image")
        return data

    def write(self, block: int, data: bytes | bytearray) -> None:
        """Queue ``data`` (one block, or a file's run of blocks) for ``block`` onwards."""
        self.pending[block] = bytes(data)

    def commit(self) -> None:
        """Write everything queued, so a failure before this leaves the image as it was."""
        for block, data in sorted(self.pending.items()):
            self.handle.seek(block * BLOCK)
            self.handle.write(data)
        self.pending.clear()

    def write_object(self, block: int, data: bytearray) -> None:
        """Write an object after setting its checksum."""
        struct.pack_into("<Q", data, 0, fletcher64(data))
        self.write(block, data)


def _is_object(data: bytes | bytearray, obj_type: int) -> bool:
    return _u32(data, 24) & 0xFFFF == obj_type and _u64(data, 0) == fletcher64(data)


# --- B-tree nodes -------------------------------------------------------------------------------


def _node_entries(node: bytes | bytearray) -> list[tuple[bytes, bytes]]:
    """The (key, value) pairs of a B-tree node, in table-of-contents order."""
    flags, count = _u16(node, 32), _u32(node, 36)
    toc_start = NODE_HEADER + _u16(node, 40)
    keys = toc_start + _u16(node, 42)
    values_end = BLOCK - (INFO_SIZE if flags & NODE_ROOT else 0)
    entries = []
    for index in range(count):
        if flags & NODE_FIXED_KV:
            key_off, value_off = struct.unpack_from("<HH", node, toc_start + 4 * index)
            key_len, value_len = 16, 16 if flags & NODE_LEAF else 8
        else:
            key_off, key_len, value_off, value_len = struct.unpack_from("<4H", node, toc_start + 8 * index)
        key = bytes(node[keys + key_off : keys + key_off + key_len])
        value = bytes(node[values_end - value_off : values_end - value_off + value_len])
        entries.append((key, value))
    return entries


def _toc_len(count: int, *, fixed: bool, leaf: bool) -> int:
    """Bytes of a node's table of contents for ``count`` entries.

    Variable-size nodes grow it 8 entries at a time; fixed-size ones (object maps) preallocate it
    for as many 16-byte keys and 16-byte (leaf) or 8-byte (index) values as a node without footer
    holds, as apfsck requires."""
    if fixed:
        return (BLOCK - NODE_HEADER) // (16 + (16 if leaf else 8) + 4) * 4
    return -(-count // 8) * 8 * 8


def _node(
    entries: list[tuple[bytes, bytes]],
    header: tuple[int, int, int, int],
    *,
    level: int,
    info: bytes | None = None,
    fixed: bool = False,
) -> bytearray:
    """A B-tree node block (checksum left zero); ``header`` is (oid, xid, type, subtype).

    Keys are packed after the table of contents, values down from the end (or from the info
    footer of a root), with no holes, so both free lists stay empty."""
    oid, xid, obj_type, subtype = header
    flags = (NODE_ROOT if info is not None else 0) | (NODE_LEAF if level == 0 else 0)
    flags |= NODE_FIXED_KV if fixed else 0
    toc_len = _toc_len(len(entries), fixed=fixed, leaf=level == 0)
    node = bytearray(BLOCK)
    values_end = BLOCK - (INFO_SIZE if info is not None else 0)
    keys = NODE_HEADER + toc_len
    key_used = value_used = 0
    for index, (key, value) in enumerate(entries):
        node[keys + key_used : keys + key_used + len(key)] = key
        value_used += len(value)
        node[values_end - value_used : values_end - value_used + len(value)] = value
        if fixed:
            struct.pack_into("<HH", node, NODE_HEADER + 4 * index, key_used, value_used)
        else:
            struct.pack_into("<4H", node, NODE_HEADER + 8 * index, key_used, len(key), value_used, len(value))
        key_used += len(key)
    free = values_end - value_used - keys - key_used
    if free < 0:
        raise ValueError("B-tree node overflow")
    struct.pack_into("<QQII", node, 8, oid, xid, obj_type, subtype)
    struct.pack_into(
        "<HHI8H", node, 32, flags, level, len(entries), 0, toc_len, key_used, free, NO_OFFSET, 0, NO_OFFSET, 0
    )
    if info is not None:
        node[BLOCK - INFO_SIZE :] = info
    return node


def _pack(
    entries: list[tuple[bytes, bytes]], room: int, *, fixed: bool, leaf: bool
) -> list[list[tuple[bytes, bytes]]]:
    """Split sorted entries into runs that each fit a node with ``room`` bytes after its header."""
    runs: list[list[tuple[bytes, bytes]]] = [[]]
    payload = 0
    for key, value in entries:
        size = len(key) + len(value)
        if runs[-1] and _toc_len(len(runs[-1]) + 1, fixed=fixed, leaf=leaf) + payload + size > room:
            runs.append([])
            payload = 0
        runs[-1].append((key, value))
        payload += size
    return runs


@dataclass
class _Tree:
    """How to lay out one B-tree: its root, its object type bits and where new nodes go."""

    root_oid: int
    root_block: int
    type_flags: int  # 0 for a virtual tree (the fs tree), OBJ_PHYSICAL for the others
    subtype: int
    fixed: bool  # fixed-size keys and values (object maps)
    xid: int
    fixed_info: bytes  # bt_flags, bt_node_size, bt_key_size, bt_val_size of the old footer
    longest: tuple[int, int]  # bt_longest_key and bt_longest_val of the old footer
    new_node: Callable[[], tuple[int, int]]  # -> (oid, block) of a fresh non-root node


def _build_tree(tree: _Tree, records: list[tuple[bytes, bytes]]) -> list[tuple[int, bytearray]]:
    """Every node of a tree holding the sorted ``records``, as (block, node) pairs, root last."""
    written: list[tuple[int, bytearray]] = []
    level, entries = 0, records
    shape = {"fixed": tree.fixed, "leaf": True}
    while len(_pack(entries, BLOCK - NODE_HEADER - INFO_SIZE, **shape)) > 1:
        parents = []
        for run in _pack(entries, BLOCK - NODE_HEADER, **shape):
            oid, block = tree.new_node()
            header = (oid, tree.xid, tree.type_flags | TYPE_BTREE_NODE, tree.subtype)
            written.append((block, _node(run, header, level=level, fixed=tree.fixed)))
            parents.append((run[0][0], struct.pack("<Q", oid)))
        level, entries = level + 1, parents
        shape["leaf"] = False
    longest_key = max([tree.longest[0], *(len(k) for k, _ in records)])
    longest_value = max([tree.longest[1], *(len(v) for _, v in records)])
    info = tree.fixed_info + struct.pack("<IIQQ", longest_key, longest_value, len(records), len(written) + 1)
    header = (tree.root_oid, tree.xid, tree.type_flags | TYPE_BTREE, tree.subtype)
    written.append((tree.root_block, _node(entries, header, level=level, info=info, fixed=tree.fixed)))
    return written


# --- Container: checkpoint, object maps, space manager ------------------------------------------


def _latest_checkpoint(disk: _Disk) -> tuple[int, bytearray]:
    """The block and bytes of the newest valid container superblock in the checkpoint area."""
    copy = disk.read(0)
    if copy[32:36] != b"NXSB" or _u32(copy, 36) != BLOCK:
        raise ValueError("not an APFS container with 4096-byte blocks")
    desc_blocks, desc_base = _u32(copy, 0x68), _u64(copy, 0x70)
    if desc_base >> 63:
        raise ValueError("checkpoint descriptor area is not contiguous")
    best: tuple[int, bytearray] | None = None
    for index in range(desc_blocks):
        data = disk.read(desc_base + index)
        if _is_object(data, TYPE_NX_SUPERBLOCK) and (best is None or _u64(data, 16) > _u64(best[1], 16)):
            best = (desc_base + index, data)
    if best is None:
        raise ValueError("no valid checkpoint superblock")
    return best


def _ephemeral_block(disk: _Disk, nx: bytearray, oid: int) -> int:
    """Where the checkpoint maps of the current transaction put an ephemeral object."""
    desc_blocks, desc_base, xid = _u32(nx, 0x68), _u64(nx, 0x70), _u64(nx, 16)
    for index in range(desc_blocks):
        data = disk.read(desc_base + index)
        if not _is_object(data, TYPE_CHECKPOINT_MAP) or _u64(data, 16) != xid:
            continue
        for entry in range(_u32(data, 36)):
            if _u64(data, 40 + 40 * entry + 24) == oid:
                return _u64(data, 40 + 40 * entry + 32)
    raise ValueError(f"ephemeral object {oid} is not in the checkpoint maps")


def _omap_lookup(disk: _Disk, omap_block: int, oid: int, xid: int) -> int:
    """The block of virtual object ``oid`` (newest version up to ``xid``) in an object map."""
    node = disk.read(_u64(disk.read(omap_block), 0x30))
    while True:
        found = None
        for key, value in _node_entries(node):
            key_oid, key_xid = struct.unpack("<QQ", key)
            if (key_oid, key_xid) <= (oid, xid):
                found = (key_oid, value)
        if found is None:
            break
        if _u16(node, 34) == 0:
            if found[0] == oid:
                return _u64(found[1], 8)
            break
        node = disk.read(_u64(found[1], 0))
    raise ValueError(f"object {oid} is not in the object map")


@dataclass
class _Chunk:
    cib_block: int
    index: int  # of its chunk_info_t in the chunk-info block
    start: int  # first block
    count: int
    bitmap_block: int
    bitmap: bytearray
    cursor: int = 0  # allocation goes on after the last run it handed out


class _Allocator:
    """Next-fit allocation in the chunks that already have an allocation bitmap."""

    def __init__(self, disk: _Disk, spaceman_block: int) -> None:
        self.disk = disk
        self.spaceman_block = spaceman_block
        self.spaceman = disk.read(spaceman_block)
        if _u32(self.spaceman, 68):
            raise ValueError("space managers with chunk-info address blocks are not supported")
        addresses = _u32(self.spaceman, 80)
        self.chunks: list[_Chunk] = []
        for number in range(_u32(self.spaceman, 64)):
            cib_block = _u64(self.spaceman, addresses + 8 * number)
            cib = disk.read(cib_block)
            for index in range(_u32(cib, 36)):
                _xid, start, count, _free, bitmap = struct.unpack_from("<QQIIQ", cib, 40 + 32 * index)
                if bitmap:
                    self.chunks.append(_Chunk(cib_block, index, start, count, bitmap, disk.read(bitmap)))
        self.allocated = 0

    def allocate(self, count: int) -> int:
        """The first block of ``count`` consecutive free blocks, now marked used."""
        for chunk in self.chunks:
            run = 0
            for offset in range(chunk.cursor, chunk.count):
                run = 0 if chunk.bitmap[offset // 8] >> (offset % 8) & 1 else run + 1
                if run == count:
                    first = offset - count + 1
                    for used in range(first, offset + 1):
                        chunk.bitmap[used // 8] |= 1 << (used % 8)
                    chunk.cursor = offset + 1
                    self.allocated += count
                    return chunk.start + first
        raise ValueError(f"no run of {count} free blocks in the chunks mkapfs gave a bitmap")

    def flush(self) -> None:
        """Write the bitmaps, the chunk free counts and the space manager's free count."""
        cibs: dict[int, bytearray] = {}
        for chunk in self.chunks:
            self.disk.write(chunk.bitmap_block, chunk.bitmap)  # bitmap blocks have no object header
            cib = cibs.setdefault(chunk.cib_block, self.disk.read(chunk.cib_block))
            used = sum(bin(byte).count("1") for byte in chunk.bitmap)
            struct.pack_into("<I", cib, 40 + 32 * chunk.index + 20, chunk.count - used)
        for block, cib in cibs.items():
            self.disk.write_object(block, cib)
        free = _u64(self.spaceman, 72) - self.allocated
        struct.pack_into("<Q", self.spaceman, 72, free)
        self.disk.write_object(self.spaceman_block, self.spaceman)


# --- The volume's records -----------------------------------------------------------------------


@dataclass
class _Item:
    oid: int
    parent: int
    name: str
    path: Path
    mtime_ns: int
    is_dir: bool
    children: list[_Item] = field(default_factory=list)
    size: int = 0  # the rest is set for files when their bytes are written
    start_block: int = 0
    blocks: int = 0
    crypto_id: int = 0  # the XTS tweak base (in blocks) of an encrypted file's data


def _key(oid: int, record_type: int) -> bytes:
    return struct.pack("<Q", oid | record_type << 60)


def _order(key: bytes) -> tuple[int, int, int, bytes]:
    """The order of fs-tree keys: object id, record type, then hash and name or logical offset."""
    header = _u64(key, 0)
    record_type = header >> 60
    if record_type == J_DIR_REC:
        return header & OBJ_ID_MASK, record_type, _u32(key, 8) & ~0x3FF, key[12:]
    if record_type == J_FILE_EXTENT:
        return header & OBJ_ID_MASK, record_type, _u64(key, 8), b""
    return header & OBJ_ID_MASK, record_type, 0, b""


def _scan(directory: Path, parent: int, next_oid: Iterator[int], case_fold: bool) -> list[_Item]:
    """The items of a host directory, depth first, with object ids in walk order."""
    items: list[_Item] = []
    seen: set[str] = set()
    for path in sorted(directory.iterdir()):
        info = path.lstat()
        if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
            raise ValueError(f"{path}: only directories and regular files can be written")
        if len(path.name.encode()) > MAX_NAME:
            raise ValueError(f"{path}: name longer than {MAX_NAME} bytes")
        folded = unicodedata.normalize("NFD", path.name.casefold() if case_fold else path.name)
        if folded in seen:
            raise ValueError(f"{path}: name clashes with a sibling on this volume")
        seen.add(folded)
        item = _Item(next(next_oid), parent, path.name, path, info.st_mtime_ns, stat.S_ISDIR(info.st_mode))
        items.append(item)
        if item.is_dir:
            item.children = _scan(path, item.oid, next_oid, case_fold)
    return items


def _flatten(items: list[_Item]) -> Iterator[_Item]:
    for item in items:
        yield item
        yield from _flatten(item.children)


def _xfields(fields: list[tuple[int, int, bytes]]) -> bytes:
    """An xf_blob_t: the count and value bytes, the x_field_t headers, then values padded to 8."""
    headers = b"".join(struct.pack("<BBH", kind, flags, len(value)) for kind, flags, value in fields)
    values = b"".join(value + bytes(-len(value) % 8) for _, _, value in fields)
    return struct.pack("<HH", len(fields), len(values)) + headers + values


def _inode_value(item: _Item) -> bytes:
    """j_inode_val_t: ids, four times, child or link count, owner, mode and the xfields."""
    count = len(item.children) if item.is_dir else 1
    mode = DIR_MODE if item.is_dir else FILE_MODE
    when = item.mtime_ns
    fixed = struct.pack(
        "<7Q6I2HQ", item.parent, item.oid, when, when, when, when, 0, count, 0, 0, 0, OWNER, GROUP, mode, 0, 0
    )
    fields = [(XF_NAME, XF_DO_NOT_COPY, item.name.encode() + b"\0")]
    if item.blocks:
        dstream = struct.pack("<5Q", item.size, item.blocks * BLOCK, 0, item.size, 0)
        fields.append((XF_DSTREAM, XF_SYSTEM_FIELD, dstream))
    return fixed + _xfields(fields)


def _drec(item: _Item, case_fold: bool) -> tuple[bytes, bytes]:
    name = item.name.encode() + b"\0"
    key = _key(item.parent, J_DIR_REC) + struct.pack("<I", name_hash(item.name, case_fold) << 10 | len(name))
    value = struct.pack("<QQH", item.oid, item.mtime_ns, DT_DIR if item.is_dir else DT_REG)
    return key + name, value


def _fs_records(item: _Item, case_fold: bool) -> list[tuple[bytes, bytes]]:
    """The fs-tree records of one directory or file."""
    records = [(_key(item.oid, J_INODE), _inode_value(item)), _drec(item, case_fold)]
    if item.blocks:
        records.append((_key(item.oid, J_DSTREAM_ID), struct.pack("<I", 1)))
        extent = struct.pack("<QQQ", item.blocks * BLOCK, item.start_block, item.crypto_id)
        records.append((_key(item.oid, J_FILE_EXTENT) + struct.pack("<Q", 0), extent))
    return records


def _extentref_record(item: _Item) -> tuple[bytes, bytes]:
    """j_phys_ext: the file's run of blocks, owned by its data stream, referenced once."""
    value = struct.pack("<QQI", item.blocks | KIND_NEW << 60, item.oid, 1)
    return _key(item.start_block, J_EXTENT), value


def _with_root_children(records: list[tuple[bytes, bytes]], count: int) -> list[tuple[bytes, bytes]]:
    """The records with the root directory's child count raised by ``count``."""
    root_key = _key(ROOT_DIR, J_INODE)
    out = []
    for key, value in records:
        if key == root_key:
            patched = bytearray(value)
            struct.pack_into("<I", patched, 0x38, _u32(patched, 0x38) + count)
            value = bytes(patched)
        out.append((key, value))
    return out


def _write_data(disk: _Disk, allocator: _Allocator, item: _Item, vek: bytes | None = None) -> None:
    """Copy a file's bytes into a fresh run of blocks (encrypted with ``vek`` if given)."""
    data = item.path.read_bytes()
    item.size = len(data)
    item.blocks = -(-len(data) // BLOCK)
    if not item.blocks:
        return
    item.start_block = allocator.allocate(item.blocks)
    padded = data + bytes(item.blocks * BLOCK - len(data))
    if vek is not None:
        item.crypto_id = item.start_block  # as macOS does: the block the extent was first written to
        padded = xts(vek, item.crypto_id * SECTORS_PER_BLOCK, padded)
    disk.write(item.start_block, padded)


# --- Putting it together ------------------------------------------------------------------------


@dataclass
class _Volume:
    block: int
    raw: bytearray
    omap_block: int
    root_oid: int
    root_block: int
    extentref_block: int


def _open_volume(disk: _Disk, nx: bytearray) -> _Volume:
    xid = _u64(nx, 16)
    block = _omap_lookup(disk, _u64(nx, 0xA0), _u64(nx, 0xB8), xid)
    raw = disk.read(block)
    if raw[32:36] != b"APSB":
        raise ValueError("the first volume has no volume superblock")
    omap_block, root_oid, extentref_block = _u64(raw, 0x80), _u64(raw, 0x88), _u64(raw, 0x90)
    root_block = _omap_lookup(disk, omap_block, root_oid, xid)
    return _Volume(block, raw, omap_block, root_oid, root_block, extentref_block)


def _tree(disk: _Disk, oid: int, block: int, xid: int, new_node: Callable[[], tuple[int, int]]) -> _Tree:
    root = disk.read(block)
    if _u16(root, 34) != 0:
        raise ValueError("only a tree that is a single leaf (a fresh mkapfs volume) can be extended")
    info = root[BLOCK - INFO_SIZE :]
    longest = (_u32(info, 16), _u32(info, 20))
    kind = (_u32(root, 24) & OBJ_PHYSICAL, _u32(root, 28), bool(_u16(root, 32) & NODE_FIXED_KV))
    return _Tree(oid, block, *kind, xid, bytes(info[:16]), longest, new_node)


def _omap_records(
    disk: _Disk, tree: _Tree, entries: list[tuple[int, int, int]], encrypted: bool
) -> list[tuple[bytes, bytes]]:
    """The records of an object map with new virtual objects (oid, xid, block) mapped.

    With ``encrypted`` every mapping (the volume's only virtual objects are fs-tree nodes) is
    flagged OMAP_VAL_ENCRYPTED."""
    records = _node_entries(disk.read(tree.root_block))
    records += [
        (struct.pack("<QQ", oid, xid), struct.pack("<IIQ", 0, BLOCK, block)) for oid, xid, block in entries
    ]
    if encrypted:
        records = [
            (key, struct.pack("<I", _u32(value, 0) | OMAP_VAL_ENCRYPTED) + value[4:])
            for key, value in records
        ]
    return sorted(records, key=lambda record: struct.unpack("<QQ", record[0]))


def _update_volume(disk: _Disk, volume: _Volume, items: list[_Item], next_oid: int, blocks: int) -> None:
    """Volume superblock counters: next object id, files, directories, blocks allocated."""
    raw = volume.raw
    files = sum(not item.is_dir for item in items)
    dirs = sum(item.is_dir for item in items)
    struct.pack_into("<Q", raw, 0xB0, next_oid)
    struct.pack_into("<QQ", raw, 0xB8, _u64(raw, 0xB8) + files, _u64(raw, 0xC0) + dirs)
    struct.pack_into("<Q", raw, 0x58, _u64(raw, 0x58) + blocks)  # apfs_fs_alloc_count
    struct.pack_into("<Q", raw, 0xE0, _u64(raw, 0xE0) + blocks)  # apfs_total_blocks_alloced
    disk.write_object(volume.block, raw)


def _update_container(
    disk: _Disk, nx_block: int, nx: bytearray, next_oid: int, keylocker: int | None = None
) -> None:
    """The container's next virtual object id (and the key bag of an encrypted volume, with
    software encryption flagged), in the checkpoint superblock and its copy in block 0."""
    copy = disk.read(0)
    for block, raw in ((nx_block, nx), (0, copy)):
        struct.pack_into("<Q", raw, 0x58, next_oid)
        if keylocker is not None:
            struct.pack_into("<Q", raw, NX_FLAGS, _u64(raw, NX_FLAGS) | NX_CRYPTO_SW)
            struct.pack_into("<QQ", raw, NX_KEYLOCKER, keylocker, 1)
        disk.write_object(block, raw)


class _NewNodes:
    """Blocks for new B-tree nodes and, for the virtual fs tree, object ids mapped in the object map."""

    def __init__(self, allocator: _Allocator, next_oid: int, xid: int) -> None:
        self.allocator = allocator
        self.next_oid = next_oid
        self.xid = xid
        self.mapped: list[tuple[int, int, int]] = []  # (oid, xid, block) for the volume object map

    def virtual(self) -> tuple[int, int]:
        oid, block = self.next_oid, self.allocator.allocate(1)
        self.next_oid += 1
        self.mapped.append((oid, self.xid, block))
        return oid, block

    def physical(self) -> tuple[int, int]:
        block = self.allocator.allocate(1)
        return block, block


def _fs_tree_nodes(
    disk: _Disk, volume: _Volume, nodes: _NewNodes, top: list[_Item], case_fold: bool
) -> list[tuple[int, bytearray]]:
    """The fs tree rebuilt with the records of every item below the root."""
    tree = _tree(disk, volume.root_oid, volume.root_block, nodes.xid, nodes.virtual)
    records = _with_root_children(_node_entries(disk.read(volume.root_block)), len(top))
    records += [record for item in _flatten(top) for record in _fs_records(item, case_fold)]
    records.sort(key=lambda record: _order(record[0]))
    return _build_tree(tree, records)


def _extentref_nodes(
    disk: _Disk, volume: _Volume, nodes: _NewNodes, items: list[_Item]
) -> list[tuple[int, bytearray]]:
    """The extent-reference tree rebuilt with a physical-extent record for every file's data."""
    tree = _tree(disk, volume.extentref_block, volume.extentref_block, nodes.xid, nodes.physical)
    records = _node_entries(disk.read(volume.extentref_block))
    records += [_extentref_record(item) for item in items if item.blocks]
    records.sort(key=lambda record: _u64(record[0], 0) & OBJ_ID_MASK)
    return _build_tree(tree, records)


def _omap_nodes(
    disk: _Disk, volume: _Volume, nodes: _NewNodes, encrypted: bool = False
) -> list[tuple[int, bytearray]]:
    """The volume object map rebuilt to map the new fs-tree nodes (so it comes after them)."""
    root_block = _u64(disk.read(volume.omap_block), 0x30)
    tree = _tree(disk, root_block, root_block, nodes.xid, nodes.physical)
    return _build_tree(tree, _omap_records(disk, tree, nodes.mapped, encrypted))


def _write_encrypted(disk: _Disk, block: int, node: bytearray, vek: bytes) -> None:
    """Write an fs-tree node encrypted with the VEK; its checksum covers the plain text."""
    struct.pack_into("<Q", node, 0, fletcher64(node))
    disk.write(block, xts(vek, block * SECTORS_PER_BLOCK, node))


def _mark_encrypted(volume: _Volume) -> None:
    """Flag the volume superblock as encrypted with one key (FileVault's software encryption)."""
    flags = _u64(volume.raw, APFS_FS_FLAGS) & ~APFS_FS_UNENCRYPTED | APFS_FS_ONEKEY
    struct.pack_into("<Q", volume.raw, APFS_FS_FLAGS, flags)


def _write_keybags(disk: _Disk, allocator: _Allocator, nx: bytearray, volume: _Volume, keys: Keys) -> int:
    """Write the volume key bag and the container key bag; the block of the container's."""
    container_block, volume_block = allocator.allocate(1), allocator.allocate(1)
    xid, nx_uuid = _u64(nx, 16), bytes(nx[NX_UUID : NX_UUID + 16])
    volume_uuid = bytes(volume.raw[APFS_VOL_UUID : APFS_VOL_UUID + 16])
    records = [(keys.user_uuid, KB_TAG_VOLUME_UNLOCK_RECORDS, kek_blob(keys))]
    plain = keybag_block(TYPE_VOLUME_KEYBAG, (volume_block, xid), records, BLOCK)
    disk.write(volume_block, xts(volume_uuid * 2, volume_block * SECTORS_PER_BLOCK, plain))
    entries = [
        (volume_uuid, KB_TAG_VOLUME_KEY, vek_blob(keys, volume_uuid)),
        (volume_uuid, KB_TAG_VOLUME_UNLOCK_RECORDS, struct.pack("<QQ", volume_block, 1)),
    ]
    plain = keybag_block(TYPE_CONTAINER_KEYBAG, (container_block, xid), entries, BLOCK)
    disk.write(container_block, xts(nx_uuid * 2, container_block * SECTORS_PER_BLOCK, plain))
    return container_block


def add_files_to_apfs(
    image: str | Path, tree: str | Path, *, password: str | None = None, iterations: int = PBKDF2_ITERATIONS
) -> None:
    """Write the directories and regular files under ``tree`` into the root of an mkapfs volume,
    encrypted as FileVault does without a T2 chip if a ``password`` is given."""
    keys = None if password is None else Keys(password, iterations)
    vek = None if keys is None else keys.vek
    with open(image, "r+b") as handle:
        disk = _Disk(handle)
        nx_block, nx = _latest_checkpoint(disk)
        allocator = _Allocator(disk, _ephemeral_block(disk, nx, _u64(nx, 0x98)))
        volume = _open_volume(disk, nx)
        case_fold = bool(_u64(volume.raw, 0x38) & INCOMPAT_CASE_INSENSITIVE)
        first_id = _u64(volume.raw, 0xB0)
        top = _scan(Path(tree), ROOT_DIR, itertools.count(first_id), case_fold)
        items = list(_flatten(top))
        for item in items:
            if not item.is_dir:
                _write_data(disk, allocator, item, vek)
        nodes = _NewNodes(allocator, _u64(nx, 0x58), _u64(nx, 16))
        fs_nodes = _fs_tree_nodes(disk, volume, nodes, top, case_fold)
        written = _extentref_nodes(disk, volume, nodes, items)
        written += _omap_nodes(disk, volume, nodes, encrypted=vek is not None)
        for block, node in fs_nodes:
            if vek is None:
                disk.write_object(block, node)
            else:
                _write_encrypted(disk, block, node, vek)
        for block, node in written:
            disk.write_object(block, node)
        if keys is not None:
            _mark_encrypted(volume)
        _update_volume(disk, volume, items, first_id + len(items), allocator.allocated)
        keylocker = None if keys is None else _write_keybags(disk, allocator, nx, volume, keys)
        allocator.flush()
        _update_container(disk, nx_block, nx, nodes.next_oid, keylocker)
        disk.commit()


def fs_tree_blocks(image: str | Path) -> list[tuple[int, int]]:
    """(block, level) of every node of the first volume's fs tree, root first (to aim damage in tests)."""
    with open(image, "rb") as handle:
        disk = _Disk(handle)
        _nx_block, nx = _latest_checkpoint(disk)
        volume = _open_volume(disk, nx)
        found: list[tuple[int, int]] = []
        queue = [volume.root_block]
        while queue:
            node = disk.read(queue[0])
            found.append((queue.pop(0), _u16(node, 34)))
            if _u16(node, 34):
                children = [_u64(value, 0) for _key_bytes, value in _node_entries(node)]
                queue += [_omap_lookup(disk, volume.omap_block, oid, _u64(nx, 16)) for oid in children]
        return found


def make_apfs_with_files(
    tree: str | Path,
    out: str | Path,
    size_mb: int = 512,
    *,
    label: str = "Macintosh HD",
    password: str | None = None,
) -> Path:
    """An APFS container (mkapfs) whose one volume ``label`` holds the files and folders of ``tree``,
    encrypted with ``password`` (FileVault, software encryption) if one is given."""
    path = make_apfs(out, size_mb, label=label)
    add_files_to_apfs(path, tree, password=password)
    return path

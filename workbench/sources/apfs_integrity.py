"""Checksums of an APFS container's metadata, verified after Apple's "Apple File System Reference".

libfsapfs (and The Sleuth Kit) read APFS objects without checking their Fletcher-64 checksums, so
a value changed inside an otherwise intact node would be listed as fact. :func:`verify_container`
walks the metadata the listing comes from and names every object whose checksum is wrong: the
container superblock (block 0 and the latest valid checkpoint's copy) and that checkpoint's maps,
the container object map and its B-tree, each volume superblock, each volume's object map and
B-tree, and every node of each volume's file-system, extent-reference and snapshot-metadata
trees. It reads metadata only (never file data) and only through ``read``; everything it
follows is bounded (objects visited, tree depth, loops by block number), and anything
structurally impossible becomes a one-line problem, never an exception.

Not verified: ephemeral objects other than the checkpoint maps (space manager, reaper), snapshot
trees other than the current one, and the nodes of encrypted volumes (their metadata is
encrypted on disk) or of sealed volumes stored without an object header.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from itertools import accumulate
from typing import Any

from workbench.sources.model import escape_name, one_line

Read = Callable[[int, int], bytes]  # (offset from the container's start, size) -> bytes

MIN_BLOCK, MAX_BLOCK = 4096, 65536
MAX_OBJECTS = 1_000_000  # metadata objects read per container (a large Mac volume has a few 100,000)
MAX_OMAP_ENTRIES = 2_000_000  # mappings kept per object map
MAX_DEPTH = 32  # B-tree levels (real trees have fewer than ten)
MAX_DESC_BLOCKS = 1 << 16  # checkpoint descriptor area scanned for superblocks
MAX_PROBLEMS = 50  # listed per container; the rest are counted
MAX_VOLUMES = 100  # NX_MAX_FILE_SYSTEMS

FLETCHER_MODULUS = 0xFFFFFFFF
NX_MAGIC, APFS_MAGIC = b"NXSB", b"APSB"
OBJ_STORAGE_MASK = 0xC0000000  # virtual (0), ephemeral or physical
TYPE_NX_SUPERBLOCK, TYPE_BTREE, TYPE_BTREE_NODE = 0x1, 0x2, 0x3
TYPE_OMAP, TYPE_CHECKPOINT_MAP, TYPE_FS = 0xB, 0xC, 0xD
SUBTYPE_FSTREE, SUBTYPE_EXTENTREF, SUBTYPE_SNAPMETA = 0xE, 0xF, 0x10
NODE_ROOT, NODE_LEAF, NODE_FIXED_KV, NODE_NOHEADER = 0x1, 0x2, 0x4, 0x10
NODE_HEADER, INFO_SIZE = 56, 40
OMAP_RECORD = 16  # omap_key_t and omap_val_t
OMAP_DELETED, OMAP_ENCRYPTED, OMAP_NOHEADER = 0x1, 0x4, 0x8
DESC_NOT_CONTIGUOUS = 1 << 31
MAX_NAME_SHOWN = 64

# container superblock (nx_superblock_t) and volume superblock (apfs_superblock_t) fields
NX_BLOCK_SIZE, NX_BLOCK_COUNT = 36, 40
NX_DESC_BLOCKS, NX_DESC_BASE, NX_DESC_INDEX, NX_DESC_LEN = 0x68, 0x70, 0x88, 0x8C
NX_OMAP, NX_MAX_FS, NX_FS_OIDS = 0xA0, 0xB4, 0xB8
APFS_TREE_TYPES, APFS_TREE_OIDS, APFS_OMAP, APFS_NAME = 0x74, 0x88, 0x80, 0x2C0
OMAP_TREE = 0x30


def fletcher64(block: bytes | bytearray) -> int:
    """The APFS object checksum of a block (everything after the checksum field)."""
    words = struct.unpack_from(f"<{(len(block) - 8) // 4}I", block, 8)
    sum1 = sum(words) % FLETCHER_MODULUS
    # sum2 adds sum1 after every word: the sum of the running sums
    sum2 = sum(accumulate(words)) % FLETCHER_MODULUS
    check1 = FLETCHER_MODULUS - (sum1 + sum2) % FLETCHER_MODULUS
    check2 = FLETCHER_MODULUS - (sum1 + check1) % FLETCHER_MODULUS
    return check2 << 32 | check1


def checksum_ok(block: bytes | bytearray) -> bool:
    """Whether an object's stored checksum matches its bytes."""
    return len(block) > 8 and _u64(block, 0) == fletcher64(block)


def stream_reader(stream: Any, base: int = 0) -> Read:
    """A ``read(offset, size)`` over a seekable binary stream whose container starts at ``base``."""

    def read(offset: int, size: int) -> bytes:
        stream.seek(base + offset)
        return bytes(stream.read(size) or b"")

    return read


def verify_container(read: Read) -> list[str]:
    """One line per APFS metadata object that fails its checksum or cannot be followed."""
    check = _Check(read)
    try:
        check.run()
    except _Stop:
        pass  # the budget is spent: report what was found
    except Exception as exc:  # a bound this module missed must not stop the listing
        check.problems.append(one_line(f"APFS metadata check failed: {type(exc).__name__}: {exc}"))
    return check.report()


def _u16(data: bytes, offset: int) -> int:
    return int(struct.unpack_from("<H", data, offset)[0])


def _u32(data: bytes | bytearray, offset: int) -> int:
    return int(struct.unpack_from("<I", data, offset)[0])


def _u64(data: bytes | bytearray, offset: int) -> int:
    return int(struct.unpack_from("<Q", data, offset)[0])


class _Stop(Exception):
    """The object budget is spent: the check ends with what it has found."""


class _Check:
    """One verification of one container: the reads, the budget and the problems found."""

    def __init__(self, read: Read) -> None:
        self.read = read
        self.block_size = MIN_BLOCK
        self.block_count = 0
        self.xid = 0
        self.objects = 0
        self.problems: list[str] = []

    def report(self) -> list[str]:
        unique = list(dict.fromkeys(self.problems))
        if len(unique) <= MAX_PROBLEMS:
            return unique
        return [*unique[:MAX_PROBLEMS], f"APFS metadata: {len(unique) - MAX_PROBLEMS} further problems"]

    def damaged(self, what: str, block: int, reason: str) -> None:
        self.problems.append(one_line(f"APFS metadata damaged: {what} at block {block}: {reason}"))

    # -- reading ----------------------------------------------------------------------------------
    def block(self, block: int, what: str) -> bytes | None:
        """The bytes of one block, or None (and a problem) when it cannot be read."""
        if not 0 <= block < self.block_count:
            self.damaged(what, block, f"beyond the container ({self.block_count} blocks)")
            return None
        self.objects += 1
        if self.objects > MAX_OBJECTS:
            self.problems.append(f"APFS metadata check stopped after {MAX_OBJECTS} objects")
            raise _Stop
        try:
            data = self.read(block * self.block_size, self.block_size)
        except Exception as exc:  # the media stream reports damage its own way (EWF, dfvfs)
            self.damaged(what, block, f"cannot be read: {type(exc).__name__}: {exc}")
            return None
        if len(data) != self.block_size:
            self.damaged(what, block, "beyond the end of the image")
            return None
        return data

    def obj(self, block: int, what: str, obj_type: int, subtype: int | None = None) -> bytes | None:
        """An object of the expected type read from ``block`` (see ``typed``)."""
        data = self.block(block, what)
        return None if data is None else self.typed(data, block, what, obj_type, subtype)

    def typed(self, data: bytes, block: int, what: str, obj_type: int, subtype: int | None) -> bytes | None:
        """The object if it has the expected type; a wrong checksum is reported, the object kept."""
        if _u32(data, 24) & 0xFFFF != obj_type or (subtype is not None and _u32(data, 28) != subtype):
            self.damaged(
                what, block, f"not the expected object (type {_u32(data, 24):#x}/{_u32(data, 28):#x})"
            )
            return None
        if not checksum_ok(data):
            self.problems.append(f"APFS checksum mismatch: {what} at block {block}")
        return data

    # -- container --------------------------------------------------------------------------------
    def run(self) -> None:
        superblock = self.superblock()
        if superblock is None:
            return
        self.xid = _u64(superblock, 16)
        self.block_count = _u64(superblock, NX_BLOCK_COUNT)
        omap = self.omap(_u64(superblock, NX_OMAP), "container object map", "container object map node")
        if omap is None:
            return
        for index in range(min(_u32(superblock, NX_MAX_FS), MAX_VOLUMES)):
            oid = _u64(superblock, NX_FS_OIDS + 8 * index)
            if oid:
                self.volume(index, oid, omap)

    def superblock(self) -> bytes | None:
        """The newest valid container superblock of the checkpoint area (else block 0's copy)."""
        try:
            first = self.read(0, MIN_BLOCK)
        except Exception as exc:
            self.problems.append(one_line(f"APFS metadata: block 0 cannot be read: {exc}"))
            return None
        if len(first) < MIN_BLOCK or first[32:36] != NX_MAGIC:
            self.problems.append("APFS metadata damaged: no container superblock at block 0")
            return None
        size = _u32(first, NX_BLOCK_SIZE)
        if size < MIN_BLOCK or size > MAX_BLOCK or size & (size - 1):
            self.problems.append(f"APFS metadata damaged: container superblock: block size {size}")
            return None
        self.block_size, self.block_count = size, max(_u64(first, NX_BLOCK_COUNT), 1)
        copy = self.obj(0, "container superblock", TYPE_NX_SUPERBLOCK)
        if copy is None:
            return None
        latest = self.latest_checkpoint(copy)
        return latest if latest is not None else copy

    def latest_checkpoint(self, copy: bytes) -> bytes | None:
        desc_blocks, base = _u32(copy, NX_DESC_BLOCKS), _u64(copy, NX_DESC_BASE)
        if desc_blocks & DESC_NOT_CONTIGUOUS:
            self.problems.append("APFS metadata: non-contiguous checkpoint area not verified")
            return None
        if not 0 < desc_blocks <= MAX_DESC_BLOCKS or base + desc_blocks > self.block_count:
            self.damaged("checkpoint descriptor area", base, f"{desc_blocks} blocks do not fit the container")
            return None
        best: tuple[int, bytes] | None = None
        for block in range(base, base + desc_blocks):
            data = self.block(block, "checkpoint descriptor area")
            if data is None or data[32:36] != NX_MAGIC or _u32(data, 24) & 0xFFFF != TYPE_NX_SUPERBLOCK:
                continue
            if not checksum_ok(data):
                self.problems.append(
                    f"APFS checksum mismatch: container superblock of checkpoint {_u64(data, 16)} at block {block}"
                )
            elif best is None or _u64(data, 16) > _u64(best[1], 16):
                best = (block, data)
        if best is None:
            self.damaged("checkpoint descriptor area", base, "no valid container superblock")
            return None
        self.checkpoint_maps(best[1], best[0])
        return best[1]

    def checkpoint_maps(self, superblock: bytes, at: int) -> None:
        """The checkpoint maps written with the chosen superblock (the blocks before it in the ring)."""
        desc_blocks, base = _u32(superblock, NX_DESC_BLOCKS), _u64(superblock, NX_DESC_BASE)
        index, length = _u32(superblock, NX_DESC_INDEX), _u32(superblock, NX_DESC_LEN)
        if desc_blocks & DESC_NOT_CONTIGUOUS or not 0 < length <= desc_blocks <= MAX_DESC_BLOCKS:
            self.damaged("container superblock", at, f"checkpoint of {length} blocks in {desc_blocks}")
            return
        for step in range(length):
            block = base + (index + step) % desc_blocks
            if block != at:
                self.obj(block, "checkpoint map", TYPE_CHECKPOINT_MAP)

    # -- object maps and B-trees ------------------------------------------------------------------
    def omap(self, block: int, what: str, node_what: str) -> dict[int, tuple[int, int]] | None:
        """{virtual oid: (flags, block)} of the newest mappings up to the checkpoint's xid."""
        header = self.obj(block, what, TYPE_OMAP)
        if header is None:
            return None
        leaves: list[tuple[bytes, bytes]] = []
        self.tree(_u64(header, OMAP_TREE), node_what, TYPE_OMAP, _physical, leaves)
        newest: dict[int, tuple[int, int, int]] = {}
        for key, value in leaves:
            if len(key) != OMAP_RECORD or len(value) != OMAP_RECORD:
                self.damaged(what, block, "a mapping of the wrong size")
                break
            oid, xid = struct.unpack("<QQ", key)
            flags, _size, paddr = struct.unpack("<IIQ", value)
            if xid <= self.xid and xid >= newest.get(oid, (-1, 0, 0))[0]:
                newest[oid] = (xid, flags, paddr)
                if len(newest) > MAX_OMAP_ENTRIES:
                    self.damaged(what, block, f"more than {MAX_OMAP_ENTRIES} mappings")
                    break
        return {
            oid: (flags, paddr) for oid, (_xid, flags, paddr) in newest.items() if not flags & OMAP_DELETED
        }

    def tree(
        self,
        root: int,
        what: str,
        subtype: int,
        resolve: Callable[[int], int | None],
        leaves: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        """Every node of a B-tree, depth first; with ``leaves``, collect the leaf records."""
        stack: list[tuple[int, int | None, int]] = [(root, None, 0)]  # block, expected level, depth
        seen: set[int] = set()
        while stack:
            block, level, depth = stack.pop()
            if block in seen:
                self.damaged(what, block, "reached twice (a loop in the tree)")
                continue
            seen.add(block)
            node = self.node(block, what, subtype, root=depth == 0)
            if node is None:
                continue
            node_level = _u16(node, 34)
            if (level is not None and node_level != level) or depth + node_level >= MAX_DEPTH:
                self.damaged(what, block, f"level {node_level} at depth {depth}")
                continue
            entries = _entries(node, self.block_size)
            if isinstance(entries, str):
                self.damaged(what, block, entries)
                continue
            if node_level == 0:
                if leaves is not None:
                    leaves.extend(entries)
                continue
            for _key, value in reversed(entries):
                child = resolve(_u64(value, 0))
                if child is None:
                    self.damaged(what, block, f"child object {_u64(value, 0)} is not in the object map")
                else:
                    stack.append((child, node_level - 1, depth + 1))

    def node(self, block: int, what: str, subtype: int, *, root: bool) -> bytes | None:
        """A B-tree node; sealed-volume nodes stored without a header have no checksum to check."""
        data = self.block(block, what)
        if data is None:
            return None
        if _u16(data, 32) & NODE_NOHEADER and not any(data[:32]):
            return data
        return self.typed(data, block, what, TYPE_BTREE if root else TYPE_BTREE_NODE, subtype)

    # -- volumes ----------------------------------------------------------------------------------
    def volume(self, index: int, oid: int, container_omap: dict[int, tuple[int, int]]) -> None:
        mapped = container_omap.get(oid)
        if mapped is None:
            self.problems.append(
                f"APFS metadata damaged: volume {index} (object {oid}) is not in the object map"
            )
            return
        block = mapped[1]
        raw = self.block(block, f"volume superblock {index}")
        if raw is None:
            return
        name = _volume_name(raw, index)
        superblock = self.typed(raw, block, f"volume superblock of volume {name}", TYPE_FS, None)
        if superblock is None or superblock[32:36] != APFS_MAGIC:
            if superblock is not None:
                self.damaged(f"volume superblock of volume {name}", block, "no APSB signature")
            return
        omap = self.omap(
            _u64(superblock, APFS_OMAP), f"object map of volume {name}", f"object map node of volume {name}"
        )
        if omap is None:
            return
        trees = (("fs tree", SUBTYPE_FSTREE), ("extent-reference tree", SUBTYPE_EXTENTREF))
        for number, (label, subtype) in enumerate((*trees, ("snapshot-metadata tree", SUBTYPE_SNAPMETA))):
            tree_type = _u32(superblock, APFS_TREE_TYPES + 4 * number)
            tree_oid = _u64(superblock, APFS_TREE_OIDS + 8 * number)
            self.volume_tree(tree_oid, tree_type, f"{label} node of volume {name}", subtype, omap)

    def volume_tree(
        self, oid: int, tree_type: int, what: str, subtype: int, omap: dict[int, tuple[int, int]]
    ) -> None:
        if not oid:
            return
        if tree_type & OBJ_STORAGE_MASK:  # physical: the oid is the block
            self.tree(oid, what, subtype, _physical)
            return
        root = omap.get(oid)
        if root is None:
            self.problems.append(
                one_line(f"APFS metadata damaged: {what}: root object {oid} is not in the object map")
            )
            return
        if root[0] & OMAP_ENCRYPTED:
            return  # encrypted on disk: the checksum covers the plain text
        self.tree(root[1], what, subtype, lambda child: _mapped(omap, child))


def _physical(oid: int) -> int:
    return oid


def _mapped(omap: dict[int, tuple[int, int]], oid: int) -> int | None:
    found = omap.get(oid)
    return None if found is None else found[1]


def _volume_name(raw: bytes, index: int) -> str:
    """The volume's name, quoted and escaped, for the problem lines (its index when it has none)."""
    name = raw[APFS_NAME : APFS_NAME + 256].split(b"\0", 1)[0][:MAX_NAME_SHOWN]
    return f"'{escape_name(name)}'" if name else f"#{index}"


def _entries(node: bytes, node_size: int) -> list[tuple[bytes, bytes]] | str:
    """The (key, value) pairs of a B-tree node, or why they cannot be read."""
    flags, count = _u16(node, 32), _u32(node, 36)
    fixed, leaf = bool(flags & NODE_FIXED_KV), bool(flags & NODE_LEAF)
    toc_start = NODE_HEADER + _u16(node, 40)
    keys = toc_start + _u16(node, 42)
    values_end = node_size - (INFO_SIZE if flags & NODE_ROOT else 0)
    entry_size = 4 if fixed else 8
    if toc_start + count * entry_size > keys or keys > values_end:
        return f"table of contents of {count} entries does not fit"
    entries = []
    for index in range(count):
        if fixed:
            key_off, value_off = struct.unpack_from("<HH", node, toc_start + 4 * index)
            key_len, value_len = 16, 16 if leaf else 8
        else:
            key_off, key_len, value_off, value_len = struct.unpack_from("<4H", node, toc_start + 8 * index)
        key_start, value_start = keys + key_off, values_end - value_off
        if key_start + key_len > values_end or value_start < keys or value_start + value_len > values_end:
            return f"entry {index} lies outside the node"
        if (not leaf and value_len < 8) or (fixed and leaf and value_len < 16):
            return f"entry {index} is too short"
        entries.append((node[key_start : key_start + key_len], node[value_start : value_start + value_len]))
    return entries

"""HFS+ sample images written directly, for the tests: no tool here formats HFS+ without a Mac.

Debian 12 has no ``mkfs.hfsplus`` (hfsprogs is gone) and its ``hfsplus`` tools only read, so this
module lays out a plain (non-journaled) HFS+ volume itself, after Apple's TN1150: the volume
header and its copy at the end, the allocation bitmap, an empty extents-overflow B-tree and a
catalog B-tree holding the folders and files of a directory tree (thread records included), each
file's data fork in one contiguous extent. ``hpfsck`` from Debian's ``hfsplus`` package and The
Sleuth Kit both read the result. Used by the sample builders only, never on evidence.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

BLOCK = 4096
CATALOG_NODE = 8192
EXTENTS_NODE = 4096
HFS_EPOCH_OFFSET = 2082844800  # seconds from 1904-01-01 to 1970-01-01
ROOT_PARENT, ROOT_FOLDER, FIRST_USER_ID = 1, 2, 16
FOLDER_RECORD, FILE_RECORD, FOLDER_THREAD, FILE_THREAD = 1, 2, 3, 4
LEAF, INDEX, HEADER = -1, 0, 1
BIG_KEYS, VARIABLE_INDEX_KEYS = 2, 4
FILE_MODE, FOLDER_MODE = 0o100644, 0o040755
# Leaves are not filled to the last byte: catalogs that grew by node splits never are, and The
# Sleuth Kit 4.15 (pytsk3) refuses to list a folder whose thread record lies in the last 520 bytes
# of a node (it checks the room against the largest thread record, not the record's real size).
LEAF_SLACK = 1024


@dataclass
class _Item:
    cnid: int
    parent: int
    name: str
    folder: bool
    mtime: int
    data: bytes = b""
    start_block: int = 0
    children: list[_Item] = field(default_factory=list)


def _hfs_time(unix: int) -> int:
    return (unix + HFS_EPOCH_OFFSET) & 0xFFFFFFFF


def _unistr(name: str) -> bytes:
    encoded = name.encode("utf-16-be")
    return struct.pack(">H", len(encoded) // 2) + encoded


def _key(parent: int, name: str) -> bytes:
    body = struct.pack(">I", parent) + _unistr(name)
    return struct.pack(">H", len(body)) + body


def _sort_key(parent: int, name: str) -> tuple[int, str]:
    # HFS+ orders names by Unicode case folding (FastUnicodeCompare); for the names the samples use
    # (no ignorable characters), that is the order of the case-folded UTF-16 text.
    return parent, name.casefold()


def _fork(size: int, start: int) -> bytes:
    blocks = -(-size // BLOCK)
    extents = struct.pack(">II", start, blocks) if blocks else b""
    return struct.pack(">QII", size, 0, blocks) + extents.ljust(64, b"\0")


def _permissions(mode: int) -> bytes:
    return struct.pack(">IIBBHI", 0, 0, 0, 0, mode, 0)


def _folder_record(item: _Item) -> bytes:
    when = _hfs_time(item.mtime)
    return (
        struct.pack(">hHII", FOLDER_RECORD, 0, len(item.children), item.cnid)
        + struct.pack(">5I", when, when, when, when, 0)
        + _permissions(FOLDER_MODE)
        + bytes(32)  # Finder info
        + struct.pack(">II", 0, 0)
    )


def _file_record(item: _Item) -> bytes:
    when = _hfs_time(item.mtime)
    return (
        struct.pack(">hHII", FILE_RECORD, 0x0002, 0, item.cnid)  # flag: a thread record exists
        + struct.pack(">5I", when, when, when, when, 0)
        + _permissions(FILE_MODE)
        + bytes(32)  # Finder info
        + struct.pack(">II", 0, 0)
        + _fork(len(item.data), item.start_block)
        + _fork(0, 0)  # no resource fork
    )


def _thread(item: _Item) -> bytes:
    kind = FOLDER_THREAD if item.folder else FILE_THREAD
    return struct.pack(">hhI", kind, 0, item.parent) + _unistr(item.name)


def _node(kind: int, height: int, records: list[bytes], size: int, links: tuple[int, int] = (0, 0)) -> bytes:
    """One B-tree node: descriptor (forward and backward links), records, and the record offsets
    counted from the end."""
    body = bytearray(struct.pack(">IIbBHH", links[0], links[1], kind, height, len(records), 0))
    offsets = []
    for record in records:
        offsets.append(len(body))
        body += record
    offsets.append(len(body))  # where the free space starts
    if len(body) + 2 * len(offsets) > size:
        raise ValueError("B-tree records do not fit their node")
    tail = b"".join(struct.pack(">H", o) for o in reversed(offsets))
    return bytes(body) + bytes(size - len(body) - len(tail)) + tail


def _header_node(
    node_size: int,
    nodes: int,
    used: int,
    depth: int,
    root: int,
    leaves: tuple[int, int],
    records: int,
    key_max: int,
    attributes: int,
) -> bytes:
    """Node 0 of a B-tree: the header record, the user data record and the node bitmap."""
    header = struct.pack(
        ">HIIIIHHIIHIBBI64x",
        depth,
        root,
        records,
        leaves[0],
        leaves[1],
        node_size,
        key_max,
        nodes,
        nodes - used,
        0,
        node_size,  # clump size
        0,  # B-tree type: HFS+ control file
        0,  # key compare type: HFS+ case folding
        attributes,
    )
    bitmap = bytearray(node_size - 14 - len(header) - 128 - 8)
    for node in range(used):
        bitmap[node // 8] |= 0x80 >> (node % 8)
    return _node(HEADER, 0, [header, bytes(128), bytes(bitmap)], node_size)


def _catalog(records: list[tuple[tuple[int, str], bytes, bytes]], nodes: int) -> bytes:
    """The catalog B-tree: header node, leaf nodes in key order, one index node over them."""
    leaves: list[list[tuple[bytes, bytes]]] = [[]]
    room = CATALOG_NODE - 14 - 2 - LEAF_SLACK
    used = 0
    for _, key, data in sorted(records, key=lambda r: r[0]):
        need = len(key) + len(data) + 2
        if used + need > room:
            leaves.append([])
            used = 0
        leaves[-1].append((key, data))
        used += need
    first_leaf = 1
    last_leaf = first_leaf + len(leaves) - 1
    body = []
    for index, leaf in enumerate(leaves):
        number = first_leaf + index
        links = (number + 1 if number < last_leaf else 0, number - 1 if index else 0)
        body.append(_node(LEAF, 1, [k + d for k, d in leaf], CATALOG_NODE, links))
    if len(leaves) == 1:
        depth, root = 1, first_leaf
    else:
        pointers = [leaf[0][0] + struct.pack(">I", first_leaf + i) for i, leaf in enumerate(leaves)]
        body.append(_node(INDEX, 2, pointers, CATALOG_NODE))
        depth, root = 2, last_leaf + 1
    if 1 + len(body) > nodes:
        raise ValueError("catalog larger than its file")
    head = _header_node(
        CATALOG_NODE,
        nodes,
        1 + len(body),
        depth,
        root,
        (first_leaf, last_leaf),
        len(records),
        516,
        BIG_KEYS | VARIABLE_INDEX_KEYS,
    )
    return head + b"".join(body) + bytes(CATALOG_NODE * (nodes - 1 - len(body)))


def _items(tree: Path) -> tuple[_Item, list[_Item]]:
    """The tree as catalog items, CNIDs given in sorted walk order (deterministic)."""
    root = _Item(ROOT_FOLDER, ROOT_PARENT, "", True, int(tree.stat().st_mtime))
    ordered: list[_Item] = []
    next_id = FIRST_USER_ID

    def visit(folder: _Item, path: Path) -> None:
        nonlocal next_id
        for child in sorted(path.iterdir(), key=lambda p: p.name):
            item = _Item(next_id, folder.cnid, child.name, child.is_dir(), int(child.stat().st_mtime))
            next_id += 1
            if not item.folder:
                item.data = child.read_bytes()
            folder.children.append(item)
            ordered.append(item)
            if item.folder:
                visit(item, child)

    visit(root, tree)
    return root, ordered


def _records(root: _Item, items: list[_Item]) -> list[tuple[tuple[int, str], bytes, bytes]]:
    """Every catalog record as (sort key, key, data): each folder and file, and its thread."""
    records = [
        (_sort_key(ROOT_PARENT, root.name), _key(ROOT_PARENT, root.name), _folder_record(root)),
        (_sort_key(ROOT_FOLDER, ""), _key(ROOT_FOLDER, ""), _thread(root)),
    ]
    for item in items:
        record = _folder_record(item) if item.folder else _file_record(item)
        records.append((_sort_key(item.parent, item.name), _key(item.parent, item.name), record))
        records.append((_sort_key(item.cnid, ""), _key(item.cnid, ""), _thread(item)))
    return records


def make_hfsplus(tree: str | Path, out: str | Path, size_mb: int = 8, *, label: str = "Macintosh HD") -> Path:
    """An HFS+ image of ``size_mb`` MiB holding ``tree`` (folders and regular files)."""
    root, items = _items(Path(tree))
    root.name = label
    total_blocks = size_mb * (1 << 20) // BLOCK
    allocation_blocks = -(-total_blocks // (8 * BLOCK))
    extents_blocks = EXTENTS_NODE * 4 // BLOCK
    records = _records(root, items)  # sizes only: no data block is placed yet
    catalog_bytes = sum(len(k) + len(d) + 2 for _, k, d in records)
    catalog_nodes = 2 + 2 * (-(-catalog_bytes // (CATALOG_NODE - 16))) + 4
    catalog_blocks = catalog_nodes * CATALOG_NODE // BLOCK

    next_block = 1  # block 0 holds the boot blocks and the volume header
    allocation_start, next_block = next_block, next_block + allocation_blocks
    extents_start, next_block = next_block, next_block + extents_blocks
    catalog_start, next_block = next_block, next_block + catalog_blocks
    for item in items:
        if not item.folder and item.data:
            item.start_block = next_block
            next_block += -(-len(item.data) // BLOCK)
    records = _records(root, items)
    last = total_blocks - 1  # holds the alternate volume header
    if next_block > last:
        raise ValueError(f"{tree}: {size_mb} MiB is too small for this tree")

    image = bytearray(total_blocks * BLOCK)
    bitmap = bytearray(allocation_blocks * BLOCK)
    for block in [*range(next_block), last]:
        bitmap[block // 8] |= 0x80 >> (block % 8)
    image[allocation_start * BLOCK : extents_start * BLOCK] = bitmap
    extents_nodes = extents_blocks * BLOCK // EXTENTS_NODE
    extents = _header_node(EXTENTS_NODE, extents_nodes, 1, 0, 0, (0, 0), 0, 10, BIG_KEYS)
    image[extents_start * BLOCK : extents_start * BLOCK + len(extents)] = extents
    image[catalog_start * BLOCK : (catalog_start + catalog_blocks) * BLOCK] = _catalog(records, catalog_nodes)
    for item in items:
        if item.data:
            image[item.start_block * BLOCK : item.start_block * BLOCK + len(item.data)] = item.data

    files = sum(1 for i in items if not i.folder)
    when = _hfs_time(root.mtime)
    header = (
        struct.pack(">2sHIII", b"H+", 4, 0x100, 0x31302E30, 0)  # unmounted cleanly, "10.0", no journal
        + struct.pack(">4I", when, when, 0, when)
        + struct.pack(">II", files, len(items) - files)
        + struct.pack(
            ">IIIIIIIII",
            BLOCK,
            total_blocks,
            total_blocks - next_block - 1,
            next_block,
            BLOCK,
            BLOCK,
            FIRST_USER_ID + len(items),
            1,
            0,
        )
        + struct.pack(">I", 1)  # encodings bitmap (low word): MacRoman
        + bytes(32)  # Finder info
        + _fork(allocation_blocks * BLOCK, allocation_start)
        + _fork(extents_blocks * BLOCK, extents_start)
        + _fork(catalog_blocks * BLOCK, catalog_start)
        + _fork(0, 0)  # no attributes file
        + _fork(0, 0)  # no startup file
    )
    assert len(header) == 512
    image[1024:1536] = header
    image[len(image) - 1024 : len(image) - 512] = header
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(image))
    return path

"""APFS metadata checksums: workbench.sources.apfs_integrity names every metadata object of a container
whose Fletcher-64 is wrong, and the Source reports it as a one-line problem of the container's layer.

Most damage here is applied in memory, through a ``read`` that overlays changed blocks on the image
file, so the images are never written; the Source-level tests write a damaged copy of their own.
"""

from __future__ import annotations

import random
import struct
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import fingerprint, write_tree
from tests.sources.test_more_formats import open_source
from workbench.samples.apfs import fs_tree_blocks, make_apfs_with_files
from workbench.samples.images import GPT_TYPES, make_apfs
from workbench.sources.apfs_integrity import checksum_ok, fletcher64, stream_reader, verify_container

BLOCK = 4096
MIB = 1 << 20
NAME = "SeizedMac"
FILES = {
    **{f"Users/admin/Documents/Beleg {n}.txt": f"{n} EUR\n".encode() * n for n in range(1, 60)},
    "var/log/access.log": b'198.51.100.7 - - "GET /get.php HTTP/1.1" 200 512\n' * 200,
    "empty.txt": b"",
}


@dataclass(frozen=True)
class Layout:
    """Where mkapfs and the sample writer put the container's metadata objects."""

    desc_base: int
    desc_blocks: int
    checkpoint: int  # the latest container superblock in the checkpoint area
    container_omap: int
    container_omap_root: int
    volume: int
    volume_omap: int
    volume_omap_root: int
    fs_tree: list[tuple[int, int]]  # (block, level), root first

    def metadata(self) -> list[int]:
        """Every block the verification reads on a healthy container (bar the stale checkpoint area)."""
        fixed = [0, self.checkpoint - 1, self.checkpoint, self.container_omap, self.container_omap_root]
        fixed += [self.volume, self.volume_omap, self.volume_omap_root]
        return fixed + [block for block, _level in self.fs_tree]


def _read_block(image: Path, block: int) -> bytes:
    with open(image, "rb") as handle:
        handle.seek(block * BLOCK)
        return handle.read(BLOCK)


def _u64(data: bytes, offset: int) -> int:
    return int(struct.unpack_from("<Q", data, offset)[0])


def _omap_leaf_block(image: Path, leaf: int, oid: int) -> int:
    """The block an object-map leaf maps ``oid`` to."""
    node = _read_block(image, leaf)
    for index in range(struct.unpack_from("<I", node, 36)[0]):
        key_off, value_off = struct.unpack_from("<HH", node, 56 + 4 * index)
        keys = 56 + struct.unpack_from("<H", node, 40)[0] + struct.unpack_from("<H", node, 42)[0]
        if _u64(node, keys + key_off) == oid:
            return _u64(node, BLOCK - 40 - value_off + 8)
    raise AssertionError(f"object {oid} not mapped")


def layout(image: Path) -> Layout:
    """The metadata blocks of a one-volume container whose object maps are single leaves."""
    first = _read_block(image, 0)
    desc_blocks, desc_base = struct.unpack_from("<I", first, 0x68)[0], _u64(first, 0x70)
    [checkpoint] = [
        block
        for block in range(desc_base, desc_base + desc_blocks)
        if _read_block(image, block)[32:36] == b"NXSB"
    ]
    nx = _read_block(image, checkpoint)
    omap = _u64(nx, 0xA0)
    omap_root = _u64(_read_block(image, omap), 0x30)
    volume = _omap_leaf_block(image, omap_root, _u64(nx, 0xB8))
    volume_omap = _u64(_read_block(image, volume), 0x80)
    volume_omap_root = _u64(_read_block(image, volume_omap), 0x30)
    fs_tree = fs_tree_blocks(image)
    return Layout(
        desc_base, desc_blocks, checkpoint, omap, omap_root, volume, volume_omap, volume_omap_root, fs_tree
    )


def overlay(
    image: Path, changed: dict[int, bytes], reads: list[int] | None = None
) -> Callable[[int, int], bytes]:
    """A ``read`` of the image with ``changed`` blocks in place of its own (counted in ``reads``)."""
    handle = open(image, "rb")  # noqa: SIM115 - lives as long as the test's reader

    def read(offset: int, size: int) -> bytes:
        if reads is not None:
            reads.append(offset)
        block = offset // BLOCK
        if offset % BLOCK == 0 and size == BLOCK and block in changed:
            return changed[block]
        handle.seek(offset)
        return handle.read(size)

    return read


def flipped(image: Path, block: int, offset: int, mask: int = 0x01) -> dict[int, bytes]:
    """One byte of a block XORed with ``mask``, its checksum left stale."""
    data = bytearray(_read_block(image, block))
    data[offset] ^= mask
    return {block: bytes(data)}


def rewritten(image: Path, block: int, offset: int, value: bytes) -> dict[int, bytes]:
    """Bytes of a block replaced and its checksum set again: damage a checksum cannot see."""
    data = bytearray(_read_block(image, block))
    data[offset : offset + len(value)] = value
    struct.pack_into("<Q", data, 0, fletcher64(data))
    return {block: bytes(data)}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("apfs-integrity") / "tree"
    write_tree(root, FILES)
    return root


@pytest.fixture(scope="module")
def image(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_apfs_with_files(
        tree, tmp_path_factory.mktemp("apfs-integrity-image") / "mac.apfs", label=NAME
    )


@pytest.fixture(scope="module")
def where(image: Path) -> Layout:
    found = layout(image)
    assert found.fs_tree[0][1] == 1 and len(found.fs_tree) >= 3  # an index node above two leaves
    return found


def test_fletcher64_agrees_with_mkapfs(image: Path, where: Layout) -> None:
    for block in where.metadata():
        assert checksum_ok(_read_block(image, block)), block


def test_healthy_containers_give_no_problems(image: Path, where: Layout, tmp_path: Path) -> None:
    empty = make_apfs(tmp_path / "empty.apfs", label=NAME)
    before = fingerprint([image, empty])
    for container in (image, empty):
        with open(container, "rb") as handle:
            assert verify_container(stream_reader(handle)) == []
    reads: list[int] = []
    assert verify_container(overlay(image, {}, reads)) == []
    assert {offset // BLOCK for offset in reads} == set(where.metadata()) | {
        *range(where.desc_base, where.desc_base + where.desc_blocks),
        _u64(_read_block(image, where.volume), 0x90),  # the extent-reference tree, a single leaf
        _u64(_read_block(image, where.volume), 0x98),  # the snapshot-metadata tree, empty
    }
    assert fingerprint([image, empty]) == before


def test_healthy_container_costs_little(image: Path) -> None:
    with open(image, "rb") as handle:
        started = time.perf_counter()
        assert verify_container(stream_reader(handle)) == []
        assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("target", "offset", "expected"),
    [
        ("zero", 0x58, "container superblock at block 0"),
        ("checkpoint", 0x58, "container superblock of checkpoint 1 at block {block}"),
        ("checkpoint map", 0x30, "checkpoint map at block {block}"),
        ("container omap", 0x24, "container object map at block {block}"),
        ("container omap root", 56 + 4 * 100, "container object map node at block {block}"),
        ("volume", 0xB8, f"volume superblock of volume '{NAME}' at block {{block}}"),
        ("volume omap", 0x24, f"object map of volume '{NAME}' at block {{block}}"),
        ("volume omap root", 56 + 4 * 100, f"object map node of volume '{NAME}' at block {{block}}"),
        ("fs root", 0x10, f"fs tree node of volume '{NAME}' at block {{block}}"),
        ("fs leaf", BLOCK - 100, f"fs tree node of volume '{NAME}' at block {{block}}"),
    ],
)
def test_a_flipped_byte_is_named(image: Path, where: Layout, target: str, offset: int, expected: str) -> None:
    """A byte flipped where no structure depends on it (a counter, an unused slot, a value)."""
    block = {
        "zero": 0,
        "checkpoint": where.checkpoint,
        "checkpoint map": where.checkpoint - 1,
        "container omap": where.container_omap,
        "container omap root": where.container_omap_root,
        "volume": where.volume,
        "volume omap": where.volume_omap,
        "volume omap root": where.volume_omap_root,
        "fs root": where.fs_tree[0][0],
        "fs leaf": where.fs_tree[-1][0],
    }[target]
    problems = verify_container(overlay(image, flipped(image, block, offset)))
    assert f"APFS checksum mismatch: {expected.format(block=block)}" in problems
    if target != "checkpoint":  # the only checkpoint is lost: said too, in a second line
        assert len(problems) == 1, problems


def test_a_fs_tree_node_pointing_to_itself_is_a_loop(image: Path, where: Layout) -> None:
    root, _level = where.fs_tree[0]
    root_oid = _u64(_read_block(image, where.volume), 0x88)
    node = _read_block(image, root)
    keys = 56 + struct.unpack_from("<H", node, 40)[0] + struct.unpack_from("<H", node, 42)[0]
    _key_off, _key_len, value_off, _value_len = struct.unpack_from("<4H", node, 56 + 8)  # second child
    changed = rewritten(image, root, BLOCK - 40 - value_off, struct.pack("<Q", root_oid))
    assert keys < BLOCK - 40 - value_off
    problems = verify_container(overlay(image, changed))
    assert problems == [
        f"APFS metadata damaged: fs tree node of volume '{NAME}' at block {root}: reached twice (a loop in the tree)"
    ]


def test_a_node_beyond_the_container_is_reported(image: Path, where: Layout) -> None:
    """The volume object map sends the last fs-tree leaf to a block past the end of the container."""
    node = _read_block(image, where.volume_omap_root)
    count = struct.unpack_from("<I", node, 36)[0]
    assert count >= 2
    _key_off, value_off = struct.unpack_from("<HH", node, 56 + 4 * (count - 1))  # the newest node's
    changed = rewritten(image, where.volume_omap_root, BLOCK - 40 - value_off + 8, struct.pack("<Q", 10**12))
    problems = verify_container(overlay(image, changed))
    assert problems == [
        f"APFS metadata damaged: fs tree node of volume '{NAME}' at block {10**12}: beyond the container (131072 blocks)"
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_garbage_in_the_checkpoint_area(image: Path, where: Layout, seed: int) -> None:
    """Random bytes in every block of the checkpoint descriptor area: reported, no exception."""
    rng = random.Random(seed)
    changed = {
        block: rng.randbytes(BLOCK) for block in range(where.desc_base, where.desc_base + where.desc_blocks)
    }
    problems = verify_container(overlay(image, changed))
    assert problems and all("\n" not in problem for problem in problems)


@pytest.mark.parametrize(
    ("offset", "value"),
    [
        (0x68, struct.pack("<I", 0x7FFFFFFF)),  # checkpoint descriptor blocks
        (0x70, struct.pack("<Q", 2**63 - 1)),  # checkpoint descriptor base
        (0x24, struct.pack("<I", 12345)),  # block size
        (0x20, b"XXXX"),  # magic
    ],
)
def test_hostile_values_in_block_zero(image: Path, offset: int, value: bytes) -> None:
    problems = verify_container(overlay(image, rewritten(image, 0, offset, value)))
    assert problems and problems[0].startswith("APFS metadata damaged")


def test_an_unreadable_container_is_a_problem() -> None:
    def failing(offset: int, size: int) -> bytes:
        raise OSError("EWF chunk 7 checksum mismatch")

    assert verify_container(failing) == [
        "APFS metadata: block 0 cannot be read: EWF chunk 7 checksum mismatch"
    ]
    assert verify_container(lambda offset, size: b"") == [
        "APFS metadata damaged: no container superblock at block 0"
    ]


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_flipped_metadata_byte_is_reported(image: Path, where: Layout, data: st.DataObject) -> None:
    """Whatever byte of a live metadata object changes, something is reported, in one line each,
    quickly, and without an exception."""
    block = data.draw(st.sampled_from(where.metadata()))
    offset = data.draw(st.integers(0, BLOCK - 1))
    mask = data.draw(st.integers(1, 255))
    reads: list[int] = []
    problems = verify_container(overlay(image, flipped(image, block, offset, mask), reads))
    assert problems and all(p and "\n" not in p for p in problems)
    assert len(reads) < 200


def _gpt_disk(container: Path, out: Path) -> tuple[Path, int]:
    """A GPT disk with ``container`` as its one partition at 1 MiB, copied without its holes."""
    size = container.stat().st_size
    with open(out, "wb") as disk:
        disk.truncate(size + 2 * MIB)
    subprocess.run(
        ["sgdisk", "-o", "-n", f"1:2048:+{size // MIB}M", "-t", f"1:{GPT_TYPES['apfs']}", str(out)],
        capture_output=True,
        check=True,
    )
    with open(container, "rb") as source, open(out, "r+b") as disk:
        for chunk in range(size // MIB):
            data = source.read(MIB)
            if data.strip(b"\0"):
                disk.seek(MIB + chunk * MIB)
                disk.write(data)
    return out, MIB


def test_source_reports_damage_in_a_gpt_partition(tree: Path, tmp_path: Path) -> None:
    """The container is verified from its own offset; the problem carries the partition's chain."""
    container = make_apfs_with_files(tree, tmp_path / "mac.apfs", label=NAME)
    leaf = fs_tree_blocks(container)[-1][0]
    disk, start = _gpt_disk(container, tmp_path / "disk.raw")
    with open(disk, "r+b") as handle:
        handle.seek(start + leaf * BLOCK + BLOCK - 100)
        byte = handle.read(1)[0]
        handle.seek(-1, 1)
        handle.write(bytes([byte ^ 0x01]))
    before = fingerprint([disk])
    with open_source(disk) as source:
        files = [entry for entry in source.walk() if entry.type == "file"]
        problems = list(source.problems)
        [gpt] = source.layers().children
        [partition] = gpt.children
    assert len(files) == len(FILES)
    assert [(p.layers, p.reason) for p in problems] == [
        ((partition.label,), f"APFS checksum mismatch: fs tree node of volume '{NAME}' at block {leaf}")
    ]
    assert fingerprint([disk]) == before

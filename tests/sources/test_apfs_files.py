"""APFS with files: workbench.samples.apfs fills an mkapfs container, and a Source lists it as
The Sleuth Kit and the build tree do, apfsck accepts it, and damage to it is reported.

Dual-tool rule for APFS: TSK 4.11.1 opens a volume of an APFS container only when given the block
of its volume superblock (``fls -B``/``icat -B``, read from ``pstat``), so the fls/icat helper here
passes that instead of test_walk's ``-o``. One narrow exception: an empty file has no data stream
(no dstream xfield, as the APFS reference allows and as the writer stores it), and TSK 4.11.1's
``icat`` fails on it ("Attribute 4352 not found"); it counts as empty only when ``istat`` says
"Size: 0" for it. Neither TSK nor the Source lists anything else (no special entries).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import fingerprint, write_tree
from tests.sources.test_more_formats import open_source, tree_files
from tests.sources.test_walk import FLS_LINE, source_files
from workbench.samples.apfs import BLOCK, fs_tree_blocks, make_apfs_with_files
from workbench.sources import EvidenceRef, Source, SourceError, detect
from workbench.sources.apfs_integrity import fletcher64

CHAIN = ("apfs apfs1 SeizedMac", "apfs")
WHEN = 1717250531  # 2024-06-01T14:02:11Z
FILES = {
    "Users/admin/Documents/Kundenliste 2024.csv": b"name,iban\nJ. Doe,DE02120300000000202051\n",
    "Users/admin/Documents/Überweisungen März/Beleg Nr. 1.txt": b"500 EUR an panel-reseller\n",
    "Users/admin/Documents/café menu.txt": b"espresso 2\xe2\x82\xac\n",
    "Users/admin/Desktop/Пароли.txt": b"admin:hunter2\n",
    "Users/admin/Desktop/面板 配置.json": b'{"panel": "iptv.example.invalid"}\n',
    "var/log/nginx/access.log": b'198.51.100.7 - - "GET /get.php HTTP/1.1" 200 512\n' * 2000,  # ~100 KB
    "blob.bin": bytes(range(256)) * 48,  # 12 KB, exactly three blocks
    "a.txt": b"a",
    "empty file.txt": b"",
    **{f"var/log/old/rotated {n}.log": f"line {n}\n".encode() * n for n in range(1, 25)},
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Nested folders, names with spaces and non-ASCII letters, files from 0 bytes to ~100 KB, and an
    empty folder; enough records that the fs tree needs an index level."""
    root = tmp_path_factory.mktemp("apfs") / "tree"
    write_tree(root, FILES)
    (root / "Users/admin/Downloads").mkdir()
    for current, dirs, names in os.walk(root):
        for name in dirs + names:
            os.utime(Path(current) / name, (WHEN, WHEN))
    return root


@pytest.fixture(scope="module")
def image(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_apfs_with_files(tree, tmp_path_factory.mktemp("apfs-image") / "mac.apfs", label="SeizedMac")


def _run(args: list[str]) -> bytes:
    return subprocess.run(args, capture_output=True, check=True).stdout


def _volume_block(image: Path) -> str:
    """The block of the (only) volume superblock, as pstat finds it."""
    [block] = re.findall(r"APSB Block Number: (\d+)", _run(["pstat", str(image)]).decode())
    return block


def _icat(image: Path, block: str, inode: str) -> bytes:
    result = subprocess.run(["icat", "-B", block, str(image), inode], capture_output=True, check=False)
    if result.returncode == 0:
        return result.stdout
    # the one exception of the module docstring: a file without a data stream
    assert b"Attribute 4352 not found" in result.stderr, result.stderr
    assert re.search(rb"^Size:\t0$", _run(["istat", "-B", block, str(image), inode]), re.MULTILINE)
    return b""


def tsk_apfs_files(image: Path) -> set[tuple[str, int, str]]:
    """(path, size, sha256) of every allocated regular file of the first APFS volume by fls + icat."""
    block = _volume_block(image)
    listing = _run(["fls", "-B", block, "-r", "-p", str(image)]).decode("utf-8", "surrogateescape")
    found = set()
    for line in listing.splitlines():
        match = FLS_LINE.match(line)
        if not match or match["type"] != "r/r" or match["deleted"]:
            continue
        content = _icat(image, block, match["inode"])
        found.add((match["path"], len(content), hashlib.sha256(content).hexdigest()))
    return found


def test_files_agree_with_fls_icat_and_the_tree(image: Path, tree: Path) -> None:
    before = fingerprint([image])
    with open_source(image) as source:
        listed = source_files(source, CHAIN)
        assert {e.layers for e in source.walk()} == {CHAIN}
        assert source.problems == []
    assert listed == tsk_apfs_files(image) == tree_files(tree)
    assert len(listed) == len(FILES)
    assert fingerprint([image]) == before


def test_folders_are_listed_too(image: Path, tree: Path) -> None:
    with open_source(image) as source:
        folders = {e.path[1:] for e in source.walk() if e.type == "dir"}
    expected = {str(p.relative_to(tree)) for p in tree.rglob("*") if p.is_dir()}
    fls = _run(["fls", "-B", _volume_block(image), "-r", "-p", "-D", str(image)]).decode()
    matches = [FLS_LINE.match(line) for line in fls.splitlines()]
    assert folders == expected == {match["path"] for match in matches if match}


def test_apfsck_accepts_the_container(image: Path) -> None:
    """Strict mode: no sign of a crash, no unknown feature, nothing odd (file count included)."""
    check = subprocess.run(["apfsck", "-cuw", str(image)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    levels = [level for _block, level in fs_tree_blocks(image)]
    assert levels[0] == 1 and levels.count(0) >= 2  # a real index level above several leaves


def _read_block(image: Path, block: int) -> bytes:
    with open(image, "rb") as handle:
        handle.seek(block * BLOCK)
        return handle.read(BLOCK)


def _flip(image: Path, block: int, offset: int, length: int, mask: int = 0xFF) -> None:
    """XOR bytes of a block with ``mask``, leaving its checksum stale."""
    data = bytearray(_read_block(image, block))
    data[offset : offset + length] = bytes(b ^ mask for b in data[offset : offset + length])
    assert int.from_bytes(data[:8], "little") != fletcher64(data)
    with open(image, "r+b") as handle:
        handle.seek(block * BLOCK)
        handle.write(data)


def _read_all(source: Source) -> tuple[set[tuple[str, int, str]], list[str]]:
    """(path, size, sha256) of every file that could be read, and the one-line errors of the rest."""
    read, errors = set(), []
    for entry in source.walk():
        if entry.type != "file":
            continue
        try:
            with source.open(entry.address) as stream:
                content = stream.read()
        except SourceError as exc:
            errors.append(str(exc))
            continue
        read.add((entry.path[1:], len(content), hashlib.sha256(content).hexdigest()))
    return read, errors


@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_damaged_fs_tree_leaf_is_reported_and_the_rest_listed(
    tree: Path, tmp_path: Path, position: str
) -> None:
    """The start of a written leaf's table of contents is inverted (stale checksum, a record out of
    bounds): the walk reports it in one line, reads nothing false, and never writes the image."""
    image = make_apfs_with_files(tree, tmp_path / "damaged.apfs", label="SeizedMac")
    leaves = [block for block, level in fs_tree_blocks(image) if not level]
    leaf = leaves[{"first": 0, "middle": len(leaves) // 2, "last": -1}[position]]
    _flip(image, leaf, 56, 4)  # key offset and length of the leaf's first record
    before = fingerprint([image])
    with open_source(image) as source:
        read, errors = _read_all(source)
        reasons = [p.reason for p in source.problems]
    assert reasons or errors, "damage not reported"
    assert all(r and "\n" not in r for r in reasons + errors)
    assert read <= tree_files(tree)
    assert fingerprint([image]) == before


def test_changed_record_with_stale_checksum_is_reported(tree: Path, tmp_path: Path) -> None:
    """a.txt's inode says 3 bytes instead of 1 in an otherwise intact node: libfsapfs (and TSK) do not
    verify APFS object checksums and list it, so the Source says the node's checksum is wrong."""
    image = make_apfs_with_files(tree, tmp_path / "resized.apfs", label="SeizedMac")
    name_and_size = b"a.txt\0\0\0" + (1).to_bytes(8, "little")  # name xfield, then the dstream's size
    blocks = [block for block, _level in fs_tree_blocks(image) if name_and_size in _read_block(image, block)]
    if len(blocks) != 1:
        pytest.fail("a.txt's inode record not found")
    _flip(image, blocks[0], _read_block(image, blocks[0]).index(name_and_size) + 8, 1, mask=0x02)
    if "bad checksum" not in subprocess.run(["apfsck", str(image)], capture_output=True, text=True).stdout:
        pytest.fail("apfsck does not see the damage")
    before = fingerprint([image])
    with open_source(image) as source:
        read, _errors = _read_all(source)
        problems = list(source.problems)
    assert [(p.layers, p.reason) for p in problems] == [
        ((), f"APFS checksum mismatch: fs tree node of volume 'SeizedMac' at block {blocks[0]}")
    ], f"listed as fact: {sorted(read - tree_files(tree))}"
    assert ("a.txt", 3, hashlib.sha256(b"a\0\0").hexdigest()) in read  # listed as libfsapfs reads it
    # a pipeline worker opens the evidence without the check: the coordinator's walk reports it once
    with Source(EvidenceRef("EX-01", detect(str(image))), verify_metadata=False) as unchecked:
        assert _read_all(unchecked)[0] == read and unchecked.problems == []
    assert fingerprint([image]) == before

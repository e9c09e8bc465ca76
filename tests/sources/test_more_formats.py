"""ISO 9660, XFS, exFAT, HFS+, LVM and LUKS: listed like the other file systems, checked against a
second tool or against the tree the image was built from; an encrypted volume is skipped without its password
and the rest of the disk is still listed."""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import fingerprint, write_tree
from tests.sources.test_walk import _blkid, source_files, tsk_cli_files
from workbench.samples.hfsplus import make_hfsplus
from workbench.samples.images import (
    make_apfs,
    make_disk,
    make_exfat,
    make_ext4,
    make_fat,
    make_iso,
    make_luks1,
    make_lvm,
    make_xfs,
)
from workbench.sources import EvidenceRef, Source, SourceError, detect

PASSWORD = "correct horse battery staple"


@dataclass
class Built:
    tree: Path
    iso: Path
    xfs: Path
    inner_ext4: Path  # the plain file system that was encrypted into the LUKS volume
    luks_disk: Path  # GPT: p1 plain ext4, p2 LUKS1 holding inner_ext4
    lv_root: Path  # ext4 image of logical volume "root"
    lv_data: Path  # FAT image of logical volume "data"
    lvm_disk: Path  # GPT: p1 an LVM2 physical volume of volume group vg0 holding root and data
    exfat: Path  # exFAT holding the tree, with customers_2024.csv deleted afterwards
    hfsplus: Path  # HFS+ holding the tree (written by workbench.samples.hfsplus)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    base = tmp_path_factory.mktemp("formats")
    tree = base / "tree"
    files = {
        "var/www/panel/config.php": b"<?php $db_pass = 'Xk9#panel'; ?>\n",
        "var/www/panel/index.html": b"<html>panel</html>\n" * 50,
        "home/admin/notes.txt": b"paid 0.5 BTC to bc1q for the servers\n",
        "home/admin/customers_2024.csv": b"user,email\njdoe42,jdoe@example.invalid\n",
        "blob.bin": bytes(range(256)) * 300,
    }
    write_tree(tree, files)
    plain = make_ext4(tree, base / "plain.ext4", 8, label="boot")
    inner = make_ext4(tree, base / "inner.ext4", 16, label="secret")
    luks = make_luks1(inner, base / "volume.luks", PASSWORD)
    disk, _ = make_disk(base / "luks-disk.raw", [(plain, "linux"), (luks, "linux")])
    lv_root = make_ext4(tree, base / "lv_root.ext4", 12, label="root")
    lv_data = make_fat(tree, base / "lv_data.fat", 40)
    physical = make_lvm([("root", lv_root), ("data", lv_data)], base / "pv.img")
    lvm_disk, _ = make_disk(base / "lvm-disk.raw", [(physical, "lvm")])
    iso, xfs = make_iso(tree, base / "disc.iso"), make_xfs(tree, base / "data.xfs")
    exfat = make_exfat(tree, base / "card.exfat", 16, delete=["home/admin/customers_2024.csv"])
    hfsplus = make_hfsplus(tree, base / "mac.hfs", 8, label="SeizedMac")
    return Built(tree, iso, xfs, inner, disk, lv_root, lv_data, lvm_disk, exfat, hfsplus)


def tree_files(tree: Path) -> set[tuple[str, int, str]]:
    """(path, size, sha256) of every file the image was built from."""
    out = set()
    for current, _dirs, names in os.walk(tree):
        for name in names:
            data = (Path(current) / name).read_bytes()
            out.add(
                (str((Path(current) / name).relative_to(tree)), len(data), hashlib.sha256(data).hexdigest())
            )
    return out


def open_source(path: Path, password: str | None = None) -> Source:
    return Source(EvidenceRef("EX-01", detect(str(path)), password=password))


def assert_wrong_password_is_reported(disk: Path, scheme: str) -> None:
    """With a wrong password the encrypted volume is reported as not unlocked; the evidence is unchanged."""
    before = fingerprint([disk])
    with open_source(disk, "wrong") as source:
        list(source.walk())
        assert [p.reason for p in source.problems] == [
            f"encrypted ({scheme}): the given password or recovery key does not unlock it, skipped"
        ]
    assert fingerprint([disk]) == before


def test_iso9660_agrees_with_fls_and_icat(built: Built) -> None:
    with open_source(built.iso) as source:
        assert source_files(source, ("iso9660",)) == tsk_cli_files(built.iso, 0) == tree_files(built.tree)
        assert source.problems == []


def test_xfs_lists_the_tree_it_was_built_from(built: Built) -> None:
    # Debian's Sleuth Kit has no XFS support: the second witness is the tree mkfs.xfs was given.
    with open_source(built.xfs) as source:
        assert source_files(source, ("xfs",)) == tree_files(built.tree)
        assert source.problems == []


def test_luks_without_password_is_skipped_and_the_rest_listed(built: Built) -> None:
    with open_source(built.luks_disk) as source:
        entries = list(source.walk())
        assert {e.layers for e in entries if e.type == "file"} == {("gpt p1 @ 1048576", "ext4")}
        assert [(p.layers[-1], p.reason) for p in source.problems] == [
            ("luks", "encrypted (LUKS): no password given, skipped")
        ]


def test_luks_with_password_agrees_with_fls_on_the_plain_file_system(built: Built) -> None:
    before = fingerprint([built.luks_disk])
    with open_source(built.luks_disk, PASSWORD) as source:
        chain = ("gpt p2 @ 9437184", "luks", "ext4")
        decrypted = source_files(source, chain)
        assert decrypted == tsk_cli_files(built.inner_ext4, 0)
        assert decrypted >= tree_files(built.tree)
        assert source.problems == []
    assert fingerprint([built.luks_disk]) == before


def test_luks_with_wrong_password_says_so(built: Built) -> None:
    with open_source(built.luks_disk, "wrong") as source:
        list(source.walk())
        assert [p.reason for p in source.problems] == [
            "encrypted (LUKS): the given password or recovery key does not unlock it, skipped"
        ]


def test_evidence_add_password_lists_inside_the_volume(built: Built, tmp_path: Path, cli) -> None:
    case = tmp_path / "case"
    cli("case", "init", case, "--number", "F-1", "--title", "formats", "--examiner", "A. Examiner")
    cli(
        "evidence",
        "add",
        case,
        built.luks_disk,
        "--exhibit",
        "EX-09",
        "--description",
        "disk",
        "--password",
        PASSWORD,
    )
    listing = cli("evidence", "ls", case, "EX-09").output
    assert "EX-09 / gpt p2 @ 9437184 / luks / ext4 / home/admin/customers_2024.csv" in listing
    assert PASSWORD not in (case / "custody.jsonl").read_text()


def test_lvm_logical_volumes_agree_with_fls_on_their_images(built: Built) -> None:
    with open_source(built.lvm_disk) as source:
        chains = {e.layers for e in source.walk() if e.type == "file"}
        assert chains == {
            ("gpt p1 @ 1048576", "lvm root", "ext4"),
            ("gpt p1 @ 1048576", "lvm data", "fat32"),
        }
        root = source_files(source, ("gpt p1 @ 1048576", "lvm root", "ext4"))
        data = source_files(source, ("gpt p1 @ 1048576", "lvm data", "fat32"))
        assert root == tsk_cli_files(built.lv_root, 0)
        assert data == tsk_cli_files(built.lv_data, 0)
        assert data >= tree_files(built.tree)
        assert source.problems == []
        entry = source.lookup("EX-01 / gpt p1 @ 1048576 / lvm data / fat32 / home/admin/notes.txt")
        with source.open(entry.address) as stream:
            assert stream.read() == (built.tree / "home/admin/notes.txt").read_bytes()


def test_exfat_agrees_with_fls_and_icat_and_keeps_the_deleted_file(built: Built) -> None:
    deleted = "home/admin/customers_2024.csv"
    fsck = subprocess.run(["fsck.exfat", "-n", str(built.exfat)], capture_output=True, text=True)
    assert fsck.returncode == 0 and "clean" in fsck.stdout, fsck.stdout + fsck.stderr  # a valid exFAT
    with open_source(built.exfat) as source:
        listed = source_files(source, ("exfat",))  # leaves out "$" system files (see test_walk)
        by_fls = tsk_cli_files(built.exfat, 0)
        assert listed == {e for e in by_fls if not e[0].startswith("$")}
        assert {e[0] for e in by_fls if e[0].startswith("$")} == {"$ALLOC_BITMAP", "$UPCASE_TABLE"}
        walked = {e.path for e in source.walk() if e.type == "file"}
        assert {"/$ALLOC_BITMAP", "/$UPCASE_TABLE"} <= walked  # exFAT's own metadata, listed as fls does
        assert listed == {e for e in tree_files(built.tree) if e[0] != deleted}
        gone = [e for e in source.walk(include_deleted=True) if e.path == "/" + deleted]
        assert [e.allocated for e in gone] == [False]
        with source.open(gone[0].address) as stream:
            assert stream.read() == (built.tree / deleted).read_bytes()
        assert source.problems == []


def test_hfsplus_agrees_with_fls_and_icat(built: Built) -> None:
    """fls and the walk both list HFS+'s special files ($CatalogFile …) as files in the root; the
    comparison leaves them out on both sides (source_files drops "$" files without a stream id)
    and checks that exactly these four are what fls adds."""
    specials = {"$ExtentsFile", "$CatalogFile", "$BadBlockFile", "$AllocationFile"}
    with open_source(built.hfsplus) as source:
        listed = source_files(source, ("hfs+",))
        by_fls = tsk_cli_files(built.hfsplus, 0)
        assert {e[0] for e in by_fls if e[0].startswith("$")} == specials
        assert listed == {e for e in by_fls if not e[0].startswith("$")} == tree_files(built.tree)
        walked = {e.path[1:]: e for e in source.walk()}
        assert specials <= set(walked)
        assert walked["var/www/panel"].type == "dir" and walked["home/admin/notes.txt"].mtime
        assert source.layers().children[0].kind == "hfs+"
        assert source.problems == []


def test_hfsplus_catalog_over_many_nodes_agrees_with_fls_and_icat(tmp_path: Path) -> None:
    """Three hundred files: the catalog spans many leaf nodes under an index node."""
    tree = tmp_path / "tree"
    for site in range(12):
        logs = tree / f"site{site:02d}" / "logs"
        logs.mkdir(parents=True)
        for number in range(25):
            (logs / f"Access-{number:03d}.log").write_bytes(f"{site} {number}\n".encode() * (number * 37))
    image = make_hfsplus(tree, tmp_path / "big.hfs", 16)
    with open_source(image) as source:
        listed = source_files(source, ("hfs+",))
        assert source.problems == []
    assert len(listed) == 300
    assert listed == {e for e in tsk_cli_files(image, 0) if not e[0].startswith("$")} == tree_files(tree)


def _catalog_thread_offset(image: bytes, cnid: int) -> int:
    """Where the thread record of catalog node ``cnid`` starts (its key: parent ``cnid``, no name)."""
    catalog_start = int.from_bytes(image[1024 + 272 + 16 : 1024 + 272 + 20], "big") * 4096
    return image.index((6).to_bytes(2, "big") + cnid.to_bytes(4, "big") + b"\0\0", catalog_start)


def test_directory_tsk_cannot_open_is_reported_and_the_rest_listed(built: Built, tmp_path: Path) -> None:
    """A folder whose catalog thread record is damaged: listed by its name (as fls shows "d/-"), its
    contents reported as not listed with TSK's reason, every other file still there."""
    with open_source(built.hfsplus) as source:
        admin = next(e for e in source.walk() if e.path == "/home/admin")
    damaged = bytearray(built.hfsplus.read_bytes())
    record_type = _catalog_thread_offset(bytes(damaged), int(admin.inode or 0)) + 8  # after the key
    damaged[record_type : record_type + 2] = b"\0\x09"  # no such record type
    image = tmp_path / "damaged.hfs"
    image.write_bytes(bytes(damaged))
    before = fingerprint([image])
    with open_source(image) as source:
        entries = {e.path: e for e in source.walk()}
        assert entries["/home/admin"].type == "dir" and entries["/home/admin"].inode == admin.inode
        assert not any(path.startswith("/home/admin/") for path in entries)
        assert "/var/www/panel/config.php" in entries and "/blob.bin" in entries
        [problem] = source.problems
        assert problem.layers == ("hfs+",)
        assert problem.reason.startswith(f"directory /home/admin (inode {admin.inode}) not listed: ")
        assert "unexpected record type 9" in problem.reason
    assert fingerprint([image]) == before


def test_xfs_directory_dfvfs_cannot_read_is_reported_and_the_rest_listed(
    built: Built, tmp_path: Path
) -> None:
    """The dfvfs back-end too: a directory inode with an impossible data fork format (written with
    xfs_db on a copy) is listed, its contents reported as not listed, the rest of the tree kept."""
    damaged = tmp_path / "damaged.xfs"
    damaged.write_bytes(built.xfs.read_bytes())
    found = subprocess.run(
        ["xfs_db", "-r", "-c", "path /home/admin", "-c", "inode", str(damaged)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    inode = found.split()[-1]
    subprocess.run(
        ["xfs_db", "-x", "-c", f"inode {inode}", "-c", "write core.format 7", str(damaged)], check=True
    )
    with open_source(damaged) as source:
        entries = {e.path: e for e in source.walk()}
        assert entries["/home/admin"].type == "dir"
        assert not any(path.startswith("/home/admin/") for path in entries)
        assert {"/var/www/panel/config.php", "/blob.bin"} <= set(entries)
        [problem] = source.problems
        assert problem.layers == ("xfs",)
        assert problem.reason.startswith("directory /home/admin not listed: ")
        assert "unsupported directory data fork type" in problem.reason


def test_apfs_container_volume_and_file_system_are_found(tmp_path: Path) -> None:
    """APFS through dfvfs (libfsapfs): the container, its volume by name and UUID, the file system,
    on an empty volume as mkapfs makes it (test_apfs_files.py fills one)."""
    image = make_apfs(tmp_path / "mac.apfs", label="SeizedMac")
    check = subprocess.run(["apfsck", str(image)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr  # a valid container
    before = fingerprint([image])
    with open_source(image) as source:
        assert [e for e in source.walk() if e.type == "file"] == []
        assert source.problems == []
        [container] = source.layers().children
        [volume] = container.children
        [file_system] = volume.children
    assert container.kind == "apfs-container" and container.details["volumes"] == 1
    assert volume.details["name"] == "SeizedMac" and len(str(volume.details["identifier"])) == 36
    assert file_system.kind == "apfs"
    assert fingerprint([image]) == before


def test_labels_and_uuids_of_the_other_file_systems_agree_with_blkid(built: Built) -> None:
    """XFS (read by dfvfs), exFAT, ISO 9660 and HFS+ (read by TSK) are named as blkid names them."""
    for image in (built.xfs, built.exfat, built.iso, built.hfsplus):
        with open_source(image) as source:
            details = source.layers().children[0].details
        probed = _blkid(image, 0)
        assert details["label"] == probed["LABEL"], image.name
        if "UUID" in probed:
            assert details.get("uuid", details.get("serial")) == probed["UUID"], image.name


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(1024, 160 * 1024), st.integers(1, 255)), min_size=1, max_size=30))
def test_mangled_hfsplus_never_crashes(built: Built, tmp_path: Path, flips: list[tuple[int, int]]) -> None:
    """Byte flips in the volume header, the allocation file and the catalog B-tree: the walk ends
    with what it could list and one-line problems, never a crash or a hang."""
    data = bytearray(built.hfsplus.read_bytes())
    for index, mask in flips:
        data[index] ^= mask
    image = tmp_path / "mangled.hfs"
    image.write_bytes(bytes(data))
    try:
        with open_source(image) as source:
            for entry in source.walk():
                if entry.type == "file":
                    try:
                        with source.open(entry.address) as stream:
                            stream.read()
                    except SourceError as exc:
                        assert "\n" not in str(exc)
            assert all("\n" not in p.reason for p in source.problems)
    except SourceError as exc:
        assert "\n" not in str(exc)
    assert image.read_bytes() == bytes(data)


def test_file_with_a_damaged_huge_size_gives_one_clear_error(built: Built, tmp_path: Path) -> None:
    """An HFS+ file record claiming 128 TiB: reading it all is one SourceError naming the layer,
    not an attempt to allocate the claimed size (reads are asked of the library in bounded steps)."""
    data = bytearray(built.hfsplus.read_bytes())
    key = (2).to_bytes(4, "big") + (8).to_bytes(2, "big") + "blob.bin".encode("utf-16-be")
    record = data.index(key) + len(key)  # the file record follows its key
    data[record + 88 : record + 96] = (1 << 47).to_bytes(8, "big")  # the data fork's logical size
    image = tmp_path / "huge.hfs"
    image.write_bytes(bytes(data))
    with open_source(image) as source:
        blob = next(e for e in source.walk() if e.path == "/blob.bin")
        assert blob.size == 1 << 47
        with source.open(blob.address) as stream, pytest.raises(SourceError) as caught:
            stream.read()
    assert str(caught.value).startswith("EX-01 / hfs+: read error at offset 0") and "\n" not in str(
        caught.value
    )

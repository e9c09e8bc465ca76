"""Evidence images for the sources tests, built once per session with the sample image builders.

Every evidence file is hashed when built; each test checks size and mtime of all of them before
and after (cheap), and the session ends by re-hashing them all: evidence is never written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from workbench.samples import images

FIXED = 1717250531  # 2024-06-01T14:02:11Z


def _write(root: Path, relative: str, data: bytes | str, when: int = FIXED) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    os.utime(path, (when, when))


def _fix_dir_times(root: Path) -> None:
    for current, dirs, _files in os.walk(root):
        for name in dirs:
            os.utime(Path(current) / name, (FIXED, FIXED))
    os.utime(root, (FIXED, FIXED))


@dataclass
class Evidence:
    """Paths of the built test evidence, and their hashes at build time."""

    root: Path
    hashes: dict[Path, str] = field(default_factory=dict)
    stats: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def add(self, *paths: Path) -> None:
        """Record evidence files (their hash and stat) as built."""
        for path in paths:
            self.hashes[path] = hashlib.sha256(path.read_bytes()).hexdigest()
            st = path.stat()
            self.stats[path] = (st.st_size, st.st_mtime_ns)

    def __getattr__(self, name: str) -> Path:
        raise AttributeError(name)


@pytest.fixture(scope="session")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Evidence]:
    """Build every test image once: file systems, disks, containers, archives."""
    base = tmp_path_factory.mktemp("evidence")
    ev = Evidence(base)
    tree = base / "tree"
    _write(tree, "var/www/panel/config.php", "<?php\n$db_user = 'xtream';\n$db_pass = 'S3cr3t!';\n")
    _write(
        tree,
        "var/log/nginx/access.log",
        '198.51.100.7 - - [01/Jun/2024:14:02:11 +0000] "GET /get.php HTTP/1.1" 200 512\n' * 50,
    )
    _write(tree, "etc/hosts", "127.0.0.1 localhost\n")
    _write(tree, "home/admin/notes.txt", "reseller credits: 500\n")
    _write(tree, "srv/media/clip.bin", bytes(range(256)) * 4096)  # 1 MiB, several extents
    _write(tree, "deleted.txt", "customer list draft\n")
    inner = base / "inner"
    _write(inner, "db/users.csv", "id,username,password\n1,jdoe42,Pa55w0rd\n")
    _fix_dir_times(inner)
    zip_tree = base / "ziptree"
    images.make_zip(inner, zip_tree / "db" / "dump.zip")
    _fix_dir_times(zip_tree)
    images.make_tar_gz(zip_tree, tree / "srv" / "backup.tar.gz")
    os.utime(tree / "srv" / "backup.tar.gz", (FIXED, FIXED))
    _fix_dir_times(tree)

    ext4 = images.make_ext4(tree, base / "fs.ext4", 16, label="panel01", delete=["deleted.txt"])
    fat = images.make_fat(tree, base / "fs.fat", 16, fat=16, label="USBSTICK", delete=["deleted.txt"])
    ntfs_tree = base / "ntfstree"
    _write(ntfs_tree, "payments.txt", "wallet bc1qexample\n")
    _write(ntfs_tree, "readme.txt", "nothing to see\n")
    _write(ntfs_tree, "Users/admin/Documents/resellers.csv", "name,credits\nalpha,500\n")
    ntfs = images.make_ntfs(
        ntfs_tree,
        base / "fs.ntfs",
        8,
        label="Data",
        streams={"/readme.txt": {"hidden": b"ADS: panel admin password\n"}},
        hard_links={"/Users/admin/Desktop-resellers.csv": "/Users/admin/Documents/resellers.csv"},
    )
    disk, offsets = images.make_disk(base / "disk.img", [(ext4, "linux"), (fat, "msdata"), (ntfs, "msdata")])
    mbr, _ = images.make_disk(base / "mbr.img", [(ext4, "linux")], scheme="mbr")
    e01 = images.make_e01(disk, base / "e01" / "disk", segment_bytes=8 << 20)
    qcow = images.make_qcow2(disk, base / "disk.qcow2")
    vmdk = images.make_vmdk(disk, base / "disk.vmdk")
    vhd = images.make_vhd(disk, base / "disk.vhd")
    vhdx = images.make_vhd(disk, base / "disk.vhdx", vhdx=True)
    # a differencing VHD over an older state of the disk (the parent lacks one file's change)
    diff_dir = base / "diff"
    diff_dir.mkdir()
    parent = images.make_vhd(mbr, diff_dir / "parent.vhd")
    changed = bytearray(mbr.read_bytes())
    changed[-4096:] = b"\xa5" * 4096
    child_raw = base / "child.raw"
    child_raw.write_bytes(bytes(changed))
    child = images.make_vhd(child_raw, diff_dir / "child.vhd", differencing_parent=parent)
    split_dir = base / "split"
    split_dir.mkdir()
    data = disk.read_bytes()
    for index in range(3):
        (split_dir / f"disk.{index:03d}").write_bytes(
            data[index * len(data) // 3 : (index + 1) * len(data) // 3]
        )
    tar_gz = images.make_tar_gz(tree, base / "evidence.tar.gz")
    zip_path = images.make_zip(tree, base / "evidence.zip")
    dump = base / "dump.sql"
    dump.write_text("INSERT INTO `users` VALUES (1,'jdoe42','Pa55w0rd');\n")

    named = dict(
        tree=tree,
        ext4=ext4,
        fat=fat,
        ntfs=ntfs,
        disk=disk,
        mbr=mbr,
        e01=e01[0],
        qcow2=qcow,
        vmdk=vmdk,
        vhd=vhd,
        vhdx=vhdx,
        diff_parent=parent,
        diff_child=child,
        child_raw=child_raw,
        split=split_dir / "disk.000",
        tar_gz=tar_gz,
        zip=zip_path,
        dump=dump,
    )
    for name, path in named.items():
        object.__setattr__(ev, name, path)
    ev.e01_segments = e01  # type: ignore[attr-defined]
    ev.offsets = offsets  # type: ignore[attr-defined]
    files = [
        p
        for p in (
            ext4,
            fat,
            ntfs,
            disk,
            mbr,
            qcow,
            vmdk,
            vhd,
            vhdx,
            parent,
            child,
            tar_gz,
            zip_path,
            dump,
            *e01,
        )
    ]
    files += sorted(split_dir.iterdir())
    ev.add(*files)
    yield ev
    changed_files = [str(p) for p, h in ev.hashes.items() if hashlib.sha256(p.read_bytes()).hexdigest() != h]
    assert not changed_files, f"evidence modified: {changed_files}"


@pytest.fixture(autouse=True)
def evidence_untouched(request: pytest.FixtureRequest) -> Iterator[None]:
    """Size and mtime of every built evidence file are the same after each test."""
    if "evidence" not in request.fixturenames:
        yield
        return
    ev: Evidence = request.getfixturevalue("evidence")
    yield
    for path, (size, mtime) in ev.stats.items():
        st = path.stat()
        assert (st.st_size, st.st_mtime_ns) == (size, mtime), f"{path} was modified"


def _copy_evidence(paths: list[Path], target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    out = []
    for path in paths:
        shutil.copy(path, target / path.name)
        out.append(target / path.name)
    return out


@pytest.fixture
def copy_evidence() -> Callable[[list[Path], Path], list[Path]]:
    """Copy evidence files into a folder (for tests that damage a copy, never the original)."""
    return _copy_evidence

"""Encrypted APFS: workbench.samples.apfs encrypts a volume with a password as FileVault does on a
Mac without T2 (software encryption), and libfsapfs unlocks it with that password and lists it.

Checked with pyfsapfs directly and through the Source (``evidence add --password``). apfsck is not
used: it answers "Software encryption: not supported."; Debian's TSK 4.11 is built without its APFS
crypto ("apfs: crypto library not loaded"), so no second tool lists the unlocked volume here: the
build tree is the reference. Never ask pyfsapfs for the root directory of a volume that is still
locked: libfsapfs crashes (segmentation fault) on it.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pyfsapfs
import pytest

from tests.conftest import fingerprint, write_tree
from tests.sources.test_more_formats import open_source, tree_files
from tests.sources.test_walk import source_files
from workbench.samples.apfs import make_apfs_with_files
from workbench.samples.apfs_crypto import xts
from workbench.samples.xts import xts_unit
from workbench.sources import LayerNode, Source
from workbench.sources.apfs_integrity import stream_reader, verify_container

PASSWORD = "correct horse battery staple"
SECRET = b"Zugangsdaten Panel: admin / Tr0ub4dor&3 -- unverwechselbar 7f3a9c\n"
SECRET_NAME = "Geheimprotokoll-Quokka.txt"
FILES = {
    f"Users/admin/Documents/{SECRET_NAME}": SECRET,
    "Users/admin/Desktop/Пароли.txt": b"admin:hunter2\n",
    "var/log/access.log": b'198.51.100.7 - - "GET /get.php HTTP/1.1" 200 512\n' * 600,  # ~30 KB
    "blob.bin": bytes(range(256)) * 48,  # exactly three blocks
    "empty file.txt": b"",
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("apfs-enc") / "tree"
    write_tree(root, FILES)
    (root / "Users/admin/Downloads").mkdir()
    return root


@pytest.fixture(scope="module")
def image(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("apfs-enc-image") / "mac.apfs"
    return make_apfs_with_files(tree, out, label="SeizedMac", password=PASSWORD)


@pytest.fixture(scope="module")
def plain_image(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_apfs_with_files(tree, tmp_path_factory.mktemp("apfs-plain") / "mac.apfs", label="SeizedMac")


def _volume(image: Path, password: str | None) -> tuple[pyfsapfs.container, pyfsapfs.volume, bool]:
    """The container, its only volume, and whether it was locked before ``password`` was tried."""
    container = pyfsapfs.container()
    container.open(str(image))
    assert container.number_of_volumes == 1
    volume = container.get_volume(0)
    locked = volume.is_locked()
    if password is not None:
        volume.set_password(password)
        volume.unlock()
    return container, volume, locked


def _files(entry: pyfsapfs.file_entry, prefix: str = "") -> set[tuple[str, int, str]]:
    """(path, size, sha256) of every regular file below a pyfsapfs directory entry."""
    found = set()
    for child in entry.sub_file_entries:
        path = f"{prefix}{child.name}"
        if stat.S_ISDIR(child.file_mode):
            found |= _files(child, path + "/")
        else:
            data = child.read() if child.get_size() else b""
            assert len(data) == child.get_size()
            found.add((path, len(data), hashlib.sha256(data).hexdigest()))
    return found


def test_password_unlocks_and_lists_the_tree(image: Path, tree: Path) -> None:
    before = fingerprint([image])
    container, volume, locked = _volume(image, PASSWORD)
    assert locked
    assert not volume.is_locked()
    assert volume.name == "SeizedMac"
    assert _files(volume.get_root_directory()) == tree_files(tree)
    downloads = volume.get_file_entry_by_path("/Users/admin/Downloads")
    assert stat.S_ISDIR(downloads.file_mode) and downloads.number_of_sub_file_entries == 0
    container.close()
    assert fingerprint([image]) == before


def test_wrong_password_does_not_unlock(image: Path) -> None:
    before = fingerprint([image])
    container, volume, locked = _volume(image, "correct horse battery stapler")
    assert locked and volume.is_locked()
    assert not volume.unlock()
    container.close()
    assert fingerprint([image]) == before


def test_encryption_hides_contents_and_names(image: Path, plain_image: Path) -> None:
    encrypted, plain = image.read_bytes(), plain_image.read_bytes()
    for needle in (SECRET, SECRET_NAME.encode(), "Пароли".encode()):
        assert needle in plain
        assert needle not in encrypted


def test_unencrypted_variant_is_not_locked(plain_image: Path, tree: Path) -> None:
    container, volume, locked = _volume(plain_image, None)
    assert not locked
    assert _files(volume.get_root_directory()) == tree_files(tree)
    container.close()


def test_integrity_check_finds_no_problems(image: Path) -> None:
    """The encrypted fs-tree nodes are skipped; everything else verifies."""
    with open(image, "rb") as handle:
        assert verify_container(stream_reader(handle)) == []


def test_xts_matches_openssl_for_distinct_key_halves() -> None:
    key, data = os.urandom(32), os.urandom(4096)
    expected = b"".join(xts_unit(key, 800 + n, data[n * 512 : (n + 1) * 512]) for n in range(8))
    assert xts(key, 800, data) == expected
    assert xts(key, 800, expected, decrypt=True) == data


VOLUME = "apfs apfs1 SeizedMac"


def _volume_node(source: Source) -> LayerNode:
    [container] = source.layers().children
    [volume] = container.children
    return volume


def test_source_unlocks_with_the_item_password_and_lists_the_tree(image: Path, tree: Path) -> None:
    before = fingerprint([image])
    with open_source(image, password=PASSWORD) as source:
        assert source_files(source, (VOLUME, "apfs")) == tree_files(tree)
        assert source.problems == []
        details = _volume_node(source).details
    assert details["encrypted"] is True and details["unlocked"] is True
    assert fingerprint([image]) == before


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        (None, "encrypted (APFS): no password given, skipped"),
        (
            "correct horse battery stapler",
            "encrypted (APFS): the given password or recovery key does not unlock it, skipped",
        ),
    ],
)
def test_source_without_the_password_reports_the_volume_and_skips_it(
    image: Path, password: str | None, reason: str
) -> None:
    before = fingerprint([image])
    with open_source(image, password=password) as source:
        assert [e for e in source.walk()] == []
        assert [(p.layers, p.reason) for p in source.problems] == [((VOLUME,), reason)]
        details = _volume_node(source).details
    assert details["encrypted"] is True and details["skipped"] is True and "unlocked" not in details
    assert fingerprint([image]) == before

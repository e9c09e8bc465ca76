"""FileVault 2 on Core Storage written by workbench.samples.filevault: libfvde (pyfvde) unlocks the
logical volume with the password and reads back exactly the HFS+ image that was encrypted; through
the workbench Source a Core Storage partition is listed with its password, and skipped (the rest of
the disk still listed) without it or with a wrong one."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyfvde
import pytest

from tests.conftest import fingerprint
from tests.sources.encrypted_disk import (
    PARTITION,
    EncryptedDisk,
    assert_p2_unlocked,
    assert_stays_locked,
    build_encrypted_disk,
    ciphertext_without_marker,
)
from tests.sources.test_more_formats import assert_wrong_password_is_reported, open_source, tree_files
from tests.sources.test_walk import source_files, tsk_cli_files
from workbench.samples.filevault import make_filevault
from workbench.samples.hfsplus import make_hfsplus

# libfvde deprecates the volume-level unlock API (set_password, is_locked, read_buffer on the volume)
# in favour of the logical volumes of the volume group; the brief's first test uses it on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated function:DeprecationWarning")

PASSWORD = "correct horse battery staple"
MARKER = b"FILEVAULT-PLAINTEXT-MARKER-5d21e8"
CORE_STORAGE_GPT_TYPE = "af05"  # sgdisk's code for Apple Core Storage
HFS_SPECIALS = {"$ExtentsFile", "$CatalogFile", "$BadBlockFile", "$AllocationFile"}  # dropped by source_files
LAYERS = (PARTITION, "filevault", "hfs+")  # the logical volume of the Core Storage volume group


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> EncryptedDisk:
    return build_encrypted_disk(
        tmp_path_factory.mktemp("filevault"),
        MARKER,
        lambda tree, base: make_hfsplus(tree, base / "inner.hfs", 8),
        lambda inner, base: make_filevault(inner, base / "volume.raw", password=PASSWORD),
        CORE_STORAGE_GPT_TYPE,
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _libfvde(path: Path, password: str) -> pyfvde.volume:
    volume = pyfvde.volume()
    volume.set_password(password)
    volume.open(str(path))
    return volume


def test_libfvde_unlocks_and_reads_back_the_inner_image(built: EncryptedDisk) -> None:
    volume = _libfvde(built.volume, PASSWORD)
    try:
        assert not volume.is_locked()
        assert volume.get_size() == built.inner.stat().st_size
        assert _sha256(volume.read_buffer(volume.get_size())) == _sha256(built.inner.read_bytes())
    finally:
        volume.close()


def test_libfvde_logical_volume_unlocks_through_the_volume_group(built: EncryptedDisk) -> None:
    volume = pyfvde.volume()
    volume.open(str(built.volume))
    with open(built.volume, "rb") as physical:
        volume.open_physical_volume_files_as_file_objects([physical])
        try:
            group = volume.get_volume_group()
            assert (group.name, group.number_of_physical_volumes, group.number_of_logical_volumes) == (
                "Macintosh HD",
                1,
                1,
            )
            logical = group.get_logical_volume(0)
            assert logical.is_locked()
            logical.set_password(PASSWORD)
            assert logical.unlock()
            assert _sha256(logical.read_buffer_at_offset(logical.size, 0)) == _sha256(
                built.inner.read_bytes()
            )
        finally:
            volume.close()


def test_libfvde_stays_locked_with_a_wrong_password(built: EncryptedDisk) -> None:
    assert_stays_locked(_libfvde(built.volume, "wrong"))


def test_ciphertext_hides_the_plaintext(built: EncryptedDisk) -> None:
    data = ciphertext_without_marker(built, MARKER)
    assert b"com.apple.corestorage.lvg.physicalVolumes" in data  # the group's plist is plain
    for secret in (b"com.apple.corestorage.lv.familyUUID", b"PassphraseWrappedKEKStruct"):
        assert secret not in data  # the logical volume's plists are in the encrypted metadata
    assert data[88:90] == b"CS"
    assert data[-512 + 88 : -512 + 90] == b"CS"  # the header's copy at the end


def test_source_without_password_skips_the_volume_and_lists_the_rest(built: EncryptedDisk) -> None:
    with open_source(built.disk) as source:
        assert {e.layers for e in source.walk() if e.type == "file"} == {("gpt p1 @ 1048576", "ext4")}
        assert [(p.layers, p.reason) for p in source.problems] == [
            (LAYERS[:2], "encrypted (FileVault/Core Storage): no password given, skipped")
        ]
        [_p1, p2] = source.layers().children[0].children
        [logical] = p2.children
        assert logical.details == {"scheme": "FileVault/Core Storage", "skipped": True}


def test_source_with_password_agrees_with_fls_on_the_inner_image(built: EncryptedDisk) -> None:
    before = fingerprint([built.disk])
    with open_source(built.disk, PASSWORD) as source:
        decrypted = source_files(source, LAYERS)
        by_fls = tsk_cli_files(built.inner, 0)
        assert {e[0] for e in by_fls if e[0].startswith("$")} == HFS_SPECIALS
        assert decrypted == {e for e in by_fls if not e[0].startswith("$")} == tree_files(built.tree)
        assert source_files(source, ("gpt p1 @ 1048576", "ext4")) >= tree_files(built.tree)
        assert source.problems == []
        assert_p2_unlocked(source, "filevault", "FileVault/Core Storage", ("hfs+", "Macintosh HD"))
    assert fingerprint([built.disk]) == before


def test_source_with_wrong_password_says_so(built: EncryptedDisk) -> None:
    assert_wrong_password_is_reported(built.disk, "FileVault/Core Storage")


def test_source_opens_the_bare_physical_volume(built: EncryptedDisk) -> None:
    before = fingerprint([built.volume])
    with open_source(built.volume, PASSWORD) as source:
        assert source_files(source, ("filevault", "hfs+")) >= tree_files(built.tree)
        assert source.problems == []
    assert fingerprint([built.volume]) == before


def test_source_with_wrong_password_after_an_unlocked_source_still_referenced(built: EncryptedDisk) -> None:
    """Each evidence item has its own cache of dfvfs objects: a volume another Source unlocked (and
    still holds) is never handed to a Source with a wrong password."""
    with open_source(built.disk, PASSWORD) as unlocked:
        list(unlocked.walk())
    with open_source(built.disk, "wrong") as source:
        assert {e.layers for e in source.walk() if e.type == "file"} == {("gpt p1 @ 1048576", "ext4")}
        assert [p.reason for p in source.problems] == [
            "encrypted (FileVault/Core Storage): the given password or recovery key does not unlock it, skipped"
        ]
    assert unlocked.problems == []  # keeps the first Source alive until here

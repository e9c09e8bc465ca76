"""BitLocker volumes written by workbench.samples.bitlocker: libbde (pybde) unlocks them with the password
or the recovery password and reads back exactly the file system that was encrypted; through the workbench
Source a BitLocker partition is listed with its password, and skipped (the rest of the disk still
listed) without it or with a wrong one."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pybde
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
from workbench.samples.bitlocker import STRETCH_ITERATIONS, make_bitlocker, stretch
from workbench.samples.images import make_ext4
from workbench.sources import EvidenceRef, Source, detect

PASSWORD = "correct horse battery staple"
RECOVERY = "-".join(f"{11 * (1234 + 997 * group):06d}" for group in range(8))  # 48 digits, groups % 11 == 0
MARKER = b"BITLOCKER-PLAINTEXT-MARKER-7f3a9c"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> EncryptedDisk:
    return build_encrypted_disk(
        tmp_path_factory.mktemp("bitlocker"),
        MARKER,
        lambda tree, base: make_ext4(tree, base / "inner.ext4", 16, label="secret"),
        lambda inner, base: make_bitlocker(
            inner, base / "volume.bde", password=PASSWORD, recovery_password=RECOVERY, seed=b"test"
        ),
        "msdata",
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _libbde(path: Path, *, password: str | None = None, recovery: str | None = None) -> pybde.volume:
    volume = pybde.volume()
    if password is not None:
        volume.set_password(password)
    if recovery is not None:
        volume.set_recovery_password(recovery)
    volume.open(str(path))
    return volume


@pytest.mark.parametrize("credential", ["password", "recovery"])
def test_libbde_unlocks_and_reads_back_the_inner_image(built: EncryptedDisk, credential: str) -> None:
    volume = _libbde(built.volume, **{credential: PASSWORD if credential == "password" else RECOVERY})
    try:
        assert not volume.is_locked()
        assert volume.get_encryption_method() == 0x8004  # XTS-AES-128
        assert volume.get_size() == built.inner.stat().st_size
        assert _sha256(volume.read_buffer(volume.get_size())) == _sha256(built.inner.read_bytes())
    finally:
        volume.close()


def test_libbde_stays_locked_with_a_wrong_password(built: EncryptedDisk) -> None:
    assert_stays_locked(_libbde(built.volume, password="wrong"))


def test_ciphertext_hides_the_plaintext(built: EncryptedDisk) -> None:
    data = ciphertext_without_marker(built, MARKER)
    assert data[3:11] == b"-FVE-FS-"
    assert data[:4096].count(b"\0") > 3000  # only the BitLocker header at the start, no ext4 data


def test_stretch_is_the_documented_count() -> None:
    assert STRETCH_ITERATIONS == 0x100000
    assert stretch(bytes(32), bytes(16), 2) != stretch(bytes(32), bytes(16), 1)


def test_source_without_password_skips_the_volume_and_lists_the_rest(built: EncryptedDisk) -> None:
    with open_source(built.disk) as source:
        assert {e.layers for e in source.walk() if e.type == "file"} == {("gpt p1 @ 1048576", "ext4")}
        assert [(p.layers, p.reason) for p in source.problems] == [
            ((PARTITION, "bitlocker"), "encrypted (BitLocker): no password given, skipped")
        ]


@pytest.mark.parametrize("credential", ["password", "recovery"])
def test_source_with_credential_agrees_with_fls_on_the_inner_image(
    built: EncryptedDisk, credential: str
) -> None:
    before = fingerprint([built.disk])
    if credential == "password":
        source = open_source(built.disk, PASSWORD)
    else:
        source = Source(EvidenceRef("EX-01", detect(str(built.disk)), recovery_key=RECOVERY))
    with source:
        decrypted = source_files(source, (PARTITION, "bitlocker", "ext4"))
        assert decrypted == tsk_cli_files(built.inner, 0)
        assert decrypted >= tree_files(built.tree)
        assert source_files(source, ("gpt p1 @ 1048576", "ext4")) >= tree_files(built.tree)
        assert source.problems == []
        assert_p2_unlocked(source, "bitlocker", "BitLocker", ("ext4", "secret"))
    assert fingerprint([built.disk]) == before


def test_source_with_wrong_password_says_so(built: EncryptedDisk) -> None:
    assert_wrong_password_is_reported(built.disk, "BitLocker")


def test_bitlocker_partition_has_no_file_system_of_its_own(built: EncryptedDisk) -> None:
    """BitLocker's header is a FAT32 boot sector by design; dfvfs also finds that "FAT" beside the
    encrypted volume. It holds no files and is not shown: the partition holds the BitLocker layer only."""
    with open_source(built.disk, PASSWORD) as source:
        [_p1, p2] = source.layers().children[0].children
        assert [n.kind for n in p2.children] == ["encrypted"]

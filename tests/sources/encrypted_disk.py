"""The evidence the encrypted-volume tests share: a GPT disk whose p1 is a plain ext4 and whose p2 is
an encrypted volume holding a second file system with the same tree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_tree
from workbench.samples.images import make_disk, make_ext4
from workbench.sources import Source

PARTITION = "gpt p2 @ 9437184"  # where make_disk puts the encrypted volume


@dataclass
class EncryptedDisk:
    tree: Path
    inner: Path  # the plain file system that was encrypted
    volume: Path  # the encrypted volume holding inner
    disk: Path  # GPT: p1 plain ext4, p2 the encrypted volume


def build_encrypted_disk(
    base: Path,
    marker: bytes,
    make_inner: Callable[[Path, Path], Path],
    encrypt: Callable[[Path, Path], Path],
    gpt_type: str,
) -> EncryptedDisk:
    """Write the tree (with ``marker`` in a file), its plain ext4, the inner file system made by
    ``make_inner(tree, base)``, the volume made by ``encrypt(inner, base)``, and the disk."""
    tree = write_tree(
        base / "tree",
        {
            "Users/admin/notes.txt": marker + b": paid 0.5 BTC for the servers\n",
            "Users/admin/customers_2024.csv": b"user,email\njdoe42,jdoe@example.invalid\n",
            "blob.bin": bytes(range(256)) * 300,
        },
    )
    plain = make_ext4(tree, base / "plain.ext4", 8, label="boot")
    inner = make_inner(tree, base)
    volume = encrypt(inner, base)
    disk, offsets = make_disk(base / "disk.raw", [(plain, "linux"), (volume, gpt_type)])
    assert f"gpt p2 @ {offsets[1]}" == PARTITION
    return EncryptedDisk(tree, inner, volume, disk)


def assert_stays_locked(volume: Any) -> None:
    """A libyal volume (pybde, pyfvde) opened with a wrong password: locked, unreadable; then closed."""
    try:
        assert volume.is_locked()
        with pytest.raises(OSError):
            volume.read_buffer(512)
    finally:
        volume.close()


def ciphertext_without_marker(built: EncryptedDisk, marker: bytes) -> bytes:
    """The encrypted volume's bytes, after checking the marker is in the inner image and not in them."""
    assert marker in built.inner.read_bytes()
    data = built.volume.read_bytes()
    assert marker not in data
    return data


def assert_p2_unlocked(source: Source, label: str, scheme: str, file_system: tuple[str, str]) -> None:
    """p2 of the disk holds exactly one encrypted layer, unlocked, and in it one file system:
    ``file_system`` is its (kind, label)."""
    [_p1, p2] = source.layers().children[0].children
    [layer] = p2.children
    assert (layer.kind, layer.label, layer.details) == (
        "encrypted",
        label,
        {"scheme": scheme, "unlocked": True},
    )
    assert [(n.kind, n.details["label"]) for n in layer.children] == [file_system]

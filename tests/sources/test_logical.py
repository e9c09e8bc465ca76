"""Logical evidence: a directory tree and a single file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.sources import EvidenceRef, Source, SourceError, detect


def test_directory_tree(tmp_path: Path) -> None:
    root = tmp_path / "seized"
    (root / "www").mkdir(parents=True)
    (root / "www" / "config.php").write_text("<?php $x=1;\n")
    os.utime(root / "www" / "config.php", ns=(1717250531_123456789, 1717250531_123456789))
    (root / "loop").symlink_to(root)  # a directory loop through a symlink
    (root / "escape").symlink_to("/etc/passwd")
    (root / os.fsdecode(b"bad\xffname")).write_text("x")
    with Source(EvidenceRef("EX-02", detect(str(root)))) as source:
        entries = {e.path: e for e in source.walk()}
        assert set(entries) == {"/www", "/www/config.php", "/loop", "/escape", "/bad\\xffname"}
        config = entries["/www/config.php"]
        assert config.layers == ("dir",)
        assert config.location == "EX-02 / dir / www/config.php"
        assert config.inode == str((root / "www" / "config.php").stat().st_ino)
        assert config.mtime == "2024-06-01T14:02:11.123456789Z"
        assert entries["/loop"].type == "symlink" and entries["/escape"].type == "symlink"
        with source.open(config.address) as stream:
            assert stream.read() == b"<?php $x=1;\n"
        with source.open(entries["/escape"].address) as stream:
            assert stream.read() == b"/etc/passwd"  # the link target, never the file it points to
        with source.open(entries["/bad\\xffname"].address) as stream:
            assert stream.read() == b"x"
        assert source.lookup("EX-02 / dir / www/config.php") == config
        assert source.problems == []


def test_single_file(evidence) -> None:
    with Source(EvidenceRef("EX-03", detect(str(evidence.dump)))) as source:
        entries = list(source.walk())
        assert [(e.layers, e.path) for e in entries] == [(("file",), "/dump.sql")]
        with source.open(entries[0].address) as stream:
            assert b"jdoe42" in stream.read()


def test_missing_file_in_tree(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    with Source(EvidenceRef("EX-02", detect(str(tmp_path)))) as source:
        entry = next(iter(source.walk()))
        (tmp_path / "a.txt").unlink()
        with pytest.raises(SourceError, match="cannot open"):
            source.open(entry.address)


def test_unreadable_directory_is_reported_and_the_rest_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory the examiner's account may not read (simulated: the tests run as root, who reads
    everything) is listed, reported with the reason, and the walk goes on."""
    import workbench.sources.logical as logical

    root = tmp_path / "seized"
    (root / "private").mkdir(parents=True)
    (root / "private" / "keys.txt").write_text("secret")
    (root / "www").mkdir()
    (root / "www" / "index.php").write_text("<?php")
    real_scandir = os.scandir

    def scandir(path: bytes) -> object:
        if path.endswith(b"/private"):
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(logical.os, "scandir", scandir)
    with Source(EvidenceRef("EX-02", detect(str(root)))) as source:
        assert {e.path for e in source.walk()} == {"/private", "/www", "/www/index.php"}
        assert [(p.layers, p.reason) for p in source.problems] == [
            (("dir",), "directory /private not listed: Permission denied")
        ]

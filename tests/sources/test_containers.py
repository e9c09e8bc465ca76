"""Container detection and media streams: every format, its segments, metadata and failures."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from workbench.sources import FORMATS, SourceError, detect, open_media


def _sha256_stream(stream) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def _sha256_file(path: Path, size: int | None = None) -> str:
    data = path.read_bytes()
    return hashlib.sha256(data if size is None else data[:size].ljust(size, b"\0")).hexdigest()


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("disk", "raw"),
        ("ext4", "raw"),
        ("e01", "ewf"),
        ("qcow2", "qcow2"),
        ("vmdk", "vmdk"),
        ("vhd", "vhd"),
        ("vhdx", "vhdx"),
        ("split", "split-raw"),
        ("tar_gz", "gz"),
        ("zip", "zip"),
        ("dump", "file"),
        ("tree", "directory"),
    ],
)
def test_detect_formats(evidence, name: str, fmt: str) -> None:
    info = detect(str(getattr(evidence, name)))
    assert info.format == fmt
    assert info.format in FORMATS


@pytest.mark.parametrize("name", ["e01", "qcow2", "vmdk", "vhd", "vhdx", "split", "disk"])
def test_media_is_the_disk(evidence, name: str) -> None:
    info = detect(str(getattr(evidence, name)))
    disk_size = evidence.disk.stat().st_size
    assert info.media_size is not None and info.media_size >= disk_size
    with open_media(info) as media:
        assert _sha256_stream(media) == _sha256_file(evidence.disk, info.media_size)
        media.seek(evidence.offsets[0] + 1080)
        assert media.read(2) == b"\x53\xef"  # ext4 magic of partition 1, read after a seek
        assert media.tell() == evidence.offsets[0] + 1082


def test_ewf_segments_metadata_and_hashes(evidence) -> None:
    info = detect(str(evidence.e01))
    assert info.paths == tuple(str(p) for p in evidence.e01_segments)
    assert len(info.paths) >= 2
    assert info.stored_hashes["md5"] == hashlib.md5(evidence.disk.read_bytes()).hexdigest()
    assert info.stored_hashes["sha1"] == hashlib.sha1(evidence.disk.read_bytes()).hexdigest()
    assert info.details["case_number"] == "CASE-2024-0042"
    assert info.details["examiner"] == "J. Doe"
    assert info.details["description"] == "Seized server disk"
    assert info.details["acquiry_date"]


def test_ewf_detected_from_any_segment(evidence) -> None:
    assert detect(str(evidence.e01_segments[1])).paths == tuple(str(p) for p in evidence.e01_segments)


def test_ewf_missing_middle_segment(evidence, tmp_path: Path, copy_evidence) -> None:
    copies = copy_evidence(evidence.e01_segments, tmp_path)
    copies[2].unlink()
    with pytest.raises(SourceError) as err:
        detect(str(copies[0]))
    assert "missing segment disk.E03" in str(err.value)
    assert "\n" not in str(err.value)


def test_ewf_missing_last_segment(evidence, tmp_path: Path, copy_evidence) -> None:
    copies = copy_evidence(evidence.e01_segments, tmp_path)
    copies[-1].unlink()
    with pytest.raises(SourceError, match=f"missing segment disk.E{len(copies):02d}"):
        detect(str(copies[0]))


def test_ewf_corrupt_chunk_is_an_error_with_offset(evidence, tmp_path: Path, copy_evidence) -> None:
    copies = copy_evidence(evidence.e01_segments, tmp_path)
    damaged = bytearray(copies[1].read_bytes())
    damaged[200_000:200_064] = bytes(b ^ 0xFF for b in damaged[200_000:200_064])
    copies[1].write_bytes(bytes(damaged))
    info = detect(str(copies[0]))
    with (
        open_media(info) as media,
        pytest.raises(SourceError, match=r"corrupt EWF chunk \d+ \(media offset \d+"),
    ):
        while media.read(1 << 20):
            pass


def test_split_raw_alpha_and_missing(evidence, tmp_path: Path) -> None:
    data = evidence.disk.read_bytes()
    third = len(data) // 3
    for index, suffix in enumerate(("aa", "ab", "ac")):
        (tmp_path / f"img.{suffix}").write_bytes(
            data[index * third : (index + 1) * third if index < 2 else None]
        )
    info = detect(str(tmp_path / "img.ab"))
    assert info.format == "split-raw"
    assert [Path(p).name for p in info.paths] == ["img.aa", "img.ab", "img.ac"]
    assert info.details["segment_sizes"] == [third, third, len(data) - 2 * third]
    (tmp_path / "img.ab").unlink()
    with pytest.raises(SourceError, match=r"missing segment img\.ab"):
        detect(str(tmp_path / "img.aa"))


def test_differencing_vhd_with_parent(evidence) -> None:
    info = detect(str(evidence.diff_child))
    assert info.format == "vhd"
    assert info.details["disk_type"] == "differencing"
    assert info.details["parent"] == str(evidence.diff_parent)
    assert info.paths == (str(evidence.diff_child),)
    with open_media(info) as media:
        assert _sha256_stream(media) == _sha256_file(evidence.child_raw, info.media_size)


def test_differencing_vhd_without_parent(evidence, tmp_path: Path) -> None:
    lonely = tmp_path / "child.vhd"
    shutil.copy(evidence.diff_child, lonely)
    with pytest.raises(SourceError, match=r"parent parent\.vhd not found beside it"):
        detect(str(lonely))


def test_missing_path_and_directory_media(evidence, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or directory"):
        detect(str(tmp_path / "nope.E01"))
    with pytest.raises(SourceError, match="directory has no media stream"):
        open_media(detect(str(evidence.tree)))


def test_claimed_extension_without_signature(tmp_path: Path) -> None:
    fake = tmp_path / "seized.E01"
    fake.write_bytes(b"this is not an expert witness file\n" * 10)
    with pytest.raises(SourceError, match="unknown format: named like ewf"):
        detect(str(fake))


def test_content_wins_over_extension(evidence, tmp_path: Path) -> None:
    renamed = tmp_path / "holiday.jpg"
    shutil.copy(evidence.qcow2, renamed)
    assert detect(str(renamed)).format == "qcow2"


def test_media_stream_is_read_only(evidence) -> None:
    with open_media(detect(str(evidence.e01))) as media, pytest.raises(OSError):
        media.write(b"x")

"""The NTFS sample builder's libntfs-3g helper: clear errors, and an image TSK still reads after one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from workbench.samples import images
from workbench.samples.ntfs3g import NtfsError, NtfsVolume


def test_not_ntfs_is_refused_naming_the_image(tmp_path: Path) -> None:
    blank = tmp_path / "blank.img"
    blank.write_bytes(b"\0" * (1 << 20))
    with pytest.raises(NtfsError, match=r"blank\.img: libntfs-3g cannot open the volume"):
        NtfsVolume(blank)


def test_bad_link_is_refused_and_the_volume_stays_readable(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "docs").mkdir(parents=True)
    (tree / "docs" / "a.txt").write_text("alpha\n")
    image = images.make_ntfs(tree, tmp_path / "fs.ntfs", 8)
    with NtfsVolume(image) as volume:
        with pytest.raises(NtfsError, match=r"no /docs/missing\.txt in the volume"):
            volume.link("/docs/missing.txt", "/b.txt")
        with pytest.raises(NtfsError, match=r"no /nowhere in the volume"):
            volume.mkdir("/nowhere/deeper")
    listing = subprocess.run(
        ["fls", "-r", "-p", str(image)], capture_output=True, check=True, text=True
    ).stdout
    assert "docs/a.txt" in listing and "b.txt" not in listing

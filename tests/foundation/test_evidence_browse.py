"""`evidence ls | cat | info` on a FAT image with a deleted file: what an examiner browses before processing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import RunCli, fingerprint


@pytest.fixture(scope="module")
def fat_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench.samples.images import make_fat

    base = tmp_path_factory.mktemp("fat")
    tree = base / "tree"
    (tree / "panel").mkdir(parents=True)
    (tree / "panel" / "config.ini").write_text("[XUI]\nhostname = 127.0.0.1\n")
    (tree / "customers.csv").write_text(
        "email,username,expires\nm.rossi@mail.invalid,client_0417,2024-07-01\n"
    )
    return make_fat(tree, base / "usb.raw", 16, fat=16, label="USB", delete=["customers.csv"])


def test_ls_info_and_cat(new_case: Path, fat_image: Path, tmp_path: Path, cli: RunCli) -> None:
    before = fingerprint([fat_image])
    cli("evidence", "add", new_case, fat_image, "--exhibit", "EX-02", "--description", "USB stick")
    listing = cli("evidence", "ls", new_case, "EX-02").output
    assert "EX-02 / fat16 / panel/config.ini" in listing or "panel/config.ini" in listing
    deleted = cli("evidence", "ls", new_case, "EX-02", "--deleted", "--json").output.splitlines()
    rows = [json.loads(line) for line in deleted]
    assert any(r["path"].lower().endswith("ustomers.csv") and not r["allocated"] for r in rows)
    long_listing = cli("evidence", "ls", new_case, "EX-02", "--long").output
    assert "DELETED" in long_listing
    info = cli("evidence", "info", new_case, "EX-02").output
    assert "fat" in info.lower() and "label=" in info and "serial=" in info and "block_size=512" in info
    config = next(
        json.loads(line)
        for line in cli("evidence", "ls", new_case, "EX-02", "--json").output.splitlines()
        if json.loads(line)["path"].endswith("config.ini")
    )
    out = tmp_path / "config.ini"
    cli("evidence", "cat", new_case, "EX-02", config["location"], "--out", out)
    assert out.read_text() == "[XUI]\nhostname = 127.0.0.1\n"
    shown = cli("evidence", "cat", new_case, "EX-02", config["location"]).output
    assert "hostname = 127.0.0.1" in shown
    actions = [json.loads(x)["action"] for x in (new_case / "custody.jsonl").read_text().splitlines()]
    assert actions[-1] == "export"
    assert fingerprint([fat_image]) == before


def test_cat_of_an_unknown_location_is_one_clear_line(new_case: Path, fat_image: Path, cli: RunCli) -> None:
    cli("evidence", "add", new_case, fat_image, "--exhibit", "EX-02", "--description", "USB stick")
    result = cli("evidence", "cat", new_case, "EX-02", "EX-02 / fat16 / nope.txt", expect=2)
    assert result.output.startswith("error:") and "nope.txt" in result.output
    result = cli("evidence", "ls", new_case, "EX-09", expect=2)
    assert "EX-09" in result.output


def test_cat_of_a_file_listed_larger_than_the_evidence_stops_at_the_evidence_size(
    new_case: Path, tmp_path: Path, cli: RunCli
) -> None:
    """An inode claiming 1 PiB (debugfs on a built image): cat writes no more than the evidence
    holds, warns, and the export custody event records the cut."""
    import subprocess

    from workbench.samples.images import make_ext4

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "claims-a-petabyte.bin").write_bytes(b"real bytes\n")
    image = make_ext4(tree, tmp_path / "fs.ext4", 8)
    subprocess.run(
        ["debugfs", "-w", "-R", f"sif /claims-a-petabyte.bin size {1 << 50}", str(image)], check=True
    )
    cli("evidence", "add", new_case, image, "--exhibit", "EX-03", "--description", "damaged inode")
    out = tmp_path / "out.bin"
    result = cli("evidence", "cat", new_case, "EX-03", "EX-03 / ext4 / claims-a-petabyte.bin", "--out", out)
    assert out.stat().st_size == image.stat().st_size
    assert out.read_bytes().startswith(b"real bytes\n")
    assert f"listed size {1 << 50} exceeds the evidence's {image.stat().st_size} bytes" in result.output
    event = json.loads((new_case / "custody.jsonl").read_text().splitlines()[-1])
    assert (
        event["action"] == "export" and event["details"]["truncated_at_evidence_size"] == image.stat().st_size
    )

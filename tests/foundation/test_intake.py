"""Evidence intake: one-pass hashes equal the coreutils tools, E01 stored hashes, bad input, nothing written."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import RunCli, fingerprint

needs_ewf = pytest.mark.skipif(shutil.which("ewfacquire") is None, reason="ewf-tools not installed")


def _tool_hash(tool: str, path: Path) -> str:
    return subprocess.run([tool, str(path)], check=True, capture_output=True, text=True).stdout.split()[0]


@pytest.fixture(scope="module")
def raw_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 8 MiB raw image with an ext4 file system holding a few files."""
    from workbench.samples.images import make_ext4

    root = tmp_path_factory.mktemp("raw")
    tree = root / "tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "hostname").write_text("panel01\n")
    rng = random.Random(7)
    (tree / "data.bin").write_bytes(bytes(rng.getrandbits(8) for _ in range(200_000)))
    return make_ext4(tree, root / "disk.raw", 8, label="root")


@pytest.fixture(scope="module")
def e01_image(raw_image: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench.samples.images import make_e01

    out = tmp_path_factory.mktemp("e01") / "disk"
    segments = make_e01(
        raw_image,
        out,
        segment_bytes=3 * 1024 * 1024,
        case_number="2026-ISOP-001",
        examiner="A. Examiner",
        description="test disk",
    )
    return segments[0]


def _evidence(case_dir: Path) -> list[dict]:
    db = sqlite3.connect(case_dir / "case.sqlite")
    db.row_factory = sqlite3.Row
    return [dict(r) for r in db.execute("SELECT * FROM evidence")]


def test_raw_intake_hashes_equal_coreutils_and_evidence_is_unchanged(
    new_case: Path, raw_image: Path, cli: RunCli
) -> None:
    before = fingerprint([raw_image])
    sha256 = _tool_hash("sha256sum", raw_image)
    result = cli(
        "evidence",
        "add",
        new_case,
        raw_image,
        "--exhibit",
        "EX-01",
        "--description",
        "panel disk",
        "--seized-by",
        "PC Smith",
        "--seized-at",
        "2024-06-02T06:00:00Z",
        "--seal",
        "A123",
        "--expected-sha256",
        sha256,
    )
    item = _evidence(new_case)[0]
    assert item["md5"] == _tool_hash("md5sum", raw_image)
    assert item["sha1"] == _tool_hash("sha1sum", raw_image)
    assert item["sha256"] == sha256
    assert item["format"] == "raw" and item["size"] == raw_image.stat().st_size
    assert "sha256 expected (given at intake): match" in result.output
    assert fingerprint([raw_image]) == before
    cli("evidence", "verify", new_case, "EX-01")
    assert fingerprint([raw_image]) == before
    actions = [json.loads(line)["action"] for line in (new_case / "custody.jsonl").read_text().splitlines()]
    assert actions == ["case.init", "evidence.add", "evidence.verify"]


@needs_ewf
def test_e01_intake_hashes_the_decoded_media_and_checks_stored_hashes(
    new_case: Path, raw_image: Path, e01_image: Path, cli: RunCli
) -> None:
    segments = sorted(e01_image.parent.glob("disk.E*"))
    assert len(segments) >= 2, "the test wants a multi-segment E01"
    before = fingerprint(segments)
    result = cli("evidence", "add", new_case, e01_image, "--exhibit", "EX-01", "--description", "E01")
    item = _evidence(new_case)[0]
    assert item["format"] == "ewf" and len(json.loads(item["paths"])) == len(segments)
    assert item["md5"] == _tool_hash("md5sum", raw_image)
    assert item["sha1"] == _tool_hash("sha1sum", raw_image)
    assert item["sha256"] == _tool_hash("sha256sum", raw_image)
    stored = json.loads(item["stored_hashes"])
    assert stored["md5"] == item["md5"]
    assert "md5 stored in container: match" in result.output
    assert fingerprint(segments) == before


@needs_ewf
def test_flipped_byte_in_an_e01_chunk_is_reported(
    new_case: Path, e01_image: Path, tmp_path: Path, cli: RunCli
) -> None:
    copy_dir = tmp_path / "bad"
    copy_dir.mkdir()
    for seg in e01_image.parent.glob("disk.E*"):
        shutil.copy(seg, copy_dir / seg.name)
    first = copy_dir / "disk.E01"
    data = bytearray(first.read_bytes())
    # Flip a byte well inside the chunk data (past the header sections), not in the metadata.
    position = len(data) // 2
    data[position] ^= 0xFF
    first.write_bytes(bytes(data))
    result = cli(
        "evidence", "add", new_case, first, "--exhibit", "EX-09", "--description", "tampered", expect=None
    )
    if result.exit_code == 0:
        assert "MISMATCH" in result.output
        custody_actions = [
            json.loads(x)["action"] for x in (new_case / "custody.jsonl").read_text().splitlines()
        ]
        assert "evidence.hash_mismatch" in custody_actions
    else:
        assert result.exit_code == 2 and "disk.E01" in result.output


@needs_ewf
def test_missing_e01_segment_is_a_clear_error(
    new_case: Path, e01_image: Path, tmp_path: Path, cli: RunCli
) -> None:
    copy_dir = tmp_path / "partial"
    copy_dir.mkdir()
    shutil.copy(e01_image.parent / "disk.E01", copy_dir / "disk.E01")
    result = cli(
        "evidence",
        "add",
        new_case,
        copy_dir / "disk.E01",
        "--exhibit",
        "EX-02",
        "--description",
        "d",
        expect=2,
    )
    assert "E02" in result.output and "error:" in result.output
    assert _evidence(new_case) == []


def test_directory_evidence_gets_a_manifest_hash(new_case: Path, tmp_path: Path, cli: RunCli) -> None:
    tree = tmp_path / "dump"
    (tree / "sql").mkdir(parents=True)
    (tree / "sql" / "users.sql").write_text("INSERT INTO users VALUES (1,'a');\n")
    (tree / "readme.txt").write_text("provider dump\n")
    before = fingerprint([tree])
    cli("evidence", "add", new_case, tree, "--exhibit", "EX-03", "--description", "provider dump")
    item = _evidence(new_case)[0]
    manifest = json.loads(item["manifest"])
    assert [row[0] for row in manifest] == ["readme.txt", "sql/users.sql"]
    assert item["format"] == "directory"
    cli("evidence", "verify", new_case)
    (tree / "sql" / "users.sql").write_text("INSERT INTO users VALUES (1,'b');\n")
    result = cli("evidence", "verify", new_case, expect=1)
    assert "sql/users.sql" in result.output
    assert fingerprint([tree]).keys() == before.keys()


def test_wrong_expected_hash_is_recorded_warned_and_listed(
    new_case: Path, raw_image: Path, cli: RunCli
) -> None:
    result = cli(
        "evidence",
        "add",
        new_case,
        raw_image,
        "--exhibit",
        "EX-01",
        "--description",
        "d",
        "--expected-md5",
        "0" * 32,
    )
    assert "WARNING" in result.output and "MISMATCH" in result.output
    listing = cli("evidence", "list", new_case)
    assert "HASH MISMATCH" in listing.output
    actions = [json.loads(x)["action"] for x in (new_case / "custody.jsonl").read_text().splitlines()]
    assert actions[-1] == "evidence.hash_mismatch"


@pytest.mark.parametrize(
    "make_args, message",
    [
        (
            lambda case, img, tmp: [case, tmp / "nope.raw", "--exhibit", "EX-1", "--description", "d"],
            "nope.raw",
        ),
        (
            lambda case, img, tmp: [tmp / "not-a-case", img, "--exhibit", "EX-1", "--description", "d"],
            "not-a-case",
        ),
        (
            lambda case, img, tmp: [
                case,
                img,
                "--exhibit",
                "EX-1",
                "--description",
                "d",
                "--expected-sha256",
                "xyz",
            ],
            "--expected-sha256",
        ),
    ],
)
def test_bad_input_is_one_line_and_nothing_is_written(
    new_case: Path, raw_image: Path, tmp_path: Path, cli: RunCli, make_args, message
) -> None:  # type: ignore[no-untyped-def]
    custody_before = (new_case / "custody.jsonl").read_text()
    (tmp_path / "not-a-case").mkdir()
    result = cli("evidence", "add", *make_args(new_case, raw_image, tmp_path), expect=2)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]
    assert (new_case / "custody.jsonl").read_text() == custody_before
    assert _evidence(new_case) == []


def test_unreadable_file_is_a_clear_error(new_case: Path, tmp_path: Path, cli: RunCli) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    target = tmp_path / "locked.raw"
    target.write_bytes(b"\0" * 4096)
    target.chmod(0)
    cli("evidence", "add", new_case, target, "--exhibit", "EX-1", "--description", "d", expect=2)


def test_same_exhibit_twice_is_refused(new_case: Path, raw_image: Path, cli: RunCli) -> None:
    cli("evidence", "add", new_case, raw_image, "--exhibit", "EX-01", "--description", "d")
    result = cli("evidence", "add", new_case, raw_image, "--exhibit", "EX-01", "--description", "d", expect=2)
    assert "EX-01" in result.output and "already" in result.output
    assert len(_evidence(new_case)) == 1


def test_unknown_format_and_empty_files_are_refused(new_case: Path, tmp_path: Path, cli: RunCli) -> None:
    fake = tmp_path / "disk.E01"
    fake.write_bytes(b"this is not an EWF file" * 100)
    result = cli("evidence", "add", new_case, fake, "--exhibit", "EX-1", "--description", "d", expect=2)
    assert "disk.E01" in result.output and "unknown format" in result.output
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    result = cli("evidence", "add", new_case, empty, "--exhibit", "EX-1", "--description", "d", expect=2)
    assert "empty.bin" in result.output and "empty" in result.output
    assert _evidence(new_case) == []


def test_case_init_refuses_a_non_empty_directory_and_show_prints_the_case(
    tmp_path: Path, cli: RunCli, new_case: Path
) -> None:
    result = cli("case", "init", new_case, "--number", "X", "--title", "T", "--examiner", "E", expect=2)
    assert "not an empty directory" in result.output
    shown = cli("case", "show", new_case)
    assert "2026-ISOP-001" in shown.output and "Europe/Lisbon" in shown.output
    result = cli(
        "case",
        "init",
        tmp_path / "c2",
        "--number",
        "X",
        "--title",
        "T",
        "--examiner",
        "E",
        "--timezone",
        "Mars/Olympus",
        expect=2,
    )
    assert "Mars/Olympus" in result.output and not (tmp_path / "c2" / "case.sqlite").exists()


def test_version_names_the_forensic_libraries(cli: RunCli) -> None:
    out = cli("--version").output
    for name in ("libtsk", "libewf", "yara", "libmagic", "dfvfs"):
        assert name in out


def test_examiner_of_an_event_can_be_named_per_command(new_case: Path, raw_image: Path, cli: RunCli) -> None:
    cli(
        "--examiner",
        "B. Second",
        "evidence",
        "add",
        new_case,
        raw_image,
        "--exhibit",
        "EX-01",
        "--description",
        "d",
    )
    cli("evidence", "verify", new_case, env={"WORKBENCH_EXAMINER": "C. Third"})
    events = [json.loads(x) for x in (new_case / "custody.jsonl").read_text().splitlines()]
    assert [e["examiner"] for e in events] == ["A. Examiner", "B. Second", "C. Third"]

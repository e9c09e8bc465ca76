"""File types: the workbench's libmagic answers agree with the `file` command on the same bytes."""

from __future__ import annotations

import gzip
import json
import random
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import fingerprint, write_tree
from tests.pipeline.test_process import make_case, wb
from workbench.filetype import MAGIC_BYTES, Content, file_type
from workbench.samples.images import make_ext4, make_iso


def file_cli(path: Path) -> tuple[str, str]:
    """What `file` (same libmagic, default settings) says of a file: MIME type and description."""
    mime = subprocess.run(["file", "-b", "--mime-type", str(path)], capture_output=True, text=True)
    desc = subprocess.run(["file", "-b", str(path)], capture_output=True, text=True)
    return mime.stdout.strip(), desc.stdout.strip()


def test_the_byte_budget_is_libmagics_default() -> None:
    """MAGIC_BYTES is what `file` reads by default, so the answers are `file`'s without options."""
    import magic

    cookie = magic.magic_open(magic.MAGIC_NONE)
    assert magic.magic_load(cookie, None) == 0
    assert magic.magic_getparam(cookie, magic.MAGIC_PARAM_BYTES_MAX) == MAGIC_BYTES


def _log_lines(rng: random.Random, count: int) -> bytes:
    return "".join(
        f'198.51.100.{rng.randint(1, 254)} - - [01/Jan/2024:00:00:{i % 60:02d} +0000] "GET /live/u{i}/p/{i}.ts HTTP/1.1" 200 {rng.randint(100, 99999)}\n'
        for i in range(count)
    ).encode()


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files whose libmagic answer needs more than the first bytes, and the plugin types."""
    root = tmp_path_factory.mktemp("types") / "tree"
    rng = random.Random(7)
    files = {
        "var/log/nginx/access.log.2.gz": gzip.compress(_log_lines(rng, 3000), mtime=1704067200),
        "var/log/nginx/access.log.3.gz": gzip.compress(_log_lines(rng, 20), mtime=1704067200),
        # larger than twice libmagic's byte budget: typed from its edges with a hole between
        "srv/backup/panel.tar.gz": gzip.compress(rng.randbytes(16 << 20), mtime=1704067200),
        "usr/local/bin/panel-agent": Path(
            shutil.which("ls") or "/bin/ls"
        ).read_bytes(),  # ELF: libmagic reads its headers through the descriptor
        "srv/backup/customers.csv": b"user,email,expires\n"
        + b"".join(b"jdoe%d,jdoe%d@example.invalid,2024-06-01\n" % (i, i) for i in range(40)),
        "var/www/panel/config.php": b"<?php\n$db_pass = 'Xk9#panel';\n",
        "var/www/panel/api.json": json.dumps(
            {"user_info": {"username": "jdoe", "status": "Active"}}
        ).encode(),
        "home/admin/notes.txt": "Überweisung an den Reseller: 120 €\n".encode(),
    }
    write_tree(root, files)
    # an ISO 9660 image: its magic lies at 32 KiB, past a small byte budget
    make_iso(root / "home/admin", root / "srv/media/season1.iso", label="SEASON1")
    return root


def test_whole_content_is_typed_as_file_types_the_file(tree: Path) -> None:
    """Given all of a file's bytes, the answer is `file`'s, including what libmagic reads at the
    file's end (gzip's original size) and past its first bytes (ELF program headers)."""
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        data = path.read_bytes()
        assert file_type(Content(len(data), data)) == file_cli(path), path
    assert file_cli(tree / "srv/media/season1.iso")[1].startswith("ISO 9660 CD-ROM filesystem data")
    big_log = tree / "var/log/nginx/access.log.2.gz"
    unpacked = len(gzip.decompress(big_log.read_bytes()))
    assert file_cli(big_log)[1].endswith(f"original size modulo 2^32 {unpacked}")


def test_head_and_tail_keep_the_answer_that_needs_the_end(tree: Path) -> None:
    """A file too large to hold: its first and last MAGIC_BYTES still give `file`'s answer where the
    magic reads only those (gzip); ELF's deeper readers are off, so an ELF is only named, never
    described from bytes that are not there."""
    archive = tree / "srv/backup/panel.tar.gz"
    data = archive.read_bytes()
    assert len(data) > 2 * MAGIC_BYTES  # a hole between head and tail
    partial = Content(len(data), None, data[:MAGIC_BYTES], data[-MAGIC_BYTES:])
    assert file_type(partial) == file_cli(archive)
    elf = (tree / "usr/local/bin/panel-agent").read_bytes()
    mime, description = file_type(Content(len(elf), None, elf[:4096], elf[-4096:]))
    cli_mime, cli_description = file_cli(tree / "usr/local/bin/panel-agent")
    assert mime == cli_mime and description.startswith("ELF 64-bit LSB") and "BuildID" not in description
    assert "BuildID" in cli_description
    assert file_type(Content(0, b"")) == ("inode/x-empty", "empty")


def test_process_stores_what_file_says(tree: Path, tmp_path: Path) -> None:
    """End to end: the types stored for every file of an ext4 image equal `file` on the same files,
    also for a file read in scan windows (its record says it was typed from head and tail)."""
    image = make_ext4(tree, tmp_path / "server.ext4", 64)
    before = fingerprint([image])
    case = make_case(tmp_path, image)
    wb("process", case, "--no-rules", "--max-scan-bytes", "1MiB", "--workers", "1")
    db = sqlite3.connect(case / "case.sqlite")
    stored = {
        path: (mime, magic, json.loads(scan))
        for path, mime, magic, scan in db.execute(
            "SELECT path, mime, magic, scan FROM files WHERE type = 'file'"
        )
    }
    expected = {f"/{p.relative_to(tree)}": p for p in tree.rglob("*") if p.is_file()}
    assert set(expected) <= set(stored)
    for path, host_file in expected.items():
        mime, magic, scan = stored[path]
        assert (mime, magic) == file_cli(host_file), path
        assert ("typed_from" in scan) == (host_file.stat().st_size > 1 << 20), path
    assert fingerprint([image]) == before


def test_a_file_held_whole_past_the_limit_is_typed_from_its_edges(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a large --max-scan-bytes the worker holds big files whole; libmagic still gets only their
    edges past WHOLE_LIMIT (no second copy of the file), with the same answer for a gzip."""
    from workbench import filetype

    archive = tree / "srv/backup/panel.tar.gz"
    data = archive.read_bytes()
    monkeypatch.setattr(filetype, "WHOLE_LIMIT", len(data) - 1)
    content = filetype.held_content(data)
    assert (
        content.whole is None and content.head == data[:MAGIC_BYTES] and content.tail == data[-MAGIC_BYTES:]
    )
    assert file_type(content) == file_cli(archive)
    monkeypatch.setattr(filetype, "WHOLE_LIMIT", len(data))
    assert filetype.held_content(data).whole is data


MAGIC_PREFIXES = [
    b"",
    b"\x1f\x8b\x08\x00",
    b"\x7fELF\x02\x01\x01\x00",
    b"%PDF-1.7\n",
    b"PK\x03\x04",
    b"<?php\n",
    b"user,email,expires\n",
    b"\xff\xd8\xff\xe0",
    b"#EXTM3U\n",
    b"SQLite format 3\x00",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from(MAGIC_PREFIXES), body=st.binary(max_size=12000))
def test_any_bytes_are_typed_as_file_types_them(tmp_path: Path, prefix: bytes, body: bytes) -> None:
    """Hostile or random content behind common magic: our answer is `file`'s on the same bytes."""
    data = prefix + body
    sample = tmp_path / "sample.bin"
    sample.write_bytes(data)
    assert file_type(Content(len(data), data)) == file_cli(sample)

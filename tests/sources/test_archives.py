"""Archives inside evidence and as evidence: nesting, names, bombs and limits."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path

from workbench.sources import EvidenceRef, Source, detect


def _walk(path: Path, **limits: int) -> tuple[Source, list]:
    source = Source(EvidenceRef("EX-01", detect(str(path))), **limits)
    return source, list(source.walk())


def test_zip_in_tar_gz_in_ext4_in_gpt_in_e01(evidence) -> None:
    source, entries = _walk(evidence.e01)
    o1 = evidence.offsets[0]
    member = next(e for e in entries if e.path == "/db/users.csv" and "ext4" in e.layers)
    assert member.layers == (
        "ewf",
        f"gpt p1 @ {o1}",
        "ext4",
        "tar.gz /srv/backup.tar.gz",
        "zip /db/dump.zip",
    )
    assert member.location == (
        f"EX-01 / ewf / gpt p1 @ {o1} / ext4 / tar.gz /srv/backup.tar.gz / zip /db/dump.zip / db/users.csv"
    )
    assert member.inode is None and member.allocated
    with source.open(member.address) as stream:
        assert stream.read() == b"id,username,password\n1,jdoe42,Pa55w0rd\n"
    assert source.lookup(member.location) == member
    tar_node = next(
        n for n in source.layers().children[0].children[0].children[0].children if n.kind == "tar.gz"
    )
    assert tar_node.children[0].kind == "zip"
    source.close()
    # the address works in a fresh source too
    with (
        Source(EvidenceRef("EX-01", detect(str(evidence.e01)))) as fresh,
        fresh.open(member.address) as stream,
    ):
        assert b"jdoe42" in stream.read()


def test_archive_as_evidence(evidence) -> None:
    for name, kind in (("tar_gz", "tar.gz"), ("zip", "zip")):
        source, entries = _walk(getattr(evidence, name))
        config = next(e for e in entries if e.path == "/var/www/panel/config.php")
        assert config.layers == (kind,)
        with source.open(config.address) as stream:
            assert b"S3cr3t!" in stream.read()
        nested = next(e for e in entries if e.path == "/db/users.csv")
        assert nested.layers == (kind, "tar.gz /srv/backup.tar.gz", "zip /db/dump.zip")
        source.close()


def test_gz_of_a_single_file(tmp_path: Path) -> None:
    path = tmp_path / "dump.sql.gz"
    with open(path, "wb") as raw, gzip.GzipFile("dump.sql", fileobj=raw, mode="wb", mtime=1717250531) as gz:
        gz.write(b"INSERT INTO users VALUES (1);\n")
    source, entries = _walk(path)
    assert [(e.layers, e.path, e.size, e.mtime) for e in entries] == [
        (("gz",), "/dump.sql", 30, "2024-06-01T14:02:11Z")
    ]
    with source.open(entries[0].address) as stream:
        assert stream.read() == b"INSERT INTO users VALUES (1);\n"


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", bytes(50 << 20))
        archive.writestr("ok.txt", b"fine")
    source, entries = _walk(path)
    assert entries == []
    assert len(source.problems) == 1
    problem = source.problems[0]
    assert problem.layers == ("zip",)
    assert problem.reason.startswith("zip bomb: expansion ratio") and "over limit 200:1" in problem.reason


def test_gz_bomb_is_refused_and_the_rest_listed(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "zeros.gz").write_bytes(gzip.compress(bytes(40 << 20)))
    (tree / "notes.txt").write_text("still listed\n")
    source, entries = _walk(tree)
    assert {e.path for e in entries} == {"/zeros.gz", "/notes.txt"}
    assert [p.layers for p in source.problems] == [("dir", "gz /zeros.gz")]
    assert "gz bomb" in source.problems[0].reason


def _nest(depth: int) -> bytes:
    data = b"innermost\n"
    name = "core.txt"
    for level in range(depth):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(name, data)
        data, name = buffer.getvalue(), f"level{level}.zip"
    return data


def test_nesting_deeper_than_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "deep.zip"
    path.write_bytes(_nest(6))
    source, entries = _walk(path, max_archive_depth=3)
    depths = {len(e.layers) for e in entries}
    assert max(depths) == 3
    assert len(source.problems) == 1
    assert source.problems[0].reason == "archive nesting deeper than 3 levels, not opened"
    assert len(source.problems[0].layers) == 4


def test_hostile_member_names(tmp_path: Path) -> None:
    path = tmp_path / "names.tar"
    with tarfile.open(
        path, "w", format=tarfile.GNU_FORMAT, encoding="utf-8", errors="surrogateescape"
    ) as archive:
        for name in (
            "/etc/passwd",
            "../../root/.ssh/authorized_keys",
            "bad\x1b[31mname\n.txt",
            b"caf\xe9.txt".decode("utf-8", "surrogateescape"),
        ):
            info = tarfile.TarInfo(name)
            info.size = 3
            archive.addfile(info, io.BytesIO(b"abc"))
    source, entries = _walk(path)
    paths = [e.path for e in entries]
    assert paths == [
        "/etc/passwd",
        "/\\x2e\\x2e/\\x2e\\x2e/root/.ssh/authorized_keys",
        "/bad\\x1b[31mname\\x0a.txt",
        "/caf\\xe9.txt",
    ]
    assert all(e.path.isprintable() for e in entries)
    assert any("absolute or with '..'" in p.reason for p in source.problems)
    for entry in entries:
        with source.open(entry.address) as stream:
            assert stream.read() == b"abc"


def test_truncated_tar_gz_is_a_problem_not_a_crash(evidence, tmp_path: Path) -> None:
    data = evidence.tar_gz.read_bytes()
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(data[: len(data) // 2])
    source, _entries = _walk(path)
    assert source.problems
    assert all("\n" not in p.reason for p in source.problems)

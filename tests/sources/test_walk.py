"""Walking file systems: agreement with fls/icat, deleted files, NTFS streams, times, open and lookup.

Dual-tool rule: the set of (path, size, SHA-256) of allocated regular files a Source lists in a
TSK file system equals what ``fls -r -p`` (with ``-o`` from ``mmls``) and ``icat`` give, after
dropping from fls's side only what TSK's command line shows but is not a file: the FAT volume
label entry ("LABEL (Volume Label Entry)"); virtual entries ($MBR, $FAT1, $FAT2, $OrphanFiles) are
"v/v"/"V/V" lines and never regular files on either side. NTFS: fls shows the
named index attributes of system files ("$Secure:$SDH", "$Extend/$ObjId:$O", type 144) as if they
were files, while a Source lists the system file itself ("$Secure", no unnamed $DATA, inode
without a type-id); both are left out of the comparison. Sizes compared are of the content read (icat and
``Source.open`` both give no bytes for NTFS's sparse ``$BadClus:$Bad``). Archive members are not
fls's business and are checked in test_archives.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest

from workbench.sources import EvidenceRef, FileEntry, Source, SourceError, detect

FLS_LINE = re.compile(r"^(?P<type>[^ ]+) (?P<deleted>\* )?(?P<inode>[^:]+):\t(?P<path>.*)$")


def _run(args: list[str]) -> bytes:
    return subprocess.run(args, capture_output=True, check=True).stdout


def _partition_offsets(image: Path) -> list[int]:
    """Sector offsets of the partitions mmls finds (the whole image when it finds none)."""
    result = subprocess.run(["mmls", str(image)], capture_output=True, check=False)
    if result.returncode != 0:
        return [0]
    offsets = []
    for line in result.stdout.decode().splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0].rstrip(":").isdigit() and fields[1].isdigit():
            offsets.append(int(fields[2]))
    return offsets


def tsk_cli_files(image: Path, sector_offset: int) -> set[tuple[str, int, str]]:
    """(path, size, sha256) of every allocated regular file by fls + icat."""
    offset = ["-o", str(sector_offset)] if sector_offset else []
    listing = _run(["fls", "-r", "-p", *offset, str(image)]).decode("utf-8", "surrogateescape")
    found = set()
    for line in listing.splitlines():
        match = FLS_LINE.match(line)
        if not match or match["type"] != "r/r" or match["deleted"]:
            continue
        if match["path"].endswith("(Volume Label Entry)") or "-144-" in match["inode"]:
            continue
        content = _run(["icat", *offset, str(image), match["inode"]])
        found.add((match["path"], len(content), hashlib.sha256(content).hexdigest()))
    return found


def source_files(source: Source, layer_prefix: tuple[str, ...]) -> set[tuple[str, int, str]]:
    """(path, size, sha256) of allocated regular files listed in one file-system layer; no entry
    of the whole evidence is listed twice."""
    found = set()
    entries = list(source.walk())
    locations = [e.location for e in entries]
    assert len(locations) == len(set(locations)), "an entry was listed twice"
    for entry in entries:
        if entry.layers != layer_prefix or entry.type != "file" or not entry.allocated:
            continue
        if entry.path.startswith("/$") and entry.inode and "-" not in entry.inode:
            continue  # an NTFS system file without unnamed $DATA: fls shows only its index attributes
        with source.open(entry.address) as stream:
            content = stream.read()
        if entry.path != "/$BadClus:$Bad":  # a sparse stream the size of the volume: TSK reads no bytes of it
            assert len(content) == entry.size
        found.add((entry.path[1:], len(content), hashlib.sha256(content).hexdigest()))
    return found


def _entries(path: Path) -> tuple[Source, list[FileEntry]]:
    source = Source(EvidenceRef("EX-01", detect(str(path))))
    return source, list(source.walk())


@pytest.mark.parametrize("name", ["ext4", "fat", "ntfs", "disk", "e01"])
def test_agrees_with_fls_and_icat(evidence, name: str) -> None:
    image = getattr(evidence, name)
    with Source(EvidenceRef("EX-01", detect(str(image)))) as source:
        layers = {
            e.layers for e in source.walk() if len(e.layers) and not e.layers[-1].startswith(("tar", "zip"))
        }
        offsets = _partition_offsets(image)
        assert len(layers) == len(offsets)
        for sector_offset in offsets:
            chain = next(c for c in layers if sector_offset == 0 or f"@ {sector_offset * 512}" in " ".join(c))
            expected = tsk_cli_files(image, sector_offset)
            assert expected, f"fls found nothing at {sector_offset}"
            assert source_files(source, chain) == expected
        assert source.problems == []


def test_layer_chains(evidence) -> None:
    source, entries = _entries(evidence.e01)
    chains = {e.layers for e in entries if e.path == "/srv/backup.tar.gz" or e.path == "/readme.txt"}
    o1, o2, o3 = evidence.offsets
    assert chains == {
        ("ewf", f"gpt p1 @ {o1}", "ext4"),
        ("ewf", f"gpt p2 @ {o2}", "fat16"),
        ("ewf", f"gpt p3 @ {o3}", "ntfs"),
    }
    tree = source.layers()
    assert tree.kind == "ewf"
    gpt = tree.children[0]
    assert gpt.kind == "gpt"
    assert [p.label for p in gpt.children] == [f"gpt p1 @ {o1}", f"gpt p2 @ {o2}", f"gpt p3 @ {o3}"]
    assert [p.children[0].kind for p in gpt.children] == ["ext4", "fat16", "ntfs"]
    raw_source, raw_entries = _entries(evidence.ext4)
    assert {e.layers for e in raw_entries if not e.layers[-1].startswith(("tar", "zip"))} == {("ext4",)}
    mbr_source, mbr_entries = _entries(evidence.mbr)
    assert ("mbr p1 @ 1048576", "ext4") in {e.layers for e in mbr_entries}
    for s in (source, raw_source, mbr_source):
        s.close()


def test_location_and_lookup(evidence) -> None:
    with Source(EvidenceRef("EX-07", detect(str(evidence.disk)))) as source:
        entry = source.lookup("EX-07 / gpt p1 @ 1048576 / ext4 / var/www/panel/config.php")
        assert entry.location == "EX-07 / gpt p1 @ 1048576 / ext4 / var/www/panel/config.php"
        assert entry.path == "/var/www/panel/config.php"
        assert source.lookup("gpt p1 @ 1048576 / ext4 / var/www/panel/config.php") == entry
        with source.open(entry.address) as stream:
            assert b"S3cr3t!" in stream.read()
        with pytest.raises(SourceError, match="not found"):
            source.lookup("EX-07 / gpt p1 @ 1048576 / ext4 / var/www/panel/nope.php")


def test_address_resolves_in_a_new_source(evidence) -> None:
    info = detect(str(evidence.e01))
    with Source(EvidenceRef("EX-01", info)) as first:
        wanted = {}
        for entry in first.walk():
            if entry.type == "file":
                with first.open(entry.address) as stream:
                    wanted[entry.address] = hashlib.sha256(stream.read()).hexdigest()
    assert len(wanted) > 20
    with Source(EvidenceRef("EX-01", detect(str(evidence.e01)))) as second:
        for address, digest in reversed(wanted.items()):
            with second.open(address) as stream:
                assert hashlib.sha256(stream.read()).hexdigest() == digest


def test_ext4_deleted_file_is_listed(evidence) -> None:
    source, entries = _entries(evidence.ext4)
    deleted = [e for e in entries if e.path == "/deleted.txt"]
    assert len(deleted) == 1 and not deleted[0].allocated
    # debugfs rm frees the inode and blocks but keeps the extent tree, so TSK still reads it
    with source.open(deleted[0].address) as stream:
        assert stream.read() == b"customer list draft\n"
    assert "/deleted.txt" not in {e.path for e in source.walk(include_deleted=False)}
    source.close()


def test_fat_deleted_file_is_recoverable(evidence) -> None:
    source, entries = _entries(evidence.fat)
    deleted = [e for e in entries if not e.allocated and e.type == "file" and e.path.endswith("eleted.txt")]
    assert len(deleted) == 1
    assert deleted[0].path == "/_eleted.txt"  # FAT overwrites the first character of a deleted name
    with source.open(deleted[0].address) as stream:
        assert stream.read() == b"customer list draft\n"
    assert not any("Volume Label" in e.path for e in entries)
    source.close()


def test_ntfs_alternate_data_stream(evidence) -> None:
    source, entries = _entries(evidence.ntfs)
    stream = next(e for e in entries if e.path == "/readme.txt:hidden")
    assert stream.stream == "hidden"
    assert stream.type == "file"
    assert re.fullmatch(r"\d+-128-\d+", stream.inode or "")
    with source.open(stream.address) as handle:
        assert handle.read() == b"ADS: panel admin password\n"
    main = next(e for e in entries if e.path == "/readme.txt")
    assert main.stream is None and main.inode != stream.inode
    with source.open(main.address) as handle:
        assert handle.read() == b"nothing to see\n"
    source.close()


def test_ntfs_directories_and_hard_link(evidence) -> None:
    """A file with two names (one MFT record) is listed under both, like fls, with the same MFT
    entry and the same bytes; its directories are listed as directories."""
    source, entries = _entries(evidence.ntfs)
    by_path = {e.path: e for e in entries}
    for directory in ("/Users", "/Users/admin", "/Users/admin/Documents"):
        assert by_path[directory].type == "dir"
    original = by_path["/Users/admin/Documents/resellers.csv"]
    link = by_path["/Users/admin/Desktop-resellers.csv"]
    assert original.inode == link.inode and re.fullmatch(r"\d+-128-\d+", original.inode or "")
    for entry in (original, link):
        with source.open(entry.address) as handle:
            assert handle.read() == b"name,credits\nalpha,500\n"
    listing = _run(["fls", "-r", "-p", str(evidence.ntfs)]).decode()
    mft_entry = (original.inode or "").split("-")[0]
    names = sorted(line.split("\t")[1] for line in listing.splitlines() if f" {mft_entry}-128-" in line)
    assert names == ["Users/admin/Desktop-resellers.csv", "Users/admin/Documents/resellers.csv"]
    source.close()


def _blkid(image: Path, offset: int) -> dict[str, str]:
    """What util-linux's blkid probes at a byte offset of an image (LABEL, UUID, TYPE …)."""
    out = _run(["blkid", "-p", "-o", "export", "-O", str(offset), str(image)]).decode()
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_file_system_label_and_uuid_or_serial_agree_with_blkid(evidence) -> None:
    """The layer tree names each file system as blkid does: ext4 label and UUID, FAT label and
    serial, NTFS label ($Volume) and 64-bit serial."""
    with Source(EvidenceRef("EX-01", detect(str(evidence.disk)))) as source:
        partitions = source.layers().children[0].children
        assert len(partitions) == len(evidence.offsets) == 3
        for partition, offset in zip(partitions, evidence.offsets, strict=True):
            details = partition.children[0].details
            probed = _blkid(evidence.disk, offset)
            assert details["label"] == probed["LABEL"]
            assert details.get("uuid", details.get("serial")) == probed["UUID"]
    assert [p.children[0].details["label"] for p in partitions] == ["panel01", "USBSTICK", "Data"]


def test_times_are_utc_iso(evidence) -> None:
    source, entries = _entries(evidence.ext4)
    config = next(e for e in entries if e.path == "/var/www/panel/config.php")
    assert config.mtime == "2024-06-01T14:02:11Z"
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{9})?Z$")
    for entry in entries:
        for value in (entry.mtime, entry.atime, entry.ctime, entry.btime):
            assert value is None or iso.match(value), value
    assert config.inode is not None and config.inode.isdigit()
    source.close()


def test_walk_is_deterministic(evidence) -> None:
    first = [e for e in Source(EvidenceRef("EX-01", detect(str(evidence.disk)))).walk()]
    second = [e for e in Source(EvidenceRef("EX-01", detect(str(evidence.disk)))).walk()]
    assert first == second


def test_directory_is_not_opened_as_a_file(evidence) -> None:
    with Source(EvidenceRef("EX-01", detect(str(evidence.ext4)))) as source:
        folder = source.lookup("ext4 / var/www")
        assert folder.type == "dir"
        with pytest.raises(SourceError, match="is a directory"):
            source.open(folder.address)
        with pytest.raises(SourceError):
            source.open("not an address")


def test_directory_whose_listing_fails_midway_is_reported_and_the_walk_goes_on(
    evidence, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytsk3 raises while iterating a directory with a damaged entry: that directory is reported
    as listed only in part, with TSK's reason, and every other directory is still walked."""
    from workbench.sources.tsk import TskFileSystem

    real = TskFileSystem._directory

    def damaged(self: TskFileSystem, inode: int, path: str | None = None) -> object:
        directory = real(self, inode, path)
        if directory is None or path != "/var/www":
            return directory

        def entries() -> object:
            yield from list(directory)[:2]  # "." and ".." or the first names, then the damage
            raise OSError("Error opening File: simulated damaged entry")

        return entries()

    monkeypatch.setattr(TskFileSystem, "_directory", damaged)
    source, entries = _entries(evidence.ext4)
    paths = {e.path for e in entries}
    assert "/srv/backup.tar.gz" in paths and not any(p.startswith("/var/www/panel/") for p in paths)
    assert [p.reason for p in source.problems] == [
        "directory /var/www listed only in part: Error opening File: simulated damaged entry"
    ]
    source.close()

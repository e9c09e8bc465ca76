"""Disk image builders for tests and the demo: file systems, partitioned disks, E01, qcow2, VMDK, VHD, archives.

Everything is made from a source directory tree with ordinary tools, never by mounting or with loop
devices, and as deterministic as the tools allow: fixed UUIDs, hash seeds, volume ids and times
(file times come from the tree, so callers fix them with ``os.utime``). Known limits:
``mkntfs`` has no option for a fixed serial number, ``ewfacquire`` stamps the acquisition date,
and NTFS images can only hold files in the root directory (``ntfscp`` cannot create directories and
there is no way to add one without mounting).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import struct
import subprocess
import tarfile
import time
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

MIB = 1 << 20
SECTOR = 512
FIXED_TIME = 1717250531  # 2024-06-01T14:02:11Z, used where a tool needs "a time"
DEFAULT_UUID = "5eed0000-0000-4000-8000-00000000e404"
GPT_TYPES = {"linux": "8300", "msdata": "0700", "efi": "ef00", "lvm": "8e00", "swap": "8200", "apfs": "af0a"}
MBR_TYPES = {"linux": "83", "msdata": "7", "efi": "ef", "lvm": "8e", "swap": "82", "fat32": "c", "fat16": "6"}
TOOL_PACKAGES = {
    "mkfs.ext4": "e2fsprogs",
    "debugfs": "e2fsprogs",
    "mkfs.vfat": "dosfstools",
    "mcopy": "mtools",
    "mdel": "mtools",
    "mkntfs": "ntfs-3g",
    "ntfscp": "ntfs-3g",
    "sgdisk": "gdisk",
    "sfdisk": "fdisk",
    "ewfacquire": "ewf-tools",
    "qemu-img": "qemu-utils",
    "genisoimage": "genisoimage",
    "mkfs.xfs": "xfsprogs",
    "cryptsetup": "cryptsetup-bin",
    "faketime": "faketime",
    "mkfs.exfat": "exfatprogs",
    "mkapfs": "apfsprogs",
}
ACQUIRED_AT = "2024-06-02 06:00:00"  # the frozen clock of sample E01 acquisitions (UTC)


class ToolMissing(RuntimeError):
    """A command-line tool an image builder needs is not installed."""


class BuildFailed(RuntimeError):
    """A tool ran but failed; the message holds its error output."""


def _run(args: Sequence[str], *, env: Mapping[str, str] | None = None, stdin: bytes | None = None) -> str:
    tool = args[0]
    if shutil.which(tool) is None:
        package = TOOL_PACKAGES.get(tool, tool)
        raise ToolMissing(f"{tool} not found: install the Debian package {package}")
    full_env = {**os.environ, "LC_ALL": "C", **(env or {})}
    result = subprocess.run(list(args), input=stdin, capture_output=True, env=full_env, check=False)
    if result.returncode != 0:
        message = " ".join((result.stderr or result.stdout).decode("utf-8", "replace").split())
        raise BuildFailed(f"{tool} failed ({result.returncode}): {message[:500]}")
    return result.stdout.decode("utf-8", "replace")


def _blank(out: str | Path, size_mb: int) -> Path:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.truncate(size_mb * MIB)
    return path


def make_ext4(
    tree: str | Path,
    out: str | Path,
    size_mb: int,
    *,
    label: str = "root",
    delete: Iterable[str] = (),
    fs_type: str = "ext4",
    fs_uuid: str = DEFAULT_UUID,
) -> Path:
    """An ext2/3/4 image holding ``tree`` (mkfs -d); ``delete`` paths are then removed with debugfs,
    so they are deleted but their inode and blocks are still there."""
    path = _blank(out, size_mb)
    env = {"E2FSPROGS_FAKE_TIME": str(FIXED_TIME), "SOURCE_DATE_EPOCH": str(FIXED_TIME)}
    _run(
        [
            "mkfs.ext4",
            "-q",
            "-F",
            "-t",
            fs_type,
            "-L",
            label,
            "-U",
            fs_uuid,
            "-E",
            f"hash_seed={fs_uuid}",
            "-d",
            str(tree),
            str(path),
        ],
        env=env,
    )
    for victim in delete:
        _run(["debugfs", "-w", "-R", f"rm /{victim.lstrip('/')}", str(path)], env=env)
    return path


def make_fat(
    tree: str | Path,
    out: str | Path,
    size_mb: int,
    *,
    fat: int = 32,
    label: str = "EVIDENCE",
    delete: Iterable[str] = (),
    volume_id: str = "1d2c3b4a",
) -> Path:
    """A FAT12/16/32 image holding ``tree`` (mkfs.vfat + mcopy -s); ``delete`` paths removed with mdel."""
    if fat not in (12, 16, 32):
        raise ValueError(f"fat must be 12, 16 or 32, not {fat}")
    path = _blank(out, size_mb)
    _run(["mkfs.vfat", "--invariant", "-F", str(fat), "-n", label[:11], "-i", volume_id, str(path)])
    env = {"MTOOLS_SKIP_CHECK": "1"}
    children = sorted(os.listdir(tree))
    if children:
        _run(
            ["mcopy", "-s", "-m", "-Q", "-i", str(path), *[os.path.join(tree, c) for c in children], "::/"],
            env=env,
        )
    for victim in delete:
        _run(["mdel", "-i", str(path), "::/" + victim.lstrip("/")], env=env)
    return path


def make_ntfs(
    tree: str | Path,
    out: str | Path,
    size_mb: int,
    *,
    label: str = "Data",
    streams: Mapping[str, Mapping[str, bytes]] | None = None,
    hard_links: Mapping[str, str] | None = None,
) -> Path:
    """An NTFS image (mkntfs -F) holding ``tree``: its directories made through libntfs-3g, its
    files copied in by ntfscp, alternate data streams ``streams = {"/name": {"stream": b"..."}}``
    written with ``ntfscp -N``, and hard links ``hard_links = {"/new/name": "/existing/file"}``.

    ntfscp cannot create a directory or a link; libntfs-3g (see ``ntfs3g``) can, on the image file
    itself, without mounting."""
    from workbench.samples.ntfs3g import NtfsVolume

    root = Path(tree)
    directories = sorted(p for p in root.rglob("*") if p.is_dir())
    files = sorted(p for p in root.rglob("*") if p.is_file())
    path = _blank(out, size_mb)
    _run(["mkntfs", "-F", "-Q", "-q", "-T", "-L", label, str(path)])
    if directories:
        with NtfsVolume(path) as volume:
            for directory in directories:  # sorted: every parent comes before its children
                volume.mkdir("/" + directory.relative_to(root).as_posix())
    for file in files:
        _run(["ntfscp", "-q", "-t", str(path), str(file), "/" + file.relative_to(root).as_posix()])
    for target, named in sorted((streams or {}).items()):
        for stream_name, data in sorted(named.items()):
            staging = path.with_name(path.name + ".stream")
            staging.write_bytes(data)
            try:
                _run(["ntfscp", "-q", "-N", stream_name, str(path), str(staging), "/" + target.lstrip("/")])
            finally:
                staging.unlink()
    if hard_links:
        with NtfsVolume(path) as volume:
            for new, existing in sorted(hard_links.items()):
                volume.link(existing, new)
    return path


def make_iso(tree: str | Path, out: str | Path, *, label: str = "SEIZED") -> Path:
    """An ISO 9660 image (Rock Ridge and Joliet names) holding ``tree``, made with genisoimage."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    env = {"SOURCE_DATE_EPOCH": str(FIXED_TIME)}
    _run(["genisoimage", "-quiet", "-R", "-J", "-V", label, "-o", str(path), str(tree)], env=env)
    return path


def make_apfs(out: str | Path, size_mb: int = 512, *, label: str = "Macintosh HD") -> Path:
    """An APFS container (mkapfs, sparse: about 400 KB on disk) with one empty volume ``label``
    (``workbench.samples.apfs.make_apfs_with_files`` fills one)."""
    path = _blank(out, max(size_mb, 512))  # mkapfs refuses small containers
    _run(["mkapfs", "-L", label, str(path)])
    return path


def _xfs_proto(directory: Path, depth: int) -> list[str]:
    """The body of an mkfs.xfs prototype file for one directory (names, modes, source files)."""
    lines = []
    pad = " " * depth
    for entry in sorted(directory.iterdir()):
        if " " in entry.name:
            raise ValueError(f"mkfs.xfs prototype files cannot name {entry.name!r} (it has a space)")
        if entry.is_dir():
            lines.append(f"{pad}{entry.name} d--755 0 0")
            lines.extend(_xfs_proto(entry, depth + 1))
            lines.append(f"{pad}$")
        else:
            lines.append(f"{pad}{entry.name} ---644 0 0 {entry.resolve()}")
    return lines


def make_xfs(tree: str | Path, out: str | Path, size_mb: int = 300, *, label: str = "data") -> Path:
    """An XFS image holding ``tree``, populated through an mkfs.xfs prototype file (no mounting)."""
    path = _blank(out, max(size_mb, 300))  # mkfs.xfs refuses file systems under 300 MB
    proto = path.with_name(path.name + ".proto")
    proto.write_text("\n".join(["/dev/null", "0 0", "d--755 0 0", *_xfs_proto(Path(tree), 1), "$", ""]))
    try:
        _run(
            [
                "mkfs.xfs",
                "-q",
                "-f",
                "-L",
                label,
                "-m",
                "uuid=5eed0000-0000-4000-8000-00000000fe5f",
                "-p",
                str(proto),
                str(path),
            ]
        )
    finally:
        proto.unlink()
    return path


def make_luks1(fs_image: str | Path, out: str | Path, password: str) -> Path:
    """A LUKS1 (aes-xts-plain64) volume whose payload is ``fs_image``, encrypted without dm-crypt:
    cryptsetup writes the header around a master key we choose, and we encrypt the sectors."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    payload = Path(fs_image).read_bytes()
    master_key = hashlib.sha512(b"isop-workbench sample LUKS master key").digest()
    path = Path(out)
    header_sectors = 4096
    with open(path, "wb") as handle:
        handle.truncate(header_sectors * 512 + len(payload))
    key_file = path.with_name(path.name + ".mk")
    key_file.write_bytes(master_key)
    try:
        _run(
            [
                "cryptsetup",
                "luksFormat",
                "--batch-mode",
                "--type",
                "luks1",
                "--cipher",
                "aes-xts-plain64",
                "--key-size",
                "512",
                "--pbkdf-force-iterations",
                "1000",
                "--master-key-file",
                str(key_file),
                "--uuid",
                "5eed0000-0000-4000-8000-0000000c1a55",
                str(path),
                "-",
            ],
            stdin=password.encode(),
        )
    finally:
        key_file.unlink()
    with open(path, "r+b") as handle:
        handle.seek(header_sectors * 512)
        for sector in range(len(payload) // 512):
            tweak = sector.to_bytes(16, "little")  # plain64: the sector number, little-endian
            encryptor = Cipher(algorithms.AES(master_key), modes.XTS(tweak)).encryptor()
            handle.write(encryptor.update(payload[sector * 512 : (sector + 1) * 512]) + encryptor.finalize())
    return path


LVM_EXTENT = 4 * MIB
LVM_DATA_START = MIB  # pe_start: the metadata area fills the first MiB of the physical volume
LVM_MDA_MAGIC = b" LVM2 x[5A%r0N*>"


def _lvm_crc(data: bytes) -> int:
    """LVM2's checksum: CRC-32 started from 0xf597a6cf, without the final inversion."""
    return ~zlib.crc32(data, 0xF597A6CF ^ 0xFFFFFFFF) & 0xFFFFFFFF


def _lvm_id(name: str) -> str:
    """A deterministic LVM identifier (32 characters in LVM's 6-4-4-4-4-4-6 grouping)."""
    raw = hashlib.sha256(name.encode()).hexdigest()[:32]
    groups = (6, 4, 4, 4, 4, 4, 6)
    parts, at = [], 0
    for size in groups:
        parts.append(raw[at : at + size])
        at += size
    return "-".join(parts)


def make_lvm(volumes: Sequence[tuple[str, str | Path]], out: str | Path, *, vg_name: str = "vg0") -> Path:
    """An LVM2 physical volume holding one volume group with a linear logical volume per
    (name, file-system image). Written by hand (label, PV header, metadata area, text metadata) the
    way pvcreate/vgcreate/lvcreate lay it out, since those tools need a block device."""
    extents = [-(-Path(image).stat().st_size // LVM_EXTENT) for _name, image in volumes]
    pe_count = sum(extents)
    device_size = LVM_DATA_START + pe_count * LVM_EXTENT
    pv_id = _lvm_id(f"{vg_name}/pv0")
    lv_text, start = [], 0
    for (name, _image), count in zip(volumes, extents, strict=True):
        lv_text.append(
            f'{name} {{\nid = "{_lvm_id(f"{vg_name}/{name}")}"\n'
            'status = ["READ", "WRITE", "VISIBLE"]\nflags = []\n'
            f'creation_time = {FIXED_TIME}\ncreation_host = "seized"\nsegment_count = 1\n\n'
            f"segment1 {{\nstart_extent = 0\nextent_count = {count}\n\n"
            f'type = "striped"\nstripe_count = 1\n\nstripes = [\n"pv0", {start}\n]\n}}\n}}\n'
        )
        start += count
    text = (
        f'{vg_name} {{\nid = "{_lvm_id(vg_name)}"\nseqno = 1\nformat = "lvm2"\n'
        'status = ["RESIZEABLE", "READ", "WRITE"]\nflags = []\n'
        f"extent_size = {LVM_EXTENT // SECTOR}\nmax_lv = 0\nmax_pv = 0\nmetadata_copies = 0\n\n"
        f'physical_volumes {{\n\npv0 {{\nid = "{pv_id}"\ndevice = "/dev/sda2"\n\n'
        'status = ["ALLOCATABLE"]\nflags = []\n'
        f"dev_size = {device_size // SECTOR}\npe_start = {LVM_DATA_START // SECTOR}\npe_count = {pe_count}\n}}\n}}\n\n"
        f"logical_volumes {{\n\n{''.join(lv_text)}}}\n}}\n"
        '# Generated by isop-workbench samples\n\ncontents = "Text Format Volume Group"\nversion = 1\n\n'
        f'description = ""\n\ncreation_host = "seized"\ncreation_time = {FIXED_TIME}\n\n'
    ).encode() + b"\0"

    mda_start, mda_size, text_offset = 4096, LVM_DATA_START - 4096, 512
    label = bytearray(SECTOR)
    pv_header = pv_id.replace("-", "").encode() + struct.pack("<Q", device_size)
    pv_header += struct.pack("<QQQQ", LVM_DATA_START, 0, 0, 0)  # data area (size 0: to the end), end
    pv_header += struct.pack("<QQQQ", mda_start, mda_size, 0, 0)  # metadata area, end
    label[32 : 32 + len(pv_header)] = pv_header
    label[0:8] = b"LABELONE"
    struct.pack_into("<QI", label, 8, 1, 0)  # sector number, CRC below
    struct.pack_into("<I", label, 20, 32)  # offset of the PV header
    label[24:32] = b"LVM2 001"
    struct.pack_into("<I", label, 16, _lvm_crc(bytes(label[20:])))
    mda = bytearray(SECTOR)
    mda[4:20] = LVM_MDA_MAGIC
    struct.pack_into("<IQQ", mda, 20, 1, mda_start, mda_size)
    struct.pack_into("<QQII", mda, 40, text_offset, len(text), _lvm_crc(text), 0)
    struct.pack_into("<I", mda, 0, _lvm_crc(bytes(mda[4:])))

    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.truncate(device_size)
        handle.seek(SECTOR)
        handle.write(label)
        handle.seek(mda_start)
        handle.write(mda)
        handle.seek(mda_start + text_offset)
        handle.write(text)
        for (_name, image), first in zip(
            volumes, [sum(extents[:i]) for i in range(len(extents))], strict=True
        ):
            handle.seek(LVM_DATA_START + first * LVM_EXTENT)
            with open(image, "rb") as source:
                shutil.copyfileobj(source, handle, MIB)
    return path


def _exfat_time(when: int) -> int:
    """An exFAT (DOS-style) timestamp of a UTC epoch time."""
    t = time.gmtime(when)
    return (
        ((t.tm_year - 1980) << 25) | (t.tm_mon << 21) | (t.tm_mday << 16)
        | (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2)
    )  # fmt: skip


def _exfat_checksum(data: bytes, skip: tuple[int, ...] = ()) -> int:
    value = 0
    for index, byte in enumerate(data):
        if index not in skip:
            value = (((value << 15) | (value >> 1)) + byte) & 0xFFFF
    return value


def _exfat_fix_serial(image: Path, serial: int) -> None:
    """Replace the random volume serial mkfs.exfat chose, re-sum the boot region and copy it to
    the backup boot region, so the same tree gives the same image bytes."""
    with open(image, "r+b") as handle:
        sector = 1 << handle.read(512)[0x6C]
        handle.seek(0)
        region = bytearray(handle.read(12 * sector))
        struct.pack_into("<I", region, 0x64, serial)
        checksum = _exfat_boot_checksum(bytes(region[: 11 * sector]))
        region[11 * sector : 12 * sector] = struct.pack("<I", checksum) * (sector // 4)
        handle.seek(0)
        handle.write(region)
        handle.write(region)  # the backup boot region follows the main one


def _exfat_boot_checksum(data: bytes) -> int:
    value = 0
    for index, byte in enumerate(data):
        if index in (106, 107, 112):  # VolumeFlags and PercentInUse are left out
            continue
        value = (((value << 31) | (value >> 1)) + byte) & 0xFFFFFFFF
    return value


class _ExfatWriter:
    """Adds files and directories to a freshly made exFAT image: contiguous clusters (NoFatChain),
    allocation bitmap bits, and directory entry sets with their name hash and set checksum."""

    def __init__(self, image: Path) -> None:
        self.handle = open(image, "r+b")  # noqa: SIM115 (closed by close(), the writer lives one build)
        boot = self.handle.read(512)
        self.sector = 1 << boot[0x6C]
        self.cluster = self.sector << boot[0x6D]
        self.heap = struct.unpack_from("<I", boot, 0x58)[0] * self.sector
        self.clusters = struct.unpack_from("<I", boot, 0x5C)[0]
        root = struct.unpack_from("<I", boot, 0x60)[0]
        entries = self._read_cluster(root)
        bitmap = next(entries[i : i + 32] for i in range(0, len(entries), 32) if entries[i] == 0x81)
        self.bitmap_at = self._offset(struct.unpack_from("<I", bitmap, 20)[0])
        self.root = root

    def _offset(self, cluster: int) -> int:
        return self.heap + (cluster - 2) * self.cluster

    def _read_cluster(self, cluster: int) -> bytes:
        self.handle.seek(self._offset(cluster))
        return self.handle.read(self.cluster)

    def _set_bits(self, first: int, count: int, value: bool) -> None:
        for cluster in range(first, first + count):
            bit = cluster - 2
            self.handle.seek(self.bitmap_at + bit // 8)
            byte = self.handle.read(1)[0]
            byte = byte | (1 << (bit % 8)) if value else byte & ~(1 << (bit % 8))
            self.handle.seek(self.bitmap_at + bit // 8)
            self.handle.write(bytes([byte]))

    def _allocate(self, count: int) -> int:
        """The first run of ``count`` free clusters, marked used."""
        self.handle.seek(self.bitmap_at)
        bits = self.handle.read((self.clusters + 7) // 8)
        run = 0
        for bit in range(self.clusters):
            run = 0 if bits[bit // 8] >> (bit % 8) & 1 else run + 1
            if run == count:
                first = bit - count + 3  # bit 0 is cluster 2
                self._set_bits(first, count, True)
                return first
        raise BuildFailed("exFAT image too small for the tree")

    def _entry_set(self, name: str, is_dir: bool, first: int, size: int, when: int) -> bytes:
        utf16 = name.encode("utf-16-le")
        parts = [utf16[i : i + 30] for i in range(0, len(utf16), 30)]
        stamp = _exfat_time(when)
        primary = bytearray(32)
        primary[0], primary[1] = 0x85, 1 + len(parts)
        struct.pack_into("<H", primary, 4, 0x10 if is_dir else 0x20)
        struct.pack_into("<III", primary, 8, stamp, stamp, stamp)
        primary[22:25] = b"\x80\x80\x80"  # times are UTC
        stream = bytearray(32)
        stream[0], stream[1], stream[3] = 0xC0, 0x03, len(name)  # allocation possible, no FAT chain
        struct.pack_into("<H", stream, 4, _exfat_checksum(name.upper().encode("utf-16-le")))
        struct.pack_into("<Q", stream, 8, size)
        struct.pack_into("<IQ", stream, 20, first if size else 0, size)
        names = b"".join(bytes([0xC1, 0]) + part.ljust(30, b"\0") for part in parts)
        entries = bytes(primary) + bytes(stream) + names
        checksum = _exfat_checksum(entries, skip=(2, 3))
        return entries[:2] + struct.pack("<H", checksum) + entries[4:]

    def _append(self, directory: int, entries: bytes) -> int:
        """Write an entry set into the first free slots of a directory cluster; returns its offset."""
        data = self._read_cluster(directory)
        for at in range(0, len(data) - len(entries) + 1, 32):
            if all(data[at + i] == 0 for i in range(0, len(entries), 32)):
                self.handle.seek(self._offset(directory) + at)
                self.handle.write(entries)
                return self._offset(directory) + at
        raise BuildFailed("exFAT directory cluster is full")

    def add_tree(
        self, tree: Path, directory: int | None = None, prefix: str = ""
    ) -> dict[str, tuple[int, int, int]]:
        """Copy ``tree`` in; returns path -> (entry set offset, entry count, first cluster)."""
        placed: dict[str, tuple[int, int, int]] = {}
        directory = self.root if directory is None else directory
        for entry in sorted(tree.iterdir()):
            when = int(entry.stat().st_mtime)
            if entry.is_dir():
                first = self._allocate(1)
                self.handle.seek(self._offset(first))
                self.handle.write(bytes(self.cluster))
                entries = self._entry_set(entry.name, True, first, self.cluster, when)
                placed[prefix + entry.name] = (self._append(directory, entries), len(entries) // 32, first)
                placed.update(self.add_tree(entry, first, prefix + entry.name + "/"))
            else:
                data = entry.read_bytes()
                count = max(1, -(-len(data) // self.cluster))
                first = self._allocate(count)
                self.handle.seek(self._offset(first))
                self.handle.write(data)
                entries = self._entry_set(entry.name, False, first, len(data), when)
                placed[prefix + entry.name] = (self._append(directory, entries), len(entries) // 32, first)
        return placed

    def delete(self, at: int, count: int, first: int, size: int) -> None:
        """Unlink like an OS does: clear the in-use bit of each entry and free the clusters."""
        for index in range(count):
            self.handle.seek(at + 32 * index)
            kind = self.handle.read(1)[0]
            self.handle.seek(at + 32 * index)
            self.handle.write(bytes([kind & 0x7F]))
        self._set_bits(first, max(1, -(-size // self.cluster)), False)

    def close(self) -> None:
        self.handle.close()


def make_exfat(
    tree: str | Path, out: str | Path, size_mb: int, *, label: str = "EVIDENCE", delete: Iterable[str] = ()
) -> Path:
    """An exFAT image holding ``tree`` (mkfs.exfat, then files written in without mounting);
    ``delete`` paths are then unlinked: entries marked unused, clusters freed, content still there."""
    path = _blank(out, size_mb)
    _run(["mkfs.exfat", "-L", label, str(path)])
    _exfat_fix_serial(path, 0x5EED0E0F)
    writer = _ExfatWriter(path)
    try:
        placed = writer.add_tree(Path(tree))
        for relative in delete:
            at, count, first = placed[relative]
            writer.delete(at, count, first, (Path(tree) / relative).stat().st_size)
    finally:
        writer.close()
    return path


def make_disk(
    out: str | Path,
    partitions: Sequence[tuple[str | Path, str]],
    scheme: str = "gpt",
    *,
    disk_guid: str = "5eed0000-0000-4000-8000-0000000d15c0",
) -> tuple[Path, list[int]]:
    """A partitioned disk: each (image, type) is copied at a 1 MiB-aligned offset; returns the disk
    and the byte offset of every partition."""
    offsets = []
    cursor = MIB
    sizes = []
    for image, _kind in partitions:
        size = os.path.getsize(image)
        rounded = (size + MIB - 1) // MIB * MIB
        offsets.append(cursor)
        sizes.append(rounded)
        cursor += rounded
    total_mb = cursor // MIB + 1  # room for the GPT backup header
    path = _blank(out, total_mb)
    if scheme == "gpt":
        args = ["sgdisk", "-o", "-U", disk_guid]
        for index, ((_image, kind), offset, size) in enumerate(
            zip(partitions, offsets, sizes, strict=True), 1
        ):
            first = offset // SECTOR
            last = first + size // SECTOR - 1
            part_guid = str(uuid.uuid5(uuid.UUID(disk_guid), f"p{index}"))
            args += [
                "-n",
                f"{index}:{first}:{last}",
                "-t",
                f"{index}:{GPT_TYPES.get(kind, kind)}",
                "-u",
                f"{index}:{part_guid}",
                "-c",
                f"{index}:{kind}{index}",
            ]
        _run([*args, str(path)])
    elif scheme == "mbr":
        if len(partitions) > 4:
            raise ValueError("an MBR disk here holds at most 4 primary partitions")
        lines = ["label: dos", "label-id: 0x5eed0d15", "unit: sectors", ""]
        for (_image, kind), offset, size in zip(partitions, offsets, sizes, strict=True):
            lines.append(f"start={offset // SECTOR}, size={size // SECTOR}, type={MBR_TYPES.get(kind, kind)}")
        _run(
            ["sfdisk", "-q", "--no-reread", "--no-tell-kernel", str(path)],
            stdin=("\n".join(lines) + "\n").encode(),
        )
    else:
        raise ValueError(f"scheme must be gpt or mbr, not {scheme!r}")
    with open(path, "r+b") as disk:
        for (image, _kind), offset in zip(partitions, offsets, strict=True):
            disk.seek(offset)
            with open(image, "rb") as source:
                shutil.copyfileobj(source, disk, MIB)
    return path, offsets


def make_e01(
    raw: str | Path,
    out_base: str | Path,
    *,
    segment_bytes: int = MIB,
    case_number: str = "CASE-2024-0042",
    examiner: str = "J. Doe",
    description: str = "Seized server disk",
    evidence_number: str = "EX-01",
    compress: bool = False,
) -> list[Path]:
    """An EWF (E01) image of ``raw`` with ewfacquire; segments of ``segment_bytes`` (at least 1 MiB,
    so an uncompressed image over 1 MiB gives two or more segments). Returns the segment files."""
    base = Path(out_base)
    base.parent.mkdir(parents=True, exist_ok=True)
    # ewfacquire writes the acquisition and system dates into its header sections and has no
    # option to set them: libfaketime freezes its clock so the same disk gives the same E01 bytes.
    frozen = ["faketime", ACQUIRED_AT] if shutil.which("faketime") else []
    _run(
        [
            *frozen,
            "ewfacquire",
            "-u",
            "-q",
            "-t",
            str(base),
            "-S",
            str(max(segment_bytes, MIB)),
            "-C",
            case_number,
            "-e",
            examiner,
            "-D",
            description,
            "-E",
            evidence_number,
            "-N",
            "isop-workbench sample",
            "-c",
            "fast" if compress else "none",
            "-d",
            "sha1",
            str(raw),
        ],
        env={"TZ": "UTC"},
    )
    segments = sorted(base.parent.glob(base.name + ".E[0-9A-Z][0-9A-Z]"))
    if not segments:
        raise BuildFailed(f"ewfacquire wrote no segment for {base}")
    return segments


def _qemu_convert(raw: str | Path, out: str | Path, fmt: str, options: Sequence[str] = ()) -> Path:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    _run(["qemu-img", "convert", "-f", "raw", "-O", fmt, *options, str(raw), str(path)])
    return path


def make_qcow2(raw: str | Path, out: str | Path) -> Path:
    """A qcow2 image of ``raw``."""
    return _qemu_convert(raw, out, "qcow2")


def make_vmdk(raw: str | Path, out: str | Path) -> Path:
    """A monolithic sparse VMDK image of ``raw``."""
    return _qemu_convert(raw, out, "vmdk")


def make_vhd(
    raw: str | Path, out: str | Path, *, differencing_parent: str | Path | None = None, vhdx: bool = False
) -> Path:
    """A dynamic VHD (or VHDX) of ``raw``; with ``differencing_parent`` (a dynamic VHD beside ``out``),
    a differencing VHD holding only the blocks of ``raw`` that differ from the parent."""
    if differencing_parent is None:
        return _qemu_convert(raw, out, "vhdx" if vhdx else "vpc", () if vhdx else ("-o", "subformat=dynamic"))
    if vhdx:
        raise ValueError("differencing images are written as VHD only")
    return _write_differencing_vhd(Path(raw), Path(out), Path(differencing_parent))


def _vhd_checksum(data: bytes) -> int:
    return (~sum(data)) & 0xFFFFFFFF


def _vhd_footer(size: int, disk_type: int, data_offset: int, unique_id: bytes) -> bytes:
    cylinders, heads, sectors = _chs(size)
    vhd_time = FIXED_TIME - 946684800
    body = struct.pack(
        ">8sIIQI4sI4sQQHBBI",
        b"conectix",
        2,
        0x00010000,
        data_offset,
        vhd_time,
        b"isop",
        0x00010000,
        b"Wi2k",
        size,
        size,
        cylinders,
        heads,
        sectors,
        disk_type,
    )
    footer = bytearray(body + b"\0" * 4 + unique_id + b"\0" * (512 - len(body) - 4 - 16))
    struct.pack_into(">I", footer, 64, _vhd_checksum(bytes(footer)))
    return bytes(footer)


def _chs(size: int) -> tuple[int, int, int]:
    """CHS geometry as in the VHD specification."""
    total = min(size // SECTOR, 65535 * 16 * 255)
    if total >= 65535 * 16 * 63:
        spt, heads = 255, 16
        cth = total // spt
    else:
        spt = 17
        cth = total // spt
        heads = max((cth + 1023) // 1024, 4)
        if cth >= heads * 1024 or heads > 16:
            spt, heads = 31, 16
            cth = total // spt
        if cth >= heads * 1024:
            spt, heads = 63, 16
            cth = total // spt
    return cth // heads, heads, spt


def _read_vhd_parent(parent: Path) -> tuple[bytes, int, int, list[int], int]:
    """Unique id, block size, virtual size, BAT and table offset of a dynamic VHD."""
    data = parent.read_bytes()
    footer = data[:512]
    if footer[:8] != b"conectix" or struct.unpack(">I", footer[60:64])[0] not in (3, 4):
        raise ValueError(f"{parent}: not a dynamic VHD")
    unique_id = footer[68:84]
    size = struct.unpack(">Q", footer[48:56])[0]
    header_offset = struct.unpack(">Q", footer[16:24])[0]
    header = data[header_offset : header_offset + 1024]
    table_offset = struct.unpack(">Q", header[16:24])[0]
    entries = struct.unpack(">I", header[28:32])[0]
    block_size = struct.unpack(">I", header[32:36])[0]
    bat = list(struct.unpack(f">{entries}I", data[table_offset : table_offset + 4 * entries]))
    return unique_id, block_size, size, bat, table_offset


def _write_differencing_vhd(raw: Path, out: Path, parent: Path) -> Path:
    parent_id, block_size, size, parent_bat, _ = _read_vhd_parent(parent)
    if os.path.getsize(raw) > size:
        # qemu-img rounds a VHD up to its CHS geometry, so the parent may be a little larger
        raise ValueError(f"{raw} is {os.path.getsize(raw)} bytes, larger than the parent disk ({size})")
    entries = (size + block_size - 1) // block_size
    bitmap_size = ((block_size // SECTOR + 7) // 8 + SECTOR - 1) // SECTOR * SECTOR
    child_id = uuid.uuid5(uuid.UUID(DEFAULT_UUID), out.name).bytes
    header_offset = 512
    table_offset = header_offset + 1024
    table_bytes = (entries * 4 + SECTOR - 1) // SECTOR * SECTOR
    parent_name = parent.name
    locator_data = (".\\" + parent_name).encode("utf-16-le")
    locator_space = (len(locator_data) + SECTOR - 1) // SECTOR * SECTOR
    locator_offset = table_offset + table_bytes
    cursor = locator_offset + locator_space
    bat = [0xFFFFFFFF] * entries
    blocks = []
    with open(raw, "rb") as source, open(parent, "rb") as parent_file:
        for index in range(entries):
            chunk = source.read(block_size).ljust(block_size, b"\0")
            base = _parent_block(parent_file, parent_bat, index, block_size, bitmap_size)
            if chunk == base:
                continue
            bitmap = bytearray(bitmap_size)
            for sector in range(block_size // SECTOR):
                if (
                    chunk[sector * SECTOR : (sector + 1) * SECTOR]
                    != base[sector * SECTOR : (sector + 1) * SECTOR]
                ):
                    bitmap[sector // 8] |= 0x80 >> (sector % 8)
            bat[index] = cursor // SECTOR
            blocks.append(bytes(bitmap) + chunk)
            cursor += bitmap_size + block_size
    header = bytearray(1024)
    struct.pack_into(
        ">8sQQIII", header, 0, b"cxsparse", 0xFFFFFFFFFFFFFFFF, table_offset, 0x00010000, entries, block_size
    )
    header[40:56] = parent_id
    struct.pack_into(">I", header, 56, FIXED_TIME - 946684800)
    header[64 : 64 + 512] = parent_name.encode("utf-16-be")[:512].ljust(512, b"\0")
    struct.pack_into(">4sIIIQ", header, 576, b"W2ru", locator_space, len(locator_data), 0, locator_offset)
    struct.pack_into(">I", header, 36, _vhd_checksum(bytes(header)))
    footer = _vhd_footer(size, 4, header_offset, child_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as target:
        target.write(footer)
        target.write(header)
        target.write(struct.pack(f">{entries}I", *bat).ljust(table_bytes, b"\xff"))
        target.write(locator_data.ljust(locator_space, b"\0"))
        for block in blocks:
            target.write(block)
        target.write(footer)
    return out


def _parent_block(
    parent: io.BufferedReader, bat: list[int], index: int, block_size: int, bitmap_size: int
) -> bytes:
    """One block of a dynamic VHD's virtual disk (zeros where the block is not allocated)."""
    if index >= len(bat) or bat[index] == 0xFFFFFFFF:
        return bytes(block_size)
    parent.seek(bat[index] * SECTOR + bitmap_size)
    return parent.read(block_size).ljust(block_size, b"\0")


def _tree_members(tree: str | Path) -> list[str]:
    root = str(tree)
    names = []
    for current, dirs, files in os.walk(root):
        dirs.sort()
        relative = os.path.relpath(current, root)
        if relative != ".":
            names.append(relative)
        names.extend(os.path.normpath(os.path.join(relative, f)) for f in sorted(files))
    return names


def make_tar_gz(tree: str | Path, out: str | Path, *, compress: bool = True) -> Path:
    """A tar (gzip-compressed unless ``compress`` is False) of ``tree``, members in sorted order,
    owner root, gzip header time fixed."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name in _tree_members(tree):
            info = archive.gettarinfo(os.path.join(tree, name), arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if info.isreg():
                with open(os.path.join(tree, name), "rb") as handle:
                    archive.addfile(info, handle)
            else:
                archive.addfile(info)
    data = buffer.getvalue()
    if compress:
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=FIXED_TIME) as gz,
        ):
            gz.write(data)
    else:
        path.write_bytes(data)
    return path


def make_zip(tree: str | Path, out: str | Path) -> Path:
    """A deflated zip of ``tree``, members in sorted order with the files' own times."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in _tree_members(tree):
            full = os.path.join(tree, name)
            if os.path.isdir(full):
                archive.write(full, name + "/")
            else:
                archive.write(full, name)
    return path

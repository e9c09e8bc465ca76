"""Container detection (by content signatures, then names) and the media stream of each format."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import tarfile
from typing import Any, BinaryIO, cast

import pyqcow
import pyvhdi
import pyvmdk

from workbench.sources import ewf
from workbench.sources.model import ContainerInfo, SourceError
from workbench.sources.streams import ConcatStream, HandleStream

HEAD_SIZE = 65536

# Extensions that claim a container: a file named like this without the signature is refused.
CLAIMED_EXTENSIONS = {
    ".e01": "ewf",
    ".ex01": "ewf",
    ".s01": "ewf",
    ".l01": "ewf",
    ".qcow2": "qcow2",
    ".qcow": "qcow2",
    ".vmdk": "vmdk",
    ".vhd": "vhd",
    ".vhdx": "vhdx",
    ".zip": "zip",
    ".tar": "tar",
    ".tgz": "gz",
    ".gz": "gz",
}
RAW_EXTENSIONS = (".dd", ".raw", ".img", ".bin", ".iso", ".dmg", ".image", ".disk")
# Zip-based document formats: given alone they are a file, not an archive to list.
ZIP_DOCUMENT_EXTENSIONS = (".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".jar", ".apk", ".epub", ".xpi")
SPLIT_NUMERIC = re.compile(r"^(?P<stem>.+)\.(?P<num>\d{3,4})$")
SPLIT_ALPHA = re.compile(r"^(?P<stem>.+)\.(?P<num>[a-z]{2}|[A-Z]{2})$")


def detect(path: str) -> ContainerInfo:
    """Detect the container format of an evidence path and find all its segments."""
    if not os.path.lexists(path):
        raise SourceError(path, "no such file or directory")
    if os.path.isdir(path):
        return ContainerInfo("directory", (os.path.abspath(path),), None, {}, {})
    if not os.path.isfile(path):
        raise SourceError(path, "not a regular file or directory")
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_SIZE)
            size = os.fstat(handle.fileno()).st_size
            tail = b""
            if size >= 512:
                handle.seek(size - 512)
                tail = handle.read(512)
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from None
    path = os.path.abspath(path)
    if ewf.is_ewf(head):
        return _detect_ewf(path)
    if head[:4] == b"QFI\xfb":
        return _detect_qcow2(path)
    if head[:4] == b"KDMV" or head[:21] == b"# Disk DescriptorFile":
        return _detect_vmdk(path)
    if head[:8] == b"vhdxfile":
        return _detect_vhd(path, "vhdx")
    if head[:8] == b"conectix" or tail[:8] == b"conectix":
        return _detect_vhd(path, "vhd")
    split = _split_segments(path)
    if split is not None:
        return split
    if has_volume_signature(head):
        return ContainerInfo("raw", (path,), size, {}, {})
    lower = path.lower()
    if head[:2] == b"\x1f\x8b":
        return ContainerInfo("gz", (path,), size, {}, {})
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06") and not lower.endswith(ZIP_DOCUMENT_EXTENSIONS):
        return ContainerInfo("zip", (path,), size, {}, {})
    if is_tar(head, path):
        return ContainerInfo("tar", (path,), size, {}, {})
    if lower.endswith(RAW_EXTENSIONS):
        return ContainerInfo("raw", (path,), size, {}, {})
    for extension, claimed in CLAIMED_EXTENSIONS.items():
        if lower.endswith(extension):
            raise SourceError(path, f"unknown format: named like {claimed} but has no {claimed} signature")
    return ContainerInfo("file", (path,), size, {}, {})


def is_tar(head: bytes, path: str | None = None) -> bool:
    """True for a POSIX/GNU tar header (ustar magic), or an old tar with a valid header checksum."""
    if head[257:262] == b"ustar":
        return True
    if len(head) < 512 or path is None or not path.lower().endswith(".tar"):
        return False
    try:
        tarfile.TarInfo.frombuf(head[:512], "utf-8", "surrogateescape")
    except (tarfile.HeaderError, ValueError):
        return False
    return True


def has_volume_signature(head: bytes) -> bool:
    """True when ``head`` starts like a disk, a partition table, a file system or an encrypted volume."""
    checks = (
        head[510:512] == b"\x55\xaa",  # MBR / boot sector
        head[512:520] == b"EFI PART",  # GPT
        head[1080:1082] == b"\x53\xef",  # ext2/3/4
        head[3:11] in (b"NTFS    ", b"EXFAT   ", b"-FVE-FS-"),  # NTFS, exFAT, BitLocker
        head[:4] == b"XFSB",
        head[1024:1026] in (b"H+", b"HX"),  # HFS+, HFSX
        head[32:36] == b"NXSB",  # APFS container
        head[:6] == b"LUKS\xba\xbe",
        b"LABELONE" in (head[0:8], head[512:520], head[1024:1032], head[1536:1544]),  # LVM2 PV
        head[32769:32774] == b"CD001",  # ISO 9660
    )
    return any(checks)


def _detect_ewf(path: str) -> ContainerInfo:
    segments, missing = ewf.find_segments(path)
    if missing:
        raise SourceError(path, f"incomplete EWF set: missing segment {missing[0]}")
    media_size, hashes, details = ewf.read_metadata(segments)
    return ContainerInfo("ewf", tuple(segments), media_size, hashes, details)


def _detect_qcow2(path: str) -> ContainerInfo:
    handle = pyqcow.file()
    try:
        handle.open(path)
        size = int(handle.get_media_size())
        backing = handle.get_backing_filename()
    except OSError as exc:
        raise SourceError(path, f"cannot open qcow2 image: {exc}") from None
    finally:
        _close(handle)
    details: dict[str, object] = {}
    if backing:
        raise SourceError(path, f"qcow2 with a backing file ({backing!s}) is not supported")
    return ContainerInfo("qcow2", (path,), size, {}, details)


def _detect_vmdk(path: str) -> ContainerInfo:
    handle = pyvmdk.handle()
    try:
        handle.open(path)
        handle.open_extent_data_files()
        size = int(handle.get_media_size())
        extents = []
        for index in range(handle.get_number_of_extents()):
            name = handle.get_extent_descriptor(index).get_filename()
            if name:
                extents.append(os.path.join(os.path.dirname(path), os.path.basename(name)))
        parent = handle.get_parent_filename()
    except OSError as exc:
        raise SourceError(path, f"cannot open VMDK image: {_short(exc)}") from None
    finally:
        _close(handle)
    if parent:
        raise SourceError(path, f"VMDK with a parent disk ({parent}) is not supported")
    paths = [path] + [e for e in dict.fromkeys(extents) if e != path]
    return ContainerInfo("vmdk", tuple(paths), size, {}, {"extents": len(paths)})


def _detect_vhd(path: str, fmt: str) -> ContainerInfo:
    chain = vhd_parent_chain(path)
    handle = pyvhdi.file()
    try:
        handle.open(path)
        size = int(handle.get_media_size())
        disk_type = int(handle.get_disk_type())
    except OSError as exc:
        raise SourceError(path, f"cannot open {fmt.upper()} image: {_short(exc)}") from None
    finally:
        _close(handle)
    details: dict[str, object] = {
        "disk_type": {2: "fixed", 3: "dynamic", 4: "differencing"}.get(disk_type, str(disk_type))
    }
    if chain:
        details["parent"] = chain[0]
        details["parents"] = list(chain)
    return ContainerInfo(fmt, (path,), size, {}, details)


def vhd_parent_chain(path: str) -> list[str]:
    """Parent images of a differencing VHD/VHDX, nearest first; they must lie beside the child."""
    chain: list[str] = []
    current = path
    while True:
        handle = pyvhdi.file()
        try:
            handle.open(current)
            parent_name = handle.get_parent_filename() if int(handle.get_disk_type()) == 4 else None
        except OSError as exc:
            raise SourceError(current, f"cannot open VHD image: {_short(exc)}") from None
        finally:
            _close(handle)
        if not parent_name:
            return chain
        base = re.split(r"[\\/]", parent_name)[-1]
        candidate = os.path.join(os.path.dirname(current), base)
        if not os.path.isfile(candidate):
            raise SourceError(path, f"differencing image: parent {base} not found beside it")
        if candidate in chain or candidate == path or len(chain) > 16:
            raise SourceError(path, "differencing image: parent chain loops")
        chain.append(candidate)
        current = candidate


def _split_segments(path: str) -> ContainerInfo | None:
    """A split raw set (name.000/.001 …, name.aa/.ab …) with at least two segments, else None."""
    directory, name = os.path.split(path)
    numeric = SPLIT_NUMERIC.match(name)
    alpha = SPLIT_ALPHA.match(name)
    match = numeric or alpha
    if match is None:
        return None
    stem, number = match.group("stem"), match.group("num")
    names = os.listdir(directory)
    if numeric:
        width = len(number)
        pattern = re.compile(re.escape(stem) + r"\.(\d{" + str(width) + r"})$")
        indexes = sorted(int(m.group(1)) for n in names if (m := pattern.match(n)))
        start = 0 if 0 in indexes else 1
        make = [f"{stem}.{i:0{width}d}" for i in range(start, (max(indexes) if indexes else 0) + 1)]
    else:
        base = "a" if number.islower() else "A"
        pattern = re.compile(re.escape(stem) + (r"\.([a-z]{2})$" if number.islower() else r"\.([A-Z]{2})$"))
        found = [m.group(1) for n in names if (m := pattern.match(n))]
        if not found:
            return None
        last = max((ord(s[0]) - ord(base)) * 26 + ord(s[1]) - ord(base) for s in found)
        make = [f"{stem}.{chr(ord(base) + i // 26)}{chr(ord(base) + i % 26)}" for i in range(last + 1)]
    existing = [n for n in make if os.path.isfile(os.path.join(directory, n))]
    if len(existing) < 2:
        return None
    missing = [n for n in make if n not in existing]
    if missing:
        raise SourceError(path, f"incomplete split raw set: missing segment {missing[0]}")
    paths = tuple(os.path.join(directory, n) for n in make)
    sizes = [os.path.getsize(p) for p in paths]
    return ContainerInfo("split-raw", paths, sum(sizes), {}, {"segment_sizes": sizes})


def open_media(info: ContainerInfo) -> BinaryIO:
    """Read-only stream over the media content of a container (decoded, virtual or concatenated)."""
    fmt = info.format
    where = info.paths[0] if info.paths else "evidence"
    if fmt == "directory":
        raise SourceError(where, "a directory has no media stream")
    try:
        if fmt in ("raw", "tar", "zip", "gz", "file"):
            return open(info.paths[0], "rb")
        if fmt == "split-raw":
            return cast(BinaryIO, ConcatStream(info.paths))
        if fmt == "ewf":
            return cast(BinaryIO, ewf.EwfStream(list(info.paths)))
        if fmt == "qcow2":
            qcow = pyqcow.file()
            qcow.open(info.paths[0])
            return cast(BinaryIO, HandleStream(qcow, int(qcow.get_media_size()), where))
        if fmt == "vmdk":
            vmdk = pyvmdk.handle()
            vmdk.open(info.paths[0])
            vmdk.open_extent_data_files()
            return cast(BinaryIO, HandleStream(vmdk, int(vmdk.get_media_size()), where))
        if fmt in ("vhd", "vhdx"):
            return cast(BinaryIO, _open_vhd(info))
    except OSError as exc:
        raise SourceError(where, f"cannot open {fmt} image: {_short(exc)}") from None
    raise SourceError(where, f"unknown container format {fmt!r}")


def _open_vhd(info: ContainerInfo) -> HandleStream:
    parents = [str(p) for p in cast(list[Any], info.details.get("parents", []))]
    handles = []
    for path in [info.paths[0], *parents]:
        if not os.path.isfile(path):
            raise SourceError(info.paths[0], f"differencing image: parent {os.path.basename(path)} not found")
        handle = pyvhdi.file()
        handle.open(path)
        handles.append(handle)
    for child, parent in itertools.pairwise(handles):
        child.set_parent(parent)

    def close_all() -> None:
        for h in handles:
            _close(h)

    return HandleStream(handles[0], int(handles[0].get_media_size()), info.paths[0], on_close=close_all)


def _close(handle: Any) -> None:
    with contextlib.suppress(OSError, RuntimeError):
        handle.close()


def _short(exc: BaseException) -> str:
    """The root cause of a libyal error (their messages chain every frame)."""
    parts = [p.strip() for p in str(exc).split(". ") if p.strip()]
    return parts[1] if len(parts) > 1 else str(exc)

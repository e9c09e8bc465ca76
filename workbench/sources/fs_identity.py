"""A file system's label and UUID or serial number, read from its own superblock or boot sector.

The Sleuth Kit and dfvfs list files but do not say which volume an examiner is looking at; these
are the fields ``blkid`` (and Windows' ``vol``) show, so a report names the volume as its owner
knew it. Pure functions over a ``read(offset, size)`` of the file system's bytes, easy to fuzz:
unreadable or foreign bytes give no field, never an exception.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable

Reader = Callable[[int, int], bytes]


def knows(type_name: str) -> bool:
    """True when ``identify`` can read this file system type's label or serial."""
    return _family(type_name) in _READERS


def _family(type_name: str) -> str:
    return type_name.rstrip("0123456789") if type_name.startswith(("ext", "fat")) else type_name


def identify(type_name: str, read: Reader) -> dict[str, str]:
    """{"label": …, "uuid": …} or {"label": …, "serial": …} for a file system type, as far as known."""
    reader = _READERS.get(_family(type_name))
    if reader is None:
        return {}
    try:
        found = reader(read)
    except (OSError, ValueError, struct.error, IndexError):
        return {}
    return {key: value for key, value in found.items() if value}


def _text(raw: bytes, encoding: str = "utf-8") -> str:
    """Printable text of a fixed-size name field (NUL- and space-padded)."""
    text = raw.decode(encoding, "replace").split("\0", 1)[0].strip()
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _ext(read: Reader) -> dict[str, str]:
    block = read(1024, 256)
    if block[0x38:0x3A] != b"\x53\xef":
        return {}
    return {"label": _text(block[0x78:0x88]), "uuid": str(uuid.UUID(bytes=block[0x68:0x78]))}


def _fat(read: Reader) -> dict[str, str]:
    boot = read(0, 512)
    if boot[510:512] != b"\x55\xaa":
        return {}
    # FAT32 keeps its extended boot record 0x1C bytes further on than FAT12/16.
    base = 0x40 if struct.unpack_from("<H", boot, 0x16)[0] == 0 else 0x24
    if boot[base + 2] not in (0x28, 0x29):
        return {}
    serial = struct.unpack_from("<I", boot, base + 3)[0]
    label = _text(boot[base + 7 : base + 18], "cp437") if boot[base + 2] == 0x29 else ""
    return {
        "label": "" if label == "NO NAME" else label,
        "serial": _volume_serial(serial),
    }


def _volume_serial(serial: int) -> str:
    """A FAT/exFAT volume serial number as Windows and blkid write it ("1D2C-3B4A")."""
    return f"{serial >> 16:04X}-{serial & 0xFFFF:04X}"


def _exfat(read: Reader) -> dict[str, str]:
    boot = read(0, 512)
    if boot[3:11] != b"EXFAT   ":
        return {}
    serial = struct.unpack_from("<I", boot, 0x64)[0]
    return {"serial": _volume_serial(serial)}


def _ntfs(read: Reader) -> dict[str, str]:
    boot = read(0, 512)
    if boot[3:11] != b"NTFS    ":
        return {}
    return {"serial": f"{struct.unpack_from('<Q', boot, 0x48)[0]:016X}"}


def _xfs(read: Reader) -> dict[str, str]:
    block = read(0, 128)
    if block[:4] != b"XFSB":
        return {}
    return {"label": _text(block[108:120]), "uuid": str(uuid.UUID(bytes=block[32:48]))}


def _iso9660(read: Reader) -> dict[str, str]:
    descriptor = read(16 * 2048, 2048)
    if descriptor[:6] != b"\x01CD001":
        return {}
    # No UUID in ISO 9660: like blkid (and /dev/disk/by-uuid), use the volume's modification date,
    # else its creation date, as "YYYY-MM-DD-HH-MM-SS-cc".
    stamp = next(
        (d for d in (descriptor[830:846], descriptor[813:829]) if d.isdigit() and d.strip(b"0")), b""
    )
    dashed = (
        "-".join(p.decode() for p in (stamp[:4], *(stamp[i : i + 2] for i in range(4, 16, 2))))
        if stamp
        else ""
    )
    return {"label": _text(descriptor[40:72], "ascii"), "uuid": dashed}


def _hfsplus(read: Reader) -> dict[str, str]:
    header = read(1024, 512)
    if header[:2] not in (b"H+", b"HX"):
        return {}
    volume_id = struct.unpack_from(">Q", header, 80 + 24)[0]  # Finder info words 6 and 7
    return {"label": _hfs_volume_name(read, header), "volume_id": f"{volume_id:016X}" if volume_id else ""}


def _hfs_volume_name(read: Reader, header: bytes) -> str:
    """The root folder's name: the first record of the catalog's first leaf (parent ID 1 sorts first)."""
    block_size = struct.unpack_from(">I", header, 40)[0]
    catalog_start, catalog_blocks = struct.unpack_from(">II", header, 272 + 16)
    node = read(catalog_start * block_size, 512)
    first_leaf, node_size = (
        struct.unpack_from(">I", node, 14 + 10)[0],
        struct.unpack_from(">H", node, 14 + 18)[0],
    )
    if not first_leaf or node_size < 512 or (first_leaf + 1) * node_size > catalog_blocks * block_size:
        return ""
    leaf = read(catalog_start * block_size + first_leaf * node_size, node_size)
    if struct.unpack_from(">b", leaf, 8)[0] != -1:  # not a leaf node
        return ""
    record = struct.unpack_from(">H", leaf, node_size - 2)[0]
    parent, length = struct.unpack_from(">IH", leaf, record + 2)
    if parent != 1:
        return ""
    return _text(leaf[record + 8 : record + 8 + 2 * length], "utf-16-be")


_READERS: dict[str, Callable[[Reader], dict[str, str]]] = {
    "ext": _ext,
    "fat": _fat,
    "exfat": _exfat,
    "ntfs": _ntfs,
    "xfs": _xfs,
    "iso9660": _iso9660,
    "hfs+": _hfsplus,
}

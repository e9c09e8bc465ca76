"""BitLocker test evidence: wraps a plain file-system image in a BitLocker volume (Windows 8+/10 format,
FVE metadata version 2) that libbde (``pybde``, what dfvfs uses) unlocks with a password or a recovery
password. Test-evidence tooling only, never run on evidence. Layout after libyal's "BitLocker Drive
Encryption (BDE) format" notes, libbde and dislocker:

* Sector 0 is the BitLocker volume header: boot entry point ``eb 58 90``, ``-FVE-FS-``, a FAT32-like
  BPB whose 32-bit total sector count is the size of ``inner`` (libbde takes the volume size from it),
  the BitLocker identifier GUID at 0xa0 and the offsets of the three FVE metadata blocks at 0xb0.
* The decrypted volume is exactly ``inner``. Its first ``VOLUME_HEADER_SIZE`` bytes are stored,
  encrypted, at the "volume header offset" (block header field and a 0x000f entry), as Windows
  does; the three 64 KiB metadata blocks and that copy lie after the end of ``inner``, so no data of
  ``inner`` is hidden by them (libbde reads metadata areas as zeros).
* Every metadata block is a 64-byte block header (version 2, encrypted volume size, volume header
  offset and sector count), a 48-byte metadata header (volume GUID, method, creation time) and the
  entries: a VMK protected by a password (protection 0x2000: a stretch key entry with the salt and
  an AES-CCM encrypted key), optionally a second VMK protected by a recovery password (0x0800), the
  FVEK encrypted with the VMK, and the volume header block entry. The block header's size field
  (in 16-byte units) and the CRC-32 in the validation header that follows the block are what
  dislocker checks; libbde checks neither.
* Password key: SHA-256 of SHA-256 of the UTF-16LE password (recovery password: SHA-256 of its eight
  16-bit words, each group divided by 11), then ``STRETCH_ITERATIONS`` SHA-256 rounds over
  (last hash, that hash, salt, round number as 64-bit LE); the final hash is the AES-256-CCM key.
* AES-CCM: 12-byte nonce (FILETIME + counter), 16-byte tag stored in front of the ciphertext. The
  decrypted key is itself an entry: size 0x2c, value type 1 (key), version 1, method, 32 key bytes.
* Sectors are encrypted with XTS-AES-128 (0x8004), 512-byte data units, tweak = the physical sector
  number in the volume (for the relocated header: where it is stored, not where it is read).
"""

from __future__ import annotations

import hashlib
import os
import struct
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESCCM

from workbench.samples.xts import xts_unit

SECTOR = 512
STRETCH_ITERATIONS = 0x100000  # SHA-256 rounds of BitLocker's password/recovery key stretch
VOLUME_HEADER_SIZE = 8192  # the first bytes of the volume, relocated (16 sectors, as Windows)
METADATA_BLOCK_SIZE = 65536  # room reserved for each FVE metadata block (libbde zeroes this much)
BOOT_ENTRY_POINT = b"\xeb\x58\x90"  # Windows 7 and later
SIGNATURE = b"-FVE-FS-"
BDE_IDENTIFIER = uuid.UUID("4967d63b-2e29-4ad8-8399-f6a339e3d001").bytes_le
METADATA_VERSION = 2
STATE_ENCRYPTED = 4
BLOCK_HEADER_SIZE, METADATA_HEADER_SIZE = 64, 48
VALIDATION_VERSION = 2
METHOD_XTS_AES_128 = 0x8004
METHOD_STRETCH_KEY = 0x1000
METHOD_VMK_KEY = 0x2000  # AES-CCM 256 key
PROTECTION_PASSWORD, PROTECTION_RECOVERY_PASSWORD = 0x2000, 0x0800
ENTRY_PROPERTY, ENTRY_VMK, ENTRY_FVEK, ENTRY_VOLUME_HEADER = 0x0000, 0x0002, 0x0003, 0x000F
VALUE_KEY, VALUE_STRETCH_KEY, VALUE_AES_CCM, VALUE_VMK, VALUE_OFFSET_SIZE = 1, 3, 5, 8, 0x000F
ENTRY_VERSION = 1
CCM_TAG = 16
RECOVERY_GROUPS, RECOVERY_DIVISOR = 8, 11
FILETIME_EPOCH_OFFSET = 116444736000000000  # 100 ns intervals from 1601 to 1970
CREATED_AT = 1717250531  # 2024-06-01T14:02:11Z, the FVE creation and key modification time


class BadRecoveryPassword(ValueError):
    """A recovery password that is not eight dash-separated groups of six digits, each a multiple of 11."""


@dataclass(frozen=True)
class _Keys:
    vmk: bytes  # 32-byte volume master key (AES-256-CCM key of the FVEK)
    fvek: bytes  # 32 bytes: the XTS data key, then the tweak key
    volume_guid: bytes
    password_salt: bytes
    recovery_salt: bytes
    password_vmk_id: bytes
    recovery_vmk_id: bytes


def make_bitlocker(
    inner: str | Path,
    out: str | Path,
    *,
    password: str,
    recovery_password: str | None = None,
    seed: bytes | None = None,
) -> Path:
    """Write to ``out`` a BitLocker volume whose decrypted content is exactly the image ``inner``."""
    data = Path(inner).read_bytes()
    if not data or len(data) % SECTOR:
        raise ValueError(f"{inner}: size {len(data)} is not a positive multiple of {SECTOR}")
    keys = _keys(seed)
    size = len(data)
    offsets = [size + index * METADATA_BLOCK_SIZE for index in range(3)]
    header_offset = size + 3 * METADATA_BLOCK_SIZE
    total = header_offset + VOLUME_HEADER_SIZE
    block = _metadata_block(keys, password, recovery_password, total, offsets, header_offset)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(_volume_header(size, offsets).ljust(VOLUME_HEADER_SIZE, b"\0"))
        for offset in range(VOLUME_HEADER_SIZE, size, SECTOR):
            handle.write(xts_unit(keys.fvek, offset // SECTOR, data[offset : offset + SECTOR]))
        for _ in offsets:
            handle.write(block.ljust(METADATA_BLOCK_SIZE, b"\0"))
        for offset in range(0, VOLUME_HEADER_SIZE, SECTOR):
            sector = (header_offset + offset) // SECTOR
            handle.write(xts_unit(keys.fvek, sector, data[offset : offset + SECTOR]))
    return path


def password_hash(password: str) -> bytes:
    """The 32-byte hash of a user password that the stretch starts from."""
    return hashlib.sha256(hashlib.sha256(password.encode("utf-16-le")).digest()).digest()


def recovery_password_hash(recovery_password: str) -> bytes:
    """The 32-byte hash of a 48-digit recovery password that the stretch starts from."""
    groups = recovery_password.strip().split("-")
    if len(groups) != RECOVERY_GROUPS or not all(len(g) == 6 and g.isdigit() for g in groups):
        raise BadRecoveryPassword(recovery_password)
    words = []
    for group in groups:
        quotient, remainder = divmod(int(group), RECOVERY_DIVISOR)
        if remainder or quotient > 0xFFFF:
            raise BadRecoveryPassword(recovery_password)
        words.append(quotient)
    return hashlib.sha256(struct.pack("<8H", *words)).digest()


def stretch(initial_hash: bytes, salt: bytes, iterations: int = STRETCH_ITERATIONS) -> bytes:
    """BitLocker's key stretch: the AES-CCM key that protects a VMK."""
    last = bytes(32)
    fixed = initial_hash + salt
    for count in range(iterations):
        last = hashlib.sha256(last + fixed + count.to_bytes(8, "little")).digest()
    return last


def _keys(seed: bytes | None) -> _Keys:
    def material(label: str, size: int) -> bytes:
        if seed is None:
            return os.urandom(size)
        return hashlib.sha256(seed + label.encode()).digest()[:size]

    fvek = material("fvek data", 16) + material("fvek tweak", 16)
    if fvek[:16] == fvek[16:]:  # OpenSSL refuses XTS keys with equal halves
        raise ValueError("degenerate XTS key: choose another seed")
    return _Keys(
        vmk=material("vmk", 32),
        fvek=fvek,
        volume_guid=material("volume guid", 16),
        password_salt=material("password salt", 16),
        recovery_salt=material("recovery salt", 16),
        password_vmk_id=material("password vmk id", 16),
        recovery_vmk_id=material("recovery vmk id", 16),
    )


def _filetime(unix: int) -> bytes:
    return struct.pack("<Q", unix * 10_000_000 + FILETIME_EPOCH_OFFSET)


def _volume_header(volume_size: int, metadata_offsets: list[int]) -> bytes:
    header = bytearray(SECTOR)
    header[0:3] = BOOT_ENTRY_POINT
    header[3:11] = SIGNATURE
    struct.pack_into("<HB", header, 0x0B, SECTOR, 8)  # bytes per sector, sectors per cluster
    header[0x15] = 0xF8  # media descriptor: fixed disk
    struct.pack_into("<HHII", header, 0x18, 0x3F, 0xFF, 0, volume_size // SECTOR)
    header[0x40], header[0x42] = 0x80, 0x29  # drive number, extended boot signature
    header[0x47:0x5A] = b"NO NAME    FAT32   "
    header[0xA0:0xB0] = BDE_IDENTIFIER
    struct.pack_into("<3Q", header, 0xB0, *metadata_offsets)
    header[0x1FE:0x200] = b"\x55\xaa"
    return bytes(header)


def _entry(entry_type: int, value_type: int, value: bytes) -> bytes:
    return struct.pack("<4H", 8 + len(value), entry_type, value_type, ENTRY_VERSION) + value


class _Nonces:
    """AES-CCM nonces: the creation FILETIME and a counter, as the metadata header records it."""

    def __init__(self) -> None:
        self.counter = 0

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        self.counter += 1
        return _filetime(CREATED_AT) + struct.pack("<I", self.counter - 1)


def _ccm_entry(key: bytes, nonce: bytes, method: int, secret: bytes) -> bytes:
    """An AES-CCM encrypted key entry value: nonce, tag, then the encrypted key entry."""
    plain = struct.pack("<4HI", 12 + len(secret), ENTRY_PROPERTY, VALUE_KEY, ENTRY_VERSION, method) + secret
    sealed = AESCCM(key, tag_length=CCM_TAG).encrypt(nonce, plain, None)
    return nonce + sealed[-CCM_TAG:] + sealed[:-CCM_TAG]


def _vmk_entry(
    vmk_id: bytes, protection: int, salt: bytes, stretched: bytes, vmk: bytes, nonce: bytes
) -> bytes:
    head = vmk_id + _filetime(CREATED_AT) + struct.pack("<HH", 0, protection)
    stretch_key = _entry(ENTRY_PROPERTY, VALUE_STRETCH_KEY, struct.pack("<I", METHOD_STRETCH_KEY) + salt)
    encrypted = _entry(ENTRY_PROPERTY, VALUE_AES_CCM, _ccm_entry(stretched, nonce, METHOD_VMK_KEY, vmk))
    return _entry(ENTRY_VMK, VALUE_VMK, head + stretch_key + encrypted)


def _entries(
    keys: _Keys, password: str, recovery_password: str | None, header_offset: int, nonces: _Nonces
) -> bytes:
    stretched = stretch(password_hash(password), keys.password_salt)
    out = _vmk_entry(
        keys.password_vmk_id, PROTECTION_PASSWORD, keys.password_salt, stretched, keys.vmk, next(nonces)
    )
    if recovery_password is not None:
        stretched = stretch(recovery_password_hash(recovery_password), keys.recovery_salt)
        out += _vmk_entry(
            keys.recovery_vmk_id,
            PROTECTION_RECOVERY_PASSWORD,
            keys.recovery_salt,
            stretched,
            keys.vmk,
            next(nonces),
        )
    out += _entry(
        ENTRY_FVEK, VALUE_AES_CCM, _ccm_entry(keys.vmk, next(nonces), METHOD_XTS_AES_128, keys.fvek)
    )
    location = struct.pack("<QQ", header_offset, VOLUME_HEADER_SIZE)
    return out + _entry(ENTRY_VOLUME_HEADER, VALUE_OFFSET_SIZE, location)


def _metadata_block(
    keys: _Keys,
    password: str,
    recovery_password: str | None,
    encrypted_size: int,
    offsets: list[int],
    header_offset: int,
) -> bytes:
    """Block header, metadata header and entries, padded to 16 bytes, then the CRC-32 validation header."""
    nonces = _Nonces()
    entries = _entries(keys, password, recovery_password, header_offset, nonces)
    metadata_size = METADATA_HEADER_SIZE + len(entries)
    metadata_header = struct.pack(
        "<4I16sI2H8s",
        metadata_size,
        1,
        METADATA_HEADER_SIZE,
        metadata_size,
        keys.volume_guid,
        nonces.counter,
        METHOD_XTS_AES_128,
        METHOD_XTS_AES_128,
        _filetime(CREATED_AT),
    )
    information_size = -(-(BLOCK_HEADER_SIZE + metadata_size) // 16) * 16
    block_header = SIGNATURE + struct.pack(
        "<4HQ2I4Q",
        information_size // 16,
        METADATA_VERSION,
        STATE_ENCRYPTED,
        STATE_ENCRYPTED,
        encrypted_size,
        0,
        VOLUME_HEADER_SIZE // SECTOR,
        *offsets,
        header_offset,
    )
    information = (block_header + metadata_header + entries).ljust(information_size, b"\0")
    validation = struct.pack("<2HI", 8, VALIDATION_VERSION, zlib.crc32(information))
    return information + validation

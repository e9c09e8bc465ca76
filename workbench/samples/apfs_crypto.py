"""Software encryption (FileVault on a Mac without T2) for the APFS sample images of
:mod:`workbench.samples.apfs`, after Apple's "Apple File System Reference" and libfsapfs's notes.

* AES-XTS-128 with a 512-byte data unit whose tweak is the sector number counted from the start
  of the container: a 4096-byte block ``b`` is sectors ``8 b`` to ``8 b + 7``. A file's data uses
  its extent's ``crypto_id`` (here the extent's first block) instead of the physical block.
* The container key bag (``nx_keylocker``, object type ``keys``) is encrypted with the container
  UUID as both XTS keys, the volume key bag (type ``recs``) with the volume UUID. Their
  Fletcher-64 checksums, like those of the encrypted fs-tree nodes, cover the plain text.
* Key blobs are DER: ``30 {80 version, 81 HMAC, 82 salt, a3 {80 version, 81 UUID, 82 flags
  (0: a 32-byte key wrapped with AES-256), 83 RFC 3394 wrapped key, [84 iterations, 85 salt]}}``.
  The password gives the key that unwraps the KEK (PBKDF2-HMAC-SHA256, 32 bytes); the KEK unwraps
  the VEK, whose halves are the two XTS keys.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

from workbench.sources.apfs_integrity import fletcher64

SECTOR = 512
TYPE_CONTAINER_KEYBAG, TYPE_VOLUME_KEYBAG = 0x6B657973, 0x72656373  # 'keys' and 'recs'
KB_TAG_VOLUME_KEY, KB_TAG_VOLUME_UNLOCK_RECORDS = 2, 3
KEYBAG_VERSION = 2
BLOB_HMAC_PREFIX = b"\x01\x16\x20\x17\x15\x05"  # hashed with the blob salt into the HMAC key
GF_REDUCTION = 0x87  # x^128 = x^7 + x^2 + x + 1 in the XTS tweak field
MASK_128 = (1 << 128) - 1


@dataclass
class Keys:
    """The keys of one encrypted volume, made up fresh for every image."""

    password: str
    iterations: int
    vek: bytes = field(default_factory=lambda: os.urandom(32))
    kek: bytes = field(default_factory=lambda: os.urandom(32))
    user_uuid: bytes = field(default_factory=lambda: os.urandom(16))
    salt: bytes = field(default_factory=lambda: os.urandom(16))


def xts(key: bytes, sector: int, data: bytes | bytearray, *, decrypt: bool = False) -> bytes:
    """AES-XTS over whole 512-byte sectors, the first one numbered ``sector``.

    Built on AES-ECB because the key bags use the same 16 bytes for both halves of the key,
    which OpenSSL's XTS refuses."""
    if len(data) % SECTOR:
        raise ValueError("XTS data must be whole 512-byte sectors")
    data_key = Cipher(algorithms.AES(key[:16]), modes.ECB())
    tweak_key = Cipher(algorithms.AES(key[16:]), modes.ECB()).encryptor()
    out = bytearray()
    for index in range(len(data) // SECTOR):
        tweak = int.from_bytes(tweak_key.update((sector + index).to_bytes(16, "little")), "little")
        mask = bytearray()
        for _ in range(SECTOR // 16):
            mask += tweak.to_bytes(16, "little")
            tweak = (tweak << 1 & MASK_128) ^ (GF_REDUCTION if tweak >> 127 else 0)
        whitener = int.from_bytes(mask, "little")
        chunk = int.from_bytes(data[index * SECTOR : (index + 1) * SECTOR], "little") ^ whitener
        engine = data_key.decryptor() if decrypt else data_key.encryptor()
        crypted = engine.update(chunk.to_bytes(SECTOR, "little"))
        out += (int.from_bytes(crypted, "little") ^ whitener).to_bytes(SECTOR, "little")
    return bytes(out)


def _der(tag: int, value: bytes) -> bytes:
    """One DER tag-length-value (short form, or long form with one or two length bytes)."""
    if len(value) < 0x80:
        length = bytes([len(value)])
    elif len(value) < 0x100:
        length = bytes([0x81, len(value)])
    else:
        length = bytes([0x82]) + len(value).to_bytes(2, "big")
    return bytes([tag]) + length + value


def _der_int(tag: int, number: int) -> bytes:
    return _der(tag, number.to_bytes(max(1, -(-number.bit_length() // 8)), "big"))


def key_blob(uuid: bytes, wrapped: bytes, *, iterations: int = 0, salt: bytes = b"") -> bytes:
    """A wrapped-key blob; with ``iterations`` and ``salt`` the key is unwrapped with a password."""
    inner = _der_int(0x80, 0) + _der(0x81, uuid) + _der(0x82, bytes(8)) + _der(0x83, wrapped)
    if iterations:
        inner += _der_int(0x84, iterations) + _der(0x85, salt)
    blob = _der(0xA3, inner)
    blob_salt = os.urandom(8)
    hmac_key = hashlib.sha256(BLOB_HMAC_PREFIX + blob_salt).digest()
    digest = hmac.new(hmac_key, blob, hashlib.sha256).digest()
    return _der(0x30, _der_int(0x80, 0) + _der(0x81, digest) + _der(0x82, blob_salt) + blob)


def password_key(keys: Keys) -> bytes:
    """The key derived from the password that wraps the KEK."""
    return hashlib.pbkdf2_hmac("sha256", keys.password.encode(), keys.salt, keys.iterations, 32)


def kek_blob(keys: Keys) -> bytes:
    """The volume key bag's unlock record: the KEK wrapped by the password key."""
    wrapped = aes_key_wrap(password_key(keys), keys.kek)
    return key_blob(keys.user_uuid, wrapped, iterations=keys.iterations, salt=keys.salt)


def vek_blob(keys: Keys, volume_uuid: bytes) -> bytes:
    """The container key bag's volume key: the VEK wrapped by the KEK."""
    return key_blob(volume_uuid, aes_key_wrap(keys.kek, keys.vek))


def keybag_block(
    obj_type: int, header: tuple[int, int], entries: list[tuple[bytes, int, bytes]], block_size: int
) -> bytearray:
    """A plain-text key bag block (obj_phys_t, kb_locker_t and 16-byte aligned entries), checksummed.

    ``header`` is (oid, xid); each entry is (UUID, tag, data)."""
    body = bytearray()
    for uuid, tag, data in entries:
        body += uuid + struct.pack("<HHI", tag, len(data), 0) + data
        body += bytes(-len(body) % 16)
    locker = struct.pack("<HHI8x", KEYBAG_VERSION, len(entries), 16 + len(body)) + body
    block = bytearray(block_size)
    struct.pack_into("<QQII", block, 8, header[0], header[1], obj_type, 0)
    if 32 + len(locker) > block_size:
        raise ValueError("key bag does not fit one block")
    block[32 : 32 + len(locker)] = locker
    struct.pack_into("<Q", block, 0, fletcher64(block))
    return block

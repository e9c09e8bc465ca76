"""FileVault 2 on Core Storage (macOS 10.7 to 10.12) for the tests, after libyal's "FileVault Drive
Encryption (FVDE)" notes and what libfvde checks: no tool here creates such a volume.

One physical volume holds one logical volume group with one encrypted logical volume:

* Physical volume header (block 0, copied at the end): ``CS`` signature, weak CRC32C (seed
  ``0xffffffff``, no final inversion) of bytes 8 to 512, 4096-byte blocks, four metadata block
  numbers, the 16-byte metadata key and the physical volume and group UUIDs (big-endian).
* Metadata (four copies, 8192 bytes each, plain): a type ``0x0011`` block whose volume groups
  descriptor names the two copies of the encrypted metadata, and the group's XML plist.
* Encrypted metadata: 8192-byte blocks, AES-XTS-128 with the header's key and the physical volume
  UUID as tweak key, the block index as tweak; a zero block ends them. Types ``0x0105`` (the
  logical volumes), ``0x0305`` (the volume's segment), ``0x001a`` (its plist: family UUID, name,
  size) and ``0x0019`` (the ``com.apple.corestorage.lvf.encryption.context`` plist).
* The password gives a key (PBKDF2-HMAC-SHA256, 16 bytes) that unwraps the KEK (RFC 3394) in the
  ``PassphraseWrappedKEKStruct``; the KEK unwraps the 16-byte volume key in the
  ``KEKWrappedVolumeKeyStruct``. Data is AES-XTS-128: the volume key, SHA-256(volume key + family
  UUID)[:16] as tweak key, and the 512-byte sector number within the logical volume as tweak.

libfvde unlocks the volume only if it finds ``H+`` or ``HX`` 1024 bytes into the decrypted logical
volume, so the inner image must be HFS+ (see :func:`workbench.samples.hfsplus.make_hfsplus`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives.keywrap import aes_key_wrap

from workbench.samples.apfs import CRC32C_TABLE
from workbench.samples.xts import xts_unit

SECTOR = 512
BLOCK = 4096  # Core Storage block size
META_BLOCK = 8192  # every metadata block, plain or encrypted
HEADER_SIZE = 512
CRC_SEED = 0xFFFFFFFF
VERSION = 1
CHECKSUM_CRC32C = 1
ENCRYPTION_AES_XTS = 2
KEY_SIZE = 16  # AES-128 throughout
PBKDF2_ITERATIONS = 1000  # low, for fast tests; macOS uses 41000 and more
TYPE_HEADER, TYPE_METADATA = 0x0010, 0x0011
TYPE_LV_PLIST, TYPE_CONTEXT_PLIST = 0x001A, 0x0019
TYPE_LV_LIST, TYPE_SEGMENTS = 0x0105, 0x0305
METADATA_COPIES = (1, 3, 5, 7)  # block numbers of the four metadata copies
ENCRYPTED_METADATA = (16, 32)  # block numbers of the two encrypted metadata copies
ENCRYPTED_METADATA_BLOCKS = 16  # each copy's room, in Core Storage blocks
DATA_START = 64  # first block of the logical volume's data
VG_DESCRIPTOR_OFFSET = 256  # in the metadata block, from its start
GROUP_XML_OFFSET = VG_DESCRIPTOR_OFFSET + 48
LV_XML_OFFSET = 64 + 72  # in a 0x001a block: right after its fixed fields
CONTEXT_XML_OFFSET = 64 + 80  # in a 0x0019 block: right after its fixed fields
LV_OBJECT_ID = 0x22
KEK_STRUCT_SIZE, VOLUME_KEY_STRUCT_SIZE = 284, 256
VALUE_SALT, VALUE_WRAPPED = 3, 0x10
ITERATIONS_AT = 168  # in the PassphraseWrappedKEKStruct
TRANSACTION = 1
HFS_SIGNATURE_AT, HFS_SIGNATURES = 1024, (b"H+", b"HX")


@dataclass
class _Keys:
    """The keys and identifiers of one image, made up fresh every time."""

    password: str
    metadata_key: bytes = field(default_factory=lambda: os.urandom(KEY_SIZE))
    volume_key: bytes = field(default_factory=lambda: os.urandom(KEY_SIZE))
    kek: bytes = field(default_factory=lambda: os.urandom(KEY_SIZE))
    salt: bytes = field(default_factory=lambda: os.urandom(16))
    pv_uuid: uuid.UUID = field(default_factory=uuid.uuid4)
    group_uuid: uuid.UUID = field(default_factory=uuid.uuid4)
    lv_uuid: uuid.UUID = field(default_factory=uuid.uuid4)
    family_uuid: uuid.UUID = field(default_factory=uuid.uuid4)


def make_filevault(inner: Path, out: Path, *, password: str) -> Path:
    """Write to ``out`` a Core Storage volume whose FileVault logical volume holds exactly ``inner``."""
    data = Path(inner).read_bytes()
    data_blocks = -(-len(data) // BLOCK)
    keys, ciphertext = _encrypted_data(password, data.ljust(data_blocks * BLOCK, b"\0"))
    total = (DATA_START + data_blocks + 1) * BLOCK  # the last block holds the header's copy
    header = _volume_header(keys, total)
    metadata = _metadata_block(keys)
    encrypted = _encrypted_metadata(keys, len(data), data_blocks)
    with open(out, "wb") as handle:
        handle.truncate(total)
        handle.write(header)
        for block in METADATA_COPIES:
            handle.seek(block * BLOCK)
            handle.write(metadata)
        for block in ENCRYPTED_METADATA:
            handle.seek(block * BLOCK)
            handle.write(encrypted)
        handle.seek(DATA_START * BLOCK)
        handle.write(ciphertext)
        handle.seek(total - HEADER_SIZE)
        handle.write(header)
    return Path(out)


def _encrypted_data(password: str, data: bytes) -> tuple[_Keys, bytes]:
    """Fresh keys and the data encrypted with them, never showing an HFS+ signature in the clear.

    libfvde takes a logical volume whose raw bytes at 1024 read ``H+`` or ``HX`` for unencrypted
    (odds 1 in 32768 with random keys); such keys are drawn again."""
    while True:
        keys = _Keys(password)
        ciphertext = _encrypt_data(keys, data)
        if ciphertext[HFS_SIGNATURE_AT : HFS_SIGNATURE_AT + 2] not in HFS_SIGNATURES:
            return keys, ciphertext


def weak_crc32c(data: bytes, seed: int = CRC_SEED) -> int:
    """CRC32C seeded with ``seed`` and not inverted at the end, as Core Storage stores it."""
    crc = seed
    for byte in data:
        crc = CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def tweak_key(volume_key: bytes, family_uuid: uuid.UUID) -> bytes:
    """The data's XTS tweak key: SHA-256 of the volume key and the logical volume family UUID."""
    return hashlib.sha256(volume_key + family_uuid.bytes).digest()[:KEY_SIZE]


def _checksummed(block: bytearray) -> bytes:
    """Fill in the seed and the weak CRC32C of everything after them."""
    struct.pack_into("<I", block, 4, CRC_SEED)
    struct.pack_into("<I", block, 0, weak_crc32c(bytes(block[8:])))
    return bytes(block)


def _volume_header(keys: _Keys, total: int) -> bytes:
    """The physical volume header, 512 bytes."""
    header = bytearray(HEADER_SIZE)
    struct.pack_into("<HHI", header, 8, VERSION, TYPE_HEADER, TRANSACTION)
    struct.pack_into("<Q", header, 16, 1)
    struct.pack_into("<I", header, 48, SECTOR)
    struct.pack_into("<Q", header, 64, total)
    struct.pack_into("<2sIH", header, 88, b"CS", CHECKSUM_CRC32C, len(METADATA_COPIES))
    struct.pack_into("<II4Q", header, 96, BLOCK, META_BLOCK, *METADATA_COPIES)
    struct.pack_into("<II", header, 168, KEY_SIZE, ENCRYPTION_AES_XTS)
    header[176 : 176 + KEY_SIZE] = keys.metadata_key
    header[304:320] = keys.pv_uuid.bytes
    header[320:336] = keys.group_uuid.bytes
    return _checksummed(header)


def _block(kind: int, number: int, payload: bytes, *, object_id: int = 0) -> bytearray:
    """A metadata block: the 64-byte header (checksum left to fill) and its payload."""
    block = bytearray(META_BLOCK)
    struct.pack_into("<HHIQQQ", block, 8, VERSION, kind, TRANSACTION, TRANSACTION, object_id, number)
    struct.pack_into("<I", block, 48, META_BLOCK)
    block[64 : 64 + len(payload)] = payload
    return block


def _dict(items: list[tuple[str, str]]) -> str:
    """An XML plist dict; the values are ready-made XML."""
    body = "".join(f"<key>{escape(key)}</key>{value}" for key, value in items)
    return f"<dict>{body}</dict>"


def _plist(items: list[tuple[str, str]]) -> bytes:
    """A Core Storage XML plist as stored: a bare dict (no declaration, no plist root), NUL-terminated."""
    return _dict(items).encode() + b"\0"


def _string(text: str) -> str:
    return f"<string>{escape(text)}</string>"


def _integer(number: int) -> str:
    return f'<integer size="64">{number}</integer>'


def _data(blob: bytes) -> str:
    return f"<data>{base64.b64encode(blob).decode()}</data>"


def _metadata_block(keys: _Keys) -> bytes:
    """The plain metadata (type 0x0011): where the encrypted metadata is, and the group's plist."""
    xml = _plist(
        [
            ("com.apple.corestorage.label.sequence", _integer(TRANSACTION)),
            ("com.apple.corestorage.lvg.uuid", _string(str(keys.group_uuid).upper())),
            ("com.apple.corestorage.lvg.name", _string("Macintosh HD")),
            ("com.apple.corestorage.pv.uuid", _string(str(keys.pv_uuid).upper())),
            (
                "com.apple.corestorage.lvg.physicalVolumes",
                f"<array>{_string(str(keys.pv_uuid).upper())}</array>",
            ),
        ]
    )
    block = _block(TYPE_METADATA, METADATA_COPIES[0], b"")
    struct.pack_into("<II", block, 64, META_BLOCK, 3)
    struct.pack_into("<IIII", block, 64 + 156, VG_DESCRIPTOR_OFFSET, GROUP_XML_OFFSET, len(xml), len(xml))
    descriptor = struct.pack(
        "<QQQQQQ", 0, ENCRYPTED_METADATA_BLOCKS, 0, len(ENCRYPTED_METADATA), *ENCRYPTED_METADATA
    )
    block[VG_DESCRIPTOR_OFFSET : VG_DESCRIPTOR_OFFSET + len(descriptor)] = descriptor
    block[GROUP_XML_OFFSET : GROUP_XML_OFFSET + len(xml)] = xml
    return _checksummed(block)


def _xml_block(
    kind: int, number: int, fixed: bytes, xml_offset: int, xml: bytes, *, object_id: int
) -> bytearray:
    """An encrypted-metadata block holding fixed fields and an XML plist at ``xml_offset``."""
    block = _block(kind, number, fixed, object_id=object_id)
    block[xml_offset : xml_offset + len(xml)] = xml
    return block


def _lv_plist_block(keys: _Keys, number: int, size: int) -> bytearray:
    """Type 0x001a: the logical volume's plist (family UUID, name, size, UUID)."""
    xml = _plist(
        [
            ("com.apple.corestorage.lv.familyUUID", _string(str(keys.family_uuid).upper())),
            ("com.apple.corestorage.lv.name", _string("Macintosh HD")),
            ("com.apple.corestorage.lv.size", _integer(size)),
            ("com.apple.corestorage.lv.uuid", _string(str(keys.lv_uuid).upper())),
        ]
    )
    fixed = struct.pack("<QQ40xIIII", LV_OBJECT_ID, 0, len(xml), len(xml), LV_XML_OFFSET, len(xml))
    return _xml_block(TYPE_LV_PLIST, number, fixed, LV_XML_OFFSET, xml, object_id=LV_OBJECT_ID)


def _passphrase_wrapped_kek(keys: _Keys) -> bytes:
    """The 284-byte PassphraseWrappedKEKStruct: salt, KEK wrapped with the password's key, iterations."""
    password_key = hashlib.pbkdf2_hmac(
        "sha256", keys.password.encode(), keys.salt, PBKDF2_ITERATIONS, KEY_SIZE
    )
    wrapped = aes_key_wrap(password_key, keys.kek)
    struct_ = bytearray(KEK_STRUCT_SIZE)
    struct.pack_into(
        "<II16sII24s", struct_, 0, VALUE_SALT, len(keys.salt), keys.salt, VALUE_WRAPPED, len(wrapped), wrapped
    )
    struct.pack_into("<I", struct_, ITERATIONS_AT, PBKDF2_ITERATIONS)
    return bytes(struct_)


def _kek_wrapped_volume_key(keys: _Keys) -> bytes:
    """The 256-byte KEKWrappedVolumeKeyStruct: the volume key wrapped with the KEK."""
    wrapped = aes_key_wrap(keys.kek, keys.volume_key)
    return struct.pack("<II24s", VALUE_WRAPPED, len(wrapped), wrapped).ljust(VOLUME_KEY_STRUCT_SIZE, b"\0")


def _context_block(keys: _Keys, number: int) -> bytearray:
    """Type 0x0019: the encryption context with the user's wrapped KEK and the wrapped volume key."""
    user = _dict([("PassphraseWrappedKEKStruct", _data(_passphrase_wrapped_kek(keys)))])
    algorithm = _dict([("BlockAlgorithm", _string("AES-XTS"))])
    volume_key = _dict(
        [("KEKWrappedVolumeKeyStruct", _data(_kek_wrapped_volume_key(keys)))]
    )  # read at index 1
    context = _dict(
        [
            ("ConversionInfo", _dict([("ConversionStatus", _string("Complete"))])),
            ("CryptoUsers", f"<array>{user}</array>"),
            ("WrappedVolumeKeys", f"<array>{algorithm}{volume_key}</array>"),
        ]
    )
    xml = _plist([("com.apple.corestorage.lvf.encryption.context", context)])
    fixed = struct.pack("<32xQIIII", 0, len(xml), len(xml), CONTEXT_XML_OFFSET, len(xml))
    return _xml_block(TYPE_CONTEXT_PLIST, number, fixed, CONTEXT_XML_OFFSET, xml, object_id=LV_OBJECT_ID + 1)


def _encrypted_metadata(keys: _Keys, size: int, data_blocks: int) -> bytes:
    """One copy of the encrypted metadata: the logical volume, its segment and its plists."""
    lv_list = struct.pack("<IIQQ", 1, 0, LV_OBJECT_ID, 0)
    segment = struct.pack("<II8xQI12xQ", 1, 0, 0, data_blocks, DATA_START)
    blocks = [
        _block(TYPE_LV_LIST, 0, lv_list, object_id=LV_OBJECT_ID - 1),
        _block(TYPE_SEGMENTS, 1, segment, object_id=LV_OBJECT_ID + 2),
        _lv_plist_block(keys, 2, size),
        _context_block(keys, 3),
    ]
    out = bytearray(ENCRYPTED_METADATA_BLOCKS * BLOCK)
    for index, block in enumerate(blocks):
        plain = _checksummed(block)
        out[index * META_BLOCK : (index + 1) * META_BLOCK] = xts_unit(
            keys.metadata_key + keys.pv_uuid.bytes, index, plain
        )
    return bytes(out)


def _encrypt_data(keys: _Keys, data: bytes) -> bytes:
    """The logical volume's data, sector by sector."""
    second = tweak_key(keys.volume_key, keys.family_uuid)
    sectors = (data[offset : offset + SECTOR] for offset in range(0, len(data), SECTOR))
    return b"".join(
        xts_unit(keys.volume_key + second, number, sector) for number, sector in enumerate(sectors)
    )

"""AES-XTS of one data unit through OpenSSL, for the encrypted-volume sample writers."""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def xts_unit(key: bytes, unit: int, data: bytes) -> bytes:
    """AES-XTS encryption of one data unit; ``key`` is the data key then the tweak key, the tweak is
    ``unit`` as 16 little-endian bytes (OpenSSL refuses a key whose two halves are equal)."""
    encryptor = Cipher(algorithms.AES(key), modes.XTS(unit.to_bytes(16, "little"))).encryptor()
    return encryptor.update(data) + encryptor.finalize()

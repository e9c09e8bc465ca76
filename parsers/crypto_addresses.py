"""Crypto-currency addresses found in text and validated by their checksums.

A regex only proposes candidates; each is then decoded and its checksum verified:
Bitcoin Base58Check (P2PKH ``1…``, P2SH ``3…``, testnet ``m/n/2…``), Bech32 / Bech32m segwit
addresses (BIP-173 / BIP-350), Ethereum EIP-55 mixed-case checksums (Keccak-256, implemented
here: it is not ``hashlib.sha3_256``, which pads differently), TRON Base58Check (``T…``, 0x41) and
Monero (standard, subaddress and integrated addresses; Monero's block Base58 with a 4-byte
Keccak-256 checksum). Candidates whose checksum fails are returned separately, so a caller can
report how many there were without presenting them as wallets.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

# --- Keccak-256 (the pre-FIPS-202 padding used by Ethereum and Monero) -------------------------

_MASK = (1 << 64) - 1
_ROUND_CONSTANTS = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)  # fmt: skip
_RATE = 136  # bytes absorbed per permutation for a 256-bit output


def _keccak_f(lanes: list[int]) -> list[int]:
    """The Keccak-f[1600] permutation on 25 64-bit lanes (lane x + 5*y), unrolled for speed."""
    mask = _MASK
    a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24 = lanes  # fmt: skip
    for rc in _ROUND_CONSTANTS:
        c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20
        c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21
        c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22
        c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23
        c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24
        d0 = c4 ^ (((c1 << 1) | (c1 >> 63)) & mask)
        d1 = c0 ^ (((c2 << 1) | (c2 >> 63)) & mask)
        d2 = c1 ^ (((c3 << 1) | (c3 >> 63)) & mask)
        d3 = c2 ^ (((c4 << 1) | (c4 >> 63)) & mask)
        d4 = c3 ^ (((c0 << 1) | (c0 >> 63)) & mask)
        b0 = a0 ^ d0
        t = a1 ^ d1
        b10 = ((t << 1) | (t >> 63)) & mask
        t = a2 ^ d2
        b20 = ((t << 62) | (t >> 2)) & mask
        t = a3 ^ d3
        b5 = ((t << 28) | (t >> 36)) & mask
        t = a4 ^ d4
        b15 = ((t << 27) | (t >> 37)) & mask
        t = a5 ^ d0
        b16 = ((t << 36) | (t >> 28)) & mask
        t = a6 ^ d1
        b1 = ((t << 44) | (t >> 20)) & mask
        t = a7 ^ d2
        b11 = ((t << 6) | (t >> 58)) & mask
        t = a8 ^ d3
        b21 = ((t << 55) | (t >> 9)) & mask
        t = a9 ^ d4
        b6 = ((t << 20) | (t >> 44)) & mask
        t = a10 ^ d0
        b7 = ((t << 3) | (t >> 61)) & mask
        t = a11 ^ d1
        b17 = ((t << 10) | (t >> 54)) & mask
        t = a12 ^ d2
        b2 = ((t << 43) | (t >> 21)) & mask
        t = a13 ^ d3
        b12 = ((t << 25) | (t >> 39)) & mask
        t = a14 ^ d4
        b22 = ((t << 39) | (t >> 25)) & mask
        t = a15 ^ d0
        b23 = ((t << 41) | (t >> 23)) & mask
        t = a16 ^ d1
        b8 = ((t << 45) | (t >> 19)) & mask
        t = a17 ^ d2
        b18 = ((t << 15) | (t >> 49)) & mask
        t = a18 ^ d3
        b3 = ((t << 21) | (t >> 43)) & mask
        t = a19 ^ d4
        b13 = ((t << 8) | (t >> 56)) & mask
        t = a20 ^ d0
        b14 = ((t << 18) | (t >> 46)) & mask
        t = a21 ^ d1
        b24 = ((t << 2) | (t >> 62)) & mask
        t = a22 ^ d2
        b9 = ((t << 61) | (t >> 3)) & mask
        t = a23 ^ d3
        b19 = ((t << 56) | (t >> 8)) & mask
        t = a24 ^ d4
        b4 = ((t << 14) | (t >> 50)) & mask
        a0 = b0 ^ (~b1 & b2)
        a1 = b1 ^ (~b2 & b3)
        a2 = b2 ^ (~b3 & b4)
        a3 = b3 ^ (~b4 & b0)
        a4 = b4 ^ (~b0 & b1)
        a5 = b5 ^ (~b6 & b7)
        a6 = b6 ^ (~b7 & b8)
        a7 = b7 ^ (~b8 & b9)
        a8 = b8 ^ (~b9 & b5)
        a9 = b9 ^ (~b5 & b6)
        a10 = b10 ^ (~b11 & b12)
        a11 = b11 ^ (~b12 & b13)
        a12 = b12 ^ (~b13 & b14)
        a13 = b13 ^ (~b14 & b10)
        a14 = b14 ^ (~b10 & b11)
        a15 = b15 ^ (~b16 & b17)
        a16 = b16 ^ (~b17 & b18)
        a17 = b17 ^ (~b18 & b19)
        a18 = b18 ^ (~b19 & b15)
        a19 = b19 ^ (~b15 & b16)
        a20 = b20 ^ (~b21 & b22)
        a21 = b21 ^ (~b22 & b23)
        a22 = b22 ^ (~b23 & b24)
        a23 = b23 ^ (~b24 & b20)
        a24 = b24 ^ (~b20 & b21)
        a0 ^= rc
    return [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24]  # fmt: skip


def keccak256(data: bytes) -> bytes:
    """Keccak-256 of ``data`` (Ethereum's and Monero's hash: padding byte 0x01, not SHA-3's 0x06)."""
    return _sponge256(data, 0x01)


def _sponge256(data: bytes, domain: int) -> bytes:
    """The Keccak sponge at rate 136 with a 256-bit output; ``domain`` 0x06 gives SHA3-256."""
    padded = bytearray(data)
    padded.append(domain)
    padded.extend(b"\x00" * (-len(padded) % _RATE))
    padded[-1] |= 0x80
    lanes = [0] * 25
    for start in range(0, len(padded), _RATE):
        for i in range(_RATE // 8):
            lanes[i] ^= int.from_bytes(padded[start + 8 * i : start + 8 * i + 8], "little")
        lanes = _keccak_f(lanes)
    return b"".join(lane.to_bytes(8, "little") for lane in lanes[:4])


# --- Base58 ----------------------------------------------------------------------------------

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(B58_ALPHABET)}


def b58decode(text: str) -> bytes | None:
    """Bitcoin-style Base58 to bytes (leading ``1`` = zero byte); None on a foreign character."""
    number = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            return None
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + body


def b58check_decode(text: str) -> bytes | None:
    """Base58Check to ``version‖payload`` when the double-SHA-256 checksum matches, else None."""
    raw = b58decode(text)
    if raw is None or len(raw) < 5:
        return None
    body, check = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4] != check:
        return None
    return body


_MONERO_BLOCK_CHARS = {0: 0, 2: 1, 3: 2, 5: 3, 6: 4, 7: 5, 9: 6, 10: 7, 11: 8}  # chars -> bytes


def monero_b58decode(text: str) -> bytes | None:
    """Monero's block Base58 (8 bytes per 11 characters, a shorter final block) to bytes."""
    out = bytearray()
    for start in range(0, len(text), 11):
        chunk = text[start : start + 11]
        size = _MONERO_BLOCK_CHARS.get(len(chunk))
        if size is None:
            return None
        number = 0
        for char in chunk:
            digit = _B58_INDEX.get(char)
            if digit is None:
                return None
            number = number * 58 + digit
        if number >= 1 << (8 * size):
            return None
        out += number.to_bytes(size, "big")
    return bytes(out)


# --- Bech32 / Bech32m (BIP-173, BIP-350) ------------------------------------------------------

BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {c: i for i, c in enumerate(BECH32_CHARSET)}
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _GENERATOR[i]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_decode(text: str) -> tuple[str, list[int], str] | None:
    """A Bech32 or Bech32m string to ``(hrp, data without checksum, "bech32"|"bech32m")``, else None."""
    if any(ord(c) < 33 or ord(c) > 126 for c in text):
        return None
    if text.lower() != text and text.upper() != text:
        return None  # mixed case
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text) or len(text) > 90:
        return None
    hrp = text[:pos]
    data: list[int] = []
    for char in text[pos + 1 :]:
        digit = _BECH32_INDEX.get(char)
        if digit is None:
            return None
        data.append(digit)
    constant = _polymod(_hrp_expand(hrp) + data)
    if constant == _BECH32_CONST:
        encoding = "bech32"
    elif constant == _BECH32M_CONST:
        encoding = "bech32m"
    else:
        return None
    return hrp, data[:-6], encoding


def _convert_bits(data: list[int], from_bits: int, to_bits: int) -> list[int] | None:
    """Regroup bits without padding (the segwit decoding rule); None on invalid padding."""
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if bits >= from_bits or ((acc << (to_bits - bits)) & maxv):
        return None
    return out


def decode_segwit(hrp: str, address: str) -> tuple[int, bytes] | None:
    """A segwit address of network ``hrp`` to ``(witness version, program)``; None if invalid."""
    decoded = bech32_decode(address)
    if decoded is None or decoded[0] != hrp or not decoded[1]:
        return None
    _hrp, data, encoding = decoded
    version = data[0]
    program = _convert_bits(data[1:], 5, 8)
    if program is None or version > 16 or not 2 <= len(program) <= 40:
        return None
    if version == 0 and len(program) not in (20, 32):
        return None
    if (version == 0) != (encoding == "bech32"):
        return None
    return version, bytes(program)


# --- Ethereum EIP-55 --------------------------------------------------------------------------


def eip55_checksum(address: str) -> str:
    """The EIP-55 mixed-case form of a ``0x`` + 40-hex address."""
    hex_part = address[2:].lower()
    digest = keccak256(hex_part.encode("ascii")).hex()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(hex_part)
    )


# --- Records and validation -------------------------------------------------------------------


@dataclass(frozen=True)
class CryptoAddress:
    """A checksum-valid crypto address found in text."""

    chain: str  # bitcoin | ethereum | tron | monero
    address: str
    address_type: (
        str  # p2pkh, p2sh, p2wpkh, p2wsh, p2tr, witness-vN, account, standard, subaddress, integrated
    )
    network: str  # mainnet | testnet | stagenet
    checksum: str  # "valid", or "unchecked" for all-lower/upper-case Ethereum addresses
    offset: int = 0  # character offset in the scanned text
    line: int = 1  # 1-based line in the scanned text


@dataclass(frozen=True)
class RejectedCandidate:
    """Text shaped like an address of ``chain`` whose checksum (or structure) does not hold."""

    chain: str
    candidate: str
    reason: str
    offset: int = 0
    line: int = 1


@dataclass(frozen=True)
class AddressScan:
    """What a scan found: valid addresses and the candidates dropped for a bad checksum."""

    addresses: tuple[CryptoAddress, ...]
    rejected: tuple[RejectedCandidate, ...]

    def rejected_counts(self) -> dict[str, int]:
        """Number of rejected candidates per chain."""
        return dict(Counter(r.chain for r in self.rejected))


_BASE58_VERSIONS = {0x00: ("p2pkh", "mainnet"), 0x05: ("p2sh", "mainnet"), 0x6F: ("p2pkh", "testnet"), 0xC4: ("p2sh", "testnet")}  # fmt: skip
_MONERO_NETS = {
    18: ("standard", "mainnet"), 42: ("subaddress", "mainnet"), 19: ("integrated", "mainnet"),
    53: ("standard", "testnet"), 63: ("subaddress", "testnet"), 54: ("integrated", "testnet"),
    24: ("standard", "stagenet"), 36: ("subaddress", "stagenet"), 25: ("integrated", "stagenet"),
}  # fmt: skip
_SEGWIT_HRPS = {"bc": "mainnet", "tb": "testnet"}

Result = CryptoAddress | RejectedCandidate


def _bitcoin_base58(text: str) -> Result:
    body = b58check_decode(text)
    if body is None:
        return RejectedCandidate("bitcoin", text, "Base58Check checksum mismatch")
    kind = _BASE58_VERSIONS.get(body[0])
    if kind is None or len(body) != 21:
        return RejectedCandidate("bitcoin", text, "wrong version byte or length")
    return CryptoAddress("bitcoin", text, kind[0], kind[1], "valid")


def _bitcoin_segwit(text: str) -> Result:
    hrp = text[:2].lower()
    decoded = decode_segwit(hrp, text)
    if decoded is None:
        return RejectedCandidate("bitcoin", text, "Bech32/Bech32m checksum or structure invalid")
    version, program = decoded
    if version == 0:
        kind = "p2wpkh" if len(program) == 20 else "p2wsh"
    elif version == 1 and len(program) == 32:
        kind = "p2tr"
    else:
        kind = f"witness-v{version}"
    return CryptoAddress("bitcoin", text, kind, _SEGWIT_HRPS[hrp], "valid")


def _ethereum(text: str) -> Result:
    hex_part = text[2:]
    if hex_part == hex_part.lower() or hex_part == hex_part.upper():
        return CryptoAddress("ethereum", text, "account", "mainnet", "unchecked")
    if eip55_checksum(text)[2:] != hex_part:
        return RejectedCandidate("ethereum", text, "EIP-55 mixed-case checksum mismatch")
    return CryptoAddress("ethereum", text, "account", "mainnet", "valid")


def _tron(text: str) -> Result:
    body = b58check_decode(text)
    if body is None:
        return RejectedCandidate("tron", text, "Base58Check checksum mismatch")
    if len(body) != 21 or body[0] != 0x41:
        return RejectedCandidate("tron", text, "wrong prefix byte or length")
    return CryptoAddress("tron", text, "account", "mainnet", "valid")


def _monero(text: str) -> Result:
    raw = monero_b58decode(text)
    if raw is None or len(raw) not in (69, 77):
        return RejectedCandidate("monero", text, "not Monero Base58")
    body, check = raw[:-4], raw[-4:]
    if keccak256(body)[:4] != check:
        return RejectedCandidate("monero", text, "Keccak-256 checksum mismatch")
    kind = _MONERO_NETS.get(body[0])
    if kind is None or (kind[0] == "integrated") != (len(raw) == 77):
        return RejectedCandidate("monero", text, "unknown network byte")
    return CryptoAddress("monero", text, kind[0], kind[1], "valid")


def validate_address(text: str) -> CryptoAddress | RejectedCandidate | None:
    """Classify one token: a valid address, a rejected candidate of some chain, or None (not address-shaped)."""
    n = len(text)
    if n == 42 and text[:2] == "0x":
        return _ethereum(text) if _HEX40.fullmatch(text, 2) else None
    head = text[:3].lower()
    if head in ("bc1", "tb1") and 14 <= n <= 90:
        return _bitcoin_segwit(text) if _BECH32_BODY.fullmatch(text.lower(), 3) else None
    if any(c not in _B58_INDEX for c in text) or _HEX_ONLY.fullmatch(text):
        return None  # hex digests and the like are never Base58 addresses
    first = text[0]
    if first in "13mn2" and 26 <= n <= 35:
        return _bitcoin_base58(text)
    if first == "T" and n == 34:
        return _tron(text)
    if first in "48579AB" and n in (95, 106):
        return _monero(text)
    return None


_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_HEX_ONLY = re.compile(r"[0-9a-fA-F]+")
_BECH32_BODY = re.compile(r"[qpzry9x8gf2tvdw0s3jn54khce6mua7l]+")
# Tokens worth a look: 0x+40 hex, or a run of letters and digits long enough for an address.
_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(?:0x[0-9a-fA-F]{40}|[0-9A-Za-z]{14,110})(?![0-9A-Za-z])")
_LOOKS_POSSIBLE = re.compile(r"[0-9A-Za-z]{14}")


def candidate_offsets(text: str) -> Iterator[int]:
    """Start offsets of the tokens ``scan_text`` reports, as a wallet or a rejected candidate.

    No token spans a line break, so on a block of lines this says which lines hold one.
    """
    if _LOOKS_POSSIBLE.search(text) is None:
        return
    for m in _CANDIDATE.finditer(text):
        if validate_address(m.group()) is not None:
            yield m.start()


def scan_text(text: str) -> AddressScan:
    """Every valid crypto address in ``text`` (in order of appearance) and every rejected candidate."""
    found: list[CryptoAddress] = []
    rejected: list[RejectedCandidate] = []
    if _LOOKS_POSSIBLE.search(text) is None:
        return AddressScan((), ())
    line = 1
    line_start_pos = 0
    for m in _CANDIDATE.finditer(text):
        result = validate_address(m.group())
        if result is None:
            continue
        line += text.count("\n", line_start_pos, m.start())
        line_start_pos = m.start()
        if isinstance(result, CryptoAddress):
            found.append(
                CryptoAddress(
                    result.chain,
                    result.address,
                    result.address_type,
                    result.network,
                    result.checksum,
                    m.start(),
                    line,
                )
            )
        else:
            rejected.append(RejectedCandidate(result.chain, result.candidate, result.reason, m.start(), line))
    return AddressScan(tuple(found), tuple(rejected))

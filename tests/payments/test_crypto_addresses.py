"""Crypto address validation against the published BIP-173 / BIP-350 / EIP-55 vectors, the
ARTEFACTS.md examples, one-character corruptions, and arbitrary input."""

from __future__ import annotations

import hashlib
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbench.parsers.crypto_addresses import (
    B58_ALPHABET,
    BECH32_CHARSET,
    CryptoAddress,
    RejectedCandidate,
    _sponge256,
    bech32_decode,
    decode_segwit,
    eip55_checksum,
    keccak256,
    scan_text,
    validate_address,
)

# --- BIP-173 / BIP-350 test vectors (bitcoin/bips, bip-0173.mediawiki and bip-0350.mediawiki) ---

VALID_BECH32 = [
    "A12UEL5L",
    "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
    "?1ezyfcl",
]
VALID_BECH32M = [
    "A1LQFN3A",
    "a1lqfn3a",
    "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
    "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
    "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
    "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
    "?1v759aa",
]
INVALID_BECH32 = [
    " 1nwldj5",
    "\x7f" + "1axkwrx",
    "\x80" + "1eym55h",
    "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
    "pzry9x0s0muk",
    "1pzry9x0s0muk",
    "x1b4n0q5v",
    "li1dgmt3",
    "de1lg7wt" + "\xff",
    "A1G7SGD8",
    "10a06t8",
    "1qzzfhee",
]
INVALID_BECH32M = [
    " 1xj0phk",
    "\x7f" + "1g6xzxy",
    "\x80" + "1vctc34",
    "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
    "qyrz8wqd2c9m",
    "1qyrz8wqd2c9m",
    "y1b0jsk6g",
    "lt1igcx5c0",
    "in1muywd",
    "mm1crxm3i",
    "au1s5cgom",
    "M1VUXWEZ",
    "16plkw9",
    "1p2gdwpf",
]
VALID_SEGWIT = [
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
    (
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
    ),
    (
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6",
    ),
    ("BC1SW50QGDZ25J", "6002751e"),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323"),
    (
        "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
        "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
        "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
    ),
]
INVALID_SEGWIT = [
    "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
    "bc1pw5dgrnzv",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
    "bc1gmk9yu",
    # BIP-173's own invalid list (still invalid under BIP-350)
    "tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
    "BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2",
    "bc1rw5uspcuh",
    "bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
    "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7",
    "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",
    "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv",
]

# --- EIP-55 examples (eips.ethereum.org/EIPS/eip-55) --------------------------------------------

EIP55_MIXED = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]
EIP55_SINGLE_CASE = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
]

# --- ARTEFACTS.md examples ---------------------------------------------------------------------

ARTEFACT_EXAMPLES = [
    ("13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79h", "bitcoin", "p2pkh"),
    ("3QRpEHB84DjW3wDi6UPyHujSVwXczQdvtz", "bitcoin", "p2sh"),
    ("bc1que8edvydz0swpfaxtepqk60ljjgdcdtkkhsr5l", "bitcoin", "p2wpkh"),
    ("bc1ppj2ag72rfc6pv3pr8x3anxzhvlcs664rlp9ztgjgrdq9qmk9qsgqfqzyzy", "bitcoin", "p2tr"),
    ("0x353a609B6a78Af8932Ef5117Dc6DEDcf3A89AB3f", "ethereum", "account"),
    (
        "4AhdEFZLcmRYLTg7x96XZZ8opgqztsbDvTZWUpJpb8QBJKe9hSSCNzMHwTLcFAPyUXhcazBMSB3Aq2rb8v6DwK9fKw6x5CX",
        "monero",
        "standard",
    ),
    ("TUKTU72PhbNeFEszAd3rTnCa2uibUYyNKv", "tron", "account"),
]


def test_keccak256_known_digests() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
    assert keccak256(b"") != hashlib.sha3_256(b"").digest()  # the padding differs from SHA-3


@pytest.mark.parametrize("length", [0, 1, 135, 136, 137, 271, 272, 273, 1000])
def test_keccak_sponge_matches_sha3_with_sha3_padding(length: int) -> None:
    data = (bytes(range(256)) * 4)[:length]
    assert _sponge256(data, 0x06) == hashlib.sha3_256(data).digest()


def test_keccak_is_fast_enough_for_thousands_of_candidates() -> None:
    started = time.perf_counter()
    for i in range(2000):
        keccak256(i.to_bytes(4, "big") * 10)
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize("text", VALID_BECH32)
def test_bip173_valid_bech32(text: str) -> None:
    decoded = bech32_decode(text)
    assert decoded is not None and decoded[2] == "bech32"
    pos = text.rfind("1")
    flipped = text[: pos + 1] + chr(ord(text[pos + 1]) ^ 1) + text[pos + 2 :]
    assert bech32_decode(flipped) is None


@pytest.mark.parametrize("text", VALID_BECH32M)
def test_bip350_valid_bech32m(text: str) -> None:
    decoded = bech32_decode(text)
    assert decoded is not None and decoded[2] == "bech32m"
    pos = text.rfind("1")
    flipped = text[: pos + 1] + chr(ord(text[pos + 1]) ^ 1) + text[pos + 2 :]
    assert bech32_decode(flipped) is None


@pytest.mark.parametrize("text", INVALID_BECH32)
def test_bip173_invalid_bech32(text: str) -> None:
    decoded = bech32_decode(text)
    assert decoded is None or decoded[2] != "bech32"


@pytest.mark.parametrize("text", INVALID_BECH32M)
def test_bip350_invalid_bech32m(text: str) -> None:
    decoded = bech32_decode(text)
    assert decoded is None or decoded[2] != "bech32m"


@pytest.mark.parametrize(("address", "script"), VALID_SEGWIT)
def test_valid_segwit_addresses(address: str, script: str) -> None:
    hrp = address[:2].lower()
    decoded = decode_segwit(hrp, address)
    assert decoded is not None
    version, program = decoded
    assert bytes([version + 0x50 if version else 0, len(program)]).hex() + program.hex() == script
    found = validate_address(address)
    assert isinstance(found, CryptoAddress) and found.chain == "bitcoin"
    assert found.network == ("mainnet" if hrp == "bc" else "testnet")


@pytest.mark.parametrize("address", INVALID_SEGWIT)
def test_invalid_segwit_addresses(address: str) -> None:
    assert decode_segwit("bc", address) is None
    assert decode_segwit("tb", address) is None
    assert not isinstance(validate_address(address), CryptoAddress)


@pytest.mark.parametrize("address", EIP55_MIXED)
def test_eip55_mixed_case_examples_are_valid(address: str) -> None:
    assert eip55_checksum(address.lower()) == address
    found = validate_address(address)
    assert isinstance(found, CryptoAddress) and found.checksum == "valid"


@pytest.mark.parametrize("address", EIP55_SINGLE_CASE)
def test_eip55_single_case_is_unchecked(address: str) -> None:
    found = validate_address(address)
    assert isinstance(found, CryptoAddress) and found.checksum == "unchecked"


@pytest.mark.parametrize("address", EIP55_MIXED)
def test_eip55_wrong_case_is_rejected(address: str) -> None:
    index = next(i for i, c in enumerate(address) if i > 1 and c.isalpha())
    wrong = address[:index] + address[index].swapcase() + address[index + 1 :]
    assert isinstance(validate_address(wrong), RejectedCandidate)


@pytest.mark.parametrize(("address", "chain", "kind"), ARTEFACT_EXAMPLES)
def test_artefacts_examples_are_valid(address: str, chain: str, kind: str) -> None:
    found = validate_address(address)
    assert isinstance(found, CryptoAddress)
    assert (found.chain, found.address_type, found.network, found.checksum) == (
        chain,
        kind,
        "mainnet",
        "valid",
    )


def _alphabet_for(address: str) -> str:
    if address.startswith("0x"):
        return "0123456789abcdefABCDEF"
    if address[:3].lower() == "bc1":
        return BECH32_CHARSET
    return B58_ALPHABET


@pytest.mark.parametrize(("address", "chain", "kind"), ARTEFACT_EXAMPLES)
def test_every_one_character_corruption_is_rejected(address: str, chain: str, kind: str) -> None:
    alphabet = _alphabet_for(address)
    start = 2 if address.startswith("0x") else 3 if address.startswith("bc1") else 0
    for index in range(start, len(address)):
        current = address[index]
        for replacement in (
            alphabet[(alphabet.find(current) + 1) % len(alphabet)],
            alphabet[(alphabet.find(current) + 7) % len(alphabet)],
        ):
            if replacement.lower() == current.lower():
                continue
            corrupted = address[:index] + replacement + address[index + 1 :]
            assert not isinstance(validate_address(corrupted), CryptoAddress), corrupted


def test_scan_text_finds_addresses_in_order_with_lines_and_counts_rejects() -> None:
    text = (
        "pay BTC to 13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79h please\n"
        "usdt: TUKTU72PhbNeFEszAd3rTnCa2uibUYyNKv, eth 0x353a609B6a78Af8932Ef5117Dc6DEDcf3A89AB3f\n"
        "typo 13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79i and sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709\n"
        "md5 d41d8cd98f00b204e9800998ecf8427e card 4111111111111111\n"
    )
    scan = scan_text(text)
    assert [(a.chain, a.line) for a in scan.addresses] == [("bitcoin", 1), ("tron", 2), ("ethereum", 2)]
    assert text[scan.addresses[1].offset :].startswith("TUKTU72")
    assert scan.rejected_counts() == {"bitcoin": 1}
    assert scan.rejected[0].line == 3


def test_address_inside_a_longer_token_is_not_a_candidate() -> None:
    assert scan_text("x13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79h").addresses == ()
    assert scan_text("0x353a609B6a78Af8932Ef5117Dc6DEDcf3A89AB3f00").addresses == ()


def test_thousands_of_candidates_scan_quickly() -> None:
    line = " ".join(
        ["0x353a609B6a78Af8932Ef5117Dc6DEDcf3A89AB3f", "0x353a609B6a78Af8932Ef5117Dc6DEDcf3A89Ab3f"] * 1000
    )
    started = time.perf_counter()
    scan = scan_text(line)
    assert len(scan.addresses) == 1000 and scan.rejected_counts() == {"ethereum": 1000}
    assert time.perf_counter() - started < 10.0


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(B58_ALPHABET + "0x: \n"), max_size=400))
def test_scan_text_on_address_alphabet_noise(text: str) -> None:
    scan = scan_text(text)
    for address in scan.addresses:
        assert isinstance(validate_address(address.address), CryptoAddress)
        assert text[address.offset : address.offset + len(address.address)] == address.address


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_scan_text_never_fails(text: str) -> None:
    scan = scan_text(text)
    assert all(isinstance(a, CryptoAddress) for a in scan.addresses)
    assert all(isinstance(r, RejectedCandidate) for r in scan.rejected)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([a for a, _, _ in ARTEFACT_EXAMPLES]),
    st.integers(min_value=0, max_value=105),
    st.text(min_size=1, max_size=3),
)
def test_mangled_examples_are_never_wrongly_valid(address: str, index: int, insert: str) -> None:
    mangled = address[:index] + insert + address[index + 1 :]
    assert mangled == address or not isinstance(validate_address(mangled), CryptoAddress)


def _b58encode(raw: bytes) -> str:
    number = int.from_bytes(raw, "big")
    out = ""
    while number:
        number, digit = divmod(number, 58)
        out = B58_ALPHABET[digit] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def _b58check(raw: bytes) -> str:
    return _b58encode(raw + hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4])


def _monero_encode(raw: bytes) -> str:
    sizes = {8: 11, 5: 7}
    out = ""
    for start in range(0, len(raw), 8):
        block = raw[start : start + 8]
        number = int.from_bytes(block, "big")
        chars = ""
        for _ in range(sizes[len(block)]):
            number, digit = divmod(number, 58)
            chars = B58_ALPHABET[digit] + chars
        out += chars
    return out


@pytest.mark.parametrize(
    ("net_byte", "extra", "length", "kind", "network"),
    [
        (0x12, b"", 95, "standard", "mainnet"),
        (0x2A, b"", 95, "subaddress", "mainnet"),
        (0x13, bytes(range(8)), 106, "integrated", "mainnet"),
        (0x18, b"", 95, "standard", "stagenet"),
    ],
)
def test_monero_address_kinds(net_byte: int, extra: bytes, length: int, kind: str, network: str) -> None:
    body = bytes([net_byte]) + bytes(range(1, 65)) + extra
    address = _monero_encode(body + keccak256(body)[:4])
    assert len(address) == length
    found = validate_address(address)
    assert isinstance(found, CryptoAddress) and (found.chain, found.address_type, found.network) == (
        "monero",
        kind,
        network,
    )
    broken = _monero_encode(body + bytes(4))
    assert isinstance(validate_address(broken), RejectedCandidate)


def test_bitcoin_testnet_base58_is_recognised_and_labelled() -> None:
    p2pkh = _b58check(bytes([0x6F]) + bytes(range(20)))
    p2sh = _b58check(bytes([0xC4]) + bytes(range(20)))
    assert p2pkh[0] in "mn" and p2sh[0] == "2"
    for address, kind in ((p2pkh, "p2pkh"), (p2sh, "p2sh")):
        found = validate_address(address)
        assert isinstance(found, CryptoAddress) and (found.address_type, found.network) == (kind, "testnet")


def test_tron_needs_its_prefix_byte() -> None:
    not_tron = _b58check(bytes([0x42]) + bytes(range(20)))
    assert not isinstance(validate_address(not_tron), CryptoAddress)

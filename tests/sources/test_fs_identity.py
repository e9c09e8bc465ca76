"""fs_identity on hostile bytes: any input gives a dict of text fields, never an exception."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.sources.fs_identity import identify, knows

TYPES = ("ext4", "fat16", "fat32", "exfat", "ntfs", "xfs", "iso9660", "hfs+")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TYPES), st.binary(min_size=0, max_size=40000), st.integers(0, 3))
def test_any_bytes_give_text_fields_or_nothing(type_name: str, data: bytes, tweak: int) -> None:
    # put each family's magic where it is looked for, so the parsers get past their first check
    image = bytearray(data.ljust(40000, b"\0"))
    if tweak:
        image[1024 + 0x38 : 1024 + 0x3A] = b"\x53\xef"
        image[510:512] = b"\x55\xaa"
        image[3:11] = b"NTFS    " if tweak == 1 else b"EXFAT   "
        image[0:4] = b"XFSB" if tweak == 2 else image[0:4]
        image[1024:1026] = b"H+"
        image[32768:32774] = b"\x01CD001"
    found = identify(type_name, lambda offset, size: bytes(image[offset : offset + size]))
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in found.items())


def test_a_failing_read_gives_nothing() -> None:
    def broken(offset: int, size: int) -> bytes:
        raise OSError("read error")

    assert all(identify(name, broken) == {} for name in TYPES)
    assert knows("ext3") and knows("fat12") and not knows("apfs")

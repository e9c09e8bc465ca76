"""The one-pass, three-digest hasher: equal to hashlib on every size, and a read error stops it."""

from __future__ import annotations

import hashlib
import io
import random

import pytest

from workbench import hashing
from workbench.hashing import ALGORITHMS, hash_stream


def expected(data: bytes) -> dict[str, str]:
    return {name: hashlib.new(name, data).hexdigest() for name in ALGORITHMS}


@pytest.mark.parametrize("size", [0, 1, hashing.CHUNK - 1, hashing.CHUNK, 3 * hashing.CHUNK + 17])
def test_digests_equal_hashlib(size: int) -> None:
    data = random.Random(size).randbytes(size)
    seen: list[int] = []
    assert hash_stream(io.BytesIO(data), seen.append) == expected(data)
    assert sum(seen) == size


def test_two_core_lanes_give_the_same_digests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hashing.os, "cpu_count", lambda: 2)
    data = random.Random(2).randbytes(2 * hashing.CHUNK + 5)
    assert hash_stream(io.BytesIO(data)) == expected(data)


class FailingStream(io.RawIOBase):
    """Gives two chunks, then fails like a bad sector."""

    def __init__(self) -> None:
        self.reads = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        if self.reads > 2:
            raise OSError("read error at sector 4711")
        return b"\0" * size


def test_a_read_error_propagates_and_stops_the_lanes() -> None:
    with pytest.raises(OSError, match="sector 4711"):
        hash_stream(FailingStream())  # type: ignore[arg-type]

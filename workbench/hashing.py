"""MD5, SHA-1 and SHA-256 of a stream in one read pass.

While one chunk is read, hashing threads digest the previous one: hashlib releases the GIL on large
buffers. With three or more cores each digest gets its own thread; with two, MD5 (the slowest)
gets one lane and SHA-1 then SHA-256 share the other, so the lanes finish together and the three
digests cost about as much wall time as MD5 alone.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, BinaryIO

CHUNK = 8 * 1024 * 1024
ALGORITHMS = ("md5", "sha1", "sha256")

Progress = Callable[[int], None]


def _lanes(hashers: dict[str, Any]) -> list[Callable[[bytes], None]]:
    """One update function per thread: a digest each, or MD5 alone and the SHAs together on 2 cores."""
    if (os.cpu_count() or 1) >= len(hashers):
        return [h.update for h in hashers.values()]

    def shas(chunk: bytes) -> None:
        hashers["sha1"].update(chunk)
        hashers["sha256"].update(chunk)

    return [hashers["md5"].update, shas]


def hash_stream(stream: BinaryIO, progress: Progress | None = None) -> dict[str, str]:
    """MD5, SHA-1 and SHA-256 of a stream in one read pass, hashing in parallel threads."""
    hashers = {name: hashlib.new(name) for name in ALGORITHMS}
    lanes = _lanes(hashers)
    with ThreadPoolExecutor(len(lanes)) as pool:
        pending: list[Future[None]] = []
        while True:
            chunk = stream.read(CHUNK)
            for job in pending:
                job.result()
            if not chunk:
                break
            pending = [pool.submit(lane, chunk) for lane in lanes]
            if progress:
                progress(len(chunk))
    return {name: h.hexdigest() for name, h in hashers.items()}

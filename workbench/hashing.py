"""MD5, SHA-1 and SHA-256 of a stream in one read pass.

The reader hands each chunk to hashing lanes through bounded queues; hashlib releases the GIL on
large buffers, so the lanes run in parallel and none waits for another. With three or more cores
each digest gets its own lane; with two, MD5 (the slowest) gets one lane and SHA-1 then SHA-256
share the other, so the three digests cost about as much wall time as MD5 alone.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 8 * 1024 * 1024
QUEUE_DEPTH = 4  # chunks in flight per lane: at most (depth + 2) × CHUNK bytes held
ALGORITHMS = ("md5", "sha1", "sha256")

Progress = Callable[[int], None]


def sha256_file(path: Path) -> str:
    """SHA-256 of one file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _lanes(hashers: dict[str, Any]) -> list[Callable[[bytes], None]]:
    """One update function per thread: a digest each, or MD5 alone and the SHAs together on 2 cores."""
    if (os.cpu_count() or 1) >= len(hashers):
        return [h.update for h in hashers.values()]

    def shas(chunk: bytes) -> None:
        hashers["sha1"].update(chunk)
        hashers["sha256"].update(chunk)

    return [hashers["md5"].update, shas]


def _lane(chunks: queue.Queue[bytes | None], update: Callable[[bytes], None]) -> None:
    while (chunk := chunks.get()) is not None:
        update(chunk)


def hash_stream(stream: BinaryIO, progress: Progress | None = None) -> dict[str, str]:
    """MD5, SHA-1 and SHA-256 of a stream in one read pass, hashing in parallel threads."""
    hashers = {name: hashlib.new(name) for name in ALGORITHMS}
    queues: list[queue.Queue[bytes | None]] = []
    threads = []
    for update in _lanes(hashers):
        chunks: queue.Queue[bytes | None] = queue.Queue(QUEUE_DEPTH)
        thread = threading.Thread(target=_lane, args=(chunks, update), daemon=True)
        thread.start()
        queues.append(chunks)
        threads.append(thread)
    try:
        while chunk := stream.read(CHUNK):
            for chunks in queues:
                chunks.put(chunk)
            if progress:
                progress(len(chunk))
    finally:  # a read error stops the lanes too, then propagates
        for chunks in queues:
            chunks.put(None)
        for thread in threads:
            thread.join()
    return {name: h.hexdigest() for name, h in hashers.items()}

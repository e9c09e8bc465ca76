"""libmagic on the bench corpus: what each way of asking it costs, and whether it keeps its answer.

    python bench/magic_bench.py [CORPUS_DIR]   (default bench/out/corpus, built by bench/corpus.py)

The reference answer (MIME type and description) for a file is libmagic's with default flags on the
file itself (``magic_file``, what ``file`` prints: libmagic reads up to 7 MiB and the file's end).
Each variant is timed per file (both answers; the fastest of REPEATS passes) and compared with the reference on every file of a
sample (every STEP-th file of the corpus, sorted by path, so two runs use the same files):

- ``buffer_8192``: the first 8 KiB as a buffer (how the workbench asked before; a buffer has no end,
  so magic that reads the end of a file, such as gzip's original size, is lost);
- ``descriptor_bytes_N``: the file's bytes in an in-memory file, with libmagic's byte budget N
  (how ``workbench.filetype`` asks, with N = its MAGIC_BYTES, libmagic's default of 7 MiB; smaller
  budgets are shown for their cost: they keep this corpus's answers but lose deeper magic such as
  ISO 9660's at 32 KiB);
- ``descriptor_default_bytes_no_builtin_readers``: the default budget with the CDF, ELF, tar and apptype readers
  off, to show what those flags save. (NO_CHECK_ENCODING is not tried: it loses "CSV text".)

Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import magic

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import build

from workbench.filetype import MAGIC_BYTES

STEP = 5
REPEATS = 3
LIB: Any = magic  # python-magic's type stubs lack some of libmagic's flag names
SCRATCH = os.memfd_create("magic-bench", os.MFD_CLOEXEC)


def _cookie(flags: int, bytes_max: int | None = None) -> Any:
    cookie = magic.magic_open(flags)
    if magic.magic_load(cookie, None) != 0:
        raise SystemExit("libmagic: cannot load its database")
    if bytes_max is not None:
        magic.magic_setparam(cookie, magic.MAGIC_PARAM_BYTES_MAX, bytes_max)
    return cookie


def _pair(extra: int = 0, bytes_max: int | None = None) -> tuple[Any, Any]:
    return _cookie(magic.MAGIC_MIME_TYPE | extra, bytes_max), _cookie(magic.MAGIC_NONE | extra, bytes_max)


def _by_buffer(cookies: tuple[Any, Any], data: bytes) -> tuple[bytes, bytes]:
    return magic.magic_buffer(cookies[0], data[:8192]), magic.magic_buffer(cookies[1], data[:8192])


def _by_descriptor(cookies: tuple[Any, Any], data: bytes) -> tuple[bytes, bytes]:
    os.ftruncate(SCRATCH, 0)
    os.pwrite(SCRATCH, data, 0)
    answers = []
    for cookie in cookies:
        os.lseek(SCRATCH, 0, os.SEEK_SET)
        answers.append(magic.magic_descriptor(cookie, SCRATCH))
    return answers[0], answers[1]


def _variant(
    sample: dict[Path, bytes],
    reference: dict[Path, tuple[bytes, bytes]],
    ask: Callable[[tuple[Any, Any], bytes], tuple[bytes, bytes]],
    cookies: tuple[Any, Any],
) -> dict[str, Any]:
    seconds = float("inf")
    for _ in range(REPEATS):  # the fastest pass: the others only add scheduler noise
        start = time.perf_counter()
        answers = {path: ask(cookies, data) for path, data in sample.items()}
        seconds = min(seconds, time.perf_counter() - start)
    changed = [f"{p.name}: {reference[p][1]!r} -> {a[1]!r}" for p, a in answers.items() if a != reference[p]]
    return {
        "ms_per_file": round(seconds / len(sample) * 1000, 3),
        "answers_changed": len(changed),
        "examples": changed[:2],
    }


def main() -> None:
    """Build the corpus if needed, time each variant, print one JSON line."""
    corpus_dir = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parent / "out" / "corpus")
    tree = Path(str(build(corpus_dir)["tree"]))
    paths = sorted(Path(d) / f for d, _, names in os.walk(tree) for f in names)[::STEP]
    sample = {p: p.read_bytes() for p in paths if p.is_file() and not p.is_symlink() and p.stat().st_size}
    default = _pair()
    start = time.perf_counter()
    reference = {
        p: (magic.magic_file(default[0], str(p)), magic.magic_file(default[1], str(p))) for p in sample
    }
    results: dict[str, Any] = {
        "bench": "magic",
        "libmagic": magic.version(),
        "files": len(sample),
        "reference_magic_file_ms_per_file": round((time.perf_counter() - start) / len(sample) * 1000, 3),
        "buffer_8192": _variant(sample, reference, _by_buffer, _pair()),
    }
    for size in (512, 8192, 65536, MAGIC_BYTES):
        results[f"descriptor_bytes_{size}"] = _variant(
            sample, reference, _by_descriptor, _pair(bytes_max=size)
        )
    readers = (
        LIB.MAGIC_NO_CHECK_CDF | LIB.MAGIC_NO_CHECK_ELF | LIB.MAGIC_NO_CHECK_TAR | LIB.MAGIC_NO_CHECK_APPTYPE
    )
    results["descriptor_default_bytes_no_builtin_readers"] = _variant(
        sample, reference, _by_descriptor, _pair(readers, MAGIC_BYTES)
    )
    print(json.dumps(results))


if __name__ == "__main__":
    main()

"""Intake hashing of a 1 GiB raw image (MD5+SHA-1+SHA-256, one pass) against `md5sum` on the same file.

Prints one JSON line. Usage: python bench/intake_bench.py [WORKDIR] [SIZE_MIB]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_image(path: Path, mib: int) -> None:
    """A raw image of pseudo-random (incompressible) bytes, built once and reused."""
    if path.exists() and path.stat().st_size == mib << 20:
        return
    block = os.urandom(1 << 20)
    with open(path, "wb") as fh:
        for i in range(mib):
            fh.write(i.to_bytes(8, "little") + block[8:])


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.gettempdir()) / "isop-bench"
    mib = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
    work.mkdir(parents=True, exist_ok=True)
    image = work / f"intake-{mib}.raw"
    make_image(image, mib)
    subprocess.run(["cat", str(image)], check=True, stdout=subprocess.DEVNULL)  # warm the page cache
    hash_cmd = [
        sys.executable,
        "-c",
        "import sys; from workbench.hashing import hash_stream; print(hash_stream(open(sys.argv[1], 'rb')))",
        str(image),
    ]
    runs = {"md5sum": [], "workbench": []}
    for _ in range(3):  # alternate to share any drift fairly
        runs["md5sum"].append(timed(["md5sum", str(image)]))
        runs["workbench"].append(timed(hash_cmd))
    md5sum, ours = min(runs["md5sum"]), min(runs["workbench"])
    print(
        json.dumps(
            {
                "bench": "intake",
                "image_mib": mib,
                "md5sum_s": round(md5sum, 3),
                "workbench_3hash_s": round(ours, 3),
                "ratio_vs_md5sum": round(ours / md5sum, 3),
                "workbench_mb_s": round((mib << 20) / ours / 1e6, 1),
                "goal": "ratio <= 1.1",
            }
        )
    )


if __name__ == "__main__":
    main()

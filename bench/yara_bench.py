"""Benchmark YARA-X against libyara (and Debian's ``yara -r -p 2`` CLI) on one corpus.

    python bench/yara_bench.py [CORPUS_DIR] [--pack PACK.yar] [--files N]

Without CORPUS_DIR a corpus of ~5,000 mixed text/binary files is generated deterministically into
a temporary directory. Prints one JSON line: compile and scan times per engine, throughput, hit
counts, whether both engines produced identical hit records, and the CLI baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workbench.yara_engine import load_rules

DEFAULT_PACK = Path(__file__).resolve().parent / "packs" / "bench_pack.yar"
SEED = 20240601

_WORDS = [
    "the",
    "channel",
    "stream",
    "server",
    "panel",
    "line",
    "user",
    "expired",
    "active",
    "reseller",
    "bouquet",
    "movie",
    "series",
    "live",
    "episode",
    "season",
    "release",
    "group",
    "archive",
    "backup",
    "config",
    "database",
    "table",
    "select",
    "insert",
    "update",
    "where",
    "order",
    "payment",
    "invoice",
    "customer",
    "support",
    "ticket",
    "password",
    "login",
    "session",
    "token",
    "cache",
    "proxy",
    "nginx",
    "mysql",
    "debian",
    "kernel",
    "module",
    "driver",
    "update",
    "upgrade",
    "install",
    "service",
    "restart",
    "status",
    "error",
    "warning",
]

_SNIPPETS = (
    '#EXTINF:-1 tvg-id="ex1.invalid" group-title="Sport",Example Sport 1\n'
    "http://panel.example-iptv.invalid:25461/live/jdoe42/Pa55w0rd/1187.ts\n",
    '203.0.113.9 - - [01/Jun/2024:20:01:07 +0000] "GET /live/jdoe42/Pa55w0rd/1187.ts HTTP/1.1" 200 '
    '1048576 "-" "VLC/3.0.20 LibVLC/3.0.20"\n',
    "\nC: cs.example-share.invalid 12000 share01 s3cretPw\n",
    "\nF: client07 Cl1entPass 1 0 0\n",
    "Example.Film.2024.1080p.BluRay.x264-FAKEGRP\n",
    "Fake.Show.S02E05.720p.HDTV.x264-NOGRP\n",
    "define( 'DB_PASSWORD', 'Wp-Hunter-22' );\n",
    "STRIPE_SECRET=sk_live_4eC39HqLyjWDarjtT1zdp7dcAb12\n",
    "donate: 13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79h \n",
    "wallet 0x353a609B6a78Af8932Ef5117Dc6DEDcf3A89AB3f \n",
    "magnet:?xt=urn:btih:30af5e09fe3a9ae42c66df156a9582781da42558&dn=Example.Film\n",
    "https://tracker.example-pt.invalid/announce/0123456789abcdef0123456789abcdef\n",
    "Jun  1 21:14:03 panel01 sshd[48211]: Accepted password for root from 192.0.2.77 port 51522 ssh2\n",
    "mysqldump -u user_iptvpro -p xtream_iptvpro > /root/backup_0601.sql\n",
    "$6$rounds=20000$xtreamcodes$Qm9vZ3VzSGFzaA\n",
    "APP_KEY=base64:c2VjcmV0LWtleS1leGFtcGxlLXZhbHVlLTEyMzQ1Ng==\n",
)


def _text_file(rng: random.Random, size: int) -> bytes:
    words: list[str] = []
    length = 0
    while length < size:
        if rng.random() < 0.0015:
            piece = rng.choice(_SNIPPETS)
        else:
            piece = rng.choice(_WORDS) + ("\n" if rng.random() < 0.1 else " ")
        words.append(piece)
        length += len(piece)
    return "".join(words).encode()


def _binary_file(rng: random.Random, size: int) -> bytes:
    data = bytearray(rng.randbytes(size))
    if rng.random() < 0.1:
        data[0:4] = b"\x7fELF"
        marker = b"/home/xtreamcodes/iptv_xtream_codes/"
        at = rng.randrange(16, max(17, size - len(marker)))
        data[at : at + len(marker)] = marker
    return bytes(data)


def _playlist(rng: random.Random) -> bytes:
    lines = ["#EXTM3U"]
    for n in range(rng.randint(5, 60)):
        lines.append(f'#EXTINF:-1 tvg-id="ch{n}.invalid",Channel {n}')
        lines.append(f"http://panel.example-iptv.invalid:25461/live/line{n:03d}/pw{n:05d}/{1000 + n}.ts")
    return ("\n".join(lines) + "\n").encode()


def generate_corpus(root: Path, files: int = 5000, seed: int = SEED) -> None:
    """Write ``files`` deterministic text, binary and playlist files under ``root``."""
    rng = random.Random(seed)
    for index in range(files):
        folder = root / f"d{index // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        roll = rng.random()
        size = int(rng.lognormvariate(8.5, 1.0)) + 64
        if roll < 0.05:
            name, data = f"f{index:05d}.m3u", _playlist(rng)
        elif roll < 0.65:
            name, data = f"f{index:05d}.txt", _text_file(rng, min(size, 256 * 1024))
        else:
            name, data = f"f{index:05d}.bin", _binary_file(rng, min(size, 256 * 1024))
        (folder / name).write_bytes(data)


def _corpus_files(root: Path) -> Iterator[Path]:
    for directory, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = Path(directory, name)
            if path.is_file() and not path.is_symlink():
                yield path


def bench_engine(engine: str, pack: Path, files: list[Path]) -> tuple[dict[str, Any], list[Any]]:
    """Compile ``pack`` with ``engine`` and scan every file; (figures, hit records per file)."""
    start = time.perf_counter()
    ruleset = load_rules([pack], engine=engine)
    compile_s = time.perf_counter() - start
    ruleset.scan(b"")  # create the reusable scanner outside the timed loop
    scan_s = 0.0
    total_bytes = 0
    results = []
    wall_start = time.perf_counter()
    for path in files:
        data = path.read_bytes()
        total_bytes += len(data)
        start = time.perf_counter()
        matches = ruleset.scan(data)
        scan_s += time.perf_counter() - start
        results.append(matches)
    wall_s = time.perf_counter() - wall_start
    figures = {
        "engine": ruleset.engine,
        "version": ruleset.engine_versions.get(engine, ""),
        "compile_s": round(compile_s, 4),
        "scan_s": round(scan_s, 4),
        "wall_s": round(wall_s, 4),
        "mb_per_s": round(total_bytes / 1e6 / scan_s, 1) if scan_s else None,
        "file_hits": sum(len(m) for m in results),
    }
    return figures, results


def bench_cli(pack: Path, root: Path, threads: int = 2) -> dict[str, Any] | None:
    """Time Debian's ``yara -r -p N`` over ``root``; None when the CLI is not installed."""
    binary = shutil.which("yara")
    if binary is None:
        return None
    version = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    start = time.perf_counter()
    run = subprocess.run(
        [binary, "-w", "-r", "-p", str(threads), str(pack), str(root)], capture_output=True, check=False
    )
    wall_s = time.perf_counter() - start
    return {
        "version": version,
        "threads": threads,
        "wall_s": round(wall_s, 4),
        "file_hits": len(run.stdout.splitlines()),
        "exit_code": run.returncode,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, help="directory to scan (default: generate one)")
    parser.add_argument("--pack", type=Path, default=DEFAULT_PACK, help="rule file or pack folder")
    parser.add_argument("--files", type=int, default=5000, help="files to generate when no corpus is given")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="yara-bench-") as scratch:
        root = args.corpus
        generated_s = None
        if root is None:
            root = Path(scratch)
            start = time.perf_counter()
            generate_corpus(root, args.files)
            generated_s = round(time.perf_counter() - start, 2)
        elif not root.is_dir():
            print(f"error: {root}: corpus is not a directory", file=sys.stderr)
            return 2
        files = list(_corpus_files(root))
        yara_x_figures, yara_x_hits = bench_engine("yara-x", args.pack, files)
        libyara_figures, libyara_hits = bench_engine("yara", args.pack, files)
        report = {
            "corpus": "generated" if args.corpus is None else str(root),
            "generated_s": generated_s,
            "files": len(files),
            "bytes": sum(p.stat().st_size for p in files),
            "pack": str(args.pack),
            "yara_x": yara_x_figures,
            "libyara": libyara_figures,
            "identical_hits": yara_x_hits == libyara_hits,
            "speedup_yara_x_over_libyara": (
                round(libyara_figures["scan_s"] / yara_x_figures["scan_s"], 2)
                if yara_x_figures["scan_s"]
                else None
            ),
            "yara_cli": bench_cli(args.pack, root),
        }
    print(json.dumps(report, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

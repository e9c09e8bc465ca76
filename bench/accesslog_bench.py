"""Throughput of `workbench.parsers.accesslog.iter_access_log` on a large combined-format log.

Generates (deterministically, seed 1) an nginx combined-format access log of N lines (a busy
IPTV front end: ~40 % panel stream requests /live/U/P/ID.ts, player_api calls, site pages with
browser user agents, scanners), times `wc -l` on it as the in-run baseline, then parses it fully
in a child process (every line becomes an AccessRecord or UnparsedLine). Prints one JSON line:
lines, bytes, seconds, lines/s, MB/s, and the ratio of the parse time to `wc -l`.

Usage: python bench/accesslog_bench.py [LINES] [WORKDIR]
       (defaults: $ACCESSLOG_BENCH_LINES or 10,000,000 lines, about 2 GB; $TMPDIR or /tmp)
The requirement is >= 250,000 lines/s on one core.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
)
PLAYERS = ("VLC/3.0.20 LibVLC/3.0.20", "IPTVSmartersPro/3.1.5", "okhttp/4.9.2", "Lavf/58.76.100")

CHILD = """
import sys, time
from workbench.parsers.accesslog import AccessRecord, iter_access_log
started = time.perf_counter()
parsed = unparsed = 0
with open(sys.argv[1], "rb") as stream:
    for record in iter_access_log(stream):
        if isinstance(record, AccessRecord):
            parsed += 1
        else:
            unparsed += 1
print(parsed, unparsed, time.perf_counter() - started)
"""


def generate(path: Path, lines: int) -> None:
    """Write ``lines`` log lines, ~20 per second of log time, deterministically."""
    rng = random.Random(1)
    users = [(f"user{n:05d}", f"pw{rng.randrange(10**8):08d}") for n in range(5000)]
    start = datetime(2024, 5, 1, tzinfo=UTC)
    stamp_cache: dict[int, str] = {}
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as out:
        for n in range(lines):
            second = n // 20
            stamp = stamp_cache.get(second)
            if stamp is None:
                when = start + timedelta(seconds=second)
                stamp = f"{when.day:02d}/{MONTHS[when.month - 1]}/{when.year}:{when:%H:%M:%S} +0000"
                stamp_cache = {second: stamp}
            roll = rng.random()
            if roll < 0.40:
                user, password = users[rng.randrange(len(users))]
                ip = f"203.0.113.{rng.randrange(1, 255)}"
                request = f"GET /live/{user}/{password}/{rng.randrange(1000, 9000)}.ts HTTP/1.1"
                status, size, agent, referer = (
                    200,
                    rng.randrange(200_000, 4_000_000),
                    rng.choice(PLAYERS),
                    "-",
                )
            elif roll < 0.45:
                user, password = users[rng.randrange(len(users))]
                ip = f"203.0.113.{rng.randrange(1, 255)}"
                request = f"GET /player_api.php?username={user}&password={password}&action=get_live_streams HTTP/1.1"
                status, size, agent, referer = 200, rng.randrange(2_000, 90_000), rng.choice(PLAYERS), "-"
            elif roll < 0.50:
                ip = f"192.0.2.{rng.randrange(1, 255)}"
                request = rng.choice(
                    ("GET /wp-login.php HTTP/1.1", "POST /xmlrpc.php HTTP/1.1", "GET /.env HTTP/1.1")
                )
                status, size, agent, referer = 404, rng.randrange(150, 600), "python-requests/2.31.0", "-"
            else:
                ip = f"198.51.100.{rng.randrange(1, 255)}"
                request = f"GET /watch/{rng.randrange(1, 5000)}?ref=home&page={rng.randrange(1, 9)} HTTP/2.0"
                status, size = 200, rng.randrange(800, 250_000)
                agent, referer = rng.choice(BROWSERS), "https://watchfree-fake.invalid/"
            out.write(f'{ip} - - [{stamp}] "{request}" {status} {size} "{referer}" "{agent}"\n')


def main() -> None:
    """Generate, time `wc -l`, parse in a child process, print one JSON line."""
    lines = (
        int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("ACCESSLOG_BENCH_LINES", "10000000"))
    )
    workdir = (
        Path(sys.argv[2]) if len(sys.argv) > 2 else Path(os.environ.get("TMPDIR", tempfile.gettempdir()))
    )
    path = workdir / f"accesslog_bench_{lines}.log"
    if not path.exists() or path.stat().st_size == 0:
        generate(path, lines)
    size = path.stat().st_size

    started = time.perf_counter()
    subprocess.run(["wc", "-l", str(path)], check=True, capture_output=True)
    wc_seconds = time.perf_counter() - started

    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True, text=True
    )
    parsed, unparsed, seconds = result.stdout.split()
    parse_seconds = float(seconds)
    total = int(parsed) + int(unparsed)
    print(
        json.dumps(
            {
                "bench": "accesslog",
                "lines": total,
                "unparsed": int(unparsed),
                "bytes": size,
                "seconds": round(parse_seconds, 3),
                "lines_per_s": round(total / parse_seconds),
                "mb_per_s": round(size / parse_seconds / 1e6, 1),
                "wc_l_seconds": round(wc_seconds, 3),
                "ratio_to_wc_l": round(parse_seconds / wc_seconds, 1) if wc_seconds else None,
                "meets_250k_lines_per_s": total / parse_seconds >= 250_000,
            }
        )
    )


if __name__ == "__main__":
    main()

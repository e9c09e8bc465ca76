"""Issue 9's performance: a big combined-format access log through the parser, into the case store
and out again as the Timesketch JSONL timeline.

In one run, on the same generated log (``accesslog_bench.generate``, cached in the work directory
under the same name the access-log bench uses):
1. baseline: ``wc -l`` on the file;
2. the parser alone, fully parsing every line on one core (``accesslog_bench.CHILD``);
3. the whole path: ``workbench case init``, ``evidence add`` of the log as logical evidence (a
   single file), ``process`` (hashing, typing, YARA, the logs plugin into the store), then
   ``workbench timeline --format jsonl --out``: events/s, and the store's size per million events.

Sizes: BENCH_ACCESSLOG_MB (default 2000 MB, 10 million lines) for the log of steps 1-2. The
whole path runs on the first BENCH_TIMELINE_MB (default 100 MB, 500,000 lines) of the same log,
because on this machine it takes about 3 minutes per million lines and 3.5 GB of memory per
million lines in ``process``, so the full 2 GB would take half an hour and more memory than
``make bench`` should assume; set BENCH_TIMELINE_FULL=1 to run it on the whole file.

Prints one JSON line. Usage: python bench/timeline_bench.py [WORKDIR]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from accesslog_bench import CHILD, generate  # noqa: E402  (the access-log bench's generator and parser run)

BYTES_PER_LINE = 200  # nominal size of a generated line, for MB -> lines (measured: ~189 bytes)


def lines_for(megabytes: float) -> int:
    """Lines of generated log for about ``megabytes`` MB."""
    return max(1000, int(megabytes * 1_000_000 / BYTES_PER_LINE))


def log_file(work: Path, lines: int) -> Path:
    """The generated log of ``lines`` lines (shared with accesslog_bench.py through its file name)."""
    path = work / f"accesslog_bench_{lines}.log"
    if not path.exists() or path.stat().st_size == 0:
        tmp = path.with_suffix(".tmp")
        generate(tmp, lines)
        tmp.replace(path)
    return path


def timed(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; (wall seconds, peak RSS in MB of it and the children it waited for)."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode(errors="replace").strip()[-500:]
            raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}: {tail}")
    return seconds, usage.ru_maxrss / 1024


def parse_alone(path: Path) -> tuple[int, int, float]:
    """(parsed, unparsed, seconds) of the parser over the whole file, in a child process."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True, text=True
    )
    parsed, unparsed, seconds = result.stdout.split()
    return int(parsed), int(unparsed), float(seconds)


def whole_path(work: Path, lines: int) -> dict[str, object]:
    """Evidence add + process + timeline export of a ``lines``-line access log."""
    base = work / "timeline_bench"
    evidence_dir = base / f"evidence_{lines}"
    evidence = evidence_dir / "access.log"  # the logs plugin knows it by name
    if not evidence.exists():
        evidence_dir.mkdir(parents=True, exist_ok=True)
        generate(evidence_dir / "access.tmp", lines)
        (evidence_dir / "access.tmp").replace(evidence)
    case = base / f"case_{lines}"
    shutil.rmtree(case, ignore_errors=True)
    workbench = [sys.executable, "-m", "workbench.cli"]
    subprocess.run(
        [*workbench, "case", "init", str(case), "--number", "B-9", "--title", "bench", "--examiner", "bench"],
        check=True,
        capture_output=True,
    )
    add_s, _ = timed(
        [
            *workbench,
            "evidence",
            "add",
            str(case),
            str(evidence),
            "--exhibit",
            "EX-01",
            "--description",
            "log",
        ]
    )
    process_s, process_rss = timed([*workbench, "process", str(case)])
    out = base / f"timeline_{lines}.jsonl"
    timeline_s, timeline_rss = timed(
        [*workbench, "timeline", str(case), "--format", "jsonl", "--kind", "log.event", "--out", str(out)]
    )
    with open(out, "rb") as fh:
        events = sum(1 for _ in fh)
    store = sum(p.stat().st_size for p in case.glob("case.sqlite*"))
    total = add_s + process_s + timeline_s
    return {
        "path_lines": lines,
        "path_bytes": evidence.stat().st_size,
        "events": events,
        "evidence_add_seconds": round(add_s, 1),
        "process_seconds": round(process_s, 1),
        "process_peak_rss_mb": round(process_rss),
        "timeline_seconds": round(timeline_s, 1),
        "timeline_peak_rss_mb": round(timeline_rss),
        "timeline_events_per_s": round(events / timeline_s) if timeline_s else None,
        "whole_path_events_per_s": round(events / total) if total else None,
        "store_mb": round(store / 1e6, 1),
        "store_mb_per_million_events": round(store / 1e6 / (events / 1e6), 1) if events else None,
        "timeline_jsonl_mb": round(out.stat().st_size / 1e6, 1),
    }


def main() -> None:
    """Generate, baseline, parse, run the whole path; print one JSON line."""
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.gettempdir()) / "isop-bench"
    work.mkdir(parents=True, exist_ok=True)
    megabytes = float(os.environ.get("BENCH_ACCESSLOG_MB", "2000"))
    lines = lines_for(megabytes)
    path = log_file(work, lines)

    started = time.perf_counter()
    subprocess.run(["wc", "-l", str(path)], check=True, capture_output=True)
    wc_seconds = time.perf_counter() - started
    parsed, unparsed, parse_seconds = parse_alone(path)
    total = parsed + unparsed

    full = os.environ.get("BENCH_TIMELINE_FULL") == "1"
    path_lines = lines if full else min(lines, lines_for(float(os.environ.get("BENCH_TIMELINE_MB", "100"))))
    results: dict[str, object] = {
        "bench": "timeline",
        "lines": total,
        "bytes": path.stat().st_size,
        "wc_l_seconds": round(wc_seconds, 3),
        "parse_seconds": round(parse_seconds, 1),
        "parse_lines_per_s": round(total / parse_seconds),
        "parse_ratio_to_wc_l": round(parse_seconds / wc_seconds, 1) if wc_seconds else None,
        "meets_250k_lines_per_s": total / parse_seconds >= 250_000,
        "whole_path_on": "full log" if path_lines == lines else f"first {path_lines} lines",
    }
    results.update(whole_path(work, path_lines))
    print(json.dumps(results))


if __name__ == "__main__":
    main()

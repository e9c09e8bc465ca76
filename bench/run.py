"""`make bench`: every benchmark, each with its baseline run in the same invocation.

Each bench script prints one JSON line; this runner collects them into bench/out/results.json
and prints a table. Work files are cached under $BENCH_DIR (default /tmp/isop-bench) so a second
`make bench` does not rebuild the 1 GiB images. Pass names to run a subset: `python bench/run.py intake`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = Path(os.environ.get("BENCH_DIR", "/tmp/isop-bench"))

# name -> (script, arguments); scripts take the work directory first (sources and magic: the shared
# corpus in it, so the 1 GiB seized-server image is built once for them and the pipeline).
BENCHES: dict[str, tuple[str, list[str]]] = {
    "intake": ("intake_bench.py", [str(WORK), "1024"]),
    "sources": ("sources_bench.py", [str(WORK / "corpus")]),
    "magic": ("magic_bench.py", [str(WORK / "corpus")]),
    "pipeline": ("pipeline_bench.py", [str(WORK)]),
    "yara": ("yara_bench.py", []),
    "sqldump": ("sqldump_bench.py", [str(WORK)]),
    "timeline": ("timeline_bench.py", [str(WORK)]),
    "report": ("report_bench.py", [str(WORK)]),
}


def main() -> int:
    wanted = sys.argv[1:] or list(BENCHES)
    WORK.mkdir(parents=True, exist_ok=True)
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    results: dict[str, object] = {}
    failed = 0
    for name in wanted:
        script, args = BENCHES[name]
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, str(HERE / script), *args], capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            failed += 1
            results[name] = {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
        else:
            results[name] = json.loads(lines[-1])
        print(f"== {name} ({elapsed:.0f} s)")
        for key, value in results[name].items():  # type: ignore[union-attr]
            print(f"   {key:<34} {value}")
    (out_dir / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"results written to {out_dir / 'results.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

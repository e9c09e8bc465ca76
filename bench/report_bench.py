"""`workbench report` on a case with 200,000 artefacts: render time and peak memory.

The case is real at its core: a seized-server image (an Xtream panel and a topsite, as the report
tests build it) taken in and processed with `workbench process`. It is then filled up to N
artefacts with synthetic ones of declared kinds (log events, viewing sessions, subscribers,
releases, credentials), each placed on a real file record of the image, so every row has full
provenance. Synthetic rows carry the plugin name "bench-synthetic".

Measured, each in its own child process (wall time, peak RSS from wait4):
1. the full bundle: html, pdf, json, csv, case (CASE/UCO), timeline;
2. the court-facing documents alone: --format html,pdf;
3. the same full bundle for a case of N/10 artefacts, so the peak RSS of 1 and 3 shows whether
   memory grows with the case (the HTML/PDF tables are capped; JSON and CSV are streamed).

Sizes: BENCH_REPORT_ARTEFACTS (default 200000). Cases are cached in WORKDIR/report_bench.
Prints one JSON line. Usage: python bench/report_bench.py [WORKDIR]
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

WORKBENCH = [sys.executable, "-m", "workbench.cli"]
SHARES = (  # kind, share of the synthetic artefacts
    ("log.event", 0.50),
    ("iptv.activity", 0.25),
    ("iptv.subscriber", 0.10),
    ("scene.release", 0.10),
    ("credential", 0.05),
)


def timed(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; (wall seconds, peak RSS in MB of it and the children it waited for)."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(cmd)}: {errors.read().decode(errors='replace')[-800:]}")
    return seconds, usage.ru_maxrss / 1024


def fields_for(kind: str, n: int, rng: random.Random) -> dict[str, Any]:
    """Plausible field values for one synthetic artefact of ``kind``."""
    day = 1 + n % 28
    when = f"2024-05-{day:02d}T{n % 24:02d}:{n % 60:02d}:{(n * 7) % 60:02d}Z"
    ip = f"203.0.113.{1 + n % 254}"
    if kind == "log.event":
        return {
            "time": when,
            "log_type": "access",
            "source_file": "/var/log/nginx/access.log",
            "line_number": n,
            "ip": ip,
            "action": "stream",
            "method": "GET",
            "path": f"/live/user{n % 5000:05d}/pw/{1000 + n % 900}.ts",
            "status": 200,
            "bytes": rng.randrange(200_000, 4_000_000),
            "user_agent": "VLC/3.0.20 LibVLC/3.0.20",
            "subscriber_username": f"user{n % 5000:05d}",
            "message": f'{ip} - - "GET /live/user{n % 5000:05d}/pw/{1000 + n % 900}.ts HTTP/1.1" 200',
        }
    if kind == "iptv.activity":
        return {
            "panel": "xtream-ui",
            "table": "user_activity",
            "row_id": n,
            "subscriber_id": n % 5000,
            "stream": f"Channel {n % 300}",
            "stream_id": n % 300,
            "ip": ip,
            "country": ("NL", "DE", "GB", "PT", "ES", "FR", "IT", "BE")[n % 8],
            "start": when,
            "end": when,
            "live": False,
        }
    if kind == "iptv.subscriber":
        return {
            "panel": "xtream-ui",
            "panel_user_id": n,
            "username": f"user{n:06d}",
            "password": f"pw{rng.randrange(10**8):08d}",
            "exp_date": f"2025-{1 + n % 12:02d}-01T00:00:00Z",
            "created_at": f"{2020 + n % 5}-{1 + n % 12:02d}-{day:02d}T00:00:00Z",
            "reseller": f"reseller{n % 40:02d}",
            "device": "app",
            "enabled": True,
            "admin_notes": "",
        }
    if kind == "scene.release":
        group = f"GRP{n % 60:02d}"
        return {
            "name": f"Some.Title.{n}.2024.1080p.WEB.x264-{group}",
            "title": f"Some Title {n}",
            "year": 2024,
            "resolution": "1080p",
            "source": "WEB",
            "codec": "x264",
            "group": group,
            "kind": "movie",
            "confidence": 0.9,
            "seen_as": "dirname",
            "path": f"/site/x264/Some.Title.{n}.2024.1080p.WEB.x264-{group}",
        }
    return {
        "kind": "ftp",
        "service": "glFTPd",
        "username": f"racer{n}",
        "secret": f"$6$salt${n:020d}",
        "context": "/glftpd/etc/passwd",
    }


def inflate(case_dir: Path, total: int) -> None:
    """Add synthetic artefacts until the case holds ``total`` artefacts."""
    from workbench.registry import load_registry
    from workbench.store import Case

    case = Case.open(case_dir)
    have = sum(case.artefact_counts().values())
    missing = max(0, total - have)
    kinds = load_registry().kinds
    files = [(f["id"], f["exhibit"]) for f in case.files() if f["type"] == "file"]
    run_id = case.runs()[-1]["id"]
    rng = random.Random(7)
    batch = []
    n = 0
    for kind_name, share in SHARES:
        count = int(missing * share) if kind_name != SHARES[-1][0] else missing - n
        for i in range(count):
            a = kinds[kind_name](line=i + 1, **fields_for(kind_name, n, rng))
            file_id, _ = files[n % len(files)]
            a.id = hashlib.sha256(f"bench {kind_name} {n}".encode()).hexdigest()[:32]
            a.file_id, a.plugin, a.plugin_version = file_id, "bench-synthetic", "1"
            batch.append(a)
            n += 1
            if len(batch) == 20_000:
                with case.transaction():
                    case.insert_artefacts(batch, files[0][1], run_id)
                batch = []
    if batch:
        with case.transaction():
            case.insert_artefacts(batch, files[0][1], run_id)
    case.log("bench.inflate", {"artefacts_added": n, "note": "synthetic artefacts for report_bench"})
    case.close()


def build_case(work: Path, total: int) -> Path:
    """The processed, inflated case of ``total`` artefacts (cached)."""
    from tests.reports.evidence import build_report_evidence

    base = work / "report_bench"
    image = base / "server.ext4"
    if not image.exists():
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        build_report_evidence(base)
    case_dir = base / f"case_{total}"
    if (case_dir / ".complete").exists():
        return case_dir
    shutil.rmtree(case_dir, ignore_errors=True)
    for args in (
        [
            "case",
            "init",
            str(case_dir),
            "--number",
            "BENCH-200K",
            "--title",
            "report bench",
            "--examiner",
            "bench",
        ],
        [
            "evidence",
            "add",
            str(case_dir),
            str(image),
            "--exhibit",
            "EX-01",
            "--description",
            "seized server",
        ],
        ["process", str(case_dir), "--workers", "2"],
    ):
        subprocess.run([*WORKBENCH, *args], check=True, capture_output=True)
    inflate(case_dir, total)
    (case_dir / ".complete").touch()
    return case_dir


def render(case_dir: Path, out: Path, formats: str) -> dict[str, Any]:
    """One `workbench report` run into ``out``: seconds, peak RSS and what it wrote."""
    shutil.rmtree(out, ignore_errors=True)
    seconds, rss = timed([*WORKBENCH, "report", str(case_dir), "--out", str(out), "--format", formats])
    result: dict[str, Any] = {"seconds": round(seconds, 1), "peak_rss_mb": round(rss)}
    sizes = {p.name: p.stat().st_size for p in out.rglob("*") if p.is_file()}
    result["bundle_mb"] = round(sum(sizes.values()) / 1e6, 1)
    if "report.html" in sizes:
        result["html_mb"] = round(sizes["report.html"] / 1e6, 1)
    if "report.pdf" in sizes:
        info = subprocess.run(["pdfinfo", str(out / "report.pdf")], capture_output=True, text=True).stdout
        result["pdf_pages"] = int(
            next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:"))
        )
    if "report.json" in sizes:
        result["json_mb"] = round(sizes["report.json"] / 1e6, 1)
    shutil.rmtree(out, ignore_errors=True)
    return result


def main() -> None:
    """Build (or reuse) the cases, render, print one JSON line."""
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.gettempdir()) / "isop-bench"
    total = int(os.environ.get("BENCH_REPORT_ARTEFACTS", "200000"))
    big = build_case(work, total)
    small = build_case(work, total // 10)
    out = work / "report_bench" / "out"
    full = render(big, out, "html,pdf,json,csv,case,timeline")
    documents = render(big, out, "html,pdf")
    tenth = render(small, out, "html,pdf,json,csv,case,timeline")
    print(
        json.dumps(
            {
                "bench": "report",
                "artefacts": total,
                "full_bundle_seconds": full["seconds"],
                "full_bundle_peak_rss_mb": full["peak_rss_mb"],
                "full_bundle_mb": full["bundle_mb"],
                "json_mb": full.get("json_mb"),
                "html_mb": full.get("html_mb"),
                "pdf_pages": full.get("pdf_pages"),
                "html_pdf_seconds": documents["seconds"],
                "html_pdf_peak_rss_mb": documents["peak_rss_mb"],
                f"tenth_case_{total // 10}_seconds": tenth["seconds"],
                f"tenth_case_{total // 10}_peak_rss_mb": tenth["peak_rss_mb"],
            }
        )
    )


if __name__ == "__main__":
    main()

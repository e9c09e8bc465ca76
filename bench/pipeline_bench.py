"""The whole `workbench process` on a 1 GiB / ~30,000-file seized-server image, against the peers.

Baselines, run in the same invocation on the same data:
1. Debian's `yara -r -p 2 PACK TREE` over the directory the image was built from;
2. plaso's `log2timeline --hashers md5,sha1,sha256 --yara_rules PACK --parsers filestat --workers 2`
   on the image (installed into its own venv under the work directory on first use; set
   BENCH_SKIP_PLASO=1 to leave it out).

Also measured: the same case processed again after one rule is added (the re-run an examiner makes
when a rule pack changes), and a run with the MIME type only (``--magic mime``).

Prints one JSON line. Usage: python bench/pipeline_bench.py [WORKDIR]
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
PACK = HERE / "packs" / "bench_pack.yar"


def timed(cmd: list[str], **kwargs: object) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start


def plaso(work: Path) -> Path | None:
    """log2timeline from a venv of its own (plaso pins versions of its own)."""
    if os.environ.get("BENCH_SKIP_PLASO"):
        return None
    venv = work / "plaso-venv"
    tool = venv / "bin" / "log2timeline"
    if not tool.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "plaso"], check=True)
    return tool


def main() -> None:
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.gettempdir()) / "isop-bench"
    corpus = work / "corpus"
    subprocess.run(
        [sys.executable, str(HERE / "corpus.py"), str(corpus)], check=True, stdout=subprocess.DEVNULL
    )
    tree, image = corpus / "tree", corpus / "server.ext4"
    info = json.loads((corpus / "corpus.json").read_text())
    subprocess.run(["cat", str(image)], check=True, stdout=subprocess.DEVNULL)  # page cache, fair to all
    results: dict[str, object] = {
        "bench": "pipeline",
        "files": info.get("files"),
        "image_mib": 1024,
        "rules": sum(1 for line in PACK.read_text().splitlines() if line.startswith("rule ")),
    }

    results["yara_cli_s"] = round(timed(["yara", "-r", "-p", "2", "-w", str(PACK), str(tree)]), 2)

    run_dir = Path(tempfile.mkdtemp(prefix="wb-bench-", dir=work))
    try:
        case = run_dir / "case"
        wb = [sys.executable, "-m", "workbench.cli"]
        subprocess.run(
            [*wb, "case", "init", str(case), "--number", "BENCH", "--title", "bench", "--examiner", "bench"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [
                *wb,
                "evidence",
                "add",
                str(case),
                str(image),
                "--exhibit",
                "EX-01",
                "--description",
                "bench image",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = timed([*wb, "process", str(case), "--rules", str(PACK), "--workers", "2"])
        summary = (
            subprocess.run(
                [
                    "sqlite3",
                    str(case / "case.sqlite"),
                    "SELECT count(*), sum(size) FROM files WHERE type='file'",
                ],
                capture_output=True,
                text=True,
            ).stdout.strip()
            if shutil.which("sqlite3")
            else ""
        )
        results["workbench_process_s"] = round(seconds, 2)
        results["workbench_files_bytes"] = summary
        results["ratio_vs_yara_cli"] = round(seconds / float(results["yara_cli_s"]), 3)  # type: ignore[arg-type]
        results["workbench_files_per_s"] = round(float(info.get("files", 0)) / seconds, 0)
        # Re-processing the same case after a rule-pack change: unchanged files keep their libmagic type.
        changed = run_dir / "pack-plus-one.yar"
        changed.write_text(
            PACK.read_text() + '\nrule bench_one_more { strings: $a = "zz_bench_zz" condition: $a }\n'
        )
        rerun = timed([*wb, "process", str(case), "--rules", str(changed), "--workers", "2"])
        results["workbench_rerun_one_more_rule_s"] = round(rerun, 2)
        results["ratio_rerun_vs_yara_cli"] = round(rerun / float(results["yara_cli_s"]), 3)  # type: ignore[arg-type]
        # The same run with libmagic's MIME type only (no description): libmagic dominates the CPU.
        case2 = run_dir / "case-mime"
        subprocess.run(
            [*wb, "case", "init", str(case2), "--number", "BENCH", "--title", "bench", "--examiner", "bench"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [
                *wb,
                "evidence",
                "add",
                str(case2),
                str(image),
                "--exhibit",
                "EX-01",
                "--description",
                "bench image",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        mime_only = timed(
            [*wb, "process", str(case2), "--rules", str(PACK), "--workers", "2", "--magic", "mime"]
        )
        results["workbench_process_mime_only_s"] = round(mime_only, 2)
        results["ratio_mime_only_vs_yara_cli"] = round(mime_only / float(results["yara_cli_s"]), 3)  # type: ignore[arg-type]

        tool = plaso(work)
        if tool is not None:
            storage = run_dir / "bench.plaso"
            plaso_s = timed(
                [
                    str(tool),
                    "--quiet",
                    "--status_view",
                    "none",
                    "--unattended",
                    "--hashers",
                    "md5,sha1,sha256",
                    "--yara_rules",
                    str(PACK),
                    "--parsers",
                    "filestat",
                    "--workers",
                    "2",
                    "--storage_file",
                    str(storage),
                    str(image),
                ],
                cwd=run_dir,  # log2timeline writes its own log file into the working directory
            )
            results["plaso_log2timeline_s"] = round(plaso_s, 2)
            results["speedup_vs_plaso"] = round(plaso_s / seconds, 1)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    results["goals"] = "ratio_vs_yara_cli <= 0.4; speedup_vs_plaso >= 20"
    print(json.dumps(results))


if __name__ == "__main__":
    main()

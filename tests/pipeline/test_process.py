"""`workbench process`: one read per file, YARA hits, plugins, resumable after SIGKILL, Dask, third-party plugins."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import RunCli, fingerprint
from tests.pipeline.conftest import MARKER


def wb(
    *args: str | Path, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the workbench CLI in a subprocess (its own interpreter, entry points as installed)."""
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "workbench.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}: {result.stdout}\n{result.stderr}")
    return result


def make_case(base: Path, image: Path, name: str = "case") -> Path:
    case_dir = base / name
    wb("case", "init", case_dir, "--number", "T-1", "--title", "pipeline", "--examiner", "Tester")
    wb(
        "evidence",
        "add",
        case_dir,
        image,
        "--exhibit",
        "EX-01",
        "--description",
        "server",
        "--seized-at",
        "2024-06-02T06:00:00Z",
    )
    return case_dir


def store_state(case_dir: Path) -> dict[str, object]:
    """What a run produced, without run ids or times: files, hits, artefacts."""
    db = sqlite3.connect(case_dir / "case.sqlite")
    files = sorted(
        db.execute("SELECT id, location, type, size, allocated, md5, sha1, sha256, mime, magic FROM files")
    )
    hits = sorted(db.execute("SELECT file_id, namespace, rule, strings FROM yara_hits"))
    artefacts = sorted(db.execute("SELECT id, kind, file_id, fields, line, offset, plugin FROM artefacts"))
    batches = db.execute("SELECT count(*) FROM batches").fetchone()[0]
    return {"files": files, "hits": hits, "artefacts": artefacts, "batches": batches}


def test_process_hashes_types_scans_and_extracts(
    tmp_path: Path, server_image, rule_pack, cli: RunCli
) -> None:  # type: ignore[no-untyped-def]
    image, written = server_image
    before = fingerprint([image])
    case_dir = make_case(tmp_path, image)
    result = wb(
        "process",
        case_dir,
        "--rules",
        rule_pack,
        "--workers",
        "2",
        "--batch-files",
        "50",
        "--max-scan-bytes",
        "64K",
    )
    assert "YARA hits" in result.stdout and "yara.hit" in result.stdout
    db = sqlite3.connect(case_dir / "case.sqlite")
    rows = {
        r[0]: r[1:] for r in db.execute("SELECT path, sha256, md5, mime, scan FROM files WHERE type = 'file'")
    }
    for path, data in written.items():
        assert rows[path][0] == hashlib.sha256(data).hexdigest(), path
        assert rows[path][1] == hashlib.md5(data).hexdigest(), path
    assert rows["/etc/hostname"][2] == "text/plain"
    hit_paths = {
        r[0]
        for r in db.execute(
            "SELECT f.path FROM yara_hits h JOIN files f ON f.id = h.file_id WHERE h.rule = 'test_marker'"
        )
    }
    assert hit_paths == {p for p, d in written.items() if MARKER in d}
    # The big file is scanned in windows past --max-scan-bytes, the hit offset is the real one, and it says so.
    big = db.execute(
        "SELECT f.scan, h.strings FROM files f JOIN yara_hits h ON h.file_id = f.id "
        "WHERE f.path = '/srv/media/big.bin'"
    ).fetchone()
    assert "windows" in json.loads(big[0])["scan_windows"]
    assert json.loads(big[1])[0][1] == written["/srv/media/big.bin"].index(MARKER)
    kinds = dict(db.execute("SELECT kind, count(*) FROM artefacts GROUP BY kind"))
    assert kinds["yara.hit"] == len(hit_paths) + 1  # + the SQL dump's users table
    actions = [json.loads(x)["action"] for x in (case_dir / "custody.jsonl").read_text().splitlines()]
    assert actions[:3] == ["case.init", "evidence.add", "process.start"] and actions[-1] == "process.finish"
    start = next(
        json.loads(x)
        for x in (case_dir / "custody.jsonl").read_text().splitlines()
        if json.loads(x)["action"] == "process.start"
    )
    rule_file = rule_pack / "testpack.yar"
    assert start["details"]["rule_files"][0]["sha256"] == hashlib.sha256(rule_file.read_bytes()).hexdigest()
    assert {"libtsk", "libmagic", "yara"} <= start["details"]["versions"].keys()
    assert fingerprint([image]) == before
    cli("custody", "verify", case_dir)


def test_two_runs_give_the_same_artefact_ids(tmp_path: Path, server_image, rule_pack) -> None:  # type: ignore[no-untyped-def]
    image, _ = server_image
    first, second = make_case(tmp_path, image, "a"), make_case(tmp_path, image, "b")
    wb("process", first, "--rules", rule_pack, "--workers", "2")
    wb("process", second, "--rules", rule_pack, "--workers", "1", "--batch-files", "7")
    a, b = store_state(first), store_state(second)
    assert a["files"] == b["files"] and a["hits"] == b["hits"] and a["artefacts"] == b["artefacts"]


def test_a_later_run_reuses_libmagic_answers_only_for_the_same_content_and_libmagic(
    tmp_path: Path, server_image, rule_pack
) -> None:  # type: ignore[no-untyped-def]
    """Re-processing (here: with one more rule) types each unchanged file from the earlier run's
    record instead of calling libmagic again; the stored types are the same. An earlier run with
    another libmagic (its typing key edited) is not trusted: everything is typed afresh."""
    image, _ = server_image
    case_dir = make_case(tmp_path, image)
    wb("process", case_dir, "--rules", rule_pack, "--workers", "2")
    first = store_state(case_dir)
    db = sqlite3.connect(case_dir / "case.sqlite")
    with_content = db.execute(
        "SELECT count(*) FROM files WHERE type = 'file' AND sha256 IS NOT NULL"
    ).fetchone()[0]
    more = tmp_path / "more"
    more.mkdir()
    (more / "more.yar").write_text(
        (rule_pack / "testpack.yar").read_text()
        + '\nrule one_more { strings: $a = "zz_never_zz" condition: $a }\n'
    )
    second = wb("process", case_dir, "--rules", more, "--workers", "2").stdout
    assert f"{with_content} file types reused from an earlier run" in second
    assert store_state(case_dir)["files"] == first["files"]
    summary = json.loads(db.execute("SELECT summary FROM runs ORDER BY started DESC").fetchone()[0])
    assert summary["types_reused"] == with_content
    db.execute(
        "UPDATE runs SET environment = json_set(environment, '$.typing', 'libmagic 0.0, first 1 bytes')"
    )
    db.commit()
    third = wb("process", case_dir, "--rules", rule_pack, "--workers", "2").stdout
    assert "reused" not in third
    assert store_state(case_dir)["files"] == first["files"]


def test_rule_pack_that_does_not_compile_is_refused_before_evidence_is_touched(
    tmp_path: Path, server_image
) -> None:  # type: ignore[no-untyped-def]
    image, _ = server_image
    case_dir = make_case(tmp_path, image)
    bad = tmp_path / "badpack"
    bad.mkdir()
    (bad / "bad.yar").write_text(
        'rule ok { condition: true }\n\nrule broken {\n  strings: $a = "x"\n  condition: $b\n}\n'
    )
    result = wb("process", case_dir, "--rules", bad, check=False)
    assert result.returncode == 2
    assert "bad.yar" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    actions = [json.loads(x)["action"] for x in (case_dir / "custody.jsonl").read_text().splitlines()]
    assert "process.start" not in actions


def test_third_party_plugin_installed_with_pip_is_found_and_its_failure_recorded(
    tmp_path: Path, server_image, rule_pack, thirdparty_site: Path
) -> None:  # type: ignore[no-untyped-def]
    image, written = server_image
    env = {"PYTHONPATH": str(thirdparty_site)}
    listing = wb("plugins", "list", env=env).stdout
    assert "thirdparty_pages 0.3" in listing and "thirdparty.page" in listing
    case_dir = make_case(tmp_path, image)
    result = wb("process", case_dir, "--rules", rule_pack, "--workers", "2", env=env)
    assert "1 error(s) recorded" in result.stderr
    db = sqlite3.connect(case_dir / "case.sqlite")
    pages = [p for p in written if p.startswith("/var/www/")]
    count = db.execute("SELECT count(*) FROM artefacts WHERE kind = 'thirdparty.page'").fetchone()[0]
    assert count == len(pages) - 1
    error = db.execute("SELECT location, plugin, error FROM errors").fetchone()
    assert (
        error[0].endswith("page0013.txt") and error[1] == "thirdparty_pages" and "planted failure" in error[2]
    )


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [1, 4, 9])
def test_run_killed_with_sigkill_resumes_to_the_same_store(
    tmp_path: Path, server_image, rule_pack, thirdparty_site: Path, kill_after: int
) -> None:  # type: ignore[no-untyped-def]
    image, _ = server_image
    env = {**os.environ, "PYTHONPATH": str(thirdparty_site), "THIRDPARTY_SLOW": "1"}
    reference = make_case(tmp_path, image, "reference")
    wb("process", reference, "--rules", rule_pack, "--workers", "2", "--batch-files", "20", env=env)

    case_dir = make_case(tmp_path, image, "killed")
    args = [
        sys.executable,
        "-m",
        "workbench.cli",
        "process",
        str(case_dir),
        "--rules",
        str(rule_pack),
        "--workers",
        "2",
        "--batch-files",
        "20",
    ]
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    db = sqlite3.connect(case_dir / "case.sqlite", timeout=30)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            done = db.execute("SELECT count(*) FROM batches").fetchone()[0]
        except sqlite3.OperationalError:
            done = 0
        if done >= kill_after:
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = db.execute("SELECT count(*) FROM batches").fetchone()[0]
    assert partial < store_state(reference)["batches"], "the run finished before it could be killed"

    resumed = wb("process", case_dir, "--rules", rule_pack, "--workers", "2", "--batch-files", "20", env=env)
    assert "(resumed)" in resumed.stdout
    a, b = store_state(reference), store_state(case_dir)
    assert a == b
    checks = wb("custody", "verify", case_dir)
    assert "BROKEN" not in checks.stdout


@pytest.mark.slow
def test_dask_cluster_gives_the_same_result_and_survives_a_killed_worker(
    tmp_path: Path, server_image, rule_pack, thirdparty_site: Path
) -> None:  # type: ignore[no-untyped-def]
    image, _ = server_image
    env = {**os.environ, "PYTHONPATH": str(thirdparty_site), "THIRDPARTY_SLOW": "1"}
    local = make_case(tmp_path, image, "local")
    wb("process", local, "--rules", rule_pack, "--workers", "2", "--batch-files", "20", env=env)

    bindir = Path(sys.executable).parent
    port = 40000 + os.getpid() % 2000
    procs = [
        subprocess.Popen(
            [str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        time.sleep(3)
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        str(bindir / "dask"),
                        "worker",
                        f"tcp://127.0.0.1:{port}",
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        time.sleep(4)
        cluster = make_case(tmp_path, image, "cluster")
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "workbench.cli",
                "process",
                str(cluster),
                "--rules",
                str(rule_pack),
                "--scheduler",
                f"tcp://127.0.0.1:{port}",
                "--batch-files",
                "20",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        db = sqlite3.connect(cluster / "case.sqlite", timeout=30)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if db.execute("SELECT count(*) FROM batches").fetchone()[0] >= 2:
                    break
            except sqlite3.OperationalError:
                pass
            time.sleep(0.05)
        os.killpg(procs[1].pid, signal.SIGKILL)  # a worker dies mid-run
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, out + err
        assert store_state(local) == store_state(cluster)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


def test_a_known_type_is_used_only_when_the_sha256_matches(server_image) -> None:  # type: ignore[no-untyped-def]
    """run_batch in this process: a planted earlier answer with the file's SHA-256 is taken, one
    with another SHA-256 is ignored and libmagic types the file."""
    from workbench.sources import EvidenceRef, Source, detect
    from workbench.worker import BatchTask, ScanOptions, file_id, run_batch

    image, written = server_image
    ref = EvidenceRef("EX-01", detect(str(image)))
    with Source(ref) as source:
        files = [e for e in source.walk() if e.type == "file" and e.path in written][:2]
    same, other = files
    sha_same = hashlib.sha256(written[same.path]).hexdigest()
    planted = {
        file_id("EX-01", same.address): (sha_same, "planted/type", "planted description"),
        file_id("EX-01", other.address): ("0" * 64, "planted/type", "planted description"),
    }
    options = ScanOptions(rules_blob=None, plugins=(), max_scan_bytes=1 << 20, yara_timeout=10)
    result = run_batch(BatchTask("run-t", "EX-01", 0, ref, (same, other), options, planted))
    types = {r["path"]: (r["mime"], r["magic"]) for r in result.files}
    assert types[same.path] == ("planted/type", "planted description")
    assert types[other.path][0] != "planted/type" and types[other.path][1]
    assert result.types_reused == 1


def test_file_larger_than_the_evidence_is_bounded_not_hashed_and_reported(tmp_path: Path) -> None:
    """An inode whose size field claims 1 PiB (debugfs on a built image): TSK would return zeros
    for days. The run reads no more than the evidence's size for it, records no hashes (they would
    be a prefix's), says why in the file's scan note and in the errors, and hashes the rest."""
    from workbench.samples.images import make_ext4

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "claims-a-petabyte.bin").write_bytes(b"real bytes\n")
    (tree / "normal.txt").write_bytes(b"an ordinary file\n")
    image = make_ext4(tree, tmp_path / "fs.ext4", 8)
    subprocess.run(
        ["debugfs", "-w", "-R", f"sif /claims-a-petabyte.bin size {1 << 50}", str(image)],
        check=True,
        capture_output=True,
    )
    case_dir = make_case(tmp_path, image)
    started = time.monotonic()
    wb("process", case_dir, "--no-rules", "--workers", "1")
    assert time.monotonic() - started < 300  # bounded by the 8 MiB evidence, not the 1 PiB claim
    db = sqlite3.connect(case_dir / "case.sqlite")
    huge = db.execute(
        "SELECT size, md5, sha256, scan FROM files WHERE path = '/claims-a-petabyte.bin'"
    ).fetchone()
    assert huge[0] == 1 << 50 and huge[1] is None and huge[2] is None
    scan = json.loads(huge[3])
    assert scan["bytes_read"] == image.stat().st_size and "exceeds the evidence's" in scan["not_hashed"]
    normal = db.execute("SELECT sha256 FROM files WHERE path = '/normal.txt'").fetchone()[0]
    assert normal == hashlib.sha256(b"an ordinary file\n").hexdigest()
    [error] = db.execute("SELECT stage, location, error FROM errors").fetchall()
    assert error[0] == "read" and error[1].endswith("claims-a-petabyte.bin") and "not hashed" in error[2]


def test_case_level_hooks_in_parallel_processes_store_what_one_process_stores(
    tmp_path: Path, server_image, rule_pack, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """On a large case the plugins' correlate hooks run in a process pool: the case-level artefacts,
    their order in the store and the custody events are those of the in-process run."""
    from workbench import pipeline
    from workbench.store import Case

    image, _ = server_image
    real_pool = pipeline.ProcessPoolExecutor
    pools: list[str] = []

    def counting_pool(*args: object, **kwargs: object) -> object:
        pools.append(mode)
        return real_pool(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "ProcessPoolExecutor", counting_pool)
    seen: dict[str, object] = {}
    for mode in ("serial", "parallel"):
        monkeypatch.setattr(pipeline, "PARALLEL_CORRELATE_ARTEFACTS", 10**9 if mode == "serial" else 0)
        case_dir = make_case(tmp_path, image, mode)
        case = Case.open(case_dir)
        pipeline.run_process(case, pipeline.ProcessOptions(rules=(str(rule_pack),), workers=2))
        case.close()
        case_level = sqlite3.connect(case_dir / "case.sqlite").execute(
            "SELECT id, kind, fields, plugin FROM artefacts WHERE file_id IS NULL ORDER BY seq"
        )
        events = [
            (e["action"], e["details"].get("plugin"), e["details"].get("artefacts"))
            for e in map(json.loads, (case_dir / "custody.jsonl").read_text().splitlines())
            if e["action"] == "process.correlate"
        ]
        seen[mode] = (list(case_level), events, store_state(case_dir))
    assert pools == ["serial", "parallel", "parallel"]  # the batches' pool; then also the hooks' pool
    serial, parallel = seen["serial"], seen["parallel"]
    assert serial[0] and serial == parallel  # type: ignore[index]

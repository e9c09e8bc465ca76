"""The processing run: list every file, cut the work into batches, run them on an executor, commit.

Only this coordinator writes the case store. Each finished batch is committed together with its
checkpoint and its ``process.batch`` custody event in one transaction, so a run killed at any
point and started again with the same parameters resumes where it stopped: batches already
committed are skipped, the others are done once. File and artefact ids are deterministic, so the
resumed store equals an uninterrupted one.

Executors: local worker processes (``concurrent.futures.ProcessPoolExecutor``) or a Dask cluster
(``distributed.Client(...).get_executor()``); both are ``concurrent.futures.Executor``s and go
through the same code path.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench import custody
from workbench.filetype import typing_key
from workbench.intake import evidence_ref
from workbench.plugin_api import CaseReader, Plugin
from workbench.registry import load_registry
from workbench.sources import FileEntry, Source
from workbench.spool import ArtefactSpool
from workbench.store import Case
from workbench.versions import library_versions
from workbench.worker import BatchResult, BatchTask, ScanOptions, file_id, run_batch

BATCH_FILES = 400
BATCH_BYTES = 192 << 20
PARALLEL_CORRELATE_ARTEFACTS = 20_000  # below this many stored artefacts the case-level hooks run in-process


class PipelineError(Exception):
    """A run that cannot start (bad parameters, unknown exhibit …). One line."""


@dataclass(frozen=True)
class ProcessOptions:
    """Parameters of ``workbench process``."""

    exhibits: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()  # empty: the shipped packs
    use_rules: bool = True
    engine: str = "auto"
    plugins: tuple[str, ...] | None = None
    workers: int = 0  # 0: one per core
    scheduler: str | None = None
    include_deleted: bool = True
    max_scan_bytes: int = 64 << 20
    yara_timeout: int = 60
    batch_files: int = BATCH_FILES
    describe: bool = True  # store libmagic's description too (costs a second libmagic pass per file)

    def identity(self) -> dict[str, Any]:
        """The parameters that define the result (not how many workers computed it)."""
        return {
            "exhibits": list(self.exhibits),
            "rules": list(self.rules) if self.use_rules else None,
            "engine": self.engine,
            "plugins": list(self.plugins) if self.plugins is not None else None,
            "include_deleted": self.include_deleted,
            "max_scan_bytes": self.max_scan_bytes,
            "batch_files": self.batch_files,
            "describe": self.describe,
        }


@dataclass
class RunSummary:
    """What a run did, printed at the end and stored with the run."""

    run_id: str
    resumed: bool = False
    files: int = 0
    bytes: int = 0
    hits: int = 0
    artefacts: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    batches: int = 0
    skipped_batches: int = 0
    types_reused: int = 0
    wall_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "run_id": self.run_id,
            "resumed": self.resumed,
            "files": self.files,
            "bytes": self.bytes,
            "hits": self.hits,
            "artefacts": dict(sorted(self.artefacts.items())),
            "errors": self.errors,
            "batches": self.batches,
            "skipped_batches": self.skipped_batches,
            "types_reused": self.types_reused,
            "wall_seconds": round(self.wall_seconds, 3),
            "problems": self.problems,
        }


def default_rule_paths() -> tuple[str, ...]:
    """The rule packs shipped with the workbench."""
    import workbench.rules

    root = Path(workbench.rules.__file__).parent
    return tuple(sorted(str(p) for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))))


def batches(entries: Iterator[FileEntry], max_files: int = BATCH_FILES) -> Iterator[tuple[FileEntry, ...]]:
    """Cut a listing into batches of at most ``max_files`` entries or BATCH_BYTES bytes."""
    current: list[FileEntry] = []
    size = 0
    for entry in entries:
        current.append(entry)
        size += entry.size if entry.type == "file" else 0
        if len(current) >= max_files or size >= BATCH_BYTES:
            yield tuple(current)
            current, size = [], 0
    if current:
        yield tuple(current)


@contextmanager
def make_executor(options: ProcessOptions) -> Iterator[tuple[Executor, int]]:
    """The executor for this run and how many tasks to keep in flight."""
    if options.scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise PipelineError("--scheduler needs dask.distributed installed") from None
        try:
            client = Client(options.scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise PipelineError(f"--scheduler {options.scheduler}: cannot connect ({exc})") from None
        try:
            workers = max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()))
            yield client.get_executor(pure=False, retries=3), workers * 2
        finally:
            client.close()
        return
    workers = options.workers or os.cpu_count() or 1
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield pool, workers * 2


def run_process(
    case: Case, options: ProcessOptions, progress: Callable[[int, int], None] | None = None
) -> RunSummary:
    """Process the case's evidence; resume an unfinished run with the same parameters."""
    started = time.monotonic()
    registry = load_registry()
    plugin_names = tuple(p.name for p in registry.select(options.plugins))
    items = case.evidence()
    if not items:
        raise PipelineError(f"{case.path}: the case has no evidence items")
    known = {i["exhibit"] for i in items}
    unknown = [e for e in options.exhibits if e not in known]
    if unknown:
        raise PipelineError(f"unknown exhibit(s): {', '.join(unknown)}")
    chosen = [i for i in items if not options.exhibits or i["exhibit"] in options.exhibits]

    # Rules are compiled (and refused, naming file and line) before any evidence is touched.
    rule_paths = (options.rules or default_rule_paths()) if options.use_rules else ()
    ruleset = None
    if rule_paths:
        from workbench.yara_engine import load_rules

        ruleset = load_rules(rule_paths, engine=options.engine)
    scan = ScanOptions(
        rules_blob=ruleset.to_bytes() if ruleset else None,
        plugins=plugin_names,
        max_scan_bytes=options.max_scan_bytes,
        yara_timeout=options.yara_timeout,
        describe=options.describe,
    )
    params_key = hashlib.sha256(custody.canonical_json(options.identity()).encode()).hexdigest()
    typing = typing_key(options.max_scan_bytes)
    run_id, resumed = _start_or_resume(case, options, params_key, ruleset, registry, plugin_names, typing)
    summary = RunSummary(run_id, resumed=resumed)
    done = {
        (r[0], r[1])
        for r in case.conn.execute("SELECT exhibit, batch FROM batches WHERE run_id = ?", (run_id,))
    }

    with make_executor(options) as (executor, in_flight):
        for item in chosen:
            ref = evidence_ref(item)
            with Source(ref) as source:
                listing = (e for e in source.walk(include_deleted=options.include_deleted))
                tasks = (
                    BatchTask(
                        run_id,
                        item["exhibit"],
                        n,
                        ref,
                        entries,
                        scan,
                        _known_types(case, item["exhibit"], entries, typing, options.describe),
                    )
                    for n, entries in enumerate(batches(listing, options.batch_files))
                )
                _drain(case, executor, in_flight, tasks, done, summary, progress)
                problems = [
                    f"{item['exhibit']} / {' / '.join(p.layers)}: {p.reason}" for p in source.problems
                ]
                layers = source.layers()
            summary.problems += problems
            _store_layers(case, item["exhibit"], layers, problems)

    _correlate(case, registry, plugin_names, run_id, summary, options.workers or os.cpu_count() or 1)
    summary.wall_seconds = time.monotonic() - started
    _finish(case, run_id, summary)
    return summary


def _start_or_resume(
    case: Case,
    options: ProcessOptions,
    params_key: str,
    ruleset: Any,
    registry: Any,
    plugin_names: tuple[str, ...],
    typing: str,
) -> tuple[str, bool]:
    row = case.conn.execute(
        "SELECT id FROM runs WHERE status = 'running' AND json_extract(params, '$.key') = ? ORDER BY started DESC",
        (params_key,),
    ).fetchone()
    if row:
        case.log("process.resume", {"run_id": row[0]})
        return row[0], True
    run_id = "run-" + custody.utc_now().replace(":", "").replace("-", "").replace(".", "")
    params = {
        **options.identity(),
        "workers": options.workers,
        "scheduler": options.scheduler,
        "key": params_key,
    }
    environment = {
        "versions": library_versions(),
        "rule_files": [{"path": f.path, "pack": f.pack, "sha256": f.sha256} for f in ruleset.files]
        if ruleset
        else [],
        "engines": ruleset.pack_engines if ruleset else {},
        "engine_versions": ruleset.engine_versions if ruleset else {},
        "engine_warnings": list(ruleset.warnings) if ruleset else [],
        "plugins": [{"name": p.name, "version": p.version} for p in registry.select(plugin_names)],
        "typing": typing,
    }

    def insert(conn: Any) -> None:
        conn.execute(
            "INSERT INTO runs(id, started, status, params, environment) VALUES (?,?,?,?,?)",
            (run_id, custody.utc_now(), "running", json.dumps(params), json.dumps(environment)),
        )

    case.log("process.start", {"run_id": run_id, "parameters": params, **environment}, apply=insert)
    return run_id, False


def _known_types(
    case: Case, exhibit: str, entries: tuple[FileEntry, ...], typing: str, describe: bool
) -> dict[str, tuple[str, str, str]]:
    """The types an earlier run stored for these files with the same libmagic and head size; a
    worker reuses one only when the file's SHA-256 is the same again."""
    ids = [file_id(exhibit, e.address) for e in entries if e.type == "file"]
    if not ids:
        return {}
    rows = case.conn.execute(
        "SELECT f.id, f.sha256, f.mime, f.magic FROM files f JOIN runs r ON r.id = f.run_id"
        f" WHERE f.id IN ({','.join('?' * len(ids))}) AND f.sha256 IS NOT NULL AND f.mime IS NOT NULL"
        " AND json_extract(r.environment, '$.typing') = ?",
        [*ids, typing],
    )
    return {fid: (sha, mime, magic or "") for fid, sha, mime, magic in rows if magic or not describe}


def _drain(
    case: Case,
    executor: Executor,
    in_flight: int,
    tasks: Iterator[BatchTask],
    done: set[tuple[str, int]],
    summary: RunSummary,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Submit batches with a bounded number in flight; commit each as it completes."""
    pending: set[Future[BatchResult]] = set()
    for task in tasks:
        if (task.exhibit, task.batch) in done:
            summary.skipped_batches += 1
            continue
        pending.add(executor.submit(run_batch, task))
        if len(pending) >= in_flight:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                _commit(case, future.result(), summary, progress)
    while pending:
        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            _commit(case, future.result(), summary, progress)


def _commit(
    case: Case, result: BatchResult, summary: RunSummary, progress: Callable[[int, int], None] | None
) -> None:
    """Write one batch and its checkpoint and custody event in one transaction."""
    kinds: Counter[str] = Counter()
    digest = hashlib.sha256()
    for f in result.files:
        digest.update(f"{f['id']}{f['sha256']}".encode())
    for kind, _fields, _line, _offset, _rules, artefact_id, *_ in result.artefacts.rows():
        kinds[kind] += 1  # counts and digest for the custody event
        digest.update(artefact_id.encode())

    def write(conn: Any) -> None:
        file_ids = [(f["id"],) for f in result.files]  # a re-run batch replaces what it stored before
        conn.executemany("DELETE FROM yara_hits WHERE file_id = ?", file_ids)
        conn.executemany("DELETE FROM artefacts WHERE file_id = ?", file_ids)
        conn.executemany(
            "INSERT OR REPLACE INTO files(id, exhibit, location, layers, path, address, inode, type, size, allocated,"
            " mtime, atime, ctime, btime, md5, sha1, sha256, mime, magic, scan, run_id)"
            " VALUES (:id,:exhibit,:location,:layers,:path,:address,:inode,:type,:size,:allocated,:mtime,:atime,"
            ":ctime,:btime,:md5,:sha1,:sha256,:mime,:magic,:scan,:run_id)",
            [
                {**f, "layers": json.dumps(f["layers"]), "scan": json.dumps(f["scan"]) if f["scan"] else None}
                for f in result.files
            ],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO yara_hits(file_id, rule, namespace, tags, meta, strings, capped)"
            " VALUES (?,?,?,?,?,?,?)",
            [
                (
                    fid,
                    m.rule,
                    m.namespace,
                    json.dumps(list(m.tags)),
                    json.dumps(m.meta, sort_keys=True, default=str),
                    json.dumps([[i, o, b.hex()] for i, o, b in m.strings]),
                    int(m.capped),
                )
                for fid, m in result.hits
            ],
        )
        case.insert_artefact_rows(result.artefacts.rows(), result.exhibit, result.run_id)
        conn.executemany(
            "INSERT INTO errors(run_id, exhibit, file_id, location, stage, plugin, error)"
            " VALUES (:run_id,:exhibit,:file_id,:location,:stage,:plugin,:error)",
            result.errors,
        )
        conn.execute(
            "INSERT INTO batches(run_id, exhibit, batch, files, finished) VALUES (?,?,?,?,?)",
            (result.run_id, result.exhibit, result.batch, len(result.files), custody.utc_now()),
        )

    case.log(
        "process.batch",
        {
            "run_id": result.run_id,
            "exhibit": result.exhibit,
            "batch": result.batch,
            "files": len(result.files),
            "bytes": result.bytes_read,
            "hits": len(result.hits),
            "artefacts": dict(sorted(kinds.items())),
            "errors": len(result.errors),
            "types_reused": result.types_reused,
            "digest": digest.hexdigest(),
        },
        apply=write,
    )
    summary.batches += 1
    summary.files += sum(1 for f in result.files if f["type"] == "file")
    summary.bytes += result.bytes_read
    summary.hits += len(result.hits)
    summary.artefacts.update(kinds)
    summary.errors += len(result.errors)
    summary.types_reused += result.types_reused
    if progress:
        progress(len(result.files), result.bytes_read)


def _store_layers(case: Case, exhibit: str, layers: Any, problems: list[str]) -> None:
    from dataclasses import asdict

    tree = asdict(layers) if layers is not None else None
    with case.transaction() as conn:
        conn.execute(
            "UPDATE evidence SET layers = ?, problems = ? WHERE exhibit = ?",
            (json.dumps(tree, default=str), json.dumps(problems), exhibit),
        )


def _correlate(
    case: Case,
    registry: Any,
    plugin_names: tuple[str, ...],
    run_id: str,
    summary: RunSummary,
    processes: int,
) -> None:
    """Run each plugin's case-level hook; its previous case-level artefacts are replaced atomically.
    Results are written here, one transaction per plugin, in registry order whoever computed them."""
    classes = registry.select(plugin_names)
    outcomes = _case_level_outcomes(case, classes, registry.kinds, processes)
    for cls, outcome in zip(classes, outcomes, strict=True):
        if isinstance(outcome, Exception):
            summary.errors += 1
            with case.transaction() as conn:
                conn.execute(
                    "INSERT INTO errors(run_id, stage, plugin, error) VALUES (?,?,?,?)",
                    (run_id, "correlate", cls.name, f"{type(outcome).__name__}: {outcome}"),
                )
            continue
        counts = Counter(row[0] for row in outcome.rows())

        def write(conn: Any, produced: ArtefactSpool = outcome, name: str = cls.name) -> None:
            conn.execute("DELETE FROM artefacts WHERE file_id IS NULL AND plugin = ?", (name,))
            case.insert_artefact_rows(produced.rows(), None, run_id)

        case.log(
            "process.correlate",
            {
                "run_id": run_id,
                "plugin": cls.name,
                "version": cls.version,
                "artefacts": dict(sorted(counts.items())),
            },
            apply=write,
        )
        summary.artefacts.update(counts)


def _case_level_outcomes(
    case: Case, classes: tuple[type[Plugin], ...], kinds: Any, processes: int
) -> Iterator[ArtefactSpool | Exception]:
    """Each plugin's case-level artefacts (or what it raised), in the order of ``classes``. On a
    large case the hooks run in parallel processes, each reading the store on its own connection;
    on a small one, here (a process pool costs more than it saves)."""
    workers = min(len(classes), processes)
    stored = case.conn.execute("SELECT count(*) FROM artefacts").fetchone()[0]
    if workers < 2 or stored < PARALLEL_CORRELATE_ARTEFACTS:
        for cls in classes:
            try:
                yield case_level_artefacts(case, cls, kinds)
            except Exception as exc:
                yield exc
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_case_level_in_child, case.path, cls.name) for cls in classes]
        for future in futures:
            try:
                yield future.result()
            except Exception as exc:
                yield exc


def case_level_artefacts(store: CaseReader, cls: type[Plugin], kinds: Any) -> ArtefactSpool:
    """Run one plugin's ``correlate`` over the store; its artefacts with plugin and ids set."""
    produced = ArtefactSpool()
    for artefact in cls().correlate(store):
        artefact.plugin, artefact.plugin_version = cls.name, cls.version
        artefact.id = artefact.identity(kinds, "case")
        produced.append(artefact)
    return produced


def _case_level_in_child(case_path: Path, plugin_name: str) -> ArtefactSpool:
    registry = load_registry()
    [cls] = registry.select((plugin_name,))
    store = Case.open(case_path)
    try:
        return case_level_artefacts(store, cls, registry.kinds)
    finally:
        store.close()


def _finish(case: Case, run_id: str, summary: RunSummary) -> None:
    totals = case.conn.execute(
        "SELECT count(*), coalesce(sum(size), 0) FROM files WHERE run_id = ? AND type = 'file'", (run_id,)
    ).fetchone()
    hits = case.conn.execute(
        "SELECT count(*) FROM yara_hits h JOIN files f ON f.id = h.file_id WHERE f.run_id = ?", (run_id,)
    ).fetchone()[0]
    counts = dict(
        case.conn.execute(
            "SELECT kind, count(*) FROM artefacts WHERE run_id = ? GROUP BY kind ORDER BY kind", (run_id,)
        ).fetchall()
    )
    errors = case.conn.execute("SELECT count(*) FROM errors WHERE run_id = ?", (run_id,)).fetchone()[0]
    final = {
        **summary.as_dict(),
        "files": totals[0],
        "bytes": totals[1],
        "hits": hits,
        "artefacts": counts,
        "errors": errors,
    }
    summary.files, summary.bytes, summary.hits, summary.errors = totals[0], totals[1], hits, errors
    summary.artefacts = Counter(counts)

    def update(conn: Any) -> None:
        conn.execute(
            "UPDATE runs SET finished = ?, status = 'finished', summary = ? WHERE id = ?",
            (custody.utc_now(), json.dumps(final), run_id),
        )

    case.log("process.finish", final, apply=update)

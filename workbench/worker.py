"""What a worker does with one batch of files: one read per file for hashes, type and YARA; then plugins.

Runs in worker processes (local or Dask), so everything here is picklable in and out, and the
worker opens the evidence itself. Nothing here writes the case store: results go back to the
coordinator, which commits each batch with its checkpoint.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, BinaryIO

from workbench.filetype import MAGIC_BYTES, Content, Edges, file_type, held_content
from workbench.plugin_api import FileView, Plugin, YaraMatch
from workbench.registry import load_registry
from workbench.sources import EvidenceRef, FileEntry, Source, SourceError
from workbench.spool import ArtefactSpool

READ_CHUNK = 1 << 20
WINDOW_OVERLAP = 1 << 20


@dataclass(frozen=True)
class ScanOptions:
    """Per-run settings the workers need."""

    rules_blob: bytes | None  # compiled Ruleset.to_bytes(), None for no YARA
    plugins: tuple[str, ...]
    max_scan_bytes: int
    yara_timeout: int
    max_strings_per_rule: int = 20
    describe: bool = True  # libmagic description as well as the MIME type (two libmagic passes)


@dataclass(frozen=True)
class BatchTask:
    """One batch: which files of which evidence item."""

    run_id: str
    exhibit: str
    batch: int
    ref: EvidenceRef
    entries: tuple[FileEntry, ...]
    options: ScanOptions
    # file id -> (sha256, mime, description) that an earlier run of the case stored with the same
    # filetype.typing_key(): libmagic's answer is a function of the content, so the same content reuses it
    known_types: dict[str, tuple[str, str, str]] = field(default_factory=dict)


@dataclass
class BatchResult:
    """Everything a batch produced, for the coordinator to commit in one transaction."""

    run_id: str
    exhibit: str
    batch: int
    files: list[dict[str, Any]] = field(default_factory=list)
    hits: list[tuple[str, YaraMatch]] = field(default_factory=list)
    artefacts: ArtefactSpool = field(default_factory=ArtefactSpool)
    errors: list[dict[str, Any]] = field(default_factory=list)
    bytes_read: int = 0
    types_reused: int = 0  # files typed by an earlier run's libmagic answer (same SHA-256)


def file_id(exhibit: str, address: str) -> str:
    """Deterministic id of a file record."""
    return hashlib.sha256(f"{exhibit}\0{address}".encode()).hexdigest()[:32]


# ----- per-process caches ----------------------------------------------------------------------

_sources: dict[str, Source] = {}


def _source(ref: EvidenceRef) -> Source:
    key = f"{ref.exhibit}\0{'|'.join(ref.info.paths)}"
    if key not in _sources:
        _sources[key] = Source(ref, verify_metadata=False)  # the coordinator's walk reports layer problems
    return _sources[key]


@cache
def _ruleset(blob: bytes) -> Any:
    from workbench.yara_engine import Ruleset

    return Ruleset.from_bytes(blob)


_types: dict[str, tuple[str, str]] = {}


def _typed(content: Content, sha256: str | None, describe: bool) -> tuple[str, str]:
    """libmagic's answer, cached by content hash (libmagic costs more per file than reading and
    hashing it, and seized servers repeat files)."""
    known = _types.get(sha256) if sha256 else None
    if known is None or (describe and not known[1]):
        known = file_type(content, describe)
        if sha256 and len(_types) < 200_000:
            _types[sha256] = known
    return known


@dataclass(frozen=True)
class Trigger:
    """A plugin with its triggers compiled for fast matching."""

    plugin: Plugin
    globs: re.Pattern[str] | None
    mimes: re.Pattern[str] | None
    rules: re.Pattern[str] | None
    tags: frozenset[str]

    def fires(self, path: str, mime: str, yara: tuple[YaraMatch, ...]) -> bool:
        """True when any trigger of the plugin matches this file."""
        if self.globs and self.globs.match(path):
            return True
        if self.mimes and mime and self.mimes.match(mime):
            return True
        if yara and self.rules and any(self.rules.match(m.rule) for m in yara):
            return True
        return bool(yara and self.tags and any(self.tags.intersection(m.tags) for m in yara))


def _compile(patterns: Iterable[str]) -> re.Pattern[str] | None:
    patterns = list(patterns)
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


@cache
def _triggers(names: tuple[str, ...]) -> tuple[Trigger, ...]:
    registry = load_registry()
    return tuple(
        Trigger(
            cls(),
            _compile(cls.globs),
            _compile(cls.mime_types),
            _compile(cls.yara_rules),
            frozenset(cls.yara_tags),
        )
        for cls in registry.select(names)
    )


# ----- the batch -------------------------------------------------------------------------------


def run_batch(task: BatchTask) -> BatchResult:
    """Process one batch of files; never raises for one bad file (it is recorded instead)."""
    result = BatchResult(task.run_id, task.exhibit, task.batch)
    source = _source(task.ref)
    rules = _ruleset(task.options.rules_blob) if task.options.rules_blob else None
    triggers = _triggers(task.options.plugins)
    kinds = load_registry().kinds
    for entry in task.entries:
        fid = file_id(task.exhibit, entry.address)
        record = _file_record(entry, fid, task.run_id)
        result.files.append(record)
        if entry.type != "file":
            continue
        try:
            known = task.known_types.get(fid)
            data, yara, scan_note, read = _read_once(source, entry, record, rules, task.options, known)
        except (SourceError, OSError) as exc:
            record["scan"] = {"error": str(exc)}
            result.errors.append(_error(task, entry, fid, "read", None, str(exc)))
            continue
        except Exception as exc:  # a scan engine failure (timeout …) must not stop the batch
            record["scan"] = {"error": f"{type(exc).__name__}: {exc}"}
            result.errors.append(_error(task, entry, fid, "scan", None, f"{type(exc).__name__}: {exc}"))
            continue
        result.bytes_read += read
        result.types_reused += bool(known and known[0] == record["sha256"])
        record["scan"] = scan_note
        if "not_hashed" in scan_note:
            result.errors.append(_error(task, entry, fid, "read", None, scan_note["not_hashed"]))
        result.hits += [(fid, m) for m in yara]
        view = FileView(
            exhibit=task.exhibit,
            location=entry.location,
            path=entry.path,
            size=entry.size,
            mime=record["mime"] or "",
            magic=record["magic"] or "",
            yara=tuple(yara),
            mtime=entry.mtime,
            deleted=not entry.allocated,
            sha256=record["sha256"] or "",
            layers=entry.layers,
            opener=_opener(source, entry.address),
            sibling_opener=_sibling_opener(source, entry),
            _data=data,
        )
        for trigger in triggers:
            if not trigger.fires(entry.path, view.mime, view.yara):
                continue
            plugin = trigger.plugin
            try:
                inline = data if data is not None and entry.size <= plugin.inline_limit else None
                for artefact in plugin.extract(view, inline):
                    artefact.file_id = fid
                    artefact.plugin, artefact.plugin_version = plugin.name, plugin.version
                    artefact.id = artefact.identity(kinds, fid)
                    result.artefacts.append(artefact)
            except Exception as exc:
                where = traceback.extract_tb(exc.__traceback__)[-1]
                message = f"{type(exc).__name__}: {exc} (at {where.name}:{where.lineno})"
                result.errors.append(_error(task, entry, fid, "plugin", plugin.name, message))
    return result


def _error(
    task: BatchTask, entry: FileEntry, fid: str, stage: str, plugin: str | None, error: str
) -> dict[str, Any]:
    return {
        "run_id": task.run_id,
        "exhibit": task.exhibit,
        "file_id": fid,
        "location": entry.location,
        "stage": stage,
        "plugin": plugin,
        "error": error,
    }


def _file_record(entry: FileEntry, fid: str, run_id: str) -> dict[str, Any]:
    return {
        "id": fid,
        "exhibit": entry.exhibit,
        "location": entry.location,
        "layers": list(entry.layers),
        "path": entry.path,
        "address": entry.address,
        "inode": entry.inode,
        "type": entry.type,
        "size": entry.size,
        "allocated": int(entry.allocated),
        "mtime": entry.mtime,
        "atime": entry.atime,
        "ctime": entry.ctime,
        "btime": entry.btime,
        "md5": None,
        "sha1": None,
        "sha256": None,
        "mime": None,
        "magic": None,
        "scan": None,
        "run_id": run_id,
    }


def _opener(source: Source, address: str) -> Callable[[], BinaryIO]:
    return lambda: source.open(address)


def _sibling_opener(source: Source, entry: FileEntry) -> Callable[[str], BinaryIO | None]:
    parent = entry.path.rsplit("/", 1)[0]

    def open_sibling(name: str) -> BinaryIO | None:
        try:
            sibling = source.lookup(" / ".join((entry.exhibit, *entry.layers, f"{parent}/{name}"[1:])))
        except SourceError:
            return None
        return source.open(sibling.address) if sibling.type == "file" else None

    return open_sibling


def _read_once(
    source: Source,
    entry: FileEntry,
    record: dict[str, Any],
    rules: Any,
    options: ScanOptions,
    known: tuple[str, str, str] | None = None,
) -> tuple[bytes | None, list[YaraMatch], dict[str, Any], int]:
    """Read the file once: hashes, type from its head (or ``known`` when the SHA-256 matches), YARA
    over it (in windows past max_scan_bytes)."""
    md5, sha1, sha256 = hashlib.md5(), hashlib.sha1(), hashlib.sha256()
    limit = source.readable_limit(entry)  # reading out a hostile size (TSK returns zeros) could take days
    keep_whole = entry.size <= options.max_scan_bytes
    parts: list[bytes] = []
    window = bytearray()
    window_base = 0
    windows: list[list[YaraMatch]] = []
    edges = None if keep_whole else Edges()  # what libmagic gets of a file too large to hold
    read = 0
    stream = source.open(entry.address)
    while True:
        chunk = stream.read(READ_CHUNK if limit is None else min(READ_CHUNK, limit - read))
        if not chunk:
            break
        read += len(chunk)
        md5.update(chunk)
        sha1.update(chunk)
        sha256.update(chunk)
        if edges is None:
            parts.append(chunk)
            continue
        edges.add(chunk)
        window += chunk
        if len(window) >= options.max_scan_bytes and rules is not None:
            windows.append(_shift(_scan(rules, bytes(window), options), window_base))
            keep = min(WINDOW_OVERLAP, len(window))
            window_base += len(window) - keep
            del window[: len(window) - keep]
    data = b"".join(parts) if keep_whole else None
    note: dict[str, Any] = {"bytes_read": read}
    if limit is not None:  # the hashes of a prefix would pass for the file's: none are recorded
        note["not_hashed"] = (
            f"listed size {entry.size} exceeds the evidence's {limit} bytes (sparse or damaged size):"
            f" the first {read} bytes were typed and scanned, the file was not hashed"
        )
    else:
        record["md5"], record["sha1"] = md5.hexdigest(), sha1.hexdigest()
        record["sha256"] = sha256.hexdigest()
        if read != entry.size:
            note["size_mismatch"] = f"listed size {entry.size}, read {read}"
    if known is not None and known[0] == record["sha256"]:
        record["mime"], record["magic"] = known[1], known[2] if options.describe else ""
    else:
        content = held_content(data or b"") if edges is None else edges.content(read)
        record["mime"], record["magic"] = _typed(content, record["sha256"], options.describe)
        if content.whole is None and read:
            note["typed_from"] = f"libmagic saw the first and last {MAGIC_BYTES} bytes of this large file"
    matches: list[YaraMatch] = []
    if rules is not None:
        if keep_whole:
            matches = _scan(rules, data or b"", options)
        else:
            if window:
                windows.append(_shift(_scan(rules, bytes(window), options), window_base))
            matches = _merge(windows, options.max_strings_per_rule)
            note["scan_windows"] = (
                f"scanned in windows of {options.max_scan_bytes} bytes overlapping by {WINDOW_OVERLAP} bytes"
            )
    return data, matches, note, read


def _scan(rules: Any, data: bytes, options: ScanOptions) -> list[YaraMatch]:
    result: list[YaraMatch] = rules.scan(
        data, timeout=options.yara_timeout, max_strings_per_rule=options.max_strings_per_rule
    )
    return result


def _shift(matches: list[YaraMatch], base: int) -> list[YaraMatch]:
    if not base:
        return matches
    return [
        YaraMatch(
            m.rule, m.namespace, m.tags, m.meta, tuple((i, o + base, b) for i, o, b in m.strings), m.capped
        )
        for m in matches
    ]


def _merge(windows: list[list[YaraMatch]], cap: int) -> list[YaraMatch]:
    """One match per rule over all windows; strings de-duplicated by (identifier, offset)."""
    merged: dict[tuple[str, str], YaraMatch] = {}
    for matches in windows:
        for m in matches:
            key = (m.namespace, m.rule)
            if key not in merged:
                merged[key] = m
                continue
            old = merged[key]
            strings = sorted(set(old.strings) | set(m.strings), key=lambda s: (s[1], s[0]))
            merged[key] = YaraMatch(
                m.rule,
                m.namespace,
                m.tags,
                m.meta,
                tuple(strings[:cap]),
                old.capped or m.capped or len(strings) > cap,
            )
    return sorted(merged.values(), key=lambda m: (m.namespace, m.rule))

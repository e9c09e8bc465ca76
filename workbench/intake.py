"""Evidence intake and verification: detect the container, hash its media in one pass, record it.

The media content is hashed with MD5, SHA-1 and SHA-256 in one read pass (workbench.hashing). For E01 that is
the decoded media data, checked against the hashes stored in the E01 header. For a directory it is
a manifest: the sorted list of (relative path, size, SHA-256), whose own hashes stand for the tree.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench import custody
from workbench.hashing import ALGORITHMS, CHUNK, Progress, hash_stream
from workbench.sources import ContainerInfo, EvidenceRef, SourceError, detect, open_media
from workbench.store import Case, CaseError


class IntakeError(Exception):
    """Evidence that cannot be added or verified. ``str(err)`` is one line naming the input."""


@dataclass
class SeizureDetails:
    """Who seized the item, when, where, under which seal."""

    seized_by: str | None = None
    seized_at: str | None = None
    seized_from: str | None = None
    seal: str | None = None


@dataclass
class IntakeResult:
    """What intake found: the hashes and every comparison made."""

    exhibit: str
    info: ContainerInfo
    hashes: dict[str, str]
    checks: list[dict[str, Any]] = field(default_factory=list)  # {"against", "algorithm", "expected", "ok"}
    manifest: list[list[Any]] | None = None

    @property
    def ok(self) -> bool:
        """True when every comparison matched."""
        return all(c["ok"] for c in self.checks)


def directory_manifest(root: Path, progress: Progress | None = None) -> list[list[Any]]:
    """Sorted [relative path, size, sha256] of every regular file below ``root`` (links not followed)."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            full = Path(dirpath) / name
            st = full.lstat()
            if not stat.S_ISREG(st.st_mode):
                continue
            digest = hashlib.sha256()
            with open(full, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    digest.update(chunk)
                    if progress:
                        progress(len(chunk))
            rel = os.fsdecode(full.relative_to(root))
            entries.append([rel, st.st_size, digest.hexdigest()])
    entries.sort()
    return entries


def manifest_bytes(manifest: list[list[Any]]) -> bytes:
    """The canonical bytes whose hashes stand for a directory item."""
    return custody.canonical_json(manifest).encode("utf-8")


def hash_media(
    info: ContainerInfo, progress: Progress | None = None
) -> tuple[dict[str, str], list[list[Any]] | None]:
    """Hash an item's media content; for a directory also return its manifest."""
    if info.format == "directory":
        manifest = directory_manifest(Path(info.paths[0]), progress)
        blob = manifest_bytes(manifest)
        return {name: hashlib.new(name, blob).hexdigest() for name in ALGORITHMS}, manifest
    with open_media(info) as media:
        return hash_stream(media, progress), None


def compare(hashes: dict[str, str], expected: dict[str, str], against: str) -> list[dict[str, Any]]:
    """One check per algorithm named in ``expected``."""
    return [
        {
            "against": against,
            "algorithm": algo,
            "expected": want.lower(),
            "actual": hashes[algo],
            "ok": hashes[algo] == want.lower(),
        }
        for algo, want in sorted(expected.items())
        if algo in hashes
    ]


def validate_hex(algorithm: str, value: str) -> str:
    """Check an expected hash given on the command line."""
    length = {"md5": 32, "sha1": 40, "sha256": 64}[algorithm]
    value = value.strip().lower()
    if len(value) != length or any(c not in "0123456789abcdef" for c in value):
        raise IntakeError(f"--expected-{algorithm} {value!r}: not a {length}-digit hex {algorithm.upper()}")
    return value


def add_evidence(
    case: Case,
    path: Path,
    *,
    exhibit: str,
    description: str,
    seizure: SeizureDetails,
    expected: dict[str, str],
    password: str | None = None,
    recovery_key: str | None = None,
    progress: Progress | None = None,
) -> IntakeResult:
    """Detect, hash and record one evidence item, with its custody events."""
    if not exhibit.strip():
        raise IntakeError("--exhibit must not be empty")
    if case.conn.execute("SELECT 1 FROM evidence WHERE exhibit = ?", (exhibit,)).fetchone():
        raise IntakeError(f"{exhibit}: exhibit id already used in case {case.info.number}")
    expected = {algo: validate_hex(algo, v) for algo, v in expected.items() if v}
    try:
        info = detect(str(path))
        if info.media_size == 0:
            raise IntakeError(f"{path}: empty, there is no media to add")
        hashes, manifest = hash_media(info, progress)
    except SourceError as exc:
        raise IntakeError(str(exc)) from None
    except OSError as exc:
        raise IntakeError(f"{path}: {exc.strerror or exc}") from None
    result = IntakeResult(exhibit, info, hashes, manifest=manifest)
    result.checks += compare(hashes, info.stored_hashes, "stored in container")
    result.checks += compare(hashes, expected, "expected (given at intake)")
    details = {
        "exhibit": exhibit,
        "description": description,
        "format": info.format,
        "paths": list(info.paths),
        "media_size": info.media_size,
        "hashes": hashes,
        "stored_hashes": info.stored_hashes,
        "expected_hashes": expected,
        "checks": result.checks,
        "container": _jsonable(info.details),
        **{k: v for k, v in vars(seizure).items() if v},
    }
    added = custody.utc_now()

    def insert(conn: Any) -> None:
        conn.execute(
            "INSERT INTO evidence(exhibit, description, seized_by, seized_at, seized_from, seal, format, paths,"
            " size, stored_hashes, expected_hashes, md5, sha1, sha256, manifest, details, intake_result,"
            " added_at, added_by, password, recovery_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                exhibit,
                description,
                seizure.seized_by,
                seizure.seized_at,
                seizure.seized_from,
                seizure.seal,
                info.format,
                json.dumps(list(info.paths)),
                info.media_size,
                json.dumps(info.stored_hashes),
                json.dumps(expected),
                hashes["md5"],
                hashes["sha1"],
                hashes["sha256"],
                json.dumps(manifest) if manifest is not None else None,
                json.dumps(_jsonable(info.details)),
                json.dumps({"ok": result.ok, "checks": result.checks}),
                added,
                case.examiner,
                password,
                recovery_key,
            ),
        )

    try:
        case.log("evidence.add", details, apply=insert)
    except CaseError:
        raise
    for check in result.checks:
        if not check["ok"]:
            case.log("evidence.hash_mismatch", {"exhibit": exhibit, **check})
    return result


def container_info(item: dict[str, Any]) -> ContainerInfo:
    """The container of a stored evidence row (format, files, size, stored hashes, details)."""
    return ContainerInfo(
        format=item["format"],
        paths=tuple(item["paths"]),
        media_size=item["size"],
        stored_hashes=item.get("stored_hashes") or {},
        details=item.get("details") or {},
    )


def evidence_ref(item: dict[str, Any]) -> EvidenceRef:
    """An EvidenceRef (container and credentials) from a stored evidence row."""
    return EvidenceRef(item["exhibit"], container_info(item), item.get("password"), item.get("recovery_key"))


def verify_evidence(case: Case, exhibit: str, progress: Progress | None = None) -> dict[str, Any]:
    """Re-hash an item and compare with its intake hashes; records ``evidence.verify``."""
    item = case.evidence_item(exhibit)
    try:
        hashes, manifest = hash_media(container_info(item), progress)
        error = ""
    except (SourceError, OSError) as exc:
        hashes, manifest, error = {}, None, str(exc)
    intake = {a: item[a] for a in ALGORITHMS}
    ok = not error and all(hashes.get(a) == intake[a] for a in ALGORITHMS)
    detail = error or (
        "all hashes match intake" if ok else _differences(intake, hashes, item.get("manifest"), manifest)
    )
    outcome = {"exhibit": exhibit, "ok": ok, "hashes": hashes, "intake": intake, "detail": detail}

    def insert(conn: Any) -> None:
        conn.execute(
            "INSERT INTO verifications(exhibit, time, examiner, md5, sha1, sha256, result, detail)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (
                exhibit,
                custody.utc_now(),
                case.examiner,
                hashes.get("md5"),
                hashes.get("sha1"),
                hashes.get("sha256"),
                "match" if ok else "MISMATCH",
                detail,
            ),
        )

    case.log("evidence.verify", outcome, apply=insert)
    return outcome


def _differences(
    intake: dict[str, str], now: dict[str, str], old_manifest: Any, new_manifest: list[list[Any]] | None
) -> str:
    algos = [a for a in ALGORITHMS if intake[a] != now.get(a)]
    text = "hash mismatch: " + ", ".join(algos)
    if old_manifest is not None and new_manifest is not None:
        before = {row[0]: row for row in old_manifest}
        after = {row[0]: row for row in new_manifest}
        changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
        text += "; files differing: " + ", ".join(changed[:10]) + (" …" if len(changed) > 10 else "")
    return text


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))

"""``workbench verify``: check a report bundle the way a defence expert would.

Checks, each with a one-line verdict:
- manifest: manifest.json is readable and lists files;
- file hashes: every listed file present has the SHA-256 the manifest gives;
- missing files / extra files: the bundle holds exactly the listed files (plus the manifest);
- custody copy: the bundle's custody.jsonl is an unbroken chain ending at the manifest's head;
- manifest logged: the case's custody log has this report's ``report.render`` event, with the
  manifest's SHA-256 (so a manifest edited to match edited files is caught);
- custody copy in case log: the bundle's custody copy is the start of the case's log;
- case custody chain: both copies of the case's custody log verify and agree;
- evidence EX-nn (with ``--evidence``): the item re-hashed now matches its intake hashes.

Nothing is written: not to the bundle, not to the case (evidence is re-hashed read-only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.reports.bundle import CUSTODY_COPY, FILE_NAMES, MANIFEST

from workbench import custody
from workbench.hashing import sha256_file
from workbench.store import Case, CaseError

OK, FAIL, SKIPPED = "ok", "FAIL", "skipped"
LISTED = 5  # file names named in one verdict


class VerifyError(ValueError):
    """A bundle or case that cannot be checked at all (not a directory, not a case). One line."""


@dataclass(frozen=True)
class Check:
    """One named check and its verdict."""

    name: str
    status: str
    detail: str

    @property
    def failed(self) -> bool:
        """True when the check found a problem (skipped checks do not fail)."""
        return self.status == FAIL

    def line(self) -> str:
        """One-line verdict."""
        return f"{self.status:<7} {self.name}: {self.detail}"


def _names(paths: list[str]) -> str:
    shown = ", ".join(paths[:LISTED])
    return shown + (f" and {len(paths) - LISTED} more" if len(paths) > LISTED else "")


def _load_manifest(bundle: Path) -> tuple[dict[str, Any] | None, Check]:
    path = bundle / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        if not isinstance(files, list) or not all(isinstance(f, dict) and "path" in f for f in files):
            raise ValueError("'files' is not a list of files")
    except FileNotFoundError:
        return None, Check("manifest", FAIL, f"{MANIFEST} is missing")
    except (ValueError, KeyError, TypeError) as exc:
        return None, Check("manifest", FAIL, f"{MANIFEST} is not a bundle manifest ({exc})")
    return manifest, Check(
        "manifest",
        OK,
        f"report {manifest.get('report_id')} of case {manifest.get('case_number')}, {len(files)} files",
    )


def check_files(bundle: Path, manifest: dict[str, Any]) -> list[Check]:
    """File hashes, missing files and extra files against the manifest."""
    listed = {f["path"]: f for f in manifest["files"]}
    present = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    missing = sorted(p for p in listed if p not in present)
    extra = sorted(p for p in present - set(listed) if p != MANIFEST)
    changed = sorted(p for p in listed if p in present and sha256_file(bundle / p) != listed[p].get("sha256"))
    return [
        Check("file hashes", FAIL, f"SHA-256 differs from the manifest: {_names(changed)}")
        if changed
        else Check("file hashes", OK, f"{len(listed) - len(missing)} files match the manifest"),
        Check("missing files", FAIL, f"listed in the manifest but absent: {_names(missing)}")
        if missing
        else Check("missing files", OK, "none"),
        Check("extra files", FAIL, f"in the bundle but not in the manifest: {_names(extra)}")
        if extra
        else Check("extra files", OK, "none"),
    ]


def check_custody_copy(bundle: Path, manifest: dict[str, Any]) -> tuple[list[custody.CustodyEvent], Check]:
    """The bundle's custody copy: an unbroken chain whose head is the one the manifest names."""
    path = bundle / CUSTODY_COPY
    if not path.is_file():
        return [], Check("custody copy", FAIL, f"{CUSTODY_COPY} is missing")
    try:
        events = custody.read_jsonl_events(path)
    except ValueError as exc:
        return [], Check("custody copy", FAIL, str(exc).replace(str(bundle) + "/", ""))
    chain = custody.verify_chain(events, CUSTODY_COPY)
    if not chain.ok:
        return events, Check("custody copy", FAIL, chain.line())
    if chain.head != manifest.get("custody_head") or len(events) != manifest.get("custody_events"):
        return events, Check("custody copy", FAIL, "chain head or event count differs from the manifest")
    return events, Check("custody copy", OK, f"{len(events)} events, head {chain.head}")


def find_case(bundle: Path, case_dir: Path | None) -> Path | None:
    """The case to check against: the one given, or the case the bundle sits in (CASE/reports/ID)."""
    if case_dir is not None:
        return case_dir
    guess = bundle.resolve().parent.parent
    return guess if (guess / "case.sqlite").is_file() and (guess / "custody.jsonl").is_file() else None


def check_against_case(
    case: Case, bundle: Path, manifest: dict[str, Any], copy: list[custody.CustodyEvent]
) -> list[Check]:
    """The manifest hash in the case's report.render event, the custody copy as its prefix, the chain."""
    events = case.custody_events()
    report_id = manifest.get("report_id")
    renders = [e for e in events if e.action == "report.render" and e.details.get("report_id") == report_id]
    actual = sha256_file(bundle / MANIFEST)
    if not renders:
        logged = Check("manifest logged", FAIL, f"no report.render event for report {report_id} in the case")
    elif renders[-1].details.get("manifest_sha256") != actual:
        logged = Check(
            "manifest logged",
            FAIL,
            f"manifest SHA-256 {actual} differs from the one logged at custody event {renders[-1].seq} "
            f"({renders[-1].details.get('manifest_sha256')})",
        )
    else:
        logged = Check("manifest logged", OK, f"SHA-256 {actual} matches custody event {renders[-1].seq}")
    n = len(copy)
    if (
        n
        and [e.as_dict() for e in events[:n]] == [e.as_dict() for e in copy]
        and (not renders or renders[-1].seq > n)
    ):
        prefix = Check("custody copy in case log", OK, f"the bundle's {n} events open the case's log")
    else:
        prefix = Check(
            "custody copy in case log", FAIL, "the bundle's custody copy differs from the case's log"
        )
    chains = case.verify_custody()
    bad = [c for c in chains if not c.ok]
    chain = (
        Check("case custody chain", FAIL, "; ".join(c.line() for c in bad))
        if bad
        else Check("case custody chain", OK, "; ".join(c.line() for c in chains))
    )
    return [logged, prefix, chain]


def _evidence_items(case: Case | None, bundle: Path) -> list[dict[str, Any]]:
    if case is not None:
        return case.evidence()
    model = json.loads((bundle / FILE_NAMES["json"]).read_text(encoding="ascii"))
    return [
        {
            "exhibit": e["exhibit"],
            "format": e["container"]["format"],
            "paths": e["container"]["paths"],
            "size": e["container"]["size"],
            "details": e["container"]["details"],
            "stored_hashes": e["stored_hashes"],
            **e["hashes"],
        }
        for e in model["evidence"]
    ]


def check_evidence(case: Case | None, bundle: Path) -> list[Check]:
    """Re-hash every evidence item (read-only, nothing logged) and compare with its intake hashes."""
    from workbench.hashing import ALGORITHMS
    from workbench.intake import container_info, hash_media
    from workbench.sources import SourceError

    try:
        items = _evidence_items(case, bundle)
    except (OSError, ValueError, KeyError) as exc:
        return [
            Check(
                "evidence",
                FAIL,
                f"no case and no readable {FILE_NAMES['json']} to take intake hashes from ({exc})",
            )
        ]
    checks = []
    for item in items:
        name = f"evidence {item['exhibit']}"
        try:
            hashes, _ = hash_media(container_info(item))
        except (SourceError, OSError) as exc:
            checks.append(Check(name, FAIL, f"cannot be read: {exc}"))
            continue
        differ = [a for a in ALGORITHMS if hashes.get(a) != item.get(a)]
        if differ:
            checks.append(
                Check(
                    name, FAIL, f"{', '.join(differ)} differ from intake (now sha256 {hashes.get('sha256')})"
                )
            )
        else:
            checks.append(Check(name, OK, f"md5, sha1, sha256 match intake (sha256 {hashes['sha256']})"))
    return checks or [Check("evidence", SKIPPED, "the case has no evidence items")]


def verify_bundle(bundle: Path, case_dir: Path | None = None, *, evidence: bool = False) -> list[Check]:
    """Every check of a bundle (and its case, when found), in a fixed order."""
    if not bundle.is_dir():
        raise VerifyError(f"{bundle}: no such bundle directory")
    manifest, first = _load_manifest(bundle)
    checks = [first]
    if manifest is None:
        return checks
    checks += check_files(bundle, manifest)
    copy, copy_check = check_custody_copy(bundle, manifest)
    checks.append(copy_check)
    where = find_case(bundle, case_dir)
    case = None
    if where is None:
        checks.append(
            Check("manifest logged", SKIPPED, "no case given (--case CASE_DIR) and none around the bundle")
        )
    else:
        try:
            case = Case.open(where)
        except CaseError as exc:
            raise VerifyError(str(exc)) from None
        if case.info.number != manifest.get("case_number"):
            checks.append(
                Check(
                    "case",
                    FAIL,
                    f"{where} is case {case.info.number}, the bundle is of {manifest.get('case_number')}",
                )
            )
        checks += check_against_case(case, bundle, manifest, copy)
    if evidence:
        checks += check_evidence(case, bundle)
    if case is not None:
        case.close()
    return checks

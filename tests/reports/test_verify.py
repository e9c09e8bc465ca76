"""`workbench verify` catches every kind of tampering with a bundle, its case or its evidence.

Tampering happens on copies (the case directory with its bundle, or a fresh case over a copy of
the evidence image); the shared case and image are never touched.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from workbench.reports.verify import FAIL, OK, SKIPPED, Check, verify_bundle

from tests.reports.conftest import Bundle, ReportCase, init_case, run_cli

pytestmark = pytest.mark.xdist_group("reports")


def statuses(checks: list[Check]) -> dict[str, str]:
    return {c.name: c.status for c in checks}


def failed(checks: list[Check]) -> set[str]:
    return {c.name for c in checks if c.status == FAIL}


@pytest.fixture
def copied(report_case: ReportCase, bundle: Bundle, tmp_path: Path) -> tuple[Path, Path]:
    """(case copy, bundle copy inside it): the same layout as CASE/reports/REPORT_ID."""
    case_dir = tmp_path / "case"
    shutil.copytree(report_case.case_dir, case_dir)
    return case_dir, case_dir / "reports" / bundle.path.name


def flip_byte(path: Path, at: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    where = len(data) // 2 if at is None else at
    data[where] ^= 0x01
    path.write_bytes(bytes(data))


def test_untouched_bundle_passes(bundle: Bundle) -> None:
    result = run_cli("verify", bundle.path)
    for name in ("manifest", "file hashes", "missing files", "extra files", "custody copy", "manifest logged",
                 "custody copy in case log", "case custody chain"):  # fmt: skip
        assert f"ok      {name}: " in result.output, name
    assert result.output.rstrip().endswith("verdict: all checks passed")


def test_a_changed_byte_in_any_file_is_caught(copied: tuple[Path, Path]) -> None:
    case_dir, bundle = copied
    files = sorted(p for p in bundle.rglob("*") if p.is_file())
    assert len(files) > 20
    for path in files:
        original = path.read_bytes()
        flip_byte(path)
        checks = verify_bundle(bundle, case_dir)
        name = path.relative_to(bundle).as_posix()
        if name == "manifest.json":
            assert failed(checks) & {"manifest", "manifest logged"}, name
        else:
            assert "file hashes" in failed(checks), name
            assert name in next(c.detail for c in checks if c.name == "file hashes")
        path.write_bytes(original)
    assert not failed(verify_bundle(bundle, case_dir))
    flip_byte(bundle / "report.pdf")
    result = run_cli("verify", bundle, "--case", case_dir, expect=1)
    assert "FAIL    file hashes: SHA-256 differs from the manifest: report.pdf" in result.output
    assert "verdict: FAILED (1 checks)" in result.output


def test_removed_and_added_files_are_caught(copied: tuple[Path, Path]) -> None:
    case_dir, bundle = copied
    (bundle / "csv" / "scene.pre.csv").unlink()
    (bundle / "csv" / "planted.csv").write_text("id\n1\n")
    checks = verify_bundle(bundle, case_dir)
    assert failed(checks) == {"missing files", "extra files"}
    details = {c.name: c.detail for c in checks}
    assert "csv/scene.pre.csv" in details["missing files"] and "csv/planted.csv" in details["extra files"]
    result = run_cli("verify", bundle, "--case", case_dir, expect=1)
    assert "FAIL    missing files:" in result.output and "FAIL    extra files:" in result.output


def test_a_manifest_edited_to_match_is_caught(copied: tuple[Path, Path]) -> None:
    case_dir, bundle = copied
    html = bundle / "report.html"
    html.write_text(html.read_text().replace("seized panel server", "seized office printer"))
    manifest = json.loads((bundle / "manifest.json").read_text())
    for entry in manifest["files"]:
        if entry["path"] == "report.html":
            entry["sha256"] = hashlib.sha256(html.read_bytes()).hexdigest()
            entry["size"] = html.stat().st_size
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    checks = verify_bundle(bundle, case_dir)
    assert statuses(checks)["file hashes"] == OK  # the forger made the files agree with the manifest …
    assert failed(checks) == {"manifest logged"}  # … but not with the hash in the custody log
    run_cli("verify", bundle, "--case", case_dir, expect=1)


def test_a_custody_copy_rewritten_with_its_manifest_is_caught(copied: tuple[Path, Path]) -> None:
    case_dir, bundle = copied
    copy = bundle / "custody.jsonl"
    lines = copy.read_text().splitlines()
    event = json.loads(lines[1])
    event["details"]["seized_by"] = "someone else"
    lines[1] = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    copy.write_text("\n".join(lines) + "\n")
    manifest = json.loads((bundle / "manifest.json").read_text())
    for entry in manifest["files"]:
        if entry["path"] == "custody.jsonl":
            entry["sha256"] = hashlib.sha256(copy.read_bytes()).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    checks = verify_bundle(bundle, case_dir)
    assert failed(checks) == {"custody copy", "manifest logged", "custody copy in case log"}
    assert "BROKEN at sequence 2" in next(c.detail for c in checks if c.name == "custody copy")


@pytest.mark.parametrize("where", ["custody.jsonl", "case.sqlite"])
def test_an_edited_case_custody_log_is_caught(copied: tuple[Path, Path], where: str) -> None:
    case_dir, bundle = copied
    if where == "custody.jsonl":
        mirror = case_dir / "custody.jsonl"
        mirror.write_text(
            mirror.read_text().replace('"examiner":"A. Examiner"', '"examiner":"B. Examiner"', 1)
        )
    else:
        db = sqlite3.connect(case_dir / "case.sqlite")
        db.execute("UPDATE custody SET details = replace(details, 'Rack 4', 'Rack 5') WHERE seq = 2")
        db.commit()
        db.close()
    checks = verify_bundle(bundle, case_dir)
    assert "case custody chain" in failed(checks)
    detail = next(c.detail for c in checks if c.name == "case custody chain")
    assert "BROKEN at sequence 1" in detail if where == "custody.jsonl" else "BROKEN at sequence 2" in detail
    result = run_cli("verify", bundle, "--case", case_dir, expect=1)
    assert "FAIL    case custody chain:" in result.output


def test_changed_evidence_is_caught_with_evidence_flag(report_case: ReportCase, tmp_path: Path) -> None:
    image = tmp_path / "server.ext4"
    shutil.copyfile(report_case.evidence.image, image)
    case_dir = tmp_path / "case"
    init_case(case_dir, image)  # not processed: a report of a case with evidence only
    run_cli("report", case_dir, "--out", tmp_path / "bundle", "--format", "json,html")
    result = run_cli("verify", tmp_path / "bundle", "--case", case_dir, "--evidence")
    assert "ok      evidence EX-01: md5, sha1, sha256 match intake" in result.output
    flip_byte(image, at=1024 + 17)  # inside the ext4 superblock
    result = run_cli("verify", tmp_path / "bundle", "--case", case_dir, "--evidence", expect=1)
    assert "FAIL    evidence EX-01: md5, sha1, sha256 differ from intake" in result.output
    assert "verdict: FAILED (1 checks)" in result.output
    # Without the case, the intake hashes come from report.json; the custody checks are skipped.
    loose = tmp_path / "loose"
    shutil.copytree(tmp_path / "bundle", loose)
    checks = verify_bundle(loose, None, evidence=True)
    assert statuses(checks)["manifest logged"] == SKIPPED and failed(checks) == {"evidence EX-01"}

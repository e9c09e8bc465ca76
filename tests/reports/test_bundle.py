"""`workbench report`: the bundle's files, its manifest and custody event, the report model, options."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from workbench.reports.html import render_html
from workbench.reports.json_export import write_model_json
from workbench.reports.model import build_model

from tests.reports.conftest import CASE_NUMBER, TAG_NOTE, Bundle, ReportCase, init_case, run_cli
from tests.reports.evidence import HOSTILE_NOTE, HOSTILE_USER
from workbench.store import Case

pytestmark = pytest.mark.xdist_group("reports")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_bundle_holds_every_format_with_a_manifest_logged_in_custody(
    report_case: ReportCase, bundle: Bundle
) -> None:
    names = {p.relative_to(bundle.path).as_posix() for p in bundle.path.rglob("*") if p.is_file()}
    for expected in (
        "report.html",
        "report.pdf",
        "report.json",
        "case-uco.jsonld",
        "timeline.jsonl",
        "custody.jsonl",
    ):
        assert expected in names
    case = Case.open(report_case.case_dir)
    counts = case.artefact_counts()
    assert {f"csv/{kind}.csv" for kind in counts} <= names
    listed = {f["path"]: f for f in bundle.manifest["files"]}
    assert set(listed) == names - {"manifest.json"}
    for name, entry in listed.items():
        assert entry["sha256"] == sha256(bundle.path / name), name
        assert entry["size"] == (bundle.path / name).stat().st_size
    assert bundle.manifest["case_number"] == CASE_NUMBER
    [render] = [
        e
        for e in case.custody_events()
        if e.action == "report.render" and e.details["report_id"] == bundle.manifest["report_id"]
    ]
    assert bundle.manifest["report_id"] == bundle.path.name
    assert render.details["manifest_sha256"] == sha256(bundle.path / "manifest.json")
    assert render.details["manifest_sha256"] in bundle.output
    assert [p.name for p in bundle.path.parent.iterdir()] == [bundle.path.name]  # no temp dir left
    timeline = [json.loads(line) for line in (bundle.path / "timeline.jsonl").read_text().splitlines()]
    assert timeline and all({"message", "datetime", "timestamp_desc"} <= set(e) for e in timeline)
    assert json.loads((bundle.path / "case-uco.jsonld").read_text())["@graph"]


def test_model_covers_evidence_methodology_findings_and_custody(
    report_case: ReportCase, bundle: Bundle
) -> None:
    m = bundle.model
    case = Case.open(report_case.case_dir)
    assert m["report"]["id"] == bundle.manifest["report_id"]
    assert m["cover"]["case_number"] == CASE_NUMBER and m["cover"]["timezone"] == "Europe/Lisbon"
    [item] = m["evidence"]
    stored = case.evidence_item("EX-01")
    assert item["hashes"] == {a: stored[a] for a in ("md5", "sha1", "sha256")}
    assert item["seizure"] == {
        "seized_by": "DC Smith",
        "seized_at": "2024-06-02T06:00:00Z",
        "seized_from": "Rack 4",
        "seal": "SEAL-0001",
    }
    assert item["layers"]["children"][0]["kind"] == "ext4" and not item["mismatch"]
    # Rule files with their SHA-256 as used by the run.
    rule_files = m["methodology"]["rule_files"]
    assert rule_files and all(sha256(Path(f["path"])) == f["sha256"] for f in rule_files)
    assert any(p["name"] == "iptv.panel_database" and p["used_in_runs"] for p in m["methodology"]["plugins"])
    [run] = m["methodology"]["runs"]
    assert run["parameters"]["workers"] == 1 and run["versions"]["workbench"]
    # Findings: every kind but the figures, all rows in report.json, provenance on each row.
    counts = case.artefact_counts()
    tables = {t["kind"]: t for fam in m["findings"] for t in fam["kinds"]}
    assert set(tables) == set(counts) - {"case.figure"}
    for kind, table in tables.items():
        assert table["count"] == counts[kind] == len(table["rows"]), kind
        for row in table["rows"]:
            p = row["provenance"]
            assert p["plugin"] and p["plugin_version"]
            assert p.get("derived") or (
                p["exhibit"] == "EX-01" and p["path"].startswith("/") and len(p["sha256"]) == 64
            )
    assert m["summary"]["figures"]["iptv"] and {c["id"] for c in m["summary"]["charts"]} == {
        "subscribers-over-time",
        "activity-by-country",
        "releases-per-group-per-month",
    }
    # The hostile subscriber: full value kept, password masked, tagged with its note.
    [row] = [r for r in tables["iptv.subscriber"]["rows"] if r["fields"]["username"] == HOSTILE_USER]
    assert row["fields"]["admin_notes"] == HOSTILE_NOTE
    assert row["fields"]["password"] != "pw{{7*7}}" and "*" in row["fields"]["password"]
    assert row["tags"] == ["notable"] and row["notes"] == [TAG_NOTE]
    assert {t["artefact_id"] for t in m["tagged"]} == set(report_case.tagged)
    assert any(
        e["source"] == "tagged" and e["row"]["id"] in report_case.tagged for e in m["timeline"]["entries"]
    )
    # Custody: the whole log up to the render, verified, as also copied into the bundle.
    events = [json.loads(line) for line in (bundle.path / "custody.jsonl").read_text().splitlines()]
    assert m["custody"]["ok"] and m["custody"]["events"] == events
    assert m["custody"]["head"] == events[-1]["hash"] == bundle.manifest["custody_head"]
    assert [e["action"] for e in events[:2]] == ["case.init", "evidence.add"]


def test_tables_are_capped_in_html_with_every_row_in_json(report_case: ReportCase, tmp_path: Path) -> None:
    case = Case.open(report_case.case_dir)
    model = build_model(case, report_id="R-cap", generated_at="2026-01-01T00:00:00Z", row_cap=5)
    table = next(t for fam in model["findings"] for t in fam["kinds"] if t["kind"] == "iptv.subscriber")
    assert len(table["rows"]) == 5 and table["omitted"] == table["count"] - 5 > 0
    html = render_html(model)
    assert f"{table['count'] - 5:,} more rows not shown here: all {table['count']:,} are in" in html
    target = write_model_json(case, model, tmp_path / "report.json")
    full = json.loads(target.read_text())
    table = next(t for fam in full["findings"] for t in fam["kinds"] if t["kind"] == "iptv.subscriber")
    assert len(table["rows"]) == table["count"] == case.artefact_counts()["iptv.subscriber"]
    assert table["omitted"] == 0


def copy_case(report_case: ReportCase, tmp_path: Path) -> Path:
    """A copy of the shared case (without its bundle) that a test may render into."""
    case_dir = tmp_path / "case"
    shutil.copytree(report_case.case_dir, case_dir, ignore=shutil.ignore_patterns("reports"))
    return case_dir


def test_tagged_only_bundle(report_case: ReportCase, tmp_path: Path) -> None:
    out = tmp_path / "tagged"
    case_dir = copy_case(report_case, tmp_path)
    run_cli("report", case_dir, "--out", out, "--tagged-only", "--format", "json,csv,html")
    model = json.loads((out / "report.json").read_text())
    assert model["report"]["tagged_only"]
    rows = [r for fam in model["findings"] for t in fam["kinds"] for r in t["rows"]]
    assert sorted(r["id"] for r in rows) == sorted(report_case.tagged)
    assert sorted(p.name for p in (out / "csv").glob("*.csv")) == [
        "files.csv",
        "iptv.subscriber.csv",
        "scene.pre.csv",
    ]
    assert not (out / "report.pdf").exists() and "Tagged artefacts only" in (out / "report.html").read_text()


def test_reverify_rehashes_evidence_first(report_case: ReportCase, tmp_path: Path) -> None:
    case_dir = copy_case(report_case, tmp_path)
    output = run_cli("report", case_dir, "--out", tmp_path / "r", "--format", "json", "--reverify").output
    assert "EX-01: re-verified OK" in output
    model = json.loads((tmp_path / "r" / "report.json").read_text())
    [item] = model["evidence"]
    assert item["latest_verification"] == "match" and len(item["verifications"]) == 1
    actions = [e["action"] for e in model["custody"]["events"]]
    assert actions[-1] == "evidence.verify"


def test_bad_options_fail_cleanly_and_write_nothing(report_case: ReportCase, tmp_path: Path) -> None:
    result = run_cli(
        "report", report_case.case_dir, "--out", tmp_path / "x", "--format", "html,docx", expect=2
    )
    assert "error: --format 'html,docx': unknown format(s) docx" in result.output
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("examiner's file")
    result = run_cli("report", report_case.case_dir, "--out", busy, "--format", "json", expect=2)
    assert f"error: {busy}: already exists and is not an empty directory" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["busy"] and [p.name for p in busy.iterdir()] == [
        "keep.txt"
    ]
    result = run_cli("report", tmp_path / "nocase", expect=2)
    assert "error:" in result.output and "no such case directory" in result.output
    result = run_cli("verify", tmp_path / "nobundle", expect=2)
    assert "error:" in result.output and "no such bundle directory" in result.output


def test_limitations_show_windowed_scans_and_recorded_errors(report_case: ReportCase, tmp_path: Path) -> None:
    case_dir = tmp_path / "case"
    init_case(case_dir, report_case.evidence.image)
    run_cli("process", case_dir, "--workers", "1", "--max-scan-bytes", "4k", "--plugins", "scene")
    case = Case.open(case_dir)
    [run] = case.runs()
    # A failure as the pipeline records it (file, stage, plugin, message); the message is hostile.
    with case.transaction() as conn:
        for n in range(205):
            conn.execute(
                "INSERT INTO errors(run_id, exhibit, file_id, location, stage, plugin, error) VALUES (?,?,?,?,?,?,?)",
                (
                    run["id"],
                    "EX-01",
                    None,
                    f"EX-01 / ext4 / /srv/f{n}",
                    "plugin",
                    "scene",
                    "<script>x</script> boom",
                ),
            )
    model = build_model(case, report_id="R-lim", generated_at="2026-01-01T00:00:00Z")
    lim = model["limitations"]
    assert lim["windowed_scans_total"] > 0 and all(w["size"] > 4096 for w in lim["windowed_scans"])
    [run_lim] = lim["runs"]
    assert run_lim["error_count"] == 205 and len(run_lim["errors"]) == 200
    assert run_lim["parameters"]["max_scan_bytes"] == 4096 and run_lim["parameters"]["plugins"] == ["scene"]
    html = render_html(model)
    assert "5 more errors are recorded in the case store" in html
    assert "&lt;script&gt;x&lt;/script&gt; boom" in html and "<script>x" not in html
    assert f"{lim['windowed_scans_total']:,} files were larger than the scan limit" in html

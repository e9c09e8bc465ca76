"""One processed case with hostile evidence and one full report bundle, shared by the report tests.

The case is built, processed and rendered once per test run, under a file lock so that xdist
workers share it (``xdist_group`` alone does not keep them together with pytest 9.2: the
test modules still carry the mark). Tests that render or change anything work on copies.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.reports.evidence import ReportEvidence, build_report_evidence
from workbench.cli import main

CASE_NUMBER = "2026-ISOP-042"
TAG_NOTE = "Hostile row <b>kept</b> {{7*7}}"


def run_cli(*args: str | Path, expect: int | None = 0) -> Result:
    """Run the workbench CLI in-process; check the exit code unless ``expect`` is None."""
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    if expect is not None:
        assert result.exit_code == expect, f"exit {result.exit_code}, wanted {expect}:\n{result.output}"
    return result


@dataclass(frozen=True)
class ReportCase:
    """The processed case and what was planted in its evidence."""

    case_dir: Path
    evidence: ReportEvidence
    tagged: tuple[str, ...]  # ids of the tagged artefacts


@dataclass(frozen=True)
class Bundle:
    """A rendered bundle of the shared case."""

    path: Path
    manifest: dict[str, Any]
    model: dict[str, Any]
    output: str


def init_case(case_dir: Path, image: Path) -> None:
    """case init + evidence add (with seizure details)."""
    run_cli(
        "case", "init", case_dir, "--number", CASE_NUMBER, "--title", "Operation <b>Hostile</b>",
        "--examiner", "A. Examiner", "--agency", "Test Agency", "--timezone", "Europe/Lisbon",
    )  # fmt: skip
    run_cli(
        "evidence", "add", case_dir, image, "--exhibit", "EX-01", "--description", "seized panel server",
        "--seized-by", "DC Smith", "--seized-at", "2024-06-02T06:00:00Z", "--seized-from", "Rack 4",
        "--seal", "SEAL-0001",
    )  # fmt: skip


def _build(base: Path) -> dict[str, Any]:
    """Evidence built, taken in, processed with one worker, two artefacts tagged, one bundle rendered."""
    from workbench.store import Case

    evidence = build_report_evidence(base)
    case_dir = base / "case"
    init_case(case_dir, evidence.image)
    out = run_cli("process", case_dir, "--workers", "1").output
    assert " 0 errors" in out, out
    case = Case.open(case_dir)
    hostile = next(
        a for a in case.artefacts(kind="iptv.subscriber") if a.fields.get("username") == evidence.subscriber
    )
    pre = next(case.artefacts(kind="scene.pre"))
    case.close()
    run_cli("tag", case_dir, hostile.id, "--note", TAG_NOTE)
    run_cli("tag", case_dir, pre.id, "--tag", "pre-time")
    output = run_cli("report", case_dir).output
    return {
        "case_dir": str(case_dir),
        "image": str(evidence.image),
        "subscriber": evidence.subscriber,
        "deep_nfo_path": evidence.deep_nfo_path,
        "tagged": [hostile.id, pre.id],
        "report_output": output,
    }


@pytest.fixture(scope="session")
def shared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The shared case and bundle, built once per test run even across xdist workers (file lock).

    Nothing writes to the shared case after it is built: tests that render or tamper use copies.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's base directory, shared by the workers
    base = root / "reports-shared"
    with open(root / "reports-shared.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = base / "state.json"
        if not state.exists():
            shutil.rmtree(base, ignore_errors=True)
            base.mkdir()
            state.write_text(json.dumps(_build(base)))
        return dict(json.loads(state.read_text()))


@pytest.fixture(scope="session")
def report_case(shared: dict[str, Any]) -> ReportCase:
    """The processed case (with its bundle in CASE/reports) and what was planted in its evidence."""
    evidence = ReportEvidence(Path(shared["image"]), shared["subscriber"], shared["deep_nfo_path"])
    return ReportCase(Path(shared["case_dir"]), evidence, tuple(shared["tagged"]))


@pytest.fixture(scope="session")
def bundle(report_case: ReportCase, shared: dict[str, Any]) -> Bundle:
    """Every format, rendered once with `workbench report` into CASE/reports/REPORT_ID."""
    [path] = list((report_case.case_dir / "reports").iterdir())
    manifest = json.loads((path / "manifest.json").read_text())
    model = json.loads((path / "report.json").read_text())
    return Bundle(path, manifest, model, shared["report_output"])

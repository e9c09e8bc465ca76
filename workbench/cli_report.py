"""``workbench report`` (write a report bundle) and ``workbench verify`` (check one)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def register(main: click.Group) -> None:
    """Add the ``report`` and ``verify`` commands to the CLI."""

    @main.command("report")
    @click.argument("case_dir", type=click.Path(path_type=Path))
    @click.option(
        "--out",
        type=click.Path(path_type=Path),
        default=None,
        help="Bundle directory to create (default: CASE_DIR/reports/REPORT_ID).",
    )
    @click.option(
        "--format",
        "formats",
        default="html,pdf,json,csv,case,timeline",
        show_default=True,
        help="Comma-separated formats: html, pdf, json, csv, case (CASE/UCO), timeline (or 'all').",
    )
    @click.option("--tagged-only", is_flag=True, help="Only tagged artefacts in findings and exports.")
    @click.option(
        "--reverify", is_flag=True, help="Re-hash every evidence item first (logged) and report it."
    )
    @click.pass_context
    def report_cmd(
        ctx: click.Context, case_dir: Path, out: Path | None, formats: str, tagged_only: bool, reverify: bool
    ) -> None:
        """Write a court-facing report bundle with a manifest whose hash goes into the custody log."""
        from workbench.cli import fail, open_case
        from workbench.reports.bundle import ReportError, parse_formats, write_bundle

        try:
            wanted = parse_formats(formats)
            case = open_case(ctx, case_dir)
            result = write_bundle(
                case,
                out,
                formats=wanted,
                tagged_only=tagged_only,
                reverify=reverify,
                progress=lambda what: click.echo(f"  {what} …", err=True) if sys.stderr.isatty() else None,
            )
        except ReportError as exc:
            fail(str(exc))
        for outcome in result.verifications:
            verdict = "OK" if outcome["ok"] else "MISMATCH"
            click.echo(f"{outcome['exhibit']}: re-verified {verdict} ({outcome['detail']})")
        click.echo(f"report {result.report_id} written to {result.path}")
        for f in result.files:
            click.echo(f"  {f['sha256']}  {f['path']}")
        click.echo(f"manifest.json sha256 {result.manifest_sha256} (custody event {result.custody_seq})")

    @main.command("verify")
    @click.argument("bundle_dir", type=click.Path(path_type=Path))
    @click.option(
        "--case",
        "case_dir",
        type=click.Path(path_type=Path),
        default=None,
        help="Case the report was rendered from (default: the case the bundle sits in, if any).",
    )
    @click.option(
        "--evidence", is_flag=True, help="Also re-hash every evidence item against its intake hashes."
    )
    def verify_cmd(bundle_dir: Path, case_dir: Path | None, evidence: bool) -> None:
        """Check a report bundle: files, manifest, custody log, and optionally the evidence."""
        from workbench.cli import fail
        from workbench.reports.verify import VerifyError, verify_bundle

        try:
            checks = verify_bundle(bundle_dir, case_dir, evidence=evidence)
        except VerifyError as exc:
            fail(str(exc))
        for check in checks:
            click.echo(check.line())
        failed = [c for c in checks if c.failed]
        click.echo(
            f"verdict: {'FAILED (' + str(len(failed)) + ' checks)' if failed else 'all checks passed'}"
        )
        if failed:
            sys.exit(1)

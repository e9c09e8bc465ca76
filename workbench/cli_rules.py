"""``workbench rules``: scaffold, lint, test and profile YARA rule packs (mounted by the main CLI)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click

import workbench.rules
from workbench import rulepacks
from workbench.yara_engine import ENGINES, RuleError, display_path

EXIT_ERROR = 2
BUILTIN_RULES = Path(workbench.rules.__file__).resolve().parent


def _fail(message: str) -> None:
    """Print one error line and exit with status 2."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(EXIT_ERROR)


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned text table."""
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths).rstrip())
    return "\n".join(lines)


@click.group("rules")
def rules() -> None:
    """Write, lint, test and profile YARA rule packs."""


@rules.command("new")
@click.argument("pack_dir", type=click.Path(path_type=Path))
@click.option("--author", default="isop-workbench", show_default=True, help="Value of the author meta.")
def new_command(pack_dir: Path, author: str) -> None:
    """Scaffold a rule pack in PACK_DIR: an example rule, samples and a README."""
    try:
        created = rulepacks.new_pack(pack_dir, author=author)
    except OSError as exc:
        _fail(str(exc))
        return
    for path in created:
        click.echo(f"created {display_path(path)}")


@rules.command("lint")
@click.argument("pack_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--also",
    "also",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Other packs in use, checked for duplicate rule names only (repeatable).",
)
@click.option(
    "--builtin/--no-builtin",
    default=True,
    show_default=True,
    help="Also check rule names against the built-in packs.",
)
def lint_command(
    pack_dirs: tuple[Path, ...], strict: bool, output_format: str, also: tuple[Path, ...], builtin: bool
) -> None:
    """Check packs under both engines: compilation, meta, duplicates, never-matching and slow rules.

    Exit 0 when clean, 1 on warnings with --strict, 2 on errors."""
    in_use = [*also, *([BUILTIN_RULES] if builtin and BUILTIN_RULES.is_dir() else [])]
    report = rulepacks.lint(pack_dirs, strict=strict, also=in_use)
    if output_format == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    else:
        for finding in report.findings:
            click.echo(str(finding))
        click.echo(
            f"{len(report.errors)} error(s), {len(report.warnings)} warning(s) in "
            f"{len(report.packs)} pack(s), {report.rules_checked} rule(s)"
        )
    raise SystemExit(report.exit_code)


@rules.command("test")
@click.argument("pack_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--junit", "junit_path", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML here."
)
def test_command(pack_dirs: tuple[Path, ...], junit_path: Path | None) -> None:
    """Scan each pack's samples: positives must hit the rules they name, negatives nothing.

    Exit 0 when all pass, 1 on a failed sample or rule, 2 when a pack cannot be read or compiled."""
    report = rulepacks.test(pack_dirs)
    rows = [
        (r.pack, r.rule, f"{r.positives_hit}/{r.positives}", r.negatives_hit, r.status)
        for r in report.rule_rows()
    ]
    if rows:
        click.echo(_table(("pack", "rule", "positives hit", "negatives hit", "result"), rows))
    for failure in report.failures:
        click.echo(f"FAIL {failure}")
    samples = sum(len(p.samples) for p in report.packs)
    failed = sum(1 for p in report.packs for s in p.samples if not s.passed)
    click.echo(f"{samples - failed}/{samples} sample(s) passed; {'PASS' if report.passed else 'FAIL'}")
    if junit_path is not None:
        try:
            report.write_junit(junit_path)
        except OSError as exc:
            _fail(f"{junit_path}: cannot write JUnit XML: {exc.strerror or exc}")
    raise SystemExit(report.exit_code)


@rules.command("profile")
@click.argument("pack_dir", type=click.Path(path_type=Path))
@click.option("--corpus", required=True, type=click.Path(path_type=Path), help="Directory of files to scan.")
@click.option("--top", default=20, show_default=True, type=click.IntRange(min=1), help="Rules to show.")
@click.option("--engine", type=click.Choice(ENGINES), default="auto", show_default=True)
@click.option(
    "--timeout", default=60, show_default=True, type=click.IntRange(min=1), help="Seconds per scan."
)
def profile_command(pack_dir: Path, corpus: Path, top: int, engine: str, timeout: int) -> None:
    """Time every rule of PACK_DIR (compiled on its own) and the pack as a whole over a corpus."""
    if not corpus.is_dir():
        _fail(f"{corpus}: corpus is not a directory")
    try:
        report = rulepacks.profile([pack_dir], corpus, engine=engine, timeout=timeout)
    except (RuleError, OSError) as exc:
        _fail(str(exc))
        return
    rows = [
        (p.rule, p.pack, f"{p.seconds * 1000:.1f}", p.hits, p.timeouts or "", "private" if p.private else "")
        for p in report.top(top)
    ]
    click.echo(f"{report.files} file(s), {report.bytes} bytes")
    if rows:
        click.echo(_table(("rule", "pack", "ms alone", "files hit", "timeouts", ""), rows))
    for pack, seconds in report.pack_seconds.items():
        click.echo(f"pack {pack} ({report.pack_engines[pack]}) as a whole: {seconds * 1000:.1f} ms")
    for warning in (*report.warnings, *report.unreadable):
        click.echo(f"warning: {warning}", err=True)

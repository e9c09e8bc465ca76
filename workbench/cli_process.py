"""``workbench process``: the processing run from the command line."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
from tqdm import tqdm

SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """'64M', '1G', '512k' or plain bytes."""
    m = SIZE.match(text)
    if not m:
        raise click.BadParameter(f"{text!r} is not a size such as 64M or 1G")
    return int(m.group(1)) * 1024 ** " kmgt".index((m.group(2) or " ").lower())


def _count_files(case: object, exhibits: tuple[str, ...], include_deleted: bool) -> tuple[int, int]:
    """Files and bytes to process, for the progress bar's ETA (only worth it on a terminal)."""
    from workbench.intake import evidence_ref
    from workbench.sources import Source

    files = size = 0
    for item in case.evidence():  # type: ignore[attr-defined]
        if exhibits and item["exhibit"] not in exhibits:
            continue
        with Source(evidence_ref(item)) as source:
            for entry in source.walk(include_deleted=include_deleted):
                if entry.type == "file":
                    files += 1
                    size += entry.size
    return files, size


def register(main: click.Group) -> None:
    """Add the ``process`` command to the CLI."""

    @main.command("process")
    @click.argument("case_dir", type=click.Path(path_type=Path))
    @click.option("--exhibit", "exhibits", multiple=True, help="Only these exhibits (repeatable).")
    @click.option(
        "--rules",
        "rules",
        multiple=True,
        type=click.Path(path_type=Path),
        help="Rule pack folder or .yar file (repeatable; default: the shipped packs).",
    )
    @click.option("--no-rules", is_flag=True, help="Do not scan with YARA.")
    @click.option(
        "--engine", type=click.Choice(["auto", "yara-x", "yara"]), default="auto", show_default=True
    )
    @click.option("--plugins", default=None, help="Comma-separated plugin names (default: all).")
    @click.option("--workers", type=int, default=0, help="Local worker processes (default: one per core).")
    @click.option("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://HOST:8786.")
    @click.option("--include-deleted/--no-deleted", default=True, show_default=True)
    @click.option(
        "--max-scan-bytes",
        default="64M",
        show_default=True,
        help="Files larger than this are YARA-scanned in overlapping windows.",
    )
    @click.option(
        "--yara-timeout", type=int, default=60, show_default=True, help="Seconds per file and window."
    )
    @click.option(
        "--magic",
        "magic_detail",
        type=click.Choice(["full", "mime"]),
        default="full",
        show_default=True,
        help="libmagic detail: MIME type and description, or the MIME type only (about twice as fast).",
    )
    @click.option(
        "--batch-files",
        type=click.IntRange(1, 100_000),
        default=400,
        show_default=True,
        help="Files per batch (the unit of checkpointing and of work sent to a worker).",
    )
    @click.pass_context
    def process_cmd(
        ctx: click.Context,
        case_dir: Path,
        exhibits: tuple[str, ...],
        rules: tuple[Path, ...],
        no_rules: bool,
        engine: str,
        plugins: str | None,
        workers: int,
        scheduler: str | None,
        include_deleted: bool,
        max_scan_bytes: str,
        yara_timeout: int,
        batch_files: int,
        magic_detail: str,
    ) -> None:
        """Hash, type, YARA-scan every file and run the plugins; resumes an interrupted run."""
        from workbench.cli import open_case
        from workbench.pipeline import ProcessOptions, run_process

        case = open_case(ctx, case_dir)
        for rule_path in rules:
            if not rule_path.exists():
                raise click.BadParameter(f"{rule_path}: no such rule pack", param_hint="--rules")
        options = ProcessOptions(
            exhibits=exhibits,
            rules=tuple(str(p.resolve()) for p in rules),
            engine=engine,
            plugins=tuple(p.strip() for p in plugins.split(",") if p.strip()) if plugins else None,
            workers=workers,
            scheduler=scheduler,
            include_deleted=include_deleted,
            max_scan_bytes=parse_size(max_scan_bytes),
            yara_timeout=yara_timeout,
            use_rules=not no_rules,
            batch_files=batch_files,
            describe=magic_detail == "full",
        )
        total_files = total_bytes = None
        if sys.stderr.isatty():
            total_files, total_bytes = _count_files(case, exhibits, include_deleted)
        bar = tqdm(
            total=total_files,
            unit="files",
            desc="processing",
            file=sys.stderr,
            disable=None,
            dynamic_ncols=True,
        )
        seen = {"bytes": 0}

        def progress(files: int, read: int) -> None:
            seen["bytes"] += read
            rate = bar.format_dict.get("elapsed") or 0
            mbs = seen["bytes"] / 1e6 / rate if rate else 0.0
            bar.set_postfix_str(
                f"{mbs:.1f} MB/s" + (f" of {total_bytes / 1e6:.0f} MB" if total_bytes else "")
            )
            bar.update(files)

        try:
            summary = run_process(case, options, progress)
        finally:
            bar.close()
        s = summary.as_dict()
        click.echo(
            f"run {s['run_id']}{' (resumed)' if s['resumed'] else ''}: {s['files']} files, "
            f"{s['bytes'] / 1e6:.1f} MB, {s['hits']} YARA hits, {sum(s['artefacts'].values())} artefacts, "
            f"{s['errors']} errors, {s['wall_seconds']:.1f} s"
        )
        for kind, count in s["artefacts"].items():
            click.echo(f"  {kind:<28} {count:>9}")
        if s["types_reused"]:
            click.echo(
                f"  {s['types_reused']} file types reused from an earlier run (same SHA-256, same libmagic)"
            )
        for problem in s["problems"]:
            click.echo(f"  problem: {problem}")
        if s["errors"]:
            click.echo(f"  {s['errors']} error(s) recorded: see the report's limitations section", err=True)

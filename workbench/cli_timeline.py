"""``workbench timeline``: the case timeline as a table, Timesketch JSONL or CSV."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from workbench.hashing import sha256_file

if TYPE_CHECKING:
    from workbench.timeline import TimelineEvent

TABLE_MESSAGE_CHARS = 400
CSV_COLUMNS = (
    "datetime",
    "timestamp_desc",
    "kind",
    "exhibit",
    "source",
    "line",
    "inode",
    "message",
    "artefact_id",
    "file_id",
    "extra",
)


def write_table(events: Iterable[TimelineEvent], out: TextIO) -> int:
    """Aligned, terminal-safe lines: time, kind, what happened, exhibit, where, the text."""
    from workbench.render_values import terminal_safe

    count = 0
    out.write(f"{'datetime (UTC)':<27} {'kind':<20} {'description':<28} {'exhibit':<7} source | message\n")
    for event in events:
        where = event.source or "-"
        if event.line is not None:
            where += f":{event.line}"
        message = event.message
        if len(message) > TABLE_MESSAGE_CHARS:
            message = message[: TABLE_MESSAGE_CHARS - 1] + "…"
        out.write(
            f"{event.datetime:<27} {event.kind:<20} {terminal_safe(event.timestamp_desc):<28} "
            f"{terminal_safe(event.exhibit or '-'):<7} {terminal_safe(where)} | {terminal_safe(message)}\n"
        )
        count += 1
    return count


def write_jsonl(events: Iterable[TimelineEvent], out: TextIO) -> int:
    """One Timesketch JSON object per line (ASCII-escaped: safe to print, lossless)."""
    count = 0
    for event in events:
        out.write(json.dumps(event.to_timesketch(), ensure_ascii=True) + "\n")
        count += 1
    return count


def write_csv(events: Iterable[TimelineEvent], out: TextIO) -> int:
    """CSV with every cell neutralised against formula injection; extra fields as one JSON cell."""
    from workbench.render_values import csv_safe

    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for event in events:
        writer.writerow(
            [
                csv_safe(v)
                for v in (
                    event.datetime,
                    event.timestamp_desc,
                    event.kind,
                    event.exhibit,
                    event.source,
                    event.line,
                    event.inode,
                    event.message,
                    event.artefact_id,
                    event.file_id,
                    json.dumps(event.extra, ensure_ascii=False, sort_keys=True),
                )
            ]
        )
        count += 1
    return count


WRITERS = {"table": write_table, "jsonl": write_jsonl, "csv": write_csv}


def register(main: click.Group) -> None:
    """Add the ``timeline`` command to the CLI."""

    @main.command("timeline")
    @click.argument("case_dir", type=click.Path(path_type=Path))
    @click.option("--from", "start", default=None, help="From this UTC time or date (inclusive, ISO 8601).")
    @click.option(
        "--to", "end", default=None, help="Up to this time (inclusive; a bare date: the whole day)."
    )
    @click.option(
        "--kind", "kinds", multiple=True, help="Only this artefact kind (repeatable; 'file' = file times)."
    )
    @click.option("--exhibit", default=None, help="Only this evidence item.")
    @click.option("--include-files", is_flag=True, help="Add file MACB times from the file listing.")
    @click.option("--format", "fmt", type=click.Choice(list(WRITERS)), default="table", show_default=True)
    @click.option(
        "--out", type=click.Path(path_type=Path), default=None, help="Write to this file (a custody event)."
    )
    @click.pass_context
    def timeline_cmd(
        ctx: click.Context,
        case_dir: Path,
        start: str | None,
        end: str | None,
        kinds: tuple[str, ...],
        exhibit: str | None,
        include_files: bool,
        fmt: str,
        out: Path | None,
    ) -> None:
        """One time-ordered view over log events, dated artefacts and (optionally) file times."""
        from workbench.cli import fail, open_case
        from workbench.timeline import TimelineError, iter_timeline

        case = open_case(ctx, case_dir)
        try:
            events = iter_timeline(
                case, start=start, end=end, kinds=kinds or None, exhibit=exhibit, include_files=include_files
            )
            write = WRITERS[fmt]
            if out is None:
                write(events, sys.stdout)
                return
            if out.exists() and out.is_dir():
                fail(f"--out {out}: is a directory")
            tmp = out.with_name(f".{out.name}.tmp")
            try:
                with open(tmp, "w", encoding="utf-8", newline="") as fh:
                    count = write(events, fh)
                os.replace(tmp, out)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        except TimelineError as exc:
            fail(str(exc))
        case.log(
            "export",
            {
                "what": "timeline",
                "format": fmt,
                "out": str(out),
                "events": count,
                "sha256": sha256_file(out),
                "filters": {
                    "from": start,
                    "to": end,
                    "kinds": list(kinds),
                    "exhibit": exhibit,
                    "include_files": include_files,
                },
            },
        )
        click.echo(f"{count} events written to {out}", err=True)

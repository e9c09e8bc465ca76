"""The ``workbench`` command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, NoReturn

import click
from tqdm import tqdm

from workbench import __version__
from workbench.versions import library_versions

EXIT_ERROR = 2


def fail(message: str) -> NoReturn:
    """Print one clear line and exit non-zero."""
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def known_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that carry a one-line message for the user (anything else is a bug: traceback)."""
    from workbench.intake import IntakeError
    from workbench.parsers.errors import ParseError
    from workbench.registry import RegistryError
    from workbench.sources import SourceError
    from workbench.store import CaseError

    errors: list[type[BaseException]] = [CaseError, IntakeError, SourceError, RegistryError, ParseError]
    try:
        from workbench.yara_engine import RuleError

        errors.append(RuleError)
    except ImportError:  # the YARA layer is optional for commands that do not scan
        pass
    from workbench.pipeline import PipelineError

    errors.append(PipelineError)
    return tuple(errors)


class WorkbenchGroup(click.Group):
    """A click group that turns known errors into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except known_errors() as exc:
            fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """--version: the tool and the forensic libraries it runs on."""
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"workbench {__version__}")
    for name, version in library_versions().items():
        click.echo(f"  {name:<10} {version}")
    ctx.exit()


@click.group(cls=WorkbenchGroup)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=print_version,
    help="Show the tool version and the library versions it runs on.",
)
@click.option(
    "--examiner",
    envvar="WORKBENCH_EXAMINER",
    default=None,
    help="Examiner recorded in custody events (default: the case's examiner).",
)
@click.pass_context
def main(ctx: click.Context, examiner: str | None) -> None:
    """isop-workbench: forensic workbench for online-piracy investigations."""
    ctx.obj = {"examiner": examiner}


def open_case(ctx: click.Context, case_dir: Path) -> Any:
    """Open a case with the examiner chosen on the command line."""
    from workbench.store import Case

    return Case.open(case_dir, examiner=ctx.obj.get("examiner"))


@contextmanager
def progress_bar(total: int | None, desc: str, unit: str = "B") -> Iterator[Callable[[int], None]]:
    """A tqdm bar on stderr (MB/s and ETA for bytes); silent when stderr is not a terminal."""
    bar = tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=True,
        unit_divisor=1024 if unit == "B" else 1000,
        file=sys.stderr,
        disable=None,
        leave=False,
    )
    try:
        yield bar.update
    finally:
        bar.close()


# ----- case ------------------------------------------------------------------------------------


@main.group()
def case() -> None:
    """Create and show cases."""


@case.command("init")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option("--number", required=True, help="Case number.")
@click.option("--title", required=True, help="Case title.")
@click.option("--examiner", "case_examiner", required=True, help="Lead examiner.")
@click.option("--agency", default="", help="Agency.")
@click.option(
    "--timezone", default="UTC", show_default=True, help="Time zone used for display (storage is UTC)."
)
def case_init(
    case_dir: Path, number: str, title: str, case_examiner: str, agency: str, timezone: str
) -> None:
    """Create a case directory."""
    from workbench.store import Case

    created = Case.create(
        case_dir,
        number=number,
        title=title,
        examiner=case_examiner,
        agency=agency,
        timezone=timezone,
        tool_versions=library_versions(),
    )
    click.echo(f"case {created.info.number} created in {case_dir}")


@case.command("show")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.pass_context
def case_show(ctx: click.Context, case_dir: Path) -> None:
    """Show a case's details, evidence and counts."""
    c = open_case(ctx, case_dir)
    i = c.info
    for label, value in (
        ("Case number", i.number),
        ("Title", i.title),
        ("Agency", i.agency),
        ("Examiner", i.examiner),
        ("Time zone", i.timezone),
        ("Created", i.created_at),
    ):
        click.echo(f"{label:<13} {value}")
    items = c.evidence()
    click.echo(f"Evidence      {len(items)} item(s): " + ", ".join(e["exhibit"] for e in items))
    files = c.conn.execute("SELECT count(*) FROM files").fetchone()[0]
    click.echo(f"Files         {files}")
    click.echo(f"Artefacts     {sum(c.artefact_counts().values())}")
    click.echo(f"Custody       {len(c.custody_events())} events")


# ----- evidence --------------------------------------------------------------------------------


@main.group()
def evidence() -> None:
    """Add, list, verify and browse evidence items."""


@evidence.command("add")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--exhibit", required=True, help="Exhibit id, e.g. EX-01.")
@click.option("--description", required=True, help="What the item is.")
@click.option("--seized-by", default=None)
@click.option("--seized-at", default=None, help="UTC ISO 8601 time of seizure.")
@click.option("--seized-from", default=None)
@click.option("--seal", default=None, help="Seal or bag number.")
@click.option("--expected-md5", default=None)
@click.option("--expected-sha1", default=None)
@click.option("--expected-sha256", default=None)
@click.option("--password", default=None, help="Password for an encrypted volume in the item.")
@click.option("--recovery-key", default=None, help="Recovery key for an encrypted volume in the item.")
@click.pass_context
def evidence_add(
    ctx: click.Context,
    case_dir: Path,
    path: Path,
    exhibit: str,
    description: str,
    seized_by: str | None,
    seized_at: str | None,
    seized_from: str | None,
    seal: str | None,
    expected_md5: str | None,
    expected_sha1: str | None,
    expected_sha256: str | None,
    password: str | None,
    recovery_key: str | None,
) -> None:
    """Add an evidence item: detect its format, hash its media, compare with stored/expected hashes."""
    from workbench.artefacts import iso_utc
    from workbench.intake import IntakeError, SeizureDetails, add_evidence

    c = open_case(ctx, case_dir)
    if seized_at:
        try:
            seized_at = iso_utc(seized_at)
        except ValueError:
            raise IntakeError(f"--seized-at {seized_at!r}: not an ISO 8601 time") from None
    seizure = SeizureDetails(seized_by, seized_at, seized_from, seal)
    expected = {"md5": expected_md5, "sha1": expected_sha1, "sha256": expected_sha256}
    with progress_bar(None, f"hashing {exhibit}") as update:
        result = add_evidence(
            c,
            path,
            exhibit=exhibit,
            description=description,
            seizure=seizure,
            expected={k: v for k, v in expected.items() if v},
            password=password,
            recovery_key=recovery_key,
            progress=update,
        )
    click.echo(
        f"{exhibit}: {result.info.format}, {len(result.info.paths)} file(s), "
        f"{result.info.media_size if result.info.media_size is not None else '-'} bytes"
    )
    for algo in ("md5", "sha1", "sha256"):
        click.echo(f"  {algo:<6} {result.hashes[algo]}")
    for check in result.checks:
        verdict = "match" if check["ok"] else "MISMATCH"
        line = f"  {check['algorithm']} {check['against']}: {verdict}"
        click.echo(
            line if check["ok"] else click.style(f"WARNING: {line.strip()}", fg="red"), err=not check["ok"]
        )


@evidence.command("list")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.pass_context
def evidence_list(ctx: click.Context, case_dir: Path) -> None:
    """List evidence items with intake hashes and verification state."""
    c = open_case(ctx, case_dir)
    for item in c.evidence():
        intake = item["intake_result"]
        state = "hashes match" if intake["ok"] else "HASH MISMATCH at intake"
        if not intake["checks"]:
            state = "no stored or expected hash to compare"
        last = c.verifications(item["exhibit"])
        if last:
            state += f"; last verify {last[-1]['time']}: {last[-1]['result']}"
        click.echo(f"{item['exhibit']}  {item['format']:<9} {item['size'] or 0:>14}  {item['description']}")
        click.echo(f"    sha256 {item['sha256']}  [{state}]")


@evidence.command("verify")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.argument("exhibit", required=False)
@click.pass_context
def evidence_verify(ctx: click.Context, case_dir: Path, exhibit: str | None) -> None:
    """Re-hash evidence and compare with intake; non-zero exit on any mismatch."""
    from workbench.intake import verify_evidence

    c = open_case(ctx, case_dir)
    exhibits = [exhibit] if exhibit else [e["exhibit"] for e in c.evidence()]
    bad = 0
    for ex in exhibits:
        with progress_bar(None, f"verifying {ex}") as update:
            outcome = verify_evidence(c, ex, update)
        click.echo(f"{ex}: {'OK' if outcome['ok'] else 'MISMATCH'} ({outcome['detail']})")
        bad += not outcome["ok"]
    if bad:
        sys.exit(1)


def open_source(c: Any, exhibit: str) -> Any:
    """A Source over one evidence item of the case."""
    from workbench.intake import evidence_ref
    from workbench.sources import Source

    return Source(evidence_ref(c.evidence_item(exhibit)))


@evidence.command("ls")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.argument("exhibit")
@click.option("--deleted", is_flag=True, help="Only deleted entries.")
@click.option("--long", "long_", is_flag=True, help="Inode, size, times and state too.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def evidence_ls(
    ctx: click.Context, case_dir: Path, exhibit: str, deleted: bool, long_: bool, as_json: bool
) -> None:
    """List every file of an item with its location chain."""
    c = open_case(ctx, case_dir)
    with open_source(c, exhibit) as source:
        for entry in source.walk(include_deleted=True):
            if deleted and entry.allocated:
                continue
            if as_json:
                click.echo(json.dumps({**_entry_dict(entry), "location": entry.location}, ensure_ascii=True))
            elif long_:
                state = "alloc" if entry.allocated else "DELETED"
                click.echo(
                    f"{entry.inode or '-':>10} {entry.type:<7} {entry.size:>12} {entry.mtime or '-':<31} "
                    f"{state:<7} {entry.location}"
                )
            else:
                click.echo(entry.location + ("" if entry.allocated else "  (deleted)"))
        for problem in source.problems:
            click.echo(f"problem: {' / '.join(problem.layers)}: {problem.reason}", err=True)


def _entry_dict(entry: Any) -> dict[str, Any]:
    return dict(entry._asdict())


@evidence.command("cat")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.argument("exhibit")
@click.argument("location")
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="Write to this file instead of stdout."
)
@click.pass_context
def evidence_cat(ctx: click.Context, case_dir: Path, exhibit: str, location: str, out: Path | None) -> None:
    """Stream one file's bytes."""
    c = open_case(ctx, case_dir)
    with open_source(c, exhibit) as source:
        entry = source.lookup(location)
        stream = source.open(entry.address)
        limit = source.readable_limit(entry)  # a hostile listed size: stop at the evidence's size
        written = 0
        with open(out, "wb") if out else nullcontext(sys.stdout.buffer) as sink:
            while chunk := stream.read(1 << 20 if limit is None else min(1 << 20, limit - written)):
                sink.write(chunk)
                written += len(chunk)
    if limit is not None:
        click.echo(
            f"warning: {entry.location}: listed size {entry.size} exceeds the evidence's {limit} bytes"
            f" (sparse or damaged size); wrote the first {written} bytes",
            err=True,
        )
    if out:
        details = {"exhibit": exhibit, "location": entry.location, "out": str(out), "bytes": written}
        c.log("export", details if limit is None else {**details, "truncated_at_evidence_size": limit})


@evidence.command("info")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.argument("exhibit")
@click.pass_context
def evidence_info(ctx: click.Context, case_dir: Path, exhibit: str) -> None:
    """Show the layer tree: containers, partition tables, volumes, file systems."""
    c = open_case(ctx, case_dir)
    with open_source(c, exhibit) as source:
        _print_layer(source.layers(), 0)
        for problem in source.problems:
            click.echo(f"problem: {' / '.join(problem.layers)}: {problem.reason}")


def _print_layer(node: Any, depth: int) -> None:
    extra = ", ".join(f"{k}={v}" for k, v in sorted(node.details.items()))
    shown_in_label = node.label.endswith(f"@ {node.offset}")  # partitions are named with their offset
    where = f" @ {node.offset}" if node.offset is not None and not shown_in_label else ""
    size = f" ({node.size} bytes)" if node.size is not None else ""
    click.echo(f"{'  ' * depth}{node.kind}: {node.label}{where}{size}" + (f"  [{extra}]" if extra else ""))
    for child in node.children:
        _print_layer(child, depth + 1)


# ----- custody ---------------------------------------------------------------------------------


@main.group("custody")
def custody_group() -> None:
    """Show and verify the custody log."""


@custody_group.command("show")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="JSONL, as in custody.jsonl.")
@click.pass_context
def custody_show(ctx: click.Context, case_dir: Path, as_json: bool) -> None:
    """Print the custody log."""
    from workbench.custody import canonical_json

    c = open_case(ctx, case_dir)
    for e in c.custody_events():
        if as_json:
            click.echo(canonical_json(e.as_dict()))
        else:
            click.echo(f"{e.seq:>5} {e.time} {e.examiner:<16} {e.action:<22} {e.hash[:16]}")


@custody_group.command("verify")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.pass_context
def custody_verify(ctx: click.Context, case_dir: Path) -> None:
    """Recompute the hash chain in both copies; non-zero exit and the first bad sequence if broken."""
    c = open_case(ctx, case_dir)
    checks = c.verify_custody()
    for check in checks:
        click.echo(check.line())
    if not all(check.ok for check in checks):
        sys.exit(1)


# ----- plugins and artefacts -------------------------------------------------------------------


@main.group()
def plugins() -> None:
    """Inspect the installed plugins."""


@plugins.command("list")
def plugins_list() -> None:
    """Each plugin's name, version, triggers and kinds (from entry points)."""
    from workbench.registry import load_registry

    reg = load_registry()
    for p in reg.plugins:
        click.echo(f"{p.name} {p.version}  ({reg.sources[p.name]})")
        if p.description:
            click.echo(f"    {p.description}")
        for label, values in (
            ("globs", p.globs),
            ("mime", p.mime_types),
            ("yara rules", p.yara_rules),
            ("yara tags", p.yara_tags),
        ):
            if values:
                click.echo(f"    {label}: {', '.join(values)}")
        click.echo(f"    kinds: {', '.join(k.name for k in p.kinds) or '-'}")


@main.command("artefacts")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option("--kind", default=None, help="Only this kind.")
@click.option("--exhibit", default=None, help="Only this exhibit.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl", "csv"]), default="table")
@click.option("--show-secrets", is_flag=True, help="Print secrets in full (they are masked by default).")
@click.pass_context
def artefacts_cmd(
    ctx: click.Context, case_dir: Path, kind: str | None, exhibit: str | None, fmt: str, show_secrets: bool
) -> None:
    """List artefacts."""
    from workbench.registry import load_registry
    from workbench.render_values import artefact_row, mask_secrets

    c = open_case(ctx, case_dir)
    reg = load_registry()
    rows = (artefact_row(a, reg.kind(a.kind)) for a in c.artefacts(kind=kind, exhibit=exhibit))
    if not show_secrets:
        rows = (mask_secrets(r, reg.kind(r["kind"])) for r in rows)
    if fmt == "jsonl":
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False))
    elif fmt == "json":
        click.echo(json.dumps(list(rows), ensure_ascii=False, indent=1))
    elif fmt == "csv":
        _csv_out(list(rows))
    else:
        for r in rows:
            shown = " ".join(f"{k}={_short(v)}" for k, v in r["fields"].items() if v not in (None, "", []))
            click.echo(f"{r['id'][:12]}  {r['kind']:<22} {shown}")


def _short(value: Any, limit: int = 60) -> str:
    from workbench.render_values import terminal_safe

    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = terminal_safe(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _csv_out(rows: list[dict[str, Any]]) -> None:
    from workbench.reports.csv_export import write_artefact_csv

    columns: list[str] = []
    for r in rows:
        columns += [k for k in r["fields"] if k not in columns]
    write_artefact_csv(sys.stdout, rows, columns)


@main.command("tag")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.argument("artefact_id")
@click.option("--tag", default="notable", show_default=True)
@click.option("--note", default="", help="Examiner's note.")
@click.pass_context
def tag_cmd(ctx: click.Context, case_dir: Path, artefact_id: str, tag: str, note: str) -> None:
    """Tag an artefact (a custody event)."""
    full = open_case(ctx, case_dir).tag(artefact_id, tag, note)
    click.echo(f"tagged {full} {tag}")


@main.command("untag")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.argument("artefact_id")
@click.option("--tag", default="notable", show_default=True)
@click.pass_context
def untag_cmd(ctx: click.Context, case_dir: Path, artefact_id: str, tag: str) -> None:
    """Remove a tag from an artefact (a custody event)."""
    full = open_case(ctx, case_dir).untag(artefact_id, tag)
    click.echo(f"untagged {full} {tag}")


@main.command("summary")
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def summary_cmd(ctx: click.Context, case_dir: Path, as_json: bool) -> None:
    """The case figures computed by the plugins (channels, subscribers, releases, wallets …)."""
    from workbench.figures import case_figures

    figures = case_figures(open_case(ctx, case_dir))
    if as_json:
        click.echo(json.dumps(figures, indent=1, ensure_ascii=False))
        return
    for family, rows in figures.items():
        click.echo(family)
        for row in rows:
            value = row["value"]
            shown = int(value) if float(value).is_integer() else round(value, 2)
            click.echo(f"  {row['name']:<44} {shown:>12} {row['unit']}")


from workbench import cli_demo, cli_process, cli_report  # noqa: E402  (register `demo`, `process`, `report`, `verify`)
from workbench.cli_rules import rules  # noqa: E402
from workbench.cli_timeline import register as register_timeline  # noqa: E402

cli_process.register(main)
cli_report.register(main)
register_timeline(main)
cli_demo.register(main)
main.add_command(rules)


if __name__ == "__main__":
    main()

"""``workbench demo [DIR]``: build the sample piracy case and run the examiner's commands on it.

The demo builds deterministic sample evidence into ``DIR/evidence`` (see ``workbench.samples.demo``),
then runs the same commands an examiner types, in this process and through the same click group,
echoing each one first: ``case init``, ``evidence add`` for each item, ``evidence ls --deleted``,
``process``, ``tag`` for a few notable artefacts, ``report`` and ``summary``. It ends with the paths of
the HTML and PDF report and checks the case figures against the ones the builders wrote down.

``DIR`` must not exist or be empty. ``--force`` replaces a previous demo in ``DIR``: only a directory
that holds the demo's marker file (``.workbench-demo``) is ever removed.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from workbench.samples.demo import DemoItem
    from workbench.store import Case

MARKER = ".workbench-demo"
CASE_OPTIONS = (
    "--number",
    "2026-ISOP-DEMO",
    "--title",
    "Operation Sample Stream (demo)",
    "--examiner",
    "A. Examiner",
    "--agency",
    "Demo Cybercrime Unit",
    "--timezone",
    "Europe/Lisbon",
)


@dataclass(frozen=True)
class Notable:
    """An artefact the demo tags, and the rule that chose it."""

    artefact_id: str
    note: str


def run_step(main: click.Group, args: Sequence[str | Path]) -> None:
    """Echo ``workbench ARGS`` and run it through the CLI group in this process; stop on failure."""
    from workbench.cli import fail

    argv = [str(a) for a in args]
    click.echo(click.style("$ workbench " + shlex.join(argv), bold=True))
    try:
        main.main(args=argv, prog_name="workbench", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        fail(f"demo stopped: `workbench {shlex.join(argv)}` failed")
    except SystemExit as exc:
        if exc.code not in (0, None):
            fail(f"demo stopped: `workbench {shlex.join(argv)}` exited with {exc.code}")
    click.echo()


def prepare_directory(out_dir: Path, force: bool) -> None:
    """Make ``out_dir`` an empty demo directory; with ``force`` remove a previous demo there first."""
    from workbench.cli import fail

    if out_dir.exists() and not out_dir.is_dir():
        fail(f"{out_dir}: exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not force:
            fail(f"{out_dir}: exists and is not empty (use --force to replace a previous demo there)")
        if not (out_dir / MARKER).is_file():
            fail(f"{out_dir}: not written by `workbench demo` (no {MARKER}); not removing it")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).write_text("written by `workbench demo`; `workbench demo --force` may replace it\n")


def notable_artefacts(case: Case) -> list[Notable]:
    """The artefacts the demo tags, each chosen by a rule over the case store:

    - the panel administrator's credential: the ``credential`` of kind panel whose user name is an
      ``iptv.reseller`` in the admin group of the same panel;
    - the reseller holding the most credits (ties: the first user name);
    - the wallet address seen in the most files (ties: the first address), every artefact of it;
    - the last ``mysqldump`` found in a shell history (``log.highlight`` last_mysqldump).
    """
    picks: list[Notable] = []
    sellers = list(case.artefacts(kind="iptv.reseller"))
    admins = {
        (str(a.fields.get("panel")), str(a.fields.get("username")))
        for a in sellers
        if a.fields.get("is_admin")
    }
    for credential in case.artefacts(kind="credential"):
        f = credential.fields
        if f.get("kind") == "panel" and any(
            f.get("service") == f"{panel} panel" and f.get("username") == user for panel, user in admins
        ):
            picks.append(
                Notable(credential.id, f"panel administrator login ({f.get('service')}, {f.get('username')})")
            )
    resellers = [a for a in sellers if a.fields.get("is_reseller") and not a.fields.get("is_admin")]
    if resellers:
        top = min(
            resellers, key=lambda a: (-float(a.fields.get("credits") or 0), str(a.fields.get("username")))
        )
        picks.append(
            Notable(
                top.id,
                f"reseller with the most credits: {top.fields.get('username')} ({top.fields.get('credits')})",
            )
        )
    wallets: dict[str, list[Any]] = {}
    for wallet in case.artefacts(kind="payment.wallet"):
        wallets.setdefault(str(wallet.fields.get("address")), []).append(wallet)
    if wallets:
        address = min(wallets, key=lambda a: (-len({w.file_id for w in wallets[a]}), a))
        files = len({w.file_id for w in wallets[address]})
        for wallet in wallets[address]:
            picks.append(
                Notable(wallet.id, f"{wallet.fields.get('chain')} wallet {address}: seen in {files} files")
            )
    for highlight in case.artefacts(kind="log.highlight"):
        if highlight.fields.get("category") == "last_mysqldump":
            picks.append(Notable(highlight.id, f"panel database dumped: {highlight.fields.get('detail')}"))
    return picks


def _seconds(started: float) -> str:
    return f"{time.monotonic() - started:.1f} s"


def _print_items(items: Iterable[DemoItem]) -> None:
    for item in items:
        names = ", ".join(p.name for p in item.files)
        click.echo(f"  {item.exhibit}  {names}  (media sha256 {item.media_sha256[:16]}…)")


def run_demo(main: click.Group, out_dir: Path, force: bool) -> int:
    """The whole demo; returns the number of case figures that differ from the expected ones."""
    from workbench.cli import fail
    from workbench.figures import case_figures
    from workbench.samples.demo import answer_key, build_demo_evidence, compare_figures, figure_values
    from workbench.samples.images import BuildFailed, ToolMissing
    from workbench.store import Case

    prepare_directory(out_dir, force)
    evidence_dir, case_dir, report_dir = out_dir / "evidence", out_dir / "case", out_dir / "report"

    started = time.monotonic()
    click.echo(f"building the sample evidence in {evidence_dir} …")
    try:
        evidence = build_demo_evidence(evidence_dir)
    except (ToolMissing, BuildFailed) as exc:
        fail(f"cannot build the sample evidence: {exc}")
    key_path = evidence_dir / "answer-key.json"
    key_path.write_text(
        json.dumps(answer_key(evidence), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    _print_items(evidence.items)
    click.echo(f"evidence built in {_seconds(started)}; what it holds: {key_path}")
    click.echo()

    steps_started = time.monotonic()
    run_step(main, ["case", "init", case_dir, *CASE_OPTIONS])
    for item in evidence.items:
        args: list[str | Path] = ["evidence", "add", case_dir, item.path, "--exhibit", item.exhibit]
        args += ["--description", item.description, "--seized-by", item.seized_by]
        args += ["--seized-at", item.seized_at, "--seized-from", item.seized_from, "--seal", item.seal]
        if item.provider_sha256:
            args += ["--expected-sha256", item.provider_sha256]
        run_step(main, args)
    run_step(main, ["evidence", "ls", case_dir, "EX-01", "--deleted", "--long"])
    process_started = time.monotonic()
    run_step(main, ["process", case_dir])
    click.echo(f"processed in {_seconds(process_started)}")

    case = Case.open(case_dir)
    try:
        notable = notable_artefacts(case)
    finally:
        case.close()
    for pick in notable:
        run_step(main, ["tag", case_dir, pick.artefact_id, "--note", pick.note])

    report_started = time.monotonic()
    run_step(main, ["report", case_dir, "--out", report_dir])
    click.echo(f"report written in {_seconds(report_started)}")
    run_step(main, ["summary", case_dir])

    case = Case.open(case_dir)
    try:
        found = figure_values(case_figures(case))
    finally:
        case.close()
    problems = compare_figures(evidence.expected, found)
    checked = sum(len(names) for names in evidence.expected.values())
    for label, path in (
        ("HTML report", report_dir / "report.html"),
        ("PDF report", report_dir / "report.pdf"),
    ):
        click.echo(f"{label:<12} {path}" + ("" if path.is_file() else "  (not written)"))
    click.echo(f"{'case':<12} {case_dir}")
    click.echo(f"{'evidence':<12} {evidence_dir}")
    if problems:
        click.echo(f"{len(problems)} case figure(s) differ from what the builders wrote:", err=True)
        for line in problems:
            click.echo(f"  {line}", err=True)
    else:
        click.echo(f"all {checked} checked case figures equal what the sample builders wrote")
    click.echo(f"demo finished in {_seconds(started)} (commands: {_seconds(steps_started)})")
    click.echo(f"a defence expert would now run: workbench verify {report_dir} --case {case_dir} --evidence")
    return len(problems)


def register(main: click.Group) -> None:
    """Add the ``demo`` command to the CLI."""

    @main.command("demo")
    @click.argument("out_dir", default="demo-out", type=click.Path(path_type=Path))
    @click.option(
        "--force",
        is_flag=True,
        help="Replace a previous demo in DIR (only a directory `workbench demo` wrote is removed).",
    )
    def demo_cmd(out_dir: Path, force: bool) -> None:
        """Build a small sample piracy case and run case init, evidence add, process, tag and report on it.

        Writes DIR/evidence (the seized items and answer-key.json), DIR/case and DIR/report.
        """
        differing = run_demo(main, out_dir, force)
        if differing:
            sys.exit(1)

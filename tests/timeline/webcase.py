"""A processed case over a seized web server (ext4 image) plus hostile logs, shared by the timeline
and export tests: what was put in, and where the case is."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from workbench.cli import main
from workbench.samples.images import make_ext4
from workbench.samples.webserver import WebFigures, build_webserver

# An Apache-style access log written in +0100, with lines an attacker controls: ANSI escapes, a
# carriage return posing as a second log line, a right-to-left override, a formula and a 1 MB agent.
HOSTILE_ACCESS = (
    '198.51.100.9 - - [01/Jun/2024:10:00:00 +0100] "GET /\x1b[2J\x1b[31mHACKED HTTP/1.1" 200 5 "-" '
    '"curl\x1b]0;pwned\x07"',
    '198.51.100.9 - - [01/Jun/2024:10:00:01 +0100] "GET /a\rJun  1 09:00:01 web01 sshd[1]: Accepted '
    'password for root from 6.6.6.6 HTTP/1.1" 200 5 "-" "=HYPERLINK(""http://evil.invalid"")"',
    '198.51.100.9 - - [01/Jun/2024:10:00:02 +0100] "GET /\u202etxt.exe HTTP/1.1" 404 5 "-" "\u202emoz"',
    '198.51.100.9 - - [01/Jun/2024:10:00:03 +0100] "GET /big HTTP/1.1" 200 5 "-" "' + "A" * (1 << 20) + '"',
)
HOSTILE_ACCESS_TIMES = (
    "2024-06-01T09:00:00Z",
    "2024-06-01T09:00:01Z",
    "2024-06-01T09:00:02Z",
    "2024-06-01T09:00:03Z",
)
# A second shell history whose commands start like spreadsheet formulas.
FORMULA_COMMANDS = ('=HYPERLINK("http://evil.invalid","x")', "+1+2", "-3+4", "@SUM(1,2)")
FORMULA_START = datetime(2024, 5, 30, 12, 0, tzinfo=UTC)
# EX-02: a logical directory with a three-line auth log (no year, no zone: taken as UTC).
SECOND_AUTH = (
    "May 25 08:00:00 mail01 sshd[7]: Accepted password for admin from 192.0.2.5 port 50000 ssh2",
    "May 25 08:00:05 mail01 sshd[7]: pam_unix(sshd:session): session opened for user admin(uid=0) by (uid=0)",
    "May 25 09:00:00 mail01 sshd[7]: pam_unix(sshd:session): session closed for user admin",
)


@dataclass(frozen=True)
class WebCase:
    """The processed case and the figures its evidence was built with."""

    case_dir: Path
    figures: WebFigures
    image: Path
    second: Path


def _run(*args: object) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def build_web_case(base: Path, access_lines: int = 2000) -> WebCase:
    """Build the web server tree (+ hostile logs), image it, make a case with EX-01 and EX-02, process."""
    tree = base / "tree"
    figures = build_webserver(tree, access_lines=access_lines)
    access = tree / "var/log/apache2/access_log"
    access.parent.mkdir(parents=True)
    access.write_bytes(("\n".join(HOSTILE_ACCESS) + "\n").encode())
    history = tree / "home/deploy/.bash_history"
    history.parent.mkdir(parents=True, exist_ok=True)
    stamp = int(FORMULA_START.timestamp())
    history.write_text("".join(f"#{stamp + 60 * n}\n{cmd}\n" for n, cmd in enumerate(FORMULA_COMMANDS)))
    mtime = datetime(2024, 6, 1, 22, 0, tzinfo=UTC).timestamp()
    for path in (access, history):
        os.utime(path, (mtime, mtime))
    image = make_ext4(tree, base / "web.ext4", 48)
    second = base / "mail01"
    (second / "var/log").mkdir(parents=True)
    auth = second / "var/log/auth.log"
    auth.write_text("\n".join(SECOND_AUTH) + "\n")
    os.utime(auth, (mtime, mtime))

    case_dir = base / "case"
    _run("case", "init", case_dir, "--number", "T-TL-1", "--title", "timeline", "--examiner", "A. Examiner")
    _run(
        "evidence",
        "add",
        case_dir,
        image,
        "--exhibit",
        "EX-01",
        "--description",
        "web server",
        "--seized-by",
        "PC Example",
        "--seized-at",
        "2024-06-02T06:00:00Z",
        "--seized-from",
        "DC rack 4",
        "--seal",
        "S-0001",
    )
    _run("evidence", "add", case_dir, second, "--exhibit", "EX-02", "--description", "mail server logs")
    _run("process", case_dir, "--workers", "2")
    return WebCase(case_dir, figures, image, second)

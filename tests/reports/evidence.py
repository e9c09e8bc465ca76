"""A small seized server for report tests: an Xtream panel, a topsite, and hostile strings planted
in file names, NFO text and SQL rows (what an attacker who controls the evidence could write)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from workbench.samples.images import make_ext4
from workbench.samples.iptv import build_xtream_panel
from workbench.samples.topsite import build_topsite

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"
ANSI = "\x1b[31mRED\x1b[0m"
RTL = "invoice\u202etxt.exe"
LONG_VALUE = "L" * 10_240  # a 10 kB value in an NFO field and an SQL row
HOSTILE_USER = f"evil{SCRIPT}"
HOSTILE_NOTE = f"{IMG} {TEMPLATE} {ANSI} {RTL} {LONG_VALUE}"
FORMULA = '=HYPERLINK("http://evil.invalid/","open me")'  # a spreadsheet formula in an SQL row
HOSTILE_RELEASE = "Hostile.Release.2024.1080p.WEB.x264-EVILGRP"
# Directory levels of 200 characters each: the NFO's path is over 10 kB long (a name is at most 255 bytes).
DEEP_LEVELS = 52


@dataclass(frozen=True)
class ReportEvidence:
    """The image and what was planted in it."""

    image: Path
    subscriber: str  # user name of the hostile subscriber row
    deep_nfo_path: str  # full path (inside the file system) of the NFO at the end of the deep path


def _plant_sql_row(dump: Path) -> None:
    """Add a subscriber row whose user name and notes are hostile, after the panel's users."""
    text = dump.read_text(encoding="utf-8")
    marker = "INSERT INTO `users` VALUES"
    at = text.index(marker)
    end = text.index(";\n", at) + 2
    row = (
        f"INSERT INTO `users` VALUES (9001,3,'{HOSTILE_USER}','pw{TEMPLATE}',NULL,1,1,'{HOSTILE_NOTE}',"
        f"'{FORMULA}','[1]',1,0,'[]','[]',0,1700000000,3,NULL,0,0,0,0,NULL,NULL,'',0,0,'');\n"
    )
    dump.write_text(text[:end] + row + text[end:], encoding="utf-8")


def _nfo(release: str) -> bytes:
    return (
        f" Release : {release}\n"
        f" Date    : 2024-06-01     Size : 3 x 1 KB\n"
        f" Source  : WEB {SCRIPT} rip\n"
        f" Video   : x264 {IMG} {TEMPLATE} 1080p\n"
        f" Audio   : AAC {ANSI} {RTL} 2.0\n"
        f" IMDb    : https://www.imdb.com/title/tt0000001/\n"
        f" Greets  : FAKEGRP - NOGRP\n"
        f" Contact : evil@mail.invalid\n"
    ).encode()


def _plant_files(root: Path) -> str:
    """Hostile file names, and an NFO at the end of a > 10 kB deep path; returns that NFO's path."""
    upload = root / "srv" / "upload"
    (upload / "<script>alert(1)<").mkdir(parents=True)
    (upload / "<script>alert(1)<" / "script>.nfo").write_bytes(_nfo(HOSTILE_RELEASE))
    for name in (f"{IMG}.nfo", f"{TEMPLATE}.nfo", f"{ANSI}.nfo", f"{RTL}.nfo"):
        (upload / name).write_bytes(_nfo(HOSTILE_RELEASE))
    # The path is longer than PATH_MAX, so walk down with directory file descriptors.
    fd = os.open(upload, os.O_RDONLY | os.O_DIRECTORY)
    parts = []
    try:
        for level in range(DEEP_LEVELS):
            name = f"{level:03d}" + "d" * 197
            os.mkdir(name, dir_fd=fd)
            nxt = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nxt
            parts.append(name)
        out = os.open("deep.nfo", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, _nfo(HOSTILE_RELEASE))
        os.close(out)
    finally:
        os.close(fd)
    return "/srv/upload/" + "/".join(parts) + "/deep.nfo"


def build_report_evidence(base: Path) -> ReportEvidence:
    """Write the tree and turn it into an ext4 image under ``base``."""
    tree = base / "tree"
    panel = build_xtream_panel(tree, subscribers=60, streams=24, resellers=3, servers=1)
    site = tree / "srv" / "site"
    site.mkdir(parents=True)
    build_topsite(tree, site)
    dumps = [tree / f for f in panel.files if f.endswith(".sql")]
    _plant_sql_row(next(d for d in dumps if "INSERT INTO `users` VALUES" in d.read_text(encoding="utf-8")))
    deep = _plant_files(tree)
    image = make_ext4(tree, base / "server.ext4", 32)
    return ReportEvidence(image, HOSTILE_USER, deep)

"""Shared test helpers: run the CLI, make cases, prove evidence is never written."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from workbench.cli import main
from workbench.hashing import sha256_file


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    """Write ``files`` (relative path -> bytes) under ``root``, making folders as needed."""
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def fingerprint(paths: Iterable[Path]) -> dict[str, str]:
    """SHA-256 of every file under the given files/directories (evidence before/after a command)."""
    out: dict[str, str] = {}
    for root in paths:
        if root.is_dir():
            for dirpath, _dirs, files in os.walk(root):
                for name in files:
                    full = Path(dirpath) / name
                    if full.is_file() and not full.is_symlink():
                        out[str(full)] = sha256_file(full)
        elif root.exists():
            out[str(root)] = sha256_file(root)
    return out


RunCli = Callable[..., Result]


@pytest.fixture
def cli() -> RunCli:
    """Run the workbench CLI in-process: cli("case", "init", ...); pass expect=N for the exit code."""

    def run(*args: str | Path, expect: int | None = 0, env: dict[str, str] | None = None) -> Result:
        result = CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)
        if expect is not None:
            assert result.exit_code == expect, f"exit {result.exit_code}, wanted {expect}:\n{result.output}"
        return result

    return run


@pytest.fixture
def new_case(tmp_path: Path, cli: RunCli) -> Path:
    """A freshly initialised case directory."""
    case_dir = tmp_path / "case"
    cli(
        "case",
        "init",
        case_dir,
        "--number",
        "2026-ISOP-001",
        "--title",
        "Operation Test",
        "--examiner",
        "A. Examiner",
        "--agency",
        "Test Agency",
        "--timezone",
        "Europe/Lisbon",
    )
    return case_dir

"""The rule packs the workbench ships pass their own quality gate: strict lint and their samples."""

from __future__ import annotations

from pathlib import Path

import pytest
import workbench.rules

from tests.conftest import RunCli
from workbench import rulepacks

SHIPPED = Path(workbench.rules.__file__).resolve().parent
PACKS = sorted(p for p in SHIPPED.iterdir() if p.is_dir() and not p.name.startswith("__"))


def test_every_family_ships_a_pack() -> None:
    assert {p.name for p in PACKS} >= {"cardsharing", "iptv", "payments", "scene", "torrents", "web"}


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_shipped_pack_is_strict_lint_clean(pack: Path) -> None:
    report = rulepacks.lint([pack], strict=True)
    assert report.exit_code == 0, [str(f) for f in report.findings]


def test_shipped_packs_pass_their_samples(cli: RunCli) -> None:
    result = cli("rules", "test", *PACKS)
    assert "PASS" in result.output

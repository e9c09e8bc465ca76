"""The rule packs the workbench ships pass their own quality gate: strict lint and their samples."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import workbench.rules
import yara
import yara_x

from tests.conftest import RunCli
from workbench import rulepacks
from workbench.registry import load_registry

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


def _samples(polarity: str) -> list[Path]:
    return sorted(p for pack in PACKS for p in (pack / "samples" / polarity).iterdir() if p.is_file())


@cache
def _engines(pack: Path) -> tuple[Any, Any]:
    source = "\n".join(p.read_text() for p in sorted(pack.glob("*.yar")))
    return yara_x.compile(source), yara.compile(source=source)


def _hits(pack: Path, data: bytes) -> tuple[set[str], set[str]]:
    """Rules of ``pack`` that hit ``data`` under YARA-X and under libyara."""
    x_rules, y_rules = _engines(pack)
    return (
        {r.identifier for r in yara_x.Scanner(x_rules).scan(data).matching_rules},
        {m.rule for m in y_rules.match(data=data)},
    )


def _pack_of(sample: Path) -> Path:
    return sample.parents[2]


@pytest.mark.parametrize("sample", _samples("positive"), ids=lambda p: f"{p.parents[2].name}/{p.name}")
def test_positive_sample_hits_its_rule_under_both_engines(sample: Path) -> None:
    rule = sample.name.split("__", 1)[0]
    x_hits, y_hits = _hits(_pack_of(sample), sample.read_bytes())
    assert rule in x_hits and rule in y_hits


@pytest.mark.parametrize("sample", _samples("negative"), ids=lambda p: f"{p.parents[2].name}/{p.name}")
def test_negative_sample_hits_nothing_under_both_engines(sample: Path) -> None:
    assert _hits(_pack_of(sample), sample.read_bytes()) == (set(), set())


def test_every_rule_names_an_artefact_kind_a_plugin_declares() -> None:
    registry = load_registry()
    for pack in PACKS:
        for rule in _engines(pack)[1]:
            meta = dict(rule.meta)
            assert meta["author"] and meta["description"] and meta["version"], rule.identifier
            assert len(str(meta["date"])) == 10, rule.identifier
            assert registry.kind(str(meta["artefact"])) is not None, (rule.identifier, meta["artefact"])

"""The scene and torrents rule packs compile under yara-x and yara-python and hit their samples."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest
import yara
import yara_x

RULES = Path(str(files("workbench.rules")))
PACKS = ("scene", "torrents")
REQUIRED_META = ("author", "description", "date", "version", "artefact")


def pack_source(pack: str) -> str:
    return "\n".join(p.read_text() for p in sorted((RULES / pack).glob("*.yar")))


def rule_names(source: str) -> list[str]:
    return re.findall(r"^rule\s+(\w+)", source, re.MULTILINE)


def yara_x_hits(rules: yara_x.Rules, data: bytes) -> set[str]:
    return {r.identifier for r in yara_x.Scanner(rules).scan(data).matching_rules}


@pytest.mark.parametrize("pack", PACKS)
def test_pack_compiles_and_samples_hit(pack: str) -> None:
    source = pack_source(pack)
    names = rule_names(source)
    assert names
    x_rules = yara_x.compile(source)
    l_rules = yara.compile(source=source)
    positives = sorted((RULES / pack / "samples" / "positive").iterdir())
    negatives = sorted((RULES / pack / "samples" / "negative").iterdir())
    assert negatives
    covered = set()
    for sample in positives:
        rule = sample.name.split("__", 1)[0]
        assert rule in names, sample.name
        data = sample.read_bytes()
        assert rule in yara_x_hits(x_rules, data), f"yara-x: {sample.name} misses {rule}"
        assert rule in {m.rule for m in l_rules.match(data=data)}, f"libyara: {sample.name} misses {rule}"
        covered.add(rule)
    assert covered == set(names), f"rules without a positive sample: {set(names) - covered}"
    for sample in negatives:
        data = sample.read_bytes()
        assert yara_x_hits(x_rules, data) == set(), sample.name
        assert l_rules.match(data=data) == [], sample.name


@pytest.mark.parametrize("pack", PACKS)
def test_every_rule_has_meta(pack: str) -> None:
    rules = yara.compile(source=pack_source(pack))
    for rule in rules:
        meta = dict(rule.meta)
        for key in REQUIRED_META:
            assert key in meta, (rule.identifier, key)
        assert meta["author"] == "isop-workbench"
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", meta["date"])
        assert meta["version"] == "1"

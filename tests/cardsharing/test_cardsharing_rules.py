"""The cardsharing rule pack compiles under yara-x and yara-python and hits exactly its samples."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import yara
import yara_x
from workbench.plugins.cardsharing import PLUGINS

PACK = Path(str(files("workbench.rules"))) / "cardsharing"
REQUIRED_META = ("author", "description", "date", "version", "artefact")


def pack_source() -> str:
    return "\n".join(path.read_text() for path in sorted(PACK.glob("*.yar")))


def rule_names(source: str) -> list[str]:
    return re.findall(r"^rule\s+(\w+)", source, re.MULTILINE)


def x_hits(rules: yara_x.Rules, data: bytes) -> set[str]:
    return {rule.identifier for rule in yara_x.Scanner(rules).scan(data).matching_rules}


def test_compiles_without_warnings_and_samples_hit() -> None:
    source = pack_source()
    names = rule_names(source)
    assert len(names) == len(set(names)) == 6
    compiler = yara_x.Compiler()
    compiler.add_source(source)
    x_rules = compiler.build()
    assert compiler.warnings() == []
    l_rules = yara.compile(source=source, error_on_warning=True)
    covered = set()
    for sample in sorted((PACK / "samples" / "positive").iterdir()):
        rule = sample.name.split("__", 1)[0]
        assert rule in names, sample.name
        data = sample.read_bytes()
        assert rule in x_hits(x_rules, data), f"yara-x: {sample.name} misses {rule}"
        assert rule in {m.rule for m in l_rules.match(data=data)}, f"libyara: {sample.name} misses {rule}"
        covered.add(rule)
    assert covered == set(names)
    negatives = sorted((PACK / "samples" / "negative").iterdir())
    assert len(negatives) >= 2
    for sample in negatives:
        data = sample.read_bytes()
        assert x_hits(x_rules, data) == set(), sample.name
        assert l_rules.match(data=data) == [], sample.name


def test_meta_and_plugin_triggers() -> None:
    rules = yara.compile(source=pack_source())
    triggered = {rule for plugin in PLUGINS for rule in plugin.yara_rules}
    for rule in rules:
        meta = dict(rule.meta)
        for key in REQUIRED_META:
            assert key in meta, f"{rule.identifier}: meta {key} missing"
        assert meta["author"] == "isop-workbench" and meta["version"] == "1"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta["date"])
        assert meta["artefact"].startswith("cardsharing.")
        assert rule.identifier in triggered, f"no plugin listens for {rule.identifier}"

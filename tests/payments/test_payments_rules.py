"""The payments rule pack compiles under both engines; positives hit their rule, negatives hit nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yara
import yara_x

PACK = Path(__file__).resolve().parents[2] / "rules" / "payments"


def _source() -> str:
    return "\n".join(p.read_text() for p in sorted(PACK.glob("*.yar")))


def _samples(kind: str) -> list[Path]:
    return sorted((PACK / "samples" / kind).iterdir())


def _hits(data: bytes) -> tuple[set[str], set[str]]:
    source = _source()
    x_rules = yara_x.compile(source)
    x_hits = {r.identifier for r in yara_x.Scanner(x_rules).scan(data).matching_rules}
    y_hits = {m.rule for m in yara.compile(source=source).match(data=data)}
    return x_hits, y_hits


def test_every_rule_has_meta_and_a_positive_sample() -> None:
    rules = yara.compile(source=_source())
    names = set()
    for rule in rules:
        names.add(rule.identifier)
        meta = dict(rule.meta)
        assert meta["author"] == "isop-workbench" and meta["version"] == "1" and meta["description"]
        assert meta["artefact"].startswith("payment.")
    assert names == {p.name.split("__", 1)[0] for p in _samples("positive")}


@pytest.mark.parametrize("sample", _samples("positive"), ids=lambda p: p.name)
def test_positive_sample_hits_its_rule_in_both_engines(sample: Path) -> None:
    rule = sample.name.split("__", 1)[0]
    x_hits, y_hits = _hits(sample.read_bytes())
    assert rule in x_hits and rule in y_hits


@pytest.mark.parametrize("sample", _samples("negative"), ids=lambda p: p.name)
def test_negative_sample_hits_nothing(sample: Path) -> None:
    assert _hits(sample.read_bytes()) == (set(), set())

"""The IPTV rule pack: both engines compile it, positives hit their rule, negatives hit nothing,
and the sample panel servers are found by it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yara
import yara_x

from workbench import rulepacks
from workbench.samples.iptv import build_xtream_panel, build_xui_panel

PACK = Path(__file__).resolve().parents[2] / "rules" / "iptv"
SOURCE = "\n".join(p.read_text() for p in sorted(PACK.glob("*.yar")))
X_RULES = yara_x.compile(SOURCE)
Y_RULES = yara.compile(source=SOURCE)
KINDS = {"iptv.panel_config", "iptv.subscriber", "iptv.channel", "iptv.access_url"}


def hits(data: bytes) -> tuple[set[str], set[str]]:
    x_hits = {r.identifier for r in yara_x.Scanner(X_RULES).scan(data).matching_rules}
    y_hits = {m.rule for m in Y_RULES.match(data=data)}
    return x_hits, y_hits


def samples(kind: str) -> list[Path]:
    return sorted((PACK / "samples" / kind).iterdir())


def test_meta_and_one_positive_sample_per_rule() -> None:
    names = set()
    for rule in Y_RULES:
        names.add(rule.identifier)
        meta = dict(rule.meta)
        assert meta["author"] == "isop-workbench" and meta["version"] == "1" and meta["description"]
        assert len(meta["date"]) == 10 and meta["artefact"] in KINDS
    assert names == {p.name.split("__", 1)[0] for p in samples("positive")}
    assert samples("negative")


@pytest.mark.parametrize("sample", samples("positive"), ids=lambda p: p.name)
def test_positive_sample_hits_its_rule_in_both_engines(sample: Path) -> None:
    rule = sample.name.split("__", 1)[0]
    x_hits, y_hits = hits(sample.read_bytes())
    assert rule in x_hits and rule in y_hits


@pytest.mark.parametrize("sample", samples("negative"), ids=lambda p: p.name)
def test_negative_sample_hits_nothing(sample: Path) -> None:
    assert hits(sample.read_bytes()) == (set(), set())


def test_workbench_lint_and_test_accept_the_pack() -> None:
    assert rulepacks.lint([PACK], strict=True).findings == ()
    report = rulepacks.test([PACK])
    assert not report.errors and all(s.passed for p in report.packs for s in p.samples)


def test_sample_panel_servers_are_found(tmp_path: Path) -> None:
    xtream = build_xtream_panel(tmp_path / "x", subscribers=20, streams=20)
    xui = build_xui_panel(tmp_path / "u", subscribers=20, streams=20)
    expected = {
        "home/xtreamcodes/iptv_xtream_codes/config": "iptv_xtream_config",
        "root/backup_0601.sql": "iptv_xtream_database_dump",
        "home/xtreamcodes/iptv_xtream_codes/nginx/conf/nginx.conf": "iptv_xtream_paths",
        "home/xui/config/config.ini": "iptv_xui_config",
        "root/xui_backup_0601.sql": "iptv_xui_database_dump",
    }
    assert set(expected) <= set(xtream.files) | set(xui.files)
    for rel, rule in expected.items():
        base = tmp_path / ("x" if (tmp_path / "x" / rel).exists() else "u")
        x_hits, y_hits = hits((base / rel).read_bytes())
        assert rule in x_hits and rule in y_hits, rel

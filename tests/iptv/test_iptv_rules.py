"""The IPTV rule pack finds the sample panel servers' files (its samples, meta and lint are checked
for every shipped pack in tests/rules_tools/test_shipped_packs.py)."""

from __future__ import annotations

from pathlib import Path

import yara
import yara_x

from workbench.samples.iptv import build_xtream_panel, build_xui_panel

PACK = Path(__file__).resolve().parents[2] / "rules" / "iptv"
SOURCE = "\n".join(p.read_text() for p in sorted(PACK.glob("*.yar")))
X_RULES = yara_x.compile(SOURCE)
Y_RULES = yara.compile(source=SOURCE)


def hits(data: bytes) -> tuple[set[str], set[str]]:
    x_hits = {r.identifier for r in yara_x.Scanner(X_RULES).scan(data).matching_rules}
    y_hits = {m.rule for m in Y_RULES.match(data=data)}
    return x_hits, y_hits


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

"""Each artefact family end to end: a seized server built as a real disk image, taken in with
`evidence add`, run through `process`, and its case figures compared with what the builder wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunCli, fingerprint
from workbench.samples.cardsharing import build_cardsharing
from workbench.samples.images import make_disk, make_ext4, make_fat
from workbench.samples.iptv import IptvFigures, build_xtream_panel, build_xui_panel
from workbench.samples.topsite import build_topsite
from workbench.samples.webserver import build_webserver

pytestmark = pytest.mark.slow


def process_image(cli: RunCli, case_dir: Path, image: Path) -> dict[str, float]:
    """case init + evidence add + process; the case figures as {"family/name": value}."""
    cli("case", "init", case_dir, "--number", "2026-E2E", "--title", "E2E", "--examiner", "A. Examiner")
    before = fingerprint([image])
    cli("evidence", "add", case_dir, image, "--exhibit", "EX-01", "--description", "seized server")
    result = cli("process", case_dir)
    assert "0 errors" in result.output, result.output
    assert fingerprint([image]) == before
    figures: dict[str, list[dict[str, Any]]] = json.loads(cli("summary", case_dir, "--json").output)
    return {f"{family}/{row['name']}": row["value"] for family, rows in figures.items() for row in rows}


def artefacts(cli: RunCli, case_dir: Path, kind: str) -> list[dict[str, Any]]:
    """Stored artefacts of one kind, as JSON rows."""
    out = cli("artefacts", case_dir, "--kind", kind, "--format", "jsonl", "--show-secrets").output
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def iptv_expectations(panel: IptvFigures) -> dict[str, float]:
    return {
        "iptv/live channels": panel.live_channels,
        "iptv/VOD items": panel.vod,
        "iptv/series": panel.series,
        "iptv/series episodes": panel.series_episodes,
        "iptv/radio stations": panel.radio,
        "iptv/subscribers": panel.subscribers,
        "iptv/active subscribers": panel.active,
        "iptv/expired subscribers": panel.expired,
        "iptv/trial subscribers": panel.trial,
        "iptv/disabled or banned subscribers": panel.disabled,
        "iptv/MAG devices": panel.mag_devices,
        "iptv/resellers": panel.resellers,
        "iptv/resellers with credits": panel.resellers_with_credits,
        "iptv/panel admins": panel.admins,
        "iptv/streaming servers": panel.servers,
        "iptv/viewing sessions": panel.activity_sessions,
        "iptv/client IPs": panel.client_ips,
        "iptv/client countries": panel.countries,
    }


def test_xtream_panel_server_with_card_sharing(tmp_path: Path, cli: RunCli) -> None:
    tree = tmp_path / "tree"
    panel = build_xtream_panel(tree, subscribers=1500, streams=200)
    cards = build_cardsharing(tree)
    root = make_ext4(tree, tmp_path / "root.ext4", 64)
    disk, _ = make_disk(tmp_path / "panel.raw", [(root, "linux")])

    figures = process_image(cli, tmp_path / "case", disk)

    expected = iptv_expectations(panel) | {
        "cardsharing/customer accounts": cards.customer_accounts,
        "cardsharing/upstream servers": cards.upstream_servers,
        "payment/wallets (bitcoin)": 1,
        "payment/payment accounts (paypal)": 1,
    }
    assert {k: figures.get(k) for k in expected} == expected
    configs = artefacts(cli, tmp_path / "case", "iptv.panel_config")
    assert any(c["fields"].get("db_password") == panel.db_password for c in configs), configs
    wallets = {w["fields"]["address"] for w in artefacts(cli, tmp_path / "case", "payment.wallet")}
    assert wallets == {panel.bitcoin_address}


def test_xui_panel_server(tmp_path: Path, cli: RunCli) -> None:
    tree = tmp_path / "tree"
    panel = build_xui_panel(tree, subscribers=900, streams=150)
    root = make_ext4(tree, tmp_path / "root.ext4", 48)

    figures = process_image(cli, tmp_path / "case", root)

    expected = iptv_expectations(panel)
    assert {k: figures.get(k) for k in expected} == expected


def test_topsite_server_with_fat_release_disk(tmp_path: Path, cli: RunCli) -> None:
    tree, data = tmp_path / "tree", tmp_path / "data"
    data.mkdir()
    site = build_topsite(tree, data)
    root = make_ext4(tree, tmp_path / "root.ext4", 48)
    fat = make_fat(data, tmp_path / "data.fat", 64)
    disk, _ = make_disk(tmp_path / "topsite.raw", [(root, "linux"), (fat, "fat")])

    figures = process_image(cli, tmp_path / "case", disk)

    expected = {
        "scene/release groups": site.release_groups,
        "scene/releases": site.releases,
        "topsite/topsite users": site.topsite_users,
        "topsite/deleted topsite users": site.deleted_users,
        "topsite/transfers": site.transfers,
        "topsite/bytes up": site.bytes_up,
        "topsite/bytes down": site.bytes_down,
        "torrents/torrents": site.torrents,
    } | {f"scene/releases by {g.group}": g.releases for g in site.groups}
    assert {k: figures.get(k) for k in expected} == expected
    checks = artefacts(cli, tmp_path / "case", "scene.sfv_check")
    bad = [c["fields"] for c in checks if c["fields"].get("status") == "bad"]
    assert [Path(str(b.get("file", ""))).name for b in bad] == [site.bad_crc_file], checks[:3]


def test_web_server_logs_and_payments(tmp_path: Path, cli: RunCli) -> None:
    tree = tmp_path / "tree"
    web = build_webserver(tree, access_lines=12000)
    root = make_ext4(tree, tmp_path / "root.ext4", 64)

    figures = process_image(cli, tmp_path / "case", root)

    expected: dict[str, float] = {
        "web/domains": len(web.domains),
        "web/sites": web.sites,
        "web/mail accounts": len(web.mail_accounts),
        "web/web credentials": web.credentials,
        "payment/Stripe live keys": len(web.stripe_keys),
        "payment/rejected address candidates": web.rejected_candidates,
        "payment/payment accounts": len(web.payment_accounts),
    }
    expected |= {f"payment/wallets ({chain})": n for chain, n in web.wallets_by_chain.items()}
    expected |= {f"log/log events ({kind})": n for kind, n in web.log_events.items()}
    assert {k: figures.get(k) for k in expected} == expected
    domains = {d["fields"]["domain"] for d in artefacts(cli, tmp_path / "case", "web.domain")}
    assert domains == set(web.domains)
    highlights = artefacts(cli, tmp_path / "case", "log.highlight")
    root_ips = {h["fields"]["ip"] for h in highlights if h["fields"]["category"] == "root_login_source"}
    assert root_ips == set(web.root_login_ips)

"""Card-sharing plugins over the sample configs: accounts, upstreams, settings, credentials, figures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from workbench.plugins.cardsharing import (
    ACCOUNT,
    PLUGINS,
    SERVER_CONFIG,
    UPSTREAM,
    CardsharingFiguresPlugin,
    CccamPlugin,
    OscamPlugin,
    expiry_from_comment,
)
from workbench.plugins.common import CREDENTIAL

from workbench.artefacts import Artefact
from workbench.plugin_api import FileView, YaraMatch
from workbench.samples.cardsharing import REFERENCE_DATE, CardsharingFigures, build_cardsharing


class FakeStore:
    """In-memory CaseReader over a list of artefacts."""

    def __init__(self, artefacts: list[Artefact]) -> None:
        self._artefacts = artefacts

    def artefacts(self, kind: str | None = None, exhibit: str | None = None) -> Iterator[Artefact]:
        return (a for a in self._artefacts if kind is None or a.kind == kind)

    def evidence(self) -> list[dict[str, Any]]:
        return []

    def files(self, exhibit: str | None = None) -> Iterator[dict[str, Any]]:
        return iter(())


def view(path: str, data: bytes, rules: tuple[str, ...] = ()) -> FileView:
    yara = tuple(
        YaraMatch(rule=r, namespace="cardsharing", tags=("cardsharing",), meta={}, strings=()) for r in rules
    )
    return FileView(
        exhibit="EX-01", location="EX-01 / ext4 /" + path, path=path, size=len(data), yara=yara, _data=data
    )


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CardsharingFigures]:
    root = tmp_path_factory.mktemp("cardsharing")
    return root, build_cardsharing(root)


def extract_all(root: Path, figures: CardsharingFigures) -> list[Artefact]:
    artefacts: list[Artefact] = []
    for relative in (figures.cccam.path, *figures.oscam.paths):
        data = (root / relative).read_bytes()
        plugin = CccamPlugin() if relative.endswith("CCcam.cfg") else OscamPlugin()
        artefacts += plugin.extract(view("/" + relative, data), data)
    return artefacts


def of_kind(artefacts: list[Artefact], kind: str, server: str | None = None) -> list[Artefact]:
    return [
        a for a in artefacts if a.kind == kind and (server is None or a.fields.get("server_kind") == server)
    ]


def test_declarations() -> None:
    for plugin_class in PLUGINS:
        assert plugin_class.name and plugin_class.version
    assert ACCOUNT.field("user").key and ACCOUNT.field("password").secret and ACCOUNT.time_field == "expires"
    assert UPSTREAM.field("password").secret and UPSTREAM.field("des_key").secret
    assert SERVER_CONFIG.field("webif_password").secret


def test_cccam_sample(sample: tuple[Path, CardsharingFigures]) -> None:
    root, figures = sample
    artefacts = extract_all(root, figures)
    accounts = of_kind(artefacts, ACCOUNT.name, "cccam")
    assert len(accounts) == figures.cccam.accounts
    assert sum(bool(a.fields["disabled"]) for a in accounts) == figures.cccam.commented_accounts
    expiry_cut = f"{REFERENCE_DATE:%Y-%m-%d}T00:00:00Z"
    assert sum(a.fields["expires"] < expiry_cut for a in accounts) == figures.cccam.expired_at_reference
    assert all(a.fields["expires_source"] == "comment" and a.fields["description"] for a in accounts)
    upstreams = [a for a in of_kind(artefacts, UPSTREAM.name) if a.fields["server_kind"] == "cccam"]
    assert len(upstreams) == figures.cccam.upstreams
    assert {
        (a.fields["protocol"], a.fields["host"], a.fields["port"]) for a in upstreams
    } == figures.cccam.upstream_keys
    (config,) = [a for a in of_kind(artefacts, SERVER_CONFIG.name) if a.fields["software"] == "cccam"]
    assert f"SERVER LISTEN PORT={figures.cccam.listen_port}" in config.fields["ports"]
    assert (config.fields["webif_port"], config.fields["webif_user"]) == (16001, "admin")


def test_oscam_sample(sample: tuple[Path, CardsharingFigures]) -> None:
    root, figures = sample
    artefacts = extract_all(root, figures)
    accounts = of_kind(artefacts, ACCOUNT.name, "oscam")
    assert len(accounts) == figures.oscam.accounts
    assert sum(a.fields["disabled"] is True for a in accounts) == figures.oscam.disabled_accounts
    cut = f"{REFERENCE_DATE:%Y-%m-%d}T00:00:00Z"
    assert sum(a.fields["expires"] < cut for a in accounts) == figures.oscam.expired_at_reference
    active = [a for a in accounts if not a.fields["disabled"] and a.fields["expires"] >= cut]
    assert len(active) == figures.oscam.active_at_reference
    upstreams = [a for a in of_kind(artefacts, UPSTREAM.name) if a.fields["server_kind"] == "oscam"]
    assert len(upstreams) == figures.oscam.network_readers
    newcamd = next(a for a in upstreams if a.fields["protocol"] == "newcamd")
    assert newcamd.fields["des_key"] == "0102030405060708091011121314"
    (config,) = [a for a in of_kind(artefacts, SERVER_CONFIG.name) if a.fields["software"] == "oscam"]
    assert config.fields["webif_port"] == figures.oscam.webif_port
    assert config.fields["ports"] == ["cccam=12000", "newcamd=15000@0500:023800"]


def test_credentials(sample: tuple[Path, CardsharingFigures]) -> None:
    root, figures = sample
    credentials = of_kind(extract_all(root, figures), CREDENTIAL.name)
    kinds = sorted(c.fields["kind"] for c in credentials)
    upstreams = figures.cccam.upstreams + figures.oscam.network_readers
    assert kinds == ["cardsharing"] * upstreams + ["panel", "panel"]
    panel = next(c for c in credentials if c.fields["service"].startswith("OSCam"))
    assert (panel.fields["username"], panel.fields["secret"]) == ("admin", "Oz4fakeweb")


def test_figures(sample: tuple[Path, CardsharingFigures]) -> None:
    root, figures = sample
    store = FakeStore(extract_all(root, figures))
    result = {a.fields["name"]: a.fields["value"] for a in CardsharingFiguresPlugin().correlate(store)}
    assert result == {
        "customer accounts": figures.customer_accounts,
        "upstream servers": figures.upstream_servers,
    }
    assert list(CardsharingFiguresPlugin().correlate(FakeStore([]))) == []


def test_deterministic(sample: tuple[Path, CardsharingFigures]) -> None:
    root, figures = sample
    assert extract_all(root, figures) == extract_all(root, figures)


def test_yara_hit_selects_parser_for_other_names() -> None:
    data = b"# backup\n[account]\nuser = bk1\npwd = pw\n"
    plugin = OscamPlugin()
    assert list(plugin.extract(view("/root/backup/users.txt", data), data)) == []
    (account,) = plugin.extract(view("/root/backup/users.txt", data, ("cardsharing_oscam_user",)), data)
    assert account.fields["user"] == "bk1"


def test_non_config_gives_nothing() -> None:
    data = b"just some text\n"
    assert list(CccamPlugin().extract(view("/etc/CCcam.cfg", data), data)) == []


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("M. Rossi, paid until 2024-07-01", "2024-07-01"),
        ("Jörg, bezahlt bis 01.07.2024", "2024-07-01"),
        ("exp: 2024/08/15 via PayPal", "2024-08-15"),
        ("trial 48h", None),
        ("until someday", None),
    ],
)
def test_expiry_from_comment(comment: str, expected: str | None) -> None:
    found = expiry_from_comment(comment)
    assert (found.date().isoformat() if found else None) == expected

"""The web server sample tree: deterministic, and the three plugins find exactly its figures."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
from workbench.plugins.logs import LogsPlugin
from workbench.plugins.payments import PaymentTraces
from workbench.plugins.web import WebConfigs

from workbench.artefacts import Artefact
from workbench.plugin_api import FileView, Plugin
from workbench.samples.webserver import WebFigures, build_webserver

SUBSCRIBERS = [("jdoe42", "Pa55w0rd"), ("mrossi", "q7Lm2pRt"), ("kfischer", "Fx93kLmq")]


def tree_digest(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            full = Path(dirpath) / name
            out[str(full.relative_to(root))] = hashlib.sha256(full.read_bytes()).hexdigest() + str(
                int(full.stat().st_mtime)
            )
    return out


def wanted(plugin: Plugin, path: str) -> bool:
    """Trigger by glob; the payments plugin also sees every uncompressed text file (mime text/*)."""
    return any(fnmatch(path, g) for g in plugin.globs) or (
        isinstance(plugin, PaymentTraces) and not path.endswith(".gz")
    )


class FakeStore:
    """In-memory CaseReader."""

    def __init__(self, artefacts: list[Artefact]) -> None:
        self._artefacts = artefacts

    def artefacts(self, kind: str | None = None, exhibit: str | None = None) -> Iterator[Artefact]:
        return iter([a for a in self._artefacts if kind is None or a.kind == kind])

    def evidence(self) -> list[dict[str, Any]]:
        return []

    def files(self, exhibit: str | None = None) -> Iterator[dict[str, Any]]:
        return iter([])


@pytest.fixture(scope="module")
def processed(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[WebFigures, list[Artefact], list[Artefact], Path]:
    root = tmp_path_factory.mktemp("webserver")
    figures = build_webserver(root, access_lines=3000, subscribers=SUBSCRIBERS)
    plugins: list[Plugin] = [WebConfigs(), PaymentTraces(), LogsPlugin()]
    stored: list[Artefact] = [
        Artefact(kind="iptv.subscriber", fields={"username": u, "password": p, "panel": "xtream-ui"})
        for u, p in SUBSCRIBERS
    ]
    for dirpath, _dirs, files in sorted(os.walk(root)):
        for name in sorted(files):
            full = Path(dirpath) / name
            path = "/" + str(full.relative_to(root))
            data = full.read_bytes()
            mtime = datetime.fromtimestamp(full.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            view = FileView(
                exhibit="EX-01",
                location="EX-01 / ext4 " + path,
                path=path,
                size=len(data),
                mtime=mtime,
                _data=data,
            )
            for plugin in plugins:
                if wanted(plugin, path):
                    for artefact in plugin.extract(view, data):
                        artefact.plugin = plugin.name
                        stored.append(artefact)
    correlated = [a for plugin in plugins for a in plugin.correlate(FakeStore(stored))]
    return figures, stored, correlated, root


def figure_values(correlated: list[Artefact]) -> dict[str, float]:
    return {a.fields["name"]: a.fields["value"] for a in correlated if a.kind == "case.figure"}


def test_build_is_deterministic(
    tmp_path: Path, processed: tuple[WebFigures, list[Artefact], list[Artefact], Path]
) -> None:
    figures, _, _, root = processed
    again = build_webserver(tmp_path, access_lines=3000, subscribers=SUBSCRIBERS)
    assert again == figures
    assert tree_digest(tmp_path) == tree_digest(root)


def test_web_figures(processed: tuple[WebFigures, list[Artefact], list[Artefact], Path]) -> None:
    figures, stored, correlated, _ = processed
    values = figure_values(correlated)
    assert values["domains"] == len(figures.domains)
    assert {a.fields["domain"] for a in stored if a.kind == "web.domain"} == set(figures.domains)
    assert values["sites"] == figures.sites
    assert values["web credentials"] == figures.credentials
    assert {a.fields["address"] for a in stored if a.kind == "web.mail_account"} == set(figures.mail_accounts)


def test_payment_figures(processed: tuple[WebFigures, list[Artefact], list[Artefact], Path]) -> None:
    figures, stored, correlated, _ = processed
    values = figure_values(correlated)
    for chain, count in figures.wallets_by_chain.items():
        assert values[f"wallets ({chain})"] == count
    assert values["rejected address candidates"] == figures.rejected_candidates
    assert {a.fields["identifier"] for a in stored if a.kind == "payment.account"} == set(
        figures.payment_accounts
    )
    assert {a.fields["key"] for a in stored if a.kind == "payment.key"} == set(figures.stripe_keys)


def test_log_figures_and_links(processed: tuple[WebFigures, list[Artefact], list[Artefact], Path]) -> None:
    figures, stored, correlated, _ = processed
    values = figure_values(correlated)
    for log_type, count in figures.log_events.items():
        assert values[f"log events ({log_type})"] == count
    unparsed = sum(
        a.fields["unparsed"] for a in stored if a.kind == "log.file" and a.fields["log_type"] == "access"
    )
    assert unparsed == figures.unparsed_access_lines
    links = {a.fields["subscriber"]: a.fields for a in correlated if a.kind == "log.subscriber_link"}
    assert {name: link["requests"] for name, link in links.items()} == dict(figures.panel_requests)
    assert {name: link["stream_requests"] for name, link in links.items()} == dict(figures.stream_requests)
    assert all(link["password_matches"] for link in links.values())
    seen = {
        a.fields["subscriber_username"]
        for a in stored
        if a.kind == "log.event" and a.fields.get("subscriber_username")
    }
    assert seen == set(figures.panel_requests) | set(figures.other_panel_users)


def test_times_are_ordered_across_zones(
    processed: tuple[WebFigures, list[Artefact], list[Artefact], Path],
) -> None:
    _, stored, _, _ = processed
    spans = {
        a.fields["source_file"]: (a.fields["first"], a.fields["last"])
        for a in stored
        if a.kind == "log.file" and a.fields["log_type"] == "access"
    }
    oldest, middle, newest = (
        spans[f"/var/log/nginx/{n}"] for n in ("access.log.2.gz", "access.log.1", "access.log")
    )
    assert oldest[1] <= middle[0] and middle[1] <= newest[0]
    zones = {
        a.fields["source_tz"]
        for a in stored
        if a.kind == "log.event" and a.fields["source_file"].endswith(".gz")
    }
    assert zones == {"+0200"}


def test_highlights(processed: tuple[WebFigures, list[Artefact], list[Artefact], Path]) -> None:
    figures, _, correlated, _ = processed
    highlights: dict[str, list[dict[str, Any]]] = {}
    for a in correlated:
        if a.kind == "log.highlight":
            highlights.setdefault(a.fields["category"], []).append(a.fields)
    assert highlights["first_admin_login"][0]["time"] == figures.first_admin_login.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert highlights["last_admin_login"][0]["time"] == figures.last_admin_login.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert {h["ip"] for h in highlights["root_login_source"]} == set(figures.root_login_ips)
    assert highlights["last_mysqldump"][0]["time"] == figures.last_mysqldump.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(highlights["command_near_mysqldump"]) == figures.commands_near_mysqldump
    assert highlights["top_client_ip"][0]["ip"] == figures.top_client_ip

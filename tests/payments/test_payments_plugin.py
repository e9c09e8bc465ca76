"""The payments plugin through FileView, and its case figures through a fake store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from workbench.plugins.payments import PaymentTraces

from workbench.artefacts import Artefact
from workbench.plugin_api import FileView

NOTES = (
    b"== payments ==\n"
    b"BTC: 13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79h\n"
    b"again 13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79h and bc1que8edvydz0swpfaxtepqk60ljjgdcdtkkhsr5l\n"
    b"USDT TRC20: TUKTU72PhbNeFEszAd3rTnCa2uibUYyNKv\n"
    b"typo 13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79i\n"
    b"PayPal (F&F): billing@fakeiptv.invalid\n"
    b"IBAN DE89 3704 0044 0532 0130 00\n"
    b"STRIPE_SECRET=sk_live_FAKEFAKEFAKEFAKEFAKE0000\n"
    b"\x1b[31mcard 4111 1111 1111 1111\x1b[0m\n"
)


def view(path: str, data: bytes) -> FileView:
    return FileView(exhibit="EX-01", location="EX-01 / ext4 /" + path, path=path, size=len(data), _data=data)


def extract(path: str, data: bytes) -> list[Artefact]:
    return list(PaymentTraces().extract(view(path, data), data))


def by_kind(artefacts: list[Artefact], kind: str) -> list[dict[str, Any]]:
    return [a.fields for a in artefacts if a.kind == kind]


def test_notes_file_yields_each_find_once_with_counts_and_context() -> None:
    found = extract("/root/notes/admin_notes.txt", NOTES)
    wallets = by_kind(found, "payment.wallet")
    assert [(w["chain"], w["address_type"], w["occurrences"]) for w in wallets] == [
        ("bitcoin", "p2pkh", 2),
        ("bitcoin", "p2wpkh", 1),
        ("tron", "account", 1),
    ]
    assert wallets[0]["context"] == "BTC: 13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79h"
    accounts = {(a["provider"], a["identifier"]) for a in by_kind(found, "payment.account")}
    assert accounts == {("paypal", "billing@fakeiptv.invalid"), ("iban", "DE89370400440532013000")}
    keys = by_kind(found, "payment.key")
    assert [(k["provider"], k["key_type"]) for k in keys] == [("stripe", "live-secret")]
    assert by_kind(found, "payment.rejected_candidates") == [
        {"chain": "bitcoin", "count": 1, "examples": ["13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79i"]}
    ]
    lines = {a.kind: a.line for a in found if a.kind != "payment.rejected_candidates"}
    assert lines["payment.key"] == 8


def test_output_is_deterministic() -> None:
    first = [(a.kind, a.fields, a.line) for a in extract("/a.txt", NOTES)]
    second = [(a.kind, a.fields, a.line) for a in extract("/a.txt", NOTES)]
    assert first == second


SQL_DUMP = b"""-- MySQL dump 10.13
CREATE TABLE `resellers` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `username` varchar(64) DEFAULT NULL,
  `email` varchar(255) DEFAULT NULL,
  `paypal_email` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB;
INSERT INTO `resellers` VALUES (1,'kfr','kfr@mail.invalid','kfr.pay@mail.invalid'),(2,'zed','zed@mail.invalid',NULL);
CREATE TABLE `users` (`id` int, `admin_notes` text);
INSERT INTO `users` (`id`, `admin_notes`) VALUES (7,'paid by PayPal m.rossi@mail.invalid'),(8,'cash');
"""


def test_sql_dump_uses_paypal_columns_and_notes_but_not_other_emails() -> None:
    found = extract("/root/backup/panel.sql", SQL_DUMP)
    accounts = {a["identifier"]: a["reason"] for a in by_kind(found, "payment.account")}
    assert accounts == {
        "kfr.pay@mail.invalid": "PayPal field paypal_email",
        "m.rossi@mail.invalid": "next to 'PayPal'",
    }


def test_csv_with_paypal_column() -> None:
    data = b"id,name,email,paypal\n1,Anna,anna@mail.invalid,anna.pp@mail.invalid\n2,Bob,bob@mail.invalid,\n"
    found = extract("/home/x/customers.csv", data)
    assert {a["identifier"] for a in by_kind(found, "payment.account")} == {"anna.pp@mail.invalid"}


def test_hostile_file_does_not_fail() -> None:
    data = b"\xff\xfe\x00" * 1000 + b"A" * 2_000_000 + b"\n" + b"paypal " * 10000 + b"\n"
    assert extract("/tmp/garbage.txt", data) == []


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


def test_correlate_counts_distinct_wallets_accounts_and_keys() -> None:
    stored = extract("/a.txt", NOTES) + extract("/b.txt", NOTES)
    figures = {f.fields["name"]: f.fields["value"] for f in PaymentTraces().correlate(FakeStore(stored))}
    assert figures == {
        "wallets (bitcoin)": 2,
        "wallets (tron)": 1,
        "payment accounts": 2,
        "payment accounts (iban)": 1,
        "payment accounts (paypal)": 1,
        "Stripe live keys": 1,
        "rejected address candidates": 2,
    }


def _every_line_finds(text: str) -> Any:
    """The reference: every line through the finders, none skipped."""
    from workbench.plugins.payments import _FileFinds, scan_line

    finds = _FileFinds()
    for number, line in enumerate(text.split("\n"), 1):
        scan_line(line, number, finds)
    return finds


def test_candidate_gate_skips_no_line_with_a_find() -> None:
    """Only the lines the block search flags go through the finders: the result equals scanning
    every line, on text that puts candidates at line starts and ends and next to each other."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from workbench.plugins.payments import _FileFinds, lines_with_candidates, scan_line

    pieces = [line.decode() for line in NOTES.split(b"\n")] + [
        "x",
        "",
        "paypal",
        "DE89370400440532013000",
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "sk_test_AAAAAAAAAAAAAAAAAAAAAAAA",
        "whsec_BBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        "abcdefghijklmnopqrstuvwxyz0123",
        "GB82WEST12345698765432",
    ]

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.lists(st.sampled_from(pieces), max_size=4).map(" ".join), max_size=30))
    def check(lines: list[str]) -> None:
        gated = _FileFinds()
        for index in lines_with_candidates(lines):
            scan_line(lines[index], index + 1, gated)
        assert gated == _every_line_finds("\n".join(lines))

    check()

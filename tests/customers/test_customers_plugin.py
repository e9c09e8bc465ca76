"""Customer-list plugin over the sample CSV and XLSX: records, secrets, figures, determinism."""

from __future__ import annotations

import contextlib
import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbench.parsers.errors import ParseError
from workbench.plugins.customers import CUSTOMER_RECORD, PLUGINS, CustomerListPlugin

from workbench.artefacts import Artefact
from workbench.plugin_api import FileView
from workbench.samples.customers import REFERENCE_DATE, CustomerFigures, build_customers


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


def run(path: str, data: bytes) -> list[Artefact]:
    file = FileView(exhibit="EX-01", location="EX-01 / ext4 /" + path, path=path, size=len(data), _data=data)
    return list(CustomerListPlugin().extract(file, data))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CustomerFigures]:
    root = tmp_path_factory.mktemp("customers")
    return root, build_customers(root)


def extract_sample(root: Path, figures: CustomerFigures) -> list[Artefact]:
    artefacts: list[Artefact] = []
    for relative in figures.paths:
        artefacts += run("/" + relative, (root / relative).read_bytes())
    return artefacts


def test_declaration() -> None:
    assert (CustomerListPlugin,) == PLUGINS
    assert CUSTOMER_RECORD.name == "customer.record"
    assert CUSTOMER_RECORD.field("password").secret
    for name in (
        "source_table",
        "row",
        "email",
        "username",
        "name",
        "phone",
        "mac",
        "expires",
        "paid",
        "currency",
        "reseller",
        "created",
        "notes",
        "raw",
    ):
        CUSTOMER_RECORD.field(name)


def test_sample_records_and_figures(sample: tuple[Path, CustomerFigures]) -> None:
    root, figures = sample
    artefacts = extract_sample(root, figures)
    assert len(artefacts) == figures.records
    by_source: dict[str, int] = {}
    for artefact in artefacts:
        by_source[artefact.fields["source_table"]] = by_source.get(artefact.fields["source_table"], 0) + 1
    assert by_source == {"": figures.csv_records, **dict(figures.xlsx_records)}
    cut = f"{REFERENCE_DATE:%Y-%m-%d}T00:00:00Z"
    assert sum(a.fields["expires"] > cut for a in artefacts) == figures.active_at_reference
    assert sum(a.fields["expires"] < cut for a in artefacts) == figures.expired_at_reference
    assert sum(a.fields["amount"] for a in artefacts) == pytest.approx(figures.total_paid_eur)
    assert {a.fields["currency"] for a in artefacts} == {"EUR"}
    result = {
        a.fields["name"]: a.fields["value"] for a in CustomerListPlugin().correlate(FakeStore(artefacts))
    }
    assert result == {"customer records": figures.records, "distinct customers": figures.distinct_customers}


def test_password_is_secret_and_not_in_raw(sample: tuple[Path, CustomerFigures]) -> None:
    root, figures = sample
    first = extract_sample(root, figures)[0]
    assert first.fields["password"]
    assert (
        "Passwort" not in first.fields["raw"] and first.fields["password"] not in first.fields["raw"].values()
    )
    assert first.line == first.fields["row"] == 2
    assert first.fields["raw"]["Gültig bis"] == first.fields["expires_text"]


def test_deterministic_sample_and_artefacts(tmp_path: Path, sample: tuple[Path, CustomerFigures]) -> None:
    root, figures = sample
    again = build_customers(tmp_path)
    for relative in figures.paths:
        assert (tmp_path / relative).read_bytes() == (root / relative).read_bytes()
    assert again == figures
    assert extract_sample(root, figures) == extract_sample(tmp_path, again)


def test_sqlite_by_magic_and_name_mismatch() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE clients(email TEXT, phone TEXT)")
    connection.execute("INSERT INTO clients VALUES ('ann@mail.invalid', '+49 151 000')")
    data = connection.serialize()
    (record,) = run("/home/reseller/.local/share/app/store", data)
    assert (record.fields["source_table"], record.fields["row"], record.line) == ("clients", 1, None)
    assert run("/var/lib/misc/thing.db", b"Berkeley DB, not SQLite") == []
    assert run("/home/a/archive.zip.csv", b"") == []


def test_zip_that_is_not_xlsx_is_ignored() -> None:
    assert run("/home/a/photos.odt", b"PK\x03\x04rest") == []


def test_tsv() -> None:
    (record,) = run("/home/a/list.tsv", b"Email\tName\tPaid\nann@mail.invalid\tAnn\t10 EUR\n")
    assert (record.fields["email"], record.fields["amount"], record.fields["currency"]) == (
        "ann@mail.invalid",
        10.0,
        "EUR",
    )


def _workbook() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Email", "Username", "Expiry"])
    sheet.append(["ann@mail.invalid", "ann01", "2024-07-01"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


WORKBOOK = _workbook()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(WORKBOOK) - 1), st.binary(min_size=1, max_size=16))
def test_mangled_workbook_only_parse_errors(where: int, noise: bytes) -> None:
    mangled = WORKBOOK[:where] + noise + WORKBOOK[where + len(noise) :]
    with contextlib.suppress(ParseError):
        for artefact in run("/home/a/customers.xlsx", mangled):
            assert artefact.kind == CUSTOMER_RECORD.name

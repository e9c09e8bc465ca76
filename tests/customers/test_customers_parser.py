"""Customer-list parser: header synonyms, encodings, XLSX sheets, SQLite tables and hostile input."""

from __future__ import annotations

import contextlib
import io
import sqlite3
import zipfile
from datetime import UTC, datetime

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbench.parsers.customers import (
    CustomerRecord,
    iter_csv_customers,
    iter_sqlite_customers,
    iter_xlsx_customers,
    parse_amount,
    parse_time,
    recognise_columns,
    sniff_delimiter,
)
from workbench.parsers.errors import ParseError

GERMAN_CSV = (
    "Kunde;E-Mail;Benutzername;Passwort;Gültig bis;Betrag;Währung;Wiederverkäufer;Notiz\r\n"
    'Müller, Hans;h.mueller@mail.invalid;hm2024;Xy7pw;01.07.2024;"15,00";EUR;sat-deals;"bezahlt; bar"\r\n'
    "\r\n"
    "Summe;;;;;15,00;EUR;;\r\n"
).encode("latin-1")


def csv_records(data: bytes, delimiter: str | None = None) -> list[CustomerRecord]:
    return list(iter_csv_customers(io.BytesIO(data), delimiter))


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["E-Mail", "Passwort"], {0: "email", 1: "password"}),
        (["Nom d'utilisateur", "Date d'expiration", "Prix"], {0: "username", 1: "expires", 2: "paid"}),
        (
            ["Usuario", "Contraseña", "Teléfono", "Vencimiento"],
            {0: "username", 1: "password", 2: "phone", 3: "expires"},
        ),
        (["MAC Address", "Valid until"], {0: "mac", 1: "expires"}),
        (["Kullanıcı adı", "Şifre", "Bitiş"], {0: "username", 1: "password", 2: "expires"}),
        (["email", "email", "notes"], {0: "email", 2: "notes"}),
        (["Product", "Price"], None),
        (["email"], None),
        (["Name", "Phone", "Notes"], None),
        ([None, 42, "login", "expiry"], {2: "username", 3: "expires"}),
    ],
)
def test_recognise_columns(header: list[object], expected: dict[int, str] | None) -> None:
    assert recognise_columns(header) == expected


def test_german_latin1_csv() -> None:
    (record,) = csv_records(GERMAN_CSV)
    assert (record.row, record.source) == (2, "")
    assert (record.name, record.email, record.username, record.password) == (
        "Müller, Hans",
        "h.mueller@mail.invalid",
        "hm2024",
        "Xy7pw",
    )
    assert (record.expires, record.expires_at) == ("01.07.2024", datetime(2024, 7, 1, tzinfo=UTC))
    assert (record.paid, record.amount, record.currency, record.reseller) == (
        "15,00",
        15.0,
        "EUR",
        "sat-deals",
    )
    assert record.notes == "bezahlt; bar"
    assert dict(record.raw)["Gültig bis"] == "01.07.2024"


def test_utf8_bom_utf16_and_sep_line() -> None:
    text = "email,username,expires\r\nann@mail.invalid,ann01,2024-07-01T10:00:00+02:00\r\n"
    for data in (b"\xef\xbb\xbf" + text.encode(), text.encode("utf-16"), ("sep=,\r\n" + text).encode()):
        (record,) = csv_records(data)
        assert (record.email, record.username) == ("ann@mail.invalid", "ann01")
        assert record.expires_at == datetime(2024, 7, 1, 8, tzinfo=UTC)
    (tsv,) = csv_records(b"user\tpass\njd\tpw\n", "\t")
    assert (tsv.username, tsv.password) == ("jd", "pw")


def test_header_below_title_rows_and_rows_without_identity() -> None:
    data = b"Customer list June 2024\n\n,\nname,email,paid\nAnn,ann@mail.invalid,$12.50\n,,\nTotal,,12.50\n"
    (record,) = csv_records(data)
    assert (record.row, record.amount, record.currency) == (5, 12.5, "USD")


def test_formula_looking_cells_and_invalid_utf8_are_kept() -> None:
    data = (
        b'email;notes;phone\n=HYPERLINK("http://evil.invalid","x")@mail.invalid;=1+1;+49 151 000\n'
        b"caf\xe9@mail.invalid;@SUM(A1:A9);-3+2\n"
    )
    first, second = csv_records(data)
    assert (first.email, first.notes, first.phone) == (
        '=HYPERLINK("http://evil.invalid","x")@mail.invalid',
        "=1+1",
        "+49 151 000",
    )
    assert (second.email, second.notes, second.phone) == ("café@mail.invalid", "@SUM(A1:A9)", "-3+2")


def test_not_a_customer_list() -> None:
    assert csv_records(b"product,price\nbox,15\n") == []
    assert csv_records(b"just one column\nvalue\n") == []
    assert csv_records(b"") == []


def test_oversized_field_raises_parse_error() -> None:
    data = b'email,notes\na@mail.invalid,"' + b"x" * 1_000_000 + b'"\n'
    with pytest.raises(ParseError):
        csv_records(data)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-07-01", datetime(2024, 7, 1, tzinfo=UTC)),
        ("2024/07/01 13:45", datetime(2024, 7, 1, 13, 45, tzinfo=UTC)),
        ("01.07.2024", datetime(2024, 7, 1, tzinfo=UTC)),
        ("25/12/2024", datetime(2024, 12, 25, tzinfo=UTC)),
        ("12/25/2024", datetime(2024, 12, 25, tzinfo=UTC)),
        ("03/04/2024", None),  # ambiguous day/month
        ("1719792000", datetime(2024, 7, 1, tzinfo=UTC)),
        (1719792000, datetime(2024, 7, 1, tzinfo=UTC)),
        (datetime(2024, 7, 1, 12), datetime(2024, 7, 1, 12, tzinfo=UTC)),
        ("2024-02-30", None),
        ("never", None),
        (30, None),
        (None, None),
    ],
)
def test_parse_time(value: object, expected: datetime | None) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15,00 €", (15.0, "EUR")),
        ("€1.234,50", (1234.5, "EUR")),
        ("$1,234.50", (1234.5, "USD")),
        ("1,234", (1234.0, "")),
        ("20 USDT", (20.0, "USDT")),
        ("£ 9.99", (9.99, "GBP")),
        (12.5, (12.5, "")),
        ("paid", (None, "")),
    ],
)
def test_parse_amount(value: object, expected: tuple[float | None, str]) -> None:
    assert parse_amount(value) == expected


def test_sniff_delimiter() -> None:
    assert sniff_delimiter("a;b;c\n1;2;3\n") == ";"
    assert sniff_delimiter('"a,b";c;d\n') == ";"
    assert sniff_delimiter("a\tb\n") == "\t"
    assert sniff_delimiter("nothing\n") is None


def test_xlsx_every_sheet_with_row_numbers() -> None:
    data = xlsx_bytes(
        {
            "Active": [
                ["Customers"],
                [],
                ["Name", "Email", "Expiry", "Paid"],
                ["Ann", "ann@mail.invalid", datetime(2024, 7, 1), 15.5],
            ],
            "Prices": [["Package", "Price"], ["1 month", 15]],
            "Old": [
                ["login", "pwd", "mac"],
                ["old1", "pw", "00:1A:79:00:00:01"],
                [],
                [],
                ["old2", None, None],
            ],
        }
    )
    records = list(iter_xlsx_customers(data))
    assert [(r.source, r.row) for r in records] == [("Active", 4), ("Old", 2), ("Old", 5)]
    assert records[0].expires_at == datetime(2024, 7, 1, tzinfo=UTC) and records[0].amount == 15.5
    assert records[1].mac == "00:1A:79:00:00:01"


def test_xlsx_damaged() -> None:
    with pytest.raises(ParseError):
        list(iter_xlsx_customers(b"PK\x03\x04 not really a zip"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "no workbook here")
    with pytest.raises(ParseError):
        list(iter_xlsx_customers(buffer.getvalue()))


def test_sqlite_tables() -> None:
    connection = sqlite3.connect(":memory:")
    connection.executescript(
        """
        CREATE TABLE settings(key TEXT, value TEXT);
        INSERT INTO settings VALUES ('theme', 'dark');
        CREATE TABLE "lines"(id INTEGER PRIMARY KEY, username TEXT, password TEXT, exp_date INT, admin_notes TEXT);
        INSERT INTO "lines" VALUES (7, 'jdoe42', 'Pa55w0rd', 1719792000, 'paid cash');
        INSERT INTO "lines" VALUES (9, 'mrossi', 'q7Lm2pRt', NULL, NULL);
        CREATE TABLE devices(mac TEXT PRIMARY KEY, comment TEXT) WITHOUT ROWID;
        INSERT INTO devices VALUES ('00:1A:79:AA:BB:CC', 'box of M. Rossi');
        """
    )
    data = connection.serialize()
    records = list(iter_sqlite_customers(data))
    assert [(r.source, r.row, r.username or r.mac) for r in records] == [
        ("lines", 7, "jdoe42"),
        ("lines", 9, "mrossi"),
        ("devices", 1, "00:1A:79:AA:BB:CC"),
    ]
    assert records[0].expires_at == datetime(2024, 7, 1, tzinfo=UTC)


def test_sqlite_damaged() -> None:
    with pytest.raises(ParseError):
        list(iter_sqlite_customers(b"not sqlite"))
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE users(email TEXT, name TEXT)")
    connection.executemany(
        "INSERT INTO users VALUES (?, ?)", [(f"u{i}@mail.invalid", "x" * 200) for i in range(500)]
    )
    data = bytearray(connection.serialize())
    data[4096:8192] = b"\xff" * 4096
    with contextlib.suppress(ParseError):
        list(iter_sqlite_customers(bytes(data)))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        csv_records(data)
    with contextlib.suppress(ParseError):
        list(iter_xlsx_customers(data))
    with contextlib.suppress(ParseError):
        list(iter_sqlite_customers(b"SQLite format 3\x00" + data))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(GERMAN_CSV)), st.binary(max_size=30), st.integers(0, len(GERMAN_CSV)))
def test_truncated_and_mangled_real_csv(cut: int, noise: bytes, where: int) -> None:
    for data in (GERMAN_CSV[:cut], GERMAN_CSV[:where] + noise + GERMAN_CSV[where:]):
        with contextlib.suppress(ParseError):
            for record in csv_records(data):
                assert record.email or record.username or record.mac

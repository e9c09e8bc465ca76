"""Sample reseller customer lists: a German Latin-1 CSV and an XLSX workbook (deterministic).

The CSV is what a spreadsheet export from a German reseller looks like (``;`` delimiter, Latin-1,
``01.07.2024`` dates, ``15,00`` amounts, a sum row at the end). The workbook has a title row and a
blank row above the header, one sheet of active and one of expired customers, and a price sheet
that is not a customer list. The XLSX bytes are deterministic too (fixed ZIP and document times).
"""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl

REFERENCE_DATE = date(2024, 6, 1)
_FIXED_ZIP_TIME = (2024, 6, 1, 12, 0, 0)
_FIRST = ("Hans", "Anna", "Marco", "Giulia", "Pierre", "Lucía", "Jan", "Elif", "Sven", "Zoë", "Jörg", "Ana")
_LAST = ("Müller", "Schmidt", "Rossi", "Bianchi", "Dupont", "García", "de Vries", "Kaya", "Berg", "Novák")
_COUNTRIES = ("DE", "AT", "CH", "IT", "FR", "ES", "NL", "TR")
_PACKAGES = ((1, 15), (3, 40), (6, 70), (12, 120))  # (months, EUR)
_RESELLERS = ("sat-deals", "iptv-king", "streamhub")


@dataclass(frozen=True)
class SampleCustomer:
    """One customer as the reseller lists them."""

    name: str
    email: str
    username: str
    password: str
    phone: str
    mac: str
    created: date
    expires: date
    paid_cents: int
    reseller: str
    country: str


@dataclass(frozen=True)
class CustomerFigures:
    """Exactly what ``build_customers`` wrote."""

    paths: tuple[str, ...]
    csv_records: int
    xlsx_records: tuple[tuple[str, int], ...]  # (sheet, customer rows)
    records: int  # all customer rows (one customer.record each)
    distinct_customers: int  # distinct e-mail addresses
    active_at_reference: int  # expiry after the reference date
    expired_at_reference: int
    total_paid_eur: float


def sample_customers(rng: random.Random, count: int, reference: date, start: int = 0) -> list[SampleCustomer]:
    """``count`` customers with unique e-mails and expiry dates never equal to ``reference``."""
    customers = []
    for number in range(start, start + count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        months, price = rng.choice(_PACKAGES)
        created = reference - timedelta(days=rng.randint(20, 400))
        expires = created + timedelta(days=30 * months)
        if expires == reference:
            expires += timedelta(days=1)
        slug = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower().encode("ascii", "ignore").decode())
        customers.append(
            SampleCustomer(
                name=f"{first} {last}",
                email=f"{slug}{number}@mail.invalid",
                username=f"line{number:04d}",
                password="".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(8)),
                phone=f"+49 151 {rng.randint(1000000, 9999999)}",
                mac=f"00:1A:79:{rng.randint(0, 255):02X}:{rng.randint(0, 255):02X}:{rng.randint(0, 255):02X}",
                created=created,
                expires=expires,
                paid_cents=price * 100,
                reseller=rng.choice(_RESELLERS),
                country=rng.choice(_COUNTRIES),
            )
        )
    return customers


def write_customer_csv(path: Path, customers: list[SampleCustomer]) -> int:
    """Write a German spreadsheet export (``;``, Latin-1, day-first dates); returns the customer rows."""
    header = [
        "Kunde", "E-Mail", "Benutzername", "Passwort", "MAC", "Telefon", "Erstellt", "Gültig bis", "Betrag",
        "Währung", "Wiederverkäufer", "Notiz",
    ]  # fmt: skip
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for customer in customers:
        writer.writerow(
            [
                customer.name,
                customer.email,
                customer.username,
                customer.password,
                customer.mac,
                customer.phone,
                f"{customer.created:%d.%m.%Y}",
                f"{customer.expires:%d.%m.%Y}",
                _euro(customer.paid_cents),
                "EUR",
                customer.reseller,
                "bezahlt; Verlängerung angefragt" if customer.paid_cents >= 7000 else "",
            ]
        )
    writer.writerow(
        ["Summe", "", "", "", "", "", "", "", _euro(sum(c.paid_cents for c in customers)), "EUR", "", ""]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.getvalue().encode("latin-1"))
    return len(customers)


def _euro(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def write_customer_xlsx(path: Path, sheets: dict[str, list[SampleCustomer]]) -> dict[str, int]:
    """Write a workbook with one sheet per entry of ``sheets`` plus a price list; returns rows per sheet."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    counts = {}
    for title, customers in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.append([f"Customer list - {title}"])
        sheet.append([])
        sheet.append(
            ["Name", "Email", "Username", "Password", "Expiry", "Paid", "Currency", "Reseller", "Created"]
        )
        for customer in customers:
            sheet.append(
                [
                    customer.name,
                    customer.email,
                    customer.username,
                    customer.password,
                    datetime(customer.expires.year, customer.expires.month, customer.expires.day),
                    customer.paid_cents / 100,
                    "EUR",
                    customer.reseller,
                    datetime(customer.created.year, customer.created.month, customer.created.day),
                ]
            )
        counts[title] = len(customers)
    prices = workbook.create_sheet("Prices")
    prices.append(["Package", "Price"])
    for months, price in _PACKAGES:
        prices.append([f"{months} months", price])
    fixed = datetime(*_FIXED_ZIP_TIME)
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_deterministic_zip(buffer.getvalue(), fixed.replace(tzinfo=UTC)))
    return counts


def _deterministic_zip(data: bytes, fixed: datetime) -> bytes:
    """Re-pack a ZIP with fixed entry times and a fixed document modification time, so the same
    input gives the same bytes (openpyxl stamps both with the current time when saving)."""
    stamp = fixed.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    content,
                )
            target.writestr(
                zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME), content, zipfile.ZIP_DEFLATED
            )
    return out.getvalue()


def build_customers(
    root: Path,
    seed: int = 13,
    csv_rows: int = 25,
    active_rows: int = 12,
    expired_rows: int = 6,
    reference: date = REFERENCE_DATE,
) -> CustomerFigures:
    """Write ``home/reseller/Documents/kunden_export.csv`` and ``customers_2024.xlsx`` under ``root``."""
    rng = random.Random(seed)
    root = Path(root)
    csv_customers = sample_customers(rng, csv_rows, reference)
    pool = sample_customers(rng, (active_rows + expired_rows) * 4, reference, start=csv_rows)
    active = [customer for customer in pool if customer.expires > reference][:active_rows]
    expired = [customer for customer in pool if customer.expires < reference][:expired_rows]
    if len(active) < active_rows or len(expired) < expired_rows:
        raise ValueError("not enough generated customers for the requested sheet sizes")
    csv_path = "home/reseller/Documents/kunden_export.csv"
    xlsx_path = "home/reseller/Documents/customers_2024.xlsx"
    csv_count = write_customer_csv(root / csv_path, csv_customers)
    sheet_counts = write_customer_xlsx(root / xlsx_path, {"Active": active, "Expired": expired})
    everyone = csv_customers + active + expired
    return CustomerFigures(
        paths=(csv_path, xlsx_path),
        csv_records=csv_count,
        xlsx_records=tuple(sheet_counts.items()),
        records=csv_count + sum(sheet_counts.values()),
        distinct_customers=len({customer.email for customer in everyone}),
        active_at_reference=sum(customer.expires > reference for customer in everyone),
        expired_at_reference=sum(customer.expires < reference for customer in everyone),
        total_paid_eur=sum(customer.paid_cents for customer in everyone) / 100,
    )

"""Customer lists: CSV/TSV exports, XLSX workbooks and SQLite tables of resellers and panel operators.

Each row of a table recognised as a customer list (an identity column, e-mail, user name or MAC,
plus at least one more customer column) becomes a ``customer.record``. The password column is
kept in the secret ``password`` field and left out of ``raw``, so masking it hides it everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from workbench.parsers.customers import (
    SQLITE_MAGIC,
    CustomerRecord,
    header_field,
    iter_csv_customers,
    iter_sqlite_customers,
    iter_xlsx_customers,
)

from workbench.plugin_api import (
    Artefact,
    ArtefactKind,
    CaseReader,
    Field,
    FileView,
    Plugin,
    UcoMapping,
    figure,
)

CUSTOMER_RECORD = ArtefactKind(
    "customer.record",
    "Customer record",
    description="One row of a customer list (CSV, XLSX sheet or SQLite table) kept by a reseller or panel operator.",
    fields=(
        Field("source_table", "str", "Sheet or table name (empty for CSV/TSV)", key=True),
        Field("row", "int", "CSV line, sheet row number or SQLite rowid", key=True),
        Field("email", "str", "E-mail address"),
        Field("username", "str", "User name / login / line"),
        Field("password", "str", "Password as listed", secret=True),
        Field("name", "str", "Customer name"),
        Field("phone", "str", "Phone number"),
        Field("mac", "str", "Device MAC address"),
        Field(
            "expires",
            "datetime",
            "Expiry (UTC), when the written date is unambiguous",
            timeline="Customer expires",
        ),
        Field("expires_text", "str", "Expiry as written"),
        Field("paid", "str", "Amount paid as written"),
        Field("amount", "float", "Amount paid as a number"),
        Field("currency", "str", "Currency (column, or symbol/code in the amount)"),
        Field("reseller", "str", "Reseller / dealer"),
        Field("created", "datetime", "Created / registered (UTC), when unambiguous"),
        Field("created_text", "str", "Created as written"),
        Field("country", "str", "Country"),
        Field("notes", "str", "Notes / comments"),
        Field("raw", "json", "The whole row: header -> cell text (password column left out)"),
    ),
    time_field="created",
    time_description="Customer created",
    summary_fields=("name", "email", "username", "expires", "paid", "reseller"),
    uco=UcoMapping("uco-observable:EmailAddressFacet", {"uco-observable:addressValue": "email"}),
)

SQLITE_MIME_TYPES = ("application/vnd.sqlite3", "application/x-sqlite3")
MAX_LOADED_BYTES = 1 << 30  # XLSX and SQLite need the whole file in memory


def record_artefact(record: CustomerRecord) -> Artefact:
    """The ``customer.record`` artefact for one parsed row."""
    raw = {header: text for header, text in record.raw if header_field(header) != "password"}
    return CUSTOMER_RECORD(
        line=record.row if not record.source else None,
        source_table=record.source,
        row=record.row,
        email=record.email,
        username=record.username,
        password=record.password or None,
        name=record.name,
        phone=record.phone,
        mac=record.mac,
        expires=record.expires_at,
        expires_text=record.expires,
        paid=record.paid,
        amount=record.amount,
        currency=record.currency,
        reseller=record.reseller,
        created=record.created_at,
        created_text=record.created,
        country=record.country,
        notes=record.notes,
        raw=raw,
    )


class CustomerListPlugin(Plugin):
    """Customer records from CSV/TSV, XLSX and SQLite files."""

    name = "customers.lists"
    version = "1"
    description = "Customer lists in CSV/TSV, XLSX and SQLite, recognised by their column headers."
    kinds = (CUSTOMER_RECORD,)
    globs = ("*.csv", "*.CSV", "*.tsv", "*.TSV", "*.xlsx", "*.XLSX", "*.sqlite", "*.sqlite3", "*.db")
    mime_types = SQLITE_MIME_TYPES

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """Yield one ``customer.record`` per customer row; files that are no customer list give nothing."""
        with file.open() as stream:
            head = stream.read(len(SQLITE_MAGIC))
        name = file.name.lower()
        if head == SQLITE_MAGIC:
            records: Iterator[CustomerRecord] = iter_sqlite_customers(self._whole(file, data))
        elif name.endswith(".xlsx") or head.startswith(b"PK\x03\x04"):
            if not name.endswith(".xlsx"):
                return  # some other ZIP container
            records = iter_xlsx_customers(self._whole(file, data))
        elif name.endswith((".csv", ".tsv")):
            stream = file.open()
            try:
                yield from map(
                    record_artefact, iter_csv_customers(stream, "\t" if name.endswith(".tsv") else None)
                )
            finally:
                stream.close()
            return
        else:
            return  # matched by name (*.db, *.sqlite) but not an SQLite database
        yield from map(record_artefact, records)

    @staticmethod
    def _whole(file: FileView, data: bytes | None) -> bytes:
        if data is not None:
            return data
        if file.size > MAX_LOADED_BYTES:
            raise ValueError(
                f"{file.location}: {file.size} bytes is too large to load as a workbook or database"
            )
        with file.open() as stream:
            return stream.read()

    def correlate(self, store: CaseReader) -> Iterable[Artefact]:
        """Case figures: customer records, and distinct customers by e-mail, user name or MAC."""
        records = 0
        identities: set[str] = set()
        for artefact in store.artefacts(kind=CUSTOMER_RECORD.name):
            records += 1
            fields = artefact.fields
            for key in ("email", "username", "mac"):
                value = str(fields.get(key) or "").strip().lower()
                if value:
                    identities.add(f"{key}:{value}")
                    break
        if records:
            yield figure("customers", "customer records", records, "customer.record artefacts (one per row)")
            yield figure(
                "customers",
                "distinct customers",
                len(identities),
                "distinct lower-cased e-mail, else user name, else MAC over customer.record artefacts",
            )


PLUGINS = (CustomerListPlugin,)

"""Customer lists kept by resellers and panel operators: CSV/TSV, XLSX workbooks and SQLite tables.

A table counts as a customer list when one of its first rows is a header with an identity column
(e-mail, user name or MAC address) and at least one more recognised column (password, phone,
name, expiry, amount paid, currency, reseller, created, country, notes). Headers are matched
after folding case, accents and punctuation against synonyms in English, German, French,
Spanish, Italian, Portuguese, Dutch and Turkish ("E-Mail", "Benutzername", "Date d'expiration",
"Vencimiento" …).

Every data row with an identity value becomes a ``CustomerRecord`` holding the mapped fields as
written, parsed expiry/creation times and amount where they are unambiguous, and the whole raw
row (cells are kept verbatim: formula-looking text such as ``=HYPERLINK(…)`` stays text, and
renderers must escape it). CSV is streamed; encodings: UTF-8 (with or without BOM), UTF-16 with
BOM, and Latin-1 for cells that are not valid UTF-8.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sqlite3
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import BinaryIO

from workbench.parsers.errors import ParseError

HEAD_BYTES = 64 * 1024
HEADER_SEARCH_ROWS = 10
MAX_XLSX_UNCOMPRESSED = 1 << 30
MAX_CELL_CHARS = 1 << 20
IDENTITY_FIELDS = ("email", "username", "mac")

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": (
        "email", "emailaddress", "mail", "mailaddress", "emailadresse", "mailadresse", "correo",
        "correoelectronico", "courriel", "adresseemail", "adressemail", "posta", "postaelettronica",
        "epost", "eposta", "emailadres", "customeremail", "clientemail", "useremail", "emailcliente",
    ),
    "username": (
        "username", "user", "login", "loginname", "userlogin", "account", "accountname", "benutzername",
        "benutzer", "nutzername", "usuario", "nombredeusuario", "utilisateur", "nomdutilisateur",
        "identifiant", "utente", "nomeutente", "nomedeusuario", "gebruikersnaam", "gebruiker",
        "kullaniciadi", "kullanici", "line", "lineuser", "lineusername", "iptvuser", "iptvusername",
    ),
    "password": (
        "password", "pass", "passwd", "pwd", "pw", "passwort", "kennwort", "contrasena", "clave",
        "motdepasse", "mdp", "senha", "parola", "wachtwoord", "sifre", "linepassword", "iptvpassword",
    ),
    "phone": (
        "phone", "phonenumber", "tel", "telephone", "telefon", "telefono", "telefonnummer", "mobile",
        "mobilephone", "mobil", "handy", "cell", "cellphone", "cellulare", "whatsapp", "gsm",
        "numerodetelephone", "portable", "movil", "celular", "telefone", "telefoonnummer",
    ),
    "name": (
        "name", "fullname", "customer", "customername", "client", "clientname", "kunde", "kundenname",
        "nom", "nomcomplet", "nombre", "nombrecompleto", "nome", "nomecompleto", "naam", "adsoyad",
        "isim", "subscriber", "subscribername",
    ),
    "first_name": ("firstname", "givenname", "vorname", "prenom", "primernombre", "voornaam"),
    "last_name": ("lastname", "surname", "familyname", "nachname", "nomdefamille", "apellido", "apellidos",
                  "cognome", "achternaam", "soyad", "sobrenome"),
    "mac": ("mac", "macaddress", "macaddr", "macadresse", "direccionmac", "adressemac", "stbmac", "devicemac",
            "magmac", "macid", "indirizzomac"),
    "expires": (
        "expires", "expiry", "expirydate", "expiration", "expirationdate", "expire", "expiredate", "expdate",
        "expiresat", "expireson", "validuntil", "validto", "enddate", "endsat", "paiduntil",
        "subscriptionend", "ablauf", "ablaufdatum", "gultigbis", "gueltigbis", "vencimiento",
        "fechadevencimiento", "fechavencimiento", "caducidad", "expiracion", "dateexpiration",
        "datedexpiration", "finabonnement", "scadenza", "datascadenza", "geldigtot", "vervaldatum",
        "bitis", "bitistarihi", "validade", "datadevalidade",
    ),
    "paid": (
        "paid", "amount", "price", "payment", "paidamount", "amountpaid", "total", "fee", "cost", "betrag",
        "preis", "bezahlt", "zahlung", "importe", "precio", "pagado", "pago", "montant", "prix", "paye",
        "paiement", "prezzo", "importo", "pagato", "bedrag", "prijs", "betaald", "tutar", "ucret", "odeme",
        "fiyat", "valor", "preco",
    ),
    "currency": ("currency", "curr", "ccy", "wahrung", "waehrung", "moneda", "devise", "valuta", "parabirimi",
                 "moeda"),
    "reseller": ("reseller", "resellername", "reselleruser", "dealer", "seller", "agent", "subreseller",
                 "wiederverkaufer", "wiederverkaeufer", "handler", "revendedor", "revendeur", "rivenditore",
                 "wederverkoper", "bayi"),
    "created": (
        "created", "createdat", "createdon", "creationdate", "datecreated", "createddate", "registered",
        "registeredat", "registrationdate", "signup", "signupdate", "joined", "joindate", "startdate",
        "since", "erstellt", "erstelltam", "angelegt", "registriert", "fechaalta", "alta", "fechadecreacion",
        "fecharegistro", "datecreation", "datedecreation", "dateinscription", "inscription",
        "datacreazione", "dataregistrazione", "aangemaakt", "kayittarihi", "datadecriacao", "date",
        "datum", "fecha",
    ),
    "country": ("country", "countrycode", "land", "pais", "pays", "paese", "ulke", "nation"),
    "notes": (
        "notes", "note", "comment", "comments", "remark", "remarks", "memo", "info", "description",
        "bemerkung", "bemerkungen", "notiz", "notizen", "kommentar", "notas", "nota", "comentario",
        "comentarios", "observaciones", "commentaire", "commentaires", "remarque", "remarques",
        "commento", "opmerking", "opmerkingen", "notlar", "aciklama", "adminnotes", "resellernotes",
        "observacoes",
    ),
}  # fmt: skip
_HEADER_FIELD = {synonym: field for field, synonyms in _SYNONYMS.items() for synonym in synonyms}

_CURRENCY_SYMBOLS = {
    "€": "EUR",
    "$": "USD",
    "£": "GBP",
    "₺": "TRY",
    "zł": "PLN",
    "₽": "RUB",
    "₹": "INR",
    "¥": "JPY",
}
_CURRENCY_CODE_RE = re.compile(
    r"\b(EUR|USD|GBP|CHF|TRY|PLN|SEK|NOK|DKK|CAD|AUD|RUB|BTC|USDT|ETH|XMR|LTC)\b", re.I
)
_AMOUNT_RE = re.compile(r"[-+]?[0-9]{1,15}(?:[.,' ][0-9]{3}){0,5}(?:[.,][0-9]{1,8})?")
_ISO_RE = re.compile(
    r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?:[T ]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]{1,9})?)?)?\s*(Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_DMY_RE = re.compile(
    r"([0-9]{1,2})([./-])([0-9]{1,2})\2([0-9]{4})(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?"
)
_EPOCH_RE = re.compile(r"[0-9]{9,10}(?:\.[0-9]{1,6})?")


@dataclass(frozen=True)
class CustomerRecord:
    """One customer row: mapped fields as written, parsed times and amount, and the raw row."""

    source: str  # sheet or table name; "" for CSV/TSV
    row: int  # CSV: line where the row starts; XLSX: sheet row number; SQLite: rowid
    email: str
    username: str
    password: str
    name: str
    phone: str
    mac: str
    expires: str
    expires_at: datetime | None  # UTC, only when the text is unambiguous
    paid: str
    amount: float | None
    currency: str
    reseller: str
    created: str
    created_at: datetime | None
    country: str
    notes: str
    raw: tuple[tuple[str, str], ...]  # (header, cell text) for every cell of the row


def normalise_header(text: str) -> str:
    """Fold a header cell for synonym matching: lower case, no accents, letters and digits only."""
    folded = unicodedata.normalize("NFKD", text.strip().lower().replace("ı", "i").replace("ß", "ss"))
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum())


def header_field(text: str) -> str | None:
    """The customer field a header cell stands for (``email``, ``password`` …), or None."""
    return _HEADER_FIELD.get(normalise_header(text[:200]))


def recognise_columns(header: Sequence[object]) -> dict[int, str] | None:
    """Column index -> field for a header row, or None when the row does not make a customer list."""
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for index, cell in enumerate(header):
        if cell is None:
            continue
        field = header_field(str(cell))
        if field is not None and field not in taken:
            mapping[index] = field
            taken.add(field)
    if not taken.intersection(IDENTITY_FIELDS) or len(taken) < 2:
        return None
    return mapping


def cell_text(value: object) -> str:
    """A cell value as text: dates ISO 8601, whole floats without ".0", bytes decoded, None as ""."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "backslashreplace")
    return str(value)[:MAX_CELL_CHARS]


def parse_time(value: object) -> datetime | None:
    """An unambiguous date/time cell to aware UTC: datetime/date objects, ISO 8601, YYYY/MM/DD,
    D.M.YYYY, D/M/YYYY when day > 12 (M/D/YYYY when the middle part is > 12), Unix epoch.
    Ambiguous or unreadable values give None (the text stays in the record)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _epoch(float(value))
    text = cell_text(value).strip()
    if not text or len(text) > 64:
        return None
    try:
        return _parse_time_text(text)
    except (ValueError, OverflowError):
        return None


def _epoch(seconds: float) -> datetime | None:
    if not 1e8 <= seconds < 1e10:  # 1973 … 2286: plausible Unix times only
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)


def _parse_time_text(text: str) -> datetime | None:
    if _EPOCH_RE.fullmatch(text):
        return _epoch(float(text))
    iso = _ISO_RE.fullmatch(text)
    if iso:
        year, month, day, hour, minute, second, zone = iso.groups()
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
        if zone and zone != "Z":
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return moment.replace(tzinfo=UTC)
    dmy = _DMY_RE.fullmatch(text)
    if dmy:
        first, separator, second_part, year, hour, minute, second = dmy.groups()
        a, b = int(first), int(second_part)
        if separator == ".":
            day, month = a, b  # dotted dates are day-first everywhere they are used
        elif a > 12 >= b:
            day, month = a, b
        elif b > 12 >= a:
            day, month = b, a
        elif a == b:
            day, month = a, b
        else:
            return None
        return datetime(int(year), month, day, int(hour or 0), int(minute or 0), int(second or 0), tzinfo=UTC)
    return None


def parse_amount(value: object) -> tuple[float | None, str]:
    """An amount cell to (number, ISO currency code from a symbol or code in it, else "")."""
    if isinstance(value, bool):
        return None, ""
    if isinstance(value, int | float):
        return float(value), ""
    text = cell_text(value)[:200]
    currency = ""
    code = _CURRENCY_CODE_RE.search(text)
    if code:
        currency = code.group(1).upper()
    else:
        currency = next((iso for symbol, iso in _CURRENCY_SYMBOLS.items() if symbol in text), "")
    match = _AMOUNT_RE.search(text)
    if match is None:
        return None, currency
    number = match.group().replace(" ", "").replace("'", "")
    if "," in number and "." in number:
        # The later separator is the decimal one: 1.234,56 or 1,234.56
        number = (
            number.replace(".", "").replace(",", ".")
            if number.rfind(",") > number.rfind(".")
            else number.replace(",", "")
        )
    elif "," in number:
        whole, _, fraction = number.rpartition(",")
        number = f"{whole.replace(',', '')}.{fraction}" if len(fraction) != 3 else number.replace(",", "")
    try:
        return float(number), currency
    except ValueError:
        return None, currency


def iter_customer_rows(
    rows: Iterable[tuple[int, Sequence[object]]], source: str = ""
) -> Iterator[CustomerRecord]:
    """Customer records from (row number, cells) pairs: the header is searched in the first
    ``HEADER_SEARCH_ROWS`` non-empty rows; nothing is returned when none qualifies."""
    mapping: dict[int, str] | None = None
    header: list[str] = []
    seen = 0
    for number, cells in rows:
        if mapping is None:
            if not any(cell_text(cell).strip() for cell in cells):
                continue
            seen += 1
            mapping = recognise_columns(cells)
            if mapping is None:
                if seen >= HEADER_SEARCH_ROWS:
                    return
                continue
            header = _unique_headers(cells)
            continue
        record = _record(source, number, cells, mapping, header)
        if record is not None:
            yield record


def _unique_headers(cells: Sequence[object]) -> list[str]:
    """Header texts, blank ones named ``columnN`` and repeated ones suffixed `` (2)``, `` (3)`` …"""
    headers: list[str] = []
    used: set[str] = set()
    copies: dict[str, int] = {}
    for index, cell in enumerate(cells):
        text = cell_text(cell).strip()[:200] or f"column{index + 1}"
        candidate = text
        while candidate in used:
            copies[text] = copies.get(text, 1) + 1
            candidate = f"{text} ({copies[text]})"
        used.add(candidate)
        headers.append(candidate)
    return headers


def _record(
    source: str, number: int, cells: Sequence[object], mapping: dict[int, str], header: list[str]
) -> CustomerRecord | None:
    values: dict[str, object] = {}
    for index, field in mapping.items():
        if index < len(cells) and cells[index] is not None and cell_text(cells[index]).strip():
            values[field] = cells[index]
    if not any(field in values for field in IDENTITY_FIELDS):
        return None

    def text(field: str) -> str:
        return cell_text(values.get(field)).strip()

    name = text("name") or " ".join(part for part in (text("first_name"), text("last_name")) if part)
    amount, symbol_currency = parse_amount(values["paid"]) if "paid" in values else (None, "")
    raw = tuple(
        (header[index] if index < len(header) else f"column{index + 1}", cell_text(cell))
        for index, cell in enumerate(cells)
    )
    return CustomerRecord(
        source=source,
        row=number,
        email=text("email"),
        username=text("username"),
        password=text("password"),
        name=name,
        phone=text("phone"),
        mac=text("mac"),
        expires=text("expires"),
        expires_at=parse_time(values.get("expires")),
        paid=text("paid"),
        amount=amount,
        currency=text("currency") or symbol_currency,
        reseller=text("reseller"),
        created=text("created"),
        created_at=parse_time(values.get("created")),
        country=text("country"),
        notes=text("notes"),
        raw=raw,
    )


# --- CSV / TSV -----------------------------------------------------------------------------------


class _PrefixedStream(io.RawIOBase):
    """A binary stream that first returns ``head`` and then the rest of ``stream``."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = memoryview(head)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head.nbytes:
            size = min(len(buffer), self._head.nbytes)
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def sniff_encoding(head: bytes) -> tuple[str, str]:
    """(codec, error handler) for a CSV from its first bytes: a BOM decides, else UTF-8 with
    surrogate escapes (cells that are not UTF-8 are re-read as Latin-1 by ``_fix_cell``)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "backslashreplace"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "surrogateescape"
    return "utf-8", "surrogateescape"


def sniff_delimiter(sample: str) -> str | None:
    """The delimiter among tab, semicolon, comma and pipe that occurs most in the first lines."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if lines and lines[0].lower().startswith("sep=") and len(lines[0].strip()) == 5:
        return lines[0].strip()[4]
    best, best_count = None, 0
    for candidate in ("\t", ";", ",", "|"):
        count = sum(_count_outside_quotes(line, candidate) for line in lines)
        if count > best_count:
            best, best_count = candidate, count
    return best


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for ch in line[:4096]:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


def _fix_cell(text: str) -> str:
    """Undo surrogate escapes: a cell that was not valid UTF-8 is read as Latin-1."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("latin-1")


def iter_csv_customers(stream: BinaryIO, delimiter: str | None = None) -> Iterator[CustomerRecord]:
    """Customer records from a CSV/TSV stream (streamed; delimiter sniffed unless given)."""
    head = stream.read(HEAD_BYTES)
    encoding, errors = sniff_encoding(head)
    sample = head.decode(encoding, "replace")
    skip_sep_line = False
    if delimiter is None:
        delimiter = sniff_delimiter(sample)
        first = next((line for line in sample.splitlines() if line.strip()), "")
        skip_sep_line = first.lower().startswith("sep=")
    if delimiter is None:
        return
    text = io.TextIOWrapper(
        io.BufferedReader(_PrefixedStream(head, stream)), encoding=encoding, errors=errors, newline=""
    )
    reader = csv.reader(text, delimiter=delimiter)
    yield from iter_customer_rows(_csv_rows(reader, skip_sep_line), "")


def _csv_rows(reader: Iterator[list[str]], skip_sep_line: bool) -> Iterator[tuple[int, list[str]]]:
    line = 0
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeError) as exc:
            raise ParseError(f"unreadable CSV: {exc}", line=start) from None
        line = reader.line_num  # type: ignore[attr-defined]
        if skip_sep_line:
            skip_sep_line = False
            if len(cells) == 1 and cells[0].lower().startswith("sep="):
                continue
        yield start, [_fix_cell(cell) for cell in cells]


# --- XLSX ----------------------------------------------------------------------------------------


def iter_xlsx_customers(data: bytes) -> Iterator[CustomerRecord]:
    """Customer records from every worksheet of an XLSX workbook (read-only mode)."""
    import openpyxl  # the only non-stdlib dependency of the parsers; imported where needed

    _check_zip(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises a wide range of types for damaged files
        raise ParseError(f"unreadable XLSX workbook: {type(exc).__name__}: {str(exc)[:200]}") from None
    try:
        for sheet in workbook.worksheets:
            if not hasattr(sheet, "iter_rows"):
                continue  # chart sheets
            sheet.reset_dimensions()  # ignore the declared size: a hostile one could claim a million columns
            rows = enumerate(sheet.iter_rows(values_only=True), start=1)
            try:
                yield from iter_customer_rows(rows, sheet.title)
            except ParseError:
                raise
            except Exception as exc:
                raise ParseError(
                    f"unreadable XLSX sheet {sheet.title[:64]!r}: {type(exc).__name__}: {str(exc)[:200]}"
                ) from None
    finally:
        workbook.close()


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ValueError,
        OSError,
        EOFError,
        NotImplementedError,
    ) as exc:
        raise ParseError(f"not an XLSX workbook (bad ZIP container: {exc})") from None
    if total > MAX_XLSX_UNCOMPRESSED:
        raise ParseError(f"XLSX expands to {total} bytes, more than the {MAX_XLSX_UNCOMPRESSED} allowed")


# --- SQLite --------------------------------------------------------------------------------------

SQLITE_MAGIC = b"SQLite format 3\x00"


def _sqlite_text(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def iter_sqlite_customers(data: bytes) -> Iterator[CustomerRecord]:
    """Customer records from every table of an SQLite database given as bytes (row = rowid)."""
    if not data.startswith(SQLITE_MAGIC):
        raise ParseError("not an SQLite database (bad header)")
    connection = sqlite3.connect(":memory:")
    # Text that is not valid UTF-8 (a damaged or hostile database) is kept with escapes, not fatal.
    connection.text_factory = _sqlite_text
    try:
        connection.deserialize(data)
        connection.execute("PRAGMA query_only = ON")
        connection.execute("PRAGMA trusted_schema = OFF")
        tables = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND coalesce(sql, '') NOT LIKE 'CREATE VIRTUAL%' ORDER BY rowid"
        ).fetchall()
        for (table,) in tables:
            yield from _sqlite_table(connection, str(table))
    except (sqlite3.Error, UnicodeError) as exc:  # column names that are not UTF-8 fail in the driver
        raise ParseError(f"unreadable SQLite database: {str(exc)[:200]}") from None
    finally:
        connection.close()


def _sqlite_table(connection: sqlite3.Connection, table: str) -> Iterator[CustomerRecord]:
    quoted = _quote_identifier(table)
    columns = [str(row[1]) for row in connection.execute(f"PRAGMA table_info({quoted})")]
    if recognise_columns(columns) is None:
        return
    try:
        cursor = connection.execute(f"SELECT rowid, * FROM {quoted}")
        numbered: Iterator[tuple[int, Sequence[object]]] = (
            (row[0] if isinstance(row[0], int) else index, row[1:])
            for index, row in enumerate(cursor, start=1)
        )
    except sqlite3.OperationalError:  # WITHOUT ROWID tables
        cursor = connection.execute(f"SELECT * FROM {quoted}")
        numbered = enumerate(cursor, start=1)
    yield from iter_customer_rows(_with_header(columns, numbered), table)


def _with_header(
    columns: list[str], rows: Iterator[tuple[int, Sequence[object]]]
) -> Iterator[tuple[int, Sequence[object]]]:
    yield 0, columns
    yield from rows

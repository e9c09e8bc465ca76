"""Streaming parser for mysqldump / MariaDB dumps, and the same rows from SQLite database files.

``iter_rows`` reads a dump as a binary stream and yields one ``SqlRow`` per tuple of every ``INSERT``
/ ``INSERT IGNORE`` / ``REPLACE`` statement, never holding more than a few MiB of it: long statements
are cut into blocks of complete rows at ``),(`` boundaries outside string literals.

Handled: extended INSERTs with many tuples, column lists, backtick / double-quoted and ``db``.``table``
names, every MySQL string escape (``\\0 \\' \\" \\b \\n \\r \\t \\Z \\\\ \\% \\_`` and doubled quotes),
``_binary '...'``, ``X'..'``, ``0x..`` and ``b'..'`` literals (as bytes), NULL, signed and decimal
numbers (decimals become floats), strings spanning lines, ``LOCK``/``UNLOCK TABLES``, ``/*!40101 ...*/;``
conditional comments, ``-- `` / ``#`` / ``/* */`` comments, ``DELIMITER`` blocks, ``CREATE TABLE`` (to
learn column names when INSERTs have none), any table order and CRLF line ends.

Text values are UTF-8 (mysqldump's default); a value that is not valid UTF-8 is kept with the bad bytes
written as ``\\xNN`` so nothing found in evidence is lost.

Errors: a broken INSERT (bad syntax, a truncated tuple, a dump cut off mid-statement) never loses the
good rows. Every complete tuple before the break is yielded, parsing resumes at the next statement,
and once the stream is exhausted one ``ParseError`` is raised naming the line of the first broken
statement (and how many there were). Callers should therefore use rows as they come and treat the
final ``ParseError`` as "this dump is damaged here".

Known limit: statement ends are found by counting single quotes, so a double-quoted string literal
containing a single quote (which mysqldump never writes) confuses statement boundaries.

Speed: a block of tuples is rewritten into one JSON array with bulk bytes operations and decoded by
the C JSON decoder, then checked; blocks using rarer syntax go through an exact token-by-token parser.
Both give identical values (the tests check that on generated input).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Container, Iterator
from dataclasses import dataclass
from itertools import chain, repeat
from typing import BinaryIO

from workbench.parsers.errors import ParseError

__all__ = ["SqlRow", "iter_rows", "iter_sqlite_rows", "table_names"]

CHUNK = 4 << 20  # bytes read from the stream at once
PIECE = 1 << 20  # a line longer than this is handed on in slices
BLOCK = 4 << 20  # a long INSERT is cut into blocks of complete rows about this long
MAX_ROW = 64 << 20  # a single tuple longer than this is reported as broken
MAX_HEAD = 64 << 10  # an INSERT/CREATE head still undecided after this many bytes is skipped
MAX_CREATE = 1 << 20  # CREATE TABLE statements longer than this are skipped (columns stay unknown)

Value = str | int | float | bytes | None


@dataclass(frozen=True, slots=True)
class SqlRow:
    """One tuple of one INSERT statement."""

    table: str  # table name without backticks/schema
    columns: tuple[str, ...]  # from the INSERT column list, else the CREATE TABLE seen earlier, else ()
    values: tuple[Value, ...]  # str | int | float | bytes (for _binary'..' and 0x.. literals) | None
    line: int  # 1-based line where the INSERT statement starts

    def as_dict(self) -> dict[str, Value]:
        """Column -> value, with positional names c0, c1 … where the column is unknown."""
        cols = self.columns
        if len(cols) == len(self.values):
            return dict(zip(cols, self.values, strict=True))
        return {(cols[i] if i < len(cols) else f"c{i}"): v for i, v in enumerate(self.values)}


_new = object.__new__
_slots = SqlRow.__dict__  # the slot descriptors of the four fields
_set_table = _slots["table"].__set__
_set_columns = _slots["columns"].__set__
_set_values = _slots["values"].__set__
_set_line = _slots["line"].__set__


def _new_row(table: str, columns: tuple[str, ...], values: tuple[Value, ...], line: int) -> SqlRow:
    """``SqlRow(...)`` for the hot path: fills the slots directly, as the generated frozen
    ``__init__`` does through ``object.__setattr__``, but about three times faster."""
    row = _new(SqlRow)
    _set_table(row, table)
    _set_columns(row, columns)
    _set_values(row, values)
    _set_line(row, line)
    return row


def iter_rows(stream: BinaryIO, tables: Container[str] | None = None) -> Iterator[SqlRow]:
    """Stream every row of every INSERT (or only of `tables`) from a mysqldump/MariaDB dump, never reading it whole."""
    yield from _DumpScanner(stream, tables, want_rows=True).run()


def table_names(stream: BinaryIO) -> list[str]:
    """Tables created or inserted into, in dump order (tolerant: a truncated dump gives what was seen)."""
    scanner = _DumpScanner(stream, None, want_rows=False)
    for _ in scanner.run():
        pass
    return list(scanner.names)


# --------------------------------------------------------------------------------------------------
# Reading lines


def _pieces(stream: BinaryIO) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, piece, piece ends its line): whole lines, or slices of lines longer than PIECE
    that never end inside an escape sequence (so every piece starts on a token boundary)."""
    read = stream.read
    lineno = 1
    pending = b""
    while True:
        chunk = read(CHUNK)
        data = pending + chunk if pending else chunk
        if not chunk:
            if data:
                yield lineno, data, False
            return
        start = 0
        find = data.find
        while True:
            nl = find(b"\n", start)
            if nl < 0:
                break
            yield lineno, data[start : nl + 1], True
            lineno += 1
            start = nl + 1
        pending = data[start:] if start else data
        if len(pending) >= PIECE:
            cut = len(pending.rstrip(b"\\"))  # never cut between a backslash and what it escapes
            if cut == 0 and len(pending) > 4 * PIECE:
                cut = len(pending)  # hostile run of backslashes: give up on exactness, bound memory
            if cut:
                yield lineno, pending[:cut], False
                pending = pending[cut:]


def _neutralise(data: bytes) -> bytes:
    """Same-length copy where escaped backslashes and escaped quotes can no longer be mistaken for
    string delimiters (``\\\\`` -> ``\\x01\\x01``, ``\\'`` -> ``\\x02\\x02``)."""
    if b"\\" not in data:
        return data
    return data.replace(b"\\\\", b"\x01\x01").replace(b"\\'", b"\x02\x02")


def _quote_parity(data: bytes) -> int:
    """1 when ``data`` (starting outside a string) leaves a single-quoted string open."""
    return _neutralise(data).count(b"'") & 1


def _ends_with(data: bytes | bytearray, delimiter: bytes) -> bool:
    """Whether ``data`` ends with the statement delimiter, ignoring trailing whitespace."""
    tail = bytes(data[-256:]).rstrip()
    if not tail and len(data) > 256:
        tail = bytes(data).rstrip()
    return tail.endswith(delimiter)


def _strip_delimiter(block: bytes, delimiter: bytes) -> bytes:
    """``block`` without trailing whitespace and statement delimiter."""
    block = block.rstrip()
    if block.endswith(delimiter):
        block = block[: -len(delimiter)].rstrip()
    return block


# --------------------------------------------------------------------------------------------------
# Statement heads and CREATE TABLE

_NAME = rb'(?:`(?:[^`]|``)+`|"(?:[^"]|"")+"|[A-Za-z0-9_$\x80-\xff]+)'
_QUALIFIED = _NAME + rb"(?:\s*\.\s*" + _NAME + rb")?"
_INSERT_HEAD = re.compile(
    rb"(?:INSERT|REPLACE)(?:\s+(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE))*\s+(?:INTO\s+)?"
    rb"(?P<name>" + _QUALIFIED + rb")\s*(?:\((?P<cols>[^()]*)\)\s*)?VALUES?\s*(?=\()",
    re.I,
)
_CREATE_HEAD = re.compile(
    rb"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rb"(?P<name>" + _QUALIFIED + rb")\s*\(",
    re.I,
)
_MAYBE_HEAD = re.compile(rb"(?:INSERT|REPLACE|CREATE)\b", re.I)
_INSERTISH = re.compile(rb"(?:INSERT|REPLACE)\b", re.I)
_NAME_PART = re.compile(_NAME)
_DELIMITER = re.compile(rb"DELIMITER[ \t]+(\S+)", re.I)
_DEFINITION_TOKEN = re.compile(
    rb"`(?:[^`]|``)*`|'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"|[(),]|[^`'\"(),]+", re.S
)
_NOT_COLUMNS = frozenset(
    {"PRIMARY", "KEY", "INDEX", "UNIQUE", "FULLTEXT", "SPATIAL", "CONSTRAINT", "FOREIGN", "CHECK", "PERIOD"}
)


def _ident(raw: bytes) -> str:
    """An identifier without its quotes, doubled quote characters undone."""
    if len(raw) >= 2 and raw[:1] in (b"`", b'"') and raw[-1:] == raw[:1]:
        q = raw[:1]
        raw = raw[1:-1].replace(q + q, q)
    return raw.decode("utf-8", "backslashreplace")


def _table_name(qualified: bytes) -> str:
    """The table part of ``name`` or ``db``.``name``."""
    parts = _NAME_PART.findall(qualified)
    return _ident(parts[-1]) if parts else ""


def _column_list(raw: bytes) -> tuple[str, ...]:
    """Names from an INSERT column list such as ```id`,`name```."""
    return tuple(_ident(p) for p in _NAME_PART.findall(raw))


def _create_columns(stmt: bytes, start: int) -> tuple[str, ...]:
    """Column names of a CREATE TABLE whose definitions begin at offset ``start``."""
    columns: list[str] = []
    depth = 1
    first_seen = False
    for m in _DEFINITION_TOKEN.finditer(stmt, start):
        tok = m.group()
        if tok == b"(":
            depth += 1
        elif tok == b")":
            depth -= 1
            if depth == 0:
                break
        elif tok == b"," and depth == 1:
            first_seen = False
            continue
        if depth != 1 or first_seen or not tok.strip():
            continue
        first_seen = True
        word = tok.strip()
        if word[:1] not in (b"`", b'"'):
            word = word.split()[0]
            if word.upper().decode("latin-1") in _NOT_COLUMNS or not _NAME_PART.fullmatch(word):
                continue
        columns.append(_ident(word))
    return tuple(columns)


# --------------------------------------------------------------------------------------------------
# Row values, fast path: rewrite a block of tuples into one JSON array, decode it in C, verify

_SCALARS = frozenset((int, float, str, type(None)))
_QUOTES_TO_JSON = bytes.maketrans(b"'", b'"')
_DQUOTE = ord('"')
# A MySQL escape (the byte after a backslash) -> the same character written for JSON.
_ESCAPE_TO_JSON = {
    ord("n"): b"\\n",
    ord("r"): b"\\r",
    ord("t"): b"\\t",
    ord("b"): b"\\b",
    ord('"'): b'\\"',
    ord("'"): b"'",
    ord("0"): b"\\u0000",
    ord("Z"): b"\\u001a",
}


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not an SQL literal")


_json_decode = json.JSONDecoder(strict=False, parse_constant=_no_constants).decode


def _as_json(block: bytes) -> bytes | None:
    """``block`` with its string literals written the JSON way (double quotes, JSON escapes), or None
    when a string uses an escape JSON has no identical form for, or contains a raw double quote."""
    if b"\\" not in block:
        return None if b'"' in block else block.translate(_QUOTES_TO_JSON)
    parts = block.split(b"\\")
    out = [parts[0].translate(_QUOTES_TO_JSON)]
    append = out.append
    escaped_dquotes = 0
    i, n = 1, len(parts)
    while i < n:
        part = parts[i]
        if part:
            json_escape = _ESCAPE_TO_JSON.get(part[0])
            if json_escape is None:
                return None
            if part[0] == _DQUOTE:
                escaped_dquotes += 1
            append(json_escape)
            append(part[1:].translate(_QUOTES_TO_JSON))
        else:  # an escaped backslash; the part after it is plain text
            i += 1
            if i == n:
                return None
            append(b"\\\\")
            append(parts[i].translate(_QUOTES_TO_JSON))
        i += 1
    if block.count(b'"') != escaped_dquotes:
        return None
    return b"".join(out)


def _fast_rows(block: bytes) -> list[list[Value]] | None:
    """Rows of a block of complete tuples ``(..),(..)``, or None when the block needs the exact parser
    (rarer literals or escapes, a string containing a raw double quote, ``NULL``/``null`` or ``),(``,
    invalid UTF-8, or a syntax error to report).

    The rewrite works on the whole block without locating string boundaries and is then verified:
    every ``),(`` must have become a row boundary, every ``null`` a None and every value a scalar."""
    if block[:1] != b"(" or block[-1:] != b")":
        return None
    text = _as_json(block)
    if text is None:
        return None
    rows_text = text.split(b"),(")
    rows_text[0] = b"[[" + rows_text[0][1:]
    rows_text[-1] = rows_text[-1][:-1] + b"]]"
    text = b"],[".join(rows_text)
    if b"NULL" in text:
        text = text.replace(b"NULL", b"null")
    try:
        rows = _json_decode(text.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    if len(rows) != len(rows_text):
        return None
    for row in rows:
        if type(row) is not list:
            return None
    if not set(map(type, chain.from_iterable(rows))) <= _SCALARS:
        return None
    if b"null" in text and sum(map(list.count, rows, repeat(None))) != text.count(b"null"):
        return None
    return rows


# --------------------------------------------------------------------------------------------------
# Row values, exact path: one token at a time

_VALUE_TOKEN = re.compile(
    rb"""
     (?P<ws>\s+)
    |(?P<open>\()
    |(?P<close>\))
    |(?P<comma>,)
    |(?P<str>(?:_(?P<cs>[A-Za-z0-9]+)\s*)?'(?P<sq>[^'\\]*(?:(?:\\.|'')[^'\\]*)*)')
    |(?P<dstr>"(?P<dq>[^"\\]*(?:(?:\\.|"")[^"\\]*)*)")
    |(?P<hex>0x(?P<hx>[0-9A-Fa-f]+)\b|[Xx]'(?P<hx2>[0-9A-Fa-f]*)')
    |(?P<bits>0b(?P<bt>[01]+)\b|[Bb]'(?P<bt2>[01]*)')
    |(?P<num>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<comment>/\*.*?\*/|--[^\n]*|\#[^\n]*)
    |(?P<semi>;)
    |(?P<other>.)
    """,
    re.S | re.X,
)
# Escapes and doubled quotes are resolved in one left-to-right pass: ``\\'\\'`` is two quotes.
_UNQUOTE = {b"'": re.compile(rb"\\(.)|''", re.S), b'"': re.compile(rb'\\(.)|""', re.S)}
_ESCAPES = {
    b"0": b"\x00",
    b"b": b"\b",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"Z": b"\x1a",
    b"%": b"\\%",
    b"_": b"\\_",
}
_WORDS: dict[bytes, Value] = {b"NULL": None, b"TRUE": 1, b"FALSE": 0, b"DEFAULT": None}


def _unescape(content: bytes, quote: bytes) -> bytes:
    """The bytes a MySQL string literal's content stands for."""
    if b"\\" not in content and quote + quote not in content:
        return content
    return _UNQUOTE[quote].sub(
        lambda m: quote if m.group(1) is None else _ESCAPES.get(m.group(1), m.group(1)), content
    )


def _text(raw: bytes) -> str:
    """A text value: UTF-8, with invalid bytes kept visibly as ``\\xNN``."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace")


def _token_value(m: re.Match[bytes], kind: str) -> Value:
    """The value of one literal token."""
    if kind == "str":
        raw = _unescape(m.group("sq"), b"'")
        return raw if (m.group("cs") or b"").lower() == b"binary" else _text(raw)
    if kind == "dstr":
        return _text(_unescape(m.group("dq"), b'"'))
    if kind == "hex":
        digits = m.group("hx") or m.group("hx2") or b""
        if len(digits) & 1:
            if m.group("hx2") is not None:
                raise ValueError("X'..' literal with an odd number of hex digits")
            digits = b"0" + digits
        return bytes.fromhex(digits.decode())
    if kind == "bits":
        digits = m.group("bt") or m.group("bt2") or b""
        return int(digits, 2).to_bytes((len(digits) + 7) // 8, "big") if digits else b""
    text = m.group()
    if kind == "num":
        return int(text) if text.lstrip(b"+-").isdigit() else float(text)
    word = text.upper()
    if word in _WORDS:
        return _WORDS[word]
    raise ValueError(f"unsupported expression {text[:40]!r}")


def _exact_rows(block: bytes, rows: list[tuple[Value, ...]]) -> tuple[str | None, int]:
    """Parse the tuples in ``block`` one token at a time, appending complete rows to ``rows``.

    Returns (the error, or None; the offset just after a top-level ``;``, or -1 if none was reached)."""
    pos, end = 0, len(block)
    match = _VALUE_TOKEN.match
    state = "row"  # row: expect '('; value; sep: ',' or ')'; next: ',' or ';'; tail: skip to ';'
    values: list[Value] = []
    while pos < end:
        m = match(block, pos)
        assert m is not None  # the last alternative matches any byte
        kind = m.lastgroup or ""
        if kind in ("ws", "comment"):
            pos = m.end()
            continue
        if kind == "other" and state != "tail":
            what = "string literal never closed" if m.group() in (b"'", b'"') else "unexpected"
            return f"{what}: {block[pos : pos + 20]!r}", -1
        pos = m.end()
        if state == "tail":
            if kind == "semi":
                return None, pos
        elif state == "row":
            if kind != "open":
                return f"expected '(' to start a row, found {m.group()[:20]!r}", -1
            values = []
            state = "value"
        elif state == "value":
            if kind == "close" and not values:
                rows.append(())
                state = "next"
            elif kind in ("open", "close", "comma", "semi"):
                return f"expected a value, found {m.group()[:20]!r}", -1
            else:
                try:
                    values.append(_token_value(m, kind))
                except ValueError as exc:
                    return str(exc), -1
                state = "sep"
        elif state == "sep":
            if kind == "comma":
                state = "value"
            elif kind == "close":
                rows.append(tuple(values))
                state = "next"
            else:
                return f"expected ',' or ')', found {m.group()[:20]!r}", -1
        elif kind == "comma":
            state = "row"
        elif kind == "semi":
            return None, pos
        elif kind == "word" and m.group().upper() == b"ON":
            state = "tail"  # ON DUPLICATE KEY UPDATE ...
        else:
            return f"expected ',' or ';' after a row, found {m.group()[:20]!r}", -1
    if state in ("value", "sep"):
        return "tuple cut off before its closing ')'", -1
    if state == "row" and rows:
        return "statement ends after ','", -1
    return None, -1


def _last_row_boundary(tmp: bytes) -> int:
    """Offset of the ``)`` closing the last complete row that is followed by ``,`` outside any string
    literal in the neutralised INSERT body ``tmp``, or -1."""
    end = len(tmp)
    inside = tmp.count(b"'") & 1
    while end > 0:
        quote = tmp.rfind(b"'", 0, end)
        if not inside:
            hit = tmp.rfind(b"),(", quote + 1, end)
            if hit >= 0:
                return hit
            m = _ROW_SEP.search(tmp, quote + 1, end)
            if m is not None:
                return m.start()
        if quote < 0:
            return -1
        end = quote
        inside ^= 1
    return -1


_ROW_SEP = re.compile(rb"\)\s*,\s*\(")


# --------------------------------------------------------------------------------------------------
# The scanner


class _DumpScanner:
    """State machine over the pieces of a dump: comments, statements, INSERT bodies."""

    def __init__(self, stream: BinaryIO, tables: Container[str] | None, *, want_rows: bool) -> None:
        self.stream = stream
        self.tables = tables
        self.want_rows = want_rows
        self.columns: dict[str, tuple[str, ...]] = {}
        self.names: dict[str, None] = {}  # tables seen, as an ordered set
        self.broken: list[tuple[int, str]] = []
        self.delimiter = b";"
        self.state = "idle"  # idle, comment, block_comment, head, create, insert, skip
        self.line = 0  # where the current statement starts
        self.buf = bytearray()
        self.parity = 0  # in "skip": 1 while a string literal is open
        self.table = ""
        self.row_columns: tuple[str, ...] = ()
        self.next_cut = BLOCK

    def run(self) -> Iterator[SqlRow]:
        """Yield the rows, then raise ParseError if any INSERT was broken or cut off."""
        for lineno, piece, eol in _pieces(self.stream):
            yield from self._feed(lineno, piece, eol)
        yield from self._finish()
        if self.broken:
            line, reason = self.broken[0]
            more = f" (and {len(self.broken) - 1} more broken statements)" if len(self.broken) > 1 else ""
            raise ParseError(f"{reason}{more}", line=line)

    def _feed(self, lineno: int, piece: bytes, eol: bool) -> Iterator[SqlRow]:
        state = self.state
        if state == "insert":
            self.buf += piece
            yield from self._insert_progress(eol)
        elif state == "skip":
            self.parity ^= _quote_parity(piece)
            if eol and not self.parity and _ends_with(piece, self.delimiter):
                self.state = "idle"
        elif state == "comment":
            if eol:
                self.state = "idle"
        elif state == "block_comment":
            end = piece.find(b"*/")
            if end >= 0:
                self.state = "idle"
                yield from self._idle(lineno, piece[end + 2 :], eol)
        elif state in ("head", "create"):
            self.buf += piece
            yield from self._head_progress(eol)
        else:
            yield from self._idle(lineno, piece, eol)

    def _idle(self, lineno: int, text: bytes, eol: bool) -> Iterator[SqlRow]:
        """Between statements: skip comments, note DELIMITER, start the next statement."""
        while True:
            text = text.lstrip()
            if not text:
                return
            if text[:2] == b"--" or text[:1] == b"#":
                if not eol:
                    self.state = "comment"
                return
            if text[:2] == b"/*" and text[:3] != b"/*!":
                end = text.find(b"*/", 2)
                if end < 0:
                    self.state = "block_comment"
                    return
                text = text[end + 2 :]
                continue
            m = _DELIMITER.match(text)
            if m is not None:
                self.delimiter = m.group(1)
                if not eol:
                    self.state = "comment"
                return
            break
        self.line = lineno
        if eol:
            rows = self._whole_line_insert(text)
            if rows is not None:
                yield from self._emit(rows)
                return
        self.buf = bytearray(text)
        self.state = "head"
        yield from self._head_progress(eol)

    def _whole_line_insert(self, text: bytes) -> list[list[Value]] | None:
        """The common mysqldump case, an entire INSERT on one line: its rows when the fast path
        decodes it, else None to take the general path."""
        if not self.want_rows or not _ends_with(text, self.delimiter):
            return None
        m = _INSERT_HEAD.match(text)
        if m is None:
            return None
        table = _table_name(m.group("name"))
        if self.tables is not None and table not in self.tables:
            return None
        rows = _fast_rows(_strip_delimiter(text[m.end() :], self.delimiter))
        if rows is not None:
            self.names.setdefault(table, None)
            self._start_insert(table, m.group("cols"))
        return rows

    def _start_insert(self, table: str, cols: bytes | None) -> None:
        self.table = table
        self.row_columns = _column_list(cols) if cols is not None else self.columns.get(table, ())

    def _terminated(self, eol: bool) -> bool:
        """The accumulated statement ends here (delimiter at a line end, no string left open)."""
        return eol and _ends_with(self.buf, self.delimiter) and not _quote_parity(bytes(self.buf))

    def _to_skip(self, eol: bool) -> None:
        """Ignore the rest of the current statement."""
        data = bytes(self.buf)
        self.buf = bytearray()
        self.parity = _quote_parity(data)
        done = eol and not self.parity and _ends_with(data, self.delimiter)
        self.state = "idle" if done else "skip"

    def _head_progress(self, eol: bool) -> Iterator[SqlRow]:
        """A statement has started: decide what it is once its head is complete."""
        buf = self.buf
        if self.state == "create":
            if self._terminated(eol):
                self._create_done()
            elif len(buf) > MAX_CREATE:
                self._to_skip(eol)
            return
        m = _INSERT_HEAD.match(buf)
        if m is not None:
            table = _table_name(m.group("name"))
            self.names.setdefault(table, None)
            if not self.want_rows or (self.tables is not None and table not in self.tables):
                self._to_skip(eol)
                return
            self._start_insert(table, m.group("cols"))
            del buf[: m.end()]
            self.state = "insert"
            self.next_cut = BLOCK
            yield from self._insert_progress(eol)
            return
        c = _CREATE_HEAD.match(buf)
        if c is not None:
            self.names.setdefault(_table_name(c.group("name")), None)
            self.state = "create"
            yield from self._head_progress(eol)
            return
        if _MAYBE_HEAD.match(buf) and len(buf) < MAX_HEAD and not self._terminated(eol):
            return  # the head continues on the next line
        if _INSERTISH.match(buf) and self.want_rows and not self._terminated(eol):
            self.broken.append((self.line, "INSERT statement without a readable VALUES list"))
        self._to_skip(eol)

    def _create_done(self) -> None:
        data = bytes(self.buf)
        m = _CREATE_HEAD.match(data)
        if m is not None:
            self.columns[_table_name(m.group("name"))] = _create_columns(data, m.end())
        self.buf = bytearray()
        self.state = "idle"

    def _insert_progress(self, eol: bool) -> Iterator[SqlRow]:
        """More of an INSERT body: decode it when it ends, or a block of it when it grows long."""
        buf = self.buf
        if eol and _ends_with(buf, self.delimiter):
            whole = bytes(buf)
            fast = _fast_rows(_strip_delimiter(whole, self.delimiter))
            if fast is not None:  # it decoded, so no string is left open: the statement ends here
                self.buf = bytearray()
                self.state = "idle"
                yield from self._emit(fast)
                return
            if not _quote_parity(whole):
                self.buf = bytearray()
                self.state = "idle"
                yield from self._exact(whole, final=True)
                return
        if len(buf) < self.next_cut:
            return
        tmp = _neutralise(bytes(buf))
        cut = _last_row_boundary(tmp)
        if cut < 0:
            if len(buf) > MAX_ROW:
                self.broken.append(
                    (self.line, f"row longer than {MAX_ROW >> 20} MiB in INSERT into `{self.table}`")
                )
                self._to_skip(eol)
            else:
                self.next_cut = len(buf) + BLOCK
            return
        block = bytes(buf[: cut + 1])
        del buf[: tmp.index(b"(", cut + 1)]
        self.next_cut = BLOCK
        yield from self._rows_of(block, final=False)

    def _emit(self, rows: list[list[Value]]) -> Iterator[SqlRow]:
        table, columns, line = self.table, self.row_columns, self.line
        for values in rows:
            yield _new_row(table, columns, tuple(values), line)

    def _rows_of(self, block: bytes, *, final: bool) -> Iterator[SqlRow]:
        """Rows of one block of complete tuples (``final``: it ends its statement, delimiter included)."""
        fast = _fast_rows(_strip_delimiter(block, self.delimiter) if final else block)
        if fast is not None:
            yield from self._emit(fast)
        else:
            yield from self._exact(block, final=final)

    def _exact(self, block: bytes, *, final: bool) -> Iterator[SqlRow]:
        """Rows of ``block`` through the exact parser, recording where it breaks."""
        table, columns, line = self.table, self.row_columns, self.line
        rows: list[tuple[Value, ...]] = []
        error, after = _exact_rows(block, rows)
        for values in rows:
            yield _new_row(table, columns, values, line)
        if error is not None:
            self.broken.append((line, f"broken INSERT into `{table}`: {error}"))
            if not final:
                self._to_skip(False)
            return
        if final and after >= 0:
            yield from self._same_line_statements(block[after:])

    def _same_line_statements(self, rest: bytes) -> Iterator[SqlRow]:
        """Further INSERTs written on the same line after a ';' (hand-written SQL)."""
        rest = rest.strip()
        m = _INSERT_HEAD.match(rest)
        if m is None:
            return
        table = _table_name(m.group("name"))
        self.names.setdefault(table, None)
        if self.tables is not None and table not in self.tables:
            return
        self._start_insert(table, m.group("cols"))
        yield from self._rows_of(rest[m.end() :], final=True)

    def _finish(self) -> Iterator[SqlRow]:
        """End of input: a statement still open was cut off."""
        if self.state == "insert":
            block = bytes(self.buf).rstrip()
            self.buf = bytearray()
            self.state = "idle"
            before = len(self.broken)
            yield from self._rows_of(block, final=True)
            if len(self.broken) == before:
                self.broken.append((self.line, f"INSERT into `{self.table}` cut off at end of input"))
        elif self.state == "create":
            self._create_done()
            if self.want_rows:
                self.broken.append((self.line, "CREATE TABLE cut off at end of input"))
        elif self.state == "head" and _INSERTISH.match(self.buf) and self.want_rows:
            self.broken.append((self.line, "INSERT statement cut off at end of input"))


# --------------------------------------------------------------------------------------------------
# SQLite

_SQLITE_MAGIC = b"SQLite format 3\x00"


def iter_sqlite_rows(data: bytes, tables: Container[str] | None = None) -> Iterator[SqlRow]:
    """The same rows from an SQLite database file's bytes (line = rowid)."""
    if len(data) < 100 or not data.startswith(_SQLITE_MAGIC):
        raise ParseError("not an SQLite 3 database (bad header)", offset=0)
    image = bytearray(data)
    if image[18] == 2 or image[19] == 2:  # WAL mode: open the in-memory copy as a rollback-journal database
        image[18] = image[19] = 1
    conn = sqlite3.connect(":memory:")
    try:
        conn.text_factory = _text
        try:
            conn.deserialize(bytes(image))
            names = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY rowid")
            ]
            for name in names:
                if not isinstance(name, str) or (tables is not None and name not in tables):
                    continue
                yield from _sqlite_table(conn, name)
        except sqlite3.Error as exc:
            raise ParseError(f"unreadable SQLite database: {exc}") from None
    finally:
        conn.close()


def _sqlite_table(conn: sqlite3.Connection, name: str) -> Iterator[SqlRow]:
    """Rows of one SQLite table in rowid order (numbered 1, 2 … for WITHOUT ROWID tables)."""
    quoted = '"' + name.replace('"', '""') + '"'
    try:
        cur = conn.execute(f"SELECT rowid, * FROM {quoted} ORDER BY rowid")
        has_rowid = True
    except sqlite3.OperationalError:
        cur = conn.execute(f"SELECT * FROM {quoted}")
        has_rowid = False
    names = tuple(d[0] for d in cur.description)
    if has_rowid:
        columns = names[1:]
        for row in cur:
            yield SqlRow(name, columns, tuple(row[1:]), int(row[0]))
    else:
        for ordinal, row in enumerate(cur, 1):
            yield SqlRow(name, names, tuple(row), ordinal)

"""YARA scanning behind one interface: YARA-X (``yara_x``, the default) and libyara (``yara``).

``load_rules`` compiles rule packs (one folder each; the folder name is the YARA namespace) into a
``Ruleset``. In ``auto`` mode every pack is compiled with YARA-X; a pack YARA-X refuses falls back
to libyara with a warning naming the refused rule, and a pack neither engine accepts raises
``RuleError`` naming file and line. ``Ruleset.scan`` returns the same ``YaraMatch`` records
whichever engine ran: rules in pack/declaration order, string matches sorted by offset and
identifier, excerpts cut from the scanned data, meta values normalised to str/int/bool. One known
divergence remains: for a hex string with a jump followed by alternatives (``{ 41 [0-8] ( 42 | 43 ) }``)
the engines may report different match lengths at the same offset (YARA-X the longest), so the
excerpt of such a match can differ in length; identifiers and offsets agree.

Includes are resolved here, not by the engines: each pack's top-level files (those no other file
of the pack includes) are concatenated with every ``include`` inlined, and a line map turns engine
line numbers back into ``file:line``. Includes must stay inside the pack folder.
"""

from __future__ import annotations

import bisect
import contextlib
import importlib.metadata
import io
import json
import os
import re
import struct
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yara
import yara_x

from workbench.hashing import sha256_file
from workbench.plugin_api import YaraMatch

__all__ = [
    "ENGINES",
    "RULE_SUFFIXES",
    "CompileResult",
    "Diagnostic",
    "MetaEntry",
    "PackText",
    "ParsedSource",
    "RuleError",
    "RuleFile",
    "RulePack",
    "RuleSource",
    "Ruleset",
    "ScanTimeout",
    "StringDef",
    "compile_pack",
    "compile_text",
    "display_path",
    "find_packs",
    "find_rule_files",
    "inline_pack",
    "load_packs",
    "load_rules",
    "parse_source",
    "unescape_text",
]

ENGINES = ("auto", "yara-x", "yara")
RULE_SUFFIXES = (".yar", ".yara")
_SKIPPED_DIRS = frozenset({"samples", "__pycache__"})
_BLOB_MAGIC = b"ISOP-YARA-RULESET/1\n"


class RuleError(ValueError):
    """A rule pack that cannot be used; ``str(err)`` is one line ``<file>:<line>: <message>``."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {message}")
        self.file = file
        self.line = line
        self.message = message

    def __reduce__(self) -> tuple[Any, tuple[str, int | None, str]]:
        return (RuleError, (self.file, self.line, self.message))


class ScanTimeout(Exception):
    """A scan ran longer than its timeout; the pipeline records it against the file and goes on.

    Deliberately not an ``OSError``/``TimeoutError``, so handlers of read errors do not swallow it."""

    def __init__(self, engine: str, seconds: int) -> None:
        super().__init__(f"YARA scan ({engine}) exceeded its timeout of {seconds} s")
        self.engine = engine
        self.seconds = seconds

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        return (ScanTimeout, (self.engine, self.seconds))


@dataclass(frozen=True)
class RuleFile:
    """One rule file in use: absolute path, pack (= YARA namespace) and content hash."""

    path: str
    pack: str
    sha256: str


@dataclass(frozen=True)
class RulePack:
    """A pack folder and the rule files of it that are in use."""

    name: str
    directory: str
    files: tuple[RuleFile, ...]  # every rule file used, included ones too, sorted by path
    top_files: tuple[str, ...]  # files compiled directly (not included by another file of the pack)


def display_path(path: str | Path) -> str:
    """``path`` relative to the working directory when it lies below it, else absolute."""
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute.startswith(cwd + os.sep):
        return os.path.relpath(absolute, cwd)
    return absolute


# ---------------------------------------------------------------------------------------------
# A small, tolerant reader of YARA source: rules, meta, strings, conditions, imports, includes.
# It never raises; compilation errors are the engines' business.


@dataclass(frozen=True)
class MetaEntry:
    """One ``key = value`` line of a rule's meta section."""

    key: str
    value: str | int | bool | float
    line: int


@dataclass(frozen=True)
class StringDef:
    """One string definition: identifier, kind (text, hex, regex), raw body, modifiers, line."""

    identifier: str
    kind: str
    value: str  # body as written: between quotes, braces or slashes
    modifiers: tuple[str, ...]
    line: int
    regex_flags: str = ""


@dataclass(frozen=True)
class RuleSource:
    """One rule as written in the source, with its span (offsets and lines)."""

    name: str
    line: int
    end_line: int
    start: int
    end: int
    is_private: bool
    is_global: bool
    tags: tuple[str, ...]
    meta: tuple[MetaEntry, ...]
    strings: tuple[StringDef, ...]
    condition: str
    condition_line: int

    def meta_value(self, key: str) -> str | int | bool | float | None:
        """The last value given to meta ``key``, or None."""
        value = None
        for entry in self.meta:
            if entry.key == key:
                value = entry.value
        return value


@dataclass(frozen=True)
class Include:
    """An ``include "path"`` statement and its span in the source."""

    path: str
    line: int
    start: int
    end: int


@dataclass(frozen=True)
class ParsedSource:
    """What ``parse_source`` found: imports, includes and rules in source order."""

    imports: tuple[str, ...]
    includes: tuple[Include, ...]
    rules: tuple[RuleSource, ...]

    def rule_at(self, line: int) -> RuleSource | None:
        """The rule whose span covers ``line`` (1-based), or None."""
        for rule in self.rules:
            if rule.line <= line <= rule.end_line:
                return rule
        return None


_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER_RE = re.compile(r"-?(?:0x[0-9A-Fa-f]+|0o[0-7]+|\d+(?:\.\d+)?)")
_REGEX_FLAGS_RE = re.compile(r"[is]*")
_SECTIONS = frozenset({"meta", "strings", "condition"})
_STRING_MODIFIERS = frozenset(
    {"nocase", "wide", "ascii", "fullword", "private", "xor", "base64", "base64wide"}
)


class _Reader:
    """Cursor over YARA source text that knows lines, comments and literals."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        """1-based line number of ``offset``."""
        return bisect.bisect_right(self._line_starts, offset)

    def at_end(self) -> bool:
        """True when the whole text has been read."""
        return self.pos >= len(self.text)

    def char(self) -> str:
        """The character under the cursor ('' at the end)."""
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_trivia(self) -> None:
        """Skip whitespace and comments."""
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c.isspace():
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                self.pos = len(text) if end < 0 else end + 2
            else:
                return

    def peek_word(self) -> str:
        """The identifier under the cursor, without consuming it ('' if none)."""
        m = _IDENT_RE.match(self.text, self.pos)
        return m.group(0) if m else ""

    def read_word(self) -> str:
        """Consume and return the identifier under the cursor ('' if none)."""
        word = self.peek_word()
        self.pos += len(word)
        return word

    def next_is(self, char: str) -> bool:
        """After skipping trivia, is the next character ``char``? (Does not consume it.)"""
        self.skip_trivia()
        return self.text.startswith(char, self.pos)

    def read_delimited(self, close: str) -> str:
        """Consume a literal opened at the cursor and closed by ``close`` (backslash escapes;
        a newline ends an unterminated one); return its body."""
        text = self.text
        self.pos += 1
        start = self.pos
        while self.pos < len(text):
            c = text[self.pos]
            if c == "\\":
                self.pos += 2
                continue
            if c == close:
                body = text[start : self.pos]
                self.pos += 1
                return body
            if c == "\n":
                break
            self.pos += 1
        self.pos = min(self.pos, len(text))
        return text[start : self.pos]

    def read_until(self, close: str) -> str:
        """Consume from the cursor (an opening character) to ``close``; return the body."""
        end = self.text.find(close, self.pos + 1)
        if end < 0:
            end = len(self.text)
        body = self.text[self.pos + 1 : end]
        self.pos = min(end + 1, len(self.text))
        return body

    def at_section(self) -> bool:
        """Is the cursor at ``meta:``, ``strings:`` or ``condition:``?"""
        word = self.peek_word()
        if word not in _SECTIONS:
            return False
        after = self.pos + len(word)
        while after < len(self.text) and self.text[after] in " \t\r\n":
            after += 1
        return self.text.startswith(":", after)


def unescape_text(body: str) -> bytes:
    """The bytes a YARA text string stands for (``\\n \\t \\r \\" \\\\ \\xHH``)."""
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            simple = {"n": b"\n", "t": b"\t", "r": b"\r", '"': b'"', "\\": b"\\"}
            if nxt in simple:
                out += simple[nxt]
                i += 2
                continue
            if nxt == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", body[i + 2 : i + 4]):
                out.append(int(body[i + 2 : i + 4], 16))
                i += 4
                continue
        out += c.encode("utf-8", "surrogatepass")
        i += 1
    return bytes(out)


def _read_meta(reader: _Reader) -> list[MetaEntry]:
    entries: list[MetaEntry] = []
    while True:
        reader.skip_trivia()
        if reader.at_end() or reader.char() == "}" or reader.at_section():
            return entries
        line = reader.line_of(reader.pos)
        key = reader.read_word()
        if not key:
            reader.pos += 1
            continue
        if not reader.next_is("="):
            continue
        reader.pos += 1
        reader.skip_trivia()
        value: str | int | bool | float
        if reader.char() == '"':
            value = unescape_text(reader.read_delimited('"')).decode("utf-8", "backslashreplace")
        elif reader.peek_word() in ("true", "false"):
            value = reader.read_word() == "true"
        else:
            m = _NUMBER_RE.match(reader.text, reader.pos)
            if not m:
                continue
            reader.pos = m.end()
            number = m.group(0)
            if "." in number:
                value = float(number)
            else:
                value = int(number, 0) if number.lstrip("-")[1:2] in ("x", "o") else int(number, 10)
        entries.append(MetaEntry(key, value, line))


def _read_modifiers(reader: _Reader) -> tuple[str, ...]:
    modifiers: list[str] = []
    while True:
        reader.skip_trivia()
        word = reader.peek_word()
        if word not in _STRING_MODIFIERS:
            return tuple(modifiers)
        reader.pos += len(word)
        if reader.next_is("("):
            # modifier arguments: xor(1-255), base64("alphabet")
            start = reader.pos
            depth = 0
            while not reader.at_end():
                c = reader.char()
                if c == '"':
                    reader.read_delimited('"')
                    continue
                reader.pos += 1
                if c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                    if depth == 0:
                        break
                elif c in "\n}":
                    break
            word += reader.text[start : reader.pos]
        modifiers.append(word)


def _read_strings(reader: _Reader) -> list[StringDef]:
    strings: list[StringDef] = []
    while True:
        reader.skip_trivia()
        if reader.at_end() or reader.char() == "}" or reader.at_section():
            return strings
        if reader.char() != "$":
            reader.pos += 1
            continue
        line = reader.line_of(reader.pos)
        reader.pos += 1
        identifier = "$" + reader.read_word()
        if not reader.next_is("="):
            continue
        reader.pos += 1
        reader.skip_trivia()
        opener = reader.char()
        flags = ""
        if opener == '"':
            kind, body = "text", reader.read_delimited('"')
        elif opener == "{":
            kind, body = "hex", reader.read_until("}")
        elif opener == "/":
            kind, body = "regex", reader.read_delimited("/")
            flags_match = _REGEX_FLAGS_RE.match(reader.text, reader.pos)
            flags = flags_match.group(0) if flags_match else ""
            reader.pos += len(flags)
        else:
            continue
        strings.append(StringDef(identifier, kind, body, _read_modifiers(reader), line, flags))


def _read_condition(reader: _Reader) -> str:
    """Consume a condition up to (not including) the rule's closing brace."""
    text = reader.text
    start = reader.pos
    last_word = ""
    while not reader.at_end():
        c = reader.char()
        if c == "}":
            break
        if text.startswith("//", reader.pos) or text.startswith("/*", reader.pos):
            reader.skip_trivia()
        elif c == '"':
            reader.read_delimited('"')
            last_word = ""
        elif c == "/" and last_word == "matches":
            reader.read_delimited("/")
            last_word = ""
        elif _IDENT_RE.match(c):
            last_word = reader.read_word()
        else:
            if not c.isspace():
                last_word = ""
            reader.pos += 1
    return text[start : reader.pos].strip()


def _read_rule(reader: _Reader, start: int) -> RuleSource | None:
    """Read a rule whose first keyword starts at ``start`` (cursor there); None if malformed."""
    is_private = is_global = False
    while True:
        word = reader.read_word()
        if word == "private":
            is_private = True
        elif word == "global":
            is_global = True
        elif word == "rule":
            break
        else:
            return None
        reader.skip_trivia()
    reader.skip_trivia()
    name = reader.read_word()
    line = reader.line_of(start)
    if not name:
        return None
    tags: list[str] = []
    if reader.next_is(":"):
        reader.pos += 1
        while True:
            reader.skip_trivia()
            tag = reader.read_word()
            if not tag:
                break
            tags.append(tag)
    if not reader.next_is("{"):
        return None
    reader.pos += 1
    meta: list[MetaEntry] = []
    strings: list[StringDef] = []
    condition, condition_line = "", line
    while True:
        reader.skip_trivia()
        if reader.at_end():
            break
        if reader.char() == "}":
            reader.pos += 1
            break
        if not reader.at_section():
            reader.pos += 1
            continue
        section = reader.read_word()
        reader.skip_trivia()
        reader.pos += 1  # the colon
        if section == "meta":
            meta.extend(_read_meta(reader))
        elif section == "strings":
            strings.extend(_read_strings(reader))
        else:
            reader.skip_trivia()
            condition_line = reader.line_of(reader.pos)
            condition = _read_condition(reader)
    end = reader.pos
    return RuleSource(
        name=name,
        line=line,
        end_line=reader.line_of(max(start, end - 1)),
        start=start,
        end=end,
        is_private=is_private,
        is_global=is_global,
        tags=tuple(tags),
        meta=tuple(meta),
        strings=tuple(strings),
        condition=condition,
        condition_line=condition_line,
    )


def parse_source(text: str) -> ParsedSource:
    """Read the rules, meta, strings, conditions, imports and includes of YARA source text.

    Tolerant: malformed parts are skipped, never raised on (the engines report syntax errors)."""
    reader = _Reader(text)
    imports: list[str] = []
    includes: list[Include] = []
    rules: list[RuleSource] = []
    while True:
        reader.skip_trivia()
        if reader.at_end():
            break
        start = reader.pos
        word = reader.peek_word()
        if word in ("import", "include"):
            reader.pos += len(word)
            if reader.next_is('"'):
                body = reader.read_delimited('"')
                if word == "import":
                    imports.append(body)
                else:
                    includes.append(Include(body, reader.line_of(start), start, reader.pos))
        elif word in ("rule", "private", "global"):
            rule = _read_rule(reader, start)
            if rule is not None:
                rules.append(rule)
        if reader.pos == start:
            reader.pos += max(1, len(word))
    return ParsedSource(tuple(imports), tuple(includes), tuple(rules))


# ---------------------------------------------------------------------------------------------
# Finding rule files and packs, and inlining includes.


def _is_rule_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in RULE_SUFFIXES


def _pack_rule_files(directory: Path) -> list[Path]:
    """Rule files of a pack folder, recursively, skipping samples/ and hidden folders."""
    found: list[Path] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        found.extend(Path(root, f) for f in files if Path(f).suffix.lower() in RULE_SUFFIXES)
    return sorted(found, key=lambda p: p.relative_to(directory).as_posix())


def _looks_like_pack(directory: Path) -> bool:
    if (directory / "samples").is_dir():
        return True
    return any(_is_rule_file(child) for child in directory.iterdir())


def _read_rule_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RuleError(display_path(path), line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x})") from None


def _resolve_include(including: Path, target: str, pack_dir: Path, line: int) -> Path:
    """The file an include statement names, checked to lie inside the pack folder."""
    candidate = Path(target)
    resolved = (candidate if candidate.is_absolute() else including.parent / candidate).resolve()
    root = pack_dir.resolve()
    if resolved != root and root not in resolved.parents:
        raise RuleError(
            display_path(including),
            line,
            f'include "{target}" escapes the pack folder {display_path(pack_dir)}',
        )
    if not resolved.is_file():
        raise RuleError(display_path(including), line, f'include "{target}": no such file')
    return resolved


def _included_files(path: Path, pack_dir: Path) -> list[Path]:
    """Files ``path`` includes directly that exist inside the pack (others are reported at load)."""
    try:
        text = _read_rule_text(path)
    except (RuleError, OSError):
        return []
    found = []
    for inc in parse_source(text).includes:
        try:
            found.append(_resolve_include(path, inc.path, pack_dir, inc.line))
        except RuleError:
            continue
    return found


def _make_pack(name: str, directory: Path, paths: Iterable[Path]) -> RulePack:
    resolved = sorted({p.resolve() for p in paths})
    included: set[Path] = set()
    queue = list(resolved)
    seen = set(resolved)
    while queue:
        current = queue.pop()
        for target in _included_files(current, directory):
            included.add(target)
            if target not in seen:
                seen.add(target)
                queue.append(target)
    all_files = sorted(seen)
    # when every file is included by another one the includes form a cycle: inlining reports it
    top = [p for p in resolved if p not in included] or resolved
    return RulePack(
        name=name,
        directory=str(directory.resolve()),
        files=tuple(RuleFile(str(p), name, sha256_file(p)) for p in all_files),
        top_files=tuple(str(p) for p in top),
    )


def find_packs(paths: Sequence[str | Path]) -> list[RulePack]:
    """Packs named by ``paths``: pack folders, folders of packs, or single .yar/.yara files
    (a file's pack is its folder). Sorted by folder; samples/ and hidden folders are skipped."""
    chosen: dict[Path, list[Path]] = {}
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise RuleError(str(given), None, "no such file or directory")
        if path.is_file():
            if path.suffix.lower() not in RULE_SUFFIXES:
                raise RuleError(str(given), None, "not a rule file (expected .yar or .yara)")
            chosen.setdefault(path.parent.resolve(), []).append(path)
        elif _looks_like_pack(path):
            chosen.setdefault(path.resolve(), []).extend(_pack_rule_files(path))
        else:
            for child in sorted(path.iterdir()):
                if child.is_dir() and child.name not in _SKIPPED_DIRS and not child.name.startswith("."):
                    files = _pack_rule_files(child)
                    if files:
                        chosen.setdefault(child.resolve(), []).extend(files)
    packs: list[RulePack] = []
    by_name: dict[str, str] = {}
    for directory in sorted(chosen):
        if not chosen[directory]:
            continue
        pack = _make_pack(directory.name, directory, chosen[directory])
        if pack.name in by_name:
            raise RuleError(
                display_path(directory),
                None,
                f"pack name {pack.name!r} is already used by {display_path(by_name[pack.name])}",
            )
        by_name[pack.name] = pack.directory
        packs.append(pack)
    return packs


def find_rule_files(paths: Sequence[str | Path]) -> list[RuleFile]:
    """Every rule file in use under ``paths`` (see ``find_packs``), sorted by path."""
    return sorted((f for pack in find_packs(paths) for f in pack.files), key=lambda f: f.path)


@dataclass(frozen=True)
class PackText:
    """A pack's top-level files concatenated, includes inlined, with the origin of every line."""

    pack: str
    text: str
    origins: tuple[tuple[str, int], ...]  # (file, line) of each line of ``text``

    def locate(self, line: int | None) -> tuple[str, int | None]:
        """``(file, line)`` in the original sources for ``line`` of ``text``."""
        if line is None or not self.origins:
            return (self.origins[0][0] if self.origins else self.pack, None)
        index = min(max(line, 1), len(self.origins)) - 1
        return self.origins[index]


def _inline_file(
    path: Path, pack_dir: Path, stack: tuple[Path, ...], out: list[tuple[str, str, int]]
) -> None:
    """Append ``(chunk, file, first line)`` pieces of ``path`` with its includes inlined."""
    text = _read_rule_text(path)
    parsed = parse_source(text)
    cursor = 0
    for inc in parsed.includes:
        target = _resolve_include(path, inc.path, pack_dir, inc.line)
        if target in stack or target == path:
            raise RuleError(display_path(path), inc.line, f'include "{inc.path}" forms a cycle')
        out.append((text[cursor : inc.start], str(path), text.count("\n", 0, cursor) + 1))
        _inline_file(target, pack_dir, (*stack, path), out)
        cursor = inc.end
    out.append((text[cursor:], str(path), text.count("\n", 0, cursor) + 1))


def inline_pack(pack: RulePack) -> PackText:
    """The pack's top-level files as one source text with includes inlined (raises RuleError
    for includes that escape the pack, are missing or form a cycle, and for non-UTF-8 files)."""
    pieces: list[tuple[str, str, int]] = []
    for top in pack.top_files:
        _inline_file(Path(top), Path(pack.directory), (), pieces)
    text_parts: list[str] = []
    origins: list[tuple[str, int]] = []
    for chunk, file, first_line in pieces:
        if not chunk:
            continue
        if text_parts and not text_parts[-1].endswith("\n"):
            text_parts.append("\n")
        text_parts.append(chunk)
        line_count = chunk.count("\n") + (0 if chunk.endswith("\n") else 1)
        origins.extend((file, first_line + k) for k in range(line_count))
    return PackText(pack.name, "".join(text_parts), tuple(origins))


# ---------------------------------------------------------------------------------------------
# Compiling one pack with one engine.


@dataclass(frozen=True)
class Diagnostic:
    """A compiler error or warning located in the original sources."""

    engine: str  # "yara-x" | "yara"
    file: str
    line: int | None
    message: str
    code: str = ""
    rule: str | None = None  # the rule whose span covers the line, if any

    def __str__(self) -> str:
        where = f"{display_path(self.file)}:{self.line}" if self.line is not None else display_path(self.file)
        return f"{where}: {self.message}"


@dataclass
class CompileResult:
    """The outcome of compiling one pack with one engine."""

    engine: str
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the pack compiled without errors."""
        return not self.errors


_LIBYARA_LOCATION_RE = re.compile(
    r"^(?:line (?P<line>\d+)|(?P<file>.*)\((?P<fline>\d+)\)): (?P<message>.*)$", re.S
)


def _libyara_diagnostic(raw: str, pack_text: PackText, parsed: ParsedSource, kind: str) -> Diagnostic:
    m = _LIBYARA_LOCATION_RE.match(raw.strip())
    line = None
    message = raw.strip()
    if m:
        line = int(m.group("line") or m.group("fline"))
        message = m.group("message").strip()
    rule = parsed.rule_at(line) if line is not None else None
    file, original_line = pack_text.locate(line)
    return Diagnostic(
        "yara", file, original_line, " ".join(message.split()), kind, rule.name if rule else None
    )


def _yara_x_diagnostic(entry: dict[str, Any], pack_text: PackText, parsed: ParsedSource) -> Diagnostic:
    line = entry.get("line")
    title = str(entry.get("title", "")).strip()
    labels = [str(label.get("text", "")).strip() for label in entry.get("labels", []) if label.get("text")]
    message = title + (f" ({'; '.join(labels)})" if labels and labels[0] != title else "")
    rule = parsed.rule_at(line) if isinstance(line, int) else None
    file, original_line = pack_text.locate(line if isinstance(line, int) else None)
    return Diagnostic(
        "yara-x",
        file,
        original_line,
        " ".join(message.split()),
        str(entry.get("code", "")),
        rule.name if rule else None,
    )


def _compile_yara_x(
    namespaced: Sequence[tuple[str, str]],
) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
    """Compile (namespace, text) pairs with YARA-X; (rules or None, errors, warnings)."""
    compiler = yara_x.Compiler(includes_enabled=False)
    for namespace, text in namespaced:
        compiler.new_namespace(namespace)
        # add_source raises on the first error, but compiler.errors() collects all of them
        with contextlib.suppress(yara_x.CompileError):
            compiler.add_source(text, origin=namespace)
    errors = list(compiler.errors())
    warnings = list(compiler.warnings())
    return (None if errors else compiler.build()), errors, warnings


def _blank(text: str, start: int, end: int) -> str:
    """``text`` with ``[start, end)`` replaced by spaces (newlines kept, so lines stay put)."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _compile_libyara(
    pack_text: PackText, parsed: ParsedSource, all_errors: bool
) -> tuple[Any, CompileResult]:
    """Compile with libyara. libyara stops at the first error, so with ``all_errors`` the rule
    holding each error is blanked out and the pack recompiled until it passes."""
    result = CompileResult("yara")
    text = pack_text.text
    blanked: set[str] = set()
    for _ in range(len(parsed.rules) + 1):
        try:
            compiled = yara.compile(sources={pack_text.pack: text}, includes=False)
        except yara.Error as exc:
            error = _libyara_diagnostic(str(exc), pack_text, parsed, "error")
            result.errors.append(error)
            rule = next((r for r in parsed.rules if r.name == error.rule), None)
            if not all_errors or rule is None or rule.name in blanked:
                return None, result
            blanked.add(rule.name)
            text = _blank(text, rule.start, rule.end)
            continue
        result.warnings = [
            _libyara_diagnostic(w, pack_text, parsed, "warning") for w in getattr(compiled, "warnings", [])
        ]
        return (None if result.errors else compiled), result
    return None, result


def compile_pack(
    pack_text: PackText, engine: str, parsed: ParsedSource | None = None, *, all_errors: bool = False
) -> tuple[Any, CompileResult]:
    """Compile one pack's text with ``engine`` ("yara-x" or "yara"): (compiled rules or None,
    result). YARA-X always reports every error; libyara only with ``all_errors``."""
    parsed = parsed or parse_source(pack_text.text)
    if engine == "yara-x":
        result = CompileResult(engine)
        rules, errors, warnings = _compile_yara_x([(pack_text.pack, pack_text.text)])
        result.errors = [_yara_x_diagnostic(e, pack_text, parsed) for e in errors]
        result.warnings = [_yara_x_diagnostic(w, pack_text, parsed) for w in warnings]
        return rules, result
    if engine != "yara":
        raise ValueError(f"unknown YARA engine {engine!r}")
    return _compile_libyara(pack_text, parsed, all_errors)


def _engine_versions(engines: Iterable[str]) -> dict[str, str]:
    versions = {"yara-x": importlib.metadata.version("yara-x"), "yara": str(yara.YARA_VERSION)}
    return {engine: versions[engine] for engine in sorted(set(engines))}


# ---------------------------------------------------------------------------------------------
# The compiled rule set.


def _normalise_meta(value: Any) -> str | int | bool:
    if isinstance(value, bool | int):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _select_strings(hits: list[tuple[str, int, int]], limit: int) -> tuple[list[tuple[str, int, int]], bool]:
    """Keep at most ``limit`` string matches, taking them round-robin over identifiers (so every
    string that matched is shown before any string is shown twice), then sort by offset."""
    unique = sorted(set(hits), key=lambda h: (h[1], h[0], h[2]))
    if len(unique) <= limit:
        return unique, False
    by_identifier: dict[str, list[tuple[str, int, int]]] = {}
    for hit in unique:
        by_identifier.setdefault(hit[0], []).append(hit)
    kept: list[tuple[str, int, int]] = []
    depth = 0
    while len(kept) < limit:
        for identifier in sorted(by_identifier):
            matches = by_identifier[identifier]
            if depth < len(matches) and len(kept) < limit:
                kept.append(matches[depth])
        depth += 1
    return sorted(kept, key=lambda h: (h[1], h[0], h[2])), True


class Ruleset:
    """Compiled rule packs, ready to scan; the same hit records whichever engine compiled a pack."""

    engine: str
    pack_engines: dict[str, str]
    engine_versions: dict[str, str]
    files: tuple[RuleFile, ...]
    warnings: tuple[str, ...]
    rule_names: frozenset[str]

    def __init__(
        self,
        *,
        yara_x_rules: Any,
        libyara_rules: Any,
        pack_engines: dict[str, str],
        files: Sequence[RuleFile],
        warnings: Sequence[str],
        rule_order: Sequence[tuple[str, str]],
        engine_versions: dict[str, str] | None = None,
    ) -> None:
        self._yara_x_rules = yara_x_rules
        self._libyara_rules = libyara_rules
        self.pack_engines = dict(pack_engines)
        used = set(self.pack_engines.values())
        self.engine = used.pop() if len(used) == 1 else ("mixed" if used else "yara-x")
        self.engine_versions = engine_versions or _engine_versions(self.pack_engines.values())
        self.files = tuple(files)
        self.warnings = tuple(warnings)
        self._rule_order = {key: index for index, key in enumerate(rule_order)}
        self.rule_names = frozenset(rule for _, rule in rule_order)
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"<Ruleset {self.engine} packs={sorted(self.pack_engines)} rules={len(self.rule_names)}>"

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        return (Ruleset.from_bytes, (self.to_bytes(),))

    def _yara_x_scanner(self, timeout: int) -> Any:
        """This thread's reusable YARA-X scanner, with ``timeout`` set."""
        local = self._local
        scanner = getattr(local, "scanner", None)
        if scanner is None:
            scanner = local.scanner = yara_x.Scanner(self._yara_x_rules)
            local.timeout = None
        if local.timeout != timeout:
            scanner.set_timeout(timeout)
            local.timeout = timeout
        return scanner

    def _raw_matches(
        self, data: bytes, timeout: int
    ) -> list[tuple[str, str, tuple[str, ...], dict[str, Any], list[tuple[str, int, int]]]]:
        """(rule, namespace, tags, meta, [(identifier, offset, length)]) from every engine in use."""
        found = []
        if self._yara_x_rules is not None:
            try:
                results = self._yara_x_scanner(timeout).scan(data)
            except yara_x.TimeoutError:
                raise ScanTimeout("yara-x", timeout) from None
            for rule in results.matching_rules:
                hits = [(p.identifier, m.offset, m.length) for p in rule.patterns for m in p.matches]
                found.append((rule.identifier, rule.namespace, tuple(rule.tags), dict(rule.metadata), hits))
        if self._libyara_rules is not None:
            try:
                matches = self._libyara_rules.match(data=data, timeout=timeout)
            except yara.TimeoutError:
                raise ScanTimeout("yara", timeout) from None
            for match in matches:
                hits = [
                    (s.identifier, i.offset, i.matched_length) for s in match.strings for i in s.instances
                ]
                found.append((match.rule, match.namespace, tuple(match.tags), dict(match.meta), hits))
        return found

    def scan(
        self, data: bytes, *, timeout: int = 60, max_strings_per_rule: int = 20, excerpt_bytes: int = 48
    ) -> list[YaraMatch]:
        """Scan ``data``; raises ``ScanTimeout`` when an engine exceeds ``timeout`` seconds."""
        unknown = len(self._rule_order)
        records = []
        for rule, namespace, tags, meta, hits in self._raw_matches(data, timeout):
            kept, capped = _select_strings(hits, max_strings_per_rule)
            strings = tuple(
                (identifier, offset, bytes(data[offset : offset + min(length, excerpt_bytes)]))
                for identifier, offset, length in kept
            )
            records.append(
                YaraMatch(
                    rule=rule,
                    namespace=namespace,
                    tags=tags,
                    meta={key: _normalise_meta(value) for key, value in meta.items()},
                    strings=strings,
                    capped=capped,
                )
            )
        records.sort(
            key=lambda m: (self._rule_order.get((m.namespace, m.rule), unknown), m.namespace, m.rule)
        )
        return records

    def to_bytes(self) -> bytes:
        """The compiled form, to ship to worker processes (``from_bytes`` restores it)."""
        x_blob = y_blob = b""
        if self._yara_x_rules is not None:
            buffer = io.BytesIO()
            self._yara_x_rules.serialize_into(buffer)
            x_blob = buffer.getvalue()
        if self._libyara_rules is not None:
            buffer = io.BytesIO()
            self._libyara_rules.save(file=buffer)
            y_blob = buffer.getvalue()
        order = sorted(self._rule_order, key=self._rule_order.__getitem__)
        header = json.dumps(
            {
                "pack_engines": self.pack_engines,
                "engine_versions": self.engine_versions,
                "files": [[f.path, f.pack, f.sha256] for f in self.files],
                "warnings": list(self.warnings),
                "rule_order": [list(key) for key in order],
                "sizes": [len(x_blob), len(y_blob)],
            },
            sort_keys=True,
        ).encode()
        return _BLOB_MAGIC + struct.pack(">Q", len(header)) + header + x_blob + y_blob

    @classmethod
    def from_bytes(cls, blob: bytes) -> Ruleset:
        """A ruleset from ``to_bytes`` output (same engine versions required)."""
        if not blob.startswith(_BLOB_MAGIC) or len(blob) < len(_BLOB_MAGIC) + 8:
            raise RuleError("<compiled ruleset>", None, "not a compiled isop-workbench ruleset")
        offset = len(_BLOB_MAGIC)
        (header_size,) = struct.unpack(">Q", blob[offset : offset + 8])
        offset += 8
        try:
            header = json.loads(blob[offset : offset + header_size])
        except ValueError:
            raise RuleError("<compiled ruleset>", None, "damaged header") from None
        offset += header_size
        x_size, y_size = header["sizes"]
        if len(blob) != offset + x_size + y_size:
            raise RuleError("<compiled ruleset>", None, "truncated or padded ruleset")
        current = _engine_versions(header["engine_versions"])
        if current != header["engine_versions"]:
            raise RuleError(
                "<compiled ruleset>",
                None,
                f"compiled with {header['engine_versions']}, this process has {current}",
            )
        x_rules = (
            yara_x.Rules.deserialize_from(io.BytesIO(blob[offset : offset + x_size])) if x_size else None
        )
        y_rules = yara.load(file=io.BytesIO(blob[offset + x_size :])) if y_size else None
        return cls(
            yara_x_rules=x_rules,
            libyara_rules=y_rules,
            pack_engines=header["pack_engines"],
            files=[RuleFile(*entry) for entry in header["files"]],
            warnings=header["warnings"],
            rule_order=[tuple(key) for key in header["rule_order"]],
            engine_versions=header["engine_versions"],
        )


def _rule_order(namespace: str, parsed: ParsedSource) -> list[tuple[str, str]]:
    return [(namespace, rule.name) for rule in parsed.rules if not rule.is_private]


def _fallback_warnings(pack: str, refused: CompileResult) -> list[str]:
    warnings = []
    for error in refused.errors:
        where = (
            f"{display_path(error.file)}:{error.line}" if error.line is not None else display_path(error.file)
        )
        subject = f"rule {error.rule}" if error.rule else "the pack"
        warnings.append(
            f"{where}: {subject} not accepted by YARA-X ({error.message}); pack {pack} falls back to libyara"
        )
    return warnings


def _neither_error(x_result: CompileResult | None, y_result: CompileResult) -> RuleError:
    first = (x_result.errors if x_result else y_result.errors)[0]
    message = first.message
    if x_result is not None:
        message += " (YARA-X)"
        y_first = y_result.errors[0]
        y_where = (
            f" at {display_path(y_first.file)}:{y_first.line}"
            if (y_first.file, y_first.line) != (first.file, first.line)
            else ""
        )
        message += f"; libyara: {y_first.message}{y_where}"
    return RuleError(display_path(first.file), first.line, message)


def _choose_engine(
    pack: RulePack, pack_text: PackText, parsed: ParsedSource, engine: str
) -> tuple[str, list[str]]:
    """Pick the engine for one pack; (engine, warnings). Raises RuleError if none accepts it."""
    x_result = None
    if engine in ("auto", "yara-x"):
        _, x_result = compile_pack(pack_text, "yara-x", parsed)
        if x_result.ok:
            return "yara-x", [str(w) + " (YARA-X)" for w in x_result.warnings]
        if engine == "yara-x":
            first = x_result.errors[0]
            raise RuleError(display_path(first.file), first.line, first.message)
    _, y_result = compile_pack(pack_text, "yara", parsed)
    if not y_result.ok:
        raise _neither_error(x_result, y_result)
    warnings = _fallback_warnings(pack.name, x_result) if x_result is not None else []
    return "yara", warnings + [str(w) + " (libyara)" for w in y_result.warnings]


def _build(
    units: Sequence[tuple[PackText, ParsedSource, str]], files: Sequence[RuleFile], warnings: Sequence[str]
) -> Ruleset:
    """Compile the chosen packs into one YARA-X and/or one libyara rule set."""
    x_units = [(u.pack, u.text) for u, _, engine in units if engine == "yara-x"]
    y_units = {u.pack: u.text for u, _, engine in units if engine == "yara"}
    x_rules = None
    if x_units:
        x_rules, errors, _ = _compile_yara_x(x_units)
        if x_rules is None:
            raise RuleError(
                x_units[0][0], None, f"YARA-X refused the combined packs: {errors[0].get('title', '')}"
            )
    y_rules = None
    if y_units:
        try:
            y_rules = yara.compile(sources=y_units, includes=False)
        except yara.Error as exc:
            raise RuleError(next(iter(y_units)), None, f"libyara refused the combined packs: {exc}") from None
    order = [key for u, parsed, _ in units for key in _rule_order(u.pack, parsed)]
    return Ruleset(
        yara_x_rules=x_rules,
        libyara_rules=y_rules,
        pack_engines={u.pack: engine for u, _, engine in units},
        files=files,
        warnings=warnings,
        rule_order=order,
    )


def load_packs(packs: Sequence[RulePack], engine: str = "auto") -> Ruleset:
    """Compile packs found by ``find_packs`` (see ``load_rules``)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown YARA engine {engine!r} (expected one of {', '.join(ENGINES)})")
    units: list[tuple[PackText, ParsedSource, str]] = []
    warnings: list[str] = []
    for pack in packs:
        pack_text = inline_pack(pack)
        parsed = parse_source(pack_text.text)
        chosen, pack_warnings = _choose_engine(pack, pack_text, parsed, engine)
        units.append((pack_text, parsed, chosen))
        warnings.extend(pack_warnings)
    files = sorted((f for pack in packs for f in pack.files), key=lambda f: f.path)
    return _build(units, files, warnings)


def load_rules(paths: Sequence[str | Path], engine: str = "auto") -> Ruleset:
    """Compile rule packs. engine: "auto" (YARA-X; a pack it refuses falls back to libyara with a
    warning naming the rule), "yara-x", "yara". Raises RuleError naming file and line when a pack
    compiles under neither."""
    if engine not in ENGINES:
        raise ValueError(f"unknown YARA engine {engine!r} (expected one of {', '.join(ENGINES)})")
    packs = find_packs(paths)
    if not packs:
        raise RuleError(
            ", ".join(str(p) for p in paths) or "<no paths>", None, "no .yar/.yara rule files found"
        )
    return load_packs(packs, engine)


def compile_text(text: str, namespace: str, engine: str) -> Ruleset:
    """Compile YARA source text held in memory (no includes) as one pack with ``engine``
    ("yara-x" or "yara"); used e.g. to time a single rule on its own."""
    pack_text = PackText(namespace, text, tuple(("<memory>", n + 1) for n in range(text.count("\n") + 1)))
    parsed = parse_source(text)
    _, result = compile_pack(pack_text, engine, parsed)
    if not result.ok:
        first = result.errors[0]
        raise RuleError(namespace, first.line, first.message)
    return _build([(pack_text, parsed, engine)], [], [])

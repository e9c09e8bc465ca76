"""The analysts' loop over YARA rule packs: scaffold, lint, test against samples, profile.

``new_pack`` writes a pack that lints clean and passes its own test. ``lint`` compiles each pack
under both engines (reporting which rules only one accepts), checks the required meta, duplicate
rule names across packs, rules that cannot match or are not selective, and the usual slow
patterns. ``test`` scans ``samples/positive`` and ``samples/negative`` (plain files or zip/tar/gz
archives, each member a sample) and checks every positive hits the rule(s) it names and every
negative hits nothing. ``profile`` times every rule compiled on its own, and each pack as a whole,
over a corpus.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import re
import tarfile
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from workbench.yara_engine import (
    Diagnostic,
    PackText,
    ParsedSource,
    RuleError,
    RulePack,
    Ruleset,
    RuleSource,
    ScanTimeout,
    StringDef,
    compile_pack,
    compile_text,
    display_path,
    find_packs,
    inline_pack,
    load_packs,
    parse_source,
    unescape_text,
)

__all__ = [
    "Finding",
    "LintReport",
    "PackTestResult",
    "ProfileReport",
    "RuleProfile",
    "RuleRow",
    "SampleResult",
    "TestReport",
    "lint",
    "new_pack",
    "profile",
    "test",
]

REQUIRED_META = ("author", "description", "date", "version")
MIN_ATOM = 4  # bytes: shorter atoms make YARA check too many candidate positions
MIN_NOCASE = 6  # bytes: nocase multiplies the atoms, so short nocase strings match almost anywhere
MAX_SAMPLE_BYTES = 64 * 1024 * 1024
_SEVERITY_ORDER = {"error": 0, "warning": 1}

Corpus = str | Path | Callable[[], Iterable[tuple[str, bytes]]] | Iterable[tuple[str, bytes]]


# ---------------------------------------------------------------------------------------------
# Scaffold

_PACK_TEMPLATE = """\
/*
    {name}: YARA rules for isop-workbench.

    Every rule needs the meta below: author, description, date (YYYY-MM-DD), version, and
    artefact (the artefact kind the hit points to) or tags that a plugin listens for.
    Test it with samples/positive/<RULENAME>__<anything> and samples/negative/<anything>:
        workbench rules lint {name}
        workbench rules test {name}
*/

rule {rule} : {tag}
{{
    meta:
        author = "{author}"
        description = "Example: a file carrying the {name} example marker (replace this rule)"
        date = "{date}"
        version = "1"
        artefact = "yara.hit"
    strings:
        $marker = "ISOP-EXAMPLE-MARKER-{tag_upper}" ascii wide
    condition:
        $marker
}}
"""

_README_TEMPLATE = """\
# Rule pack `{name}`

- `{name}.yar`: the rules. Every rule carries meta `author`, `description`, `date` (YYYY-MM-DD),
  `version` and `artefact` (or tags a plugin listens for).
- `samples/positive/`: files each rule must hit. Name them `RULENAME__anything.ext`, or list them
  in `samples/manifest.toml`:

      [samples]
      "positive/panel_dump.sql" = ["rule_one", "rule_two"]

  Zip, tar and gz archives are opened: every member is a sample.
- `samples/negative/`: ordinary files no rule of the pack may hit.

Check the pack with `workbench rules lint {name}`, `workbench rules test {name}` and
`workbench rules profile {name} --corpus DIR`.
"""


def _identifier(name: str) -> str:
    ident = re.sub(r"\W", "_", name, flags=re.ASCII).strip("_") or "pack"
    return ident if not ident[0].isdigit() else "p_" + ident


def new_pack(
    directory: str | Path, *, author: str = "isop-workbench", date: dt.date | None = None
) -> list[Path]:
    """Scaffold a pack folder (rule file with an example rule, samples, README); the files made."""
    root = Path(directory)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise FileExistsError(f"{directory}: already exists and is not empty")
    name = root.name
    ident = _identifier(name)
    rule = f"{ident}_example_marker"
    files = {
        root / f"{name}.yar": _PACK_TEMPLATE.format(
            name=name,
            rule=rule,
            tag=ident,
            tag_upper=ident.upper(),
            author=author,
            date=(date or dt.date.today()).isoformat(),
        ),
        root / "README.md": _README_TEMPLATE.format(name=name),
        root / "samples" / "positive" / f"{rule}__example.txt": (
            f"Example evidence line: ISOP-EXAMPLE-MARKER-{ident.upper()} found in a config backup.\n"
        ),
        root / "samples" / "negative" / "ordinary.txt": (
            "An ordinary text file: meeting notes, nothing to see here.\n"
        ),
    }
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return sorted(files)


# ---------------------------------------------------------------------------------------------
# Lint


@dataclass(frozen=True)
class Finding:
    """One lint problem located at file:line."""

    severity: str  # "error" | "warning"
    file: str
    line: int | None
    pack: str
    rule: str | None
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{display_path(self.file)}:{self.line}" if self.line is not None else display_path(self.file)
        return f"{where}: {self.severity}: {self.message} [{self.code}]"

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "severity": self.severity,
            "file": display_path(self.file),
            "line": self.line,
            "pack": self.pack,
            "rule": self.rule,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class LintReport:
    """Everything ``lint`` found; ``exit_code`` is 2 on errors, 1 on warnings when strict, else 0."""

    findings: tuple[Finding, ...]
    strict: bool = False
    packs: tuple[str, ...] = ()
    rules_checked: int = 0

    @property
    def errors(self) -> tuple[Finding, ...]:
        """Findings that make a pack unusable."""
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """Findings that should be fixed but do not stop a pack from working."""
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def exit_code(self) -> int:
        """0 clean, 1 warnings under ``strict``, 2 errors."""
        if self.errors:
            return 2
        return 1 if self.strict and self.warnings else 0

    def codes(self, rule: str | None = None) -> set[str]:
        """The finding codes (for one rule if given)."""
        return {f.code for f in self.findings if rule is None or f.rule == rule}

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "packs": list(self.packs),
            "rules_checked": self.rules_checked,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "exit_code": self.exit_code,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class _Item:
    """One element of a regular expression: literal byte, class, wildcard, group or anchor."""

    kind: str  # "lit" | "class" | "wild" | "group" | "anchor"
    quant: tuple[int, int | None] = (1, 1)
    alternatives: tuple[tuple[_Item, ...], ...] = ()
    braces_unbounded: bool = False  # written as {n,}


_MAX_NESTING = 64  # group depth beyond which patterns are not analysed further
_QUANT_RE = re.compile(r"\{(\d*)(,?)(\d*)\}")
_WILD_ESCAPES = frozenset("SWD")
_CLASS_ESCAPES = frozenset("swd")
_ANCHOR_ESCAPES = frozenset("bB")


def _read_quant(body: str, i: int) -> tuple[tuple[int, int | None], bool, int]:
    """The quantifier at ``body[i]`` if any: ((min, max), written as {n,}, next index)."""
    if i >= len(body):
        return (1, 1), False, i
    c = body[i]
    quant: tuple[int, int | None]
    braces_unbounded = False
    if c == "*":
        quant, i = (0, None), i + 1
    elif c == "+":
        quant, i = (1, None), i + 1
    elif c == "?":
        quant, i = (0, 1), i + 1
    else:
        m = _QUANT_RE.match(body, i)
        if not m or not (m.group(1) or m.group(3)):
            return (1, 1), False, i
        low = int(m.group(1) or 0)
        if m.group(2):
            high = int(m.group(3)) if m.group(3) else None
            braces_unbounded = high is None
        else:
            high = low
        quant, i = (low, high), m.end()
    if i < len(body) and body[i] == "?":  # lazy
        i += 1
    return quant, braces_unbounded, i


def _parse_regex(body: str, i: int = 0, depth: int = 0) -> tuple[tuple[tuple[_Item, ...], ...], int]:
    """Split a regex into alternatives of items, up to the ``)`` closing this group."""
    alternatives: list[tuple[_Item, ...]] = []
    items: list[_Item] = []
    while i < len(body):
        c = body[i]
        if c == ")" and depth > 0:
            i += 1
            break
        if c == "|":
            alternatives.append(tuple(items))
            items = []
            i += 1
            continue
        kind = "lit"
        group: tuple[tuple[_Item, ...], ...] = ()
        if c in "^$":
            items.append(_Item("anchor"))
            i += 1
            continue
        if c == "\\" and body[i + 1 : i + 2] in _ANCHOR_ESCAPES:
            items.append(_Item("anchor"))
            i += 2
            continue
        if c == "\\":
            escaped = body[i + 1 : i + 2]
            if escaped in _WILD_ESCAPES:
                kind = "wild"
            elif escaped in _CLASS_ESCAPES:
                kind = "class"
            i += 4 if escaped == "x" else 2
        elif c == ".":
            kind, i = "wild", i + 1
        elif c == "[":
            end = i + 1
            negated = body.startswith("^", end)
            end += 1 if negated else 0
            end += 1 if body.startswith("]", end) else 0
            while end < len(body) and body[end] != "]":
                end += 2 if body[end] == "\\" else 1
            kind, i = ("wild" if negated else "class"), end + 1
        elif c == "(":
            i += 1
            if body.startswith("?:", i):
                i += 2
            if depth >= _MAX_NESTING:  # absurdly deep: treat the rest as one opaque group
                group, i = ((_Item("wild"),),), len(body)
            else:
                group, i = _parse_regex(body, i, depth + 1)
            kind = "group"
        else:
            i += 1
        quant, braces_unbounded, i = _read_quant(body, i)
        items.append(_Item(kind, quant, group, braces_unbounded))
    alternatives.append(tuple(items))
    return tuple(alternatives), i


def _is_literal(items: tuple[_Item, ...]) -> bool:
    """True for a run of plain literal bytes (no classes, wildcards, groups or repetition)."""
    return all(item.kind == "lit" and item.quant == (1, 1) for item in items)


def _longest_run(items: tuple[_Item, ...]) -> int:
    """Longest run of literal bytes every match of ``items`` contains."""
    best = run = 0
    for item in items:
        if item.kind == "anchor":
            continue
        low, high = item.quant
        if item.kind == "lit" and low == high:
            run += low
            continue
        if item.kind == "lit" and low >= 1:
            best, run = max(best, run + low), 0
            continue
        if item.kind == "group" and item.quant == (1, 1) and all(map(_is_literal, item.alternatives)):
            run += min(len(alt) for alt in item.alternatives)  # (mp3|m4a) extends the run like a literal
            continue
        best = max(best, run)
        run = 0
        if item.kind == "group" and low >= 1:
            best = max(best, min(_longest_run(alt) for alt in item.alternatives))
    return max(best, run)


def _walk_items(alternatives: tuple[tuple[_Item, ...], ...]) -> Iterator[_Item]:
    for alternative in alternatives:
        for item in alternative:
            yield item
            yield from _walk_items(item.alternatives)


@dataclass(frozen=True)
class _Shape:
    """What matters for speed about one string: its best atom and its risky constructs."""

    atom: int
    problems: tuple[tuple[str, str], ...] = ()  # (code, message)


def _regex_shape(string: StringDef) -> _Shape:
    alternatives, _ = _parse_regex(string.value)
    atom = min(_longest_run(alt) for alt in alternatives)
    problems: list[tuple[str, str]] = []
    items = list(_walk_items(alternatives))
    if any(item.kind == "wild" and item.quant[1] is None for item in items):
        problems.append(
            (
                "unbounded-wildcard",
                f"{string.identifier}: unbounded wildcard (.*, .+, [^x]* …); bound it, e.g. .{{0,64}}",
            )
        )
    if any(item.braces_unbounded for item in items):
        problems.append(
            ("unbounded-repeat", f"{string.identifier}: unbounded repetition {{n,}}; give an upper bound")
        )
    for alternative in alternatives:
        first = next((item for item in alternative if item.kind != "anchor"), None)
        if first is not None and (first.kind == "wild" or (first.kind == "class" and first.quant != (1, 1))):
            problems.append(
                ("leading-wildcard", f"{string.identifier}: regex starts with a wildcard or repeated class")
            )
            break
    return _Shape(atom, tuple(problems))


_HEX_TOKEN_RE = re.compile(r"~?[0-9A-Fa-f?]{2}|\[[^\]]*\]|[()|]")


def _hex_runs(tokens: list[str], i: int = 0, depth: int = 0) -> tuple[int, int, int | None]:
    """Longest fixed-byte run in hex tokens from ``i`` to the group end: (run, next index, the
    shortest alternative's length when every alternative is plain bytes, else None)."""
    best = run = length = 0
    plain = True
    alternative_best: list[int] = []
    alternative_length: list[int | None] = []
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token == ")":
            break
        if token == "|":
            alternative_best.append(max(best, run))
            alternative_length.append(length if plain else None)
            best = run = length = 0
            plain = True
        elif token == "(" and depth >= _MAX_NESTING:
            best, run, plain, i = max(best, run), 0, False, len(tokens)
        elif token == "(":
            inner, i, fixed = _hex_runs(tokens, i, depth + 1)
            if fixed is not None:  # ( 90 00 | 50 00 ) extends the run like plain bytes
                run += fixed
                length += fixed
            else:
                best, run, plain = max(best, run, inner), 0, False
        elif re.fullmatch(r"[0-9A-Fa-f]{2}", token):
            run += 1
            length += 1
        else:
            best, run, plain = max(best, run), 0, False
    alternative_best.append(max(best, run))
    alternative_length.append(length if plain else None)
    lengths = [n for n in alternative_length if n is not None]
    fixed_length = min(lengths) if len(lengths) == len(alternative_length) else None
    return min(alternative_best), i, fixed_length


def _hex_shape(string: StringDef) -> _Shape:
    body = re.sub(r"/\*.*?\*/|//[^\n]*", " ", string.value, flags=re.S)
    tokens = _HEX_TOKEN_RE.findall(body)
    atom, _, _ = _hex_runs(tokens)
    problems: list[tuple[str, str]] = []
    if tokens and (tokens[0].startswith("[") or "?" in tokens[0]):
        problems.append(
            ("leading-wildcard", f"{string.identifier}: hex string starts with a wildcard or jump")
        )
    if any(re.fullmatch(r"\[\s*\d*\s*-\s*\]", t) for t in tokens):
        problems.append(("unbounded-jump", f"{string.identifier}: unbounded jump [n-]; give an upper bound"))
    return _Shape(atom, tuple(problems))


def _string_shape(string: StringDef) -> _Shape:
    if string.kind == "regex":
        shape = _regex_shape(string)
        if "i" in string.regex_flags and shape.atom < MIN_NOCASE:
            problems = (
                *shape.problems,
                (
                    "nocase-short",
                    f"{string.identifier}: case-insensitive regex with atoms under {MIN_NOCASE} bytes",
                ),
            )
            return _Shape(shape.atom, problems)
        return shape
    if string.kind == "hex":
        return _hex_shape(string)
    length = len(unescape_text(string.value))
    if "nocase" in string.modifiers and length < MIN_NOCASE:
        return _Shape(length, (("nocase-short", f"{string.identifier}: nocase on a {length}-byte string"),))
    return _Shape(length)


_NEVER = frozenset({"false", "not true", "0", "filesize < 0", "filesize == -1", "false and false"})
_ALWAYS = frozenset({"true", "not false", "1", "filesize >= 0", "filesize > -1"})


def _normal_condition(condition: str) -> str:
    text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", condition, flags=re.S)
    text = " ".join(text.split())
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text


def _rule_findings(
    rule: RuleSource, pack: str, locate: Callable[[int], tuple[str, int | None]]
) -> list[Finding]:
    """Meta, can-never-match, selectivity and slow-pattern checks of one rule."""
    findings: list[Finding] = []
    file, line = locate(rule.line)

    def add(code: str, message: str, at: int | None = None, severity: str = "warning") -> None:
        where_file, where_line = locate(at) if at is not None else (file, line)
        findings.append(Finding(severity, where_file, where_line, pack, rule.name, code, message))

    present = {entry.key: entry.value for entry in rule.meta}
    missing = [key for key in REQUIRED_META if str(present.get(key, "")).strip() == ""]
    if not rule.is_private and not str(present.get("artefact", "")).strip() and not rule.tags:
        missing.append("artefact (or tags)")
    if missing:
        add("meta-missing", f"rule {rule.name}: missing meta {', '.join(missing)}")
    date_value = present.get("date")
    if date_value is not None and str(date_value).strip():
        try:
            valid = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(date_value))) and bool(
                dt.date.fromisoformat(str(date_value))
            )
        except ValueError:
            valid = False
        if not valid:
            date_line = next(e.line for e in rule.meta if e.key == "date")
            add(
                "meta-date", f"rule {rule.name}: meta date {date_value!r} is not a YYYY-MM-DD date", date_line
            )

    condition = _normal_condition(rule.condition)
    conjuncts = (
        {c.strip() for c in re.split(r"\band\b", condition)} if not re.search(r"\bor\b", condition) else set()
    )
    if condition in _NEVER or conjuncts & _NEVER:
        add(
            "never-matches", f"rule {rule.name}: condition `{condition}` can never match", rule.condition_line
        )
    elif condition in _ALWAYS and not rule.strings:
        add(
            "matches-everything",
            f"rule {rule.name}: condition `{condition}` matches every file",
            rule.condition_line,
        )
    for header in re.findall(r"\bfor\b([^:]*):", condition):
        if re.search(r"\bfilesize\b", header):
            add(
                "filesize-loop",
                f"rule {rule.name}: loop over filesize (`for{header.rstrip()}`) runs once per byte",
                rule.condition_line,
            )

    shapes = [(string, _string_shape(string)) for string in rule.strings]
    short = [string.identifier for string, shape in shapes if shape.atom < MIN_ATOM]
    if shapes and len(short) == len(shapes):
        add(
            "not-selective",
            f"rule {rule.name}: no string has an atom of {MIN_ATOM}+ bytes ({', '.join(short)}); "
            "the rule is slow and matches too much",
        )
    for string, shape in shapes:
        if shape.atom < MIN_ATOM and len(short) != len(shapes):
            add(
                "short-atom",
                f"{string.identifier}: longest fixed part is {shape.atom} bytes (< {MIN_ATOM})",
                string.line,
            )
        for code, message in shape.problems:
            add(code, message, string.line)
    return findings


def _engine_findings(pack: RulePack, pack_text: PackText, parsed: ParsedSource) -> list[Finding]:
    """Compile under both engines; errors both report, rules one refuses, engine warnings."""
    _, x_result = compile_pack(pack_text, "yara-x", parsed)
    _, y_result = compile_pack(pack_text, "yara", parsed, all_errors=True)
    findings: list[Finding] = []

    def add(severity: str, d: Diagnostic, code: str, message: str) -> None:
        findings.append(Finding(severity, d.file, d.line, pack.name, d.rule, code, message))

    y_by_rule = {d.rule: d for d in reversed(y_result.errors)}
    x_rules = {d.rule for d in x_result.errors}
    for d in x_result.errors:
        subject = f"rule {d.rule}" if d.rule else "pack"
        if d.rule in y_by_rule:
            other = y_by_rule[d.rule]
            add("error", d, "compile", f"{subject}: {d.message} (YARA-X); libyara: {other.message}")
        else:
            add(
                "warning",
                d,
                "yara-x-refuses",
                f"{subject}: YARA-X refuses it ({d.message}); the pack falls back to libyara",
            )
    for d in y_result.errors:
        if d.rule not in x_rules:
            subject = f"rule {d.rule}" if d.rule else "pack"
            add(
                "warning",
                d,
                "libyara-refuses",
                f"{subject}: libyara refuses it ({d.message}); only YARA-X accepts it",
            )
    if x_result.errors and y_result.errors and not any(f.severity == "error" for f in findings):
        first = x_result.errors[0]
        add(
            "error",
            first,
            "compile",
            "the pack as a whole compiles under neither engine (each refuses other rules)",
        )
    for d in x_result.warnings:
        add("warning", d, f"yara-x:{d.code}", f"YARA-X: {d.message}")
    for d in y_result.warnings:
        add("warning", d, "libyara-warning", f"libyara: {d.message}")
    return findings


def _lint_files_separately(pack: RulePack) -> list[Finding]:
    """Source checks on each file on its own, when the pack cannot be assembled."""
    findings: list[Finding] = []
    for rule_file in pack.files:
        try:
            text = Path(rule_file.path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        path = rule_file.path

        def locate(line: int, path: str = path) -> tuple[str, int | None]:
            return (path, line)

        for rule in parse_source(text).rules:
            findings.extend(_rule_findings(rule, pack.name, locate))
    return findings


def _lint_pack(pack: RulePack) -> tuple[list[Finding], list[tuple[RuleSource, str, int | None]]]:
    """Findings of one pack and its rules with their (file, line)."""
    try:
        pack_text = inline_pack(pack)
    except RuleError as exc:
        code = "include-escapes" if "escapes the pack folder" in exc.message else "source"
        error = Finding("error", exc.file, exc.line, pack.name, None, code, exc.message)
        return [error, *_lint_files_separately(pack)], []
    parsed = parse_source(pack_text.text)
    findings = _engine_findings(pack, pack_text, parsed)
    if not parsed.rules:
        findings.append(
            Finding(
                "warning", pack.top_files[0], None, pack.name, None, "no-rules", "the pack defines no rules"
            )
        )
    rules = []
    for rule in parsed.rules:
        findings.extend(_rule_findings(rule, pack.name, pack_text.locate))
        rules.append((rule, *pack_text.locate(rule.line)))
    return findings, rules


def _reference_rules(
    also: Iterable[str | Path], linted: list[RulePack]
) -> dict[str, tuple[str, str, int | None]]:
    """Rule names defined by other packs in use (not being linted): name -> (pack, file, line)."""
    skip_dirs = {p.directory for p in linted}
    skip_names = {p.name for p in linted}
    names: dict[str, tuple[str, str, int | None]] = {}
    for given in also:
        try:
            packs = find_packs([given])
        except RuleError:
            continue
        for pack in packs:
            if pack.directory in skip_dirs or pack.name in skip_names:
                continue
            try:
                pack_text = inline_pack(pack)
            except RuleError:
                continue
            for rule in parse_source(pack_text.text).rules:
                names.setdefault(rule.name, (pack.name, *pack_text.locate(rule.line)))
    return names


def lint(paths: Iterable[str | Path], strict: bool = False, *, also: Iterable[str | Path] = ()) -> LintReport:
    """Lint rule packs (pack folders, folders of packs or rule files) under both engines.

    ``also`` names other packs in use (e.g. the built-in ones): they are only checked against for
    duplicate rule names."""
    paths = list(paths)
    try:
        packs = find_packs(paths)
    except RuleError as exc:
        return LintReport((Finding("error", exc.file, exc.line, "", None, "input", exc.message),), strict)
    if not packs:
        where = ", ".join(str(p) for p in paths) or "<no paths>"
        return LintReport(
            (Finding("error", where, None, "", None, "input", "no .yar/.yara rule files found"),), strict
        )
    findings: list[Finding] = []
    seen = _reference_rules(also, packs)
    rule_count = 0
    for pack in packs:
        pack_findings, rules = _lint_pack(pack)
        findings.extend(pack_findings)
        rule_count += len(rules)
        for rule, file, line in rules:
            first = seen.setdefault(rule.name, (pack.name, file, line))
            if first[0] != pack.name:
                where = f"{display_path(first[1])}:{first[2]}"
                findings.append(
                    Finding(
                        "error",
                        file,
                        line,
                        pack.name,
                        rule.name,
                        "duplicate-rule",
                        f"rule {rule.name} is also defined in pack {first[0]} ({where}); plugins trigger on rule names",
                    )
                )
    findings.sort(key=lambda f: (f.file, f.line or 0, _SEVERITY_ORDER[f.severity], f.code, f.message))
    return LintReport(tuple(findings), strict, tuple(p.name for p in packs), rule_count)


# ---------------------------------------------------------------------------------------------
# Test against samples


@dataclass(frozen=True)
class SampleResult:
    """One sample scanned: what it should hit, what it hit, and the verdict."""

    pack: str
    sample: str  # "positive/x.txt" or "positive/bundle.zip!member.txt"
    polarity: str  # "positive" | "negative"
    expected: tuple[str, ...]
    hits: tuple[str, ...]
    passed: bool
    reason: str = ""


@dataclass(frozen=True)
class PackTestResult:
    """The samples of one pack and the pack-level problems (compile errors, missing samples)."""

    pack: str
    directory: str
    rules: tuple[str, ...]
    samples: tuple[SampleResult, ...]
    problems: tuple[str, ...] = ()
    error: str | None = None  # the pack does not compile: nothing was scanned

    @property
    def passed(self) -> bool:
        """True when every sample passed and there is no pack-level problem."""
        return self.error is None and not self.problems and all(s.passed for s in self.samples)


@dataclass(frozen=True)
class RuleRow:
    """One row of the rule × pass/fail table."""

    pack: str
    rule: str
    positives_hit: int
    positives: int
    negatives_hit: int
    status: str  # "pass" | "FAIL" | "UNTESTED"


@dataclass(frozen=True)
class TestReport:
    """Results of ``test`` over one or more packs."""

    __test__ = False  # not a pytest test class

    packs: tuple[PackTestResult, ...]
    errors: tuple[str, ...] = ()  # inputs that could not be read at all

    @property
    def failures(self) -> list[str]:
        """One line per failure: pack-level problems and failed samples."""
        lines = list(self.errors)
        for pack in self.packs:
            if pack.error:
                lines.append(f"{pack.pack}: {pack.error}")
            lines.extend(f"{pack.pack}: {problem}" for problem in pack.problems)
            lines.extend(f"{pack.pack}: {s.sample}: {s.reason}" for s in pack.samples if not s.passed)
        return lines

    @property
    def passed(self) -> bool:
        """True when nothing failed."""
        return not self.failures

    @property
    def exit_code(self) -> int:
        """0 all passed, 1 a sample or rule failed, 2 an input could not be read or compiled."""
        if self.errors or any(p.error for p in self.packs):
            return 2
        return 0 if self.passed else 1

    def rule_rows(self) -> list[RuleRow]:
        """Per rule: positives expecting it that hit, negatives it hit, status."""
        rows = []
        for pack in self.packs:
            for rule in pack.rules:
                expecting = [s for s in pack.samples if s.polarity == "positive" and rule in s.expected]
                hit = sum(1 for s in expecting if rule in s.hits)
                negatives = sum(1 for s in pack.samples if s.polarity == "negative" and rule in s.hits)
                if not expecting:
                    status = "UNTESTED"
                elif hit == len(expecting) and negatives == 0:
                    status = "pass"
                else:
                    status = "FAIL"
                rows.append(RuleRow(pack.pack, rule, hit, len(expecting), negatives, status))
        return rows

    def to_junit(self) -> str:
        """JUnit XML: one test suite per pack, one test case per sample and per pack-level problem."""
        suites = ElementTree.Element("testsuites", name="workbench rules test")
        for pack in self.packs:
            cases: list[ElementTree.Element] = []
            for problem in ([pack.error] if pack.error else []) + list(pack.problems):
                case = ElementTree.Element("testcase", classname=pack.pack, name="pack")
                ElementTree.SubElement(case, "failure", message=problem).text = problem
                cases.append(case)
            for sample in pack.samples:
                case = ElementTree.Element(
                    "testcase", classname=f"{pack.pack}.{sample.polarity}", name=sample.sample
                )
                if not sample.passed:
                    ElementTree.SubElement(
                        case, "failure", message=sample.reason
                    ).text = f"expected {list(sample.expected)}, hits {list(sample.hits)}"
                cases.append(case)
            failures = sum(1 for c in cases if c.find("failure") is not None)
            suite = ElementTree.SubElement(
                suites, "testsuite", name=pack.pack, tests=str(len(cases)), failures=str(failures), errors="0"
            )
            suite.extend(cases)
        for error in self.errors:
            suite = ElementTree.SubElement(
                suites, "testsuite", name="input", tests="1", failures="0", errors="1"
            )
            case = ElementTree.SubElement(suite, "testcase", classname="input", name="load")
            ElementTree.SubElement(case, "error", message=error).text = error
        ElementTree.indent(suites)
        return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"

    def write_junit(self, path: str | Path) -> None:
        """Write ``to_junit()`` to ``path``."""
        Path(path).write_text(self.to_junit(), encoding="utf-8")


class _SampleError(Exception):
    """A sample file that could not be read (bad archive, too large)."""


def _read_capped(stream: Any, name: str) -> bytes:
    data = stream.read(MAX_SAMPLE_BYTES + 1)
    if len(data) > MAX_SAMPLE_BYTES:
        raise _SampleError(f"{name}: larger than {MAX_SAMPLE_BYTES} bytes")
    return bytes(data)


def _expand_sample(path: Path, relative: str) -> Iterator[tuple[str, bytes]]:
    """The sample(s) in one file: the file itself, or every member of a zip/tar/gz archive."""
    lower = path.name.lower()
    try:
        if lower.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                for info in sorted(archive.infolist(), key=lambda i: i.filename):
                    if not info.is_dir():
                        with archive.open(info) as member:
                            yield f"{relative}!{info.filename}", _read_capped(member, info.filename)
        elif lower.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")):
            with tarfile.open(path) as archive:
                for tar_member in sorted(archive.getmembers(), key=lambda m: m.name):
                    extracted = archive.extractfile(tar_member) if tar_member.isfile() else None
                    if extracted is not None:
                        yield f"{relative}!{tar_member.name}", _read_capped(extracted, tar_member.name)
        elif lower.endswith(".gz"):
            with gzip.open(path) as stream:
                yield f"{relative}!{path.name[:-3]}", _read_capped(stream, path.name)
        else:
            with path.open("rb") as stream:
                yield relative, _read_capped(stream, path.name)
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, gzip.BadGzipFile) as exc:
        raise _SampleError(f"cannot read {relative}: {exc}") from None


def _sample_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    found: list[Path] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root, f) for f in files if not f.startswith("."))
    return sorted(found, key=lambda p: p.relative_to(directory).as_posix())


def _read_manifest(samples_dir: Path) -> dict[str, tuple[str, ...]]:
    path = samples_dir / "manifest.toml"
    if not path.is_file():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("samples", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _SampleError(f"{display_path(path)}: {exc}") from None
    manifest: dict[str, tuple[str, ...]] = {}
    for key, value in table.items():
        rules = (value,) if isinstance(value, str) else value
        if not isinstance(rules, list | tuple) or not all(isinstance(r, str) for r in rules):
            raise _SampleError(
                f"{display_path(path)}: [samples] {key!r} must be a rule name or a list of them"
            )
        name = key if key.startswith(("positive/", "negative/")) else f"positive/{key}"
        manifest[name] = tuple(rules)
    return manifest


def _expected_rules(sample: str, manifest: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Rules a positive sample names: by manifest (member, then archive), else by name prefix."""
    archive, _, member = sample.partition("!")
    for key in (sample, archive):
        if key in manifest:
            return manifest[key]
    for name in (member, archive):
        base = name.rsplit("/", 1)[-1]
        if "__" in base:
            return (base.split("__", 1)[0],)
    return ()


def _judge(
    pack: str, sample: str, polarity: str, expected: tuple[str, ...], hits: tuple[str, ...]
) -> SampleResult:
    if polarity == "negative":
        reason = f"negative sample hit {', '.join(hits)}" if hits else ""
        return SampleResult(pack, sample, polarity, (), hits, not hits, reason)
    if not expected:
        return SampleResult(
            pack,
            sample,
            polarity,
            (),
            hits,
            False,
            "names no rule (use RULENAME__… or samples/manifest.toml)",
        )
    missed = [rule for rule in expected if rule not in hits]
    reason = f"missed {', '.join(missed)}" + (f" (hits: {', '.join(hits)})" if hits else "") if missed else ""
    return SampleResult(pack, sample, polarity, expected, hits, not missed, reason)


def _test_pack(pack: RulePack) -> PackTestResult:
    samples_dir = Path(pack.directory) / "samples"
    try:
        ruleset = load_packs([pack])
        pack_text = inline_pack(pack)
    except RuleError as exc:
        return PackTestResult(pack.name, pack.directory, (), (), error=f"does not compile: {exc}")
    rules = tuple(r.name for r in parse_source(pack_text.text).rules if not r.is_private)
    problems: list[str] = []
    try:
        manifest = _read_manifest(samples_dir)
    except _SampleError as exc:
        manifest = {}
        problems.append(str(exc))
    results: list[SampleResult] = []
    for polarity in ("positive", "negative"):
        files = _sample_files(samples_dir / polarity)
        if not files:
            problems.append(f"no {polarity} samples in {display_path(samples_dir / polarity)}")
        for path in files:
            relative = f"{polarity}/{path.relative_to(samples_dir / polarity).as_posix()}"
            try:
                for name, data in _expand_sample(path, relative):
                    try:
                        hits = tuple(m.rule for m in ruleset.scan(data, max_strings_per_rule=1))
                    except ScanTimeout as exc:
                        results.append(SampleResult(pack.name, name, polarity, (), (), False, str(exc)))
                        continue
                    expected = _expected_rules(name, manifest) if polarity == "positive" else ()
                    results.append(_judge(pack.name, name, polarity, expected, hits))
            except _SampleError as exc:
                results.append(SampleResult(pack.name, relative, polarity, (), (), False, str(exc)))
    named = {rule for s in results if s.polarity == "positive" for rule in s.expected}
    for sample in results:
        unknown = [rule for rule in sample.expected if rule not in rules]
        if unknown:
            problems.append(f"{sample.sample} names rule(s) the pack does not define: {', '.join(unknown)}")
    problems.extend(f"rule {rule} has no positive sample" for rule in rules if rule not in named)
    return PackTestResult(pack.name, pack.directory, rules, tuple(results), tuple(problems))


def test(paths: Iterable[str | Path]) -> TestReport:
    """Scan every pack's samples: positives must hit the rules they name, negatives nothing."""
    paths = list(paths)
    try:
        packs = find_packs(paths)
    except RuleError as exc:
        return TestReport((), (str(exc),))
    if not packs:
        return TestReport((), (f"{', '.join(str(p) for p in paths)}: no .yar/.yara rule files found",))
    return TestReport(tuple(_test_pack(pack) for pack in packs))


# ---------------------------------------------------------------------------------------------
# Profile


@dataclass(frozen=True)
class RuleProfile:
    """Time one rule took over the corpus when compiled on its own, and files the pack scan hit."""

    pack: str
    rule: str
    seconds: float
    hits: int
    timeouts: int = 0
    private: bool = False


@dataclass(frozen=True)
class ProfileReport:
    """Per-rule and per-pack scan times over a corpus, slowest rule first."""

    files: int
    bytes: int
    pack_engines: dict[str, str]
    pack_seconds: dict[str, float]
    rules: tuple[RuleProfile, ...]
    warnings: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()

    def top(self, n: int) -> tuple[RuleProfile, ...]:
        """The ``n`` slowest rules."""
        return self.rules[:n]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "files": self.files,
            "bytes": self.bytes,
            "pack_engines": self.pack_engines,
            "pack_seconds": self.pack_seconds,
            "rules": [vars(r) for r in self.rules],
            "warnings": list(self.warnings),
            "unreadable": list(self.unreadable),
        }


def _directory_corpus(root: Path, unreadable: list[str]) -> Iterator[tuple[str, bytes]]:
    """Every regular file under ``root`` (sorted, symlinks not followed)."""
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(directory, name)
            if path.is_symlink() or not path.is_file():
                continue
            try:
                yield path.relative_to(root).as_posix(), path.read_bytes()
            except OSError as exc:
                unreadable.append(f"{path}: {exc.strerror or exc}")


def _corpus_items(corpus: Corpus, unreadable: list[str]) -> Iterable[tuple[str, bytes]]:
    if isinstance(corpus, str | Path):
        root = Path(corpus)
        if not root.is_dir():
            raise NotADirectoryError(f"{corpus}: corpus is not a directory")
        return _directory_corpus(root, unreadable)
    if callable(corpus):
        return corpus()
    return corpus


_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\*?")


def _isolated_source(text: str, parsed: ParsedSource, rule: RuleSource) -> str:
    """Source holding ``rule`` alone, with the imports, global rules and rules it refers to."""
    by_name = {r.name: r for r in parsed.rules}
    needed = {rule.name}
    queue = [rule]
    while queue:
        current = queue.pop()
        condition = re.sub(r'"(?:[^"\\]|\\.)*"', " ", current.condition)
        for word in _WORD_RE.findall(condition):
            targets = (
                [r for r in parsed.rules if r.name.startswith(word[:-1])]
                if word.endswith("*")
                else [by_name.get(word)]
            )
            for target in targets:
                if target is not None and target.name not in needed:
                    needed.add(target.name)
                    queue.append(target)
    chosen = [r for r in parsed.rules if r.name in needed or r.is_global]
    imports = "".join(f'import "{name}"\n' for name in dict.fromkeys(parsed.imports))
    return imports + "\n".join(text[r.start : r.end] for r in chosen) + "\n"


def _timed_scan(ruleset: Ruleset, data: bytes, timeout: int) -> tuple[float, list[str], bool]:
    start = time.perf_counter()
    try:
        hits = [m.rule for m in ruleset.scan(data, timeout=timeout, max_strings_per_rule=1, excerpt_bytes=0)]
        timed_out = False
    except ScanTimeout:
        hits, timed_out = [], True
    return time.perf_counter() - start, hits, timed_out


def profile(
    paths: Iterable[str | Path], corpus: Corpus, *, engine: str = "auto", timeout: int = 60
) -> ProfileReport:
    """Scan ``corpus`` (a directory, or a callable/iterable of (name, bytes)) with each pack as a
    whole and with every rule compiled on its own; rules sorted slowest first."""
    packs = find_packs(list(paths))
    if not packs:
        raise RuleError(", ".join(str(p) for p in paths), None, "no .yar/.yara rule files found")
    pack_rulesets = {pack.name: load_packs([pack], engine) for pack in packs}
    singles: list[tuple[str, RuleSource, Ruleset]] = []
    warnings: list[str] = []
    for pack in packs:
        pack_text = inline_pack(pack)
        parsed = parse_source(pack_text.text)
        pack_engine = pack_rulesets[pack.name].pack_engines[pack.name]
        for rule in parsed.rules:
            try:
                alone = compile_text(_isolated_source(pack_text.text, parsed, rule), pack.name, pack_engine)
            except RuleError as exc:
                file, line = pack_text.locate(rule.line)
                warnings.append(
                    f"{display_path(file)}:{line}: rule {rule.name} not timed: cannot compile it alone ({exc.message})"
                )
                continue
            singles.append((pack.name, rule, alone))
    for ruleset in [*pack_rulesets.values(), *(alone for _, _, alone in singles)]:
        ruleset.scan(b"")  # build each scanner before the clock runs
    rule_seconds = [0.0] * len(singles)
    rule_timeouts = [0] * len(singles)
    hit_counts: dict[tuple[str, str], int] = {}
    pack_seconds = dict.fromkeys(pack_rulesets, 0.0)
    files = total_bytes = 0
    unreadable: list[str] = []
    for _name, data in _corpus_items(corpus, unreadable):
        files += 1
        total_bytes += len(data)
        for pack_name, ruleset in pack_rulesets.items():
            seconds, hits, _ = _timed_scan(ruleset, data, timeout)
            pack_seconds[pack_name] += seconds
            for rule_name in hits:
                hit_counts[(pack_name, rule_name)] = hit_counts.get((pack_name, rule_name), 0) + 1
        for index, (_, _, alone) in enumerate(singles):
            seconds, _, timed_out = _timed_scan(alone, data, timeout)
            rule_seconds[index] += seconds
            rule_timeouts[index] += timed_out
    profiles = [
        RuleProfile(
            pack_name,
            rule.name,
            round(rule_seconds[i], 6),
            hit_counts.get((pack_name, rule.name), 0),
            rule_timeouts[i],
            rule.is_private,
        )
        for i, (pack_name, rule, _) in enumerate(singles)
    ]
    profiles.sort(key=lambda p: (-p.seconds, p.pack, p.rule))
    return ProfileReport(
        files=files,
        bytes=total_bytes,
        pack_engines={name: rs.pack_engines[name] for name, rs in pack_rulesets.items()},
        pack_seconds={name: round(s, 6) for name, s in pack_seconds.items()},
        rules=tuple(profiles),
        warnings=tuple(warnings),
        unreadable=tuple(unreadable),
    )

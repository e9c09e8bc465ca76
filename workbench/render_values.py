"""Turning stored values into safe text: terminals, CSV cells, masked secrets."""

from __future__ import annotations

import json
import re
from typing import Any

from workbench.artefacts import Artefact, ArtefactKind

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def terminal_safe(text: str) -> str:
    """Escape control characters, ANSI escapes and bidi overrides so evidence text cannot drive a terminal."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formula injection: prefix a quote to cells starting with = + - @ tab CR."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = value if isinstance(value, int | float) else json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def mask(secret: str) -> str:
    """Show only enough of a secret to tell two apart."""
    if len(secret) <= 4:
        return "*" * len(secret)
    return secret[:2] + "*" * (len(secret) - 4) + secret[-2:]


def mask_secrets(row: dict[str, Any], kind: ArtefactKind | None) -> dict[str, Any]:
    """A copy of an artefact row with its secret fields masked."""
    if kind is None:
        return row
    fields = dict(row["fields"])
    for f in kind.fields:
        value = fields.get(f.name)
        if f.secret and value not in (None, ""):
            fields[f.name] = mask(value if isinstance(value, str) else json.dumps(value))
    return {**row, "fields": fields}


def artefact_row(
    a: Artefact, kind: ArtefactKind | None, file: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An artefact as a flat, JSON-able row with its fields in declaration order."""
    order = list(kind.columns) if kind else []
    fields = {k: a.fields.get(k) for k in order if k in a.fields}
    fields.update({k: v for k, v in a.fields.items() if k not in fields})
    return {
        "id": a.id,
        "kind": a.kind,
        "exhibit": (file or {}).get("exhibit"),
        "location": (file or {}).get("location"),
        "line": a.line,
        "offset": a.offset,
        "plugin": f"{a.plugin} {a.plugin_version}".strip(),
        "rules": list(a.rules),
        "tags": a.tags,
        "notes": a.notes,
        "file_id": a.file_id,
        "fields": fields,
    }

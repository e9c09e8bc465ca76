"""report.json: the whole report model, with every artefact row, written incrementally.

The model in memory holds the first rows of each kind only; ``write_model_json`` writes the model
and, for each findings table, streams all of its rows from the case store in their place, so a case
of any size is written in bounded memory. Output is ASCII (non-ASCII and control characters as
``\\uXXXX`` escapes: evidence text cannot drive a terminal that shows the file), keys in the
model's own deterministic order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from workbench.reports.rows import FileCache, iter_rows

from workbench.registry import Registry, load_registry
from workbench.store import Case


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def _write_list(out: TextIO, items: Iterable[Any]) -> int:
    out.write("[")
    count = 0
    for item in items:
        out.write(",\n" if count else "\n")
        out.write(_dump(item))
        count += 1
    out.write("\n]" if count else "]")
    return count


def _write_kind(out: TextIO, table: dict[str, Any], rows: Callable[[], Iterable[dict[str, Any]]]) -> None:
    out.write("{")
    for n, (key, value) in enumerate(table.items()):
        out.write(("," if n else "") + _dump(key) + ":")
        if key == "rows":
            _write_list(out, rows())
        elif key == "omitted":
            out.write("0")
        else:
            out.write(_dump(value))
    out.write("}")


def write_model_json(
    case: Case,
    model: dict[str, Any],
    target: Path,
    *,
    registry: Registry | None = None,
) -> Path:
    """Write ``model`` to ``target`` with every artefact row of every findings table."""
    reg = registry or load_registry()
    files = FileCache(case)
    tagged_only = bool(model["report"]["tagged_only"])
    with open(target, "w", encoding="ascii", newline="\n") as out:
        out.write("{")
        for n, (key, value) in enumerate(model.items()):
            out.write(("," if n else "") + "\n" + _dump(key) + ":")
            if key != "findings":
                out.write(_dump(value))
                continue
            out.write("[")
            for f, family in enumerate(value):
                out.write(("," if f else "") + "\n{" + _dump("family") + ":" + _dump(family["family"]) + ",")
                out.write(_dump("kinds") + ":[")
                for k, table in enumerate(family["kinds"]):
                    out.write(",\n" if k else "\n")
                    name = table["kind"]

                    def rows(name: str = name) -> Iterable[dict[str, Any]]:
                        return iter_rows(case, name, reg.kind(name), tagged_only=tagged_only, files=files)

                    _write_kind(out, table, rows)
                out.write("]}")
            out.write("]")
        out.write("\n}\n")
    return target

"""A compact, picklable sequence of artefacts: how a worker hands a batch's artefacts back.

A 2 GB access log yields ten million ``log.event`` artefacts from one file. Held as Python objects
that is about 4 GB per million; here they are packed as they come, a thousand at a time, into
zlib-compressed pickles (tens of bytes each), and unpacked one chunk at a time when the coordinator
stores them. Memory on both sides stays at the compressed size plus one chunk.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Iterator
from typing import Any

from workbench.artefacts import Artefact

CHUNK = 1000
ArtefactRow = tuple[Any, ...]  # see ArtefactSpool.rows


def artefact_row(a: Artefact) -> ArtefactRow:
    """An artefact as the tuple the spool keeps and the store writes (see ``ArtefactSpool.rows``)."""
    return (a.kind, a.fields, a.line, a.offset, a.rules, a.id, a.file_id, a.plugin, a.plugin_version)


class ArtefactSpool:
    """Append artefacts; iterate them back in the same order (as often as needed)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._pending: list[ArtefactRow] = []
        self._count = 0

    def append(self, a: Artefact) -> None:
        """Add one artefact (its id, file and plugin already set)."""
        self._pending.append(artefact_row(a))
        self._count += 1
        if len(self._pending) >= CHUNK:
            self._pack()

    def _pack(self) -> None:
        if self._pending:
            self._chunks.append(zlib.compress(pickle.dumps(self._pending, pickle.HIGHEST_PROTOCOL), 1))
            self._pending = []

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Artefact]:
        for rows in self._row_chunks():
            yield from _unpack(rows)

    def rows(self) -> Iterator[ArtefactRow]:
        """The artefacts as plain tuples (kind, fields, line, offset, rules, id, file_id, plugin,
        plugin_version): what the store writes, without building an object per artefact."""
        for rows in self._row_chunks():
            yield from rows

    def _row_chunks(self) -> Iterator[list[ArtefactRow]]:
        for chunk in self._chunks:
            yield pickle.loads(zlib.decompress(chunk))
        yield self._pending

    def __getstate__(self) -> dict[str, object]:
        self._pack()
        return self.__dict__.copy()

    @property
    def packed_bytes(self) -> int:
        """Size of the compressed chunks (what crosses the process boundary)."""
        return sum(len(c) for c in self._chunks)


def _unpack(rows: list[ArtefactRow]) -> Iterator[Artefact]:
    for kind, fields, line, offset, rules, aid, file_id, plugin, version in rows:
        yield Artefact(
            kind=kind,
            fields=fields,
            line=line,
            offset=offset,
            rules=rules,
            id=aid,
            file_id=file_id,
            plugin=plugin,
            plugin_version=version,
        )

"""The artefact spool: what goes in comes back, in order, as objects or as rows, across pickling."""

from __future__ import annotations

import pickle

from workbench.artefacts import Artefact
from workbench.spool import CHUNK, ArtefactSpool


def _artefact(number: int) -> Artefact:
    return Artefact(
        kind="log.event",
        fields={"n": number, "text": f"line {number}"},
        line=number,
        offset=number * 10,
        rules=("rule_a",) if number % 3 == 0 else (),
        id=f"id-{number:06d}",
        file_id="f1",
        plugin="logs",
        plugin_version="1",
    )


def test_spool_returns_every_artefact_in_order_as_objects_and_rows() -> None:
    spool = ArtefactSpool()
    made = [_artefact(n) for n in range(CHUNK * 2 + 17)]  # two packed chunks and a pending tail
    for a in made:
        spool.append(a)
    back = pickle.loads(pickle.dumps(spool))  # what crosses from a worker to the coordinator
    assert len(back) == len(made)
    assert back.packed_bytes > 0
    for copy in (spool, back):
        objects = list(copy)
        assert [(a.id, a.kind, a.fields, a.line, a.offset, a.rules) for a in objects] == [
            (a.id, a.kind, a.fields, a.line, a.offset, a.rules) for a in made
        ]
        rows = list(copy.rows())
        assert [row[5] for row in rows] == [a.id for a in made]
        assert rows[3] == ("log.event", made[3].fields, 3, 30, ("rule_a",), "id-000003", "f1", "logs", "1")

"""Every YARA hit becomes an artefact, so a rule pack is useful before anyone writes a parser for it."""

from __future__ import annotations

from collections.abc import Iterable

from workbench.plugin_api import Artefact, ArtefactKind, CaseReader, Field, FileView, Plugin, figure

YARA_HIT = ArtefactKind(
    "yara.hit",
    "YARA rule hit",
    family="yara",
    description="A rule of a rule pack matched a file.",
    fields=(
        Field("rule", "str", "Rule name", key=True),
        Field("pack", "str", "Rule pack (YARA namespace)", key=True),
        Field("points_to", "str", "Artefact kind the rule points to (meta artefact)"),
        Field("description", "str", "Rule description (meta)"),
        Field("tags", "list", "Rule tags"),
        Field("matches", "json", "Matched strings: identifier, offset, escaped excerpt"),
        Field("capped", "bool", "More string matches existed than were kept"),
    ),
    summary_fields=("rule", "pack", "points_to", "description", "matches"),
)


def escape_excerpt(data: bytes) -> str:
    """Printable ASCII kept, everything else shown as \\xNN: an excerpt is never interpreted."""
    return "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else f"\\x{b:02x}" for b in data)


class YaraHits(Plugin):
    """Records each YARA match of each file as a ``yara.hit`` artefact."""

    name = "yara_hits"
    version = "1.0"
    description = "Every YARA rule hit, with its matched strings and offsets"
    kinds = (YARA_HIT,)
    yara_rules = ("*",)

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """One artefact per rule that matched the file."""
        for match in file.yara:
            yield YARA_HIT(
                rule=match.rule,
                pack=match.namespace,
                points_to=str(match.meta.get("artefact", "")),
                description=str(match.meta.get("description", "")),
                tags=list(match.tags),
                matches=[
                    {"id": ident, "offset": offset, "excerpt": escape_excerpt(excerpt)}
                    for ident, offset, excerpt in match.strings
                ],
                capped=match.capped,
                offset=match.strings[0][1] if match.strings else None,
                rules=(match.rule,),
            )

    def correlate(self, store: CaseReader) -> Iterable[Artefact]:
        """Figures: files with hits and hits per pack."""
        per_pack: dict[str, int] = {}
        for hit in store.artefacts(kind="yara.hit"):
            per_pack[hit.fields.get("pack", "")] = per_pack.get(hit.fields.get("pack", ""), 0) + 1
        for pack, count in sorted(per_pack.items()):
            yield figure("yara", f"hits of pack {pack}", count, "yara.hit artefacts by pack")


PLUGINS = (YaraHits,)

"""The plugin API: the whole surface a plugin sees.

A plugin is a subclass of ``Plugin`` registered under the entry-point group ``workbench.plugins``.
An entry point names either one ``Plugin`` subclass or a module whose ``PLUGINS`` tuple lists them;
built-ins are registered the same way, so a pack installed with pip is found without code changes.

Hooks (both optional to override; neither may write anything but artefacts):

``extract(file, data) -> Iterable[Artefact]``
    Per-file work. Called for every file whose triggers fire: a name glob (``globs``, matched with
    ``fnmatch`` against the file's full path inside its file system, which starts with ``/``), a
    libmagic MIME type (``mime_types``, ``fnmatch`` patterns such as ``text/*``), a YARA rule name
    (``yara_rules``) or a YARA tag (``yara_tags``) that hit the file. ``data`` is the whole content
    when the file is at most ``inline_limit`` bytes, else ``None``: then stream with ``file.open()``.
    ``file.open()`` always works, so ``stream = file.open()`` is the uniform way.

``correlate(store) -> Iterable[Artefact]``
    Case-level work after every file of a run has been processed, e.g. join a panel's subscribers
    with its access logs or compute the case figures (yield ``CASE_FIGURE`` artefacts). ``store``
    is read-only: ``store.artefacts(kind=..., exhibit=...)`` iterates stored artefacts,
    ``store.evidence()`` lists the evidence items (with seizure dates). On a large case the hooks
    of one run execute at the same time in separate processes, so a hook reads what the files gave
    (and its own earlier output), never another plugin's case-level output of the same run.

A plugin that raises is recorded (file, plugin, error) and the run goes on. Every artefact carries
the plugin's name and version. Plugins must be deterministic: the same input gives the same
artefacts in the same order (artefact ids depend on it).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, ClassVar, Protocol

from workbench.artefacts import Artefact, ArtefactKind, Field, UcoMapping

__all__ = [
    "CASE_FIGURE",
    "Artefact",
    "ArtefactKind",
    "CaseReader",
    "Field",
    "FileView",
    "Plugin",
    "UcoMapping",
    "YaraMatch",
    "figure",
]

INLINE_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class YaraMatch:
    """One rule that matched a file, with the strings it matched."""

    rule: str
    namespace: str
    tags: tuple[str, ...]
    meta: dict[str, Any]
    strings: tuple[tuple[str, int, bytes], ...]  # (identifier, offset, matched bytes, capped)
    capped: bool = False  # more string matches existed than were kept


@dataclass
class FileView:
    """A file as a plugin sees it: where it is, what it is, what hit it, and its bytes."""

    exhibit: str  # "EX-01"
    location: str  # full chain: "EX-01 / gpt p2 @ 1048576 / ext4 / /var/www/panel/config.php"
    path: str  # path inside its file system or archive layer, starting with "/"
    size: int
    mime: str = ""
    magic: str = ""  # libmagic description
    yara: tuple[YaraMatch, ...] = ()
    mtime: str | None = None  # UTC ISO 8601 Z (used e.g. to infer the year of syslog lines)
    deleted: bool = False
    sha256: str = ""
    layers: tuple[str, ...] = ()  # the location chain below the exhibit: ("gpt p1 @ 1048576", "ext4", ...)
    opener: Callable[[], BinaryIO] | None = field(default=None, repr=False)
    sibling_opener: Callable[[str], BinaryIO | None] | None = field(default=None, repr=False)
    _data: bytes | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """The file name (last path component)."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def decompressed_from(self) -> str | None:
        """The compressed file (gz, bz2, xz) this file is the decompressed stream of, or None.
        Plugins that read rotated ``.gz`` files themselves skip these to count each line once."""
        inner = self.layers[-1] if self.layers else ""
        kind, _, outer = inner.partition(" ")
        return outer if kind in ("gz", "bz2", "xz") and outer else None

    @property
    def yara_rules(self) -> frozenset[str]:
        """Names of the YARA rules that hit this file."""
        return frozenset(m.rule for m in self.yara)

    def open(self) -> BinaryIO:
        """A fresh binary stream over the file's content, positioned at 0."""
        if self._data is not None:
            return io.BytesIO(self._data)
        if self.opener is None:
            raise OSError(f"{self.location}: content is not readable")
        return self.opener()

    def open_sibling(self, name: str) -> BinaryIO | None:
        """A stream over the file called ``name`` in the same directory, or None if there is none
        (e.g. an SFV plugin checking the CRCs of the parts beside it)."""
        if self.sibling_opener is None or "/" in name:
            return None
        return self.sibling_opener(name)


class CaseReader(Protocol):
    """Read-only view of the case store handed to ``Plugin.correlate``."""

    def artefacts(self, kind: str | None = None, exhibit: str | None = None) -> Iterator[Artefact]: ...

    def evidence(self) -> list[dict[str, Any]]: ...

    def files(self, exhibit: str | None = None) -> Iterator[dict[str, Any]]: ...


class Plugin:
    """Base class of every plugin. Subclasses set the class attributes and override the hooks."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    description: ClassVar[str] = ""
    kinds: ClassVar[tuple[ArtefactKind, ...]] = ()
    globs: ClassVar[tuple[str, ...]] = ()
    mime_types: ClassVar[tuple[str, ...]] = ()
    yara_rules: ClassVar[tuple[str, ...]] = ()
    yara_tags: ClassVar[tuple[str, ...]] = ()
    inline_limit: ClassVar[int] = INLINE_LIMIT

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """Per-file hook: yield the artefacts found in ``file``."""
        return ()

    def correlate(self, store: CaseReader) -> Iterable[Artefact]:
        """Case-level hook, after all files: yield artefacts derived from stored ones."""
        return ()


CASE_FIGURE = ArtefactKind(
    "case.figure",
    "Case figure",
    family="case",
    description="A headline number of the case (channels, subscribers, releases …), computed by a plugin.",
    fields=(
        Field("family", "str", "Artefact family the figure belongs to", key=True),
        Field("name", "str", "What is counted", key=True),
        Field("value", "float", "The figure"),
        Field("unit", "str", "Unit, empty for a plain count"),
        Field("basis", "str", "How it was computed (kinds and conditions)"),
    ),
    summary_fields=("family", "name", "value", "basis"),
)


def figure(family: str, name: str, value: float, basis: str, unit: str = "") -> Artefact:
    """Shorthand for a ``case.figure`` artefact from ``correlate``."""
    return CASE_FIGURE(family=family, name=name, value=value, unit=unit, basis=basis)

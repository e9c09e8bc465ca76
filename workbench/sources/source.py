"""``Source``: every file of one piece of evidence, across containers, volumes, file systems and archives."""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from workbench.sources import archives as arc
from workbench.sources import logical
from workbench.sources.containers import open_media
from workbench.sources.model import (
    EvidenceRef,
    FileEntry,
    LayerNode,
    LayerProblem,
    Listed,
    SourceError,
    Stamp,
    layer_address_prefix,
    one_line,
)
from workbench.sources.volumes import FsLayer, VolumeScan

IMAGE_FORMATS = ("raw", "split-raw", "ewf", "qcow2", "vmdk", "vhd", "vhdx")
ARCHIVE_FORMATS = ("tar", "zip", "gz")
SNIFF_BYTES = 512
MIN_ARCHIVE_SIZE = 18  # the smallest gzip stream
ARCHIVE_CACHE = 8


class _DirectoryBackend:
    """A directory tree given as evidence."""

    type_name = "dir"

    def __init__(self, root: str) -> None:
        self.root = root
        self.problems: list[str] = []  # what the walk could not list, and why

    def walk(self, include_deleted: bool, stamp: Stamp) -> Iterator[Listed]:
        """Every entry of the tree."""
        self.problems = []
        return ((entry, None) for entry in logical.walk_directory(self.root, stamp, self.problems))

    def open(self, handle: Any, where: str) -> BinaryIO:
        """Open a file of the tree."""
        return logical.open_in_directory(self.root, json.dumps(handle), where)


class _FileBackend:
    """A single file given as evidence."""

    type_name = "file"

    def __init__(self, path: str) -> None:
        self.path = path

    def walk(self, include_deleted: bool, stamp: Stamp) -> Iterator[Listed]:
        """The one entry."""
        yield logical.single_file_entry(self.path, stamp), None

    def open(self, handle: Any, where: str) -> BinaryIO:
        """Open the file."""
        try:
            return open(self.path, "rb")
        except OSError as exc:
            raise SourceError(where, f"cannot open: {exc.strerror}") from None


class Source:
    """Every entry of one piece of evidence; see the package docstring for the rules."""

    def __init__(
        self,
        ref: EvidenceRef,
        *,
        max_archive_depth: int = 4,
        max_archive_ratio: int = 200,
        max_archive_bytes: int = 8 << 30,
        verify_metadata: bool = True,
    ) -> None:
        self.ref = ref
        self.verify_metadata = verify_metadata  # checksummed metadata (APFS) checked on open
        self.max_archive_depth = max_archive_depth
        self.budget = arc.Budget(max_archive_ratio, max_archive_bytes)
        self.problems: list[LayerProblem] = []
        self._root: LayerNode | None = None
        self._fs: dict[tuple[str, ...], FsLayer] = {}
        self._media: Any = None
        self._scan: VolumeScan | None = None
        self._archives: OrderedDict[str, arc.Archive] = OrderedDict()
        self._archive_nodes: dict[tuple[str, ...], LayerNode] = {}
        self._reported: set[tuple[tuple[str, ...], str]] = set()
        self._prefixes: dict[
            str, tuple[FsLayer, str]
        ] = {}  # address prefix -> file system layer, its location

    # -- public API ---------------------------------------------------------------------------
    def walk(self, *, include_deleted: bool = True) -> Iterator[FileEntry]:
        """Every entry of every file system and archive; bad layers go to ``problems``."""
        self._open()
        if self.ref.info.format in ARCHIVE_FORMATS:
            yield from self._walk_evidence_archive()
        for layer in list(self._fs.values()):
            yield from self._walk_layer(layer, include_deleted)

    def open(self, address: str) -> BinaryIO:
        """A read-only content stream of the entry behind ``address``."""
        if self._root is None:
            self._open()
        cut = address.rfind("[")  # a TSK address ends with its handle: '["f", ["ext4"], [12]]'
        known = self._prefixes.get(address[:cut]) if cut > 0 and address[-1] == "]" else None
        if known is not None:
            handle = _tsk_handle(address[cut:-1])
            if handle is not None:
                layer, where = known
                return cast(BinaryIO, layer.backend.open(handle, where))
        try:
            parsed = json.loads(address)
        except (ValueError, TypeError):
            raise SourceError(self.ref.exhibit, f"not an address: {address[:80]!r}") from None
        if not isinstance(parsed, list) or not parsed:
            raise SourceError(self.ref.exhibit, f"not an address: {address[:80]!r}")
        return self._open_parsed(parsed)

    def readable_limit(self, entry: FileEntry) -> int | None:
        """The evidence's size when ``entry`` is listed as larger than the whole evidence (the holes
        of a sparse file or a damaged size field: past it there are no real bytes), else None."""
        media = self.ref.info.media_size
        return media if media and entry.size > media else None

    def lookup(self, location: str) -> FileEntry:
        """The entry at a full location ("EX-01 / ext4 / etc/hosts", the exhibit prefix optional)."""
        self._open()
        wanted = location.strip()
        prefix = f"{self.ref.exhibit} / "
        if not wanted.startswith(prefix):
            wanted = prefix + wanted
        for layer in sorted(self._fs.values(), key=lambda fs: -len(fs.chain)):
            head = " / ".join((self.ref.exhibit, *layer.chain)) + " / "
            resolve = getattr(layer.backend, "resolve", None)
            if wanted.startswith(head) and resolve is not None:
                found = resolve("/" + wanted[len(head) :], self._stamp(layer))
                if found is not None:
                    return cast(FileEntry, found)
        for entry in self.walk(include_deleted=True):
            if entry.location == wanted:
                return entry
        raise SourceError(location, "not found in the evidence")

    def layers(self) -> LayerNode:
        """The layer tree (archive layers appear once ``walk`` has met them)."""
        self._open()
        assert self._root is not None
        return self._root

    def close(self) -> None:
        """Release every opened image, file system and archive."""
        for archive in self._archives.values():
            archive.close()
        self._archives.clear()
        if self._scan is not None:
            self._scan.close()
        for layer in self._fs.values():
            close = getattr(layer.backend, "close", None)
            if close is not None:
                close()
        self._fs.clear()
        if self._media is not None:
            self._media.close()
            self._media = None
        self._root = None

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- discovery ----------------------------------------------------------------------------
    def _open(self) -> None:
        if self._root is not None:
            return
        info = self.ref.info
        fmt = info.format
        if fmt == "directory":
            node = LayerNode("dir", "dir", None, None, {"path": info.paths[0]}, [])
            self._root = node
            self._fs[("dir",)] = FsLayer(("dir",), node, _DirectoryBackend(info.paths[0]))
        elif fmt == "file":
            node = LayerNode("file", "file", None, info.media_size, {"path": info.paths[0]}, [])
            self._root = node
            self._fs[("file",)] = FsLayer(("file",), node, _FileBackend(info.paths[0]))
        elif fmt in ARCHIVE_FORMATS:
            self._root = LayerNode(fmt, fmt, 0, info.media_size, {"path": info.paths[0]}, [])
        elif fmt in IMAGE_FORMATS:
            self._media = open_media(info)
            self._scan = VolumeScan(
                info,
                self._media,
                self.ref.password,
                self.ref.recovery_key,
                self.problems,
                self.verify_metadata,
            )
            self._root, layers = self._scan.run()
            for layer in layers:
                self._fs[layer.chain] = layer
        else:
            raise SourceError(info.paths[0] if info.paths else self.ref.exhibit, f"unknown format {fmt!r}")
        self._prefixes = {
            layer_address_prefix(c): (layer, " / ".join((self.ref.exhibit, *c)))
            for c, layer in self._fs.items()
        }

    # -- walking ------------------------------------------------------------------------------
    def _stamp(self, layer: FsLayer) -> Stamp:
        return Stamp(self.ref.exhibit, layer.chain, layer_address_prefix(layer.chain))

    def _walk_layer(self, layer: FsLayer, include_deleted: bool) -> Iterator[FileEntry]:
        chain = layer.chain
        iterator = layer.backend.walk(include_deleted, self._stamp(layer))
        while True:
            # only the back-end's own failures end this layer's walk; an archive's are reported on
            # the archive's layer by ``_archive_members``
            try:
                entry, head = next(iterator)
            except StopIteration:
                break
            except SourceError as exc:
                self._report(chain, exc.reason)
                break
            except Exception as exc:  # a damaged file system may fail anywhere in TSK or dfvfs
                self._report(chain, f"walk stopped: {type(exc).__name__}: {one_line(str(exc))}")
                break
            yield entry
            if entry.type == "file" and entry.size >= MIN_ARCHIVE_SIZE:
                if head is not None and arc.sniff(head, entry.path) is None:
                    continue  # the usual case, decided without a generator per file
                yield from self._maybe_archive(entry, layer.node, 1, head)
        for reason in getattr(layer.backend, "problems", ()):
            self._report(chain, reason)

    def _walk_evidence_archive(self) -> Iterator[FileEntry]:
        info = self.ref.info
        path = info.paths[0]
        size = int(info.media_size or 0)

        def opener() -> BinaryIO:
            return open(path, "rb")

        with opener() as handle:
            head = handle.read(SNIFF_BYTES)
        kind = arc.sniff(head, path) or info.format
        assert self._root is not None
        yield from self._archive_members(
            kind, opener, size, os.path.basename(path), (), self._root, 1, "", True
        )

    def _maybe_archive(
        self, entry: FileEntry, parent: LayerNode, depth: int, head: bytes | None = None
    ) -> Iterator[FileEntry]:
        if head is None:
            try:
                with self._open_parsed(json.loads(entry.address)) as stream:
                    head = stream.read(SNIFF_BYTES)
            except (SourceError, OSError, ValueError):
                return
        kind = arc.sniff(head, entry.path)
        if kind is None:
            return
        address = entry.address

        def opener() -> BinaryIO:
            return self._open_parsed(json.loads(address))

        yield from self._archive_members(
            kind, opener, entry.size, entry.path, entry.layers, parent, depth, address, entry.allocated
        )

    def _archive_members(
        self,
        kind: str,
        opener: Any,
        size: int,
        path: str,
        chain: tuple[str, ...],
        parent: LayerNode,
        depth: int,
        archive_address: str,
        allocated: bool,
    ) -> Iterator[FileEntry]:
        evidence_level = not archive_address
        try:
            archive = arc.Archive.open(
                kind, opener, size, path, " / ".join((self.ref.exhibit, *chain, path[1:])), self.budget
            )
        except SourceError as exc:
            self._report((*chain, f"{kind} {path}"), exc.reason)
            return
        label = archive.kind if evidence_level else f"{archive.kind} {path}"
        inner = (*chain, label)
        if evidence_level:
            node = parent
            node.kind = archive.kind
            node.label = archive.kind
        else:
            node = self._archive_nodes.get(inner) or LayerNode(
                archive.kind, label, None, size, {"path": path}, []
            )
            if inner not in self._archive_nodes:
                self._archive_nodes[inner] = node
                parent.children.append(node)
        if depth > self.max_archive_depth:
            node.details["skipped"] = True
            self._report(inner, f"archive nesting deeper than {self.max_archive_depth} levels, not opened")
            return
        try:
            members = archive.members()
        except (arc.ArchiveLimit, SourceError) as exc:
            node.details["skipped"] = True
            self._report(inner, exc.reason if isinstance(exc, SourceError) else str(exc))
            archive.close()
            return
        if archive.problem:
            self._report(inner, archive.problem)
        odd = sum(1 for m in members if m.odd_name)
        if odd:
            self._report(inner, f"{odd} member name(s) absolute or with '..' (listed relative, '..' escaped)")
        node.details["members"] = len(members)
        key = json.dumps(["a", list(inner), archive_address, archive.kind])
        self._remember_archive(key, archive)
        for member in members:
            address = json.dumps(["a", list(inner), archive_address, archive.kind, member.spec])
            entry = FileEntry(
                exhibit=self.ref.exhibit,
                layers=inner,
                path=member.path,
                address=address,
                type=member.type,
                size=member.size,
                inode=None,
                allocated=allocated,
                mtime=member.mtime,
                atime=None,
                ctime=None,
                btime=None,
            )
            yield entry
            if entry.type == "file" and entry.size >= MIN_ARCHIVE_SIZE:
                yield from self._maybe_archive(entry, node, depth + 1)

    def _remember_archive(self, key: str, archive: arc.Archive) -> None:
        old = self._archives.pop(key, None)
        if old is not None and old is not archive:
            old.close()
        self._archives[key] = archive
        while len(self._archives) > ARCHIVE_CACHE:
            _, evicted = self._archives.popitem(last=False)
            evicted.close()

    def _report(self, chain: tuple[str, ...], reason: str) -> None:
        key = (chain, reason)
        if key not in self._reported:
            self._reported.add(key)
            self.problems.append(LayerProblem(chain, one_line(reason)))

    # -- opening ------------------------------------------------------------------------------
    def _open_parsed(self, parsed: list[Any]) -> BinaryIO:
        where = self.ref.exhibit
        try:
            if parsed[0] == "f":
                chain = tuple(parsed[1])
                where = " / ".join((self.ref.exhibit, *chain))
                layer = self._fs.get(chain)
                if layer is None:
                    raise SourceError(where, "no such layer in this evidence")
                return cast(BinaryIO, layer.backend.open(parsed[2], where))
            if parsed[0] == "a":
                _, chain, archive_address, kind, spec = parsed
                where = " / ".join((self.ref.exhibit, *chain))
                archive = self._archive_for(tuple(chain), archive_address, kind)
                return archive.open_member(spec)
        except SourceError:
            raise
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            raise SourceError(where, f"malformed address: {exc}") from None
        raise SourceError(where, "malformed address")

    def _archive_for(self, chain: tuple[str, ...], archive_address: str, kind: str) -> arc.Archive:
        key = json.dumps(["a", list(chain), archive_address, kind])
        archive = self._archives.get(key)
        if archive is not None:
            self._archives.move_to_end(key)
            return archive
        where = " / ".join((self.ref.exhibit, *chain))
        if archive_address:
            parsed = json.loads(archive_address)

            def opener() -> BinaryIO:
                return self._open_parsed(parsed)

            with opener() as probe:
                probe.seek(0, os.SEEK_END)
                size = probe.tell()
            name = chain[-1].split(" ", 1)[-1]
        else:
            path = self.ref.info.paths[0]

            def opener() -> BinaryIO:
                return open(path, "rb")

            size = int(self.ref.info.media_size or 0)
            name = os.path.basename(path)
        base_kind = kind.split(".")[-1] if kind.startswith("tar.") else kind
        archive = arc.Archive.open(base_kind, opener, size, name, where, self.budget)
        self._remember_archive(key, archive)
        return archive


def _tsk_handle(text: str) -> list[int] | None:
    """A TSK handle "[12]" or "[35, 128, 4]" parsed without the JSON decoder; None otherwise."""
    if len(text) < 3 or text[0] != "[" or text[-1] != "]":
        return None
    try:
        if "," not in text:
            return [int(text[1:-1])]
        return [int(part) for part in text[1:-1].split(",")]
    except ValueError:
        return None

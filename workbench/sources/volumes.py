"""From a media stream to its file systems: dfvfs finds the volume layers, pytsk3 opens the file systems.

dfvfs's source scanner walks the structure (GPT, MBR, LVM, APFS containers, BitLocker, LUKS,
FileVault, file systems) and unlocks encrypted volumes with the given credentials. File systems
TSK reads are then opened with pytsk3 directly over our own media stream (a partition is an
offset into it), which keeps checksum-verified EWF reads and a fast path for raw images; volumes
below LVM or encryption are read through dfvfs file objects; XFS, APFS and anything TSK cannot
open go through dfvfs's own file system back-ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytsk3
from dfvfs.helpers import source_scanner
from dfvfs.lib import definitions as dfvfs_definitions
from dfvfs.resolver import context as dfvfs_context
from dfvfs.resolver import resolver
from dfvfs.volume import apfs_volume_system, gpt_volume_system, lvm_volume_system, tsk_volume_system

from workbench.sources.apfs_integrity import stream_reader, verify_container
from workbench.sources.dfvfs_fs import TSK_READABLE, DfvfsFileSystem
from workbench.sources.model import (
    ContainerInfo,
    FileSystemBackend,
    LayerNode,
    LayerProblem,
    SourceError,
    escape_name,
    one_line,
)
from workbench.sources.streams import HandleStream, StreamImage
from workbench.sources.tsk import TskFileSystem

D = dfvfs_definitions
CONTAINER_TYPES = {
    D.TYPE_INDICATOR_OS,
    D.TYPE_INDICATOR_EWF,
    D.TYPE_INDICATOR_QCOW,
    D.TYPE_INDICATOR_VMDK,
    D.TYPE_INDICATOR_VHDI,
    D.TYPE_INDICATOR_RAW,
    D.TYPE_INDICATOR_MODI,
    D.TYPE_INDICATOR_PHDI,
}
VOLUME_SYSTEMS = {
    D.TYPE_INDICATOR_GPT: ("gpt", gpt_volume_system.GPTVolumeSystem),
    D.TYPE_INDICATOR_TSK_PARTITION: ("mbr", tsk_volume_system.TSKVolumeSystem),
    D.TYPE_INDICATOR_LVM: ("lvm", lvm_volume_system.LVMVolumeSystem),
    D.TYPE_INDICATOR_APFS_CONTAINER: ("apfs-container", apfs_volume_system.APFSVolumeSystem),
}
ENCRYPTED = {
    D.TYPE_INDICATOR_BDE: ("bitlocker", "BitLocker"),
    D.TYPE_INDICATOR_LUKSDE: ("luks", "LUKS"),
    D.TYPE_INDICATOR_CS: ("filevault", "FileVault/Core Storage"),
}
# Encoded containers are a layer of their own; plain and split raw are not (their bytes are the media).
CONTAINER_LABELS = {"ewf": "ewf", "qcow2": "qcow2", "vmdk": "vmdk", "vhd": "vhd", "vhdx": "vhdx"}


def _children(node: Any) -> list[Any]:
    """A scan node's sub-nodes, without the file system dfvfs also finds beside a BitLocker volume:
    BitLocker's header carries a FAT32 boot sector on purpose (so that older systems see a volume),
    which holds no files; the real file system is inside the encrypted volume."""
    children = list(node.sub_nodes)
    if any(child.type_indicator == D.TYPE_INDICATOR_BDE for child in children):
        return [child for child in children if child.type_indicator not in D.FILE_SYSTEM_TYPE_INDICATORS]
    return children


def _lvm_names(volume: Any) -> dict[str, object]:
    """The logical volume's own name ("root", "data"): dfvfs only numbers them (lvm1, lvm2)."""
    try:
        logical_volume = volume._file_entry.GetLVMLogicalVolume()
        return (
            {"name": str(logical_volume.name)} if logical_volume is not None and logical_volume.name else {}
        )
    except Exception:  # an older dfvfs without the accessor: keep dfvfs's numbering
        return {}


def _forget_credentials(image_path: str) -> None:
    """Drop credentials an earlier open of this image left in dfvfs's process-wide key chain, so
    that a volume is unlocked by this item's password alone (a wrong one must fail every time)."""
    remembered = getattr(resolver.Resolver.key_chain, "_credentials_per_path_spec", None)
    if isinstance(remembered, dict):
        for key in [k for k in remembered if image_path in str(k)]:
            del remembered[key]


@dataclass
class FsLayer:
    """A file system found in the evidence, opened and ready to walk."""

    chain: tuple[str, ...]
    node: LayerNode
    backend: FileSystemBackend


class VolumeScan:
    """Builds the layer tree of an image container and opens every file system in it."""

    def __init__(
        self,
        info: ContainerInfo,
        media: Any,
        password: str | None,
        recovery_key: str | None,
        problems: list[LayerProblem],
        verify_metadata: bool = True,
    ) -> None:
        self.info = info
        self.verify_metadata = verify_metadata
        self.media = media
        self.password = password
        self.recovery_key = recovery_key
        self.problems = problems
        # objects dfvfs opens (an unlocked volume among them) are cached per resolver context: one of
        # this item's own, so another item's open, unlocked volume is never reused for this one
        self.resolver_context = dfvfs_context.Context()
        self.fs_layers: list[FsLayer] = []
        size = int(info.media_size or 0)
        if info.format == "raw":
            self.media_image: Any = pytsk3.Img_Info(info.paths[0])  # native reads: the fast path
        else:
            self.media_image = StreamImage(media, size)
        self.root = LayerNode(info.format, info.format, 0, size, dict(info.details), [])
        self.base_chain: tuple[str, ...] = (
            (CONTAINER_LABELS[info.format],) if info.format in CONTAINER_LABELS else ()
        )
        self._volume_streams: list[Any] = []

    def run(self) -> tuple[LayerNode, list[FsLayer]]:
        """Scan, build the tree, open the file systems; problems go to the shared list."""
        _forget_credentials(self.info.paths[0])
        scanner = source_scanner.SourceScanner(resolver_context=self.resolver_context)
        context = source_scanner.SourceScannerContext()
        try:
            context.OpenSourcePath(self.info.paths[0])
            scanner.Scan(context)
            root_scan = context.GetRootScanNode()
        except Exception as exc:  # dfvfs raises back-end specific errors on damaged media
            self._fallback(one_line(str(exc)))
            return self.root, self.fs_layers
        self._scanner = scanner
        self._context = context
        found_before = len(self.fs_layers)
        self._visit(root_scan, self.root, self.base_chain, direct=(0, self.info.media_size))
        if len(self.fs_layers) == found_before and not self.root.children and not self._problem_count():
            self._try_tsk(self.root, self.base_chain, 0, self.info.media_size, quiet_kind="media")
        return self.root, self.fs_layers

    def _fallback(self, scan_error: str) -> None:
        """The dfvfs scan failed somewhere: list partitions with TSK, open each one on its own."""
        try:
            volumes = pytsk3.Volume_Info(self.media_image)
        except OSError:
            self._problem(self.base_chain, f"volume scan failed: {scan_error}")
            self._try_tsk(self.root, self.base_chain, 0, self.info.media_size)
            return
        scheme = "gpt" if int(volumes.info.vstype) == int(pytsk3.TSK_VS_TYPE_GPT) else "mbr"
        block = int(volumes.info.block_size)
        vs_node = LayerNode(scheme, scheme, 0, None, {"fallback": "pytsk3"}, [])
        self.root.children.append(vs_node)
        index = 0
        for part in volumes:
            if not int(part.flags) & int(pytsk3.TSK_VS_PART_FLAG_ALLOC):
                continue
            index += 1
            offset, size = int(part.start) * block, int(part.len) * block
            label = f"{scheme} p{index} @ {offset}"
            node = LayerNode(
                "partition",
                label,
                offset,
                size,
                {
                    "scheme": scheme,
                    "description": escape_name(part.desc)
                    if isinstance(part.desc, bytes)
                    else _plain(part.desc),
                },
                [],
            )
            vs_node.children.append(node)
            chain = (*self.base_chain, label)
            self.media.seek(offset)
            head = self.media.read(16)
            encrypted = _encryption_signature(head)
            if encrypted:
                enc = LayerNode(
                    "encrypted", encrypted[0], offset, size, {"scheme": encrypted[1], "skipped": True}, []
                )
                node.children.append(enc)
                self._problem(
                    (*chain, encrypted[0]),
                    f"encrypted ({encrypted[1]}): cannot be opened ({scan_error}), skipped",
                )
                continue
            self._try_tsk(node, chain, offset, size)

    def _problem_count(self) -> int:
        return len(self.problems)

    def _problem(self, chain: tuple[str, ...], reason: str) -> None:
        self.problems.append(LayerProblem(chain, one_line(reason)))

    def _visit(
        self, node: Any, parent: LayerNode, chain: tuple[str, ...], direct: tuple[int, int | None] | None
    ) -> None:
        kind = node.type_indicator
        path_spec = node.path_spec
        location = getattr(path_spec, "location", None)
        # a container, or a Core Storage volume group (its logical volumes are the layers): pass through
        if kind in CONTAINER_TYPES or (kind == D.TYPE_INDICATOR_CS and location == "/"):
            for child in _children(node):
                self._visit(child, parent, chain, direct)
            return
        if kind in VOLUME_SYSTEMS:
            if location == "/":
                self._volume_system(node, parent, chain, direct)
            return
        if kind in ENCRYPTED:
            self._encrypted(node, parent, chain)
            return
        if kind in D.FILE_SYSTEM_TYPE_INDICATORS:
            self._file_system(path_spec, parent, chain, direct)
            return
        for child in _children(node):
            self._visit(child, parent, chain, direct)

    def _volume_system(self, node: Any, parent: LayerNode, chain: tuple[str, ...], direct: Any) -> None:
        name, system_class = VOLUME_SYSTEMS[node.type_indicator]
        extents: dict[str, tuple[int, int, dict[str, object]]] = {}
        try:
            system = system_class()
            system.Open(node.path_spec)
            for volume in system.volumes:
                attributes = {a.identifier: _plain(a.value) for a in volume.attributes}
                if name == "lvm":
                    attributes.update(_lvm_names(volume))
                if volume.extents:
                    extents[volume.identifier] = (
                        int(volume.extents[0].offset),
                        int(volume.extents[0].size),
                        attributes,
                    )
                else:
                    extents[volume.identifier] = (0, 0, attributes)
        except Exception as exc:
            self._problem(chain, f"{name}: cannot read volume system: {one_line(str(exc))}")
            return
        if name == "apfs-container" and self.verify_metadata:
            self._verify_apfs(node.path_spec, chain, direct)
        base = direct[0] if direct else 0
        vs_node = LayerNode(name, name, base if direct else None, None, {"volumes": len(extents)}, [])
        parent.children.append(vs_node)
        for child in node.sub_nodes:
            location = getattr(child.path_spec, "location", None)
            if not location or location == "/":
                continue
            identifier = location.lstrip("/")
            offset, size, attributes = extents.get(identifier, (0, 0, {}))
            label = self._volume_label(name, identifier, offset if direct else None, attributes)
            kind = "partition" if name in ("gpt", "mbr") else f"{name}-volume"
            absolute = base + offset if direct and name in ("gpt", "mbr") else None
            volume_node = LayerNode(
                kind,
                label,
                absolute if absolute is not None else offset,
                size,
                {"scheme": name, **attributes},
                [],
            )
            vs_node.children.append(volume_node)
            inner_chain = (*chain, label)
            inner_direct = (absolute, size) if absolute is not None else None
            if name == "apfs-container" and self._context.IsLockedScanNode(child.path_spec):
                volume_node.details["encrypted"] = True  # FileVault on APFS: the volume's own keys
                child = self._open_locked(child, volume_node.details, inner_chain, "APFS")
                if child is None:
                    continue
            before = len(self.fs_layers) + len(self.problems)
            for grandchild in _children(child):
                self._visit(grandchild, volume_node, inner_chain, inner_direct)
            if len(self.fs_layers) + len(self.problems) == before and not volume_node.children:
                self._try_tsk_volume(child.path_spec, volume_node, inner_chain, inner_direct)

    def _verify_apfs(self, path_spec: Any, chain: tuple[str, ...], direct: Any) -> None:
        """Report APFS metadata whose checksum is wrong: libfsapfs lists it without checking."""
        try:
            if direct is not None:  # the container lies in the media at this offset
                read = stream_reader(self.media, int(direct[0]))
            else:
                read = stream_reader(
                    resolver.Resolver.OpenFileObject(path_spec.parent, resolver_context=self.resolver_context)
                )
        except Exception as exc:
            self._problem(chain, f"APFS metadata not verified: {one_line(str(exc))}")
            return
        for reason in verify_container(read):
            self._problem(chain, reason)

    def _volume_label(
        self, scheme: str, identifier: str, offset: int | None, attributes: dict[str, object]
    ) -> str:
        if scheme in ("gpt", "mbr"):
            return f"{scheme} {identifier} @ {offset}" if offset is not None else f"{scheme} {identifier}"
        if scheme == "lvm":
            name = attributes.get("name")
            return f"lvm {name}" if name else f"lvm {identifier}"
        if scheme == "apfs-container":
            name = attributes.get("name")
            return f"apfs {identifier} {name}" if name else f"apfs {identifier}"
        return f"{scheme} {identifier}"

    def _encrypted(self, node: Any, parent: LayerNode, chain: tuple[str, ...]) -> None:
        label, title = ENCRYPTED[node.type_indicator]
        layer = LayerNode("encrypted", label, None, None, {"scheme": title}, [])
        parent.children.append(layer)
        inner = (*chain, label)
        path_spec = node.path_spec
        node = self._open_locked(node, layer.details, inner, title)
        if node is None:
            return
        if "unlocked" not in layer.details:
            layer.details["not_locked"] = True  # an encryption layer whose volume was never locked
        for child in node.sub_nodes:
            self._visit(child, layer, inner, None)
        if not layer.children and not any(p.layers[: len(inner)] == inner for p in self.problems):
            self._try_tsk_volume(path_spec, layer, inner, None)

    def _open_locked(self, node: Any, details: dict[str, object], chain: tuple[str, ...], title: str) -> Any:
        """The scan node, unlocked with the item's password or recovery key if it is locked (marked
        unlocked); None (marked skipped, the reason recorded) when there is none or it does not unlock."""
        path_spec = node.path_spec
        if not self._context.IsLockedScanNode(path_spec):
            return node
        if not (self.password or self.recovery_key):
            details["skipped"] = True
            self._problem(chain, f"encrypted ({title}): no password given, skipped")
            return None
        if not self._unlock(path_spec):
            details["skipped"] = True
            self._problem(
                chain, f"encrypted ({title}): the given password or recovery key does not unlock it, skipped"
            )
            return None
        details["unlocked"] = True
        return self._context.GetScanNode(path_spec)

    def _unlock(self, path_spec: Any) -> bool:
        credentials = []
        if self.password:
            credentials.append(("password", self.password))
        if self.recovery_key:
            credentials.append(("recovery_password", self.recovery_key))
        for identifier, data in credentials:
            try:
                if self._scanner.Unlock(self._context, path_spec, identifier, data):
                    self._scanner.Scan(self._context, scan_path_spec=path_spec)
                    return True
            except Exception:  # wrong credential type for this volume, or a damaged key protector
                continue
        return False

    def _file_system(self, path_spec: Any, parent: LayerNode, chain: tuple[str, ...], direct: Any) -> None:
        where = " / ".join(chain) or self.info.paths[0]
        errors = []
        if path_spec.type_indicator in TSK_READABLE:
            try:
                image, offset = self._tsk_image(path_spec.parent, direct)
                self._add_tsk(TskFileSystem(image, offset, where), parent, chain, offset if direct else None)
                return
            except SourceError as exc:
                errors.append(exc.reason)
        try:
            backend = DfvfsFileSystem(path_spec, where, self.resolver_context)
        except SourceError as exc:
            errors.append(exc.reason)
            label = str(path_spec.type_indicator).lower()
            self._problem(chain, f"{label}: {'; '.join(dict.fromkeys(errors))}")
            return
        node = LayerNode(
            backend.type_name, backend.type_name, direct[0] if direct else None, None, backend.details(), []
        )
        parent.children.append(node)
        self.fs_layers.append(FsLayer((*chain, backend.type_name), node, backend))

    def _tsk_image(self, volume_spec: Any, direct: Any) -> tuple[Any, int]:
        """The TSK image and offset of a volume: the media itself at an offset, or a dfvfs stream."""
        if direct is not None:
            return self.media_image, int(direct[0])
        try:
            file_object = resolver.Resolver.OpenFileObject(
                volume_spec, resolver_context=self.resolver_context
            )
        except Exception as exc:
            raise SourceError(
                " / ".join(self.base_chain) or self.info.paths[0], f"cannot open volume: {one_line(str(exc))}"
            ) from None
        stream = HandleStream(file_object, int(file_object.get_size()), "volume", on_close=lambda: None)
        self._volume_streams.append(stream)
        return StreamImage(stream, stream.size), 0

    def _add_tsk(
        self, backend: TskFileSystem, parent: LayerNode, chain: tuple[str, ...], offset: int | None
    ) -> None:
        node = LayerNode(backend.type_name, backend.type_name, offset, None, backend.details(), [])
        parent.children.append(node)
        self.fs_layers.append(FsLayer((*chain, backend.type_name), node, backend))

    def _try_tsk_volume(
        self, volume_spec: Any, parent: LayerNode, chain: tuple[str, ...], direct: Any
    ) -> None:
        """A volume dfvfs found no file system in: ask TSK, else report it."""
        where = " / ".join(chain)
        try:
            image, offset = self._tsk_image(volume_spec, direct)
            self._add_tsk(TskFileSystem(image, offset, where), parent, chain, offset if direct else None)
        except SourceError as exc:
            self._problem(chain, f"no file system recognised ({exc.reason})")

    def _try_tsk(
        self, parent: LayerNode, chain: tuple[str, ...], offset: int, size: int | None, quiet_kind: str = ""
    ) -> None:
        where = " / ".join(chain) or self.info.paths[0]
        try:
            self._add_tsk(TskFileSystem(self.media_image, offset, where), parent, chain, offset)
        except SourceError as exc:
            what = "no volume system or file system recognised" if quiet_kind else "no file system recognised"
            self._problem(chain, f"{what} ({exc.reason})")

    def close(self) -> None:
        """Release the volume streams opened through dfvfs."""
        for stream in self._volume_streams:
            stream.close()
        self._volume_streams.clear()
        self.resolver_context.Empty()


def _encryption_signature(head: bytes) -> tuple[str, str] | None:
    """(label, name) of an encrypted volume recognised by its first bytes."""
    if head[:6] == b"LUKS\xba\xbe":
        return "luks", "LUKS"
    if head[3:11] == b"-FVE-FS-":
        return "bitlocker", "BitLocker"
    return None


def _plain(value: Any) -> object:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)

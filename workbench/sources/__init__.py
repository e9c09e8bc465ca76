"""Sources: from an evidence container to every file in it, with its location chain.

``detect(path)`` names the container format and finds its segments, ``open_media(info)`` reads
the media content, and ``Source(EvidenceRef(...))`` walks every volume, partition, file system and
archive in it, opens files by address and finds them by location. See ``model.FileEntry`` for the
layer-chain rule, ``tsk`` for the listing rules, ``archives`` for archive names and limits, and
``logical`` for directory evidence.
"""

from workbench.sources.containers import detect, open_media
from workbench.sources.model import (
    FORMATS,
    ContainerInfo,
    EvidenceRef,
    FileEntry,
    LayerNode,
    LayerProblem,
    SourceError,
)
from workbench.sources.source import Source

__all__ = [
    "FORMATS",
    "ContainerInfo",
    "EvidenceRef",
    "FileEntry",
    "LayerNode",
    "LayerProblem",
    "Source",
    "SourceError",
    "detect",
    "open_media",
]

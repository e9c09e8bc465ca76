"""Scene releases: names in directories, NFOs, SFVs and file_id.diz; SFV checks; per-group summaries."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from workbench.parsers.errors import ParseError
from workbench.parsers.nfo import MAX_NFO, parse_diz, parse_nfo
from workbench.parsers.release import Release, parse_release
from workbench.parsers.sfv import MAX_SFV, parse_sfv, verify

from workbench.plugin_api import Artefact, ArtefactKind, CaseReader, Field, FileView, Plugin, figure

SEEN_AS = ("dirname", "nfo", "sfv", "log", "torrent", "predb")

RELEASE = ArtefactKind(
    "scene.release",
    "Scene release",
    description="A scene release name and its parts, with where it was seen.",
    fields=(
        Field("name", "str", "Release name as found", key=True),
        Field("title", "str", "Title (artist - title for music)"),
        Field("year", "int", "Year"),
        Field("season", "int", "Season"),
        Field("episode", "str", "Episode number(s), e.g. 5 or 1-2"),
        Field("date", "str", "Air date of a daily show (YYYY-MM-DD)"),
        Field("resolution", "str", "480p … 2160p, 4K"),
        Field("source", "str", "BluRay, WEB-DL, HDTV …"),
        Field("streaming", "str", "Streaming origin of a WEB release (AMZN, NF …)"),
        Field("codec", "str", "Video codec(s)"),
        Field("audio", "str", "Audio format(s)"),
        Field("language", "list", "Language tags"),
        Field("tags", "list", "Other tags (PROPER, REPACK, iNTERNAL …)"),
        Field("group", "str", "Release group"),
        Field("kind", "str", "movie, tv, daily, music or other"),
        Field("confidence", "float", "How sure the name parser is, 0–1"),
        Field("seen_as", "str", "dirname, nfo, sfv, log, torrent or predb", key=True),
        Field("path", "str", "Directory, log path or torrent path where it was seen"),
    ),
    summary_fields=("name", "group", "kind", "year", "seen_as", "confidence"),
)

NFO = ArtefactKind(
    "scene.nfo",
    "Release NFO",
    description="What a release's .nfo (or file_id.diz) states.",
    fields=(
        Field("release", "str", "Release name stated", key=True),
        Field("group", "str", "Release group"),
        Field("date", "str", "Release date as written"),
        Field("size", "str", "Size as written"),
        Field("files", "str", "Files / disks as written"),
        Field("source", "str", "Source as written"),
        Field("runtime", "str", "Runtime as written"),
        Field("video", "str", "Video codec / bitrate"),
        Field("audio", "str", "Audio"),
        Field("imdb", "str", "IMDb id (tt…)"),
        Field("tvdb", "str", "TheTVDB link"),
        Field("tmdb", "str", "TMDB link"),
        Field("greets", "list", "Groups greeted"),
        Field("contact", "list", "Group contact: e-mail addresses, IRC channels"),
        Field("encoding", "str", "How the bytes were decoded: cp437, utf-8, latin-1, ascii"),
    ),
    summary_fields=("release", "group", "date", "imdb", "greets", "encoding"),
)

SFV_CHECK = ArtefactKind(
    "scene.sfv_check",
    "SFV check",
    description="A file listed in an SFV, checked against its CRC32.",
    fields=(
        Field("sfv", "str", "Path of the SFV"),
        Field("file", "str", "File name listed", key=True),
        Field("expected_crc", "str", "CRC32 in the SFV"),
        Field("actual_crc", "str", "CRC32 computed"),
        Field("status", "str", "good, bad or missing"),
    ),
    summary_fields=("file", "status", "expected_crc", "actual_crc", "sfv"),
)

PRE = ArtefactKind(
    "scene.pre",
    "Pre time",
    description="A pre-database row: when and where a release was pre'd, or a nuke.",
    fields=(
        Field("release", "str", "Release name", key=True),
        Field("group", "str", "Release group"),
        Field("section", "str", "Section"),
        Field("time", "datetime", "Pre (or nuke) time", key=True),
        Field("status", "str", "ADDPRE, ADDOLD, SiTEPRE, NUKE, UNNUKE …", key=True),
        Field("files", "int", "Files"),
        Field("size_mb", "float", "Size in MB"),
        Field("nuke_reason", "str", "Nuke reason"),
        Field("nuke_net", "str", "Nuke network"),
        Field("genre", "str", "Genre"),
        Field("table", "str", "Table the row came from"),
    ),
    time_field="time",
    time_description="Release pre'd",
    summary_fields=("release", "group", "section", "time", "status", "nuke_reason"),
)

GROUP_SUMMARY = ArtefactKind(
    "scene.group_summary",
    "Release group summary",
    description="Everything the case holds on one release group: releases, dates, uploaders, sites.",
    fields=(
        Field("group", "str", "Release group", key=True),
        Field("releases", "int", "Distinct releases"),
        Field("release_names", "list", "The releases"),
        Field("first_seen", "datetime", "Earliest dated trace (log, transfer, pre, torrent)"),
        Field("last_seen", "datetime", "Latest dated trace"),
        Field("uploaders", "list", "Topsite users who uploaded or created its releases"),
        Field("sections", "list", "Site or pre sections"),
        Field("sites", "list", "Topsites whose logs show its releases"),
        Field("torrents", "int", "Torrents carrying its releases (by name or file list)"),
        Field("transfers", "int", "Topsite transfers of its releases"),
        Field("bytes_up", "int", "Bytes uploaded to topsites"),
        Field("bytes_down", "int", "Bytes downloaded from topsites"),
    ),
    summary_fields=("group", "releases", "first_seen", "last_seen", "uploaders", "torrents"),
)


def release_artefact(release: Release, seen_as: str, path: str, *, line: int | None = None) -> Artefact:
    """A `scene.release` artefact for a parsed name (shared by the topsite and torrent plugins)."""
    episodes = release.episodes
    episode = None
    if episodes:
        episode = str(episodes[0]) if len(episodes) == 1 else f"{episodes[0]}-{episodes[-1]}"
    return RELEASE(
        name=release.name,
        title=release.title,
        year=release.year,
        season=release.season,
        episode=episode,
        date=release.date,
        resolution=release.resolution,
        source=release.source,
        streaming=release.streaming,
        codec="+".join(release.codecs) or None,
        audio="+".join(release.audio) or None,
        language=list(release.languages),
        tags=list(release.tags),
        group=release.group,
        kind=release.kind,
        confidence=release.confidence,
        seen_as=seen_as,
        path=path,
        line=line,
    )


def release_in_path(path: str) -> tuple[Release, str] | None:
    """The deepest directory of ``path`` (a file path) that is a release name, with its own path."""
    parts = path.split("/")[:-1]
    for depth in range(len(parts) - 1, 0, -1):
        release = parse_release(parts[depth])
        if release is not None:
            return release, "/".join(parts[: depth + 1])
    return None


def release_dir_of(path: str) -> tuple[Release, str] | None:
    """Like ``release_in_path`` but for a path that may itself end in the release directory."""
    return release_in_path(path.rstrip("/") + "/x")


def _read(file: FileView, data: bytes | None, limit: int) -> bytes:
    if data is not None:
        return data
    with file.open() as stream:
        return stream.read(limit + 1)


class ScenePlugin(Plugin):
    """Release names, NFO fields and SFV checks from release directories; group summaries."""

    name = "scene"
    version = "1"
    description = "Scene releases: NFO, SFV and file_id.diz files and the release directories holding them."
    kinds = (RELEASE, NFO, SFV_CHECK, PRE, GROUP_SUMMARY)
    globs = ("*.nfo", "*.NFO", "*.sfv", "*.SFV", "*.diz", "*.DIZ")
    yara_rules = ("scene_nfo_art", "scene_nfo_fields", "scene_sfv")

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """NFO → scene.nfo plus releases (its directory and the name it states); SFV → CRC checks."""
        lower = file.name.lower()
        if lower.endswith(".sfv") or "scene_sfv" in file.yara_rules:
            yield from self._sfv(file, data)
        elif lower.endswith(".diz"):
            yield from self._diz(file, data)
        else:
            yield from self._nfo(file, data)

    def _nfo(self, file: FileView, data: bytes | None) -> Iterator[Artefact]:
        here = release_in_path(file.path)
        if here is not None:
            yield release_artefact(here[0], "dirname", here[1])
        try:
            nfo = parse_nfo(_read(file, data, MAX_NFO))
        except ParseError:
            return
        yield NFO(
            release=nfo.release,
            group=nfo.group,
            date=nfo.date,
            size=nfo.size,
            files=nfo.files,
            source=nfo.source,
            runtime=nfo.runtime,
            video=nfo.video,
            audio=nfo.audio,
            imdb=nfo.imdb,
            tvdb=nfo.tvdb,
            tmdb=nfo.tmdb,
            greets=list(nfo.greets),
            contact=[*nfo.emails, *nfo.irc],
            encoding=nfo.encoding,
        )
        stated = parse_release(nfo.release) if nfo.release else None
        if stated is not None:
            yield release_artefact(stated, "nfo", file.path)

    def _diz(self, file: FileView, data: bytes | None) -> Iterator[Artefact]:
        try:
            diz = parse_diz(_read(file, data, 64 * 1024))
        except ParseError:
            return
        stated = parse_release(diz.release) if diz.release else None
        counter = f"{diz.disk}/{diz.disks}" if diz.disk is not None else None
        yield NFO(
            release=diz.release,
            group=stated.group if stated else None,
            files=counter,
            encoding=diz.encoding,
            greets=[],
            contact=[],
        )
        if stated is not None:
            yield release_artefact(stated, "nfo", file.path)

    def _sfv(self, file: FileView, data: bytes | None) -> Iterator[Artefact]:
        try:
            sfv = parse_sfv(_read(file, data, MAX_SFV))
        except ParseError:
            return
        here = release_in_path(file.path)
        if here is not None:
            yield release_artefact(here[0], "sfv", here[1])
        for check in verify(sfv.entries, file.open_sibling):
            yield SFV_CHECK(
                sfv=file.path,
                file=check.name,
                expected_crc=check.expected,
                actual_crc=check.actual,
                status=check.status,
                line=check.line,
            )

    def correlate(self, store: CaseReader) -> Iterable[Artefact]:
        """Releases named only by a directory, one `scene.group_summary` per release group, and the
        scene case figures."""
        directories = list(release_directories(store))
        yield from directories
        summaries = summarise_groups(store, extra_names=[str(a.fields["name"]) for a in directories])
        for summary in summaries:
            yield summary.artefact()
        releases = sum(s.release_count for s in summaries)
        yield figure("scene", "release groups", len(summaries), "distinct groups of scene.release names")
        yield figure("scene", "releases", releases, "distinct scene.release names (any seen_as)")
        for summary in summaries:
            yield figure(
                "scene",
                f"releases by {summary.group}",
                summary.release_count,
                "distinct scene.release names of the group",
            )


@dataclass
class GroupSummary:
    """What is known about one release group, accumulated over the case."""

    group: str
    releases: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)  # lower-case -> as first seen
    times: list[str] = field(default_factory=list)
    uploaders: set[str] = field(default_factory=set)
    sections: set[str] = field(default_factory=set)
    sites: set[str] = field(default_factory=set)
    torrents: set[str] = field(default_factory=set)
    transfers: int = 0
    bytes_up: int = 0
    bytes_down: int = 0

    @property
    def release_count(self) -> int:
        """Distinct releases (case-insensitive)."""
        return len(self.releases)

    def add_release(self, name: str) -> None:
        """Count a release name (case-insensitively)."""
        key = name.lower()
        self.releases.add(key)
        self.names.setdefault(key, name)

    def artefact(self) -> Artefact:
        """The `scene.group_summary` artefact."""
        return GROUP_SUMMARY(
            group=self.group,
            releases=len(self.releases),
            release_names=sorted(self.names[k] for k in self.releases),
            first_seen=min(self.times) if self.times else None,
            last_seen=max(self.times) if self.times else None,
            uploaders=sorted(self.uploaders),
            sections=sorted(self.sections),
            sites=sorted(self.sites),
            torrents=len(self.torrents),
            transfers=self.transfers,
            bytes_up=self.bytes_up,
            bytes_down=self.bytes_down,
        )


def _exhibits(store: CaseReader) -> list[str | None]:
    exhibits = [e.get("exhibit") for e in store.evidence()]
    return [e for e in exhibits if e] or [None]


def _group_of(name: Any) -> tuple[str, Release] | None:
    if not isinstance(name, str):
        return None
    release = parse_release(name)
    return (release.group.upper(), release) if release else None


def _section_of(path: str, release_dir: str) -> str | None:
    """`/site/x264-1080/Rel.Name-GRP` → `x264-1080`: the directory holding the release."""
    parent = release_dir.rsplit("/", 1)[0] if "/" in release_dir else ""
    section = parent.rsplit("/", 1)[-1]
    return section or None


def release_directories(store: CaseReader) -> Iterator[Artefact]:
    """`scene.release` for every directory named like a release that no NFO or SFV reported yet
    (e.g. a release directory holding only rar parts)."""
    reported = {
        (str(a.fields.get("name", "")).lower(), a.fields.get("path"))
        for a in store.artefacts(kind=RELEASE.name)
        if a.fields.get("seen_as") == "dirname"
    }
    for record in store.files():
        if record.get("type") != "dir":
            continue
        path = str(record.get("path", ""))
        release = parse_release(path.rstrip("/").rsplit("/", 1)[-1])
        if release is None or (release.name.lower(), path) in reported:
            continue
        reported.add((release.name.lower(), path))
        yield release_artefact(release, "dirname", path)


def summarise_groups(store: CaseReader, extra_names: Iterable[str] = ()) -> list[GroupSummary]:
    """Join releases, topsite logs and transfers, pre rows and torrents by release group."""
    groups: dict[str, GroupSummary] = {}
    spellings: dict[str, Counter[str]] = defaultdict(Counter)

    def summary_for(name: Any) -> GroupSummary | None:
        found = _group_of(name)
        if found is None:
            return None
        key, release = found
        spellings[key][release.group] += 1
        summary = groups.setdefault(key, GroupSummary(key))
        summary.add_release(release.name)
        return summary

    for artefact in store.artefacts(kind=RELEASE.name):
        summary_for(artefact.fields.get("name"))
    for extra in extra_names:
        summary_for(extra)
    for exhibit in _exhibits(store):
        sites = sorted(
            {
                str(c.fields.get("site_short") or c.fields.get("site_name"))
                for c in store.artefacts(kind="topsite.config", exhibit=exhibit)
                if c.fields.get("site_short") or c.fields.get("site_name")
            }
        )
        for event in store.artefacts(kind="topsite.event", exhibit=exhibit):
            summary = summary_for(event.fields.get("release"))
            if summary is None:
                continue
            _touch(summary, event.fields.get("time"), event.fields.get("path"), sites)
            if event.fields.get("event") in ("NEWDIR", "PRE") and event.fields.get("user"):
                summary.uploaders.add(str(event.fields["user"]))
        for transfer in store.artefacts(kind="topsite.transfer", exhibit=exhibit):
            summary = summary_for(transfer.fields.get("release"))
            if summary is None:
                continue
            _touch(summary, transfer.fields.get("time"), transfer.fields.get("file"), sites)
            summary.transfers += 1
            size = int(transfer.fields.get("bytes") or 0)
            if transfer.fields.get("direction") == "up":
                summary.bytes_up += size
                if transfer.fields.get("user"):
                    summary.uploaders.add(str(transfer.fields["user"]))
            elif transfer.fields.get("direction") == "down":
                summary.bytes_down += size
    for pre in store.artefacts(kind=PRE.name):
        summary = summary_for(pre.fields.get("release"))
        if summary is not None:
            if pre.fields.get("time"):
                summary.times.append(str(pre.fields["time"]))
            if pre.fields.get("section"):
                summary.sections.add(str(pre.fields["section"]))
    for torrent in store.artefacts(kind="torrent.file"):
        ident = str(torrent.fields.get("info_hash_v1") or torrent.fields.get("info_hash_v2") or torrent.id)
        carried = [torrent.fields.get("name")]
        for entry in torrent.fields.get("files") or []:
            if isinstance(entry, list | tuple) and entry:
                carried.extend(str(entry[0]).split("/"))
        for name in carried:
            summary = summary_for(name)
            if summary is not None:
                summary.torrents.add(ident)
                if torrent.fields.get("created"):
                    summary.times.append(str(torrent.fields["created"]))
    for key, summary in groups.items():
        # show a spelling with capitals (file names are often lower-cased), then the most frequent
        summary.group = sorted(spellings[key].items(), key=lambda kv: (kv[0].islower(), -kv[1], kv[0]))[0][0]
    return sorted(groups.values(), key=lambda s: s.group.upper())


def _touch(summary: GroupSummary, time: Any, path: Any, sites: list[str]) -> None:
    if time:
        summary.times.append(str(time))
    if isinstance(path, str):
        here = release_in_path(path) or release_dir_of(path)
        if here is not None:
            section = _section_of(path, here[1])
            if section:
                summary.sections.add(section)
    summary.sites.update(sites)


PLUGINS = (ScenePlugin,)

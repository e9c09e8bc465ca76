"""Scene release names: `Title.YEAR.TAGS.RES.SOURCE.CODEC-GROUP`, TV, daily, music and software.

``parse_release`` takes one candidate name and returns a ``Release`` or None for anything that is
not convincingly a release (ordinary dotted file names, versions, domains, e-mail addresses).
``find_releases`` finds release names inside free text (logs, NFOs, paths).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_NAME = 255
MIN_CONFIDENCE = 0.5

KIND_MOVIE = "movie"
KIND_TV = "tv"
KIND_DAILY = "daily"
KIND_MUSIC = "music"
KIND_OTHER = "other"


@dataclass(frozen=True)
class Release:
    """The parts of one scene release name."""

    name: str
    title: str
    group: str
    kind: str
    confidence: float
    year: int | None = None
    season: int | None = None
    episodes: tuple[int, ...] = ()
    date: str | None = None  # YYYY-MM-DD for daily shows
    resolution: str | None = None
    source: str | None = None
    streaming: str | None = None  # AMZN, NF, DSNP … (the WEB origin)
    codecs: tuple[str, ...] = ()
    audio: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    episode_title: str = ""
    version: str | None = None
    platform: str | None = None


def _table(*words: str) -> dict[str, str]:
    """Lower-cased lookup key -> canonical spelling."""
    return {w.lower(): w for w in words}


# Multi-token forms are written with dots; the matcher joins up to four tokens with "." to look them up.
SOURCES = _table(
    "UHD.BluRay",
    "BluRay",
    "Blu-ray",
    "BDRip",
    "BRRip",
    "BD25",
    "BD50",
    "HDDVD",
    "HDDVDRip",
    "WEB",
    "WEB-DL",
    "WEBDL",
    "WEBRip",
    "WEB-Rip",
    "HDTV",
    "PDTV",
    "SDTV",
    "DSR",
    "DSRip",
    "TVRip",
    "DVDRip",
    "DVDR",
    "DVD9",
    "DVD5",
    "DVDSCR",
    "BDSCR",
    "SCREENER",
    "HDCAM",
    "CAM",
    "TS",
    "TC",
    "TELESYNC",
    "TELECINE",
    "R5",
    "VHSRip",
    "HDRip",
    "UHDTV",
    "LDRip",
    "NTSC.DVDR",
    "PAL.DVDR",
)
WEAK_SOURCES = {"ts", "tc", "cam", "r5"}  # too short to anchor a title on their own
STREAMING = _table(
    "AMZN",
    "NF",
    "DSNP",
    "HMAX",
    "MAX",
    "ATVP",
    "HULU",
    "PCOK",
    "PMTP",
    "iP",
    "ITVX",
    "CRAV",
    "STAN",
    "CR",
    "DCU",
    "RED",
    "HBO",
    "SHO",
    "STZ",
    "VUDU",
    "MA",
    "iT",
    "ROKU",
    "PLAY",
    "SKST",
)
RESOLUTION = re.compile(r"^(?:(\d{3,4})([pi])|4k|8k|uhd)$", re.IGNORECASE)
CODECS = _table(
    "x264",
    "x265",
    "H264",
    "H.264",
    "H265",
    "H.265",
    "HEVC",
    "AVC",
    "XviD",
    "DivX",
    "AV1",
    "VP9",
    "MPEG2",
    "MPEG-2",
    "VC-1",
    "VC1",
    "h264",
    "h265",
)
AUDIO = _table(
    "DD5.1",
    "DD2.0",
    "DD7.1",
    "DDP5.1",
    "DDP2.0",
    "DDP7.1",
    "DD+5.1",
    "DD+2.0",
    "DDP",
    "DD+",
    "EAC3",
    "EAC3.5.1",
    "AC3",
    "AC3.5.1",
    "AC3.2.0",
    "AAC",
    "AAC2.0",
    "AAC5.1",
    "AAC.2.0",
    "AAC.5.1",
    "DTS",
    "DTS-HD",
    "DTS-HD.MA",
    "DTS-HD.MA.5.1",
    "DTS-HD.MA.7.1",
    "DTS-X",
    "DTS-ES",
    "DTS.5.1",
    "Atmos",
    "TrueHD",
    "TrueHD.7.1",
    "TrueHD.5.1",
    "FLAC",
    "FLAC2.0",
    "LPCM",
    "LPCM.2.0",
    "Opus",
    "MP3",
    "DDP5.1.Atmos",
    "DDP.5.1",
    "DD.5.1",
    "TrueHD.Atmos.7.1",
)
LANGUAGES = _table(
    "GERMAN",
    "FRENCH",
    "TRUEFRENCH",
    "iTALiAN",
    "SPANiSH",
    "NORDiC",
    "MULTi",
    "MULTI",
    "DUTCH",
    "FLEMiSH",
    "SWEDiSH",
    "DANiSH",
    "FiNNiSH",
    "NORWEGiAN",
    "POLiSH",
    "CZECH",
    "HUNGARiAN",
    "RUSSiAN",
    "JAPANESE",
    "KOREAN",
    "CHiNESE",
    "PORTUGUESE",
    "TURKiSH",
    "HEBREW",
    "ARABiC",
    "HiNDi",
    "ENGLiSH",
    "GREEK",
    "ROMANiAN",
    "BULGARiAN",
    "SLOVAK",
    "SLOVENiAN",
    "CROATiAN",
    "SERBiAN",
    "UKRAiNiAN",
    "THAi",
    "VFF",
    "VFQ",
    "VOSTFR",
    "SUBFRENCH",
    "DL",
    "ML",
    "LATiN",
    "CASTELLANO",
    "CATALAN",
)
TAGS = _table(
    "PROPER",
    "REPACK",
    "REPACK2",
    "RERIP",
    "REAL",
    "INTERNAL",
    "iNTERNAL",
    "LIMITED",
    "DC",
    "EXTENDED",
    "UNRATED",
    "UNCUT",
    "READ.NFO",
    "READNFO",
    "DiRFiX",
    "NFOFiX",
    "SAMPLEFiX",
    "SUBFiX",
    "SYNCFiX",
    "PROOFFiX",
    "DiRFIX",
    "SUBBED",
    "DUBBED",
    "REMASTERED",
    "THEATRICAL",
    "IMAX",
    "HDR",
    "HDR10",
    "HDR10Plus",
    "HDR10+",
    "DV",
    "DoVi",
    "SDR",
    "COMPLETE",
    "DOCU",
    "WS",
    "FS",
    "CONVERT",
    "RETAIL",
    "FESTIVAL",
    "STV",
    "CRiTERiON",
    "3D",
    "HSBS",
    "HOU",
    "OAR",
    "REMUX",
    "HYBRID",
    "10bit",
    "8bit",
    "MULTiSUBS",
    "MULTISUBS",
    "SUBPACK",
    "EXTRAS",
    "BONUS",
    "COLORiZED",
    "DUAL",
    "DUPE",
    "RESTORED",
    "PREAIR",
    "UNCENSORED",
    "CENSORED",
    "SPECIAL.EDITION",
    "DIRECTORS.CUT",
    "DiRECTORS.CUT",
    "FINAL.CUT",
    "WORKPRINT",
    "RECODE",
    "REENCODE",
    "PPV",
    "CHRONO",
    "NTSC",
    "PAL",
    "SYNCED",
)
PLATFORMS = _table(
    "x64",
    "x86",
    "Win",
    "Win64",
    "Win32",
    "WinALL",
    "MacOSX",
    "macOS",
    "Linux",
    "iOS",
    "Android",
    "PS3",
    "PS4",
    "PS5",
    "NSW",
    "XBOX",
    "XBOX360",
    "XBOXONE",
    "Wii",
    "WiiU",
    "3DS",
    "PSP",
    "PSV",
)
SOFTWARE_WORDS = _table(
    "Incl.Keygen",
    "Incl.Crack",
    "Incl.Patch",
    "Keygen",
    "Cracked",
    "Crack",
    "Patch",
    "Multilingual",
    "Retail",
    "Portable",
    "ISO",
    "Update",
    "DLC",
    "Unlocker",
    "Trainer",
    "Linux",
    "Cracked.READ.NFO",
    "Incl.Update",
    "Incl.DLC",
    "Build",
)
MUSIC_MARKERS = _table(
    "WEB",
    "CD",
    "CDS",
    "CDM",
    "CDR",
    "CDA",
    "2CD",
    "3CD",
    "4CD",
    "5CD",
    "DVD",
    "VINYL",
    "VLS",
    "LP",
    "EP",
    "FLAC",
    "MP3",
    "SAT",
    "CABLE",
    "FM",
    "DAB",
    "LINE",
    "SBD",
    "AUD",
    "STREAM",
    "BD",
    "TAPE",
    "MCD",
    "BOOTLEG",
    "PROMO",
    "SINGLE",
    "DIGIPAK",
    "REISSUE",
    "REMASTERED",
    "DELUXE",
    "DIRFIX",
    "NFOFIX",
    "WEB-FLAC",
    "24BIT",
    "16BIT",
    "EN",
    "DE",
    "FR",
    "IT",
    "ES",
    "NL",
    "SE",
    "FI",
    "NO",
    "DK",
    "PL",
    "RU",
    "JP",
    "BONUS",
    "LIMITED",
    "PROPER",
    "REPACK",
    "iNT",
    "INT",
)

GROUP_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,29}$")
BODY_CHARS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._()&+'!,\-]*$")
EPISODE_RE = re.compile(r"^S(\d{1,2})((?:[-.]?E\d{2,3})+)$", re.IGNORECASE)
EPISODE_NUM = re.compile(r"E(\d{2,3})", re.IGNORECASE)
EPISODE_X_RE = re.compile(r"^(\d{1,2})x(\d{2,3})$", re.IGNORECASE)
SEASON_RE = re.compile(r"^S(\d{1,2})(?:-S\d{1,2})?$", re.IGNORECASE)
YEAR_RE = re.compile(r"^(?:19[2-9]\d|20[0-4]\d)$")
VERSION_RE = re.compile(r"^v\d+(?:\.\d+){0,4}[a-z]?$", re.IGNORECASE)
MEDIA_EXT = re.compile(r"\.(?:mkv|mp4|avi|m4v|wmv|ts|m2ts|torrent|nfo|sfv|flac|mp3|rar|zip)$", re.IGNORECASE)
CANDIDATE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._()&+'!\-]{5,}")

_MAX_JOIN = 4


@dataclass
class _Parts:
    """Mutable accumulator while classifying the tokens after the title."""

    resolution: str | None = None
    source: str | None = None
    streaming: str | None = None
    version: str | None = None
    platform: str | None = None

    def __post_init__(self) -> None:
        self.codecs: list[str] = []
        self.audio: list[str] = []
        self.languages: list[str] = []
        self.tags: list[str] = []
        self.software: list[str] = []
        self.unknown: list[str] = []

    @property
    def technical(self) -> int:
        """How many recognised technical tokens were seen."""
        return (
            (self.resolution is not None)
            + (self.source is not None)
            + (self.streaming is not None)
            + len(self.codecs)
            + len(self.audio)
        )


def parse_release(name: str) -> Release | None:
    """Parse one scene release name; None when ``name`` is not convincingly a release."""
    if not isinstance(name, str):
        return None
    name = name.strip()
    if not 6 <= len(name) <= MAX_NAME + 12 or any(c in name for c in " /\\@:\t"):
        return None
    name = MEDIA_EXT.sub("", name)
    if len(name) > MAX_NAME or "-" not in name:
        return None
    body, _, group = name.rpartition("-")
    if not body or not GROUP_RE.match(group) or not BODY_CHARS.match(body):
        return None
    if ".." in body or "__" in body:
        return None
    if "." not in body and "_" not in body:
        return _parse_music(name, body, group) if "-" in body else None
    if "." not in body and "-" in body and "_" in body:
        music = _parse_music(name, body, group)
        if music is not None:
            return music
    return _parse_video(name, body, group)


def _tokens(body: str) -> list[str]:
    return [t for t in re.split(r"[._]", body) if t]


def _lookup(tokens: list[str], i: int, table: dict[str, str]) -> tuple[str, int] | None:
    """Longest dotted multi-token match of ``table`` starting at token ``i``: (text as written, count)."""
    for n in range(min(_MAX_JOIN, len(tokens) - i), 0, -1):
        text = ".".join(tokens[i : i + n])
        if text.lower() in table:
            return text, n
    return None


def _streaming_at(tokens: list[str], i: int) -> bool:
    """A streaming-service tag counts only right before a WEB source: `AMZN.WEB-DL`."""
    if tokens[i].lower() not in STREAMING or i + 1 >= len(tokens):
        return False
    src = _lookup(tokens, i + 1, SOURCES)
    return src is not None and src[0].lower().startswith("web")


def _version_at(tokens: list[str], i: int) -> tuple[str, int]:
    """A version such as `v1.2.3` (split by the dots into tokens): its text and the next index."""
    j = i + 1
    while j < len(tokens) and j - i < 5 and tokens[j].isdigit() and len(tokens[j]) <= 4:
        j += 1
    return ".".join(tokens[i:j]), j


def _is_strong_technical(tokens: list[str], i: int) -> bool:
    tok = tokens[i]
    if RESOLUTION.match(tok) or _lookup(tokens, i, CODECS):
        return True
    src = _lookup(tokens, i, SOURCES)
    return src is not None and src[0].lower() not in WEAK_SOURCES


def _valid_date(y: str, m: str, d: str) -> str | None:
    if not (YEAR_RE.match(y) and re.fullmatch(r"\d\d", m) and re.fullmatch(r"\d\d", d)):
        return None
    mi, di = int(m), int(d)
    if 1 <= mi <= 12 and 1 <= di <= 31:
        return f"{y}-{m}-{d}"
    return None


def _find_anchor(tokens: list[str]) -> tuple[int, str]:
    """Index where the title ends and what kind of anchor is there (episode, date, season, year, tech)."""
    first_tech = next((i for i in range(1, len(tokens)) if _is_strong_technical(tokens, i)), len(tokens))
    for i in range(1, len(tokens)):
        tok = tokens[i]
        if EPISODE_RE.match(tok) or EPISODE_X_RE.match(tok):
            return i, "episode"
        if i + 2 < len(tokens) and _valid_date(tokens[i], tokens[i + 1], tokens[i + 2]):
            return i, "date"
        if SEASON_RE.match(tok) and i < first_tech:
            return i, "season"
    years = [i for i in range(1, len(tokens)) if YEAR_RE.match(tokens[i])]
    if years:
        # the release year is the last year before the first technical token that follows a year,
        # so both `Blade.Runner.2049.2017.2160p` and `Charlottes.Web.2006.1080p` come out right
        tech_after = next(
            (i for i in range(years[0] + 1, len(tokens)) if _is_strong_technical(tokens, i)), len(tokens)
        )
        return [i for i in years if i < tech_after][-1], "year"
    if first_tech < len(tokens):
        return first_tech, "tech"
    return len(tokens), ""


def _classify(tokens: list[str], start: int, parts: _Parts) -> None:
    """Classify tokens from ``start`` on into the technical parts; unrecognised ones are kept."""
    i = start
    while i < len(tokens):
        tok = tokens[i]
        res = RESOLUTION.match(tok)
        if res and parts.resolution is None:
            parts.resolution = tok.upper() if tok.lower() in ("4k", "8k", "uhd") else tok.lower()
            i += 1
            continue
        if _streaming_at(tokens, i) and parts.streaming is None:
            parts.streaming = tok
            i += 1
            continue
        if VERSION_RE.match(tok) and parts.version is None:
            parts.version, i = _version_at(tokens, i)
            continue
        step = 0
        for table, sink in (
            (AUDIO, "audio"),
            (CODECS, "codecs"),
            (SOURCES, "source"),
            (LANGUAGES, "languages"),
            (TAGS, "tags"),
            (PLATFORMS, "platform"),
            (SOFTWARE_WORDS, "software"),
        ):
            hit = _lookup(tokens, i, table)
            if hit is None:
                continue
            value, step = hit
            if sink in ("source", "platform"):
                if getattr(parts, sink) is None:
                    setattr(parts, sink, value)
                elif sink == "platform":
                    parts.software.append(value)
                else:
                    parts.tags.append(value)
            else:
                getattr(parts, sink).append(value)
            break
        if step:
            i += step
            continue
        if re.fullmatch(r"MULTi\d{1,2}", tok, re.IGNORECASE):
            parts.languages.append(tok)
        else:
            parts.unknown.append(tok)
        i += 1


def _parse_video(name: str, body: str, group: str) -> Release | None:
    tokens = _tokens(body)
    if len(tokens) < 2 or len(tokens) > 60:
        return None
    anchor, what = _find_anchor(tokens)
    title_tokens = tokens[:anchor]
    if not title_tokens or not what:
        return _parse_software(name, tokens, group)
    parts = _Parts()
    year: int | None = None
    season: int | None = None
    episodes: tuple[int, ...] = ()
    date: str | None = None
    kind = KIND_MOVIE
    rest = anchor + 1
    anchor_tok = tokens[anchor]
    episode_title: list[str] = []
    if what == "episode":
        kind = KIND_TV
        m = EPISODE_RE.match(anchor_tok)
        if m:
            season = int(m.group(1))
            episodes = tuple(int(e) for e in EPISODE_NUM.findall(m.group(2)))
        else:
            mx = EPISODE_X_RE.match(anchor_tok)
            assert mx is not None
            season, episodes = int(mx.group(1)), (int(mx.group(2)),)
    elif what == "season":
        kind = KIND_TV
        sm = SEASON_RE.match(anchor_tok)
        season = int(sm.group(1)) if sm else None
    elif what == "date":
        kind = KIND_DAILY
        date = _valid_date(tokens[anchor], tokens[anchor + 1], tokens[anchor + 2])
        rest = anchor + 3
    elif what == "year":
        year = int(anchor_tok)
    else:
        rest = anchor
        kind = KIND_MOVIE
    if kind in (KIND_TV, KIND_DAILY):
        while rest < len(tokens) and not _known(tokens, rest):
            episode_title.append(tokens[rest])
            rest += 1
    # a year straight after the title of a TV show: Show.2024.S01E01
    if kind == KIND_TV and len(title_tokens) > 1 and YEAR_RE.match(title_tokens[-1]):
        year = int(title_tokens[-1])
        title_tokens = title_tokens[:-1]
    _classify(tokens, rest, parts)
    if parts.platform and parts.technical == 0 and what in ("year", "tech"):
        return _parse_software(name, tokens, group)
    confidence = _video_confidence(what, parts, group, len(episode_title))
    if what == "tech" and parts.technical < 2:
        return None
    if what == "year" and parts.technical == 0 and not parts.languages and not parts.tags:
        return None
    if what == "year" and not _movie_like(parts):
        return None
    if confidence < MIN_CONFIDENCE:
        return None
    return Release(
        name=name,
        title=" ".join(title_tokens),
        group=group,
        kind=kind if what != "tech" else (KIND_MOVIE if parts.source else KIND_OTHER),
        confidence=confidence,
        year=year,
        season=season,
        episodes=episodes,
        date=date,
        resolution=parts.resolution,
        source=parts.source,
        streaming=parts.streaming,
        codecs=tuple(parts.codecs),
        audio=tuple(parts.audio),
        languages=tuple(parts.languages),
        tags=tuple(parts.tags + parts.software),
        episode_title=" ".join(episode_title),
        version=parts.version,
        platform=parts.platform,
    )


def _movie_like(parts: _Parts) -> bool:
    """A year plus at least one technical, language or tag token, and not mostly unknown words."""
    known = parts.technical + len(parts.languages) + len(parts.tags)
    return known >= 1 and len(parts.unknown) <= known + 1


def _known(tokens: list[str], i: int) -> bool:
    tok = tokens[i]
    if RESOLUTION.match(tok) or YEAR_RE.match(tok):
        return True
    if _streaming_at(tokens, i):
        return True
    return any(_lookup(tokens, i, t) is not None for t in (AUDIO, CODECS, SOURCES, LANGUAGES, TAGS))


def _video_confidence(what: str, parts: _Parts, group: str, episode_words: int) -> float:
    score = {"episode": 0.6, "date": 0.55, "season": 0.5, "year": 0.45, "tech": 0.35}[what]
    score += min(parts.technical, 4) * 0.08
    score += 0.04 * min(len(parts.tags) + len(parts.languages), 2)
    if any(c.isupper() for c in group) or any(c.isdigit() for c in group):
        score += 0.05
    else:
        score -= 0.1
    score -= 0.05 * max(0, len(parts.unknown) - 1)
    if what in ("episode", "date", "season") and parts.technical == 0 and episode_words > 6:
        score -= 0.2
    return round(max(0.0, min(1.0, score)), 2)


def _parse_software(name: str, tokens: list[str], group: str) -> Release | None:
    """Software and games: `Title.v1.2.3.Incl.Keygen-GRP`, `Game.Name.PS4-GRP`, `Tool.x64-GRP`."""
    version_at = next((i for i, t in enumerate(tokens) if VERSION_RE.match(t)), None)
    platform_at = next(
        (
            i
            for i in range(1, len(tokens))
            if _lookup(tokens, i, PLATFORMS) or _lookup(tokens, i, SOFTWARE_WORDS)
        ),
        None,
    )
    if platform_at is None or not any(c.isupper() for c in group):
        return None
    end = min(i for i in (version_at, platform_at) if i is not None)
    if end < 1:
        return None
    title_tokens = tokens[:end]
    parts = _Parts()
    _classify(tokens, end, parts)
    if len(parts.unknown) > 3 or parts.technical:
        return None
    confidence = 0.55 + (0.1 if parts.version else 0.0) + (0.05 if parts.platform else 0.0)
    return Release(
        name=name,
        title=" ".join(title_tokens),
        group=group,
        kind=KIND_OTHER,
        confidence=round(min(confidence, 1.0), 2),
        languages=tuple(parts.languages),
        tags=tuple(parts.tags + parts.software),
        version=parts.version,
        platform=parts.platform,
    )


def _parse_music(name: str, body: str, group: str) -> Release | None:
    """Music: `Artist-Title-(CAT)-WEB-2024-GRP`, underscores for spaces."""
    fields = [f for f in body.split("-") if f != ""]
    if len(fields) < 3 or not YEAR_RE.match(fields[-1]):
        return None
    year = int(fields[-1])
    head = fields[:-1]
    markers: list[str] = []
    catalogue: str | None = None
    date: str | None = None
    if len(head) >= 4 and re.fullmatch(r"\d\d", head[-1]) and re.fullmatch(r"\d\d", head[-2]):
        date = _valid_date(str(year), head[-2], head[-1])  # live recordings: `SAT-06-01-2024`
        if date is None:
            return None
        head = head[:-2]
    while head and (head[-1].lower() in MUSIC_MARKERS or _is_catalogue(head[-1])):
        tok = head.pop()
        if _is_catalogue(tok) and catalogue is None:
            catalogue = tok.strip("()")
        else:
            markers.append(tok)
    if len(head) < 2:
        return None
    if any(len(f) > 120 or not re.fullmatch(r"[A-Za-z0-9_()&+'!,.]+", f) for f in head):
        return None
    confidence = 0.5 + (0.15 if markers else 0.0) + (0.1 if catalogue else 0.0)
    if not markers and not catalogue and (group.islower() or group.isdigit()):
        return None
    if "_" in body:
        confidence += 0.1
    if group.isdigit():
        return None
    artist = head[0].replace("_", " ")
    title = " - ".join(f.replace("_", " ") for f in head[1:])
    markers.reverse()
    source = next(
        (
            m
            for m in markers
            if m.upper()
            in (
                "WEB",
                "CD",
                "CDS",
                "CDM",
                "VINYL",
                "VLS",
                "SAT",
                "CABLE",
                "FM",
                "DAB",
                "LINE",
                "DVD",
                "BD",
                "TAPE",
            )
        ),
        None,
    )
    codecs = tuple(m for m in markers if m.upper() in ("FLAC", "MP3"))
    languages = tuple(m for m in markers if len(m) == 2 and m.isupper())
    tags = tuple(m for m in markers if m != source and m not in codecs and m not in languages)
    if catalogue:
        tags = (f"CAT:{catalogue}", *tags)
    return Release(
        name=name,
        title=f"{artist} - {title}",
        group=group,
        kind=KIND_MUSIC,
        confidence=round(min(confidence, 1.0), 2),
        year=year,
        date=date,
        source=source,
        codecs=codecs,
        languages=languages,
        tags=tags,
    )


def _is_catalogue(tok: str) -> bool:
    return bool(re.fullmatch(r"\([A-Za-z0-9_.]{2,24}\)", tok))


def find_releases(text: str) -> Iterator[tuple[int, Release]]:
    """Every release name in free text, with its character offset, in order of appearance."""
    if not isinstance(text, str):
        return
    for m in CANDIDATE_RE.finditer(text):
        candidate = m.group(0)
        if len(candidate) > MAX_NAME + 12:
            continue
        start = m.start()
        if start and text[start - 1] in "@.":
            continue
        end = len(candidate)
        while end and candidate[end - 1] in ".,;:!)'":
            end -= 1
        if m.end() < len(text) and text[m.end()] == "@":
            continue
        release = parse_release(candidate[:end])
        if release is not None:
            yield start, release

"""Sample evidence: a glFTPd topsite, its site bot, a pre-DB dump and a data disk of release dirs.

``build_topsite(root, data_root)`` writes the system tree under ``root`` (glFTPd config, users,
logs, xferlog, eggdrop/ngBot configs, a pT-PreBot MySQL dump) and, under ``data_root``, the release
directories (CP437 NFO, SFV, rar parts whose CRCs match, except one bad and one missing part) and
.torrent files. It returns the exact figures it wrote, so tests can compare what the plugins find.
"""

from __future__ import annotations

import hashlib
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from workbench.parsers.bencode import encode

START = datetime(2024, 6, 1, 12, 0, 0)  # site-local time of the first logged event
SITE_LONG = "FAKE SITE OF EXAMPLES"
SITE_SHORT = "FSE"
PIECE_LENGTH = 16384
PASSKEY = "0123456789abcdef0123456789abcdef"
TRACKER = f"https://tracker.example-pt.invalid/announce/{PASSKEY}"

TITLES = (
    "Example.Film",
    "Quiet.Harbour",
    "Lost.in.Testing",
    "Paper.Moon.Rising",
    "Glass.Orchard",
    "Silent.Frequency",
    "Broken.Compass",
    "Iron.Meadow",
    "Crimson.Ledger",
    "Velvet.Circuit",
    "Northern.Signal",
    "Seven.Small.Doors",
)
SHOWS = ("Fake.Show", "Harbour.Police", "The.Stub.Files", "Orbit.Station", "Paper.Town", "Night.Shift.Inc")
DAILIES = ("The.Late.Fake.Show", "Evening.Stub.Tonight", "Daily.Placeholder")
ARTISTS = ("Fake_Artist", "DJ_Placeholder", "The_Stubs", "Null_and_Void")
ALBUMS = ("Night_Drive", "Greatest_Fakes", "Test_Pressing", "Signals")
SECTIONS = {"movie": "X264-1080", "tv": "TV-X265", "daily": "TV-DAILY", "music": "MP3"}
SECTION_DIRS = {"X264-1080": "x264-1080", "TV-X265": "tv-x265", "TV-DAILY": "tv-daily", "MP3": "mp3"}
HANDLES = ("racer", "speedy", "fxp", "courier", "ghost", "nitro", "turbo", "warp")
LEECHERS = ("leech01", "leech02", "archiver")


@dataclass(frozen=True)
class GroupFigures:
    """What the builder wrote for one release group."""

    group: str
    releases: int
    release_names: tuple[str, ...]
    uploaders: tuple[str, ...]
    transfers: int
    bytes_up: int
    bytes_down: int
    torrents: int


@dataclass(frozen=True)
class TopsiteFigures:
    """The exact figures of the sample topsite."""

    site_name: str
    site_short: str
    groups: tuple[GroupFigures, ...]
    release_groups: int
    releases: int
    topsite_users: int
    deleted_users: int
    transfers: int
    bytes_up: int
    bytes_down: int
    torrents: int
    sfv_good: int
    sfv_bad: int
    sfv_missing: int
    pre_rows: int
    nukes: int
    log_only_releases: tuple[str, ...]
    torrent_only_releases: tuple[str, ...]
    bad_crc_file: str
    missing_file: str

    def group(self, name: str) -> GroupFigures:
        """Figures of one group."""
        return next(g for g in self.groups if g.group == name)


@dataclass
class _Release:
    name: str
    group: str
    kind: str
    section: str
    presence: str  # site | log_only | torrent_only
    uploader: str = ""
    time: datetime = START
    parts: dict[str, bytes] = field(default_factory=dict)


@dataclass
class _Tally:
    transfers: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    uploaders: set[str] = field(default_factory=set)
    torrents: int = 0


def _log_time(t: datetime) -> str:
    """glFTPd's `%a %b %e %T %Y`."""
    return f"{t:%a %b} {t.day:2d} {t:%H:%M:%S %Y}"


def _release_name(rng: random.Random, kind: str, group: str, used: set[str]) -> str:
    while True:
        if kind == "movie":
            name = f"{rng.choice(TITLES)}.{rng.randint(1990, 2024)}.1080p.BluRay.x264-{group}"
        elif kind == "tv":
            name = f"{rng.choice(SHOWS)}.S{rng.randint(1, 9):02d}E{rng.randint(1, 22):02d}.1080p.WEB.x265-{group}"
        elif kind == "daily":
            day = START.date() - timedelta(days=rng.randint(0, 20))
            name = f"{rng.choice(DAILIES)}.{day:%Y.%m.%d}.720p.HDTV.x264-{group}"
        else:
            name = f"{rng.choice(ARTISTS)}-{rng.choice(ALBUMS)}-WEB-{rng.randint(2015, 2024)}-{group}"
        if name.lower() not in used:
            used.add(name.lower())
            return name


def _nfo(release: _Release, greets: list[str], imdb: str) -> bytes:
    width = 47
    banner = " ".join(release.group)
    top = "┌" + f" {banner} ".center(width - 2, "─") + "┐"
    lines = [
        " ░▒▓█" + "▀" * (width - 10) + "█▓▒░",
        " " + top,
        f"  Release : {release.name}",
        f"  Date    : {release.time:%Y-%m-%d}     Size : {len(release.parts)} x 1 KB",
        f"  Source  : {'WEB' if release.kind in ('tv', 'music') else 'BluRay'}         Video: see tags",
        f"  IMDb    : https://www.imdb.com/title/{imdb}/",
        f"  Greets  : {' - '.join(greets)}",
        f"  Contact : {release.group.lower()}@mail.invalid",
        " └" + "─" * (width - 2) + "┘",
        " ░▒▓█" + "▄" * (width - 10) + "█▓▒░",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp437")


def _sfv(parts: dict[str, bytes], when: datetime) -> bytes:
    lines = [f"; Generated by cksfv v1.3.14 on {when:%Y-%m-%d} at {when:%H:%M.%S}", ";"]
    for name, data in parts.items():
        lines.append(f";   {len(data):>10}  {when:%H:%M.%S} {when:%Y-%m-%d} {name}")
    for name, data in parts.items():
        lines.append(f"{name} {zlib.crc32(data):08X}")
    return ("\r\n".join(lines) + "\r\n").encode()


def _torrent(name: str, files: list[tuple[str, bytes]], created: datetime, comment: str) -> bytes:
    blob = b"".join(data for _, data in files)
    pieces = b"".join(
        hashlib.sha1(blob[i : i + PIECE_LENGTH]).digest() for i in range(0, len(blob), PIECE_LENGTH)
    )
    info = {
        "files": [{"length": len(data), "path": path.split("/")} for path, data in files],
        "name": name,
        "piece length": PIECE_LENGTH,
        "pieces": pieces,
        "private": 1,
    }
    meta = {
        "announce": TRACKER,
        "comment": comment,
        "created by": "mktorrent 1.1",
        "creation date": int(created.replace(tzinfo=UTC).timestamp()),
        "info": info,
    }
    return encode(meta)


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _sql_value(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def _dump_table(name: str, create: str, rows: Sequence[Sequence[object]]) -> str:
    values = ",".join("(" + ",".join(_sql_value(v) for v in row) + ")" for row in rows)
    return (
        f"--\n-- Table structure for table `{name}`\n--\n\n"
        f"DROP TABLE IF EXISTS `{name}`;\n"
        "/*!40101 SET @saved_cs_client     = @@character_set_client */;\n"
        "/*!50503 SET character_set_client = utf8mb4 */;\n"
        f"{create}\n"
        "/*!40101 SET character_set_client = @saved_cs_client */;\n\n"
        f"--\n-- Dumping data for table `{name}`\n--\n\n"
        f"LOCK TABLES `{name}` WRITE;\n"
        f"/*!40000 ALTER TABLE `{name}` DISABLE KEYS */;\n"
        + (f"INSERT INTO `{name}` VALUES {values};\n" if rows else "")
        + f"/*!40000 ALTER TABLE `{name}` ENABLE KEYS */;\n"
        "UNLOCK TABLES;\n\n"
    )


CREATE_MAIN = """CREATE TABLE `MAIN` (
  `id` int NOT NULL AUTO_INCREMENT,
  `rlsname` varchar(255) NOT NULL DEFAULT '',
  `group` varchar(50) NOT NULL DEFAULT '',
  `section` varchar(20) NOT NULL DEFAULT '',
  `datetime` int unsigned NOT NULL DEFAULT '0',
  `status` varchar(10) NOT NULL DEFAULT 'ADDPRE',
  `files` int DEFAULT NULL,
  `size` decimal(10,2) DEFAULT NULL,
  `nukereason` varchar(255) DEFAULT NULL,
  `genre` varchar(50) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `rlsname` (`rlsname`),
  KEY `group` (`group`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;"""

CREATE_NUKE = """CREATE TABLE `NUKE` (
  `id` int NOT NULL AUTO_INCREMENT,
  `rlsname` varchar(255) NOT NULL DEFAULT '',
  `group` varchar(50) NOT NULL DEFAULT '',
  `datetime` int unsigned NOT NULL DEFAULT '0',
  `nuke` varchar(10) NOT NULL DEFAULT 'NUKE',
  `reason` varchar(255) DEFAULT NULL,
  `nukenet` varchar(50) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `rlsname` (`rlsname`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;"""


def build_topsite(
    root: Path,
    data_root: Path,
    *,
    seed: int = 8,
    groups: tuple[str, ...] = ("FAKEGRP", "NOGRP", "OTHERGRP"),
    releases_per_group: int = 4,
) -> TopsiteFigures:
    """Write the sample topsite under ``root`` and its release disk under ``data_root``."""
    if releases_per_group < 3 or len(groups) < 2:
        raise ValueError("need at least two groups and three releases per group")
    rng = random.Random(seed)
    glroot = root / "glftpd"
    site_groups = {g: g.capitalize().replace("grp", "Grp") for g in groups}

    # --- users: two racers per group, leechers, a siteop and one deleted user
    racers: dict[str, list[str]] = {}
    handles = iter(f"{h}{n}" for n in range(1, 100) for h in HANDLES)
    for g in groups:
        racers[g] = [next(handles), next(handles)]
    deleted_user = next(handles)
    user_groups: dict[str, list[str]] = {"siteop": ["SiteOP"], deleted_user: [site_groups[groups[0]]]}
    for g in groups:
        for racer in racers[g]:
            user_groups[racer] = [site_groups[g]]
    for leecher in LEECHERS:
        user_groups[leecher] = ["Leechers"]
    users = sorted(user_groups)

    # --- releases
    used: set[str] = set()
    kinds = ("movie", "tv", "daily", "music")
    releases: list[_Release] = []
    clock = START
    for gi, g in enumerate(groups):
        for ri in range(releases_per_group):
            kind = kinds[(gi + ri) % len(kinds)]
            presence = "site"
            if ri == releases_per_group - 1:
                presence = "log_only" if gi % 2 == 0 else "torrent_only"
            release = _Release(_release_name(rng, kind, g, used), g, kind, SECTIONS[kind], presence)
            clock += timedelta(minutes=rng.randint(7, 50), seconds=rng.randint(0, 59))
            release.time = clock
            release.uploader = rng.choice(racers[g])
            abbr = f"{g.lower()}-{''.join(w[0] for w in release.name.replace('_', '.').split('.')[:4]).lower()}{ri}"
            for suffix in ("rar", "r00", "r01"):
                release.parts[f"{abbr}.{suffix}"] = rng.randbytes(rng.randint(1024, 3072))
            releases.append(release)

    tallies = {g: _Tally() for g in groups}
    xfer: list[tuple[datetime, str]] = []
    log: list[tuple[datetime, str]] = []
    user_up: dict[str, list[int]] = {u: [0, 0] for u in users}
    user_down: dict[str, list[int]] = {u: [0, 0] for u in users}

    def site_path(r: _Release) -> str:
        return f"/site/{SECTION_DIRS[r.section]}/{r.name}"

    # --- logs and transfers of every release that passed through the site
    for r in releases:
        if r.presence == "torrent_only":
            continue
        tally = tallies[r.group]
        tally.uploaders.add(r.uploader)
        ip = f"198.51.100.{10 + users.index(r.uploader)}"
        sgroup = site_groups[r.group]
        log.append(
            (
                r.time - timedelta(seconds=30),
                f'LOGIN: "{r.uploader}@{ip}" "{ip}" "{r.uploader}" "{sgroup}" "racing since 2019"',
            )
        )
        log.append((r.time, f'NEWDIR: "{site_path(r)}" "{r.uploader}" "{sgroup}" "racing since 2019"'))
        t = r.time
        for name, data in r.parts.items():
            t += timedelta(seconds=2)
            seconds = max(1, len(data) // 1024)
            xfer.append(
                (
                    t,
                    f"{_log_time(t)} {seconds} {ip} {len(data)} {site_path(r)}/{name} b _ i r {r.uploader} {sgroup} 0 * c",
                )
            )
            tally.transfers += 1
            tally.bytes_up += len(data)
            user_up[r.uploader][0] += 1
            user_up[r.uploader][1] += len(data)
        log.append(
            (
                t + timedelta(seconds=1),
                f'COMPLETE_RACE: "{site_path(r)}" "{r.uploader}" "{sgroup}" "{len(r.parts)}"',
            )
        )
        for leecher in rng.sample(LEECHERS, 2):
            t += timedelta(minutes=rng.randint(1, 30))
            name = rng.choice(sorted(r.parts))
            data = r.parts[name]
            lip = f"203.0.113.{20 + LEECHERS.index(leecher)}"
            xfer.append(
                (
                    t,
                    f"{_log_time(t)} 1 {lip} {len(data)} {site_path(r)}/{name} b _ o r {leecher} Leechers 0 * c",
                )
            )
            tally.transfers += 1
            tally.bytes_down += len(data)
            user_down[leecher][0] += 1
            user_down[leecher][1] += len(data)
    # a transfer outside any release, and a nuke of the first group's first release
    t_extra = clock + timedelta(hours=1)
    xfer.append(
        (
            t_extra,
            f"{_log_time(t_extra)} 1 203.0.113.20 512 /site/REQUESTS/request list.txt a _ o r leech01 Leechers 0 * c",
        )
    )
    user_down["leech01"][0] += 1
    user_down["leech01"][1] += 512
    nuked = releases[0]
    log.append(
        (
            t_extra + timedelta(minutes=5),
            f'NUKE: "{site_path(nuked)}" "siteop" "3" "dupe.of.earlier.release" "{nuked.uploader} 1"',
        )
    )
    log.append(
        (
            t_extra + timedelta(minutes=9),
            'LOGOUT: "siteop@192.0.2.1" "192.0.2.1" "siteop" "SiteOP" "the boss"',
        )
    )
    log.sort(key=lambda item: item[0])
    xfer.sort(key=lambda item: item[0])

    logs = glroot / "ftp-data" / "logs"
    _write(logs / "glftpd.log", "".join(f"{_log_time(t)} {text}\n" for t, text in log))
    _write(logs / "xferlog", "".join(f"{line}\n" for _, line in xfer))
    _write(
        logs / "login.log",
        "".join(f"{_log_time(t)} {text}\n" for t, text in log if text.startswith(("LOGIN", "LOGOUT"))),
    )
    _write(
        logs / "sysop.log",
        f"{_log_time(START - timedelta(days=3))} 'siteop' deleted user '{deleted_user}'.\n",
    )

    # --- configuration, passwd, group, user files
    _write(
        glroot / "etc" / "glftpd.conf",
        "\n".join(
            [
                "# glFTPd configuration",
                "rootpath        /glftpd",
                "datapath        /ftp-data",
                f"sitename_long   {SITE_LONG}",
                f"sitename_short  {SITE_SHORT}",
                "email           siteop@fakesite.invalid",
                f"login_prompt    {SITE_SHORT} ready",
                "pasv_addr       198.51.100.10 1",
                "pasv_ports      50000-50100",
                *(f"stat_section    {s:<10} /site/{d}/*  no" for s, d in SECTION_DIRS.items()),
                "privpath        /site/PRIVATE/staff   =SiteOP",
                "path-filter     *  /ftp-data/misc/pathmsg  ^[-A-Za-z0-9_.()[:space:]]*$  ^\\.  ^-",
                "",
            ]
        ),
    )
    passwd = ["glftpd:$8f3a1c2e$" + rng.randbytes(20).hex() + ":0:0:01-01-70:/site:/bin/false"]
    for uid, user in enumerate(users, start=100):
        passwd.append(
            f"{user}:${rng.randbytes(4).hex()}${rng.randbytes(20).hex()}:{uid}:300:05-{uid % 28 + 1:02d}-24:/site:/bin/false"
        )
    _write(glroot / "etc" / "passwd", "\n".join(passwd) + "\n")
    group_lines = ["SiteOP:Site Operators:100:0", "Leechers:Leechers:200:0"]
    group_lines += [f"{site_groups[g]}:{g} affils:{300 + i}:0" for i, g in enumerate(groups)]
    _write(glroot / "etc" / "group", "\n".join(group_lines) + "\n")
    for user in users:
        flags = "1" if user == "siteop" else "3"
        if user == deleted_user:
            flags += "6"
        up, down = user_up.get(user, [0, 0]), user_down.get(user, [0, 0])
        lines = [
            "USER Added by siteop",
            "GENERAL 0,0 120 0 0",
            "LOGINS 3 0 -1 -1",
            f"FLAGS {flags}",
            f"TAGLINE {'the boss' if user == 'siteop' else 'racing since 2019'}",
            "HOMEDIR /site",
            "DIR /",
            "RATIO 3",
            f"CREDITS {up[1] // 1024 * 3}",
            f"ALLUP {up[0]} {up[1] // 1024} {up[0] * 2}",
            f"ALLDN {down[0]} {down[1] // 1024} {down[0]}",
            f"WKUP {up[0]} {up[1] // 1024} {up[0] * 2}",
            f"WKDN {down[0]} {down[1] // 1024} {down[0]}",
            "TIME 12 1717243200 0 0",
            *(f"GROUP {sg} {1 if user in [racers[g][0] for g in groups] else 0}" for sg in user_groups[user]),
            f"IP *@198.51.100.{10 + users.index(user)}",
            f"IP {user}@203.0.113.*",
        ]
        _write(glroot / "ftp-data" / "users" / user, "\n".join(lines) + "\n")

    # --- site bot
    _write(
        glroot / "sitebot" / "eggdrop.conf",
        "\n".join(
            [
                "# eggdrop.conf for the FSE site bot",
                'set nick "FSEbot"',
                'set altnick "FSEbot_"',
                'set username "fsebot"',
                'set admin "siteop <email: siteop@fakesite.invalid>"',
                'set network "FakeNet"',
                'set userfile "FSEbot.user"',
                'set chanfile "FSEbot.chan"',
                'logfile mco * "logs/FSEbot.log"',
                "loadmodule server",
                "loadmodule channels",
                "loadmodule blowfish",
                "server add irc.fakenet.invalid 6697 n3tpass",
                "server add irc2.fakenet.invalid 7000",
                "channel add #fse-spam",
                "channel add #fse-staff",
                'set blowfish(#fse-spam) "fseSpamBlowKey1"',
                "source scripts/pzs-ng/ngBot.tcl",
                "",
            ]
        ),
    )
    _write(
        glroot / "sitebot" / "scripts" / "pzs-ng" / "ngBot.conf",
        "\n".join(
            [
                f'set sitename "{SITE_SHORT}"',
                'set mainchan "#fse-spam"',
                'set glroot "/glftpd"',
                'set location(USERS) "/ftp-data/users/"',
                'set location(PASSWD) "/etc/passwd"',
                'set location(GROUP) "/etc/group"',
                'set location(GLCONF) "/etc/glftpd.conf"',
                'set glftpdlog(NORMAL) "/ftp-data/logs/glftpd.log"',
                "set bnc(ENABLED) TRUE",
                'set bnc(LIST) "bnc.fakesite.invalid:31337"',
                *(f'set paths({s}) "/site/{d}/*"' for s, d in SECTION_DIRS.items()),
                *(f'set chanlist({s}) "#fse-spam"' for s in SECTION_DIRS),
                'set blowfish(#fse-spam) "fseSpamBlowKey1"',
                "",
            ]
        ),
    )

    # --- release directories, NFO, SFV, parts; one bad CRC and one missing part
    sfv_good = sfv_bad = sfv_missing = 0
    on_disk = [r for r in releases if r.presence == "site"]
    bad_release, missing_release = on_disk[0], on_disk[1]
    bad_file = missing_file = ""
    for r in on_disk:
        folder = data_root / "site" / SECTION_DIRS[r.section] / r.name
        others = [g for g in groups if g != r.group]
        imdb = f"tt{rng.randint(1000000, 9999999)}"
        _write(folder / f"{sorted(r.parts)[0].rsplit('.', 1)[0]}.nfo", _nfo(r, others, imdb))
        _write(folder / f"{sorted(r.parts)[0].rsplit('.', 1)[0]}.sfv", _sfv(r.parts, r.time))
        for index, (name, data) in enumerate(r.parts.items()):
            if r is missing_release and index == 1:
                missing_file = name
                sfv_missing += 1
                continue
            if r is bad_release and index == 2:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
                bad_file = name
                sfv_bad += 1
            else:
                sfv_good += 1
            _write(folder / name, data)

    # --- torrents: the first site release of every group, and every torrent-only release
    torrent_releases = [next(r for r in on_disk if r.group == g) for g in groups]
    torrent_releases += [r for r in releases if r.presence == "torrent_only"]
    for r in torrent_releases:
        if r.presence == "torrent_only":
            body = rng.randbytes(40_000)
            files = [(f"{r.name.lower()}.mkv", body)]
        else:
            files = [(name, data) for name, data in r.parts.items()]
        data = _torrent(r.name, files, r.time + timedelta(hours=2), f"{r.group} release")
        _write(data_root / "torrents" / f"{r.name}.torrent", data)
        tallies[r.group].torrents += 1

    # --- pT-PreBot dump: the releases still on the site (log-only ones appear nowhere else), the nuke
    pre_rows = []
    for index, r in enumerate(sorted(on_disk, key=lambda r: r.time), start=1):
        size_mb = round(sum(len(d) for d in r.parts.values()) / 1048576, 2)
        pre_rows.append(
            (
                index,
                r.name,
                r.group,
                r.section,
                int((r.time - timedelta(minutes=1)).replace(tzinfo=UTC).timestamp()),
                "ADDPRE",
                len(r.parts),
                size_mb,
                None,
                "Pop" if r.kind == "music" else None,
            )
        )
    nuke_rows = [
        (
            1,
            nuked.name,
            nuked.group,
            int((t_extra + timedelta(minutes=5)).replace(tzinfo=UTC).timestamp()),
            "NUKE",
            "dupe.of.earlier.release",
            "FakeNukeNet",
        )
    ]
    dump = (
        "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n"
        "-- Host: localhost    Database: prebot\n"
        "-- ------------------------------------------------------\n"
        "-- Server version\t8.0.36-0ubuntu0.22.04.1\n\n"
        "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
        "/*!50503 SET NAMES utf8mb4 */;\n"
        "/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n"
        "/*!40103 SET TIME_ZONE='+00:00' */;\n"
        "/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n\n"
        + _dump_table("MAIN", CREATE_MAIN, pre_rows)
        + _dump_table("NUKE", CREATE_NUKE, nuke_rows)
        + "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n"
        "/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n\n"
        "-- Dump completed on 2024-06-02  3:00:01\n"
    )
    _write(root / "home" / "prebot" / "backup" / "prebot.sql", dump)

    group_figures = tuple(
        GroupFigures(
            group=g,
            releases=sum(1 for r in releases if r.group == g),
            release_names=tuple(sorted(r.name for r in releases if r.group == g)),
            uploaders=tuple(sorted(tallies[g].uploaders)),
            transfers=tallies[g].transfers,
            bytes_up=tallies[g].bytes_up,
            bytes_down=tallies[g].bytes_down,
            torrents=tallies[g].torrents,
        )
        for g in groups
    )
    return TopsiteFigures(
        site_name=SITE_LONG,
        site_short=SITE_SHORT,
        groups=group_figures,
        release_groups=len(groups),
        releases=len(releases),
        topsite_users=len(users) + 1,  # passwd also lists the `glftpd` system account
        deleted_users=1,
        transfers=len(xfer),
        bytes_up=sum(t.bytes_up for t in tallies.values()),
        bytes_down=sum(t.bytes_down for t in tallies.values()) + 512,
        torrents=len(torrent_releases),
        sfv_good=sfv_good,
        sfv_bad=sfv_bad,
        sfv_missing=sfv_missing,
        pre_rows=len(pre_rows),
        nukes=len(nuke_rows),
        log_only_releases=tuple(r.name for r in releases if r.presence == "log_only"),
        torrent_only_releases=tuple(r.name for r in releases if r.presence == "torrent_only"),
        bad_crc_file=bad_file,
        missing_file=missing_file,
    )

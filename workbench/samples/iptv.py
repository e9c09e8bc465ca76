"""Sample IPTV panel servers: an Xtream UI box and an XUI.one box, with the figures they contain.

``build_xtream_panel`` writes the Xtream UI layout (obfuscated ``config``, panel ``nginx.conf``, the
installer ``database.sql`` and an operator's ``/root/backup_0601.sql`` mysqldump with subscribers,
resellers, streams, servers, viewing activity and sales logs). ``build_xui_panel`` writes the XUI.one
layout (``config.ini`` and a dump in which ``lines`` holds the subscribers and ``users`` the
resellers). Both are deterministic and return the exact figures they wrote.

Figure definitions (the IPTV plugin's case figures use the same ones): a subscriber is *expired* when
it has an expiry date at or before the reference date; *active* when it is enabled, not disabled by an
admin and not expired; *disabled* when either enable flag is off.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from workbench.parsers.xtream import encode_xtream_config

__all__ = ["BITCOIN_ADDRESS", "PAYPAL_EMAIL", "IptvFigures", "build_xtream_panel", "build_xui_panel"]

REFERENCE_DATE = datetime(2024, 6, 1, 21, 0, tzinfo=UTC)
PAYPAL_EMAIL = "payments.iptvking@mail.invalid"
BITCOIN_ADDRESS = "13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79h"
XTREAM_ROOT = "home/xtreamcodes/iptv_xtream_codes"

COUNTRIES = ("GB", "DE", "NL", "PT", "ES", "IT", "FR", "IE", "BE", "PL", "SE", "AT")
ISPS = (
    "Example Telecom Ltd",
    "Fake Fibre GmbH",
    "Documentation Networks",
    "Invalid Cable S.A.",
    "Sample Mobile",
)
USER_AGENTS = (
    "VLC/3.0.20 LibVLC/3.0.20",
    "IPTVSmartersPlayer",
    "TiviMate/4.7.0 (Android 11)",
    "Lavf/58.76.100",
    "Mozilla/5.0 (QtEmbedded; U; Linux; C) AppleWebKit/533.3 (KHTML, like Gecko) MAG200 stbapp ver: 2",
)
LIVE_NAMES = (
    "Sport One",
    "Sport Two",
    "Movies Max",
    "News 24",
    "Kids Fun",
    "Music Hits",
    "Docu World",
    "Cinema Gold",
    "Racing TV",
    "Fight Night",
)
PREFIXES = ("UK", "DE", "NL", "PT", "ES", "IT", "FR", "US")
MOVIE_WORDS = ("Example", "Fake", "Sample", "Invented", "Imaginary", "Placeholder", "Dummy", "Notional")
MOVIE_NOUNS = ("Heist", "Journey", "Return", "Mission", "Legacy", "Protocol", "Frontier", "Signal")


@dataclass(frozen=True)
class IptvFigures:
    """What a sample panel holds (counts at ``reference_date``)."""

    panel: str
    reference_date: datetime
    live_channels: int  # streams of type live or created_live
    vod: int  # movies
    series: int  # series titles
    series_episodes: int  # streams of type series
    radio: int
    subscribers: int
    active: int
    expired: int
    trial: int
    disabled: int
    never_expires: int
    mag_devices: int
    resellers: int
    resellers_with_credits: int
    admins: int
    servers: int
    activity_sessions: int  # rows of the activity tables (history and live connections)
    client_ips: int  # distinct IPs in activity rows and subscribers' last_ip
    countries: int  # distinct GeoIP country codes in activity rows
    db_user: str
    db_password: str
    paypal_email: str
    bitcoin_address: str
    files: tuple[str, ...]  # paths written, relative to the root


# --------------------------------------------------------------------------------------------------
# mysqldump writer


def _sql_literal(value: object) -> str:
    """A value the way mysqldump writes it."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    escapes = {"\x00": "\\0", "\n": "\\n", "\r": "\\r", "\\": "\\\\", "'": "\\'", '"': '\\"', "\x1a": "\\Z"}
    return "'" + "".join(escapes.get(c, c) for c in text) + "'"


@dataclass(frozen=True)
class _Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, SQL type)
    key: str  # primary key column


class _Dump:
    """Writes a dump the way ``mysqldump --opt`` does (extended INSERTs of at most ~1 MB)."""

    def __init__(self, database: str, server_version: str = "5.7.44-0ubuntu0.18.04.1") -> None:
        self.parts = [
            "-- MySQL dump 10.13  Distrib 5.7.44, for Linux (x86_64)\n--\n",
            f"-- Host: localhost    Database: {database}\n",
            "-- ------------------------------------------------------\n",
            f"-- Server version\t{server_version}\n\n",
            "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n",
            "/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;\n",
            "/*!40101 SET NAMES utf8 */;\n",
            "/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n/*!40103 SET TIME_ZONE='+00:00' */;\n",
            "/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n",
            "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n\n",
        ]

    def table(self, table: _Table, rows: Sequence[Sequence[object]]) -> None:
        """The structure and data of one table."""
        defs = [f"  `{name}` {sqltype}" for name, sqltype in table.columns]
        defs.append(f"  PRIMARY KEY (`{table.key}`)")
        auto = f" AUTO_INCREMENT={len(rows) + 1}" if rows else ""
        self.parts += [
            f"--\n-- Table structure for table `{table.name}`\n--\n\n",
            f"DROP TABLE IF EXISTS `{table.name}`;\n",
            "/*!40101 SET @saved_cs_client     = @@character_set_client */;\n",
            "/*!40101 SET character_set_client = utf8 */;\n",
            f"CREATE TABLE `{table.name}` (\n"
            + ",\n".join(defs)
            + f"\n) ENGINE=InnoDB{auto} DEFAULT CHARSET=utf8;\n",
            "/*!40101 SET character_set_client = @saved_cs_client */;\n\n",
            f"--\n-- Dumping data for table `{table.name}`\n--\n\n",
            f"LOCK TABLES `{table.name}` WRITE;\n",
            f"/*!40000 ALTER TABLE `{table.name}` DISABLE KEYS */;\n",
        ]
        batch: list[str] = []
        size = 0
        for row in rows:
            if len(row) != len(table.columns):
                raise ValueError(f"{table.name}: {len(row)} values for {len(table.columns)} columns")
            text = "(" + ",".join(_sql_literal(v) for v in row) + ")"
            if batch and size + len(text) > 1_000_000:
                self._insert(table.name, batch)
                batch, size = [], 0
            batch.append(text)
            size += len(text) + 1
        if batch:
            self._insert(table.name, batch)
        self.parts += [f"/*!40000 ALTER TABLE `{table.name}` ENABLE KEYS */;\n", "UNLOCK TABLES;\n\n"]

    def _insert(self, name: str, tuples: list[str]) -> None:
        self.parts.append(f"INSERT INTO `{name}` VALUES " + ",".join(tuples) + ";\n")

    def text(self, completed: datetime) -> str:
        """The whole dump."""
        return "".join(
            [
                *self.parts,
                "/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n",
                "/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n\n",
                f"-- Dump completed on {completed:%Y-%m-%d %H:%M:%S}\n",
            ]
        )


def _table(name: str, key: str, columns: str) -> _Table:
    """A table from ``"col type, col type, …"`` (types may not contain commas)."""
    cols = tuple(tuple(part.strip().split(" ", 1)) for part in columns.split(","))
    return _Table(name, tuple((c[0], c[1]) for c in cols), key)


INT = "int(11) NOT NULL DEFAULT '0'"
NINT = "int(11) DEFAULT NULL"
TINY = "tinyint(4) NOT NULL DEFAULT '0'"
TEXT = "mediumtext NOT NULL"
VC = "varchar(255) NOT NULL DEFAULT ''"

MEMBER_GROUPS = _table(
    "member_groups",
    "group_id",
    f"group_id {INT}, group_name {TEXT}, group_color varchar(7) NOT NULL DEFAULT '#000000', is_banned {TINY}, "
    f"is_admin {TINY}, is_reseller {TINY}, total_allowed_gen_trials {INT}, total_allowed_gen_in varchar(255) NOT NULL, "
    f"delete_users {TINY}, allowed_pages {TEXT}, can_delete {TINY}, create_sub_resellers {TINY}, allow_download {TINY}",
)
STREAMS_TYPES = _table(
    "streams_types", "type_id", f"type_id {INT}, type_name {VC}, type_key {VC}, type_output {VC}, live {TINY}"
)
STREAM_TYPE_ROWS = (
    (1, "Live Streams", "live", "live", 1),
    (2, "Movies", "movie", "movie", 0),
    (3, "Created Live Channels", "created_live", "live", 1),
    (4, "Radio", "radio_streams", "live", 1),
    (5, "TV Series", "series", "series", 0),
)


def _member_group_rows() -> list[tuple[object, ...]]:
    pages = "[]"
    return [
        (1, "Administrators", "#FF0000", 0, 1, 0, 0, "day", 1, pages, 0, 1, 1),
        (2, "Registered Users", "#66FF66", 0, 0, 0, 0, "day", 0, pages, 0, 0, 0),
        (3, "Banned", "#194775", 1, 0, 0, 0, "day", 0, pages, 0, 0, 0),
        (4, "Resellers", "#FF9900", 0, 0, 1, 5, "day", 1, pages, 1, 1, 1),
    ]


# --------------------------------------------------------------------------------------------------
# The panel's world, shared by both layouts


@dataclass
class _World:
    """Everything generated for one panel, before it is written out."""

    panel_users: list[dict[str, Any]]
    categories: list[tuple[int, str, str]]  # id, type, name
    streams: list[dict[str, Any]]
    series: list[tuple[int, str, int]]  # id, title, category id
    episodes: list[tuple[int, int, int, int]]  # id, season, series id, stream id
    servers: list[dict[str, Any]]
    subscribers: list[dict[str, Any]]
    mags: list[tuple[int, int, str]]  # mag id, user id, base64 MAC
    activity: list[dict[str, Any]]
    live_now: list[dict[str, Any]]
    credits: list[tuple[int, int, int, float, int, str]]  # id, target, admin, amount, date, reason
    userlog: list[tuple[int, int, str, str, int, str]]  # id, owner, username, password, date, type
    logins: list[tuple[int, int, str, str, int]]  # id, user id, data, ip, date


def _ip(rng: random.Random) -> str:
    net = rng.choice(("192.0.2", "198.51.100", "203.0.113"))
    return f"{net}.{rng.randrange(1, 255)}"


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _make_world(
    rng: random.Random,
    ref: datetime,
    *,
    subscribers: int,
    streams: int,
    resellers: int,
    servers: int,
    domain: str,
) -> _World:
    # Admin and resellers (reg_users / XUI users).
    panel_users: list[dict[str, Any]] = [
        {
            "id": 1,
            "username": "admin",
            "email": f"{PAYPAL_EMAIL}",
            "group": 1,
            "credits": 0.0,
            "owner": 0,
            "ip": "192.0.2.77",
            "registered": _epoch(ref - timedelta(days=900)),
            "last_login": _epoch(ref - timedelta(hours=3)),
            "dns": "",
            "notes": f"PayPal for reseller top-ups: {PAYPAL_EMAIL} / BTC {BITCOIN_ADDRESS}",
        }
    ]
    for i in range(resellers):
        credits = (
            0.0
            if i % 3 == 2
            else float(rng.choice((25, 50, 100, 250, 500, 1000)) + rng.randrange(0, 100) / 4)
        )
        panel_users.append(
            {
                "id": i + 2,
                "username": f"reseller{i + 1:02d}",
                "email": f"reseller{i + 1:02d}@mail.invalid",
                "group": 4,
                "credits": credits,
                "owner": 1,
                "ip": _ip(rng),
                "registered": _epoch(ref - timedelta(days=rng.randrange(60, 700))),
                "last_login": _epoch(ref - timedelta(hours=rng.randrange(1, 2000))),
                "dns": f"http://line{i + 1}.{domain}:8080" if i % 2 == 0 else "",
                "notes": "",
            }
        )
    # Categories, streams, series.
    wanted = [("live", f"{p} | {topic}") for p in PREFIXES for topic in ("Sports", "Entertainment")]
    wanted += [
        ("movie", "Movies | New Releases"),
        ("movie", "Movies | Classics"),
        ("series", "Series | Drama"),
        ("radio", "Radio | Music"),
    ]
    categories = [(n, kind, name) for n, (kind, name) in enumerate(wanted, 1)]
    live_cats = [c for c in categories if c[1] == "live"]
    movie_cats = [c for c in categories if c[1] == "movie"]
    series_cat = next(c for c in categories if c[1] == "series")
    radio_cat = next(c for c in categories if c[1] == "radio")
    stream_rows: list[dict[str, Any]] = []
    series: list[tuple[int, str, int]] = []
    episodes: list[tuple[int, int, int, int]] = []
    for sid in range(1, streams + 1):
        roll = rng.random()
        added = _epoch(ref - timedelta(days=rng.randrange(1, 800)))
        if roll < 0.55 or sid <= 3:
            prefix = rng.choice(PREFIXES)
            name = f"{prefix}: {rng.choice(LIVE_NAMES)} {sid}"
            cat = rng.choice(live_cats)[0]
            upstream = [
                f"http://upstream{rng.randrange(1, 6)}.fakesource.invalid:8000/live/resell{rng.randrange(10, 99)}/pw/{rng.randrange(1000, 99999)}.ts"
            ]
            stype = 3 if roll < 0.05 else 1
            epg = f"{name.split(': ', 1)[1].lower().replace(' ', '')}.{prefix.lower()}"
        elif roll < 0.80:
            name = f"{rng.choice(MOVIE_WORDS)} {rng.choice(MOVIE_NOUNS)} ({rng.randrange(1990, 2025)}) #{sid}"
            cat = rng.choice(movie_cats)[0]
            upstream = [f"http://vod.fakesource.invalid/movies/{sid}.mkv"]
            stype, epg = 2, ""
        elif roll < 0.95:
            if not series or len([e for e in episodes if e[2] == series[-1][0]]) >= 6:
                series.append((len(series) + 1, f"Fake Show {len(series) + 1}", series_cat[0]))
            show = series[-1]
            number = len([e for e in episodes if e[2] == show[0]]) + 1
            name = f"{show[1]} S01E{number:02d}"
            episodes.append((len(episodes) + 1, 1, show[0], sid))
            cat = series_cat[0]
            upstream = [f"http://vod.fakesource.invalid/series/{show[0]}/{number}.mp4"]
            stype, epg = 5, ""
        else:
            name = f"Radio Example {sid}"
            cat = radio_cat[0]
            upstream = [f"http://radio.fakesource.invalid/{sid}.mp3"]
            stype, epg = 4, ""
        stream_rows.append(
            {
                "id": sid,
                "type": stype,
                "cat": cat,
                "name": name,
                "source": upstream,
                "epg": epg,
                "added": added,
            }
        )
    # Streaming servers.
    server_rows = [
        {
            "id": n,
            "name": "Main Server" if n == 1 else f"LB {n - 1}",
            "domain": f"{'panel' if n == 1 else f'lb{n - 1}'}.{domain}",
            "ip": f"198.51.100.{10 + n}",
            "vpn_ip": f"10.8.0.{n}" if n > 1 else "",
            "ssh_password": f"Srv{n}pw!{rng.randrange(1000, 9999)}",
            "ssh_port": 22 if n == 1 else 2222,
            "http": 25461 if n == 1 else 8080,
            "https": 25463,
            "rtmp": 25462,
            "clients": rng.randrange(50, 900),
        }
        for n in range(1, servers + 1)
    ]
    # Subscribers.
    reseller_ids = [u["id"] for u in panel_users if u["group"] == 4] or [1]
    subs: list[dict[str, Any]] = []
    mags: list[tuple[int, int, str]] = []
    for uid in range(1, subscribers + 1):
        created = ref - timedelta(days=rng.randrange(1, 700), seconds=rng.randrange(86400))
        roll = rng.random()
        exp: int | None
        if roll < 0.08:
            exp = None
        elif roll < 0.38:
            exp = _epoch(ref - timedelta(days=rng.randrange(1, 300), seconds=rng.randrange(86400)))
        else:
            exp = _epoch(ref + timedelta(days=rng.randrange(1, 365), seconds=rng.randrange(86400)))
        is_mag = rng.random() < 0.05
        is_e2 = not is_mag and rng.random() < 0.02
        notes = ""
        if uid == 1:
            notes = f"owner line - payouts PayPal {PAYPAL_EMAIL}, BTC {BITCOIN_ADDRESS}"
        elif rng.random() < 0.1:
            notes = rng.choice(
                ("paid cash", "renew monthly\r\nask for O'Neill", 'said "buffering" on sports')
            )
        sub = {
            "id": uid,
            "member_id": rng.choice(reseller_ids),
            "username": f"{rng.choice(('tv', 'line', 'box', 'user'))}{uid:05d}{rng.choice('abcdefghjk')}",
            "password": "".join(
                rng.choice("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(10)
            ),
            "exp": exp,
            "admin_enabled": 0 if rng.random() < 0.02 else 1,
            "enabled": 0 if rng.random() < 0.04 else 1,
            "admin_notes": notes,
            "reseller_notes": "",
            "bouquet": json.dumps(
                sorted(rng.sample(range(1, 30), rng.randrange(1, 12))), separators=(",", ":")
            ),
            "max_connections": rng.choice((1, 1, 1, 2, 3)),
            "allowed_ips": json.dumps([_ip(rng)]) if rng.random() < 0.03 else "[]",
            "is_trial": 1 if rng.random() < 0.07 else 0,
            "created_at": _epoch(created),
            "is_mag": int(is_mag),
            "is_e2": int(is_e2),
            "last_ip": _ip(rng) if rng.random() < 0.6 else "",
            "last_activity": _epoch(ref - timedelta(minutes=rng.randrange(1, 90000))),
        }
        subs.append(sub)
        if is_mag:
            mac = "00:1A:79:" + ":".join(f"{rng.randrange(256):02X}" for _ in range(3))
            mags.append((len(mags) + 1, uid, base64.b64encode(mac.encode()).decode()))
    # Viewing history and live connections.
    activity: list[dict[str, Any]] = []
    live_now: list[dict[str, Any]] = []
    viewers = rng.sample(subs, max(1, len(subs) // 3))
    watchable = [s for s in stream_rows if s["type"] in (1, 3)] or stream_rows
    for n, sub in enumerate(viewers):
        home_ip, country, isp = _ip(rng), rng.choice(COUNTRIES), rng.choice(ISPS)
        for _ in range(rng.randrange(1, 5)):
            start = ref - timedelta(days=rng.randrange(0, 60), seconds=rng.randrange(86400))
            record = {
                "user_id": sub["id"],
                "stream_id": rng.choice(watchable)["id"],
                "server_id": rng.randrange(1, servers + 1),
                "user_agent": rng.choice(USER_AGENTS),
                "ip": home_ip if rng.random() < 0.8 else _ip(rng),
                "container": rng.choice(("ts", "m3u8", "hls")),
                "start": _epoch(start),
                "end": _epoch(start + timedelta(seconds=rng.randrange(60, 10800))),
                "country": country,
                "isp": isp,
            }
            activity.append(record)
        if n % 10 == 0:
            live_now.append(
                dict(activity[-1], start=_epoch(ref - timedelta(minutes=rng.randrange(1, 120))), end=None)
            )
    # Sales trail.
    credit_rows: list[tuple[int, int, int, float, int, str]] = []
    userlog: list[tuple[int, int, str, str, int, str]] = []
    for n in range(1, len(reseller_ids) * 3 + 1):
        credit_rows.append(
            (
                n,
                rng.choice(reseller_ids),
                1,
                float(rng.choice((50, 100, 200))),
                _epoch(ref - timedelta(days=rng.randrange(1, 300))),
                "Top-up paid by PayPal",
            )
        )
    for n, sub in enumerate(subs[: min(len(subs), 200)], 1):
        kind = (
            "[<b>UserPanel</b>] -> [<u>New Line</u>]"
            if sub["is_trial"] == 0
            else "[<b>UserPanel</b>] -> [<u>New Trial</u>]"
        )
        userlog.append(
            (
                n,
                int(sub["member_id"]),
                str(sub["username"]),
                str(sub["password"]),
                int(sub["created_at"]),
                kind,
            )
        )
    logins = [
        (
            n,
            rng.choice([1, *reseller_ids]),
            "",
            _ip(rng),
            _epoch(ref - timedelta(hours=rng.randrange(1, 3000))),
        )
        for n in range(1, 41)
    ]
    return _World(
        panel_users,
        categories,
        stream_rows,
        series,
        episodes,
        server_rows,
        subs,
        mags,
        activity,
        live_now,
        credit_rows,
        userlog,
        logins,
    )


def _figures(
    world: _World,
    *,
    panel: str,
    ref: datetime,
    client_last_ip: bool,
    db_user: str,
    db_password: str,
    files: Iterable[str],
) -> IptvFigures:
    ref_epoch = _epoch(ref)
    subs = world.subscribers
    expired = [s for s in subs if s["exp"] is not None and int(str(s["exp"])) <= ref_epoch]
    expired_ids = {s["id"] for s in expired}
    active = [s for s in subs if s["enabled"] and s["admin_enabled"] and s["id"] not in expired_ids]
    types = [s["type"] for s in world.streams]
    rows = world.activity + world.live_now
    ips = {str(a["ip"]) for a in rows}
    if client_last_ip:
        ips |= {str(s["last_ip"]) for s in subs if s["last_ip"]}
    resellers = [u for u in world.panel_users if u["group"] == 4]
    return IptvFigures(
        panel=panel,
        reference_date=ref,
        live_channels=sum(1 for t in types if t in (1, 3)),
        vod=types.count(2),
        series=len(world.series),
        series_episodes=types.count(5),
        radio=types.count(4),
        subscribers=len(subs),
        active=len(active),
        expired=len(expired),
        trial=sum(1 for s in subs if s["is_trial"]),
        disabled=sum(1 for s in subs if not (s["enabled"] and s["admin_enabled"])),
        never_expires=sum(1 for s in subs if s["exp"] is None),
        mag_devices=len(world.mags),
        resellers=len(resellers),
        resellers_with_credits=sum(1 for u in resellers if float(str(u["credits"])) > 0),
        admins=sum(1 for u in world.panel_users if u["group"] == 1),
        servers=len(world.servers),
        activity_sessions=len(rows),
        client_ips=len(ips),
        countries=len({str(a["country"]) for a in rows}),
        db_user=db_user,
        db_password=db_password,
        paypal_email=PAYPAL_EMAIL,
        bitcoin_address=BITCOIN_ADDRESS,
        files=tuple(files),
    )


# --------------------------------------------------------------------------------------------------
# Xtream UI

XC_USERS = _table(
    "users",
    "id",
    f"id int(11) NOT NULL AUTO_INCREMENT, member_id {NINT}, username varchar(50) NOT NULL, password varchar(255) NOT NULL, "
    f"exp_date {NINT}, admin_enabled int(11) NOT NULL DEFAULT '1', enabled int(11) NOT NULL DEFAULT '1', "
    f"admin_notes {TEXT}, reseller_notes {TEXT}, bouquet {TEXT}, max_connections int(11) NOT NULL DEFAULT '1', "
    f"is_restreamer {TINY}, allowed_ips {TEXT}, allowed_ua {TEXT}, is_trial {TINY}, created_at {INT}, "
    f"created_by {INT}, pair_id {NINT}, is_mag {TINY}, is_e2 {TINY}, force_server_id {INT}, is_isplock {TINY}, "
    f"as_number varchar(30) DEFAULT NULL, isp_desc mediumtext, forced_country varchar(3) NOT NULL DEFAULT '', "
    f"is_stalker {TINY}, bypass_ua {TINY}, play_token {TEXT}",
)
XC_REG_USERS = _table(
    "reg_users",
    "id",
    f"id int(11) NOT NULL AUTO_INCREMENT, username varchar(50) NOT NULL, password varchar(255) NOT NULL, "
    f"email varchar(255) NOT NULL, ip varchar(255) DEFAULT NULL, date_registered {INT}, last_login {NINT}, "
    f"member_group_id {INT}, verified {TINY}, credits float NOT NULL DEFAULT '0', notes {TEXT}, status {TINY}, "
    f"default_lang {TEXT}, reseller_dns {TEXT}, owner_id {INT}, override_packages {TEXT}, google_2fa_sec varchar(50) NOT NULL DEFAULT ''",
)
XC_CATEGORIES = _table(
    "stream_categories",
    "id",
    f"id int(11) NOT NULL AUTO_INCREMENT, category_type {VC}, category_name {VC}, parent_id {INT}, cat_order {INT}",
)
XC_STREAMS = _table(
    "streams",
    "id",
    f"id int(11) NOT NULL AUTO_INCREMENT, type {INT}, category_id {NINT}, stream_display_name {TEXT}, "
    f"stream_source {TEXT}, stream_icon {TEXT}, notes {TEXT}, enable_transcode {TINY}, direct_source {TINY}, "
    f"epg_id {NINT}, channel_id varchar(255) DEFAULT NULL, added {INT}, tv_archive_duration {INT}",
)
XC_SERIES = _table(
    "series",
    "id",
    f"id int(11) NOT NULL AUTO_INCREMENT, title {VC}, category_id {INT}, cover {TEXT}, genre {VC}, plot {TEXT}, releaseDate {VC}",
)
XC_EPISODES = _table(
    "series_episodes",
    "id",
    f"id int(11) NOT NULL AUTO_INCREMENT, season_num {INT}, series_id {INT}, stream_id {INT}, sort {INT}",
)
XC_SERVERS = _table(
    "streaming_servers",
    "id",
    f"id int(11) NOT NULL AUTO_INCREMENT, server_name {VC}, domain_name {TEXT}, server_ip varchar(255) DEFAULT NULL, "
    f"vpn_ip varchar(255) NOT NULL DEFAULT '', ssh_password {TEXT}, ssh_port {NINT}, diff_time_main {INT}, "
    f"http_broadcast_port {INT}, total_clients {INT}, system_os {VC}, network_interface {VC}, status {TINY}, "
    f"rtmp_port {INT}, https_broadcast_port {INT}",
)
XC_ACTIVITY = _table(
    "user_activity",
    "activity_id",
    f"activity_id int(11) NOT NULL AUTO_INCREMENT, user_id {INT}, stream_id {INT}, server_id {INT}, user_agent {VC}, "
    f"user_ip varchar(39) NOT NULL, container varchar(50) NOT NULL, date_start {INT}, date_end {NINT}, "
    f"geoip_country_code varchar(22) NOT NULL, isp {VC}, external_device {VC}, divergence {INT}",
)
XC_ACTIVITY_NOW = _Table("user_activity_now", XC_ACTIVITY.columns, "activity_id")
XC_CREDITS = _table(
    "credits_log",
    "id",
    f"id int(11) NOT NULL AUTO_INCREMENT, target_id {INT}, admin_id {INT}, amount float NOT NULL, date {INT}, reason {TEXT}",
)
XC_USERLOG = _table(
    "reg_userlog",
    "id",
    f"id int(11) NOT NULL AUTO_INCREMENT, owner {INT}, username {TEXT}, password {TEXT}, date {INT}, type {TEXT}",
)
XC_MAGS = _table(
    "mag_devices",
    "mag_id",
    f"mag_id int(11) NOT NULL AUTO_INCREMENT, user_id {INT}, mac varchar(50) NOT NULL, ip varchar(39) DEFAULT NULL, "
    f"stb_type varchar(20) DEFAULT NULL, sn varchar(255) DEFAULT NULL, lock_device {TINY}",
)
XC_LOGINS = _table(
    "login_logs",
    "id",
    f"id int(11) NOT NULL AUTO_INCREMENT, user_id {INT}, data {TEXT}, login_ip {VC}, date {INT}",
)

CRYPT_PREFIX = "$6$rounds=20000$xtreamcodes$"


def _fake_crypt(rng: random.Random) -> str:
    """A string shaped like Xtream UI's crypt() SHA-512 hashes (random, not a hash of anything)."""
    alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return CRYPT_PREFIX + "".join(rng.choice(alphabet) for _ in range(86))


def _activity_rows(records: list[dict[str, Any]], start_id: int) -> list[tuple[object, ...]]:
    return [
        (
            start_id + n,
            a["user_id"],
            a["stream_id"],
            a["server_id"],
            a["user_agent"],
            a["ip"],
            a["container"],
            a["start"],
            a["end"],
            a["country"],
            a["isp"],
            "",
            0,
        )
        for n, a in enumerate(records)
    ]


def _nginx_conf(user: str, root_dir: str, admin_dir: str | None) -> str:
    admin = (
        f"""
    server {{
        listen 25500;
        index index.php index.html index.htm;
        root {admin_dir};
        location ~ \\.php$ {{
            limit_req zone=one burst=8;
            try_files $uri =404;
            fastcgi_index index.php;
            fastcgi_pass php;
            include fastcgi_params;
        }}
    }}"""
        if admin_dir
        else ""
    )
    return f"""user  {user};
worker_processes  auto;

worker_rlimit_nofile 300000;
events {{
    worker_connections  16000;
    use epoll;
    accept_mutex on;
    multi_accept on;
}}
thread_pool pool_xtream threads=32 max_queue=0;
http {{

    include       mime.types;
    default_type  application/octet-stream;

    sendfile           on;
    tcp_nopush         on;
    tcp_nodelay        on;
    reset_timedout_connection on;
    gzip off;
    fastcgi_read_timeout 200;
    access_log off;
    keepalive_timeout 10;
    include balance.conf;
    send_timeout 20m;
    sendfile_max_chunk 512k;
    lingering_close off;
    aio threads=pool_xtream;
    client_body_timeout 13s;
    client_header_timeout 13s;
    client_max_body_size 3m;

    limit_req_zone $binary_remote_addr zone=one:30m rate=20r/s;
    server {{
        listen 25461;
        listen 25463 ssl;
        ssl_certificate server.crt;
        ssl_certificate_key server.key;
        ssl_protocols SSLv3 TLSv1.1 TLSv1.2;
        index index.php index.html index.htm;
        root {root_dir};
        server_tokens off;
        chunked_transfer_encoding off;

        if ( $request_method !~ ^(GET|POST)$ ) {{
            return 200;
        }}

        rewrite_log on;
        rewrite ^/live/(.*)/(.*)/(\\d+)\\.(.*)$ /streaming/clients_live.php?username=$1&password=$2&stream=$3&extension=$4 break;
        rewrite ^/movie/(.*)/(.*)/(.*)$ /streaming/clients_movie.php?username=$1&password=$2&stream=$3&type=movie break;
        rewrite ^/series/(.*)/(.*)/(.*)$ /streaming/clients_movie.php?username=$1&password=$2&stream=$3&type=series break;
        rewrite ^/(.*)/(.*)/(\\d+)$ /streaming/clients_live.php?username=$1&password=$2&stream=$3&extension=ts break;

        location ~ \\.php$ {{
            limit_req zone=one burst=8;
            try_files $uri =404;
            fastcgi_index index.php;
            fastcgi_pass php;
            include fastcgi_params;
            fastcgi_buffering on;
            fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
        }}
    }}{admin}
}}

rtmp {{
    server {{
        listen 25462;
        chunk_size 4096;
    }}
}}
"""


def _write(root: Path, rel: str, content: str | bytes, written: list[str]) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="\n")
    written.append(rel)


def build_xtream_panel(
    root: Path,
    *,
    seed: int = 20240601,
    subscribers: int = 3000,
    streams: int = 300,
    resellers: int = 12,
    servers: int = 3,
    reference_date: datetime = REFERENCE_DATE,
) -> IptvFigures:
    """Write an Xtream UI panel server under ``root``; return the figures it holds at ``reference_date``."""
    rng = random.Random(seed)
    ref = reference_date
    world = _make_world(
        rng,
        ref,
        subscribers=subscribers,
        streams=streams,
        resellers=resellers,
        servers=servers,
        domain="iptvking.invalid",
    )
    db_password = "".join(
        rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(16)
    )
    written: list[str] = []
    config = {
        "host": "127.0.0.1",
        "db_user": "user_iptvpro",
        "db_pass": db_password,
        "db_name": "xtream_iptvpro",
        "server_id": "1",
        "db_port": "7999",
    }
    _write(root, f"{XTREAM_ROOT}/config", encode_xtream_config(config), written)
    _write(
        root,
        f"{XTREAM_ROOT}/nginx/conf/nginx.conf",
        _nginx_conf("xtreamcodes", f"/{XTREAM_ROOT}/wwwdir/", f"/{XTREAM_ROOT}/admin/"),
        written,
    )

    schema = _Dump("xtream_iptvpro")
    schema.table(MEMBER_GROUPS, _member_group_rows())
    schema.table(XC_REG_USERS, [])
    schema.table(STREAMS_TYPES, STREAM_TYPE_ROWS)
    schema.table(XC_USERS, [])
    schema.table(XC_ACTIVITY, [])
    _write(root, f"{XTREAM_ROOT}/database.sql", schema.text(datetime(2019, 9, 1, 12, 0, tzinfo=UTC)), written)

    dump = _Dump("xtream_iptvpro")
    dump.table(XC_CREDITS, [list(c) for c in world.credits])
    dump.table(XC_LOGINS, [list(x) for x in world.logins])
    dump.table(
        XC_MAGS,
        [(m, u, mac, _ip(rng), "MAG254", f"SN{rng.randrange(10**9, 10**10)}", 0) for m, u, mac in world.mags],
    )
    dump.table(MEMBER_GROUPS, _member_group_rows())
    dump.table(
        XC_REG_USERS,
        [
            (
                u["id"],
                u["username"],
                _fake_crypt(rng),
                u["email"],
                u["ip"],
                u["registered"],
                u["last_login"],
                u["group"],
                1,
                u["credits"],
                u["notes"],
                1,
                "en",
                u["dns"],
                u["owner"],
                "",
                "",
            )
            for u in world.panel_users
        ],
    )
    dump.table(XC_USERLOG, [list(x) for x in world.userlog])
    dump.table(XC_SERIES, [(s, title, cat, "", "Drama", "", "2023-01-01") for s, title, cat in world.series])
    dump.table(
        XC_EPISODES,
        [(e, season, series_id, stream_id, e) for e, season, series_id, stream_id in world.episodes],
    )
    dump.table(XC_CATEGORIES, [(c, t, n, 0, c) for c, t, n in world.categories])
    dump.table(
        XC_SERVERS,
        [
            (
                s["id"],
                s["name"],
                s["domain"],
                s["ip"],
                s["vpn_ip"],
                s["ssh_password"],
                s["ssh_port"],
                0,
                s["http"],
                s["clients"],
                "Ubuntu 18.04.6 LTS",
                "eth0",
                1,
                s["rtmp"],
                s["https"],
            )
            for s in world.servers
        ],
    )
    dump.table(
        XC_STREAMS,
        [
            (
                s["id"],
                s["type"],
                s["cat"],
                s["name"],
                json.dumps(s["source"]),
                "",
                "",
                0,
                0,
                1 if s["epg"] else None,
                s["epg"] or None,
                s["added"],
                0,
            )
            for s in world.streams
        ],
    )
    dump.table(STREAMS_TYPES, STREAM_TYPE_ROWS)
    dump.table(XC_ACTIVITY, _activity_rows(world.activity, 1))
    dump.table(XC_ACTIVITY_NOW, _activity_rows(world.live_now, 1))
    dump.table(
        XC_USERS,
        [
            (
                s["id"], s["member_id"], s["username"], s["password"], s["exp"], s["admin_enabled"], s["enabled"],
                s["admin_notes"], s["reseller_notes"], s["bouquet"], s["max_connections"], 0, s["allowed_ips"], "[]",
                s["is_trial"], s["created_at"], s["member_id"], None, s["is_mag"], s["is_e2"], 0, 0, None, None, "", 0, 0, "",
            )
            for s in world.subscribers
        ],
    )  # fmt: skip
    _write(root, "root/backup_0601.sql", dump.text(ref - timedelta(hours=1)), written)
    return _figures(
        world,
        panel="xtream-ui",
        ref=ref,
        client_last_ip=False,
        db_user="user_iptvpro",
        db_password=db_password,
        files=written,
    )


# --------------------------------------------------------------------------------------------------
# XUI.one

XUI_LINES = _table(
    "lines",
    "id",
    f"id int(11) NOT NULL AUTO_INCREMENT, member_id {NINT}, username varchar(50) NOT NULL, password varchar(255) NOT NULL, "
    f"last_ip varchar(255) DEFAULT NULL, exp_date {NINT}, admin_enabled int(11) NOT NULL DEFAULT '1', "
    f"enabled int(11) NOT NULL DEFAULT '1', admin_notes {TEXT}, reseller_notes {TEXT}, bouquet {TEXT}, "
    f"allowed_outputs {TEXT}, max_connections int(11) NOT NULL DEFAULT '1', is_restreamer {TINY}, is_trial {TINY}, "
    f"is_mag {TINY}, is_e2 {TINY}, is_stalker {TINY}, is_isplock {TINY}, allowed_ips {TEXT}, allowed_ua {TEXT}, "
    f"created_at {INT}, pair_id {NINT}, force_server_id {INT}, as_number varchar(30) DEFAULT NULL, isp_desc mediumtext, "
    f"forced_country varchar(3) NOT NULL DEFAULT '', bypass_ua {TINY}, last_activity {NINT}, last_activity_array mediumtext, "
    f"access_token varchar(255) DEFAULT NULL",
)
XUI_USERS = _table(
    "users",
    "id",
    f"id int(11) NOT NULL AUTO_INCREMENT, username varchar(50) NOT NULL, password varchar(255) NOT NULL, "
    f"email varchar(255) NOT NULL DEFAULT '', ip varchar(255) DEFAULT NULL, date_registered {INT}, last_login {NINT}, "
    f"member_group_id {INT}, credits float NOT NULL DEFAULT '0', notes {TEXT}, status {TINY}, reseller_dns {TEXT}, owner_id {INT}",
)
XUI_GROUPS = _Table("users_groups", MEMBER_GROUPS.columns, "group_id")
XUI_CATEGORIES = _Table("streams_categories", XC_CATEGORIES.columns, "id")
XUI_SERIES = _Table("streams_series", XC_SERIES.columns, "id")
XUI_EPISODES = _Table("streams_episodes", XC_EPISODES.columns, "id")
XUI_SERVERS = _Table("servers", XC_SERVERS.columns, "id")
XUI_ACTIVITY = _Table("lines_activity", XC_ACTIVITY.columns, "activity_id")
XUI_LIVE = _Table("lines_live", XC_ACTIVITY.columns, "activity_id")
XUI_USERS_LOGS = _table(
    "users_logs",
    "id",
    f"id int(11) NOT NULL AUTO_INCREMENT, owner {INT}, type varchar(50) NOT NULL, action varchar(50) NOT NULL, "
    f"log_id {INT}, package_id {INT}, cost float NOT NULL DEFAULT '0', credits_after float NOT NULL DEFAULT '0', date {INT}",
)
XUI_CREDITS = _Table("users_credits_logs", XC_CREDITS.columns, "id")
XUI_LOGINS = _table(
    "login_logs",
    "id",
    f"id int(11) NOT NULL AUTO_INCREMENT, type varchar(50) NOT NULL, access_code {INT}, user_id {INT}, "
    f"status varchar(50) NOT NULL, login_ip varchar(255) NOT NULL, date {INT}",
)


def build_xui_panel(
    root: Path,
    *,
    seed: int = 20240602,
    subscribers: int = 2000,
    streams: int = 250,
    resellers: int = 8,
    servers: int = 2,
    reference_date: datetime = REFERENCE_DATE,
) -> IptvFigures:
    """Write an XUI.one panel server under ``root``; return the figures it holds at ``reference_date``."""
    rng = random.Random(seed)
    ref = reference_date
    world = _make_world(
        rng,
        ref,
        subscribers=subscribers,
        streams=streams,
        resellers=resellers,
        servers=servers,
        domain="xuistream.invalid",
    )
    alphabet = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ"
    user, password = ("".join(rng.choice(alphabet) for _ in range(32)) for _ in range(2))
    licence = f"{rng.getrandbits(64):016x}"
    written: list[str] = []
    config = f"""; XUI Configuration
; -----------------
; To change your username or password, modify BOTH
; below and XUI will read and re-encrypt them.
; Your username and password will be encrypted and
; saved to the 'credentials' file in this folder
; automatically.

[XUI]
hostname    =   "127.0.0.1"
database    =   "xui"
port        =   3306
server_id   =   1
license     =   "{licence}"

[Encrypted]
username    =   "{user}"
password    =   "{password}"
"""
    _write(root, "home/xui/config/config.ini", config, written)
    _write(
        root,
        "home/xui/bin/nginx/conf/nginx.conf",
        _nginx_conf("xui", "/home/xui/www/", "/home/xui/admin/"),
        written,
    )

    dump = _Dump("xui", "10.6.18-MariaDB-0ubuntu0.22.04.1")
    dump.table(
        XUI_LINES,
        [
            (
                s["id"], s["member_id"], s["username"], s["password"], s["last_ip"] or None, s["exp"], s["admin_enabled"],
                s["enabled"], s["admin_notes"], s["reseller_notes"], s["bouquet"], "[1,2,3]", s["max_connections"], 0,
                s["is_trial"], s["is_mag"], s["is_e2"], 0, 0, s["allowed_ips"], "[]", s["created_at"], None, 0, None, None,
                "", 0, s["last_activity"], None, None,
            )
            for s in world.subscribers
        ],
    )  # fmt: skip
    dump.table(XUI_ACTIVITY, _activity_rows(world.activity, 1))
    dump.table(XUI_LIVE, _activity_rows(world.live_now, 1))
    dump.table(XUI_LOGINS, [(n, "ADMIN", 0, u, "SUCCESS", ip, d) for n, u, _data, ip, d in world.logins])
    dump.table(
        XC_MAGS,
        [(m, u, mac, _ip(rng), "MAG322", f"SN{rng.randrange(10**9, 10**10)}", 0) for m, u, mac in world.mags],
    )
    dump.table(XUI_SERVERS, [
        (s["id"], s["name"], s["domain"], s["ip"], s["vpn_ip"], s["ssh_password"], s["ssh_port"], 0, s["http"], s["clients"], "Ubuntu 22.04.4 LTS", "eth0", 1, s["rtmp"], s["https"])
        for s in world.servers
    ])  # fmt: skip
    dump.table(XC_STREAMS, [
        (s["id"], s["type"], json.dumps([s["cat"]]), s["name"], json.dumps(s["source"]), "", "", 0, 0, 1 if s["epg"] else None, s["epg"] or None, s["added"], 0)
        for s in world.streams
    ])  # fmt: skip
    dump.table(XUI_CATEGORIES, [(c, t, n, 0, c) for c, t, n in world.categories])
    dump.table(
        XUI_EPISODES,
        [(e, season, series_id, stream_id, e) for e, season, series_id, stream_id in world.episodes],
    )
    dump.table(XUI_SERIES, [(s, title, cat, "", "Drama", "", "2023-01-01") for s, title, cat in world.series])
    dump.table(STREAMS_TYPES, STREAM_TYPE_ROWS)
    dump.table(XUI_USERS, [
        (u["id"], u["username"], _fake_crypt(rng), u["email"], u["ip"], u["registered"], u["last_login"], u["group"], u["credits"], u["notes"], 1, u["dns"], u["owner"])
        for u in world.panel_users
    ])  # fmt: skip
    dump.table(XUI_CREDITS, [list(c) for c in world.credits])
    dump.table(XUI_GROUPS, _member_group_rows())
    dump.table(XUI_USERS_LOGS, [
        (n, owner, "line", "new" if "Line" in kind else "trial", n, 1, 1.0 if "Line" in kind else 0.0, 100.0, date)
        for n, owner, _u, _p, date, kind in world.userlog
    ])  # fmt: skip
    _write(root, "root/xui_backup_0601.sql", dump.text(ref - timedelta(hours=1)), written)
    return _figures(
        world,
        panel="xui-one",
        ref=ref,
        client_last_ip=True,
        db_user=user,
        db_password=password,
        files=written,
    )

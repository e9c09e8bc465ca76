"""Torrents and trackers: .torrent files, magnet links, pre-DB and tracker SQL dumps, ocelot.conf."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

from workbench.parsers.errors import ParseError
from workbench.parsers.glftpd import iter_lines
from workbench.parsers.predb import PRE_TABLES, NukeRecord, PreRecord
from workbench.parsers.predb import from_row as pre_from_row
from workbench.parsers.release import parse_release
from workbench.parsers.torrent import MAX_TORRENT, Magnet, find_magnets, parse_torrent
from workbench.parsers.tracker import USER_TABLES, join_users, parse_ocelot_conf
from workbench.plugins.common import CREDENTIAL
from workbench.plugins.scene import PRE, release_artefact

from workbench.plugin_api import (
    Artefact,
    ArtefactKind,
    CaseReader,
    Field,
    FileView,
    Plugin,
    UcoMapping,
    figure,
)

if TYPE_CHECKING:
    from workbench.parsers.sqldump import SqlRow

TORRENT = ArtefactKind(
    "torrent.file",
    "Torrent file",
    description="A .torrent metainfo file: info-hashes, content, trackers and the uploader's passkey.",
    fields=(
        Field("info_hash_v1", "str", "SHA-1 info-hash (hex)", key=True),
        Field("info_hash_v2", "str", "SHA-256 info-hash (hex, BEP 52)", key=True),
        Field("name", "str", "Torrent name"),
        Field("size", "int", "Total size in bytes"),
        Field("files", "json", "[[path, length], …]"),
        Field("announce", "list", "Tracker URLs (announce and announce-list)"),
        Field("passkey", "str", "Passkey in a tracker URL", secret=True),
        Field("private", "bool", "Private flag"),
        Field("created", "datetime", "Creation date"),
        Field("created_by", "str", "Creating client"),
        Field("comment", "str", "Comment"),
        Field("source", "str", "info.source (tracker tag)"),
        Field("piece_length", "int", "Piece length"),
        Field("meta_version", "int", "1, or 2 for v2/hybrid torrents"),
    ),
    time_field="created",
    time_description="Torrent created",
    summary_fields=("name", "info_hash_v1", "size", "private", "created", "announce"),
    uco=UcoMapping(
        "uco-observable:FileFacet",
        {"uco-observable:fileName": "name", "uco-observable:sizeInBytes": "size"},
    ),
)

MAGNET = ArtefactKind(
    "torrent.magnet",
    "Magnet link",
    description="A BitTorrent magnet link found in text.",
    fields=(
        Field("uri", "str", "The magnet URI as found"),
        Field("info_hash_v1", "str", "BTIH (hex)", key=True),
        Field("info_hash_v2", "str", "BTMH SHA-256 (hex)", key=True),
        Field("name", "str", "dn"),
        Field("trackers", "list", "tr"),
        Field("size", "int", "xl"),
        Field("passkey", "str", "Passkey in a tracker URL", secret=True),
    ),
    summary_fields=("name", "info_hash_v1", "trackers", "size"),
    uco=UcoMapping("uco-observable:URLFacet", {"uco-observable:fullValue": "uri"}),
)

TRACKER_USER = ArtefactKind(
    "tracker.user",
    "Tracker member",
    description="A private-tracker member (Gazelle users_main / UNIT3D users).",
    fields=(
        Field("tracker", "str", "gazelle or unit3d"),
        Field("username", "str", "User name", key=True),
        Field("email", "str", "E-mail"),
        Field("passkey", "str", "Passkey / torrent_pass", secret=True),
        Field("password_hash", "str", "Password hash", secret=True),
        Field("uploaded", "int", "Bytes uploaded"),
        Field("downloaded", "int", "Bytes downloaded"),
        Field("invites", "int", "Invites"),
        Field("ip", "str", "IP address"),
        Field("last_login", "datetime", "Last login"),
        Field("bitcoin_address", "str", "Bitcoin address (Gazelle users_info)"),
    ),
    time_field="last_login",
    time_description="Tracker member last login",
    summary_fields=("tracker", "username", "email", "uploaded", "downloaded", "ip"),
    uco=UcoMapping("uco-observable:AccountFacet", {"uco-observable:accountIdentifier": "username"}),
)

TRACKER_CONFIG = ArtefactKind(
    "tracker.config",
    "Tracker configuration",
    description="An Ocelot ocelot.conf: listen port, database and site connection.",
    fields=(
        Field("software", "str", "Tracker software", key=True),
        Field("listen_port", "int", "Listen port"),
        Field("mysql_host", "str", "Database host"),
        Field("mysql_db", "str", "Database name"),
        Field("mysql_username", "str", "Database user"),
        Field("site_host", "str", "Site host"),
        Field("log_path", "str", "Log path"),
    ),
)

SQL_TABLES = PRE_TABLES | USER_TABLES
SQLITE_MIMES = ("application/x-sqlite3", "application/vnd.sqlite3")
MAGNET_MARK = b"magnet:?"


class TorrentsPlugin(Plugin):
    """.torrent files, magnet links, pre-DB and tracker dumps, Ocelot configuration."""

    name = "torrents"
    version = "1"
    description = "BitTorrent: .torrent files, magnets in text, pre-DB/tracker SQL dumps, ocelot.conf."
    kinds = (TORRENT, MAGNET, TRACKER_USER, TRACKER_CONFIG)
    globs = ("*.torrent", "*.sql", "*.sql.txt", "*/ocelot.conf")
    mime_types = ("text/*", "application/x-bittorrent", *SQLITE_MIMES)
    yara_rules = ("torrents_bencoded_torrent", "torrents_magnet_link")

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """Dispatch on name, MIME type and YARA hits."""
        lower = file.name.lower()
        if lower.endswith(".torrent") or "torrents_bencoded_torrent" in file.yara_rules:
            yield from self._torrent(file, data)
            return
        if lower == "ocelot.conf":
            yield from self._ocelot(file, data)
            return
        if file.mime in SQLITE_MIMES:
            yield from self._sqlite(file, data)
            return
        if lower.endswith((".sql", ".sql.txt")):
            with file.open() as stream:
                yield from self._sql(stream)
        if data is None or MAGNET_MARK in data:
            yield from self._magnets(file, data)

    def _torrent(self, file: FileView, data: bytes | None) -> Iterator[Artefact]:
        if data is None:
            with file.open() as stream:
                data = stream.read(MAX_TORRENT + 1)
        try:
            torrent = parse_torrent(data)
        except ParseError:
            return
        yield TORRENT(
            info_hash_v1=torrent.info_hash_v1,
            info_hash_v2=torrent.info_hash_v2,
            name=torrent.name,
            size=torrent.total_size,
            files=[[f.path, f.length] for f in torrent.files],
            announce=list(torrent.announce_list),
            passkey=torrent.passkey,
            private=torrent.private,
            created=torrent.creation_date,
            created_by=torrent.created_by,
            comment=torrent.comment,
            source=torrent.source,
            piece_length=torrent.piece_length,
            meta_version=torrent.meta_version,
        )
        for url in torrent.announce_list:
            key = next((k for k in torrent.passkeys if k in url), None)
            if key:
                yield CREDENTIAL(
                    kind="tracker",
                    service=_host(url),
                    username="",
                    secret=key,
                    secret_type="passkey",
                    context="torrent announce URL",
                )
        seen: set[str] = set()
        for candidate in [torrent.name, *(p for f in torrent.files for p in f.path.split("/"))]:
            release = parse_release(candidate)
            if release is not None and release.name.lower() not in seen:
                seen.add(release.name.lower())
                yield release_artefact(release, "torrent", file.path)

    def _magnets(self, file: FileView, data: bytes | None) -> Iterator[Artefact]:
        if data is not None:
            text = data.decode("utf-8", "replace")
            for offset, magnet in find_magnets(text):
                yield self._magnet(magnet, offset=offset)
            return
        with file.open() as stream:
            for number, line in iter_lines(stream):
                if "magnet:?" in line:
                    for _, magnet in find_magnets(line):
                        yield self._magnet(magnet, line=number)

    @staticmethod
    def _magnet(magnet: Magnet, *, offset: int | None = None, line: int | None = None) -> Artefact:
        return MAGNET(
            uri=magnet.uri,
            info_hash_v1=magnet.info_hash_v1,
            info_hash_v2=magnet.info_hash_v2,
            name=magnet.name,
            trackers=list(magnet.trackers),
            size=magnet.size,
            passkey=magnet.passkeys[0] if magnet.passkeys else None,
            offset=offset,
            line=line,
        )

    def _sql(self, stream: BinaryIO) -> Iterator[Artefact]:
        from workbench.parsers.sqldump import iter_rows

        yield from self._rows(iter_rows(stream, tables=SQL_TABLES))

    def _sqlite(self, file: FileView, data: bytes | None) -> Iterator[Artefact]:
        from workbench.parsers.sqldump import iter_sqlite_rows

        if data is not None:
            yield from self._rows(iter_sqlite_rows(data, tables=SQL_TABLES))

    def _rows(self, rows: Iterable[SqlRow]) -> Iterator[Artefact]:
        user_rows: list[SqlRow] = []
        seen: set[str] = set()
        # a damaged dump raises after its good rows: those were yielded, and the users still follow
        with contextlib.suppress(ParseError):
            yield from self._pre_rows(rows, user_rows, seen)
        for user in join_users(user_rows):
            yield TRACKER_USER(
                tracker=user.tracker,
                username=user.username,
                email=user.email,
                passkey=user.passkey,
                password_hash=user.password_hash,
                uploaded=user.uploaded,
                downloaded=user.downloaded,
                invites=user.invites,
                ip=user.ip,
                last_login=user.last_login,
                bitcoin_address=user.bitcoin_address,
                line=user.line,
            )

    @staticmethod
    def _pre_rows(rows: Iterable[SqlRow], user_rows: list[SqlRow], seen: set[str]) -> Iterator[Artefact]:
        """Pre and nuke rows become artefacts at once; user rows are kept for the users_info join."""
        for row in rows:
            if row.table.lower() in USER_TABLES:
                user_rows.append(row)
                continue
            record = pre_from_row(row)
            if record is None:
                continue
            yield _pre_artefact(record)
            release = parse_release(record.release)
            if release is not None and release.name.lower() not in seen:
                seen.add(release.name.lower())
                yield release_artefact(
                    release, "predb", f"{record.table} line {record.line}", line=record.line
                )

    def _ocelot(self, file: FileView, data: bytes | None) -> Iterator[Artefact]:
        if data is None:
            with file.open() as stream:
                data = stream.read(4 * 1024 * 1024 + 1)
        try:
            conf = parse_ocelot_conf(data)
        except ParseError:
            return
        yield TRACKER_CONFIG(
            software="Ocelot",
            listen_port=conf.listen_port,
            mysql_host=conf.mysql_host,
            mysql_db=conf.mysql_db,
            mysql_username=conf.mysql_username,
            site_host=conf.site_host,
            log_path=conf.log_path,
        )
        lines = {key: number for key, _, number in conf.settings}
        for key, kind, service, username in (
            ("mysql_password", "database", conf.mysql_host or "mysql", conf.mysql_username or ""),
            ("site_password", "api_key", conf.site_host or "site", ""),
            ("report_password", "api_key", "ocelot report", ""),
        ):
            secret = conf.get(key)
            if secret:
                yield CREDENTIAL(
                    kind=kind,
                    service=service,
                    username=username,
                    secret=secret,
                    secret_type="plaintext",
                    context=f"ocelot.conf {key}",
                    line=lines.get(key),
                )

    def correlate(self, store: CaseReader) -> Iterable[Artefact]:
        """Torrent case figures."""
        hashes = {
            str(t.fields.get("info_hash_v1") or t.fields.get("info_hash_v2"))
            for t in store.artefacts(kind=TORRENT.name)
        }
        yield figure("torrents", "torrents", len(hashes), "distinct torrent.file info-hashes")
        members = {str(u.fields.get("username")) for u in store.artefacts(kind=TRACKER_USER.name)}
        if members:
            yield figure("torrents", "tracker members", len(members), "distinct tracker.user names")


def _pre_artefact(record: PreRecord | NukeRecord) -> Artefact:
    if isinstance(record, PreRecord):
        return PRE(
            release=record.release,
            group=record.group,
            section=record.section,
            time=record.time,
            status=record.status,
            files=record.files,
            size_mb=record.size_mb,
            nuke_reason=record.nuke_reason,
            genre=record.genre,
            table=record.table,
            line=record.line,
        )
    return PRE(
        release=record.release,
        group=record.group,
        time=record.time,
        status=record.action,
        nuke_reason=record.reason,
        nuke_net=record.network,
        table=record.table,
        line=record.line,
    )


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or url
    except ValueError:
        return url


PLUGINS = (TorrentsPlugin,)

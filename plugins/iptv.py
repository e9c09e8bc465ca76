"""IPTV panels: their configuration, their databases (subscribers, resellers, streams, servers, viewing
activity, sales logs) and the case figures built from them."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, BinaryIO, cast

from workbench.parsers import panel_db
from workbench.parsers.errors import ParseError
from workbench.parsers.panel_db import (
    Activity,
    CreditLog,
    LoginLog,
    PanelRecord,
    PanelUser,
    Server,
    StalkerUser,
    Stream,
    Subscriber,
)
from workbench.parsers.sqldump import SqlRow, iter_rows, iter_sqlite_rows, table_names
from workbench.parsers.xtream import (
    NginxConfig,
    decode_xtream_config,
    parse_nginx_conf,
    parse_stalker_config,
    parse_xui_config,
)
from workbench.plugins.common import CREDENTIAL

from workbench.artefacts import iso_utc
from workbench.plugin_api import (
    CASE_FIGURE,
    Artefact,
    ArtefactKind,
    CaseReader,
    Field,
    FileView,
    Plugin,
    UcoMapping,
    figure,
)

ACCOUNT = "uco-observable:AccountFacet"
ACCOUNT_ID = "uco-observable:accountIdentifier"

PANEL_CONFIG = ArtefactKind(
    "iptv.panel_config",
    "IPTV panel configuration",
    description="Settings of an Xtream UI, XUI.one or Stalker panel: its database, licence, ports and logging.",
    fields=(
        Field("panel_type", "str", "xtream-ui, xui-one or stalker", key=True),
        Field("source", "str", "Which file: config, config.ini, custom.ini or nginx.conf", key=True),
        Field("db_host", "str", "Database host"),
        Field("db_port", "int", "Database port"),
        Field("db_name", "str", "Database name"),
        Field("db_user", "str", "Database user"),
        Field("db_password", "str", "Database password", secret=True),
        Field(
            "credentials_encrypted", "bool", "The user/password are stored encrypted (XUI.one [Encrypted])"
        ),
        Field("server_id", "int", "This server's id in the panel"),
        Field("licence", "str", "Licence key"),
        Field("http_port", "int", "Client HTTP port"),
        Field("https_port", "int", "Client HTTPS port"),
        Field("admin_port", "int", "Admin panel port"),
        Field("rtmp_port", "int", "RTMP port"),
        Field("nginx_user", "str", "User nginx runs as"),
        Field("access_log", "str", "HTTP access_log setting (off means no viewing history in web logs)"),
        Field("server_names", "list", "server_name values"),
        Field("web_root", "str", "Client web root"),
        Field("portal_url", "str", "Stalker portal URL path"),
    ),
    summary_fields=("panel_type", "source", "db_host", "db_name", "db_user", "db_password"),
)

SUBSCRIBER = ArtefactKind(
    "iptv.subscriber",
    "IPTV subscriber",
    description="A subscriber line (or Stalker device account) from a panel database. Status at the seizure "
    "date is worked out at case level (iptv.subscriber_summary).",
    fields=(
        Field("panel", "str", "Panel type", key=True),
        Field("panel_user_id", "int", "Line id in the panel database", key=True),
        Field("username", "str", "Line user name (Stalker: login, else MAC)", key=True),
        Field("password", "str", "Line password (Stalker: md5(md5(password).id) hash)", secret=True),
        Field("password_type", "str", "plaintext or the hash scheme"),
        Field("exp_date", "datetime", "Expiry (UTC)", timeline="Subscriber line expires"),
        Field("never_expires", "bool", "No expiry date set (unlimited)"),
        Field("enabled", "bool", "Enabled by its reseller"),
        Field("admin_enabled", "bool", "Not banned by an admin"),
        Field("is_trial", "bool", "Trial line"),
        Field("max_connections", "int", "Simultaneous connections allowed"),
        Field("created_at", "datetime", "Created (UTC)"),
        Field("reseller", "str", "Reseller who owns the line"),
        Field("reseller_id", "int", "Reseller id"),
        Field("device", "str", "mag, e2, stalker or app"),
        Field("mac", "str", "Set-top box MAC"),
        Field("allowed_ips", "list", "IPs the line is locked to"),
        Field("bouquet", "list", "Bouquet ids"),
        Field("admin_notes", "str", "Admin notes"),
        Field("reseller_notes", "str", "Reseller notes"),
        Field("last_ip", "str", "Last client IP (XUI.one, Stalker)"),
        Field("last_activity", "datetime", "Last activity (UTC)", timeline="Subscriber last active"),
        Field("holder", "str", "Account holder name (Stalker fname)"),
        Field("phone", "str", "Phone (Stalker)"),
        Field("stb_type", "str", "Set-top box model (Stalker)"),
        Field("tariff_plan", "str", "Tariff plan (Stalker)"),
        Field("balance", "float", "Account balance (Stalker)"),
        Field("status_code", "int", "Raw status column (Stalker)"),
    ),
    time_field="created_at",
    time_description="Subscriber line created",
    summary_fields=("panel", "username", "password", "exp_date", "reseller", "device"),
    uco=UcoMapping(ACCOUNT, {ACCOUNT_ID: "username"}),
)

RESELLER = ArtefactKind(
    "iptv.reseller",
    "IPTV reseller or admin",
    description="A panel account that sells lines (reseller) or runs the panel (admin).",
    fields=(
        Field("panel", "str", "Panel type", key=True),
        Field("panel_user_id", "int", "Account id in the panel database", key=True),
        Field("username", "str", "Panel user name", key=True),
        Field("email", "str", "E-mail address"),
        Field("group", "str", "Member group"),
        Field("is_admin", "bool", "Admin group"),
        Field("is_reseller", "bool", "Reseller group"),
        Field("credits", "float", "Credits balance"),
        Field("owner", "str", "Account that created it"),
        Field("registered", "datetime", "Registered (UTC)"),
        Field("last_login", "datetime", "Last login (UTC)", timeline="Panel account last login"),
        Field("last_ip", "str", "Last login IP"),
        Field("reseller_dns", "str", "Reseller's own DNS name for his customers"),
        Field("password_hash", "str", "Stored password hash", secret=True),
        Field("hash_type", "str", "crypt-sha512, bcrypt, md5 …"),
        Field("notes", "str", "Notes"),
    ),
    time_field="registered",
    time_description="Panel account registered",
    summary_fields=("panel", "username", "email", "group", "credits", "last_login"),
    uco=UcoMapping(ACCOUNT, {ACCOUNT_ID: "username"}),
)

STREAM = ArtefactKind(
    "iptv.stream",
    "IPTV stream",
    description="A live channel, movie, series episode or radio stream offered by a panel, with its upstream sources.",
    fields=(
        Field("panel", "str", "Panel type", key=True),
        Field("stream_id", "int", "Stream id in the panel", key=True),
        Field("name", "str", "Display name", key=True),
        Field("type", "str", "live, created_live, movie, series (episode) or radio"),
        Field("category", "str", "Category"),
        Field("series", "str", "Series title (episodes)"),
        Field("sources", "list", "Upstream source URLs"),
        Field("epg_id", "str", "EPG source id"),
        Field("channel_id", "str", "EPG channel id (tvg-id)"),
        Field("added", "datetime", "Added (UTC)", timeline="Stream added to the panel"),
    ),
    summary_fields=("name", "type", "category", "sources", "channel_id"),
)

SERVER = ArtefactKind(
    "iptv.server",
    "IPTV streaming server",
    description="A streaming server or load balancer of a panel, with its SSH access.",
    fields=(
        Field("panel", "str", "Panel type", key=True),
        Field("server_id", "int", "Server id in the panel", key=True),
        Field("name", "str", "Server name", key=True),
        Field("domain", "str", "Domain name"),
        Field("ip", "str", "Public IP"),
        Field("vpn_ip", "str", "VPN IP"),
        Field("ssh_port", "int", "SSH port"),
        Field("ssh_password", "str", "SSH root password", secret=True),
        Field("http_port", "int", "HTTP broadcast port"),
        Field("https_port", "int", "HTTPS broadcast port"),
        Field("rtmp_port", "int", "RTMP port"),
        Field("total_clients", "int", "Client capacity"),
    ),
    summary_fields=("name", "domain", "ip", "vpn_ip", "ssh_port", "ssh_password"),
    uco=UcoMapping("uco-observable:IPAddressFacet", {"uco-observable:addressValue": "ip"}),
)

ACTIVITY = ArtefactKind(
    "iptv.activity",
    "IPTV viewing activity",
    description="A viewing session (or a connection live at dump time) of a subscriber line. The line is "
    "named by its panel id; iptv.subscriber_summary joins it to the user name.",
    fields=(
        Field("panel", "str", "Panel type", key=True),
        Field("table", "str", "Table it came from", key=True),
        Field("row_id", "int", "Row id in that table", key=True),
        Field("subscriber_id", "int", "Line id (iptv.subscriber panel_user_id)"),
        Field("stream", "str", "Stream watched"),
        Field("stream_id", "int", "Stream id"),
        Field("server", "str", "Server that delivered it"),
        Field("ip", "str", "Client IP"),
        Field("user_agent", "str", "Client user agent"),
        Field("country", "str", "GeoIP country code"),
        Field("isp", "str", "Client ISP"),
        Field("container", "str", "Output container"),
        Field("start", "datetime", "Session start (UTC)"),
        Field(
            "end", "datetime", "Session end (UTC); empty while live", timeline="Subscriber stopped watching"
        ),
        Field("live", "bool", "Connected when the database was copied"),
    ),
    time_field="start",
    time_description="Subscriber started watching",
    summary_fields=("subscriber_id", "stream", "ip", "country", "start", "end"),
)

CREDIT_LOG = ArtefactKind(
    "iptv.credit_log",
    "IPTV credit or sale",
    description="A reseller credit top-up or a line sold/created by a reseller.",
    fields=(
        Field("panel", "str", "Panel type", key=True),
        Field("table", "str", "Table it came from", key=True),
        Field("row_id", "int", "Row id in that table", key=True),
        Field("actor", "str", "Who acted (admin or reseller)"),
        Field("target", "str", "Reseller credited or line created"),
        Field("amount", "float", "Credits moved or charged"),
        Field("reason", "str", "Reason or action"),
        Field("date", "datetime", "When (UTC)"),
    ),
    time_field="date",
    time_description="Reseller credit or sale",
    summary_fields=("actor", "target", "amount", "reason", "date"),
)

LOGIN = ArtefactKind(
    "iptv.login",
    "IPTV panel login",
    description="A login recorded by the panel.",
    fields=(
        Field("panel", "str", "Panel type", key=True),
        Field("table", "str", "Table it came from", key=True),
        Field("row_id", "int", "Row id in that table", key=True),
        Field("user", "str", "User name, when the row names one"),
        Field("user_id", "int", "Account id"),
        Field("ip", "str", "Login IP"),
        Field("date", "datetime", "When (UTC)"),
        Field("status", "str", "Result"),
        Field("kind", "str", "Login type"),
    ),
    time_field="date",
    time_description="Panel login",
)

SUBSCRIBER_SUMMARY = ArtefactKind(
    "iptv.subscriber_summary",
    "IPTV subscriber (case view)",
    description="One subscriber counted once across dumps and playlists (same user name and password), with "
    "its status at the seizure date and its viewing activity.",
    fields=(
        Field("username", "str", "Line user name", key=True),
        Field("password", "str", "Line password", secret=True, key=True),
        Field("panel", "str", "Panel type (empty when only seen in playlists)"),
        Field(
            "status",
            "str",
            "active, expired, disabled, banned at the seizure date; unknown when only seen in playlists",
        ),
        Field("reference_date", "datetime", "Date the status refers to"),
        Field("exp_date", "datetime", "Expiry (UTC)"),
        Field("reseller", "str", "Reseller"),
        Field("first_activity", "datetime", "First viewing session (UTC)"),
        Field("last_activity", "datetime", "Last viewing session (UTC)"),
        Field("sessions", "int", "Viewing sessions"),
        Field("distinct_ips", "int", "Distinct client IPs"),
        Field("ips", "list", "Client IPs"),
        Field("countries", "list", "GeoIP countries"),
        Field("playlist_urls", "int", "Access URLs with these credentials (playlists, logs)"),
        Field("playlist_channels", "int", "Playlist entries with these credentials"),
        Field("seen_in", "list", "database, playlist"),
    ),
    time_field="first_activity",
    time_description="Subscriber first watched",
    summary_fields=("username", "status", "exp_date", "sessions", "distinct_ips", "last_activity"),
    uco=UcoMapping(ACCOUNT, {ACCOUNT_ID: "username"}),
)

DUMP_RULES = ("iptv_xtream_database_dump", "iptv_xui_database_dump")
CONFIG_RULES = ("iptv_xtream_config", "iptv_xui_config", "iptv_stalker_config")


# --------------------------------------------------------------------------------------------------
# Configuration files


def _credential(
    service: str, username: str, secret: str, secret_type: str, context: str, line: int | None
) -> Artefact:
    return CREDENTIAL(
        kind="database",
        service=service,
        username=username,
        secret=secret,
        secret_type=secret_type,
        context=context,
        line=line,
    )


def _nginx_ports(conf: NginxConfig) -> dict[str, Any]:
    """Client, TLS, admin and RTMP ports of a panel's nginx.conf."""
    http_port = https_port = admin_port = rtmp_port = None
    web_root = ""
    names: list[str] = []
    for server in conf.servers:
        if server.context == "rtmp":
            rtmp_port = rtmp_port or next((x.port for x in server.listens if x.port), None)
            continue
        if "/admin" in server.root:
            admin_port = admin_port or next((x.port for x in server.listens if x.port and not x.ssl), None)
            continue
        for listen in server.listens:
            if listen.ssl:
                https_port = https_port or listen.port
            else:
                http_port = http_port or listen.port
        web_root = web_root or server.root
        names += [n for n in server.server_names if n not in names and n != "_"]
    return {
        "http_port": http_port,
        "https_port": https_port,
        "admin_port": admin_port,
        "rtmp_port": rtmp_port,
        "web_root": web_root,
        "server_names": names,
    }


class IptvPanelConfigPlugin(Plugin):
    """Xtream UI ``config``, XUI.one ``config.ini``, Stalker ``config.ini``/``custom.ini``, panel nginx.conf."""

    name = "iptv.panel_config"
    version = "1.0"
    description = "IPTV panel configuration: database credentials, licence, ports, logging"
    kinds = (PANEL_CONFIG, CREDENTIAL)
    globs = (
        "*/iptv_xtream_codes/config",
        "*/xui/config/config.ini",
        "*/stalker_portal/server/config.ini",
        "*/stalker_portal/server/custom.ini",
        "*/iptv_xtream_codes/nginx/conf/nginx.conf",
        "*/xui/bin/nginx/conf/nginx.conf",
    )
    yara_rules = CONFIG_RULES
    inline_limit = 4 << 20

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """Decode the config file and yield its settings and credentials."""
        if data is None:
            return
        path, hits = file.path, file.yara_rules
        if path.endswith("/iptv_xtream_codes/config") or "iptv_xtream_config" in hits:
            yield from self._xtream(data)
        elif path.endswith("/xui/config/config.ini") or "iptv_xui_config" in hits:
            yield from self._xui(data)
        elif path.endswith(("/server/config.ini", "/server/custom.ini")) or "iptv_stalker_config" in hits:
            yield from self._stalker(file.name, data)
        elif path.endswith("/nginx.conf"):
            yield from self._nginx(path, data)

    def _xtream(self, data: bytes) -> Iterator[Artefact]:
        conf = decode_xtream_config(data)
        yield PANEL_CONFIG(
            panel_type="xtream-ui",
            source="config",
            db_host=conf.host,
            db_port=conf.db_port,
            db_name=conf.db_name,
            db_user=conf.db_user,
            db_password=conf.db_pass,
            credentials_encrypted=False,
            server_id=conf.server_id,
            line=1,
        )
        if conf.db_pass or conf.db_user:
            service = f"mysql://{conf.host}:{conf.db_port or 3306}/{conf.db_name}"
            yield _credential(
                service, conf.db_user, conf.db_pass, "plaintext", "iptv_xtream_codes/config db_pass", 1
            )

    def _xui(self, data: bytes) -> Iterator[Artefact]:
        conf = parse_xui_config(data)
        first = conf.entries[0].line if conf.entries else None
        yield PANEL_CONFIG(
            panel_type="xui-one",
            source="config.ini",
            db_host=conf.hostname,
            db_port=conf.port,
            db_name=conf.database,
            db_user=conf.username,
            db_password=conf.password,
            credentials_encrypted=True,
            server_id=conf.server_id,
            licence=conf.license,
            line=first,
        )
        if conf.password:
            line = next((e.line for e in conf.entries if e.key.lower() == "password"), None)
            service = f"mysql://{conf.hostname}:{conf.port or 3306}/{conf.database}"
            yield _credential(
                service,
                conf.username,
                conf.password,
                "xui-encrypted",
                "xui/config/config.ini [Encrypted]",
                line,
            )

    def _stalker(self, name: str, data: bytes) -> Iterator[Artefact]:
        conf = parse_stalker_config(data)
        first = conf.entries[0].line if conf.entries else None
        yield PANEL_CONFIG(
            panel_type="stalker",
            source=name,
            db_host=conf.mysql_host,
            db_port=conf.mysql_port,
            db_name=conf.db_name,
            db_user=conf.mysql_user,
            db_password=conf.mysql_pass,
            credentials_encrypted=False,
            portal_url=conf.portal_url,
            line=first,
        )
        if conf.mysql_pass:
            line = next((e.line for e in conf.entries if e.key.lower() == "mysql_pass"), None)
            service = f"mysql://{conf.mysql_host}:{conf.mysql_port or 3306}/{conf.db_name}"
            yield _credential(
                service,
                conf.mysql_user,
                conf.mysql_pass,
                "plaintext",
                f"stalker_portal/server/{name} mysql_pass",
                line,
            )

    def _nginx(self, path: str, data: bytes) -> Iterator[Artefact]:
        conf = parse_nginx_conf(data)
        if "iptv_xtream_codes" in path or conf.user == "xtreamcodes":
            panel = "xtream-ui"
        elif "/xui/" in path or conf.user == "xui":
            panel = "xui-one"
        else:
            return
        yield PANEL_CONFIG(
            panel_type=panel,
            source="nginx.conf",
            nginx_user=conf.user,
            access_log=conf.access_log,
            line=conf.servers[0].line if conf.servers else None,
            **_nginx_ports(conf),
        )


# --------------------------------------------------------------------------------------------------
# Databases


class _GzipStream(io.RawIOBase):
    """A gzip-compressed dump that ends, instead of failing, where the compressed data is damaged or
    cut off; the damage is noted in ``errors`` (the SQL parser then reports the cut-off statement)."""

    def __init__(self, raw: IO[bytes], errors: list[ParseError]) -> None:
        self._raw = raw
        self._gzip = gzip.GzipFile(fileobj=raw, mode="rb")
        self._errors = errors

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._gzip.read(len(buffer))
        except (EOFError, OSError, zlib.error) as exc:
            self._errors.append(ParseError(f"compressed dump damaged or cut off: {exc}"))
            data = b""
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._gzip.close()
        self._raw.close()
        super().close()


def _open_dump(file: FileView, errors: list[ParseError]) -> BinaryIO:
    """The dump's SQL text as a stream (gzip-compressed dumps are decompressed on the fly)."""
    with file.open() as probe:
        head = probe.read(2)
    stream = file.open()
    if head == b"\x1f\x8b" or file.name.endswith(".gz"):
        return cast(BinaryIO, _GzipStream(stream, errors))
    return stream


def _is_sqlite(file: FileView, data: bytes | None) -> bool:
    if data is not None:
        return data.startswith(b"SQLite format 3\x00")
    with file.open() as stream:
        return stream.read(16) == b"SQLite format 3\x00"


class _Rows:
    """Row sources of one database file; parse errors are kept so every pass can finish."""

    def __init__(self, file: FileView, data: bytes | None) -> None:
        self.file = file
        self.sqlite = _is_sqlite(file, data)
        self.data = data
        self.errors: list[ParseError] = []

    def _sqlite_bytes(self) -> bytes:
        if self.data is None:
            with self.file.open() as stream:
                self.data = stream.read()
        return self.data

    def rows(self, tables: frozenset[str] | set[str] | None) -> Generator[SqlRow, None, None]:
        """Rows of ``tables`` (all when None), stopping quietly on damage (recorded in ``errors``)."""
        try:
            if self.sqlite:
                yield from iter_sqlite_rows(self._sqlite_bytes(), tables)
            else:
                with _open_dump(self.file, self.errors) as stream:
                    yield from iter_rows(stream, tables)
        except ParseError as exc:
            self.errors.append(exc)

    def tables(self) -> tuple[list[str], dict[str, tuple[str, ...]]]:
        """Table names in order, and the columns of the ``users`` table when it has rows."""
        if self.sqlite:
            names: dict[str, None] = {}
            for row in self.rows(None):
                names.setdefault(row.table, None)
            table_list = list(names)
        else:
            with _open_dump(self.file, self.errors) as stream:
                table_list = table_names(stream)
        columns: dict[str, tuple[str, ...]] = {}
        if "users" in table_list:
            first = self.rows({"users"})
            row = next(first, None)
            first.close()
            if row is not None:
                columns["users"] = row.columns
        return table_list, columns


class IptvPanelDatabasePlugin(Plugin):
    """Xtream UI / XUI.one / Stalker databases: mysqldump files (plain or gzip) and SQLite copies."""

    name = "iptv.panel_database"
    version = "1.0"
    description = "IPTV panel databases: subscribers, resellers, streams, servers, activity, sales"
    kinds = (SUBSCRIBER, RESELLER, STREAM, SERVER, ACTIVITY, CREDIT_LOG, LOGIN, CREDENTIAL)
    globs = ("*.sql", "*.sql.gz", "*.SQL", "*.sqlite", "*.sqlite3")
    mime_types = ("application/vnd.sqlite3", "application/x-sqlite3")
    yara_rules = DUMP_RULES

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """Recognise the panel from the tables, then stream its records as artefacts."""
        source = _Rows(file, data)
        names, columns = source.tables()
        panel = panel_db.detect_panel(names, columns)
        if panel is not None:
            first = source.rows(panel_db.context_tables(panel))
            second = source.rows(panel_db.record_tables(panel))
            for record in panel_db.iter_panel_records(first, second, panel):
                yield from _artefacts(record, panel)
        if source.errors:
            raise source.errors[0]


def _artefacts(record: PanelRecord, panel: str) -> Iterator[Artefact]:
    """The artefacts of one panel record."""
    if isinstance(record, Subscriber):
        yield SUBSCRIBER(
            panel=panel,
            panel_user_id=record.user_id,
            username=record.username,
            password=record.password,
            password_type="plaintext",
            exp_date=record.exp_date,
            never_expires=record.never_expires,
            enabled=record.enabled,
            admin_enabled=record.admin_enabled,
            is_trial=record.is_trial,
            max_connections=record.max_connections,
            created_at=record.created_at,
            reseller=record.reseller,
            reseller_id=record.reseller_id,
            device=record.device,
            mac=record.mac,
            allowed_ips=list(record.allowed_ips),
            bouquet=list(record.bouquet),
            admin_notes=record.admin_notes,
            reseller_notes=record.reseller_notes,
            last_ip=record.last_ip,
            last_activity=record.last_activity,
            line=record.line,
        )
    elif isinstance(record, StalkerUser):
        yield SUBSCRIBER(
            panel=panel,
            panel_user_id=record.user_id,
            username=record.login or record.mac,
            password=record.password_hash,
            password_type="md5(md5(password).id)" if record.password_hash else "",
            exp_date=record.expire_billing_date,
            never_expires=record.expire_billing_date is None,
            created_at=record.created,
            reseller_id=record.reseller_id,
            device="stalker",
            mac=record.mac,
            last_ip=record.ip,
            last_activity=record.last_active,
            admin_notes=record.comment,
            holder=record.fname,
            phone=record.phone,
            stb_type=record.stb_type,
            tariff_plan=record.tariff_plan,
            balance=record.account_balance,
            status_code=record.status,
            line=record.line,
        )
    elif isinstance(record, PanelUser):
        yield RESELLER(
            panel=panel,
            panel_user_id=record.user_id,
            username=record.username,
            email=record.email,
            group=record.group,
            is_admin=record.is_admin,
            is_reseller=record.is_reseller,
            credits=record.credits,
            owner=record.owner,
            registered=record.registered,
            last_login=record.last_login,
            last_ip=record.ip,
            reseller_dns=record.reseller_dns,
            password_hash=record.password_hash,
            hash_type=record.hash_type,
            notes=record.notes,
            line=record.line,
        )
        if record.password_hash:
            yield CREDENTIAL(
                kind="panel",
                service=f"{panel} panel",
                username=record.username,
                secret=record.password_hash,
                secret_type=record.hash_type,
                context=f"{record.table}.password",
                line=record.line,
            )
    elif isinstance(record, Stream):
        yield STREAM(
            panel=panel,
            stream_id=record.stream_id,
            name=record.name,
            type=record.type,
            category=record.category,
            series=record.series,
            sources=list(record.sources),
            epg_id=record.epg_id,
            channel_id=record.channel_id,
            added=record.added,
            line=record.line,
        )
    elif isinstance(record, Server):
        yield SERVER(
            panel=panel,
            server_id=record.server_id,
            name=record.name,
            domain=record.domain,
            ip=record.ip,
            vpn_ip=record.vpn_ip,
            ssh_port=record.ssh_port,
            ssh_password=record.ssh_password,
            http_port=record.http_port,
            https_port=record.https_port,
            rtmp_port=record.rtmp_port,
            total_clients=record.total_clients,
            line=record.line,
        )
        if record.ssh_password:
            yield CREDENTIAL(
                kind="ssh",
                service=f"{record.ip or record.domain}:{record.ssh_port or 22}",
                username="root",
                secret=record.ssh_password,
                secret_type="plaintext",
                context=f"{record.table}.ssh_password",
                line=record.line,
            )
    elif isinstance(record, Activity):
        yield ACTIVITY(
            panel=panel,
            table=record.table,
            row_id=record.row_id,
            subscriber_id=record.user_id,
            stream=record.stream,
            stream_id=record.stream_id,
            server=record.server,
            ip=record.ip,
            user_agent=record.user_agent,
            country=record.country,
            isp=record.isp,
            container=record.container,
            start=record.start,
            end=record.end,
            live=record.table in ("user_activity_now", "lines_live"),
            line=record.line,
        )
    elif isinstance(record, CreditLog):
        yield CREDIT_LOG(
            panel=panel,
            table=record.table,
            row_id=record.row_id,
            actor=record.actor or (str(record.actor_id) if record.actor_id is not None else ""),
            target=record.target or (str(record.target_id) if record.target_id is not None else ""),
            amount=record.amount,
            reason=record.reason,
            date=record.date,
            line=record.line,
        )
    elif isinstance(record, LoginLog):
        yield LOGIN(
            panel=panel,
            table=record.table,
            row_id=record.row_id,
            user=record.user,
            user_id=record.user_id,
            ip=record.ip,
            date=record.date,
            status=record.status,
            kind=record.kind,
            line=record.line,
        )


# --------------------------------------------------------------------------------------------------
# Case level


def _when(value: Any) -> datetime | None:
    """A stored ISO 8601 time as an aware datetime (None for empty or unreadable values)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class _Line:
    """One subscriber as the case sees it (merged across dumps and playlists)."""

    fields: dict[str, Any] | None = None  # from the panel database, when seen there
    first: datetime | None = None
    last: datetime | None = None
    sessions: int = 0
    ips: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    urls: int = 0
    channels: int = 0


def _status(f: dict[str, Any], when: datetime | None) -> str:
    """active / expired / disabled / banned, the order Xtream's player_api uses."""
    if f.get("admin_enabled") is False:
        return "banned"
    if f.get("enabled") is False:
        return "disabled"
    exp = _when(f.get("exp_date"))
    if exp is not None and when is not None and exp <= when:
        return "expired"
    return "active" if when is not None else "unknown"


class IptvCaseFigures(Plugin):
    """Joins subscribers with their activity and with playlist credentials; computes the IPTV figures."""

    name = "iptv.case_figures"
    version = "1.0"
    description = "IPTV case view: subscribers counted once, status at seizure, activity, headline figures"
    kinds = (SUBSCRIBER_SUMMARY, CASE_FIGURE)

    def correlate(self, store: CaseReader) -> Iterable[Artefact]:
        """Yield one summary per distinct subscriber, then the ``iptv`` case figures."""
        lines: dict[tuple[str, str], _Line] = {}
        by_panel_id: dict[tuple[str | None, Any], tuple[str, str]] = {}
        for a in store.artefacts(kind=SUBSCRIBER.name):
            key = (str(a.fields.get("username") or ""), str(a.fields.get("password") or ""))
            line = lines.setdefault(key, _Line())
            if line.fields is None:
                line.fields = dict(a.fields)
            by_panel_id[(a.file_id, a.fields.get("panel_user_id"))] = key

        sessions_seen: set[tuple[Any, ...]] = set()
        client_ips: set[str] = {
            str(f["last_ip"]) for line in lines.values() if (f := line.fields) and f.get("last_ip")
        }
        countries: set[str] = set()
        latest_activity: datetime | None = None
        for a in store.artefacts(kind=ACTIVITY.name):
            f = a.fields
            start = _when(f.get("start"))
            ident = (f.get("panel"), f.get("table"), f.get("row_id"), f.get("subscriber_id"), f.get("start"))
            if ident in sessions_seen:
                continue  # the same row in two copies of the database
            sessions_seen.add(ident)
            ip, country = str(f.get("ip") or ""), str(f.get("country") or "")
            if ip:
                client_ips.add(ip)
            if country:
                countries.add(country)
            for moment in (start, _when(f.get("end"))):
                if moment is not None and (latest_activity is None or moment > latest_activity):
                    latest_activity = moment
            owner = by_panel_id.get((a.file_id, f.get("subscriber_id")))
            if owner is None:
                continue
            line = lines[owner]
            line.sessions += 1
            if ip:
                line.ips.add(ip)
            if country:
                line.countries.add(country)
            if start is not None:
                line.first = start if line.first is None or start < line.first else line.first
                line.last = start if line.last is None or start > line.last else line.last

        channel_names: set[str] = set()
        for kind, attr in (("iptv.access_url", "urls"), ("iptv.channel", "channels")):
            for a in store.artefacts(kind=kind):
                f = a.fields
                if kind == "iptv.channel":
                    channel_names.add(str(f.get("tvg_id") or f.get("name") or ""))
                if not f.get("username"):
                    continue
                line = lines.setdefault((str(f["username"]), str(f.get("password") or "")), _Line())
                setattr(line, attr, getattr(line, attr) + 1)

        reference, basis = self._reference_date(store, latest_activity)
        yield from self._summaries(lines, reference)
        yield from self._figures(
            store, lines, reference, basis, client_ips, countries, len(sessions_seen), channel_names
        )

    @staticmethod
    def _reference_date(store: CaseReader, latest_activity: datetime | None) -> tuple[datetime | None, str]:
        seized = [d for d in (_when(e.get("seized_at")) for e in store.evidence()) if d is not None]
        if seized:
            when = max(seized)
            return when, f"at the seizure date {iso_utc(when)} (latest seized_at of the evidence)"
        if latest_activity is not None:
            return (
                latest_activity,
                f"no seizure date recorded: at the latest viewing activity seen, {iso_utc(latest_activity)}",
            )
        return None, "no seizure date recorded and no viewing activity: status not computed"

    @staticmethod
    def _summaries(lines: dict[tuple[str, str], _Line], reference: datetime | None) -> Iterator[Artefact]:
        for (username, password), line in sorted(lines.items()):
            f = line.fields or {}
            seen = (["database"] if line.fields else []) + (
                ["playlist"] if line.urls or line.channels else []
            )
            yield SUBSCRIBER_SUMMARY(
                username=username,
                password=password,
                panel=f.get("panel", ""),
                status=_status(f, reference) if line.fields else "unknown",
                reference_date=reference,
                exp_date=f.get("exp_date"),
                reseller=f.get("reseller", ""),
                first_activity=line.first,
                last_activity=line.last,
                sessions=line.sessions,
                distinct_ips=len(line.ips),
                ips=sorted(line.ips),
                countries=sorted(line.countries),
                playlist_urls=line.urls,
                playlist_channels=line.channels,
                seen_in=seen,
            )

    @staticmethod
    def _figures(
        store: CaseReader,
        lines: dict[tuple[str, str], _Line],
        reference: datetime | None,
        basis: str,
        client_ips: set[str],
        countries: set[str],
        sessions: int,
        channel_names: set[str],
    ) -> Iterator[Artefact]:
        streams: dict[str, set[tuple[Any, ...]]] = {}
        series_titles: set[str] = set()
        for a in store.artefacts(kind=STREAM.name):
            f = a.fields
            streams.setdefault(str(f.get("type") or ""), set()).add(
                (f.get("panel"), f.get("stream_id"), f.get("name"))
            )
            if f.get("type") == "series" and f.get("series"):
                series_titles.add(str(f["series"]))
        if streams:
            live = streams.get("live", set()) | streams.get("created_live", set())
            yield figure(
                "iptv",
                "live channels",
                len(live),
                "distinct iptv.stream of type live or created_live (panel, id, name)",
            )
            yield figure(
                "iptv", "VOD items", len(streams.get("movie", set())), "distinct iptv.stream of type movie"
            )
            yield figure(
                "iptv", "series", len(series_titles), "distinct series titles of iptv.stream of type series"
            )
            yield figure(
                "iptv",
                "series episodes",
                len(streams.get("series", set())),
                "distinct iptv.stream of type series",
            )
            yield figure(
                "iptv",
                "radio stations",
                len(streams.get("radio", set())),
                "distinct iptv.stream of type radio",
            )
        elif channel_names - {""}:
            yield figure(
                "iptv",
                "live channels",
                len(channel_names - {""}),
                "no panel database: distinct iptv.channel tvg-id (else name) in playlists",
            )

        if lines:
            db = [line.fields for line in lines.values() if line.fields is not None]
            statuses = [_status(f, reference) for f in db]
            total_basis = "distinct user name + password over iptv.subscriber and the credentials of iptv.access_url/iptv.channel"
            yield figure("iptv", "subscribers", len(lines), total_basis)
            if reference is not None:
                yield figure(
                    "iptv",
                    "active subscribers",
                    statuses.count("active"),
                    f"enabled, not banned, not expired, {basis}",
                )
                expired = sum(
                    1 for f in db if (exp := _when(f.get("exp_date"))) is not None and exp <= reference
                )
                yield figure("iptv", "expired subscribers", expired, f"expiry date passed, {basis}")
            yield figure(
                "iptv",
                "trial subscribers",
                sum(1 for f in db if f.get("is_trial")),
                "iptv.subscriber with is_trial",
            )
            yield figure(
                "iptv",
                "disabled or banned subscribers",
                sum(1 for f in db if f.get("enabled") is False or f.get("admin_enabled") is False),
                "iptv.subscriber with enabled or admin_enabled off",
            )
            yield figure(
                "iptv",
                "MAG devices",
                sum(1 for f in db if f.get("device") == "mag"),
                "iptv.subscriber on a MAG set-top box",
            )

        resellers: dict[tuple[Any, Any], dict[str, Any]] = {}
        for a in store.artefacts(kind=RESELLER.name):
            resellers.setdefault((a.fields.get("panel"), a.fields.get("username")), a.fields)
        if resellers:
            sellers = [f for f in resellers.values() if f.get("is_reseller") and not f.get("is_admin")]
            yield figure("iptv", "resellers", len(sellers), "distinct iptv.reseller in a reseller group")
            yield figure(
                "iptv",
                "resellers with credits",
                sum(1 for f in sellers if (f.get("credits") or 0) > 0),
                "resellers with a credit balance above 0",
            )
            yield figure(
                "iptv",
                "panel admins",
                sum(1 for f in resellers.values() if f.get("is_admin")),
                "distinct iptv.reseller in an admin group",
            )

        servers = {(a.fields.get("name"), a.fields.get("ip")) for a in store.artefacts(kind=SERVER.name)}
        if servers:
            yield figure("iptv", "streaming servers", len(servers), "distinct iptv.server (name, IP)")
        if sessions or client_ips:
            yield figure(
                "iptv", "viewing sessions", sessions, "iptv.activity rows, each database row counted once"
            )
            yield figure(
                "iptv",
                "client IPs",
                len(client_ips),
                "distinct IPs in iptv.activity and subscribers' last_ip",
            )
            yield figure(
                "iptv", "client countries", len(countries), "distinct GeoIP country codes in iptv.activity"
            )


PLUGINS = (IptvPanelConfigPlugin, IptvPanelDatabasePlugin, IptvCaseFigures)

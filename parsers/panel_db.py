"""IPTV panel databases: recognise the panel from its tables and map SQL rows to records.

Xtream UI: ``users`` = subscriber lines, ``reg_users`` = admins/resellers, ``member_groups``.
XUI.one / XC_VM: the names are swapped, ``lines`` = subscriber lines, ``users`` = admins/resellers.
Stalker/Ministra: ``users`` keyed by device ``mac``, with ``tariff_plan_id``.

Reading is two-pass so that nothing large is held in memory:
1. ``context_tables(panel)``: small tables (groups, stream types, categories, series, MAG devices,
   admins/resellers, servers, and stream names) read into lookups; their records are yielded.
2. ``record_tables(panel)``: subscribers, streams, activity and logs, streamed one row at a time.

Activity rows keep the subscriber's panel id (``user_id``); joining it to a user name needs the whole
subscriber table and is done at case level, where the subscribers are already stored.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from workbench.parsers.sqldump import SqlRow

__all__ = [
    "PANELS",
    "Activity",
    "CreditLog",
    "LoginLog",
    "MagDevice",
    "MemberGroup",
    "PanelRecord",
    "PanelUser",
    "Server",
    "StalkerUser",
    "Stream",
    "Subscriber",
    "context_tables",
    "decode_mac",
    "detect_panel",
    "hash_type",
    "iter_panel_records",
    "record_tables",
]

XTREAM, XUI, STALKER = "xtream-ui", "xui-one", "stalker"
PANELS = (XTREAM, XUI, STALKER)

# Xtream UI's default stream type ids (streams_types), used when the table is not in the dump.
DEFAULT_STREAM_TYPES = {1: "live", 2: "movie", 3: "created_live", 4: "radio", 5: "series"}

_TABLES: dict[str, dict[str, tuple[str, ...]]] = {
    XTREAM: {
        "groups": ("member_groups",),
        "panel_users": ("reg_users",),
        "stream_types": ("streams_types",),
        "categories": ("stream_categories",),
        "series": ("series",),
        "episodes": ("series_episodes",),
        "devices": ("mag_devices", "enigma2_devices"),
        "servers": ("streaming_servers",),
        "streams": ("streams",),
        "subscribers": ("users",),
        "activity": ("user_activity", "user_activity_now"),
        "credits": ("credits_log", "reg_userlog"),
        "logins": ("login_logs",),
    },
    XUI: {
        "groups": ("users_groups", "member_groups"),
        "panel_users": ("users",),
        "stream_types": ("streams_types",),
        "categories": ("streams_categories", "stream_categories"),
        "series": ("streams_series", "series"),
        "episodes": ("streams_episodes", "series_episodes"),
        "devices": ("mag_devices", "enigma2_devices"),
        "servers": ("servers", "streaming_servers"),
        "streams": ("streams",),
        "subscribers": ("lines",),
        "activity": ("lines_activity", "lines_live"),
        "credits": ("users_logs", "users_credits_logs", "credits_log"),
        "logins": ("login_logs",),
    },
    STALKER: {
        "tariffs": ("tariff_plan",),
        "subscribers": ("users",),
    },
}
_CONTEXT_ROLES = (
    "groups",
    "panel_users",
    "stream_types",
    "categories",
    "series",
    "episodes",
    "devices",
    "servers",
    "tariffs",
)
_RECORD_ROLES = ("streams", "subscribers", "activity", "credits", "logins")


def detect_panel(tables: Iterable[str], columns: Mapping[str, Sequence[str]] | None = None) -> str | None:
    """``xtream-ui``, ``xui-one`` or ``stalker`` from a dump's table names (and, when known, the
    columns of its ``users`` table); None when the tables are not a panel's."""
    names = set(tables)
    user_columns = {c.lower() for c in (columns or {}).get("users", ())}
    if "lines" in names and names & {"users", "lines_activity", "lines_live", "users_logs", "users_groups"}:
        return XUI
    if "users" in names and (
        {"mac", "tariff_plan_id"} <= user_columns or names & {"tariff_plan", "itv", "stb_groups"}
    ):
        return STALKER
    if "users" in names and names & {
        "reg_users",
        "member_groups",
        "user_activity",
        "streaming_servers",
        "reg_userlog",
    }:
        return XTREAM
    return None


def context_tables(panel: str) -> frozenset[str]:
    """Tables read in the first pass (small lookups, plus ``streams`` for stream names)."""
    roles = _TABLES.get(panel, {})
    names = {t for role in _CONTEXT_ROLES for t in roles.get(role, ())}
    return frozenset(names | set(roles.get("streams", ())))


def record_tables(panel: str) -> frozenset[str]:
    """Tables streamed in the second pass."""
    roles = _TABLES.get(panel, {})
    return frozenset(t for role in _RECORD_ROLES for t in roles.get(role, ()))


# --------------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class MemberGroup:
    """A panel account group (``member_groups`` / ``users_groups``)."""

    group_id: int | None
    name: str
    is_admin: bool
    is_reseller: bool
    is_banned: bool
    table: str
    line: int


@dataclass(frozen=True)
class PanelUser:
    """An admin or reseller account of the panel (Xtream ``reg_users``, XUI ``users``)."""

    user_id: int | None
    username: str
    email: str
    password_hash: str
    hash_type: str
    group_id: int | None
    group: str
    is_admin: bool
    is_reseller: bool
    credits: float | None
    owner_id: int | None
    owner: str
    ip: str
    last_login: datetime | None
    registered: datetime | None
    reseller_dns: str
    status: int | None
    notes: str
    table: str
    line: int


@dataclass(frozen=True)
class MagDevice:
    """A MAG (or Enigma2) set-top box bound to a subscriber line."""

    device_id: int | None
    user_id: int | None
    mac: str  # AA:BB:CC:DD:EE:FF when decodable, else as stored
    mac_raw: str
    kind: str  # "mag" or "e2"
    table: str
    line: int


@dataclass(frozen=True)
class Subscriber:
    """A subscriber line (Xtream ``users``, XUI ``lines``)."""

    panel: str
    user_id: int | None
    username: str
    password: str
    exp_date: datetime | None  # None with never_expires=True means NULL (unlimited)
    never_expires: bool
    enabled: bool | None
    admin_enabled: bool | None
    is_trial: bool
    max_connections: int | None
    created_at: datetime | None
    reseller_id: int | None
    reseller: str
    device: str  # mag, e2, stalker or app
    mac: str
    allowed_ips: tuple[str, ...]
    bouquet: tuple[int, ...]
    admin_notes: str
    reseller_notes: str
    last_ip: str
    last_activity: datetime | None
    table: str
    line: int


@dataclass(frozen=True)
class StalkerUser:
    """A Stalker/Ministra device account (``users`` keyed by MAC)."""

    user_id: int | None
    mac: str
    login: str
    password_hash: str  # md5(md5(password) . id)
    fname: str
    phone: str
    ip: str
    stb_type: str
    status: int | None
    tariff_plan_id: int | None
    tariff_plan: str
    expire_billing_date: datetime | None
    reseller_id: int | None
    account_balance: float | None
    created: datetime | None
    last_active: datetime | None
    comment: str
    table: str
    line: int


@dataclass(frozen=True)
class Stream:
    """A live channel, movie, series episode or radio stream."""

    stream_id: int | None
    name: str
    type_id: int | None
    type: str  # live, created_live, movie, series (episodes), radio, or the raw type
    category: str
    series: str  # series title for episode streams, when the series tables are present
    sources: tuple[str, ...]
    epg_id: str
    channel_id: str
    added: datetime | None
    table: str
    line: int


@dataclass(frozen=True)
class Server:
    """A streaming server (load balancer) of the panel."""

    server_id: int | None
    name: str
    domain: str
    ip: str
    vpn_ip: str
    ssh_port: int | None
    ssh_password: str
    http_port: int | None
    https_port: int | None
    rtmp_port: int | None
    total_clients: int | None
    table: str
    line: int


@dataclass(frozen=True)
class Activity:
    """One viewing session (or a live connection) of a subscriber line."""

    row_id: int | None  # the table's primary key
    user_id: int | None
    stream_id: int | None
    stream: str
    server_id: int | None
    server: str
    user_agent: str
    ip: str
    container: str
    start: datetime | None
    end: datetime | None
    country: str
    isp: str
    table: str
    line: int


@dataclass(frozen=True)
class CreditLog:
    """A reseller credit movement or sale (credits_log, reg_userlog, users_logs …)."""

    row_id: int | None  # the table's primary key
    actor_id: int | None
    actor: str
    target_id: int | None
    target: str
    amount: float | None
    reason: str
    date: datetime | None
    table: str
    line: int


@dataclass(frozen=True)
class LoginLog:
    """A login recorded by the panel."""

    row_id: int | None  # the table's primary key
    user_id: int | None
    user: str
    ip: str
    date: datetime | None
    status: str
    kind: str
    table: str
    line: int


PanelRecord = (
    MemberGroup
    | PanelUser
    | MagDevice
    | Subscriber
    | StalkerUser
    | Stream
    | Server
    | Activity
    | CreditLog
    | LoginLog
)


# --------------------------------------------------------------------------------------------------
# Value helpers (tolerant: evidence columns hold anything)


def _get(row: Mapping[str, object], *names: str) -> object:
    """The first of ``names`` present in the row (None when none is)."""
    for name in names:
        if name in row:
            return row[name]
    return None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str | bytes):
        text = value.strip() if isinstance(value, str) else value.decode("latin-1").strip()
        if re.fullmatch(r"-?\d{1,18}", text):
            return int(text)
    return None


def _float(value: object) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _str(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)


def _flag(value: object) -> bool:
    number = _int(value)
    return bool(number) if number is not None else _str(value).strip().lower() in ("true", "yes", "on")


def _flag_or_none(value: object) -> bool | None:
    return None if value is None else _flag(value)


_MAX_EPOCH = 253402300799  # 9999-12-31


def _time(value: object) -> datetime | None:
    """Epoch seconds (int or digits) or ``YYYY-MM-DD HH:MM:SS`` as an aware UTC datetime."""
    number = _int(value)
    if number is not None:
        if 0 < number <= _MAX_EPOCH:
            return datetime.fromtimestamp(number, tz=UTC)
        return None
    text = _str(value).strip()
    if not text or text.startswith("0000-00-00"):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _json_list(value: object) -> list[object] | None:
    """A JSON array stored in a text column, or None."""
    text = _str(value).strip()
    if not text.startswith("["):
        return None
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, list) else None


def _int_list(value: object) -> tuple[int, ...]:
    items = _json_list(value)
    if items is None:
        items = [p for p in re.split(r"[,\s]+", _str(value)) if p]
    return tuple(n for n in (_int(i) for i in items) if n is not None)


def _text_list(value: object) -> tuple[str, ...]:
    items = _json_list(value)
    if items is None:
        text = _str(value).strip()
        return (text,) if text else ()
    return tuple(_str(i) for i in items if i not in (None, ""))


_MAC = re.compile(r"(?i)[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}")


def decode_mac(value: object) -> str:
    """A MAG MAC as ``AA:BB:CC:DD:EE:FF``: stored Base64-encoded by Xtream UI (of the text form, or of
    the 6 raw bytes), sometimes plain; anything else is returned as stored."""
    text = _str(value).strip()
    if _MAC.fullmatch(text):
        return text.replace("-", ":").upper()
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return text
    decoded = raw.decode("latin-1").strip()
    if _MAC.fullmatch(decoded):
        return decoded.replace("-", ":").upper()
    if len(raw) == 6:
        return ":".join(f"{b:02X}" for b in raw)
    return text


def hash_type(secret: str) -> str:
    """The kind of a stored password: crypt-sha512, bcrypt, md5 … or plaintext/unknown."""
    if secret.startswith("$6$"):
        return "crypt-sha512"
    if secret.startswith("$5$"):
        return "crypt-sha256"
    if secret.startswith(("$2y$", "$2a$", "$2b$")):
        return "bcrypt"
    if secret.startswith("$1$"):
        return "crypt-md5"
    if secret.startswith("$argon2"):
        return "argon2"
    if re.fullmatch(r"[0-9a-fA-F]{32}", secret):
        return "md5"
    if re.fullmatch(r"[0-9a-fA-F]{40}", secret):
        return "sha1"
    if re.fullmatch(r"[0-9a-fA-F]{64}", secret):
        return "sha256"
    return "unknown" if secret else ""


# --------------------------------------------------------------------------------------------------
# Reading


@dataclass
class _Lookups:
    """Small tables from the first pass."""

    groups: dict[int, MemberGroup] = field(default_factory=dict)
    panel_users: dict[int, str] = field(default_factory=dict)
    stream_types: dict[int, str] = field(default_factory=dict)
    categories: dict[int, str] = field(default_factory=dict)
    series: dict[int, str] = field(default_factory=dict)
    episode_series: dict[int, int] = field(default_factory=dict)
    devices: dict[int, MagDevice] = field(default_factory=dict)
    servers: dict[int, str] = field(default_factory=dict)
    streams: dict[int, str] = field(default_factory=dict)
    tariffs: dict[int, str] = field(default_factory=dict)


def _role_of(panel: str, table: str) -> str:
    for role, tables in _TABLES.get(panel, {}).items():
        if table in tables:
            return role
    return ""


def iter_panel_records(
    first_pass: Iterable[SqlRow], second_pass: Iterable[SqlRow], panel: str
) -> Iterator[PanelRecord]:
    """Records of a ``panel`` database: ``first_pass`` yields the rows of ``context_tables(panel)``
    (held in memory: they are small), ``second_pass`` the rows of ``record_tables(panel)`` (streamed)."""
    if panel not in PANELS:
        raise ValueError(f"unknown panel type {panel!r}")
    lookups = _Lookups()
    held: dict[str, list[SqlRow]] = {}
    for row in first_pass:
        role = _role_of(panel, row.table)
        if role == "streams":
            d = row.as_dict()
            sid = _int(_get(d, "id", "stream_id"))
            if sid is not None:
                lookups.streams[sid] = _str(_get(d, "stream_display_name", "name", "title"))
        elif role in _CONTEXT_ROLES:
            held.setdefault(role, []).append(row)
    yield from _context_records(panel, held, lookups)
    held.clear()
    for row in second_pass:
        role = _role_of(panel, row.table)
        record = _record(panel, role, row, lookups)
        if record is not None:
            yield record


def _context_records(panel: str, held: dict[str, list[SqlRow]], lk: _Lookups) -> Iterator[PanelRecord]:
    """Build the lookups in dependency order and yield the context records worth keeping."""
    for row in held.get("groups", ()):
        d = row.as_dict()
        group = MemberGroup(
            group_id=_int(_get(d, "group_id", "id")),
            name=_str(_get(d, "group_name", "name")),
            is_admin=_flag(_get(d, "is_admin")),
            is_reseller=_flag(_get(d, "is_reseller")),
            is_banned=_flag(_get(d, "is_banned")),
            table=row.table,
            line=row.line,
        )
        if group.group_id is not None:
            lk.groups[group.group_id] = group
        yield group
    for row in held.get("stream_types", ()):
        d = row.as_dict()
        type_id = _int(_get(d, "type_id", "id"))
        key = _str(_get(d, "type_key", "type_name")).strip().lower()
        if type_id is not None and key:
            lk.stream_types[type_id] = "radio" if key.startswith("radio") else key
    for row in held.get("categories", ()):
        d = row.as_dict()
        cid = _int(_get(d, "id", "category_id"))
        if cid is not None:
            lk.categories[cid] = _str(_get(d, "category_name", "name"))
    for row in held.get("series", ()):
        d = row.as_dict()
        sid = _int(_get(d, "id", "series_id"))
        if sid is not None:
            lk.series[sid] = _str(_get(d, "title", "name"))
    for row in held.get("episodes", ()):
        d = row.as_dict()
        stream_id, series_id = _int(_get(d, "stream_id")), _int(_get(d, "series_id"))
        if stream_id is not None and series_id is not None:
            lk.episode_series[stream_id] = series_id
    for row in held.get("tariffs", ()):
        d = row.as_dict()
        tid = _int(_get(d, "id"))
        if tid is not None:
            lk.tariffs[tid] = _str(_get(d, "name", "external_id"))
    for row in held.get("devices", ()):
        d = row.as_dict()
        raw = _str(_get(d, "mac"))
        device = MagDevice(
            device_id=_int(_get(d, "mag_id", "device_id", "id")),
            user_id=_int(_get(d, "user_id")),
            mac=decode_mac(raw),
            mac_raw=raw,
            kind="e2" if row.table.startswith("enigma") else "mag",
            table=row.table,
            line=row.line,
        )
        if device.user_id is not None:
            lk.devices.setdefault(device.user_id, device)
        yield device
    panel_rows = held.get("panel_users", ())
    for row in panel_rows:
        d = row.as_dict()
        uid = _int(_get(d, "id", "user_id"))
        if uid is not None:
            lk.panel_users[uid] = _str(_get(d, "username"))
    for row in panel_rows:
        yield _panel_user(row, lk)
    for row in held.get("servers", ()):
        server = _server(row)
        if server.server_id is not None:
            lk.servers[server.server_id] = server.name
        yield server


def _panel_user(row: SqlRow, lk: _Lookups) -> PanelUser:
    d = row.as_dict()
    password = _str(_get(d, "password"))
    group_id = _int(_get(d, "member_group_id", "group_id"))
    group = lk.groups.get(group_id) if group_id is not None else None
    owner_id = _int(_get(d, "owner_id", "owner"))
    return PanelUser(
        user_id=_int(_get(d, "id", "user_id")),
        username=_str(_get(d, "username")),
        email=_str(_get(d, "email")),
        password_hash=password,
        hash_type=hash_type(password),
        group_id=group_id,
        group=group.name if group else "",
        is_admin=group.is_admin if group else False,
        is_reseller=group.is_reseller if group else False,
        credits=_float(_get(d, "credits")),
        owner_id=owner_id,
        owner=lk.panel_users.get(owner_id, "") if owner_id else "",
        ip=_str(_get(d, "ip", "last_ip")),
        last_login=_time(_get(d, "last_login")),
        registered=_time(_get(d, "date_registered", "created_at")),
        reseller_dns=_str(_get(d, "reseller_dns")),
        status=_int(_get(d, "status")),
        notes=_str(_get(d, "notes")),
        table=row.table,
        line=row.line,
    )


def _server(row: SqlRow) -> Server:
    d = row.as_dict()
    return Server(
        server_id=_int(_get(d, "id", "server_id")),
        name=_str(_get(d, "server_name", "name")),
        domain=_str(_get(d, "domain_name", "domain")),
        ip=_str(_get(d, "server_ip", "ip")),
        vpn_ip=_str(_get(d, "vpn_ip")),
        ssh_port=_int(_get(d, "ssh_port")),
        ssh_password=_str(_get(d, "ssh_password")),
        http_port=_int(_get(d, "http_broadcast_port", "http_port")),
        https_port=_int(_get(d, "https_broadcast_port", "https_port")),
        rtmp_port=_int(_get(d, "rtmp_port")),
        total_clients=_int(_get(d, "total_clients")),
        table=row.table,
        line=row.line,
    )


def _record(panel: str, role: str, row: SqlRow, lk: _Lookups) -> PanelRecord | None:
    if role == "subscribers":
        return _stalker_user(row, lk) if panel == STALKER else _subscriber(panel, row, lk)
    if role == "streams":
        return _stream(row, lk)
    if role == "activity":
        return _activity(row, lk)
    if role == "credits":
        return _credit(row, lk)
    if role == "logins":
        return _login(row)
    return None


def _subscriber(panel: str, row: SqlRow, lk: _Lookups) -> Subscriber:
    d = row.as_dict()
    user_id = _int(_get(d, "id"))
    device = lk.devices.get(user_id) if user_id is not None else None
    if _flag(_get(d, "is_mag")) or (device and device.kind == "mag"):
        kind = "mag"
    elif _flag(_get(d, "is_e2")) or (device and device.kind == "e2"):
        kind = "e2"
    elif _flag(_get(d, "is_stalker")):
        kind = "stalker"
    else:
        kind = "app"
    reseller_id = _int(_get(d, "member_id", "created_by"))
    exp_raw = _get(d, "exp_date")
    return Subscriber(
        panel=panel,
        user_id=user_id,
        username=_str(_get(d, "username")),
        password=_str(_get(d, "password")),
        exp_date=_time(exp_raw),
        never_expires=exp_raw is None or _str(exp_raw).strip() == "",
        enabled=_flag_or_none(_get(d, "enabled")),
        admin_enabled=_flag_or_none(_get(d, "admin_enabled")),
        is_trial=_flag(_get(d, "is_trial")),
        max_connections=_int(_get(d, "max_connections")),
        created_at=_time(_get(d, "created_at")),
        reseller_id=reseller_id,
        reseller=lk.panel_users.get(reseller_id, "") if reseller_id else "",
        device=kind,
        mac=device.mac if device else "",
        allowed_ips=_text_list(_get(d, "allowed_ips")),
        bouquet=_int_list(_get(d, "bouquet")),
        admin_notes=_str(_get(d, "admin_notes")),
        reseller_notes=_str(_get(d, "reseller_notes")),
        last_ip=_str(_get(d, "last_ip")),
        last_activity=_time(_get(d, "last_activity")),
        table=row.table,
        line=row.line,
    )


def _stalker_user(row: SqlRow, lk: _Lookups) -> StalkerUser:
    d = row.as_dict()
    tariff = _int(_get(d, "tariff_plan_id"))
    return StalkerUser(
        user_id=_int(_get(d, "id")),
        mac=decode_mac(_get(d, "mac")),
        login=_str(_get(d, "login")),
        password_hash=_str(_get(d, "password")),
        fname=_str(_get(d, "fname")),
        phone=_str(_get(d, "phone")),
        ip=_str(_get(d, "ip")),
        stb_type=_str(_get(d, "stb_type")),
        status=_int(_get(d, "status")),
        tariff_plan_id=tariff,
        tariff_plan=lk.tariffs.get(tariff, "") if tariff is not None else "",
        expire_billing_date=_time(_get(d, "expire_billing_date")),
        reseller_id=_int(_get(d, "reseller_id")),
        account_balance=_float(_get(d, "account_balance")),
        created=_time(_get(d, "created")),
        last_active=_time(_get(d, "last_active", "keep_alive")),
        comment=_str(_get(d, "comment")),
        table=row.table,
        line=row.line,
    )


def _stream(row: SqlRow, lk: _Lookups) -> Stream:
    d = row.as_dict()
    stream_id = _int(_get(d, "id", "stream_id"))
    type_id = _int(_get(d, "type"))
    if type_id is not None:
        kind = lk.stream_types.get(type_id) or DEFAULT_STREAM_TYPES.get(type_id, str(type_id))
    else:
        kind = _str(_get(d, "type")).strip().lower()
    category_raw = _get(d, "category_id")
    category_ids = _int_list(category_raw) if _json_list(category_raw) is not None else (_int(category_raw),)
    category = " | ".join(lk.categories[c] for c in category_ids if c is not None and c in lk.categories)
    series_id = lk.episode_series.get(stream_id) if stream_id is not None else None
    return Stream(
        stream_id=stream_id,
        name=_str(_get(d, "stream_display_name", "name", "title")),
        type_id=type_id,
        type=kind,
        category=category,
        series=lk.series.get(series_id, "") if series_id is not None else "",
        sources=_text_list(_get(d, "stream_source")),
        epg_id=_str(_get(d, "epg_id")),
        channel_id=_str(_get(d, "channel_id")),
        added=_time(_get(d, "added")),
        table=row.table,
        line=row.line,
    )


def _activity(row: SqlRow, lk: _Lookups) -> Activity:
    d = row.as_dict()
    stream_id = _int(_get(d, "stream_id"))
    server_id = _int(_get(d, "server_id"))
    return Activity(
        row_id=_int(_get(d, "activity_id", "id")),
        user_id=_int(_get(d, "user_id", "line_id")),
        stream_id=stream_id,
        stream=lk.streams.get(stream_id, "") if stream_id is not None else "",
        server_id=server_id,
        server=lk.servers.get(server_id, "") if server_id is not None else "",
        user_agent=_str(_get(d, "user_agent")),
        ip=_str(_get(d, "user_ip", "ip")),
        container=_str(_get(d, "container")),
        start=_time(_get(d, "date_start")),
        end=_time(_get(d, "date_end")),
        country=_str(_get(d, "geoip_country_code", "country")).upper(),
        isp=_str(_get(d, "isp")),
        table=row.table,
        line=row.line,
    )


def _credit(row: SqlRow, lk: _Lookups) -> CreditLog:
    d = row.as_dict()
    if row.table == "reg_userlog":  # a line created or renewed by a reseller
        actor_id = _int(_get(d, "owner"))
        return CreditLog(
            row_id=_int(_get(d, "id")),
            actor_id=actor_id,
            actor=lk.panel_users.get(actor_id, "") if actor_id else "",
            target_id=None,
            target=_str(_get(d, "username")),
            amount=None,
            reason=_str(_get(d, "type")),
            date=_time(_get(d, "date")),
            table=row.table,
            line=row.line,
        )
    if row.table == "users_logs":  # XUI reseller activity with cost
        actor_id = _int(_get(d, "owner"))
        target_id = _int(_get(d, "log_id", "user_id", "line_id"))
        reason = " ".join(p for p in (_str(_get(d, "type")), _str(_get(d, "action"))) if p)
        return CreditLog(
            row_id=_int(_get(d, "id")),
            actor_id=actor_id,
            actor=lk.panel_users.get(actor_id, "") if actor_id else "",
            target_id=target_id,
            target="",
            amount=_float(_get(d, "cost")),
            reason=reason,
            date=_time(_get(d, "date")),
            table=row.table,
            line=row.line,
        )
    actor_id = _int(_get(d, "admin_id"))
    target_id = _int(_get(d, "target_id"))
    return CreditLog(
        row_id=_int(_get(d, "id")),
        actor_id=actor_id,
        actor=lk.panel_users.get(actor_id, "") if actor_id else "",
        target_id=target_id,
        target=lk.panel_users.get(target_id, "") if target_id else "",
        amount=_float(_get(d, "amount")),
        reason=_str(_get(d, "reason")),
        date=_time(_get(d, "date")),
        table=row.table,
        line=row.line,
    )


def _login(row: SqlRow) -> LoginLog:
    d = row.as_dict()
    return LoginLog(
        row_id=_int(_get(d, "id")),
        user_id=_int(_get(d, "user_id")),
        user=_str(_get(d, "username")),
        ip=_str(_get(d, "login_ip", "ip")),
        date=_time(_get(d, "date")),
        status=_str(_get(d, "status")),
        kind=_str(_get(d, "type")),
        table=row.table,
        line=row.line,
    )

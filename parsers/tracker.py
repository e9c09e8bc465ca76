"""Private trackers: Ocelot's ocelot.conf and Gazelle/UNIT3D user rows from SQL dumps."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from workbench.parsers.errors import ParseError

if TYPE_CHECKING:
    from workbench.parsers.sqldump import SqlRow

USER_TABLES = frozenset({"users_main", "users_info", "users"})


@dataclass(frozen=True)
class OcelotConf:
    """ocelot.conf `key = value` settings and the ones that matter."""

    settings: tuple[tuple[str, str, int], ...]
    listen_port: int | None
    mysql_host: str | None
    mysql_port: int | None
    mysql_username: str | None
    mysql_password: str | None
    mysql_db: str | None
    site_host: str | None
    site_password: str | None
    report_password: str | None
    log_path: str | None

    def get(self, key: str) -> str | None:
        """The value of ``key`` (first occurrence)."""
        return next((v for k, v, _ in self.settings if k == key), None)


_SETTING = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]{0,60})\s*=\s*(.*?)\s*$")


def parse_ocelot_conf(data: bytes | str) -> OcelotConf:
    """Parse ocelot.conf; ParseError when it has no `key = value` line."""
    if isinstance(data, bytes):
        if len(data) > 4 * 1024 * 1024:
            raise ParseError("ocelot.conf larger than 4 MiB")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    else:
        text = data
    settings = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()[:8192]
        if not line or line.startswith(("#", ";")):
            continue
        m = _SETTING.match(line)
        if m:
            value = m.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            settings.append((m.group(1).lower(), value, number))
    if not settings:
        raise ParseError("no `key = value` settings: not an ocelot.conf")
    first: dict[str, str] = {}
    for key, value, _ in settings:
        first.setdefault(key, value)

    def port(key: str) -> int | None:
        value = first.get(key, "")
        return int(value) if value.isdecimal() and len(value) <= 5 else None

    return OcelotConf(
        settings=tuple(settings),
        listen_port=port("listen_port"),
        mysql_host=first.get("mysql_host"),
        mysql_port=port("mysql_port"),
        mysql_username=first.get("mysql_username"),
        mysql_password=first.get("mysql_password"),
        mysql_db=first.get("mysql_db"),
        site_host=first.get("site_host"),
        site_password=first.get("site_password"),
        report_password=first.get("report_password"),
        log_path=first.get("log_path"),
    )


@dataclass(frozen=True)
class TrackerUser:
    """A tracker member from a Gazelle `users_main` or UNIT3D `users` row."""

    tracker: str  # gazelle | unit3d
    user_id: int | None
    username: str
    email: str | None
    passkey: str | None
    uploaded: int | None
    downloaded: int | None
    invites: int | None
    ip: str | None
    last_login: datetime | None
    bitcoin_address: str | None
    password_hash: str | None
    table: str
    line: int


def _value(cols: dict[str, object], *names: str) -> object:
    for name in names:
        if name in cols and cols[name] is not None:
            return cols[name]
    return None


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "backslashreplace")
    text = str(value).strip()
    return text or None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value)
    return int(text) if text and re.fullmatch(r"-?\d{1,20}", text) else None


def _time(value: object) -> datetime | None:
    epoch = _int(value)
    if epoch is not None:
        return datetime.fromtimestamp(epoch, tz=UTC) if 0 < epoch < 253402300800 else None
    text = _text(value)
    if not text or text.startswith("0000-00-00"):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def user_from_row(row: SqlRow) -> TrackerUser | None:
    """Map a `users_main` (Gazelle) or `users` (UNIT3D, recognised by its passkey column) row."""
    if not row.columns:
        return None
    cols = {c.lower(): v for c, v in zip(row.columns, row.values, strict=False)}
    table = row.table.lower()
    if table == "users_main":
        tracker = "gazelle"
        passkey = _text(cols.get("torrent_pass"))
    elif table == "users" and "passkey" in cols:
        tracker = "unit3d"
        passkey = _text(cols.get("passkey"))
    else:
        return None
    username = _text(cols.get("username"))
    if not username:
        return None
    return TrackerUser(
        tracker=tracker,
        user_id=_int(cols.get("id")),
        username=username,
        email=_text(cols.get("email")),
        passkey=passkey,
        uploaded=_int(cols.get("uploaded")),
        downloaded=_int(cols.get("downloaded")),
        invites=_int(cols.get("invites")),
        ip=_text(_value(cols, "ip", "last_ip")),
        last_login=_time(_value(cols, "lastlogin", "last_login", "lastaccess", "last_action")),
        bitcoin_address=_text(cols.get("bitcoinaddress")),
        password_hash=_text(_value(cols, "passhash", "password")),
        table=row.table,
        line=row.line,
    )


def bitcoin_by_user(rows: Iterable[SqlRow]) -> dict[int, str]:
    """Gazelle `users_info(UserID, …, BitcoinAddress)`: user id -> address."""
    out: dict[int, str] = {}
    for row in rows:
        if row.table.lower() != "users_info" or not row.columns:
            continue
        cols = {c.lower(): v for c, v in zip(row.columns, row.values, strict=False)}
        user_id, address = _int(cols.get("userid")), _text(cols.get("bitcoinaddress"))
        if user_id is not None and address:
            out[user_id] = address
    return out


def join_users(rows: Iterable[SqlRow]) -> Iterator[TrackerUser]:
    """Tracker users from a dump's rows, with Gazelle BitcoinAddress joined in from users_info."""
    users: list[TrackerUser] = []
    info_rows: list[SqlRow] = []
    for row in rows:
        if row.table.lower() == "users_info":
            info_rows.append(row)
            continue
        user = user_from_row(row)
        if user is not None:
            users.append(user)
    addresses = bitcoin_by_user(info_rows)
    for user in users:
        if user.bitcoin_address is None and user.user_id in addresses:
            yield replace(user, bitcoin_address=addresses[user.user_id])
        else:
            yield user

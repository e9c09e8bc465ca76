"""Panel recognition and the mapping of panel tables to records."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from workbench.parsers import panel_db
from workbench.parsers.panel_db import (
    Activity,
    CreditLog,
    MagDevice,
    PanelUser,
    StalkerUser,
    Stream,
    Subscriber,
    decode_mac,
    detect_panel,
    hash_type,
    iter_panel_records,
)
from workbench.parsers.sqldump import SqlRow, iter_rows, table_names

XTREAM_DUMP = b"""INSERT INTO `member_groups` (`group_id`,`group_name`,`is_admin`,`is_reseller`,`is_banned`) VALUES (1,'Administrators',1,0,0),(4,'Resellers',0,1,0);
INSERT INTO `reg_users` (`id`,`username`,`password`,`email`,`member_group_id`,`credits`,`owner_id`,`last_login`) VALUES (1,'admin','$6$rounds=20000$xtreamcodes$abc','a@x.invalid',1,0,0,1717200000),(2,'res1','5f4dcc3b5aa765d61d8327deb882cf99','r@x.invalid',4,12.5,1,NULL);
INSERT INTO `mag_devices` (`mag_id`,`user_id`,`mac`) VALUES (1,7,'MDA6MUE6Nzk6MTI6MzQ6NTY=');
INSERT INTO `streams_types` VALUES (1,'Live Streams','live','live',1),(4,'Radio','radio_streams','live',1);
INSERT INTO `stream_categories` (`id`,`category_type`,`category_name`) VALUES (3,'live','UK | Sports');
INSERT INTO `streams` (`id`,`type`,`category_id`,`stream_display_name`,`stream_source`,`channel_id`,`added`) VALUES (11,1,3,'UK: Sport One HD','[\\"http:\\\\/\\\\/up.fake.invalid\\\\/1.ts\\",\\"http:\\\\/\\\\/up2.fake.invalid\\\\/1.ts\\"]','sportone.uk',1700000000),(12,4,NULL,'Radio X','not json',NULL,0);
INSERT INTO `users` (`id`,`member_id`,`username`,`password`,`exp_date`,`admin_enabled`,`enabled`,`is_trial`,`bouquet`,`allowed_ips`,`is_mag`,`created_at`,`extra_col`) VALUES (7,2,'jdoe42','Pa55w0rd',NULL,1,1,0,'[1,2,3]','[\\"203.0.113.9\\"]',1,1690000000,'x'),(8,99,'ghost','pw','1717286400',0,1,1,'','',0,0,NULL);
INSERT INTO `user_activity` (`activity_id`,`user_id`,`stream_id`,`server_id`,`user_ip`,`date_start`,`date_end`,`geoip_country_code`) VALUES (1,7,11,1,'203.0.113.9',1717272000,1717279200,'gb');
INSERT INTO `credits_log` (`id`,`target_id`,`admin_id`,`amount`,`date`,`reason`) VALUES (1,2,1,100,1717000000,'Top-up');
INSERT INTO `credits_log` VALUES (2,2,1,5,1717000000,'no column names known');
"""

STALKER_DUMP = b"""CREATE TABLE `users` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `mac` varchar(64) NOT NULL DEFAULT '',
  `login` varchar(64) NOT NULL DEFAULT '',
  `password` varchar(64) NOT NULL DEFAULT '',
  `fname` varchar(64) NOT NULL DEFAULT '',
  `phone` varchar(64) NOT NULL DEFAULT '',
  `ip` varchar(128) NOT NULL DEFAULT '',
  `stb_type` varchar(64) NOT NULL DEFAULT '',
  `status` tinyint(4) NOT NULL DEFAULT '0',
  `tariff_plan_id` int(11) NOT NULL DEFAULT '0',
  `expire_billing_date` timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  `reseller_id` int(11) DEFAULT NULL,
  `account_balance` decimal(10,2) NOT NULL DEFAULT '0.00',
  `created` timestamp NULL DEFAULT NULL,
  `last_active` timestamp NULL DEFAULT NULL,
  `comment` text,
  PRIMARY KEY (`id`),
  UNIQUE KEY `mac` (`mac`)
);
INSERT INTO `tariff_plan` (`id`,`name`) VALUES (2,'Full HD 12 months');
INSERT INTO `users` VALUES (5,'00:1a:79:aa:bb:cc','room12','0cc175b9c0f1b6a831c399e269772661','M. Rossi','+351 200 000 000','198.51.100.40','MAG254',0,2,'2024-12-31 23:59:59',3,12.50,'2023-01-02 10:00:00','0000-00-00 00:00:00','PayPal m.rossi@mail.invalid');
"""


def _records(dump: bytes) -> list[panel_db.PanelRecord]:
    names = table_names(io.BytesIO(dump))
    first_users = next(iter_rows(io.BytesIO(dump), {"users"}), None)
    panel = detect_panel(names, {"users": first_users.columns} if first_users else None)
    assert panel is not None
    first = iter_rows(io.BytesIO(dump), panel_db.context_tables(panel))
    second = iter_rows(io.BytesIO(dump), panel_db.record_tables(panel))
    return list(iter_panel_records(first, second, panel))


def test_panel_recognition_from_tables_and_columns() -> None:
    assert detect_panel(["users", "reg_users", "member_groups"]) == "xtream-ui"
    assert detect_panel(["users", "user_activity"]) == "xtream-ui"
    assert detect_panel(["lines", "users", "users_groups"]) == "xui-one"
    assert detect_panel(["lines", "lines_activity"]) == "xui-one"
    assert detect_panel(["users", "tariff_plan", "itv"]) == "stalker"
    assert detect_panel(["users"], {"users": ("id", "mac", "login", "tariff_plan_id")}) == "stalker"
    assert detect_panel(["users", "posts"]) is None
    assert detect_panel(["wp_users", "lines_of_text"]) is None


def test_xtream_records_with_lookups_defaults_and_extra_columns() -> None:
    records = _records(XTREAM_DUMP)
    admin, reseller = (r for r in records if isinstance(r, PanelUser))
    assert (admin.group, admin.is_admin, admin.hash_type, admin.last_login) == (
        "Administrators",
        True,
        "crypt-sha512",
        datetime(2024, 6, 1, tzinfo=UTC),
    )
    assert (reseller.group, reseller.is_reseller, reseller.credits, reseller.owner, reseller.hash_type) == (
        "Resellers",
        True,
        12.5,
        "admin",
        "md5",
    )
    (mag,) = (r for r in records if isinstance(r, MagDevice))
    assert mag.mac == "00:1A:79:12:34:56"
    live, radio = (r for r in records if isinstance(r, Stream))
    assert (live.type, live.category, live.channel_id) == ("live", "UK | Sports", "sportone.uk")
    assert live.sources == ("http://up.fake.invalid/1.ts", "http://up2.fake.invalid/1.ts")
    assert (radio.type, radio.sources, radio.added) == ("radio", ("not json",), None)
    jdoe, ghost = (r for r in records if isinstance(r, Subscriber))
    assert (jdoe.username, jdoe.password, jdoe.exp_date, jdoe.never_expires) == (
        "jdoe42",
        "Pa55w0rd",
        None,
        True,
    )
    assert (jdoe.reseller, jdoe.device, jdoe.mac, jdoe.bouquet, jdoe.allowed_ips) == (
        "res1",
        "mag",
        "00:1A:79:12:34:56",
        (1, 2, 3),
        ("203.0.113.9",),
    )
    assert (ghost.exp_date, ghost.admin_enabled, ghost.is_trial, ghost.reseller, ghost.created_at) == (
        datetime(2024, 6, 2, tzinfo=UTC),
        False,
        True,
        "",
        None,
    )
    (act,) = (r for r in records if isinstance(r, Activity))
    assert (act.user_id, act.stream, act.country, act.row_id) == (7, "UK: Sport One HD", "GB", 1)
    credit, unnamed = (r for r in records if isinstance(r, CreditLog))
    assert (credit.actor, credit.target, credit.amount, credit.reason) == ("admin", "res1", 100.0, "Top-up")
    assert (unnamed.actor, unnamed.amount, unnamed.reason) == (
        "",
        None,
        "",
    )  # columns unknown: kept, not guessed


def test_stalker_users() -> None:
    (user,) = (r for r in _records(STALKER_DUMP) if isinstance(r, StalkerUser))
    assert (user.mac, user.login, user.tariff_plan, user.account_balance) == (
        "00:1A:79:AA:BB:CC",
        "room12",
        "Full HD 12 months",
        12.5,
    )
    assert user.expire_billing_date == datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert (user.last_active, user.comment) == (None, "PayPal m.rossi@mail.invalid")


def test_mac_and_hash_helpers() -> None:
    assert decode_mac("MDA6MUE6Nzk6MTI6MzQ6NTY=") == "00:1A:79:12:34:56"
    assert decode_mac("ABp5EjRW") == "00:1A:79:12:34:56"  # Base64 of the six raw bytes
    assert decode_mac("00-1a-79-12-34-56") == "00:1A:79:12:34:56"
    assert decode_mac("not a mac") == "not a mac"
    assert [hash_type(h) for h in ("$2y$10$abc", "a" * 40, "", "hunter2")] == [
        "bcrypt",
        "sha1",
        "",
        "unknown",
    ]


tables = st.sampled_from(
    sorted(
        panel_db.context_tables("xtream-ui") | panel_db.record_tables("xtream-ui") | {"lines", "users_logs"}
    )
)
columns = st.sampled_from(
    [
        "id",
        "user_id",
        "username",
        "exp_date",
        "type",
        "category_id",
        "mac",
        "date_start",
        "stream_source",
        "member_group_id",
        "credits",
        "owner",
        "bouquet",
    ]
)
values = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.text(max_size=20),
    st.binary(max_size=8),
    st.floats(allow_nan=False),
)
rows = st.builds(
    lambda t, cols, vals, line: SqlRow(t, tuple(cols), tuple(vals), line),
    tables,
    st.lists(columns, max_size=6),
    st.lists(values, max_size=8),
    st.integers(1, 100),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(rows, max_size=12), st.sampled_from(panel_db.PANELS))
def test_arbitrary_rows_never_crash(sample: list[SqlRow], panel: str) -> None:
    for record in iter_panel_records(sample, sample, panel):
        assert record.line >= 1

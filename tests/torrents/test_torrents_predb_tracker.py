"""Pre-DB and tracker rows (from real dump text through sqldump) and ocelot.conf."""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbench.parsers.errors import ParseError
from workbench.parsers.predb import NukeRecord, PreRecord, from_row, iter_pre
from workbench.parsers.sqldump import SqlRow, iter_rows
from workbench.parsers.tracker import join_users, parse_ocelot_conf, user_from_row

PREBOT_DUMP = b"""-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
CREATE TABLE `MAIN` (
  `id` int NOT NULL AUTO_INCREMENT,
  `rlsname` varchar(255) NOT NULL,
  `group` varchar(50) NOT NULL,
  `section` varchar(20) NOT NULL,
  `datetime` int unsigned NOT NULL,
  `status` varchar(10) NOT NULL,
  `files` int DEFAULT NULL,
  `size` decimal(10,2) DEFAULT NULL,
  `nukereason` varchar(255) DEFAULT NULL,
  `genre` varchar(50) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB;
INSERT INTO `MAIN` VALUES (1,'Example.Film.2024.1080p.BluRay.x264-FAKEGRP','FAKEGRP','X264',1717243200,'ADDPRE',49,4900.00,NULL,NULL),(2,'Fake_Artist-Some_Title-WEB-2024-FAKEMP3','FAKEMP3','MP3',1717246800,'SiTEPRE',12,98.50,NULL,'Techno');
INSERT INTO `NUKE` (`rlsname`,`group`,`datetime`,`nuke`,`reason`,`nukenet`) VALUES ('Example.Film.2024.1080p.BluRay.x264-FAKEGRP','FAKEGRP',1717250000,'NUKE','dupe.2023','FakeNukeNet');
INSERT INTO `pretimes` VALUES (1104537600,'TV','Fake.Show.S01E01.HDTV.XviD-OLDGRP',15,358400,15,1,1104540000,'bad.aspect');
"""

GAZELLE_DUMP = b"""INSERT INTO `users_main` (`ID`,`Username`,`Email`,`PassHash`,`LastLogin`,`IP`,`Uploaded`,`Downloaded`,`Invites`,`torrent_pass`) VALUES (1,'racer1','racer1@mail.invalid','$2y$10$fakefakefakefakefakefu','2024-06-01 13:59:02','198.51.100.23',734003200,10240,2,'0123456789abcdef0123456789abcdef');
INSERT INTO `users_info` (`UserID`,`JoinDate`,`Inviter`,`BitcoinAddress`) VALUES (1,'2019-02-01 10:00:00',0,'13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79h');
INSERT INTO `users` (`id`,`username`,`email`,`password`,`passkey`,`uploaded`,`downloaded`,`invites`,`last_login`) VALUES (7,'unituser','unit@mail.invalid','$2y$10$x','fedcba9876543210fedcba9876543210',100,200,0,'2024-05-30 08:00:00');
INSERT INTO `users` (`id`,`username`,`password`,`exp_date`) VALUES (3,'jdoe42','Pa55w0rd',NULL);
"""


def test_prebot_rows() -> None:
    records = list(iter_pre(io.BytesIO(PREBOT_DUMP)))
    assert len(records) == 4
    first = records[0]
    assert isinstance(first, PreRecord)
    assert (first.release, first.group, first.section, first.status, first.files, first.size_mb) == (
        "Example.Film.2024.1080p.BluRay.x264-FAKEGRP",
        "FAKEGRP",
        "X264",
        "ADDPRE",
        49,
        4900.0,
    )
    assert first.time == datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    assert records[1].genre == "Techno"
    nuke = records[2]
    assert isinstance(nuke, NukeRecord)
    assert (nuke.action, nuke.reason, nuke.network) == ("NUKE", "dupe.2023", "FakeNukeNet")
    old = records[3]
    assert isinstance(old, PreRecord)
    assert (old.release, old.group, old.status, old.size_mb, old.nuke_reason) == (
        "Fake.Show.S01E01.HDTV.XviD-OLDGRP",
        "OLDGRP",
        "NUKED",
        350.0,
        "bad.aspect",
    )


def test_constructed_rows_without_columns() -> None:
    row = SqlRow(
        "MAIN",
        (),
        (
            5,
            "Fake.Show.S02E05.720p.HDTV.x264-NOGRP",
            "NOGRP",
            "TV",
            "2024-06-01 20:00:00",
            "ADDOLD",
            20,
            1200,
            None,
            None,
        ),
        9,
    )
    record = from_row(row)
    assert isinstance(record, PreRecord)
    assert (
        record.time == datetime(2024, 6, 1, 20, 0, tzinfo=UTC)
        and record.status == "ADDOLD"
        and record.line == 9
    )
    assert from_row(SqlRow("users", ("id",), (1,), 1)) is None
    assert from_row(SqlRow("MAIN", ("rlsname",), (None,), 1)) is None


def test_tracker_users() -> None:
    users = list(join_users(iter_rows(io.BytesIO(GAZELLE_DUMP))))
    assert [(u.tracker, u.username) for u in users] == [("gazelle", "racer1"), ("unit3d", "unituser")]
    gazelle, unit3d = users
    assert gazelle.passkey == "0123456789abcdef0123456789abcdef"
    assert gazelle.bitcoin_address == "13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79h"
    assert (gazelle.uploaded, gazelle.downloaded, gazelle.invites, gazelle.ip) == (
        734003200,
        10240,
        2,
        "198.51.100.23",
    )
    assert gazelle.last_login == datetime(2024, 6, 1, 13, 59, 2, tzinfo=UTC)
    assert unit3d.passkey == "fedcba9876543210fedcba9876543210" and unit3d.email == "unit@mail.invalid"
    assert user_from_row(SqlRow("users_main", (), ("x",), 1)) is None


def test_ocelot_conf() -> None:
    conf = parse_ocelot_conf(
        b"# ocelot\nlisten_port = 34000\nmysql_host = localhost\nmysql_username = ocelot\n"
        b"mysql_password = 0c3l0tFake\nmysql_db = gazelle\nsite_host = tracker.fake.invalid\n"
        b"site_password = 00000000000000000000000000000000\nreport_password = 11111111111111111111111111111111\n"
        b"log_path = /var/log/ocelot\n"
    )
    assert conf.listen_port == 34000 and conf.mysql_db == "gazelle" and conf.mysql_password == "0c3l0tFake"
    assert conf.report_password == "1" * 32 and conf.log_path == "/var/log/ocelot"
    with pytest.raises(ParseError):
        parse_ocelot_conf(b"no settings here\n")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20), st.binary(max_size=10)
        ),
        max_size=12,
    ),
    st.sampled_from(["MAIN", "NUKE", "pretimes", "users_main", "users", "other"]),
    st.booleans(),
)
def test_arbitrary_rows(values: list[object], table: str, named: bool) -> None:
    names = (
        "rlsname",
        "group",
        "section",
        "datetime",
        "status",
        "files",
        "size",
        "username",
        "passkey",
        "uploaded",
        "last_login",
        "bitcoinaddress",
    )
    columns = names[: len(values)] if named else ()
    row = SqlRow(table, columns, tuple(values), 1)
    from_row(row)
    user_from_row(row)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse_ocelot_conf(data)
    with contextlib.suppress(ParseError):
        list(iter_pre(io.BytesIO(PREBOT_DUMP[: len(data)] + data)))

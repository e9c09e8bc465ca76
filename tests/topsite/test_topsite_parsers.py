"""glFTPd config, passwd, group, user files and logs; xferlog; eggdrop and ngBot configs."""

from __future__ import annotations

import contextlib
import io
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbench.parsers.errors import ParseError
from workbench.parsers.glftpd import (
    iter_lines,
    iter_log,
    parse_glftpd_conf,
    parse_group,
    parse_passwd,
    parse_userfile,
    split_args,
)
from workbench.parsers.sitebot import parse_eggdrop, parse_ngbot
from workbench.parsers.xferlog import iter_xferlog, parse_line

GLCONF = b"""# glftpd.conf
rootpath        /glftpd
datapath        /ftp-data
sitename_long   FAKE SITE OF EXAMPLES
sitename_short  FSE
email           siteop@fakesite.invalid
login_prompt    FSE ready: welcome to the fake site
pasv_addr       198.51.100.10 1
pasv_ports      50000-50100
stat_section    X264-1080  /site/x264-1080/*  no
stat_section    TV-X265    /site/tv-x265/*    no
privpath        /site/PRIVATE/staff   =STAFF
path-filter     *  /ftp-data/misc/pathmsg  ^[-A-Za-z0-9_.()[:space:]]*$  ^\\.  ^-
"""

USERFILE = b"""USER Added by siteop
GENERAL 0,120 -1 0 0
LOGINS 3 0 -1 -1
FLAGS 3
TAGLINE fast as light
HOMEDIR /site
DIR /
RATIO 0
CREDITS 104857600
ALLUP 1520 734003200 6120 10 2048 5
ALLDN 12 10240 30
WKUP 40 20480 60
GROUP FakeGrp 0
GROUP Staff 1
PRIVATE Secret
IP *@198.51.100.*
IP racer@203.0.113.7
"""

GLLOG = b"""Sat Jun  1 14:02:11 2024 NEWDIR: "/site/x264-1080/Example.Film.2024.1080p.BluRay.x264-FAKEGRP" "racer1" "FakeGrp" "fast as light"
Sat Jun  1 13:59:02 2024 LOGIN: "*@198.51.100.23" "198.51.100.23" "racer1" "FakeGrp" "fast as light"
Sat Jun  1 14:30:00 2024 [12345 ] NUKE: "/site/tv/Some "Quoted" Dir-GRP" "siteop" "3" "dupe"
Sat Jun  1 14:31:00 2024 WIPE: unquoted /site/x old-grp
Sat Jun  1 14:32:00 2024 'siteop' added user 'racer2'.
garbage line
"""

XFER = (
    b"Sat Jun  1 14:05:40 2024 12 198.51.100.23 52428800 /site/x264-1080/Example.Film.2024.1080p.BluRay.x264-FAKEGRP/fakegrp-ef1080.r00 b _ i r racer1 FakeGrp 0 * c\n"
    b"Sat Jun  1 15:00:01 2024 3 203.0.113.9 1024 /pub/my file with spaces.txt a _ o r leech ftp 0 * \n"
    b"Sat Jun  1 15:00:02 2024 3 203.0.113.9 1024 /pub/x.nfo b _ o r leech ftp 1 leech i\n"
    b"not an xferlog line\n"
)

EGGDROP = b"""# eggdrop config
set nick "FakeBot"
set altnick "FakeBot_"
set username "fakebot"
set admin "siteop <email: siteop@fakesite.invalid>"
set network "FakeNet"
set userfile "FakeBot.user"
set chanfile "FakeBot.chan"
logfile mco * "logs/eggdrop.log"
loadmodule server
loadmodule blowfish
server add irc.fakenet.invalid 6697 s3rverpass
server add irc2.fakenet.invalid +7000
channel add #fse-spam {
  chanmode "+snt"
  idle-kick 0
}
channel add #fse-staff
set blowfish(#fse-spam) "fakeBlowKeySpam1"
source scripts/pzs-ng/ngBot.tcl
"""

NGBOT = b"""set sitename "FSE"
set mainchan "#fse-spam"
set glroot "/glftpd"
set location(USERS) "/ftp-data/users/"
set location(PASSWD) "/etc/passwd"
set location(GROUP) "/etc/group"
set location(GLCONF) "/etc/glftpd.conf"
set glftpdlog(NORMAL) "/ftp-data/logs/glftpd.log"
set bnc(ENABLED) TRUE
set bnc(LIST) "bnc.fakesite.invalid:31337"
set bnc(USER) "bncuser"
set bnc(PASS) "bncpass"
set paths(X264-1080) "/site/x264-1080/*"
set chanlist(X264-1080) "#fse-spam #fse-x264"
set blowfish(#fse-spam) "fakeBlowKeySpam1"
"""


def test_glftpd_conf() -> None:
    conf = parse_glftpd_conf(GLCONF)
    assert conf.sitename_long == "FAKE SITE OF EXAMPLES"
    assert conf.sitename_short == "FSE"
    assert conf.email == "siteop@fakesite.invalid"
    assert conf.login_prompt == "FSE ready: welcome to the fake site"
    assert conf.pasv_addr == ("198.51.100.10",)
    assert [(s.name, s.path) for s in conf.sections] == [
        ("X264-1080", "/site/x264-1080/*"),
        ("TV-X265", "/site/tv-x265/*"),
    ]
    assert conf.privpaths == ("/site/PRIVATE/staff   =STAFF",)
    assert conf.get("pasv_ports") == "50000-50100"
    assert len(conf.path_filters) == 1


def test_passwd_and_group() -> None:
    entries = parse_passwd(
        b"glftpd:$1$abc$xyz:0:0:01-01-70:/site:/bin/false\nracer1:$8f0e$1a2b:101:300:06-01-24:/site:/bin/false\nbroken\n"
    )
    assert [(e.user, e.uid, e.gid, e.added, e.homedir) for e in entries] == [
        ("glftpd", 0, 0, "1970-01-01", "/site"),
        ("racer1", 101, 300, "2024-06-01", "/site"),
    ]
    groups = parse_group(b"FakeGrp:Fake Group:300:0\nSiteOP:Site Ops:100:0\n")
    assert [(g.name, g.description, g.gid) for g in groups] == [
        ("FakeGrp", "Fake Group", 300),
        ("SiteOP", "Site Ops", 100),
    ]
    with pytest.raises(ParseError):
        parse_passwd(b"just some text\n")


def test_userfile() -> None:
    user = parse_userfile(USERFILE, "racer1")
    assert user.added_by == "siteop"
    assert user.flags == "3" and not user.deleted
    assert user.tagline == "fast as light"
    assert user.credits_kb == (104857600,)
    assert user.stats["ALLUP"].per_section == ((1520, 734003200, 6120), (10, 2048, 5))
    assert user.stats["ALLUP"].files == 1530 and user.stats["ALLUP"].kilobytes == 734005248
    assert user.stats["ALLDN"].kilobytes == 10240
    assert user.groups == ("FakeGrp", "Staff") and user.gadmin_groups == ("Staff",)
    assert user.private_groups == ("Secret",)
    assert user.ips == ("*@198.51.100.*", "racer@203.0.113.7")
    assert parse_userfile(b"FLAGS 36\n", "gone").deleted
    with pytest.raises(ParseError):
        parse_userfile(b"hello there\nthis is prose\nnot a user\n", "x")


def test_glftpd_log() -> None:
    events = list(iter_log(io.BytesIO(GLLOG)))
    assert [e.event for e in events] == ["NEWDIR", "LOGIN", "NUKE", "WIPE", "MESSAGE"]
    assert events[0].time == datetime(2024, 6, 1, 14, 2, 11)
    assert events[0].args == (
        "/site/x264-1080/Example.Film.2024.1080p.BluRay.x264-FAKEGRP",
        "racer1",
        "FakeGrp",
        "fast as light",
    )
    assert events[2].pid == 12345
    assert events[2].args[0] == '/site/tv/Some "Quoted" Dir-GRP'
    assert events[3].args == ("unquoted", "/site/x", "old-grp")
    assert events[4].args == ("'siteop' added user 'racer2'.",)
    assert [e.line for e in events] == [1, 2, 3, 4, 5]


def test_split_args_edge_cases() -> None:
    assert split_args('"" "x"') == ("", "x")
    assert split_args('"unterminated') == ("unterminated",)
    assert split_args('"a"  "b c" ') == ("a", "b c")
    assert split_args('a "b" c') == ("a", "b", "c")


def test_xferlog() -> None:
    entries = list(iter_xferlog(io.BytesIO(XFER)))
    assert len(entries) == 3
    first = entries[0]
    assert first.time == datetime(2024, 6, 1, 14, 5, 40)
    assert (first.seconds, first.remote_host, first.size) == (12, "198.51.100.23", 52428800)
    assert first.filename.endswith("/fakegrp-ef1080.r00")
    assert (first.direction, first.user, first.service, first.completed) == ("up", "racer1", "FakeGrp", True)
    assert entries[1].filename == "/pub/my file with spaces.txt"
    assert entries[1].completed is None and entries[1].direction == "down"
    assert entries[2].completed is False and entries[2].auth_user_id == "leech"
    assert parse_line("Sat Jun  1 15:00:01 2024 3 host 10 /x b _ x r u g 0 *") is None


def test_eggdrop() -> None:
    conf = parse_eggdrop(EGGDROP)
    assert (conf.nick, conf.username, conf.network) == ("FakeBot", "fakebot", "FakeNet")
    assert conf.userfile == "FakeBot.user" and conf.chanfile == "FakeBot.chan"
    assert [(s.host, s.port, s.password) for s in conf.servers] == [
        ("irc.fakenet.invalid", 6697, "s3rverpass"),
        ("irc2.fakenet.invalid", 7000, None),
    ]
    assert conf.channels == ("#fse-spam", "#fse-staff")
    assert conf.blowfish and conf.blowfish_module
    assert conf.blowfish_keys == {"#fse-spam": "fakeBlowKeySpam1"}
    assert conf.logfiles == ("logs/eggdrop.log",)
    assert conf.sources == ("scripts/pzs-ng/ngBot.tcl",)
    no_fish = parse_eggdrop(b'set nick "x"\nloadmodule server\n')
    assert not no_fish.blowfish


def test_ngbot() -> None:
    conf = parse_ngbot(NGBOT)
    assert (conf.sitename, conf.mainchan, conf.glroot) == ("FSE", "#fse-spam", "/glftpd")
    assert conf.locations["USERS"] == "/ftp-data/users/"
    assert conf.glftpdlog == {"NORMAL": "/ftp-data/logs/glftpd.log"}
    assert conf.bnc["USER"] == "bncuser"
    assert conf.paths == {"X264-1080": "/site/x264-1080/*"}
    assert conf.channels == ("#fse-spam", "#fse-x264")
    assert conf.blowfish_keys == {"#fse-spam": "fakeBlowKeySpam1"}
    with pytest.raises(ParseError):
        parse_ngbot(b"# only a comment\n")


def test_iter_lines_caps_long_lines() -> None:
    data = b"a" * 200_000 + b"\nshort\n"
    lines = list(iter_lines(io.BytesIO(data), limit=1000))
    assert [(n, len(t)) for n, t in lines] == [(1, 1000), (2, 5)]


TEXT_PARSERS = (
    parse_glftpd_conf,
    parse_passwd,
    parse_group,
    lambda d: parse_userfile(d, "u"),
    parse_eggdrop,
    parse_ngbot,
)
STREAM_PARSERS = (lambda d: list(iter_log(io.BytesIO(d))), lambda d: list(iter_xferlog(io.BytesIO(d))))


def _run_all(data: bytes) -> None:
    for parser in (*TEXT_PARSERS, *STREAM_PARSERS):
        with contextlib.suppress(ParseError):
            parser(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1500))
def test_arbitrary_bytes(data: bytes) -> None:
    _run_all(data)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([GLCONF, USERFILE, GLLOG, XFER, EGGDROP, NGBOT]),
    st.integers(0, 1500),
    st.binary(max_size=20),
)
def test_mangled_samples(sample: bytes, cut: int, junk: bytes) -> None:
    _run_all(sample[:cut])
    _run_all(sample[:cut] + junk + sample[cut:])


def test_hostile_lines_do_not_hang() -> None:
    _run_all(b"Sat Jun  1 14:02:11 2024 NEWDIR: " + b'" ' * 300_000 + b"\n")
    _run_all(b"{" * 100_000 + b'"' * 1000 + b"\xff\xfe" * 1000)

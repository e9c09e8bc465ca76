"""CCcam.cfg and OSCam config parsers: catalogue examples, variations and hostile input."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbench.parsers.cccam import parse_cccam
from workbench.parsers.errors import ParseError
from workbench.parsers.oscam import (
    iter_sections,
    parse_device,
    parse_expdate,
    parse_oscam_conf,
    parse_oscam_server,
    parse_oscam_user,
)

CCCAM_EXAMPLE = b"""SERVER LISTEN PORT : 12000
C: upstream.fakecs.invalid 12000 resell01 xK9pass no
F: client_0417 q7Lm2pRt 1 0 0   # M. Rossi, paid until 2024-07-01
N: 10.0.0.5 15000 nuser npass 01 02 03 04 05 06 07 08 09 10 11 12 13 14
"""

OSCAM_USER_EXAMPLE = b"""[account]
user        = client_0417
pwd         = q7Lm2pRt
description = M. Rossi / PayPal m.rossi@mail.invalid
expdate     = 2024-07-01
group       = 1
uniq        = 1
"""

OSCAM_SERVER = b"""# oscam.server
[reader]
label     = upstream_sky
protocol  = cccam
device    = upstream.fakecs.invalid,12000
user      = resell01
password  = xK9#pass
cccversion = 2.3.2
group     = 1

[reader]
label     = local_card
protocol  = internal
device    = /dev/sci0
enable    = 0
"""

OSCAM_CONF = b"""[global]
logfile = /var/log/oscam/oscam.log
usrfile = /var/log/oscam/oscamuser.log

[cccam]
port    = 12000
nodeid  = 1A2B3C4D5E6F7A8B
version = 2.3.2

[newcamd]
port = 15000@0500:023800;15001@0100:000080
key  = 0102030405060708091011121314

[webif]
httpport    = +8888
httpuser    = admin
httppwd     = Oz4!fakeweb
httpallowed = 127.0.0.1
"""


def test_cccam_catalogue_example() -> None:
    config = parse_cccam(CCCAM_EXAMPLE)
    assert config.listen_port == 12000
    (friend,) = config.friends
    assert (friend.user, friend.password, friend.uphops, friend.shareemus, friend.allowemm) == (
        "client_0417",
        "q7Lm2pRt",
        1,
        0,
        0,
    )
    assert friend.comment == "M. Rossi, paid until 2024-07-01"
    assert (friend.line, friend.commented) == (3, False)
    cccam, newcamd = config.upstreams
    assert (cccam.protocol, cccam.host, cccam.port, cccam.user, cccam.password, cccam.want_emu) == (
        "cccam",
        "upstream.fakecs.invalid",
        12000,
        "resell01",
        "xK9pass",
        False,
    )
    assert (newcamd.protocol, newcamd.port, newcamd.des_key) == (
        "newcamd",
        15000,
        "0102030405060708091011121314",
    )


def test_cccam_filters_hostname_comments_and_templates() -> None:
    data = (
        b"# F: <username> <password> <uphops> <shareemus> <allowemm>\r\n"
        b"F: client_0418 pw#1 2 1 1 { 0:0:2 } { 0100:000080:1234, 0500:023800:5678 } { } 198.51.100.7 # K. Weber\r\n"
        b"#F: old_client oldpw 1 0 0 # stopped paying 2024-03\r\n"
        b"F:bare_user barepw\r\n"
        b"f: lower lowerpw 3\r\n"
        b"F: lonely\r\n"
        b"WEBINFO USERNAME : admin\r\n"
        b"N: 203.0.113.10 15000 u p 0102030405060708091011121314 # key in one run\r\n"
    )
    config = parse_cccam(data)
    users = [(f.user, f.commented) for f in config.friends]
    assert users == [("client_0418", False), ("old_client", True), ("bare_user", False), ("lower", False)]
    weber = config.friends[0]
    assert weber.password == "pw#1"  # a '#' inside a token is not a comment
    assert weber.filters == (("0:0:2",), ("0100:000080:1234", "0500:023800:5678"), ())
    assert (weber.hostname, weber.comment, weber.line) == ("198.51.100.7", "K. Weber", 2)
    assert config.friends[3].uphops == 3 and config.friends[3].shareemus is None
    assert config.option("webinfo username") == "admin"
    assert config.upstreams[0].des_key == "0102030405060708091011121314"
    assert config.upstreams[0].comment == "key in one run"


def test_cccam_latin1_comment_and_binary_refused() -> None:
    config = parse_cccam("F: u p 1 0 0 # Jörg, bezahlt bis 01.07.2024\n".encode("latin-1"))
    assert config.friends[0].comment == "Jörg, bezahlt bis 01.07.2024"
    with pytest.raises(ParseError):
        parse_cccam(b"\x7fELF\x02\x01\x01\x00\x00")


def test_oscam_user_catalogue_example() -> None:
    (account,) = parse_oscam_user(OSCAM_USER_EXAMPLE)
    assert (account.user, account.password, account.expdate, account.group, account.uniq) == (
        "client_0417",
        "q7Lm2pRt",
        date(2024, 7, 1),
        "1",
        "1",
    )
    assert account.description == "M. Rossi / PayPal m.rossi@mail.invalid"
    assert (account.line, account.disabled) == (1, None)
    assert dict(account.settings)["pwd"] == "q7Lm2pRt"


def test_oscam_user_variations() -> None:
    data = (
        b"; generated\n[Account]\nUSER = a1\npwd=\ndisabled = 1\nexpdate = 2024/05/01\nnumusers = 3\ncaid = 0500,0100\n"
        b"\n[account]\n# no user: ignored\npwd = x\n\n[account]\nuser = a2\nexpdate = 2024-02-30\n"
    )
    first, second = parse_oscam_user(data)
    assert (first.user, first.password, first.disabled, first.expdate, first.numusers, first.caid) == (
        "a1",
        "",
        True,
        date(2024, 5, 1),
        3,
        "0500,0100",
    )
    assert (second.user, second.expdate, second.expdate_raw, second.line) == ("a2", None, "2024-02-30", 14)


def test_oscam_server_readers() -> None:
    upstream, local = parse_oscam_server(OSCAM_SERVER)
    assert (upstream.label, upstream.protocol, upstream.host, upstream.port) == (
        "upstream_sky",
        "cccam",
        "upstream.fakecs.invalid",
        12000,
    )
    assert (upstream.user, upstream.password, upstream.cccversion, upstream.line) == (
        "resell01",
        "xK9#pass",
        "2.3.2",
        2,
    )
    assert (local.host, local.port, local.enabled) == ("", None, False)


def test_oscam_conf() -> None:
    conf = parse_oscam_conf(OSCAM_CONF)
    assert conf.listen_ports == (("cccam", "12000"), ("newcamd", "15000@0500:023800;15001@0100:000080"))
    assert (conf.webif_port, conf.webif_ssl, conf.webif_user, conf.webif_password) == (
        8888,
        True,
        "admin",
        "Oz4!fakeweb",
    )
    assert (conf.newcamd_key, conf.cccam_nodeid, conf.logfile) == (
        "0102030405060708091011121314",
        "1A2B3C4D5E6F7A8B",
        "/var/log/oscam/oscam.log",
    )
    assert conf.section("webif") is not None and conf.section("dvbapi") is None


def test_generic_sections_keep_repeats_and_leading_settings() -> None:
    sections = list(iter_sections(b"top = 1\n[a]\nk = v\n[a]\nk = w\n[empty]\n"))
    assert [(s.name, s.line, s.pairs()) for s in sections] == [
        ("", 0, (("top", "1"),)),
        ("a", 2, (("k", "v"),)),
        ("a", 4, (("k", "w"),)),
        ("empty", 6, ()),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-07-01", date(2024, 7, 1)),
        ("2024/7/1", date(2024, 7, 1)),
        ("2024-13-01", None),
        ("soon", None),
        ("", None),
    ],
)
def test_expdate(text: str, expected: date | None) -> None:
    assert parse_expdate(text) == expected


def test_device() -> None:
    assert parse_device("host.invalid,12000,0") == ("host.invalid", 12000)
    assert parse_device("/dev/ttyUSB0") == ("", None)
    assert parse_device("host.invalid,port") == ("host.invalid", None)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(data: bytes) -> None:
    for parse in (parse_cccam, parse_oscam_user, parse_oscam_server, parse_oscam_conf):
        with contextlib.suppress(ParseError):
            parse(data)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([CCCAM_EXAMPLE, OSCAM_USER_EXAMPLE, OSCAM_SERVER, OSCAM_CONF]),
    st.integers(0, 600),
    st.binary(max_size=30),
    st.integers(0, 600),
)
def test_truncated_and_mangled_real_configs(sample: bytes, cut: int, noise: bytes, where: int) -> None:
    for data in (sample[:cut], sample[:where] + noise + sample[where:]):
        for parse in (parse_cccam, parse_oscam_user, parse_oscam_server, parse_oscam_conf):
            with contextlib.suppress(ParseError):
                parse(data)


def test_unicode_digits_are_not_numbers() -> None:
    (friend,) = parse_cccam("F: u p 2¹0 0³ 1\n".encode()).friends
    assert (friend.uphops, friend.shareemus, friend.allowemm, friend.extra) == (
        None,
        None,
        None,
        ("2¹0", "0³", "1"),
    )
    (account,) = parse_oscam_user("[account]\nuser = a\nnumusers = ²\n".encode())
    assert account.numusers is None


def test_long_lines_are_fine() -> None:
    line = b"F: " + b"u" * 1_000_000 + b" p 1 0 0 # " + b"c" * 1_000_000 + b"\n"
    (friend,) = parse_cccam(line).friends
    assert len(friend.user) == 1_000_000
    (account,) = parse_oscam_user(b"[account]\nuser = " + b"x" * 1_000_000 + b"\n")
    assert len(account.user) == 1_000_000

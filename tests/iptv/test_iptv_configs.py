"""Xtream UI config, XUI.one and Stalker INI files, panel nginx.conf."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from workbench.parsers.errors import ParseError
from workbench.parsers.xtream import (
    decode_xtream_config,
    encode_xtream_config,
    parse_ini,
    parse_nginx_conf,
    parse_stalker_config,
    parse_xui_config,
)

XTREAM_SAMPLE = (
    "ThVYVkVBElgSVQUPHgYeBxoJFh5BUgY6QERQQhAPQERGUkJmX0VEFEAWWBocFFRVa0hVQRAUXkdkQAJAfk1QXGdDCU99RgQHEkgVXF"
    "JpXlZZXRYIQU4QF1BWWG9bRRZHRUVfGxoXQwdCElJKb19UFQ4aBRBPFkYBV2hFX0BBQAsXAAkADxdN"
)
XUI_SAMPLE = """; XUI Configuration
[XUI]
hostname    =   "127.0.0.1"
database    =   "xui"
port        =   3306
server_id   =   1
license     =   "9f3ac1d07be24a51"

[Encrypted]
username    =   "pbuM56YD8sG5Bf47wv6h7Ew5YF9gKKG5"
password    =   "FGu5g4EamvbD9FnEYPd8GFKes8ER6F5J"
"""
STALKER_SAMPLE = """[database]
mysql_host = 127.0.0.1
mysql_user = stalker
mysql_pass = Zr8!fakePw
db_name = stalker_db
"""
NGINX_SAMPLE = """user  xtreamcodes;
worker_processes  auto;
http {
    access_log off;  # viewing history is only in the database
    server {
        listen 25461;
        listen 25463 ssl;
        server_name panel.iptvking.invalid "alt name.invalid";
        root /home/xtreamcodes/iptv_xtream_codes/wwwdir/;
        rewrite "^/live/(.*)/(.*)/(\\d{1,9})\\.(.*)$" /streaming/clients_live.php?username=$1 break;
        location ~ \\.php$ { try_files $uri =404; }
    }
    server { listen [::]:25500; root /home/xtreamcodes/iptv_xtream_codes/admin/; access_log /var/log/a.log main; }
}
rtmp { server { listen 25462; } }
"""


def test_artefacts_sample_config_decodes_exactly() -> None:
    conf = decode_xtream_config(XTREAM_SAMPLE.encode() + b"\n")
    assert (conf.host, conf.db_user, conf.db_pass) == ("127.0.0.1", "user_iptvpro", "Qw7pLx2mRt9vKs4e")
    assert (conf.db_name, conf.db_port, conf.server_id) == ("xtream_iptvpro", 7999, 1)
    assert conf.plaintext.startswith('{"host":"127.0.0.1"')


def test_encoding_round_trips_and_tolerates_wrapping_and_missing_padding() -> None:
    encoded = encode_xtream_config(
        {"host": "10.0.0.2", "db_user": "u", "db_pass": "p w", "db_port": 3306, "extra": [1]}
    )
    wrapped = b"\n".join(encoded[i : i + 20] for i in range(0, len(encoded), 20)).rstrip(b"=")
    conf = decode_xtream_config(wrapped)
    assert (conf.host, conf.db_pass, conf.db_port, conf.server_id) == ("10.0.0.2", "p w", 3306, None)
    assert ("extra", "[1]") in conf.settings


@pytest.mark.parametrize(
    "data", [b"", b"not base64 at all!", b"QUJDRA==", encode_xtream_config({"x": 1}), b"\xff\xfe"], ids=str
)
def test_bad_xtream_configs_raise_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError):
        decode_xtream_config(data)


def test_xui_config_sections() -> None:
    conf = parse_xui_config(XUI_SAMPLE)
    assert (conf.hostname, conf.database, conf.port, conf.server_id) == ("127.0.0.1", "xui", 3306, 1)
    assert conf.license == "9f3ac1d07be24a51"
    assert (conf.username, conf.password) == (
        "pbuM56YD8sG5Bf47wv6h7Ew5YF9gKKG5",
        "FGu5g4EamvbD9FnEYPd8GFKes8ER6F5J",
    )
    assert next(e.line for e in conf.entries if e.key == "password") == 11
    with pytest.raises(ParseError):
        parse_xui_config("[other]\nkey = 1\n")


def test_stalker_config_and_custom_override() -> None:
    conf = parse_stalker_config(STALKER_SAMPLE)
    assert (conf.mysql_host, conf.mysql_user, conf.mysql_pass, conf.db_name) == (
        "127.0.0.1",
        "stalker",
        "Zr8!fakePw",
        "stalker_db",
    )
    portal = parse_stalker_config(
        "; do not edit\nportal_url = /stalker_portal/ ; path\n[database]\nmysql_port = '3307'\n"
    )
    assert (portal.portal_url, portal.mysql_port) == ("/stalker_portal/", 3307)
    with pytest.raises(ParseError):
        parse_stalker_config("[general]\nfoo=bar\n")


def test_ini_values_comments_and_lines() -> None:
    entries = parse_ini(
        b'\xef\xbb\xbf# c\n[a]\nk1 = "v ; x" ; note\nk2 = plain ; note\nbroken line\n=novalue\n'
    )
    assert [(e.section, e.key, e.value, e.line) for e in entries] == [
        ("a", "k1", "v ; x", 3),
        ("a", "k2", "plain", 4),
    ]


def test_panel_nginx_conf() -> None:
    conf = parse_nginx_conf(NGINX_SAMPLE)
    assert conf.user == "xtreamcodes" and conf.access_log == "off"
    web, admin, rtmp = conf.servers
    assert [(x.port, x.ssl) for x in web.listens] == [(25461, False), (25463, True)]
    assert web.server_names == ("panel.iptvking.invalid", "alt name.invalid")
    assert web.root == "/home/xtreamcodes/iptv_xtream_codes/wwwdir/" and web.line == 5
    assert (admin.listens[0].port, admin.listens[0].address, admin.access_log) == (
        25500,
        "[::]",
        "/var/log/a.log main",
    )
    assert (rtmp.context, rtmp.listens[0].port) == ("rtmp", 25462)
    with pytest.raises(ParseError):
        parse_nginx_conf("just some text without directives")
    with pytest.raises(ParseError, match="nested"):
        parse_nginx_conf("http " + "{ " * 100)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_config_parsers_never_crash_on_arbitrary_bytes(data: bytes) -> None:
    for parse in (decode_xtream_config, parse_xui_config, parse_stalker_config, parse_nginx_conf):
        with contextlib.suppress(ParseError):
            parse(data)
    parse_ini(data)


@settings(max_examples=200, deadline=None)
@example(cut=0, at=92, junk="²")  # a superscript two before the port: isdigit() but not int()
@given(st.integers(0, len(NGINX_SAMPLE)), st.integers(0, len(XTREAM_SAMPLE)), st.text(max_size=5))
def test_truncated_and_mangled_configs_never_crash(cut: int, at: int, junk: str) -> None:
    for text, parse in (
        (NGINX_SAMPLE, parse_nginx_conf),
        (XUI_SAMPLE, parse_xui_config),
        (STALKER_SAMPLE, parse_stalker_config),
    ):
        for variant in (text[:cut], text[:at] + junk + text[at:]):
            with contextlib.suppress(ParseError):
                parse(variant)
    with contextlib.suppress(ParseError):
        decode_xtream_config(XTREAM_SAMPLE[:at] + junk + XTREAM_SAMPLE[at + 1 :])

"""WordPress, dotenv, PHP DB settings, nginx, Apache and Let's Encrypt parsing."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbench.parsers.errors import ParseError
from workbench.parsers.webconfig import (
    is_domain,
    letsencrypt_domain,
    parse_apache,
    parse_dotenv,
    parse_letsencrypt_renewal,
    parse_nginx,
    parse_nginx_directives,
    parse_php_db_config,
    parse_wp_config,
    strip_php_comments,
)

WP_CONFIG = """<?php
/** The name of the database for WordPress */
define( 'DB_NAME', 'wp_stream' );
define("DB_USER", "wpuser"); // user
# define('DB_PASSWORD', 'commented-out');
define('DB_PASSWORD','S3cr3t\\'pw');
/* define('DB_HOST', 'nope'); */
define( 'DB_HOST', 'localhost:3306' );
define('AUTH_KEY',         'put your unique phrase here');
define('NONCE_SALT', 'x//y#z');
$table_prefix = 'wpst_';
define('WP_HOME', 'https://blog.fake.invalid'); // http://x
"""

ENV = """# Laravel
APP_NAME="Watch Free"
APP_KEY=base64:Zm9vYmFyYmF6cXV4cXV1eHh4eHh4eHh4eHh4eHh4eHg=
export APP_URL=https://watchfree-fake.invalid
DB_DATABASE=stream_cms
DB_USERNAME = stream
DB_PASSWORD='Xy7!notreal'
MAIL_USERNAME=admin@watchfree-fake.invalid
MAIL_PASSWORD="pa\\"ss # not a comment"
STRIPE_SECRET=sk_live_FAKEFAKEFAKEFAKEFAKE0000 # live key
AWS_ACCESS_KEY_ID=AKIAFAKEFAKEFAKE0000
PRIVATE_KEY="-----BEGIN KEY-----
abc
-----END KEY-----"
AFTER=1
not a setting
"""

NGINX = """
user www-data;
http {
  include /etc/nginx/sites-enabled/*;
  server {
    listen 443 ssl http2; listen [::]:443 ssl;
    server_name watchfree-fake.invalid www.watchfree-fake.invalid *.cdn.watchfree-fake.invalid; # names
    root "/var/www/watch free";
    access_log /var/log/nginx/watchfree.access.log combined;
    error_log /var/log/nginx/watchfree.error.log;
    ssl_certificate /etc/letsencrypt/live/watchfree-fake.invalid-0001/fullchain.pem;
    ssl_certificate_key '/etc/letsencrypt/live/watchfree-fake.invalid/privkey.pem';
    location ~ \\.php$ { include snippets/fastcgi-php.conf; fastcgi_pass unix:/run/php/php8.2-fpm.sock; }
  }
  server { listen 80 default_server; server_name _; return 444; }
}
"""

APACHE = """# Apache vhost
ServerName web01.fake.invalid
<VirtualHost *:443>
    ServerName blog.fakestream.invalid
    ServerAlias www.blog.fakestream.invalid \\
        old.fakestream.invalid
    DocumentRoot "/var/www/blog"
    CustomLog ${APACHE_LOG_DIR}/blog_access.log combined
    ErrorLog ${APACHE_LOG_DIR}/blog_error.log
    SSLCertificateFile /etc/letsencrypt/live/blog.fakestream.invalid/fullchain.pem
    <Directory /var/www/blog>
        AllowOverride All
    </Directory>
</VirtualHost>
IncludeOptional conf-enabled/*.conf
"""

RENEWAL = """# renew_before_expiry = 30 days
version = 2.1.0
archive_dir = /etc/letsencrypt/archive/watchfree-fake.invalid
cert = /etc/letsencrypt/live/watchfree-fake.invalid/cert.pem
privkey = /etc/letsencrypt/live/watchfree-fake.invalid/privkey.pem

[renewalparams]
account = 3f1c0a9be2d84c7f9a6b5e4d3c2b1a09
authenticator = webroot
webroot_path = /var/www/watchfree/public,
server = https://acme-v02.api.letsencrypt.org/directory
[[webroot_map]]
watchfree-fake.invalid = /var/www/watchfree/public
www.watchfree-fake.invalid = /var/www/watchfree/public
"""


def test_wp_config_settings_ignore_comments_and_keep_escapes() -> None:
    config = parse_wp_config(WP_CONFIG)
    assert (config.db_name, config.db_user, config.db_password, config.db_host) == (
        "wp_stream",
        "wpuser",
        "S3cr3t'pw",
        "localhost:3306",
    )
    assert config.table_prefix == "wpst_"
    assert [(s.name, s.value) for s in config.salts] == [
        ("AUTH_KEY", "put your unique phrase here"),
        ("NONCE_SALT", "x//y#z"),
    ]
    home = config.setting("WP_HOME")
    assert home is not None and home.value == "https://blog.fake.invalid" and home.line == 12


def test_wp_config_from_bytes_with_bom_and_latin1() -> None:
    data = "\ufeff<?php define('DB_PASSWORD', 'pässwort');".encode("latin-1", "ignore").replace(b"?<", b"<")
    assert parse_wp_config(b"\xef\xbb\xbf<?php define('DB_PASSWORD', 'x');").db_password == "x"
    assert parse_wp_config(data).db_password == "pässwort"


def test_wp_config_without_db_settings_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_wp_config("<?php echo 'hello';")


def test_strip_php_comments_keeps_strings_and_line_numbers() -> None:
    code = "a('//not'); // gone\n/* x\ny */ b(\"#no\"); # gone\n"
    stripped = strip_php_comments(code)
    assert "gone" not in stripped and "'//not'" in stripped and '"#no"' in stripped
    assert stripped.count("\n") == code.count("\n")


def test_dotenv_quotes_export_comments_multiline_and_classes() -> None:
    entries = {e.key: e for e in parse_dotenv(ENV)}
    assert entries["APP_NAME"].value == "Watch Free" and entries["APP_NAME"].category == "app"
    assert entries["APP_URL"].value == "https://watchfree-fake.invalid"
    assert entries["DB_USERNAME"].value == "stream"
    assert entries["DB_PASSWORD"].value == "Xy7!notreal" and entries["DB_PASSWORD"].secret
    assert (
        entries["MAIL_PASSWORD"].value == 'pa"ss # not a comment'
        and entries["MAIL_PASSWORD"].category == "mail"
    )
    assert entries["STRIPE_SECRET"].value == "sk_live_FAKEFAKEFAKEFAKEFAKE0000"
    assert entries["STRIPE_SECRET"].category == "payment" and entries["STRIPE_SECRET"].secret
    assert entries["APP_KEY"].secret and not entries["APP_URL"].secret
    assert entries["AWS_ACCESS_KEY_ID"].category == "aws" and not entries["AWS_ACCESS_KEY_ID"].secret
    assert entries["PRIVATE_KEY"].value == "-----BEGIN KEY-----\nabc\n-----END KEY-----"
    assert entries["AFTER"].line == 15


def test_dotenv_with_nothing_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_dotenv("# only a comment\n\n")


def test_php_db_settings_arrays_and_variables() -> None:
    code = """<?php
$config = array(
  'db' => array('host' => 'localhost', 'username' => 'panel', 'password' => 'p@ss', 'database' => 'iptv', 'port' => 7999),
);
// $db_pass = 'old';
$db_host = "127.0.0.1"; $db_user = "root"; $db_pass = "toor";
"""
    groups = parse_php_db_config(code)
    assert [(g.host, g.port, g.username, g.password, g.database, g.source) for g in groups] == [
        ("localhost", "7999", "panel", "p@ss", "iptv", "array"),
        ("127.0.0.1", None, "root", "toor", None, "variables"),
    ]
    assert groups[1].line == 6


def test_php_without_db_settings_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_php_db_config("<?php $title = 'Home';")


def test_nginx_servers() -> None:
    config = parse_nginx(NGINX)
    assert config.includes == ("/etc/nginx/sites-enabled/*", "snippets/fastcgi-php.conf")
    main, fallback = config.servers
    assert main.server_names == (
        "watchfree-fake.invalid",
        "www.watchfree-fake.invalid",
        "*.cdn.watchfree-fake.invalid",
    )
    assert main.listen == ("443 ssl http2", "[::]:443 ssl")
    assert main.root == "/var/www/watch free"
    assert main.access_logs == ("/var/log/nginx/watchfree.access.log",)
    assert main.error_logs == ("/var/log/nginx/watchfree.error.log",)
    assert main.letsencrypt_domains == ("watchfree-fake.invalid",)
    assert main.line == 5
    assert fallback.server_names == ("_",)


def test_nginx_tolerates_unbalanced_and_deep_nesting() -> None:
    assert parse_nginx("server { server_name a.fake.invalid; location / { root /x;").servers[0].root == "/x"
    assert parse_nginx("}} server { listen 80; }").servers[0].listen == ("80",)
    deep = "{" * 100_000 + "x y;" + "}" * 100_000
    assert parse_nginx_directives(deep)
    with pytest.raises(ParseError):
        parse_nginx("# nothing here\n")


def test_apache_vhosts() -> None:
    config = parse_apache(APACHE)
    assert config.server_name == "web01.fake.invalid"
    assert config.includes == ("conf-enabled/*.conf",)
    (vhost,) = config.vhosts
    assert vhost.address == "*:443" and vhost.line == 3
    assert vhost.server_name == "blog.fakestream.invalid"
    assert vhost.aliases == ("www.blog.fakestream.invalid", "old.fakestream.invalid")
    assert vhost.document_root == "/var/www/blog"
    assert vhost.custom_logs == ("${APACHE_LOG_DIR}/blog_access.log",)
    assert vhost.letsencrypt_domains == ("blog.fakestream.invalid",)


def test_letsencrypt_renewal_and_paths() -> None:
    renewal = parse_letsencrypt_renewal(RENEWAL, "/etc/letsencrypt/renewal/watchfree-fake.invalid.conf")
    assert renewal.name == "watchfree-fake.invalid"
    assert renewal.account == "3f1c0a9be2d84c7f9a6b5e4d3c2b1a09" and renewal.authenticator == "webroot"
    assert renewal.domains == ("watchfree-fake.invalid", "www.watchfree-fake.invalid")
    assert renewal.webroot_map[1] == ("www.watchfree-fake.invalid", "/var/www/watchfree/public")
    assert (
        letsencrypt_domain("/etc/letsencrypt/live/line.fakeiptv.invalid-0002/privkey.pem")
        == "line.fakeiptv.invalid"
    )
    assert letsencrypt_domain("/etc/letsencrypt/live/README") is None
    with pytest.raises(ParseError):
        parse_letsencrypt_renewal("hello\n")


def test_is_domain() -> None:
    assert is_domain("a.fake.invalid") and is_domain("*.cdn.fake.invalid")
    assert not is_domain("_") and not is_domain("localhost") and not is_domain("192.0.2.1")


PARSERS = (
    parse_wp_config,
    parse_dotenv,
    parse_php_db_config,
    parse_nginx,
    parse_apache,
    parse_letsencrypt_renewal,
)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(PARSERS))
def test_arbitrary_bytes_give_records_or_parse_error(
    data: bytes, parser: Callable[[str | bytes], object]
) -> None:
    with contextlib.suppress(ParseError):
        parser(data)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([WP_CONFIG, ENV, NGINX, APACHE, RENEWAL]),
    st.integers(min_value=0, max_value=900),
    st.text(max_size=5),
    st.sampled_from(PARSERS),
)
def test_mangled_samples_give_records_or_parse_error(
    sample: str, cut: int, junk: str, parser: Callable[[str | bytes], object]
) -> None:
    with contextlib.suppress(ParseError):
        parser(sample[:cut] + junk + sample[cut + 1 :])


def test_hostile_megabyte_inputs_finish_quickly() -> None:
    started = time.perf_counter()
    for data in ("'" * 1_000_000, "define('" * 100_000, "a=" * 500_000, '"\\' * 300_000, "/*" * 300_000):
        for parser in PARSERS:
            with contextlib.suppress(ParseError):
                parser(data)
    assert time.perf_counter() - started < 15

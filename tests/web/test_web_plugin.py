"""The web plugin through FileView, and its figures through a fake store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from workbench.plugins.web import WebConfigs

from workbench.artefacts import Artefact
from workbench.plugin_api import FileView

WP = b"""<?php
define( 'DB_NAME', 'fakestream_wp' );
define( 'DB_USER', 'fs_wpuser' );
define( 'DB_PASSWORD', 'k9Vq2mLx7Rt4' );
define( 'DB_HOST', 'localhost' );
define( 'AUTH_KEY', 'q0Wm:Fa;r3K1j7x' );
$table_prefix = 'fs_';
define( 'WP_HOME', 'https://blog.fakestream.invalid' );
"""

ENV = b"""APP_NAME="WatchFree"
APP_ENV=production
APP_KEY=base64:q0Xb7Lm2Rt9vKs4eWp8Zc3Nd6Yf1Gh5Jk0Qa2Sb4Td=
APP_URL=https://watchfree-fake.invalid
DB_CONNECTION=mysql
DB_HOST=127.0.0.1
DB_PORT=3306
DB_DATABASE=stream_cms
DB_USERNAME=stream
DB_PASSWORD=Xy7!notreal
MAIL_HOST=smtp.mailfake.invalid
MAIL_PORT=587
MAIL_USERNAME=admin@watchfree-fake.invalid
MAIL_PASSWORD="m4il0Pass9"
MAIL_FROM_ADDRESS="${MAIL_USERNAME}"
PUSHER_APP_SECRET=
AWS_ACCESS_KEY_ID=AKIAFAKEFAKEFAKE0000
AWS_SECRET_ACCESS_KEY=fakeFAKEfakeFAKEfakeFAKE0000
STRIPE_SECRET=sk_live_FAKEFAKEFAKEFAKEFAKE0000
"""

NGINX = b"""server {
    listen 80;
    server_name line.fakeiptv.invalid panel.fakeiptv.invalid _;
    return 301 https://$host$request_uri;
}
server {
    listen 443 ssl;
    server_name line.fakeiptv.invalid;
    root /var/www/html;
    access_log /var/log/nginx/access.log;
    ssl_certificate /etc/letsencrypt/live/line.fakeiptv.invalid/fullchain.pem;
}
"""

APACHE = b"""<VirtualHost *:443>
    ServerName blog.fakestream.invalid
    ServerAlias www.blog.fakestream.invalid
    DocumentRoot /var/www/blog
    CustomLog /var/log/apache2/blog_access.log combined
    SSLCertificateFile /etc/letsencrypt/live/blog.fakestream.invalid/fullchain.pem
</VirtualHost>
"""

RENEWAL = b"""cert = /etc/letsencrypt/live/line.fakeiptv.invalid/cert.pem
[renewalparams]
account = 3f1c0a9be2d84c7f9a6b5e4d3c2b1a09
[[webroot_map]]
line.fakeiptv.invalid = /var/www/html
panel.fakeiptv.invalid = /var/www/html
"""

PHP = b"""<?php
$db_host = 'localhost';
$db_user = 'legacy_upl';
$db_pass = 'u9Lk0mPq';
$db_name = 'legacy_cms';
"""


def extract(path: str, data: bytes) -> list[Artefact]:
    view = FileView(exhibit="EX-01", location="EX-01 / ext4 /" + path, path=path, size=len(data), _data=data)
    return list(WebConfigs().extract(view, data))


def fields(artefacts: list[Artefact], kind: str) -> list[dict[str, Any]]:
    return [a.fields for a in artefacts if a.kind == kind]


def test_wordpress_site_domain_and_database_credential() -> None:
    found = extract("/var/www/blog/wp-config.php", WP)
    (site,) = fields(found, "web.site")
    assert site["app_kind"] == "wordpress" and site["root"] == "/var/www/blog"
    assert site["domains"] == ["blog.fakestream.invalid"]
    assert (site["db_name"], site["db_host"], site["db_user"]) == ("fakestream_wp", "localhost", "fs_wpuser")
    assert fields(found, "web.domain") == [
        {
            "domain": "blog.fakestream.invalid",
            "source": "WP_HOME",
            "context": "define('WP_HOME', 'https://blog.fakestream.invalid')",
        }
    ]
    (credential,) = fields(found, "credential")
    assert credential["kind"] == "database" and credential["secret"] == "k9Vq2mLx7Rt4"
    assert (
        credential["service"] == "mysql://localhost/fakestream_wp" and credential["username"] == "fs_wpuser"
    )


def test_laravel_env_site_mail_and_credentials() -> None:
    found = extract("/var/www/watchfree/.env", ENV)
    (site,) = fields(found, "web.site")
    assert site["app_kind"] == "laravel" and site["domains"] == ["watchfree-fake.invalid"]
    assert site["db_name"] == "stream_cms"
    (mail,) = fields(found, "web.mail_account")
    assert mail["address"] == "admin@watchfree-fake.invalid" and mail["password"] == "m4il0Pass9"
    assert mail["host"] == "smtp.mailfake.invalid" and mail["port"] == "587"
    credentials = {(c["kind"], c["context"]): c for c in fields(found, "credential")}
    assert set(credentials) == {
        ("database", ".env DB_USERNAME / DB_PASSWORD"),
        ("mail", ".env MAIL_USERNAME / MAIL_PASSWORD"),
        ("app_key", ".env APP_KEY"),
        ("api_key", ".env AWS_SECRET_ACCESS_KEY"),
        ("api_key", ".env STRIPE_SECRET"),
    }
    assert (
        credentials[("database", ".env DB_USERNAME / DB_PASSWORD")]["service"]
        == "mysql://127.0.0.1:3306/stream_cms"
    )
    assert credentials[("api_key", ".env AWS_SECRET_ACCESS_KEY")]["username"] == "AKIAFAKEFAKEFAKE0000"


def test_nginx_vhosts_domains_from_names_and_certificates() -> None:
    found = extract("/etc/nginx/sites-enabled/line.fakeiptv.invalid", NGINX)
    sites = fields(found, "web.site")
    assert [s["domains"] for s in sites] == [
        ["line.fakeiptv.invalid", "panel.fakeiptv.invalid"],
        ["line.fakeiptv.invalid"],
    ]
    assert sites[1]["root"] == "/var/www/html" and sites[1]["logs"] == ["/var/log/nginx/access.log"]
    sources = {(d["domain"], d["source"]) for d in fields(found, "web.domain")}
    assert sources == {
        ("line.fakeiptv.invalid", "server_name"),
        ("panel.fakeiptv.invalid", "server_name"),
        ("line.fakeiptv.invalid", "certificate path"),
    }


def test_apache_vhost_in_conf_d() -> None:
    found = extract("/etc/httpd/conf.d/blog.conf", APACHE)
    (site,) = fields(found, "web.site")
    assert site["app_kind"] == "apache-vhost" and site["root"] == "/var/www/blog"
    assert {(d["domain"], d["source"]) for d in fields(found, "web.domain")} == {
        ("blog.fakestream.invalid", "ServerName"),
        ("www.blog.fakestream.invalid", "ServerAlias"),
        ("blog.fakestream.invalid", "certificate path"),
    }


def test_letsencrypt_renewal_and_live_directory() -> None:
    renewal = extract("/etc/letsencrypt/renewal/line.fakeiptv.invalid.conf", RENEWAL)
    assert [d["domain"] for d in fields(renewal, "web.domain")] == [
        "line.fakeiptv.invalid",
        "panel.fakeiptv.invalid",
    ]
    live = extract("/etc/letsencrypt/live/line.fakeiptv.invalid/README", b"This directory contains your keys")
    assert fields(live, "web.domain") == [
        {
            "domain": "line.fakeiptv.invalid",
            "source": "letsencrypt live directory",
            "context": "/etc/letsencrypt/live/line.fakeiptv.invalid/README",
        }
    ]


def test_generic_php_config() -> None:
    found = extract("/var/www/watchfree/legacy/config.php", PHP)
    assert fields(found, "web.site")[0]["app_kind"] == "php"
    (credential,) = fields(found, "credential")
    assert credential["secret"] == "u9Lk0mPq" and credential["service"] == "mysql://localhost/legacy_cms"


def test_files_that_are_not_configs_yield_nothing() -> None:
    assert extract("/var/www/site/config.php", b"<?php echo 'no settings here';") == []
    assert extract("/etc/nginx/conf.d/x.conf", b"\x00\xff" * 1000) == []
    assert extract("/etc/nginx/nginx.conf", b"") == []


def test_deterministic() -> None:
    assert [(a.kind, a.fields, a.line) for a in extract("/a/.env", ENV)] == [
        (a.kind, a.fields, a.line) for a in extract("/a/.env", ENV)
    ]


class FakeStore:
    """In-memory CaseReader."""

    def __init__(self, artefacts: list[Artefact]) -> None:
        self._artefacts = artefacts

    def artefacts(self, kind: str | None = None, exhibit: str | None = None) -> Iterator[Artefact]:
        return iter([a for a in self._artefacts if kind is None or a.kind == kind])

    def evidence(self) -> list[dict[str, Any]]:
        return []

    def files(self, exhibit: str | None = None) -> Iterator[dict[str, Any]]:
        return iter([])


def test_correlate_figures() -> None:
    stored = []
    for path, data in (
        ("/var/www/blog/wp-config.php", WP),
        ("/var/www/watchfree/.env", ENV),
        ("/etc/nginx/sites-enabled/line", NGINX),
        ("/etc/letsencrypt/renewal/line.fakeiptv.invalid.conf", RENEWAL),
    ):
        for artefact in extract(path, data):
            artefact.plugin = "web"
            stored.append(artefact)
    figures = {f.fields["name"]: f.fields["value"] for f in WebConfigs().correlate(FakeStore(stored))}
    assert figures == {"domains": 4, "sites": 4, "mail accounts": 1, "web credentials": 6}

"""A seized web server fronting an IPTV operation: nginx vhosts with Let's Encrypt certificates, a
WordPress blog and a Laravel streaming site, rotated access logs with panel stream requests, auth
log, syslog, MySQL general log, root's shell history, and admin notes with wallets and a PayPal
address, plus an invoice with an IBAN.

``build_webserver`` writes the tree deterministically (fixed seed, fixed times, fixed mtimes) and
returns the exact figures it put in.
"""

from __future__ import annotations

import gzip
import os
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from workbench.parsers.webconfig import env_is_secret

DEFAULT_SUBSCRIBERS: tuple[tuple[str, str], ...] = (
    ("jdoe42", "Pa55w0rd"),
    ("mrossi", "q7Lm2pRt"),
    ("kfischer", "Fx93kLmq"),
    ("tvbox_118", "Zr8wP2nc"),
)

SITE_DOMAINS = {  # vhost file -> server names; the first one names the certificate lineage
    "watchfree-fake.invalid": ("watchfree-fake.invalid", "www.watchfree-fake.invalid"),
    "line.fakeiptv.invalid": ("line.fakeiptv.invalid", "panel.fakeiptv.invalid"),
    "blog.fakestream.invalid": ("blog.fakestream.invalid", "www.blog.fakestream.invalid"),
}

WALLETS = {  # checksum-valid, random, belonging to no known wallet (ARTEFACTS.md)
    "bitcoin": (
        "13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79h",
        "3QRpEHB84DjW3wDi6UPyHujSVwXczQdvtz",
        "bc1que8edvydz0swpfaxtepqk60ljjgdcdtkkhsr5l",
        "bc1ppj2ag72rfc6pv3pr8x3anxzhvlcs664rlp9ztgjgrdq9qmk9qsgqfqzyzy",
    ),
    "ethereum": ("0x353a609B6a78Af8932Ef5117Dc6DEDcf3A89AB3f",),
    "tron": ("TUKTU72PhbNeFEszAd3rTnCa2uibUYyNKv",),
    "monero": (
        "4AhdEFZLcmRYLTg7x96XZZ8opgqztsbDvTZWUpJpb8QBJKe9hSSCNzMHwTLcFAPyUXhcazBMSB3Aq2rb8v6DwK9fKw6x5CX",
    ),
}
MISTYPED_WALLET = "13n2jkHZVbDkx5K9oqXp2ksrvgFmakR79i"  # one character off: must be rejected, not reported
PAYPAL_NOTES = "billing@fakeiptv.invalid"
PAYPAL_ENV = "payments@watchfree-fake.invalid"
IBAN = "DE89 3704 0044 0532 0130 00"
ROOT_PASSWORD_IP = "192.0.2.77"
ROOT_KEY_IP = "198.51.100.23"
DEPLOY_IP = "198.51.100.4"

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
UTC_PLUS_2 = timezone(timedelta(hours=2))
BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
)
PLAYERS = ("VLC/3.0.20 LibVLC/3.0.20", "IPTVSmartersPro/3.1.5", "okhttp/4.9.2", "Lavf/58.76.100")


@dataclass(frozen=True)
class WebFigures:
    """What ``build_webserver`` put in the tree, as the plugins should find it."""

    domains: tuple[str, ...]  # distinct domain names in vhosts, certificates and app settings
    sites: int  # web.site: vhosts + WordPress + Laravel + PHP config
    credentials: int  # credential artefacts in the web configs
    mail_accounts: tuple[str, ...]
    wallets_by_chain: Mapping[str, int]
    rejected_candidates: int  # address-shaped strings with a broken checksum
    payment_accounts: tuple[str, ...]  # PayPal e-mails and compact IBANs
    stripe_keys: tuple[str, ...]
    log_events: Mapping[str, int]  # log_type -> log.event artefacts
    unparsed_access_lines: int
    panel_requests: Mapping[str, int]  # subscriber -> access-log requests made with their user name
    stream_requests: Mapping[str, int]  # subscriber -> of which /live/ streams
    other_panel_users: tuple[str, ...]  # user names in panel requests that are not subscribers
    root_login_ips: tuple[str, ...]
    first_admin_login: datetime
    last_admin_login: datetime
    last_mysqldump: datetime
    commands_near_mysqldump: int  # shell commands within one hour of the last mysqldump (itself excluded)
    top_client_ip: str


def _token(rng: random.Random, length: int) -> str:
    """A random secret of letters and digits that starts with a lower-case letter and contains a '0'
    (so it can never be mistaken for a Base58 address or an IBAN)."""
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ123456789"
    chars = [rng.choice(alphabet) for _ in range(length)]
    chars[0] = rng.choice("abcdefghkmnpqrstuvwxyz")
    chars[rng.randrange(1, length)] = "0"
    return "".join(chars)


def _clf(when: datetime, tz: timezone) -> str:
    local = when.astimezone(tz)
    offset = local.strftime("%z")
    return f"{local.day:02d}/{MONTHS[local.month - 1]}/{local.year}:{local:%H:%M:%S} {offset}"


def _bsd(when: datetime) -> str:
    return f"{MONTHS[when.month - 1]} {when.day:2d} {when:%H:%M:%S}"


def _write(path: Path, text: str | bytes, mtime: datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    stamp = mtime.timestamp()
    os.utime(path, (stamp, stamp))


@dataclass(frozen=True)
class _Configs:
    credentials: int
    sites: int
    domains: frozenset[str]
    stripe_keys: tuple[str, ...]


@dataclass(frozen=True)
class _Access:
    events: int
    unparsed: int
    panel: dict[str, int]
    streams: dict[str, int]
    others: tuple[str, ...]
    top_ip: str


@dataclass(frozen=True)
class _Auth:
    events: int
    first_admin: datetime
    last_admin: datetime


@dataclass(frozen=True)
class _Shell:
    events: int
    dump: datetime
    near: int


def build_webserver(
    root: Path,
    *,
    seed: int = 20240601,
    access_lines: int = 20000,
    subscribers: Sequence[tuple[str, str]] = DEFAULT_SUBSCRIBERS,
    start: datetime = datetime(2024, 5, 20, 6, 0, tzinfo=UTC),
    end: datetime = datetime(2024, 6, 1, 22, 0, tzinfo=UTC),
) -> WebFigures:
    """Write the web server's file tree under ``root`` and return the figures it holds.

    ``access_lines`` access-log lines (over three rotated files, the oldest gzipped and in +0200)
    span ``start``..``end``; ``subscribers`` are the panel lines whose streams the logs show.
    """
    rng = random.Random(seed)
    root = Path(root)
    configs = _write_configs(root, rng, start - timedelta(days=40))
    _write_notes(root, start - timedelta(days=28))
    access = _write_access_logs(root, rng, access_lines, subscribers, start, end)
    auth = _write_auth_log(root, rng, start, end)
    syslog_events = _write_syslog(root, rng, start, end)
    mysql_events = _write_mysql_log(root, rng, subscribers, end)
    shell = _write_history(root, rng, end)
    return WebFigures(
        domains=tuple(sorted(configs.domains)),
        sites=configs.sites,
        credentials=configs.credentials,
        mail_accounts=("admin@watchfree-fake.invalid",),
        wallets_by_chain={chain: len(addresses) for chain, addresses in WALLETS.items()},
        rejected_candidates=1,
        payment_accounts=tuple(sorted((PAYPAL_NOTES, PAYPAL_ENV, IBAN.replace(" ", "")))),
        stripe_keys=configs.stripe_keys,
        log_events={
            "access": access.events,
            "auth": auth.events,
            "syslog": syslog_events,
            "mysql": mysql_events,
            "shell": shell.events,
        },
        unparsed_access_lines=access.unparsed,
        panel_requests=access.panel,
        stream_requests=access.streams,
        other_panel_users=access.others,
        root_login_ips=(ROOT_PASSWORD_IP, ROOT_KEY_IP),
        first_admin_login=auth.first_admin,
        last_admin_login=auth.last_admin,
        last_mysqldump=shell.dump,
        commands_near_mysqldump=shell.near,
        top_client_ip=access.top_ip,
    )


# --- configuration ---------------------------------------------------------------------------


def _nginx_vhost(lineage: str, names: tuple[str, ...], docroot: str, upstream: str | None) -> str:
    body = (
        f"        proxy_pass {upstream};\n        proxy_set_header Host $host;\n"
        if upstream
        else "        try_files $uri $uri/ /index.php?$query_string;\n"
    )
    return f"""# Managed by deploy scripts - do not edit by hand
server {{
    listen 80;
    listen [::]:80;
    server_name {" ".join(names)};
    return 301 https://$host$request_uri;
}}

server {{
    listen 443 ssl http2;
    listen [::]:443 ssl http2;
    server_name {" ".join(names)};

    root {docroot};
    index index.php index.html;

    ssl_certificate /etc/letsencrypt/live/{lineage}/fullchain.pem; # managed by Certbot
    ssl_certificate_key /etc/letsencrypt/live/{lineage}/privkey.pem; # managed by Certbot
    include /etc/letsencrypt/options-ssl-nginx.conf;

    access_log /var/log/nginx/access.log;
    error_log /var/log/nginx/error.log warn;

    location / {{
{body}    }}

    location ~ \\.php$ {{
        include snippets/fastcgi-php.conf;
        fastcgi_pass unix:/run/php/php8.2-fpm.sock;
    }}
}}
"""


def _write_configs(root: Path, rng: random.Random, when: datetime) -> _Configs:
    domains: set[str] = set()
    docroots = {
        "watchfree-fake.invalid": ("/var/www/watchfree/public", None),
        "line.fakeiptv.invalid": ("/var/www/html", "http://127.0.0.1:25461"),
        "blog.fakestream.invalid": ("/var/www/blog", None),
    }
    _write(
        root / "etc/nginx/nginx.conf",
        "user www-data;\nworker_processes auto;\npid /run/nginx.pid;\n\nevents {\n    worker_connections 1024;\n}\n\n"
        "http {\n    sendfile on;\n    include /etc/nginx/mime.types;\n    access_log /var/log/nginx/access.log;\n"
        "    gzip on;\n    include /etc/nginx/conf.d/*.conf;\n    include /etc/nginx/sites-enabled/*;\n}\n",
        when,
    )
    for lineage, names in SITE_DOMAINS.items():
        docroot, upstream = docroots[lineage]
        _write(
            root / "etc/nginx/sites-enabled" / lineage, _nginx_vhost(lineage, names, docroot, upstream), when
        )
        account = _token(rng, 32).lower()
        webroot = "".join(f"{name} = {docroot}\n" for name in names)
        _write(
            root / "etc/letsencrypt/renewal" / f"{lineage}.conf",
            f"# renew_before_expiry = 30 days\nversion = 2.1.0\narchive_dir = /etc/letsencrypt/archive/{lineage}\n"
            f"cert = /etc/letsencrypt/live/{lineage}/cert.pem\nprivkey = /etc/letsencrypt/live/{lineage}/privkey.pem\n"
            f"chain = /etc/letsencrypt/live/{lineage}/chain.pem\nfullchain = /etc/letsencrypt/live/{lineage}/fullchain.pem\n\n"
            f"# Options used in the renewal process\n[renewalparams]\naccount = {account}\nauthenticator = webroot\n"
            f"webroot_path = {docroot},\nserver = https://acme-v02.api.letsencrypt.org/directory\nkey_type = ecdsa\n"
            f"[[webroot_map]]\n{webroot}",
            when,
        )
        _write(
            root / "etc/letsencrypt/live" / lineage / "README",
            "This directory contains your keys and certificates.\n\n`privkey.pem`  : the private key for your certificate.\n"
            "`fullchain.pem`: the certificate file used in most server software.\n",
            when,
        )
        domains.update(names)

    wp_salts = "".join(
        f"define( '{name}', '{_token(rng, 64)}' );\n"
        for name in (
            "AUTH_KEY",
            "SECURE_AUTH_KEY",
            "LOGGED_IN_KEY",
            "NONCE_KEY",
            "AUTH_SALT",
            "SECURE_AUTH_SALT",
            "LOGGED_IN_SALT",
            "NONCE_SALT",
        )
    )
    _write(
        root / "var/www/blog/wp-config.php",
        "<?php\n/**\n * The base configuration for WordPress\n *\n * @package WordPress\n */\n\n"
        "// ** Database settings - You can get this info from your web host ** //\n"
        "/** The name of the database for WordPress */\ndefine( 'DB_NAME', 'fakestream_wp' );\n\n"
        "/** Database username */\ndefine( 'DB_USER', 'fs_wpuser' );\n\n"
        f"/** Database password */\ndefine( 'DB_PASSWORD', '{_token(rng, 16)}' );\n\n"
        "/** Database hostname */\ndefine( 'DB_HOST', 'localhost' );\n\ndefine( 'DB_CHARSET', 'utf8mb4' );\n\n"
        f"{wp_salts}\n$table_prefix = 'fs_';\n\ndefine( 'WP_HOME', 'https://blog.fakestream.invalid' );\n"
        "define( 'WP_SITEURL', 'https://blog.fakestream.invalid' );\ndefine( 'WP_DEBUG', false );\n\n"
        "if ( ! defined( 'ABSPATH' ) ) {\n\tdefine( 'ABSPATH', __DIR__ . '/' );\n}\n\nrequire_once ABSPATH . 'wp-settings.php';\n",
        when,
    )

    stripe_keys = (
        f"pk_live_{_token(rng, 24)}",
        f"sk_live_{_token(rng, 24)}",
        f"whsec_{_token(rng, 32)}",
    )
    env = {
        "APP_NAME": '"WatchFree"',
        "APP_ENV": "production",
        "APP_KEY": f"base64:{_token(rng, 43)}=",
        "APP_DEBUG": "false",
        "APP_URL": "https://watchfree-fake.invalid",
        "LOG_CHANNEL": "stack",
        "DB_CONNECTION": "mysql",
        "DB_HOST": "127.0.0.1",
        "DB_PORT": "3306",
        "DB_DATABASE": "stream_cms",
        "DB_USERNAME": "stream",
        "DB_PASSWORD": f"'{_token(rng, 14)}'",
        "CACHE_DRIVER": "redis",
        "QUEUE_CONNECTION": "redis",
        "MAIL_MAILER": "smtp",
        "MAIL_HOST": "smtp.mailfake.invalid",
        "MAIL_PORT": "587",
        "MAIL_USERNAME": "admin@watchfree-fake.invalid",
        "MAIL_PASSWORD": f'"{_token(rng, 18)}"',
        "MAIL_ENCRYPTION": "tls",
        "MAIL_FROM_ADDRESS": '"${MAIL_USERNAME}"',
        "STRIPE_KEY": stripe_keys[0],
        "STRIPE_SECRET": stripe_keys[1],
        "STRIPE_WEBHOOK_SECRET": stripe_keys[2],
        "PAYPAL_BUSINESS_EMAIL": PAYPAL_ENV,
    }
    lines = [f"{key}={value}" for key, value in env.items()]
    _write(root / "var/www/watchfree/.env", "\n".join(lines[:6]) + "\n\n" + "\n".join(lines[6:]) + "\n", when)
    # credentials: the database and the mail login, plus every other secret-named setting
    env_secrets = [k for k in env if env_is_secret(k) and k not in ("DB_PASSWORD", "MAIL_PASSWORD")]

    _write(
        root / "var/www/watchfree/legacy/config.php",
        "<?php\n// legacy uploader, still linked from the old panel\n"
        "$db_host = 'localhost';\n$db_user = 'legacy_upl';\n"
        f"$db_pass = '{_token(rng, 12)}';\n$db_name = 'legacy_cms';\n\n"
        "$upload_dir = '/var/www/watchfree/storage/uploads';\n",
        when,
    )
    _write(
        root / "etc/hosts",
        "127.0.0.1\tlocalhost\n127.0.1.1\tweb01\n\n::1\tlocalhost ip6-localhost ip6-loopback\n",
        when,
    )
    _write(root / "etc/hostname", "web01\n", when)
    domains.update(("watchfree-fake.invalid", "blog.fakestream.invalid"))  # APP_URL, WP_HOME
    return _Configs(
        credentials=1
        + 1
        + 1
        + len(env_secrets)
        + 1,  # WordPress DB, .env DB, .env mail, .env secrets, legacy PHP
        sites=2 * len(SITE_DOMAINS) + 3,  # two server blocks per vhost file, WordPress, Laravel, legacy PHP
        domains=frozenset(domains),
        stripe_keys=stripe_keys,
    )


def _write_notes(root: Path, when: datetime) -> None:
    w = WALLETS
    _write(
        root / "root/notes/admin_notes.txt",
        "== payments ==\n"
        f"BTC (old, do not use): {w['bitcoin'][0]}\n"
        f"BTC multisig: {w['bitcoin'][1]}\n"
        f"BTC segwit for resellers: {w['bitcoin'][2]}\n"
        f"BTC taproot (cold): {w['bitcoin'][3]}\n"
        f"USDT ERC20: {w['ethereum'][0]}\n"
        f"USDT TRC20: {w['tron'][0]}\n"
        f"XMR: {w['monero'][0]}\n"
        f"reseller 'kfr' sent to {MISTYPED_WALLET} ?? typo, ask him\n"
        f"PayPal (friends&family only!): {PAYPAL_NOTES}\n\n"
        "== todo ==\n- renew line.fakeiptv.invalid cert\n- move panel db backup off this box\n",
        when,
    )
    _write(
        root / "home/deploy/invoices/invoice_2024-05.txt",
        "INVOICE 2024-05-031\nHosting services May 2024 ............ 240.00 EUR\n\n"
        f"Please transfer to: FakeHost Services Ltd\nIBAN: {IBAN}\nBIC: COBADEFFXXX\n",
        when,
    )


# --- logs ------------------------------------------------------------------------------------


def _spread(rng: random.Random, count: int, start: datetime, end: datetime) -> list[datetime]:
    span = int((end - start).total_seconds())
    return sorted(start + timedelta(seconds=rng.randrange(span)) for _ in range(count))


def _write_access_logs(
    root: Path,
    rng: random.Random,
    total: int,
    subscribers: Sequence[tuple[str, str]],
    start: datetime,
    end: datetime,
) -> _Access:
    times = _spread(rng, total, start, end)
    sub_ips = {
        user: [f"203.0.113.{rng.randrange(10, 250)}" for _ in range(rng.randint(1, 3))]
        for user, _ in subscribers
    }
    weights = [rng.randint(1, 6) for _ in subscribers]
    visitors = [f"198.51.100.{n}" for n in range(30, 90)]
    others = ("trial_7731", "demo01")
    panel = dict.fromkeys((u for u, _ in subscribers), 0)
    streams = dict.fromkeys((u for u, _ in subscribers), 0)
    ip_counts: dict[str, int] = {}
    lines: list[tuple[datetime, str]] = []
    for when in times:
        roll = rng.random()
        if roll < 0.40 and subscribers:
            ((user, password),) = rng.choices(list(subscribers), weights)
            ip = rng.choice(sub_ips[user])
            panel[user] += 1
            if rng.random() < 0.88:
                streams[user] += 1
                ext = "ts" if rng.random() < 0.8 else "m3u8"
                request = f"GET /live/{user}/{password}/{rng.randrange(1000, 1400)}.{ext} HTTP/1.1"
                status, size, agent = 200, rng.randrange(200_000, 4_000_000), rng.choice(PLAYERS)
            else:
                action = rng.choice(
                    ("get_live_categories", "get_live_streams", "get_vod_streams", "get_short_epg")
                )
                request = f"GET /player_api.php?username={user}&password={password}&action={action} HTTP/1.1"
                status, size, agent = 200, rng.randrange(2_000, 90_000), rng.choice(PLAYERS)
        elif roll < 0.42:
            user = rng.choice(others)
            ip = f"203.0.113.{rng.randrange(2, 9)}"
            request = f"GET /get.php?username={user}&password=trial&type=m3u_plus&output=ts HTTP/1.1"
            status, size, agent = 403, 0, "okhttp/4.9.2"
        elif roll < 0.47:
            ip = f"192.0.2.{rng.randrange(100, 120)}"
            request = rng.choice(
                ("GET /wp-login.php HTTP/1.1", "POST /xmlrpc.php HTTP/1.1", "GET /.env HTTP/1.1")
            )
            status, size, agent = (
                rng.choice((404, 403, 200)),
                rng.randrange(150, 4_000),
                "python-requests/2.31.0",
            )
        else:
            ip = rng.choice(visitors)
            page = rng.choice(
                (
                    "/",
                    "/movies",
                    "/series",
                    f"/watch/{rng.randrange(1, 900)}",
                    "/css/app.css",
                    f"/img/poster-{rng.randrange(1, 900)}.jpg",
                )
            )
            request = f"GET {page} HTTP/2.0"
            status, size, agent = 200, rng.randrange(800, 250_000), rng.choice(BROWSERS)
        ip_counts[ip] = ip_counts.get(ip, 0) + 1
        referer = "https://watchfree-fake.invalid/" if agent in BROWSERS else "-"
        lines.append((when, f'{ip} - - [{{stamp}}] "{request}" {status} {size} "{referer}" "{agent}"'))

    # a TLS handshake sent to the plain-HTTP port (parsed: nginx writes it as an escaped request),
    # and a run of NUL bytes left by a crash (not a log line)
    probe_time = times[len(times) // 2] if times else start
    lines.insert(
        len(lines) // 2,
        (
            probe_time,
            '192.0.2.200 - - [{stamp}] "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03" 400 157 "-" "-"',
        ),
    )
    ip_counts["192.0.2.200"] = ip_counts.get("192.0.2.200", 0) + 1

    thirds = (len(lines) // 4, len(lines) * 3 // 5)
    oldest, middle, newest = lines[: thirds[0]], lines[thirds[0] : thirds[1]], lines[thirds[1] :]
    log_dir = root / "var/log/nginx"
    newest_text = "".join(text.format(stamp=_clf(when, UTC)) + "\n" for when, text in newest)
    cut = len(newest_text) // 3
    cut = newest_text.index("\n", cut) + 1
    newest_bytes = newest_text[:cut].encode() + b"\x00" * 512 + b"\n" + newest_text[cut:].encode()
    _write(log_dir / "access.log", newest_bytes, end)
    _write(
        log_dir / "access.log.1",
        "".join(text.format(stamp=_clf(when, UTC)) + "\n" for when, text in middle),
        middle[-1][0] if middle else end,
    )
    gz_path = log_dir / "access.log.2.gz"
    gz_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(gz_path, "wb") as raw,
        gzip.GzipFile(filename="access.log.2", mode="wb", fileobj=raw, mtime=0) as gz,
    ):
        gz.write("".join(text.format(stamp=_clf(when, UTC_PLUS_2)) + "\n" for when, text in oldest).encode())
    stamp = (oldest[-1][0] if oldest else start).timestamp()
    os.utime(gz_path, (stamp, stamp))
    top_ip = min(ip_counts, key=lambda ip: (-ip_counts[ip], ip))
    return _Access(
        events=len(lines),
        unparsed=1,
        panel=panel,
        streams=streams,
        others=others,
        top_ip=top_ip,
    )


def _auth_line(when: datetime, pid: int, program: str, message: str) -> str:
    return f"{_bsd(when)} web01 {program}[{pid}]: {message}"


def _write_auth_log(root: Path, rng: random.Random, start: datetime, end: datetime) -> _Auth:
    key_root = f"SHA256:{_token(rng, 43)}"
    key_deploy = f"SHA256:{_token(rng, 43)}"
    entries: list[tuple[datetime, str]] = []
    admin_logins: list[datetime] = []
    day = start.replace(hour=0, minute=0, second=0)
    pid = 40000
    while day < end:
        # brute force noise every day
        for _ in range(rng.randint(3, 8)):
            when = day + timedelta(seconds=rng.randrange(86400))
            failed, gone = when + timedelta(seconds=2), when + timedelta(seconds=3)
            ip = f"203.0.113.{rng.randrange(100, 200)}"
            name = rng.choice(("admin", "oracle", "test", "ubuntu", "git", "root"))
            port = rng.randrange(30000, 65000)
            pid += 1
            if name == "root":  # an existing account: no "Invalid user" line
                entries.append(
                    (
                        failed,
                        _auth_line(
                            failed, pid, "sshd", f"Failed password for root from {ip} port {port} ssh2"
                        ),
                    )
                )
                entries.append(
                    (
                        gone,
                        _auth_line(
                            gone,
                            pid,
                            "sshd",
                            f"Disconnected from authenticating user root {ip} port {port} [preauth]",
                        ),
                    )
                )
                continue
            entries.append(
                (when, _auth_line(when, pid, "sshd", f"Invalid user {name} from {ip} port {port}"))
            )
            entries.append(
                (
                    failed,
                    _auth_line(
                        failed,
                        pid,
                        "sshd",
                        f"Failed password for invalid user {name} from {ip} port {port} ssh2",
                    ),
                )
            )
            entries.append(
                (
                    gone,
                    _auth_line(
                        gone, pid, "sshd", f"Disconnected from invalid user {name} {ip} port {port} [preauth]"
                    ),
                )
            )
        # the operator: root by key most days, root by password sometimes, deploy + sudo
        when = day + timedelta(hours=rng.randint(18, 22), minutes=rng.randrange(60))
        if start <= when <= end:
            pid += 1
            port = rng.randrange(40000, 60000)
            if rng.random() < 0.7:
                message = (
                    f"Accepted publickey for root from {ROOT_KEY_IP} port {port} ssh2: ED25519 {key_root}"
                )
            else:
                message = f"Accepted password for root from {ROOT_PASSWORD_IP} port {port} ssh2"
            entries.append((when, _auth_line(when, pid, "sshd", message)))
            entries.append(
                (
                    when,
                    _auth_line(
                        when,
                        pid,
                        "sshd",
                        "pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)",
                    ),
                )
            )
            entries.append(
                (
                    when + timedelta(minutes=25),
                    _auth_line(
                        when + timedelta(minutes=25),
                        pid,
                        "sshd",
                        "pam_unix(sshd:session): session closed for user root",
                    ),
                )
            )
            admin_logins.append(when)
        when = day + timedelta(hours=9, minutes=rng.randrange(60))
        if start <= when <= end:
            pid += 1
            entries.append(
                (
                    when,
                    _auth_line(
                        when,
                        pid,
                        "sshd",
                        f"Accepted publickey for deploy from {DEPLOY_IP} port {rng.randrange(40000, 60000)} ssh2: RSA {key_deploy}",
                    ),
                )
            )
            later = when + timedelta(minutes=3)
            entries.append(
                (
                    later,
                    _auth_line(
                        later,
                        pid + 1,
                        "sudo",
                        "  deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/systemctl reload nginx",
                    ),
                )
            )
            admin_logins.append(when)  # deploy runs sudo: an admin
        day += timedelta(days=1)
    entries.sort(key=lambda item: item[0])
    _write(root / "var/log/auth.log", "".join(text + "\n" for _, text in entries), end)
    return _Auth(events=len(entries), first_admin=min(admin_logins), last_admin=max(admin_logins))


def _write_syslog(root: Path, rng: random.Random, start: datetime, end: datetime) -> int:
    entries: list[tuple[datetime, str]] = []
    when = start
    while when < end:
        entries.append(
            (
                when,
                f"{_bsd(when)} web01 CRON[{rng.randrange(1000, 9000)}]: (root) CMD (/usr/local/bin/panel_watchdog.sh >/dev/null 2>&1)",
            )
        )
        if when.hour == 6:
            entries.append((when, f"{_bsd(when)} web01 systemd[1]: Starting certbot.service - Certbot..."))
            entries.append(
                (when, f"{_bsd(when)} web01 systemd[1]: certbot.service: Deactivated successfully.")
            )
        when += timedelta(hours=6)
    _write(root / "var/log/syslog", "".join(text + "\n" for _, text in entries), end)
    return len(entries)


def _write_mysql_log(
    root: Path, rng: random.Random, subscribers: Sequence[tuple[str, str]], end: datetime
) -> int:
    header = (
        "/usr/sbin/mysqld, Version: 8.0.36-0ubuntu0.22.04.1 ((Ubuntu)). started with:\n"
        "Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\nTime                 Id Command    Argument\n"
    )
    entries: list[str] = []
    when = end - timedelta(hours=3)
    for thread in range(31, 31 + 6):
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        entries.append(f"{stamp}\t   {thread} Connect\tstream@localhost on stream_cms using Socket")
        user = subscribers[thread % len(subscribers)][0] if subscribers else "nobody"
        entries.append(
            f"{stamp}\t   {thread} Query\tSELECT id, exp_date FROM users WHERE username='{user}' LIMIT 1"
        )
        entries.append(
            f"{stamp}\t   {thread} Query\tUPDATE users\n   SET last_activity = NOW()\n WHERE username = '{user}'"
        )
        entries.append(f"{stamp}\t   {thread} Quit\t")
        when += timedelta(seconds=rng.randrange(20, 600))
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    entries.append(f"{stamp}\t   99 Connect\tAccess denied for user 'root'@'localhost' (using password: YES)")
    _write(root / "var/log/mysql/general.log", header + "".join(e + "\n" for e in entries), when)
    return len(entries)


def _write_history(root: Path, rng: random.Random, end: datetime) -> _Shell:
    dump = end - timedelta(hours=2, minutes=10)
    commands = [
        (dump - timedelta(days=3), "apt update && apt upgrade -y"),
        (dump - timedelta(days=3, minutes=-5), "systemctl status nginx"),
        (dump - timedelta(hours=1, minutes=30), "tail -n 100 /var/log/nginx/access.log"),  # outside the hour
        (dump - timedelta(minutes=40), "cd /root"),
        (dump - timedelta(minutes=12), "mysql -u stream -p stream_cms -e 'SELECT COUNT(*) FROM users'"),
        (dump, "mysqldump -u user_iptvpro -p xtream_iptvpro > /root/backup_0601.sql"),
        (dump + timedelta(minutes=4), "gzip -9 /root/backup_0601.sql"),
        (dump + timedelta(minutes=7), f"scp /root/backup_0601.sql.gz deploy@{ROOT_KEY_IP}:/srv/backup/"),
        (dump + timedelta(minutes=9), "rm -f /root/backup_0601.sql.gz"),
        (dump + timedelta(hours=1, minutes=20), "history -c"),  # outside the hour
    ]
    earlier = dump - timedelta(days=6)
    commands.insert(0, (earlier, "mysqldump -u stream -p stream_cms > /root/stream_cms_old.sql"))
    text = "".join(f"#{int(when.timestamp())}\n{command}\n" for when, command in commands)
    _write(root / "root/.bash_history", text, commands[-1][0])
    near = sum(1 for when, _ in commands if when != dump and abs(when - dump) <= timedelta(hours=1))
    return _Shell(events=len(commands), dump=dump, near=near)

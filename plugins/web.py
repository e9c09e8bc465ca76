"""Web sites behind a piracy operation: WordPress and Laravel apps, PHP configs, nginx and Apache
virtual hosts and Let's Encrypt certificates, turned into sites, domains, mail accounts and
credentials."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from fnmatch import fnmatch
from urllib.parse import urlsplit

from workbench.parsers.errors import ParseError
from workbench.parsers.webconfig import (
    EnvEntry,
    as_text,
    is_domain,
    letsencrypt_domain,
    parse_apache,
    parse_dotenv,
    parse_letsencrypt_renewal,
    parse_nginx,
    parse_php_db_config,
    parse_wp_config,
)
from workbench.plugins.common import CREDENTIAL

from workbench.plugin_api import (
    Artefact,
    ArtefactKind,
    CaseReader,
    Field,
    FileView,
    Plugin,
    UcoMapping,
    figure,
)

TEXT_LIMIT = 8 * 1024 * 1024  # config files bigger than this are not configs

SITE = ArtefactKind(
    "web.site",
    "Web site",
    description="A web application or virtual host: what it is, its domains, document root and database.",
    fields=(
        Field("app_kind", "str", "wordpress | laravel | nginx-vhost | apache-vhost | php", key=True),
        Field("domains", "list", "Domain names it answers to", key=True),
        Field("root", "str", "Document root / application directory", key=True),
        Field("config_path", "str", "The configuration file"),
        Field("db_name", "str", "Database name"),
        Field("db_host", "str", "Database host"),
        Field("db_user", "str", "Database user"),
        Field("listen", "list", "Listen addresses / ports"),
        Field("logs", "list", "Access and error log paths"),
        Field("certificates", "list", "TLS certificate paths"),
    ),
    summary_fields=("app_kind", "domains", "root", "db_name", "db_user", "config_path"),
)

DOMAIN = ArtefactKind(
    "web.domain",
    "Domain name",
    description="A domain name the seized server served or held a certificate for.",
    fields=(
        Field("domain", "str", "Domain name (lower case)", key=True),
        Field(
            "source", "str", "Where it was named: server_name, ServerAlias, APP_URL, letsencrypt …", key=True
        ),
        Field("context", "str", "The setting or path it came from"),
    ),
    summary_fields=("domain", "source", "context"),
    uco=UcoMapping("uco-observable:DomainNameFacet", {"uco-observable:value": "domain"}),
)

MAIL_ACCOUNT = ArtefactKind(
    "web.mail_account",
    "Mail account",
    description="A mail account an application sends with (SMTP settings).",
    fields=(
        Field("address", "str", "E-mail address", key=True),
        Field("host", "str", "SMTP host"),
        Field("port", "str", "SMTP port"),
        Field("username", "str", "SMTP user name"),
        Field("password", "str", "SMTP password", secret=True),
        Field("context", "str", "Settings it came from"),
    ),
    summary_fields=("address", "host", "username", "password"),
    uco=UcoMapping("uco-observable:EmailAddressFacet", {"uco-observable:addressValue": "address"}),
)

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
_PAIRED_ID = {"aws": "AWS_ACCESS_KEY_ID", "pusher": "PUSHER_APP_ID", "paypal": "PAYPAL_CLIENT_ID"}
_HANDLED_ELSEWHERE = {"DB_PASSWORD", "MAIL_PASSWORD"}


def _domain_of_url(value: str) -> str | None:
    """The host of a URL (or of a bare host name), if it is a domain name."""
    value = value.strip()
    host = urlsplit(value if "//" in value else f"//{value}").hostname or ""
    host = host.rstrip(".").lower()
    return host if is_domain(host) else None


def _clean_domain(name: str) -> str | None:
    name = name.strip().rstrip(".").lower()
    if name.startswith("."):  # nginx ".example.com" = the domain and its subdomains
        name = name[1:]
    return name if is_domain(name) else None


def _directory(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


def _line_of(env: dict[str, EnvEntry], *keys: str) -> int | None:
    return next((env[k].line for k in keys if k in env), None)


def _placeholder(value: str | None) -> bool:
    return (
        value is None
        or not value.strip()
        or value.strip().startswith("${")
        or value.strip().lower() == "null"
    )


class WebConfigs(Plugin):
    """WordPress, Laravel and PHP configs, nginx/Apache vhosts and Let's Encrypt files."""

    name = "web"
    version = "1.0"
    description = "Sites, domains, mail accounts and credentials from web app and web server configs"
    kinds = (SITE, DOMAIN, MAIL_ACCOUNT, CREDENTIAL)
    globs = (
        "*/wp-config.php",
        "*/.env",
        "*/sites-enabled/*",
        "*/sites-available/*",
        "*/conf.d/*.conf",
        "*/nginx.conf",
        "*/apache2/*.conf",
        "*/httpd/conf*/*.conf",
        "*/letsencrypt/renewal/*.conf",
        "*/letsencrypt/live/*/*",
        "*config*.php",
    )
    yara_rules = ("web_wpconfig_db_credentials", "web_laravel_env_secrets", "web_nginx_letsencrypt_vhost")

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """Artefacts of one config file, chosen by its path and, where that is ambiguous, its content."""
        path = file.path
        if fnmatch(path, "*/letsencrypt/live/*/*"):
            yield from self._letsencrypt_live(path)
            return
        if file.size > TEXT_LIMIT:
            return
        raw = data if data is not None else file.open().read(TEXT_LIMIT)
        text = as_text(raw)
        try:
            if fnmatch(path, "*/letsencrypt/renewal/*.conf"):
                yield from self._renewal(text, path)
            elif file.name == "wp-config.php" or "DB_PASSWORD'" in text or 'DB_PASSWORD"' in text:
                yield from self._wordpress(text, path)
            elif file.name == ".env" or file.name.startswith(".env.") or re.search(r"(?m)^APP_KEY=", text):
                yield from self._dotenv(text, path)
            elif file.name.endswith(".php"):
                yield from self._php(text, path)
            elif re.search(r"(?im)^\s*<VirtualHost\b", text) or "/apache2/" in path or "/httpd/" in path:
                yield from self._apache(text, path)
            else:
                yield from self._nginx(text, path)
        except ParseError:
            return  # not a config of the kind its name suggested

    # --- per format ------------------------------------------------------------------------

    def _wordpress(self, text: str, path: str) -> Iterator[Artefact]:
        config = parse_wp_config(text)
        domains: list[str] = []
        for name in ("WP_HOME", "WP_SITEURL", "DOMAIN_CURRENT_SITE"):
            setting = config.setting(name)
            domain = _domain_of_url(setting.value) if setting else None
            if setting and domain:
                domains.append(domain)
                yield DOMAIN(
                    domain=domain,
                    source=name,
                    context=f"define('{name}', '{setting.value}')",
                    line=setting.line,
                )
        password = config.setting("DB_PASSWORD")
        yield SITE(
            app_kind="wordpress",
            domains=sorted(set(domains)),
            root=_directory(path),
            config_path=path,
            db_name=config.db_name,
            db_host=config.db_host,
            db_user=config.db_user,
            line=password.line if password else None,
        )
        if not _placeholder(config.db_password) or not _placeholder(config.db_user):
            yield CREDENTIAL(
                kind="database",
                service=f"mysql://{config.db_host or 'localhost'}/{config.db_name or ''}",
                username=config.db_user,
                secret=config.db_password,
                secret_type="plaintext",
                context="wp-config.php DB_USER / DB_PASSWORD",
                line=password.line if password else None,
            )

    def _dotenv(self, text: str, path: str) -> Iterator[Artefact]:
        entries = parse_dotenv(text)
        env = {e.key: e for e in entries}

        def value(key: str) -> str | None:
            entry = env.get(key)
            return entry.value if entry and not _placeholder(entry.value) else None

        domains: list[str] = []
        for entry in entries:
            if entry.key.endswith(("_URL", "_DOMAIN")) and not _placeholder(entry.value):
                domain = _domain_of_url(entry.value)
                if domain:
                    domains.append(domain)
                    yield DOMAIN(
                        domain=domain, source=entry.key, context=f"{entry.key}={entry.value}", line=entry.line
                    )
        laravel = any(k in env for k in ("APP_KEY", "APP_ENV", "DB_CONNECTION", "APP_URL"))
        if laravel:
            yield SITE(
                app_kind="laravel",
                domains=sorted(set(domains)),
                root=_directory(path),
                config_path=path,
                db_name=value("DB_DATABASE"),
                db_host=value("DB_HOST"),
                db_user=value("DB_USERNAME"),
                line=env["APP_KEY"].line if "APP_KEY" in env else None,
            )
        if value("DB_PASSWORD") or value("DB_USERNAME"):
            connection = value("DB_CONNECTION") or "mysql"
            port = f":{value('DB_PORT')}" if value("DB_PORT") else ""
            yield CREDENTIAL(
                kind="database",
                service=f"{connection}://{value('DB_HOST') or 'localhost'}{port}/{value('DB_DATABASE') or ''}",
                username=value("DB_USERNAME"),
                secret=value("DB_PASSWORD"),
                secret_type="plaintext",
                context=".env DB_USERNAME / DB_PASSWORD",
                line=_line_of(env, "DB_PASSWORD", "DB_USERNAME"),
            )
        yield from self._mail(env, value)
        for entry in entries:
            if entry.secret and entry.key not in _HANDLED_ELSEWHERE and not _placeholder(entry.value):
                yield self._api_credential(entry, value)

    def _mail(self, env: dict[str, EnvEntry], get: Callable[[str], str | None]) -> Iterator[Artefact]:
        username, password, host = get("MAIL_USERNAME"), get("MAIL_PASSWORD"), get("MAIL_HOST")
        if not (username or password):
            return
        address = next(
            (v for v in (username, get("MAIL_FROM_ADDRESS")) if v and _EMAIL.fullmatch(v)),
            None,
        )
        line = _line_of(env, "MAIL_PASSWORD", "MAIL_USERNAME")
        port = get("MAIL_PORT")
        if address:
            yield MAIL_ACCOUNT(
                address=address.lower(),
                host=host,
                port=port,
                username=username,
                password=password,
                context=".env MAIL_HOST / MAIL_USERNAME / MAIL_PASSWORD",
                line=line,
            )
        yield CREDENTIAL(
            kind="mail",
            service=f"smtp://{host or ''}{':' + port if port else ''}",
            username=username,
            secret=password,
            secret_type="plaintext",
            context=".env MAIL_USERNAME / MAIL_PASSWORD",
            line=line,
        )

    @staticmethod
    def _api_credential(entry: EnvEntry, get: Callable[[str], str | None]) -> Artefact:
        family = entry.key.split("_", 1)[0].lower()
        paired = _PAIRED_ID.get(family)
        return CREDENTIAL(
            kind="api_key" if entry.key != "APP_KEY" else "app_key",
            service=family if entry.category != "app" else "laravel",
            username=get(paired) if paired and paired != entry.key else None,
            secret=entry.value,
            secret_type="api-key" if entry.key != "APP_KEY" else "laravel-app-key",
            context=f".env {entry.key}",
            line=entry.line,
        )

    def _php(self, text: str, path: str) -> Iterator[Artefact]:
        groups = parse_php_db_config(text)
        first = groups[0]
        yield SITE(
            app_kind="php",
            domains=[],
            root=_directory(path),
            config_path=path,
            db_name=first.database,
            db_host=first.host,
            db_user=first.username,
            line=first.line,
        )
        for group in groups:
            port = f":{group.port}" if group.port else ""
            yield CREDENTIAL(
                kind="database",
                service=f"mysql://{group.host or 'localhost'}{port}/{group.database or ''}",
                username=group.username,
                secret=group.password,
                secret_type="plaintext",
                context=f"PHP {group.source}: {', '.join(group.names)}",
                line=group.line,
            )

    def _nginx(self, text: str, path: str) -> Iterator[Artefact]:
        config = parse_nginx(text)
        for server in config.servers:
            names = [d for d in (_clean_domain(n) for n in server.server_names) if d]
            for name in dict.fromkeys(names):
                yield DOMAIN(
                    domain=name, source="server_name", context=f"{path}: server_name", line=server.line
                )
            for name in server.letsencrypt_domains:
                yield DOMAIN(
                    domain=name,
                    source="certificate path",
                    context=f"{path}: ssl_certificate",
                    line=server.line,
                )
            yield SITE(
                app_kind="nginx-vhost",
                domains=sorted(set(names) | set(server.letsencrypt_domains)),
                root=server.root,
                config_path=path,
                listen=list(server.listen),
                logs=list(server.access_logs + server.error_logs),
                certificates=list(server.ssl_certificates),
                line=server.line,
            )

    def _apache(self, text: str, path: str) -> Iterator[Artefact]:
        config = parse_apache(text)
        for vhost in config.vhosts:
            names: list[str] = []
            for source, candidates in (
                ("ServerName", [vhost.server_name or ""]),
                ("ServerAlias", list(vhost.aliases)),
            ):
                for candidate in candidates:
                    name = _clean_domain(candidate)
                    if name and name not in names:
                        names.append(name)
                        yield DOMAIN(domain=name, source=source, context=f"{path}: {source}", line=vhost.line)
            for name in vhost.letsencrypt_domains:
                yield DOMAIN(
                    domain=name,
                    source="certificate path",
                    context=f"{path}: SSLCertificateFile",
                    line=vhost.line,
                )
            yield SITE(
                app_kind="apache-vhost",
                domains=sorted(set(names) | set(vhost.letsencrypt_domains)),
                root=vhost.document_root,
                config_path=path,
                listen=[vhost.address] if vhost.address else [],
                logs=list(vhost.custom_logs + vhost.error_logs),
                certificates=list(vhost.ssl_certificate_files),
                line=vhost.line,
            )

    def _renewal(self, text: str, path: str) -> Iterator[Artefact]:
        renewal = parse_letsencrypt_renewal(text, path)
        account = f", ACME account {renewal.account}" if renewal.account else ""
        for domain in renewal.domains:
            yield DOMAIN(domain=domain, source="letsencrypt renewal", context=f"{path}{account}")

    @staticmethod
    def _letsencrypt_live(path: str) -> Iterator[Artefact]:
        domain = letsencrypt_domain(path)
        if domain:
            yield DOMAIN(domain=domain, source="letsencrypt live directory", context=path)

    def correlate(self, store: CaseReader) -> Iterable[Artefact]:
        """Figures: distinct domains, sites, mail accounts and the credentials this plugin found."""
        domains = {str(d.fields.get("domain")) for d in store.artefacts(kind=DOMAIN.name)}
        yield figure("web", "domains", len(domains), "distinct web.domain names")
        sites = sum(1 for _ in store.artefacts(kind=SITE.name))
        yield figure("web", "sites", sites, "web.site artefacts (apps and virtual hosts)")
        mail = {str(m.fields.get("address")) for m in store.artefacts(kind=MAIL_ACCOUNT.name)}
        yield figure("web", "mail accounts", len(mail), "distinct web.mail_account addresses")
        credentials = sum(1 for c in store.artefacts(kind=CREDENTIAL.name) if c.plugin == self.name)
        yield figure("web", "web credentials", credentials, "credential artefacts from web configs")


PLUGINS = (WebConfigs,)

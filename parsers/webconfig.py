"""Web application and web server configuration: WordPress, Laravel ``.env``, PHP DB settings,
nginx and Apache virtual hosts, and Let's Encrypt renewal files.

Each parser takes the file's text (or bytes: UTF-8, else Latin-1) and returns plain records with
1-based line numbers; it raises :class:`ParseError` when the text holds nothing of its format.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from workbench.parsers.errors import ParseError

MAX_VALUE_CHARS = 8192  # a setting value longer than this is cut (multiline .env values, hostile input)


def as_text(data: str | bytes) -> str:
    """Bytes to text the way config files come: UTF-8 (BOM removed), else Latin-1; never fails."""
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


_DOMAIN = re.compile(
    r"(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,62}\.?"
)


def is_domain(name: str) -> bool:
    """True for a DNS name with at least two labels (``*.`` wildcard allowed), not an IP or ``_``."""
    return len(name) <= 253 and _DOMAIN.fullmatch(name) is not None


_LE_PATH = re.compile(r"/letsencrypt/(?:live|archive)/([^/\s\"';]+)")
_LE_SUFFIX = re.compile(r"-\d{4}$")  # certbot adds -0001 when a lineage name is taken


def letsencrypt_domain(path: str) -> str | None:
    """The domain a ``/etc/letsencrypt/live/<domain>/…`` (or ``archive/``) path names, else None."""
    m = _LE_PATH.search(path)
    if m is None:
        return None
    name = _LE_SUFFIX.sub("", m.group(1))
    return name.lower() if is_domain(name) else None


# --- PHP: comments out, strings kept -----------------------------------------------------------


_PHP_SPECIAL = re.compile(r"['\"#/]")
_PHP_STRING = {
    "'": re.compile(r"'[^'\\]*(?:\\.[^'\\]*)*'?", re.DOTALL),
    '"': re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL),
}


def strip_php_comments(text: str) -> str:
    """``text`` with PHP ``//``, ``#`` and ``/* */`` comments blanked (newlines kept, so line numbers
    hold) and string literals left intact."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        special = _PHP_SPECIAL.search(text, i)
        if special is None:
            out.append(text[i:])
            break
        start = special.start()
        out.append(text[i:start])
        char = text[start]
        if char in "'\"":
            literal = _PHP_STRING[char].match(text, start)
            end = literal.end() if literal else start + 1
            out.append(text[start:end])
        elif char == "#" or text.startswith("//", start):
            end = text.find("\n", start)
            end = n if end < 0 else end
            out.append(" " * (end - start))
        elif text.startswith("/*", start):
            end = text.find("*/", start + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[start:end]))
        else:
            end = start + 1
            out.append(char)
        i = end
    return "".join(out)


def php_string_value(token: str) -> str:
    """A PHP literal as written to its value: quotes removed and the common escapes resolved."""
    token = token.strip()
    if len(token) >= 2 and token[0] == token[-1] == "'":
        return token[1:-1].replace("\\'", "'").replace("\\\\", "\\")
    if len(token) >= 2 and token[0] == token[-1] == '"':
        body = token[1:-1]
        return re.sub(
            r"\\(.)",
            lambda m: {"n": "\n", "t": "\t", "$": "$", '"': '"', "\\": "\\"}.get(m.group(1), m.group(0)),
            body,
        )
    return token


_PHP_VALUE = r"""(?P<value>'(?:[^'\\]|\\.){0,8192}'|"(?:[^"\\]|\\.){0,8192}"|[^,;)\s]{1,256})"""
_DEFINE = re.compile(
    r"""define\s*\(\s*(?P<q>['"])(?P<name>[A-Za-z_][A-Za-z0-9_]{0,127})(?P=q)\s*,\s*""" + _PHP_VALUE,
    re.IGNORECASE,
)
_TABLE_PREFIX = re.compile(r"""\$table_prefix\s*=\s*""" + _PHP_VALUE)
WP_SALT_NAMES = (
    "AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
    "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT",
)  # fmt: skip


@dataclass(frozen=True)
class Setting:
    """One named value from a config file, with where it was written."""

    name: str
    value: str
    line: int


@dataclass(frozen=True)
class WpConfig:
    """The settings of a WordPress ``wp-config.php``."""

    db_name: str | None
    db_user: str | None
    db_password: str | None
    db_host: str | None
    table_prefix: str | None
    salts: tuple[Setting, ...]  # AUTH_KEY … NONCE_SALT
    defines: tuple[Setting, ...]  # every define() in file order

    def setting(self, name: str) -> Setting | None:
        """The define() called ``name``, if any."""
        return next((s for s in self.defines if s.name == name), None)


def iter_defines(text: str) -> Iterator[Setting]:
    """Every ``define('NAME', value)`` in PHP source, comments ignored."""
    code = strip_php_comments(text)
    for m in _DEFINE.finditer(code):
        yield Setting(m.group("name"), php_string_value(m.group("value")), _line_at(code, m.start()))


def parse_wp_config(data: str | bytes) -> WpConfig:
    """Database settings, table prefix and keys/salts of a ``wp-config.php``."""
    text = as_text(data)
    defines = tuple(iter_defines(text))
    by_name = {d.name: d.value for d in reversed(defines)}  # the first definition wins, as in PHP
    if not any(name in by_name for name in ("DB_NAME", "DB_USER", "DB_PASSWORD", "DB_HOST")):
        raise ParseError("no WordPress DB_NAME/DB_USER/DB_PASSWORD/DB_HOST define()")
    prefix = _TABLE_PREFIX.search(strip_php_comments(text))
    return WpConfig(
        db_name=by_name.get("DB_NAME"),
        db_user=by_name.get("DB_USER"),
        db_password=by_name.get("DB_PASSWORD"),
        db_host=by_name.get("DB_HOST"),
        table_prefix=php_string_value(prefix.group("value")) if prefix else None,
        salts=tuple(d for d in defines if d.name in WP_SALT_NAMES),
        defines=defines,
    )


# --- Generic PHP DB settings -----------------------------------------------------------------

_ROLE_OF_KEY = {
    "host": "host", "hostname": "host", "server": "host", "db_host": "host", "dbhost": "host",
    "mysql_host": "host", "db_server": "host", "servername": "host",
    "port": "port", "db_port": "port", "dbport": "port",
    "username": "username", "user": "username", "db_user": "username", "dbuser": "username",
    "db_username": "username", "mysql_user": "username", "login": "username",
    "password": "password", "pass": "password", "passwd": "password", "pwd": "password",
    "db_pass": "password", "dbpass": "password", "db_password": "password", "dbpassword": "password",
    "mysql_pass": "password", "mysql_password": "password",
    "database": "database", "dbname": "database", "db_name": "database", "db": "database",
    "db_database": "database", "mysql_db": "database", "mysql_database": "database",
}  # fmt: skip

_PHP_ASSIGN = re.compile(
    r"""(?:(?P<aq>['"])(?P<akey>[A-Za-z_][A-Za-z0-9_]{0,63})(?P=aq)\s*=>\s*"""
    r"""|\$(?P<var>[A-Za-z_][A-Za-z0-9_]{0,63})\s*=\s*"""
    r"""|define\s*\(\s*(?P<dq>['"])(?P<dkey>[A-Za-z_][A-Za-z0-9_]{0,63})(?P=dq)\s*,\s*)"""
    r"""(?P<value>'(?:[^'\\]|\\.){0,8192}'|"(?:[^"\\]|\\.){0,8192}"|-?\d{1,10}\b)""",
    re.IGNORECASE,
)
MAX_GROUP_SPAN_LINES = 40  # settings further apart than this do not belong to one connection


@dataclass(frozen=True)
class PhpDbSettings:
    """One set of database connection settings found in PHP source."""

    host: str | None
    port: str | None
    username: str | None
    password: str | None
    database: str | None
    line: int  # line of the first setting of the group
    source: str  # "array", "variables" or "define"
    names: tuple[str, ...] = field(default=())  # the keys/variables the values came from


def parse_php_db_config(data: str | bytes) -> tuple[PhpDbSettings, ...]:
    """Database settings written as PHP array entries (``'host' => '…'``), variables
    (``$db_pass = '…'``) or define()s; settings close together form one connection."""
    code = strip_php_comments(as_text(data))
    groups: list[dict[str, tuple[str, int, str, str]]] = []
    current: dict[str, tuple[str, int, str, str]] = {}
    for m in _PHP_ASSIGN.finditer(code):
        name = m.group("akey") or m.group("var") or m.group("dkey")
        source = "array" if m.group("akey") else "variables" if m.group("var") else "define"
        role = _ROLE_OF_KEY.get(name.lower())
        if role is None:
            continue
        line = _line_at(code, m.start())
        first_line = min((v[1] for v in current.values()), default=line)
        if role in current or line - first_line > MAX_GROUP_SPAN_LINES:
            groups.append(current)
            current = {}
        current[role] = (php_string_value(m.group("value"))[:MAX_VALUE_CHARS], line, source, name)
    groups.append(current)
    found = []
    for group in groups:
        if "password" not in group and not ("username" in group and ("host" in group or "database" in group)):
            continue
        first = min(group.values(), key=lambda v: v[1])

        def value(role: str, group: dict[str, tuple[str, int, str, str]] = group) -> str | None:
            return group[role][0] if role in group else None

        found.append(
            PhpDbSettings(
                host=value("host"),
                port=value("port"),
                username=value("username"),
                password=value("password"),
                database=value("database"),
                line=first[1],
                source=first[2],
                names=tuple(v[3] for v in sorted(group.values(), key=lambda v: v[1])),
            )
        )
    if not found:
        raise ParseError("no database settings in PHP source")
    return tuple(found)


# --- .env (dotenv) ---------------------------------------------------------------------------

ENV_CATEGORIES = (
    ("APP_", "app"), ("DB_", "database"), ("DATABASE_", "database"), ("REDIS_", "database"),
    ("MAIL_", "mail"), ("SMTP_", "mail"), ("AWS_", "aws"), ("PUSHER_", "pusher"),
    ("STRIPE_", "payment"), ("PAYPAL_", "payment"),
)  # fmt: skip
_SECRET_SUFFIXES = ("_SECRET", "_KEY", "_PASSWORD", "_TOKEN", "_PASS", "_PWD")
_ENV_LINE = re.compile(
    r"[ \t]*(?:export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,127})[ \t]*=[ \t]*(?P<rest>.*)"
)


@dataclass(frozen=True)
class EnvEntry:
    """One ``KEY=value`` of a dotenv file, classified."""

    key: str
    value: str
    line: int
    category: str  # app | database | mail | aws | pusher | payment | other
    secret: bool


def env_category(key: str) -> str:
    """The family of a dotenv key (APP_, DB_, MAIL_, AWS_, PUSHER_, STRIPE_/PAYPAL_ …)."""
    upper = key.upper()
    return next((category for prefix, category in ENV_CATEGORIES if upper.startswith(prefix)), "other")


def env_is_secret(key: str) -> bool:
    """True for keys that hold secrets: *_SECRET, *_KEY, *_PASSWORD, *_TOKEN (and _PASS/_PWD),
    anything naming a secret or password, and APP_KEY."""
    upper = key.upper()
    return upper.endswith(_SECRET_SUFFIXES) or "SECRET" in upper or "PASSWORD" in upper


def _env_double_quoted(body: str) -> str:
    return re.sub(
        r"\\([nrt\"\\$])", lambda m: {"n": "\n", "r": "\r", "t": "\t"}.get(m.group(1), m.group(1)), body
    )


def parse_dotenv(data: str | bytes) -> tuple[EnvEntry, ...]:
    """Every entry of a dotenv file: ``export``, comments, single/double quotes and quoted values
    spanning several lines; unparsable lines are skipped."""
    lines = as_text(data).split("\n")
    entries: list[EnvEntry] = []
    index = 0
    while index < len(lines):
        number = index + 1
        m = _ENV_LINE.fullmatch(lines[index].rstrip("\r"))
        index += 1
        if m is None or lines[index - 1].lstrip().startswith("#"):
            continue
        key, rest = m.group("key"), m.group("rest")
        if rest[:1] in ("'", '"'):
            quote = rest[0]
            body = rest[1:]
            closing = _closing_quote(body, quote)
            while closing < 0 and index < len(lines) and len(body) < MAX_VALUE_CHARS:
                body += "\n" + lines[index].rstrip("\r")
                index += 1
                closing = _closing_quote(body, quote)
            value = body[:closing] if closing >= 0 else body
            value = _env_double_quoted(value) if quote == '"' else value
        else:
            value = re.split(r"[ \t]#", rest, maxsplit=1)[0].strip()
        entries.append(EnvEntry(key, value[:MAX_VALUE_CHARS], number, env_category(key), env_is_secret(key)))
    if not entries:
        raise ParseError("no KEY=value lines")
    return tuple(entries)


def _closing_quote(body: str, quote: str) -> int:
    i = 0
    while i < len(body):
        if body[i] == "\\" and quote == '"':
            i += 2
            continue
        if body[i] == quote:
            return i
        i += 1
    return -1


# --- nginx -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NginxDirective:
    """One nginx directive with its arguments and, for blocks, its children."""

    name: str
    args: tuple[str, ...]
    line: int
    children: tuple[NginxDirective, ...] | None = None  # None for a simple directive


@dataclass(frozen=True)
class NginxServer:
    """What one nginx ``server { }`` block says about a site."""

    line: int
    server_names: tuple[str, ...]
    listen: tuple[str, ...]
    root: str | None
    access_logs: tuple[str, ...]
    error_logs: tuple[str, ...]
    ssl_certificates: tuple[str, ...]
    ssl_certificate_keys: tuple[str, ...]
    letsencrypt_domains: tuple[str, ...]
    includes: tuple[str, ...]


@dataclass(frozen=True)
class NginxConfig:
    """An nginx configuration file: its server blocks and the files it includes."""

    servers: tuple[NginxServer, ...]
    includes: tuple[str, ...]
    directives: tuple[NginxDirective, ...]


MAX_NGINX_DEPTH = 32
_NGINX_TOKEN = re.compile(
    r"""\s+|#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|((?:[^\s{};"'\\]|\\.)+)""", re.DOTALL
)


def _nginx_tokens(text: str) -> Iterator[tuple[str, int, bool]]:
    """``(token, line, is_punctuation)`` for nginx syntax; comments and blanks skipped."""
    line = 1
    pos = 0
    n = len(text)
    while pos < n:
        m = _NGINX_TOKEN.match(text, pos)
        if m is None:  # a lone quote or backslash: take it as a word character
            yield text[pos], line, False
            pos += 1
            continue
        token_line = line
        line += text.count("\n", pos, m.end())
        pos = m.end()
        if m.group(3) is not None:
            yield m.group(3), token_line, True
        elif m.group(1) is not None:
            yield m.group(1), token_line, False
        elif m.group(2) is not None:
            yield m.group(2), token_line, False
        elif m.group(4) is not None:
            yield m.group(4), token_line, False


def parse_nginx_directives(data: str | bytes) -> tuple[NginxDirective, ...]:
    """The directive tree of an nginx config; unbalanced braces are tolerated."""
    stack: list[tuple[str, tuple[str, ...], int, list[NginxDirective]]] = [("", (), 0, [])]
    too_deep = 0  # blocks opened beyond MAX_NGINX_DEPTH: flattened into their parent
    words: list[str] = []
    first_line = 0
    statements = 0
    for token, line, punct in _nginx_tokens(as_text(data)):
        if not punct:
            if not words:
                first_line = line
            words.append(token[:MAX_VALUE_CHARS])
            continue
        if token == ";":
            if words:
                stack[-1][3].append(NginxDirective(words[0], tuple(words[1:]), first_line))
                statements += 1
            words = []
        elif token == "{" and len(stack) > MAX_NGINX_DEPTH:
            too_deep += 1
            words = []
        elif token == "}" and too_deep:
            too_deep -= 1
            words = []
        elif token == "{":
            name, args = (words[0], tuple(words[1:])) if words else ("", ())
            stack.append((name, args, first_line if words else line, []))
            statements += 1
            words = []
        elif len(stack) > 1:  # "}"
            name, args, start, children = stack.pop()
            stack[-1][3].append(NginxDirective(name, args, start, tuple(children)))
            words = []
    while len(stack) > 1:  # close blocks left open at the end of the file
        name, args, start, children = stack.pop()
        stack[-1][3].append(NginxDirective(name, args, start, tuple(children)))
    if statements == 0:
        raise ParseError("no nginx directives")
    return tuple(stack[0][3])


def _walk(directives: tuple[NginxDirective, ...]) -> Iterator[NginxDirective]:
    for d in directives:
        yield d
        if d.children:
            yield from _walk(d.children)


def _server_of(block: NginxDirective) -> NginxServer:
    inner = tuple(_walk(block.children or ()))

    def args_of(name: str) -> list[str]:
        return [d.args[0] for d in inner if d.name == name and d.args]

    names = [a for d in inner if d.name == "server_name" for a in d.args]
    own_root = [d.args[0] for d in block.children or () if d.name == "root" and d.args]
    certificates = args_of("ssl_certificate")
    keys = args_of("ssl_certificate_key")
    le_domains = [dom for path in certificates + keys if (dom := letsencrypt_domain(path))]
    return NginxServer(
        line=block.line,
        server_names=tuple(names),
        listen=tuple(" ".join(d.args) for d in inner if d.name == "listen"),
        root=next(iter(own_root or args_of("root")), None),
        access_logs=tuple(args_of("access_log")),
        error_logs=tuple(args_of("error_log")),
        ssl_certificates=tuple(certificates),
        ssl_certificate_keys=tuple(keys),
        letsencrypt_domains=tuple(dict.fromkeys(le_domains)),
        includes=tuple(args_of("include")),
    )


def parse_nginx(data: str | bytes) -> NginxConfig:
    """The server blocks (names, listen, root, logs, certificates) and includes of an nginx config."""
    directives = parse_nginx_directives(data)
    servers = tuple(_server_of(d) for d in _walk(directives) if d.name == "server" and d.children is not None)
    includes = tuple(d.args[0] for d in _walk(directives) if d.name == "include" and d.args)
    return NginxConfig(servers, includes, directives)


# --- Apache ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApacheVhost:
    """What one Apache ``<VirtualHost>`` says about a site."""

    line: int
    address: str  # e.g. "*:443"
    server_name: str | None
    aliases: tuple[str, ...]
    document_root: str | None
    custom_logs: tuple[str, ...]
    error_logs: tuple[str, ...]
    ssl_certificate_files: tuple[str, ...]
    ssl_certificate_key_files: tuple[str, ...]
    letsencrypt_domains: tuple[str, ...]


@dataclass(frozen=True)
class ApacheConfig:
    """An Apache configuration file: virtual hosts, the main server name and includes."""

    vhosts: tuple[ApacheVhost, ...]
    server_name: str | None  # ServerName outside any <VirtualHost>
    includes: tuple[str, ...]


_APACHE_ARG = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


def _apache_lines(text: str) -> Iterator[tuple[int, str]]:
    """Logical lines (backslash continuations joined) without comments, with their first line number."""
    pending = ""
    start = 0
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical = (pending + line).strip()
        pending = ""
        if logical and not logical.startswith("#"):
            yield start, logical[: MAX_VALUE_CHARS * 4]
    if pending.strip():
        yield start, pending.strip()


def parse_apache(data: str | bytes) -> ApacheConfig:
    """The ``<VirtualHost>`` blocks (names, aliases, document root, logs, certificates) of an Apache config."""
    vhosts: list[ApacheVhost] = []
    includes: list[str] = []
    main_name: str | None = None
    current: dict[str, list[str]] | None = None
    start_line, address = 0, ""
    directives = 0
    for number, logical in _apache_lines(as_text(data)):
        if logical.startswith("<"):
            tag = logical.strip("<>").split(None, 1)
            name = tag[0].lower() if tag else ""
            if name == "virtualhost":
                current, start_line, address = {}, number, tag[1].strip() if len(tag) > 1 else ""
                directives += 1
            elif name == "/virtualhost" and current is not None:
                vhosts.append(_vhost_of(current, start_line, address))
                current = None
            continue
        parts = logical.split(None, 1)
        keyword = parts[0].lower()
        args = [quoted or bare for quoted, bare in _APACHE_ARG.findall(parts[1])] if len(parts) > 1 else []
        directives += 1
        if keyword in ("include", "includeoptional") and args:
            includes.append(args[0])
        if current is not None:
            current.setdefault(keyword, []).extend(args[:1] if keyword != "serveralias" else args)
        elif keyword == "servername" and args:
            main_name = args[0]
    if current is not None:  # a <VirtualHost> left open at the end of the file
        vhosts.append(_vhost_of(current, start_line, address))
    if directives == 0:
        raise ParseError("no Apache directives")
    return ApacheConfig(tuple(vhosts), main_name, tuple(includes))


def _vhost_of(values: dict[str, list[str]], line: int, address: str) -> ApacheVhost:
    certificates = values.get("sslcertificatefile", [])
    keys = values.get("sslcertificatekeyfile", [])
    le_domains = [dom for path in certificates + keys if (dom := letsencrypt_domain(path))]
    names = values.get("servername", [])
    roots = values.get("documentroot", [])
    return ApacheVhost(
        line=line,
        address=address,
        server_name=names[0] if names else None,
        aliases=tuple(values.get("serveralias", [])),
        document_root=roots[0] if roots else None,
        custom_logs=tuple(values.get("customlog", []) + values.get("transferlog", [])),
        error_logs=tuple(values.get("errorlog", [])),
        ssl_certificate_files=tuple(certificates),
        ssl_certificate_key_files=tuple(keys),
        letsencrypt_domains=tuple(dict.fromkeys(le_domains)),
    )


# --- Let's Encrypt renewal config ------------------------------------------------------------


@dataclass(frozen=True)
class LetsEncryptRenewal:
    """A certbot ``renewal/<name>.conf``: certificate paths, ACME account and webroot map."""

    name: str | None  # lineage name from the file name
    cert: str | None
    privkey: str | None
    fullchain: str | None
    archive_dir: str | None
    account: str | None
    authenticator: str | None
    server: str | None
    webroot_map: tuple[tuple[str, str], ...]  # (domain, webroot path)
    domains: tuple[str, ...]  # every domain named: the lineage, the webroot map, the cert paths


def parse_letsencrypt_renewal(data: str | bytes, filename: str | None = None) -> LetsEncryptRenewal:
    """A certbot renewal config (configobj syntax: ``key = value``, ``[section]``, ``[[sub]]``)."""
    top: dict[str, str] = {}
    params: dict[str, str] = {}
    webroot: list[tuple[str, str]] = []
    section = ""
    for raw in as_text(data).split("\n"):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[] ").lower()
            continue
        key, sep, value = line.partition("=")
        if not sep:
            continue
        key, value = key.strip(), value.strip().strip("\"'")[:MAX_VALUE_CHARS]
        if section == "webroot_map":
            webroot.append((key, value.rstrip(",")))
        elif section == "renewalparams":
            params[key] = value
        else:
            top[key] = value
    if not top.get("cert") and not params and not webroot:
        raise ParseError("no certbot renewal settings")
    name = None
    if filename:
        base = filename.rsplit("/", 1)[-1]
        name = base[:-5] if base.endswith(".conf") else base
    domains: list[str] = []
    for candidate in (
        name,
        *(d for d, _ in webroot),
        *(letsencrypt_domain(top.get(k, "")) for k in ("cert", "privkey", "fullchain", "chain")),
    ):
        if candidate:
            plain = _LE_SUFFIX.sub("", candidate).lower()
            if is_domain(plain) and plain not in domains:
                domains.append(plain)
    return LetsEncryptRenewal(
        name=name,
        cert=top.get("cert"),
        privkey=top.get("privkey"),
        fullchain=top.get("fullchain"),
        archive_dir=top.get("archive_dir"),
        account=params.get("account"),
        authenticator=params.get("authenticator"),
        server=params.get("server"),
        webroot_map=tuple(webroot),
        domains=tuple(domains),
    )

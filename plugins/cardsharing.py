"""Card-sharing servers: CCcam.cfg and OSCam configs turned into accounts, upstreams and settings.

- ``cardsharing.cccam``: CCcam.cfg: F: lines are customer accounts (the trailing comment often
  names the customer and the paid-until date), C:/N:/L:/R: lines are upstream servers.
- ``cardsharing.oscam``: oscam.user ``[account]`` blocks, oscam.server ``[reader]`` blocks and
  oscam.conf listening ports and web interface.
- ``cardsharing.figures``: the case figures (customer accounts, upstream servers).

Upstream logins and web-interface logins are also emitted as ``credential`` artefacts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from workbench.parsers.cccam import CccamConfig, CccamFriend, CccamUpstream, parse_cccam
from workbench.parsers.customers import parse_time
from workbench.parsers.oscam import (
    MAX_CONFIG_BYTES,
    OscamAccount,
    OscamConf,
    OscamReader,
    parse_oscam_conf,
    parse_oscam_server,
    parse_oscam_user,
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

ACCOUNT = ArtefactKind(
    "cardsharing.account",
    "Card-sharing account",
    description="A customer account of a card-sharing server (CCcam F: line or OSCam [account]).",
    fields=(
        Field("server_kind", "str", "Server software: cccam or oscam", key=True),
        Field("user", "str", "Account user name", key=True),
        Field("password", "str", "Account password", secret=True),
        Field(
            "description", "str", "OSCam description or CCcam line comment (customer names, payment notes)"
        ),
        Field("expires", "datetime", "Expiry (UTC): OSCam expdate, or a paid-until date in a CCcam comment"),
        Field("expires_source", "str", "Where the expiry comes from: expdate or comment"),
        Field("disabled", "bool", "Disabled (OSCam disabled = 1, or a commented-out CCcam F: line)"),
        Field("group", "str", "OSCam group(s)"),
        Field("hops", "int", "CCcam uphops: how far down shares are passed"),
        Field("max_connections", "int", "OSCam numusers"),
        Field("caid_filters", "list", "CAID / ident / service filters"),
        Field("hostname", "str", "Host restriction"),
        Field("share_emus", "bool", "CCcam shareemus"),
        Field("allow_emm", "bool", "CCcam allowemm"),
        Field("uniq", "str", "OSCam uniq (concurrent-login policy)"),
        Field("au", "str", "OSCam au (EMM updates from this account)"),
        Field("settings", "json", "Every setting of the account as written"),
    ),
    time_field="expires",
    time_description="Card-sharing account expires",
    summary_fields=("server_kind", "user", "description", "expires", "disabled", "hops"),
    uco=UcoMapping("uco-observable:AccountFacet", {"uco-observable:accountIdentifier": "user"}),
)

UPSTREAM = ArtefactKind(
    "cardsharing.upstream",
    "Card-sharing upstream server",
    description="A server this card-sharing server reads cards from (CCcam C:/N: line or OSCam network reader).",
    fields=(
        Field("protocol", "str", "cccam, newcamd, camd3, radegast, cs378x …", key=True),
        Field("host", "str", "Upstream host", key=True),
        Field("port", "int", "Upstream port", key=True),
        Field("user", "str", "Login on the upstream", key=True),
        Field("password", "str", "Password on the upstream", secret=True),
        Field("des_key", "str", "newcamd DES key (28 hex digits)", secret=True),
        Field("label", "str", "OSCam reader label or CCcam line comment"),
        Field("server_kind", "str", "Config it came from: cccam or oscam"),
        Field("group", "str", "OSCam reader group"),
        Field("enabled", "bool", "OSCam enable / not commented out"),
        Field("settings", "json", "Every setting of the reader as written"),
    ),
    summary_fields=("protocol", "host", "port", "user", "label", "server_kind"),
)

SERVER_CONFIG = ArtefactKind(
    "cardsharing.server_config",
    "Card-sharing server configuration",
    description="How a card-sharing server was set up: software, listening ports, web interface login.",
    fields=(
        Field("software", "str", "cccam or oscam", key=True),
        Field("ports", "list", "Listening ports as name=port"),
        Field("webif_port", "int", "Web interface port"),
        Field("webif_user", "str", "Web interface user"),
        Field("webif_password", "str", "Web interface password", secret=True),
        Field("webif_allowed", "str", "Addresses allowed on the web interface"),
        Field("nodeid", "str", "CCcam node id"),
        Field("version", "str", "Announced CCcam version"),
        Field("newcamd_key", "str", "newcamd server DES key", secret=True),
        Field("logfile", "str", "Log file path"),
        Field("usrfile", "str", "Per-user log file path"),
        Field("settings", "json", "Every setting as written, by section"),
    ),
    summary_fields=("software", "ports", "webif_port", "webif_user"),
)

# A paid-until date in a free-text comment: "paid until 2024-07-01", "bis 01.07.2024", "exp 2024/07/01".
_COMMENT_EXPIRY_RE = re.compile(
    r"(?i)(?:until|till|bis|exp\w{0,8}|valid\w{0,6}|paid\s+to|scad\w{0,6}|hasta|jusqu\w{0,4}|vence\w{0,4})"
    r"\W{0,4}\s{0,4}([0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}[./][0-9]{1,2}[./][0-9]{4})"
)


def _read_config(file: FileView, data: bytes | None) -> bytes:
    if data is not None:
        return data
    with file.open() as stream:
        return stream.read(MAX_CONFIG_BYTES + 1)  # the parsers refuse anything larger


def expiry_from_comment(comment: str) -> datetime | None:
    """A paid-until / expiry date written in a free-text comment, or None."""
    match = _COMMENT_EXPIRY_RE.search(comment[:1024])
    return parse_time(match.group(1)) if match else None


def _flag(value: int | None) -> bool | None:
    return None if value is None else value != 0


def upstream_credential(
    protocol: str, host: str, port: int | None, user: str, password: str, context: str
) -> Artefact:
    """The ``credential`` artefact for a login on an upstream card-sharing server."""
    service = f"{protocol}://{host}:{port}" if port is not None else f"{protocol}://{host}"
    return CREDENTIAL(
        kind="cardsharing",
        service=service,
        username=user,
        secret=password,
        secret_type="plaintext",
        context=context,
    )


class CccamPlugin(Plugin):
    """Customer accounts, upstream servers and settings of a CCcam.cfg."""

    name = "cardsharing.cccam"
    version = "1"
    description = "CCcam.cfg: customer accounts (F:), upstream servers (C:, N:) and server settings."
    kinds = (ACCOUNT, UPSTREAM, SERVER_CONFIG, CREDENTIAL)
    globs = ("*/CCcam.cfg", "*/cccam.cfg", "*/CCcam.cfg.*", "*/CCCam.cfg")
    yara_rules = ("cardsharing_cccam_friend", "cardsharing_cccam_upstream", "cardsharing_cccam_config")

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """Yield the server settings, every F: account and every upstream line."""
        config = parse_cccam(_read_config(file, data))
        if not (config.options or config.friends or config.upstreams):
            return
        yield from self._server_config(config)
        for friend in config.friends:
            yield self._account(friend)
        for upstream in config.upstreams:
            yield from self._upstream(upstream)

    @staticmethod
    def _server_config(config: CccamConfig) -> Iterator[Artefact]:
        ports = [f"{option.key}={option.value}" for option in config.options if option.key.endswith("PORT")]
        webif_user = config.option("WEBINFO USERNAME")
        webif_password = config.option("WEBINFO PASSWORD")
        yield SERVER_CONFIG(
            line=config.options[0].line if config.options else None,
            software="cccam",
            ports=ports,
            webif_port=config.webif_port,
            webif_user=webif_user,
            webif_password=webif_password,
            nodeid=config.option("NODEID"),
            version=config.option("VERSION"),
            settings={option.key: option.value for option in config.options},
        )
        if webif_user or webif_password:
            yield CREDENTIAL(
                kind="panel",
                service=f"CCcam web info :{config.webif_port or ''}",
                username=webif_user or "",
                secret=webif_password or "",
                secret_type="plaintext",
                context="CCcam.cfg WEBINFO USERNAME / WEBINFO PASSWORD",
            )

    @staticmethod
    def _account(friend: CccamFriend) -> Artefact:
        expires = expiry_from_comment(friend.comment)
        return ACCOUNT(
            line=friend.line,
            server_kind="cccam",
            user=friend.user,
            password=friend.password,
            description=friend.comment,
            expires=expires,
            expires_source="comment" if expires else None,
            disabled=friend.commented,
            hops=friend.uphops,
            caid_filters=["{ " + ", ".join(group) + " }" for group in friend.filters],
            hostname=friend.hostname or None,
            share_emus=_flag(friend.shareemus),
            allow_emm=_flag(friend.allowemm),
            settings={"raw": friend.raw, "extra": list(friend.extra)},
        )

    @staticmethod
    def _upstream(upstream: CccamUpstream) -> Iterator[Artefact]:
        yield UPSTREAM(
            line=upstream.line,
            protocol=upstream.protocol,
            host=upstream.host,
            port=upstream.port,
            user=upstream.user,
            password=upstream.password,
            des_key=upstream.des_key or None,
            label=upstream.comment,
            server_kind="cccam",
            enabled=not upstream.commented,
            settings={"raw": upstream.raw, "want_emu": upstream.want_emu, "extra": list(upstream.extra)},
        )
        if upstream.user or upstream.password:
            yield upstream_credential(
                upstream.protocol,
                upstream.host,
                upstream.port,
                upstream.user,
                upstream.password,
                f"CCcam.cfg line {upstream.line}",
            )


class OscamPlugin(Plugin):
    """Accounts, readers and server settings of OSCam configuration files."""

    name = "cardsharing.oscam"
    version = "1"
    description = "OSCam oscam.user accounts, oscam.server readers and oscam.conf ports and web interface."
    kinds = (ACCOUNT, UPSTREAM, SERVER_CONFIG, CREDENTIAL)
    globs = (
        "*/oscam.user",
        "*/oscam.server",
        "*/oscam.conf",
        "*/oscam.user.*",
        "*/oscam.server.*",
        "*/oscam.conf.*",
    )
    yara_rules = ("cardsharing_oscam_user", "cardsharing_oscam_server", "cardsharing_oscam_conf")

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """Parse the file as each OSCam file type its name or the YARA hits say it is."""
        content = _read_config(file, data)
        name, rules = file.name.lower(), file.yara_rules
        if name.startswith("oscam.user") or "cardsharing_oscam_user" in rules:
            for account in parse_oscam_user(content):
                yield self._account(account)
        if name.startswith("oscam.server") or "cardsharing_oscam_server" in rules:
            for reader in parse_oscam_server(content):
                yield from self._reader(reader)
        if name.startswith("oscam.conf") or "cardsharing_oscam_conf" in rules:
            yield from self._server_config(parse_oscam_conf(content))

    @staticmethod
    def _account(account: OscamAccount) -> Artefact:
        filters = [f"caid={part.strip()}" for part in account.caid.split(",") if part.strip()]
        if account.ident:
            filters.append(f"ident={account.ident}")
        return ACCOUNT(
            line=account.line,
            server_kind="oscam",
            user=account.user,
            password=account.password,
            description=account.description,
            expires=account.expdate,
            expires_source="expdate" if account.expdate else None,
            disabled=account.disabled,
            group=account.group,
            max_connections=account.numusers,
            caid_filters=filters,
            hostname=account.hostname or None,
            uniq=account.uniq,
            au=account.au,
            settings=dict(account.settings),
        )

    @staticmethod
    def _reader(reader: OscamReader) -> Iterator[Artefact]:
        if not reader.host:
            return  # a local card reader (/dev/sci0, pcsc …), not an upstream server
        yield UPSTREAM(
            line=reader.line,
            protocol=reader.protocol,
            host=reader.host,
            port=reader.port,
            user=reader.user,
            password=reader.password,
            des_key=reader.key or None,
            label=reader.label,
            server_kind="oscam",
            group=reader.group,
            enabled=reader.enabled if reader.enabled is not None else True,
            settings=dict(reader.settings),
        )
        if reader.user or reader.password:
            yield upstream_credential(
                reader.protocol,
                reader.host,
                reader.port,
                reader.user,
                reader.password,
                f"oscam.server [reader] {reader.label}",
            )

    @staticmethod
    def _server_config(conf: OscamConf) -> Iterator[Artefact]:
        if not conf.sections:
            return
        yield SERVER_CONFIG(
            line=conf.sections[0].line or None,
            software="oscam",
            ports=[f"{name}={port}" for name, port in conf.listen_ports],
            webif_port=conf.webif_port,
            webif_user=conf.webif_user,
            webif_password=conf.webif_password,
            webif_allowed=conf.webif_allowed,
            nodeid=conf.cccam_nodeid,
            version=conf.cccam_version,
            newcamd_key=conf.newcamd_key or None,
            logfile=conf.logfile,
            usrfile=conf.usrfile,
            settings={section.name: dict(section.pairs()) for section in conf.sections},
        )
        if conf.webif_user or conf.webif_password:
            yield CREDENTIAL(
                kind="panel",
                service=f"OSCam web interface :{conf.webif_port or ''}",
                username=conf.webif_user,
                secret=conf.webif_password,
                secret_type="plaintext",
                context="oscam.conf [webif] httpuser / httppwd",
            )


class CardsharingFiguresPlugin(Plugin):
    """Case figures of the card-sharing family (no per-file work)."""

    name = "cardsharing.figures"
    version = "1"
    description = "Case figures: card-sharing customer accounts and upstream servers."
    kinds = ()

    def correlate(self, store: CaseReader) -> Iterable[Artefact]:
        """Distinct customer accounts and distinct upstream servers over the whole case."""
        accounts = {
            (str(a.fields.get("server_kind")), str(a.fields.get("user")))
            for a in store.artefacts(kind=ACCOUNT.name)
        }
        upstreams = {
            (str(a.fields.get("protocol")), str(a.fields.get("host")).lower(), str(a.fields.get("port")))
            for a in store.artefacts(kind=UPSTREAM.name)
        }
        if accounts:
            yield figure(
                "cardsharing",
                "customer accounts",
                len(accounts),
                "distinct (server software, user) over cardsharing.account artefacts; "
                "disabled and commented-out accounts included",
            )
        if upstreams:
            yield figure(
                "cardsharing",
                "upstream servers",
                len(upstreams),
                "distinct (protocol, host, port) over cardsharing.upstream artefacts",
            )


PLUGINS = (CccamPlugin, OscamPlugin, CardsharingFiguresPlugin)

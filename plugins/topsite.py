"""Topsites: glFTPd configuration, users, groups, logs and transfers, and the site bots."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fnmatch import fnmatch

from workbench.parsers.errors import ParseError
from workbench.parsers.glftpd import (
    GlLogEvent,
    iter_log,
    parse_glftpd_conf,
    parse_group,
    parse_passwd,
    parse_userfile,
)
from workbench.parsers.sitebot import parse_eggdrop, parse_ngbot
from workbench.parsers.xferlog import iter_xferlog
from workbench.plugins.common import CREDENTIAL
from workbench.plugins.scene import release_artefact, release_dir_of, release_in_path

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

TEXT_LIMIT = 16 * 1024 * 1024

CONFIG = ArtefactKind(
    "topsite.config",
    "Topsite configuration",
    description="A glftpd.conf: the site's names, contact, passive address and sections.",
    fields=(
        Field("site_name", "str", "sitename_long", key=True),
        Field("site_short", "str", "sitename_short"),
        Field("email", "str", "Site e-mail"),
        Field("login_prompt", "str", "Login banner"),
        Field("pasv_addr", "list", "Passive-mode addresses"),
        Field("pasv_ports", "str", "Passive-mode ports"),
        Field("rootpath", "str", "glFTPd root"),
        Field("datapath", "str", "ftp-data path"),
        Field("sections", "list", "Sections (NAME path)"),
        Field("privpaths", "list", "Private paths"),
        Field("software", "str", "FTP daemon"),
    ),
    summary_fields=("site_name", "site_short", "email", "pasv_addr", "sections"),
)

USER = ArtefactKind(
    "topsite.user",
    "Topsite user",
    description="A topsite account from a glFTPd user file or passwd line.",
    fields=(
        Field("name", "str", "User name", key=True),
        Field("groups", "list", "Groups"),
        Field("gadmin_groups", "list", "Groups the user administers"),
        Field("flags", "str", "glFTPd flags (1 siteop, 6 deleted …)"),
        Field("credits_kb", "int", "Credits in KB"),
        Field("files_up", "int", "Files uploaded (ALLUP)"),
        Field("bytes_up", "int", "Bytes uploaded (ALLUP KB × 1024)"),
        Field("files_down", "int", "Files downloaded (ALLDN)"),
        Field("bytes_down", "int", "Bytes downloaded (ALLDN KB × 1024)"),
        Field("ip_masks", "list", "Allowed ident@IP masks"),
        Field("tagline", "str", "Tagline"),
        Field("added_by", "str", "Who added the user"),
        Field("added", "datetime", "Date added (passwd)"),
        Field("deleted", "bool", "Deleted (flag 6)"),
        Field("uid", "int", "passwd uid"),
        Field("gid", "int", "passwd gid"),
        Field("homedir", "str", "Home directory"),
        Field("source", "str", "userfile or passwd", key=True),
    ),
    time_field="added",
    time_description="Topsite user added",
    summary_fields=("name", "groups", "flags", "bytes_up", "ip_masks", "deleted"),
    uco=UcoMapping("uco-observable:AccountFacet", {"uco-observable:accountIdentifier": "name"}),
)

GROUP = ArtefactKind(
    "topsite.group",
    "Topsite group",
    description="A glFTPd group (etc/group).",
    fields=(
        Field("name", "str", "Group", key=True),
        Field("description", "str", "Description"),
        Field("gid", "int", "gid"),
    ),
)

EVENT = ArtefactKind(
    "topsite.event",
    "Topsite log event",
    description="A glftpd.log / login.log / sysop.log line.",
    fields=(
        Field("time", "datetime", "Time as logged (site local time, stored as if UTC)"),
        Field("event", "str", "NEWDIR, DELDIR, NUKE, PRE, LOGIN …"),
        Field("path", "str", "Site path"),
        Field("release", "str", "Release named in the path"),
        Field("user", "str", "User"),
        Field("group", "str", "User's group"),
        Field("args", "list", "All arguments as logged"),
        Field("log", "str", "Log file name"),
    ),
    time_field="time",
    time_description="Topsite event",
    summary_fields=("time", "event", "user", "group", "release", "path"),
)

TRANSFER = ArtefactKind(
    "topsite.transfer",
    "Topsite transfer",
    description="An xferlog line: one upload or download.",
    fields=(
        Field("time", "datetime", "Time as logged (site local time, stored as if UTC)"),
        Field("user", "str", "User"),
        Field("group", "str", "Group (glFTPd) or service name"),
        Field("file", "str", "File path"),
        Field("release", "str", "Release directory the file is in"),
        Field("bytes", "int", "Bytes"),
        Field("seconds", "int", "Transfer time in seconds"),
        Field("direction", "str", "up, down or delete"),
        Field("remote_host", "str", "Remote host"),
        Field("completed", "bool", "Completed (c) or incomplete (i)"),
    ),
    time_field="time",
    time_description="File transferred",
    summary_fields=("time", "user", "direction", "bytes", "release", "remote_host"),
)

SITEBOT = ArtefactKind(
    "topsite.sitebot",
    "Site bot",
    description="An eggdrop or pzs-ng ngBot configuration: IRC network, servers, channels, keys.",
    fields=(
        Field("software", "str", "eggdrop or ngBot"),
        Field("network", "str", "IRC network"),
        Field("servers", "list", "IRC servers host:port"),
        Field("channels", "list", "Channels"),
        Field("nick", "str", "Bot nick"),
        Field("admin", "str", "Admin / owner"),
        Field("site_name", "str", "Site name (ngBot)"),
        Field("glroot", "str", "glFTPd root (ngBot)"),
        Field("sections", "list", "Announced sections (ngBot paths)"),
        Field("blowfish", "bool", "Blowfish loaded or keys set"),
        Field("blowfish_keys", "json", "Channel -> key", secret=True),
        Field("userfile", "str", "Eggdrop userfile"),
    ),
    summary_fields=("software", "network", "nick", "channels", "site_name", "blowfish"),
)

GLOBS = (
    "*/glftpd.conf",
    "*/glftpd/etc/passwd",
    "*/glftpd/etc/group",
    "*/ftp-data/users/*",
    "*/ftp-data/logs/*.log",
    "*xferlog*",
    "*/eggdrop.conf",
    "*/ngBot.conf",
)


class TopsitePlugin(Plugin):
    """glFTPd sites: config, users, groups, logs, xferlog and site bots."""

    name = "topsite"
    version = "1"
    description = "glFTPd topsites: glftpd.conf, passwd/group, user files, logs, xferlog, eggdrop/ngBot."
    kinds = (CONFIG, USER, GROUP, EVENT, TRANSFER, SITEBOT)
    globs = GLOBS
    yara_rules = (
        "scene_glftpd_conf",
        "scene_glftpd_userfile",
        "scene_glftpd_log",
        "scene_eggdrop_conf",
        "scene_ngbot_conf",
    )

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """Dispatch on the path (or the YARA rule that hit) to the right glFTPd parser."""
        path, rules = file.path, file.yara_rules
        if fnmatch(path, "*xferlog*"):
            return self._xferlog(file)
        if fnmatch(path, "*/ftp-data/logs/*") or "scene_glftpd_log" in rules:
            return self._log(file)
        if fnmatch(path, "*/ftp-data/users/*") or "scene_glftpd_userfile" in rules:
            return self._userfile(file, data)
        if file.name == "glftpd.conf" or "scene_glftpd_conf" in rules:
            return self._config(file, data)
        if fnmatch(path, "*/etc/passwd"):
            return self._passwd(file, data)
        if fnmatch(path, "*/etc/group"):
            return self._group(file, data)
        if file.name == "ngBot.conf" or "scene_ngbot_conf" in rules:
            return self._ngbot(file, data)
        if file.name == "eggdrop.conf" or "scene_eggdrop_conf" in rules:
            return self._eggdrop(file, data)
        return ()

    @staticmethod
    def _bytes(file: FileView, data: bytes | None) -> bytes:
        if data is not None:
            return data
        with file.open() as stream:
            return stream.read(TEXT_LIMIT + 1)

    def _config(self, file: FileView, data: bytes | None) -> Iterator[Artefact]:
        try:
            conf = parse_glftpd_conf(self._bytes(file, data))
        except ParseError:
            return
        yield CONFIG(
            site_name=conf.sitename_long,
            site_short=conf.sitename_short,
            email=conf.email,
            login_prompt=conf.login_prompt,
            pasv_addr=list(conf.pasv_addr),
            pasv_ports=conf.pasv_ports,
            rootpath=conf.rootpath,
            datapath=conf.datapath,
            sections=[f"{s.name} {s.path}" for s in conf.sections],
            privpaths=list(conf.privpaths),
            software="glFTPd",
        )

    def _passwd(self, file: FileView, data: bytes | None) -> Iterator[Artefact]:
        try:
            entries = parse_passwd(self._bytes(file, data))
        except ParseError:
            return
        for entry in entries:
            yield USER(
                name=entry.user,
                uid=entry.uid,
                gid=entry.gid,
                added=entry.added,
                homedir=entry.homedir,
                source="passwd",
                groups=[],
                ip_masks=[],
                line=entry.line,
            )
            if entry.password and entry.password not in ("*", "x", "!"):
                yield CREDENTIAL(
                    kind="ftp",
                    service="glFTPd",
                    username=entry.user,
                    secret=entry.password,
                    secret_type=_hash_type(entry.password),
                    context=file.path,
                    line=entry.line,
                )

    def _group(self, file: FileView, data: bytes | None) -> Iterator[Artefact]:
        try:
            entries = parse_group(self._bytes(file, data))
        except ParseError:
            return
        for entry in entries:
            yield GROUP(name=entry.name, description=entry.description, gid=entry.gid, line=entry.line)

    def _userfile(self, file: FileView, data: bytes | None) -> Iterator[Artefact]:
        if file.name.startswith("default.") or file.name.endswith((".lock", ".bak")):
            return
        try:
            user = parse_userfile(self._bytes(file, data), file.name)
        except ParseError:
            return
        up, down = user.stats.get("ALLUP"), user.stats.get("ALLDN")
        yield USER(
            name=user.name,
            groups=list(user.groups),
            gadmin_groups=list(user.gadmin_groups),
            flags=user.flags,
            credits_kb=user.credits_kb[0] if user.credits_kb else None,
            files_up=up.files if up else None,
            bytes_up=up.kilobytes * 1024 if up else None,
            files_down=down.files if down else None,
            bytes_down=down.kilobytes * 1024 if down else None,
            ip_masks=list(user.ips),
            tagline=user.tagline,
            added_by=user.added_by,
            deleted=user.deleted,
            homedir=user.homedir,
            source="userfile",
        )

    def _log(self, file: FileView) -> Iterator[Artefact]:
        seen: set[str] = set()
        with file.open() as stream:
            for event in iter_log(stream):
                path, user, group = _event_subjects(event)
                here = (release_dir_of(path) or release_in_path(path)) if path else None
                release = here[0] if here else None
                yield EVENT(
                    time=event.time,
                    event=event.event,
                    path=path,
                    release=release.name if release else None,
                    user=user,
                    group=group,
                    args=list(event.args),
                    log=file.name,
                    line=event.line,
                )
                if here is not None and here[0].name.lower() not in seen:
                    seen.add(here[0].name.lower())
                    yield release_artefact(here[0], "log", here[1], line=event.line)

    def _xferlog(self, file: FileView) -> Iterator[Artefact]:
        seen: set[str] = set()
        with file.open() as stream:
            for entry in iter_xferlog(stream):
                here = release_in_path(entry.filename)
                yield TRANSFER(
                    time=entry.time,
                    user=entry.user,
                    group=entry.service,
                    file=entry.filename,
                    release=here[0].name if here else None,
                    bytes=entry.size,
                    seconds=entry.seconds,
                    direction=entry.direction,
                    remote_host=entry.remote_host,
                    completed=entry.completed,
                    line=entry.line,
                )
                if here is not None and here[0].name.lower() not in seen:
                    seen.add(here[0].name.lower())
                    yield release_artefact(here[0], "log", here[1], line=entry.line)

    def _eggdrop(self, file: FileView, data: bytes | None) -> Iterator[Artefact]:
        try:
            conf = parse_eggdrop(self._bytes(file, data))
        except ParseError:
            return
        yield SITEBOT(
            software="eggdrop",
            network=conf.network,
            servers=[f"{s.host}:{s.port}" if s.port else s.host for s in conf.servers],
            channels=list(conf.channels),
            nick=conf.nick,
            admin=conf.admin or conf.owner,
            blowfish=conf.blowfish,
            blowfish_keys=dict(sorted(conf.blowfish_keys.items())),
            userfile=conf.userfile,
            sections=[],
        )
        for server in conf.servers:
            if server.password:
                yield CREDENTIAL(
                    kind="irc",
                    service=f"{server.host}:{server.port}" if server.port else server.host,
                    username=conf.username or conf.nick or "",
                    secret=server.password,
                    secret_type="plaintext",
                    context="eggdrop server add",
                    line=server.line,
                )

    def _ngbot(self, file: FileView, data: bytes | None) -> Iterator[Artefact]:
        try:
            conf = parse_ngbot(self._bytes(file, data))
        except ParseError:
            return
        yield SITEBOT(
            software="ngBot",
            servers=[s for s in conf.bnc.get("LIST", "").split() if s],
            channels=list(conf.channels),
            site_name=conf.sitename,
            glroot=conf.glroot,
            sections=sorted(conf.paths),
            blowfish=bool(conf.blowfish_keys),
            blowfish_keys=dict(sorted(conf.blowfish_keys.items())),
        )
        if conf.bnc.get("PASS"):
            yield CREDENTIAL(
                kind="ftp",
                service=conf.bnc.get("LIST") or "bnc",
                username=conf.bnc.get("USER") or "",
                secret=conf.bnc["PASS"],
                secret_type="plaintext",
                context="ngBot bnc(PASS)",
            )

    def correlate(self, store: CaseReader) -> Iterable[Artefact]:
        """Topsite case figures: users, transfers and bytes moved."""
        users = {str(u.fields.get("name")) for u in store.artefacts(kind=USER.name) if u.fields.get("name")}
        deleted = {
            str(u.fields.get("name")) for u in store.artefacts(kind=USER.name) if u.fields.get("deleted")
        }
        transfers = up = down = 0
        for t in store.artefacts(kind=TRANSFER.name):
            transfers += 1
            size = int(t.fields.get("bytes") or 0)
            if t.fields.get("direction") == "up":
                up += size
            elif t.fields.get("direction") == "down":
                down += size
        yield figure(
            "topsite", "topsite users", len(users), "distinct topsite.user names (userfiles and passwd)"
        )
        yield figure("topsite", "deleted topsite users", len(deleted), "topsite.user with flag 6")
        yield figure("topsite", "transfers", transfers, "topsite.transfer lines (xferlog)")
        yield figure("topsite", "bytes up", up, "sum of topsite.transfer bytes, direction up", unit="bytes")
        yield figure(
            "topsite", "bytes down", down, "sum of topsite.transfer bytes, direction down", unit="bytes"
        )


def _event_subjects(event: GlLogEvent) -> tuple[str | None, str | None, str | None]:
    """(path, user, group) of a log event: path events put the user second, logins third."""
    args = event.args
    if args and args[0].startswith("/"):
        user = args[1] if len(args) > 1 else None
        group = args[2] if len(args) > 2 and event.event not in ("NUKE", "UNNUKE") else None
        return args[0], user, group
    if len(args) >= 3 and "@" in args[0]:
        return None, args[2], args[3] if len(args) > 3 else None
    return None, None, None


def _hash_type(secret: str) -> str:
    if secret.startswith("$1$"):
        return "crypt-md5"
    if secret.startswith("$6$"):
        return "crypt-sha512"
    if secret.startswith("$") and secret.count("$") == 2:
        return "glftpd-pbkdf2"
    return "unknown"


PLUGINS = (TopsitePlugin,)

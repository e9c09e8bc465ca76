"""The demo case: three items of seized evidence built with the sample builders, and the figures they hold.

``build_demo_evidence(out_dir)`` writes, deterministically:

- EX-01 ``EX-01/panel-server.E01`` + ``.E02``: an E01 (two segments) of a GPT disk whose ext4 root is
  an Xtream UI panel server (obfuscated config, a mysqldump of subscribers, streams, resellers, credit
  logs and activity), with the web server's nginx/auth/sys/MySQL logs, root's shell history with the
  dump command, an admin note with wallets and PayPal addresses, an OSCam config, and a customer CSV
  that was deleted (unlinked with debugfs, its inode and blocks still there);
- EX-02 ``EX-02/topsite.qcow2``: a qcow2 of a GPT disk holding a glFTPd topsite (ext4: users, logs,
  xferlog, release directories with NFO/SFV, eggdrop and pre-bot) and an NTFS data partition with
  .torrent files of some releases;
- EX-03 ``EX-03/watchfree-webroot.tar.gz``: a hosting provider's logical dump of the streaming
  website's web root and its nginx and Let's Encrypt configuration.

``EXPECTED`` is the one place the demo's expected case figures are written down: for every figure
``workbench summary --json`` reports (family, then name), how its value follows from what the builders
returned. ``DemoEvidence.expected`` holds the evaluated values.

Same bytes every time: every evidence file (both E01 segments, the qcow2, the tar.gz) is identical
across builds. ewfacquire writes the acquisition and system dates into its header sections, so
``make_e01`` runs it under libfaketime with a frozen clock. Times the other tools take from the clock
are pinned too: ext4 change and access times are set with debugfs, and the NTFS times ntfscp writes
are rewritten in the MFT and index records.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from workbench.parsers.sqldump import iter_rows
from workbench.samples.cardsharing import OscamFigures, build_oscam
from workbench.samples.customers import sample_customers, write_customer_csv
from workbench.samples.images import (
    FIXED_TIME,
    MIB,
    BuildFailed,
    make_disk,
    make_e01,
    make_ext4,
    make_ntfs,
    make_qcow2,
    make_tar_gz,
)
from workbench.samples.iptv import REFERENCE_DATE, XTREAM_ROOT, IptvFigures, build_xtream_panel
from workbench.samples.topsite import TopsiteFigures, build_topsite
from workbench.samples.webserver import WALLETS as WEB_WALLETS
from workbench.samples.webserver import WebFigures, build_webserver

CASE_NUMBER = "2026-ISOP-DEMO"
PANEL_SUBSCRIBERS = 3000
PANEL_STREAMS = 300
PANEL_RESELLERS = 12
ACCESS_LOG_LINES = 6000
TOPSITE_GROUPS = ("FAKEGRP", "NOGRP", "OTHERGRP")
LOGGED_SUBSCRIBERS = 4  # panel lines whose requests the web server's access logs show
DELETED_CSV = "root/exports/kunden_export_2024-05.csv"
DELETED_CUSTOMERS = 40
# One evening's coordinated action. The IPTV plugin counts subscribers as active or expired at the latest
# seizure time of the case, so the panel server, seized last, is seized at the panel builder's reference
# date; the web server's logs end a few minutes before.
PANEL_SEIZED_AT = REFERENCE_DATE  # 2024-06-01T21:00:00Z
TOPSITE_SEIZED_AT = datetime(2024, 6, 1, 20, 30, tzinfo=UTC)
WEBROOT_SEIZED_AT = datetime(2024, 6, 1, 20, 45, tzinfo=UTC)
WEB_LOGS_END = PANEL_SEIZED_AT - timedelta(minutes=5)
PANEL_FILE_TIME = datetime(2024, 6, 1, 20, 5, tzinfo=UTC)  # files the builders wrote without a time
DELETED_CSV_TIME = datetime(2024, 5, 31, 9, 14, 27, tzinfo=UTC)
TOPSITE_FILE_TIME = datetime(2024, 6, 1, 19, 0, tzinfo=UTC)
NTFS_FILE_TIME = datetime(2024, 6, 1, 18, 30, tzinfo=UTC)
WEB_SUBTREES_EX01 = (
    "var/log",
    "root/.bash_history",
    "root/notes",
    "home/deploy",
    "etc/hosts",
    "etc/hostname",
)
WEB_SUBTREES_EX03 = ("var/www", "etc/nginx", "etc/letsencrypt")
PANEL_DISK_GUID = "5eed0000-0000-4000-8000-0000000de301"
TOPSITE_DISK_GUID = "5eed0000-0000-4000-8000-0000000de302"
PANEL_FS_UUID = "5eed0000-0000-4000-8000-00000000de01"
TOPSITE_FS_UUID = "5eed0000-0000-4000-8000-00000000de02"


@dataclass(frozen=True)
class DemoItem:
    """One evidence item as the examiner receives it, with its seizure details."""

    exhibit: str
    description: str
    path: Path  # what `workbench evidence add` is given (the first segment of a multi-file image)
    files: tuple[Path, ...]
    seized_by: str
    seized_at: str
    seized_from: str
    seal: str
    media_sha256: str  # SHA-256 of the media: the disk inside the E01 / qcow2, the tar.gz file itself
    provider_sha256: str | None = None  # the hash the provider gave with a logical dump


@dataclass(frozen=True)
class DeletedFile:
    """The customer CSV deleted on EX-01 before the seizure."""

    exhibit: str
    path: str  # inside the ext4 file system, from its root
    sha256: str
    customers: int


@dataclass(frozen=True)
class DemoParts:
    """What each builder returned."""

    iptv: IptvFigures
    web: WebFigures
    oscam: OscamFigures
    topsite: TopsiteFigures
    deleted: DeletedFile
    logged_subscribers: tuple[tuple[str, str], ...]  # panel lines the access logs show
    panel_nginx_servers: int  # server blocks in the panel's own nginx.conf (web.site artefacts)


Figure = Callable[[DemoParts], float]


def _wallets(parts: DemoParts, chain: str) -> int:
    addresses = set(WEB_WALLETS.get(chain, ()))
    if chain == "bitcoin":
        addresses.add(parts.iptv.bitcoin_address)
    return len(addresses)


def _payment_accounts(parts: DemoParts, provider: str | None = None) -> int:
    accounts = set(parts.web.payment_accounts) | {parts.iptv.paypal_email}
    if provider is not None:
        accounts = {a for a in accounts if ("@" in a) == (provider == "paypal")}
    return len(accounts)


def _releases_by(group: str) -> Figure:
    return lambda p: next(g.releases for g in p.topsite.groups if g.group == group)


# Figures the builders cannot predict: how many files each shipped YARA rule pack hits depends on the
# packs, not on the evidence. The demo reports them; nothing compares them.
UNCHECKED_FAMILIES = ("yara",)

# family -> figure name (as `workbench summary --json` reports it) -> value from the builders' figures
EXPECTED: dict[str, dict[str, Figure]] = {
    "iptv": {
        "live channels": lambda p: p.iptv.live_channels,
        "VOD items": lambda p: p.iptv.vod,
        "series": lambda p: p.iptv.series,
        "series episodes": lambda p: p.iptv.series_episodes,
        "radio stations": lambda p: p.iptv.radio,
        # the panel's lines, plus the other user names the access logs show requesting streams
        "subscribers": lambda p: p.iptv.subscribers + len(p.web.other_panel_users),
        "active subscribers": lambda p: p.iptv.active,
        "expired subscribers": lambda p: p.iptv.expired,
        "trial subscribers": lambda p: p.iptv.trial,
        "disabled or banned subscribers": lambda p: p.iptv.disabled,
        "MAG devices": lambda p: p.iptv.mag_devices,
        "resellers": lambda p: p.iptv.resellers,
        "resellers with credits": lambda p: p.iptv.resellers_with_credits,
        "panel admins": lambda p: p.iptv.admins,
        "streaming servers": lambda p: p.iptv.servers,
        "viewing sessions": lambda p: p.iptv.activity_sessions,
        "client IPs": lambda p: p.iptv.client_ips,
        "client countries": lambda p: p.iptv.countries,
        # each line seen in the access logs requested one host
        "line credentials in access URLs": lambda p: len(p.logged_subscribers) + len(p.web.other_panel_users),
    },
    "scene": {
        "release groups": lambda p: p.topsite.release_groups,
        "releases": lambda p: p.topsite.releases,
        **{f"releases by {group}": _releases_by(group) for group in TOPSITE_GROUPS},
    },
    "topsite": {
        "topsite users": lambda p: p.topsite.topsite_users,
        "deleted topsite users": lambda p: p.topsite.deleted_users,
        "transfers": lambda p: p.topsite.transfers,
        "bytes up": lambda p: p.topsite.bytes_up,
        "bytes down": lambda p: p.topsite.bytes_down,
    },
    "torrents": {
        "torrents": lambda p: p.topsite.torrents,
    },
    "cardsharing": {
        "customer accounts": lambda p: p.oscam.accounts,
        "upstream servers": lambda p: len(p.oscam.upstream_keys),
    },
    "customers": {
        "customer records": lambda p: p.deleted.customers,
        "distinct customers": lambda p: p.deleted.customers,
    },
    "web": {
        "domains": lambda p: len(p.web.domains),
        "sites": lambda p: p.web.sites + p.panel_nginx_servers,
        "mail accounts": lambda p: len(p.web.mail_accounts),
        "web credentials": lambda p: p.web.credentials,
    },
    "payment": {
        "wallets (bitcoin)": lambda p: _wallets(p, "bitcoin"),
        "wallets (ethereum)": lambda p: _wallets(p, "ethereum"),
        "wallets (tron)": lambda p: _wallets(p, "tron"),
        "wallets (monero)": lambda p: _wallets(p, "monero"),
        "payment accounts": lambda p: _payment_accounts(p),
        "payment accounts (iban)": lambda p: _payment_accounts(p, "iban"),
        "payment accounts (paypal)": lambda p: _payment_accounts(p, "paypal"),
        "Stripe live keys": lambda p: len(set(p.web.stripe_keys)),  # the builder writes live keys only
        "rejected address candidates": lambda p: p.web.rejected_candidates,
    },
    "log": {
        "log events (access)": lambda p: p.web.log_events["access"],
        "log events (auth)": lambda p: p.web.log_events["auth"],
        "log events (syslog)": lambda p: p.web.log_events["syslog"],
        "log events (mysql)": lambda p: p.web.log_events["mysql"],
        "log events (shell)": lambda p: p.web.log_events["shell"],
        "subscribers seen in access logs": lambda p: len(p.logged_subscribers),
    },
}


@dataclass(frozen=True)
class DemoEvidence:
    """The built evidence, what went into it, and the figures the workbench must find in it."""

    root: Path
    items: tuple[DemoItem, ...]
    parts: DemoParts
    expected: dict[str, dict[str, float]]

    def item(self, exhibit: str) -> DemoItem:
        """The item with this exhibit id."""
        return next(i for i in self.items if i.exhibit == exhibit)


def expected_figures(parts: DemoParts) -> dict[str, dict[str, float]]:
    """EXPECTED evaluated on what the builders returned."""
    return {family: {name: rule(parts) for name, rule in names.items()} for family, names in EXPECTED.items()}


# ----- helpers ------------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha256(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            while chunk := handle.read(MIB):
                digest.update(chunk)
    return digest.hexdigest()


def _pin_times(tree: Path, written_since: float, when: datetime) -> None:
    """Give every directory, and every file a builder wrote without choosing a time, the time ``when``;
    files with a time of their own keep it (access time set equal to it). Modes are set too, so the
    images do not depend on the umask: 0644 and 0755, 0700 for /root and 0600 for files under it."""
    fixed = when.timestamp()
    for dirpath, _subdirs, filenames in os.walk(tree, topdown=False):
        private = os.path.relpath(dirpath, tree).split(os.sep)[0] == "root"
        for name in filenames:
            path = os.path.join(dirpath, name)
            os.chmod(path, 0o600 if private else 0o644)
            mtime = os.lstat(path).st_mtime
            chosen = fixed if mtime >= written_since - 2 else mtime
            os.utime(path, (chosen, chosen), follow_symlinks=False)
        os.chmod(dirpath, 0o700 if private else 0o755)
        os.utime(dirpath, (fixed, fixed))


def _move(source_root: Path, target_root: Path, relative: Iterable[str]) -> None:
    for rel in relative:
        src = source_root / rel
        if not src.exists():
            raise FileNotFoundError(f"the web server builder wrote no {rel}")
        dst = target_root / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(src), str(dst))


def _tree_mb(tree: Path, headroom: float = 1.6, minimum: int = 8) -> int:
    total = sum(p.stat().st_size + 4096 for p in tree.rglob("*") if p.is_file())
    return max(minimum, int(total * headroom / MIB) + 4)


def _subscribers_from_dump(dump: Path, count: int) -> tuple[tuple[str, str], ...]:
    """The first ``count`` enabled subscriber lines of the panel's mysqldump (user name, password)."""
    found: list[tuple[str, str]] = []
    with open(dump, "rb") as stream:
        for row in iter_rows(stream, tables={"users"}):
            values = dict(zip(row.columns, row.values, strict=False))
            if values.get("enabled") == 1 and values.get("admin_enabled") == 1:
                found.append((str(values["username"]), str(values["password"])))
                if len(found) == count:
                    break
    return tuple(found)


FIXED_INODE_FIELDS = (("uid", 0), ("gid", 0))


def _pin_ext4_inodes(image: Path, tree: Path) -> None:
    """Set every inode's change and access time to its modification time and its owner to root:
    mkfs.ext4 -d copies the source files' ctime (the time they were written, which user space cannot
    set), their atime (which reading the tree moves) and the owner of the user building them."""
    commands = ['sif "/lost+found" uid 0\n', 'sif "/lost+found" gid 0\n']
    for path in sorted([tree, *tree.rglob("*")]):
        rel = "/" + path.relative_to(tree).as_posix() if path != tree else "/"
        if any(c in rel for c in '"\\\n'):
            raise ValueError(f"{rel!r}: a name debugfs cannot be given in a command file")
        mtime = int(path.lstat().st_mtime)
        commands += [f'sif "{rel}" {field} {value}\n' for field, value in FIXED_INODE_FIELDS]
        commands += [f'sif "{rel}" {field} @{mtime}\n' for field in ("ctime", "atime")]
    script = image.with_name(image.name + ".debugfs")
    script.write_text("".join(commands), encoding="utf-8")
    try:
        _debugfs(image, "-f", str(script))
    finally:
        script.unlink()


def _debugfs(image: Path, *args: str) -> None:
    env = {**os.environ, "LC_ALL": "C", "E2FSPROGS_FAKE_TIME": str(FIXED_TIME)}
    result = subprocess.run(
        ["debugfs", "-w", *args, str(image)], capture_output=True, env=env, check=False, text=True
    )
    problems = [line for line in result.stderr.splitlines() if line and not line.startswith("debugfs ")]
    if result.returncode != 0 or problems:
        raise BuildFailed(f"debugfs on {image.name} failed: {' '.join(problems)[:500]}")


def _ext4(tree: Path, out: Path, fs_uuid: str, delete: Iterable[str] = ()) -> Path:
    """``make_ext4`` with every time fixed; ``delete`` paths are then unlinked with debugfs ``rm``,
    leaving their inodes and blocks in place."""
    image = make_ext4(tree, out, _tree_mb(tree), label="root", fs_uuid=fs_uuid)
    _pin_ext4_inodes(image, tree)
    for victim in delete:
        _debugfs(image, "-R", f"rm /{victim}")
    return image


# NTFS: ntfscp stamps the files it creates with the current time (mkntfs -T zeroes its own times).
NTFS_EPOCH_OFFSET = 11644473600  # seconds from 1601-01-01 to 1970-01-01
RECORD_MAGICS = (b"FILE", b"INDX")


def _filetime(unix: float) -> int:
    return int((unix + NTFS_EPOCH_OFFSET) * 10_000_000)


def _pin_ntfs_times(image: Path, since: float, until: float, when: datetime) -> int:
    """Replace the NTFS times written between ``since`` and ``until`` (by ntfscp) in MFT and index
    records with ``when``, undoing and redoing each record's update-sequence fixups; returns how many."""
    low, high = _filetime(since - 2), _filetime(until + 2)
    fixed = struct.pack("<Q", _filetime(when.timestamp()))
    data = bytearray(image.read_bytes())
    replaced = 0
    for offset in range(0, len(data) - 512, 512):
        if bytes(data[offset : offset + 4]) not in RECORD_MAGICS:
            continue
        usa_offset, usa_count = struct.unpack_from("<HH", data, offset + 4)
        size = (usa_count - 1) * 512
        if usa_count < 2 or usa_offset + 2 * usa_count > 512 or offset + size > len(data):
            continue
        record = bytearray(data[offset : offset + size])
        usn = bytes(record[usa_offset : usa_offset + 2])
        if any(record[i * 512 - 2 : i * 512] != usn for i in range(1, usa_count)):
            continue
        for i in range(1, usa_count):
            record[i * 512 - 2 : i * 512] = record[usa_offset + 2 * i : usa_offset + 2 * i + 2]
        for position in range(0, size - 7):
            (value,) = struct.unpack_from("<Q", record, position)
            if low <= value <= high:
                record[position : position + 8] = fixed
                replaced += 1
        for i in range(1, usa_count):
            record[usa_offset + 2 * i : usa_offset + 2 * i + 2] = record[i * 512 - 2 : i * 512]
            record[i * 512 - 2 : i * 512] = usn
        data[offset : offset + size] = record
    image.write_bytes(bytes(data))
    return replaced


# ----- the three items ------------------------------------------------------------------------------


def _build_panel_server(
    tree: Path, started: float, web_tree: Path, work: Path, out: Path
) -> tuple[DemoItem, OscamFigures, DeletedFile]:
    oscam = build_oscam(tree)
    _move(web_tree, tree, WEB_SUBTREES_EX01)
    customers = sample_customers(random.Random(20240531), DELETED_CUSTOMERS, REFERENCE_DATE.date())
    csv_path = tree / DELETED_CSV
    rows = write_customer_csv(csv_path, customers)
    deleted = DeletedFile("EX-01", "/" + DELETED_CSV, _sha256([csv_path]), rows)
    _pin_times(tree, started, PANEL_FILE_TIME)
    os.utime(csv_path, (DELETED_CSV_TIME.timestamp(),) * 2)
    ext4 = _ext4(tree, work / "ex01-root.ext4", PANEL_FS_UUID, delete=[DELETED_CSV])
    disk, _ = make_disk(work / "ex01-disk.raw", [(ext4, "linux")], disk_guid=PANEL_DISK_GUID)
    segment = (disk.stat().st_size // 2 // MIB + 1) * MIB
    segments = make_e01(
        disk,
        out / "EX-01" / "panel-server",
        segment_bytes=segment,
        case_number=CASE_NUMBER,
        examiner="DC R. Almeida",
        description="Dell R640 'panel01', disk 0 (IPTV panel server)",
        evidence_number="EX-01",
    )
    if len(segments) != 2:
        raise RuntimeError(f"expected an E01 in two segments, ewfacquire wrote {len(segments)}")
    item = DemoItem(
        exhibit="EX-01",
        description="IPTV panel server panel01: E01 of disk 0 (Xtream UI)",
        path=segments[0],
        files=tuple(segments),
        seized_by="DC R. Almeida",
        seized_at=_iso(PANEL_SEIZED_AT),
        seized_from="Data centre rack B14, Lisbon",
        seal="PT-2024-118-0001",
        media_sha256=_sha256([disk]),
    )
    return item, oscam, deleted


def _build_topsite_server(work: Path, out: Path) -> tuple[DemoItem, TopsiteFigures]:
    tree, data = work / "ex02-root", work / "ex02-data"
    torrents = work / "ex02-torrents"
    started = time.time()
    topsite = build_topsite(tree, data, groups=TOPSITE_GROUPS)
    shutil.move(str(data / "site"), str(tree / "glftpd" / "site"))
    shutil.move(str(data / "torrents"), str(torrents))
    _pin_times(tree, started, TOPSITE_FILE_TIME)
    _pin_times(torrents, started, NTFS_FILE_TIME)
    ext4 = _ext4(tree, work / "ex02-root.ext4", TOPSITE_FS_UUID)
    before = time.time()
    ntfs = make_ntfs(torrents, work / "ex02-data.ntfs", _tree_mb(torrents, minimum=8), label="Data")
    _pin_ntfs_times(ntfs, before, time.time(), NTFS_FILE_TIME)
    disk, _ = make_disk(
        work / "ex02-disk.raw", [(ext4, "linux"), (ntfs, "msdata")], disk_guid=TOPSITE_DISK_GUID
    )
    image = make_qcow2(disk, out / "EX-02" / "topsite.qcow2")
    item = DemoItem(
        exhibit="EX-02",
        description="Topsite server 'fse01': qcow2 of its virtual disk (glFTPd, release and torrent store)",
        path=image,
        files=(image,),
        seized_by="Insp. M. Costa",
        seized_at=_iso(TOPSITE_SEIZED_AT),
        seized_from="Hosting provider snapshot, VM fse01",
        seal="PT-2024-118-0002",
        media_sha256=_sha256([disk]),
    )
    return item, topsite


def _build_web_dump(web_tree: Path, work: Path, out: Path) -> DemoItem:
    tree = work / "ex03-webroot"
    _move(web_tree, tree, WEB_SUBTREES_EX03)
    _pin_times(tree, time.time(), PANEL_FILE_TIME)  # every file has its own time: directories only
    archive = make_tar_gz(tree, out / "EX-03" / "watchfree-webroot.tar.gz")
    digest = _sha256([archive])
    return DemoItem(
        exhibit="EX-03",
        description="Streaming site watchfree-fake.invalid: provider's logical dump of web root and configs",
        path=archive,
        files=(archive,),
        seized_by="FakeHost Services Ltd (production order 2024/118)",
        seized_at=_iso(WEBROOT_SEIZED_AT),
        seized_from="Shared hosting account 'watchfree'",
        seal="PT-2024-118-0003",
        media_sha256=digest,
        provider_sha256=digest,
    )


def build_demo_evidence(out_dir: Path) -> DemoEvidence:
    """Build the three demo evidence items in ``out_dir`` (which must not exist yet): everything is
    made in a staging directory beside it and renamed into place once complete."""
    out_dir = Path(out_dir)
    if out_dir.exists():
        raise FileExistsError(f"{out_dir}: already exists")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    work = staging / ".build"
    try:
        panel_tree, web_tree = work / "ex01-root", work / "web"
        started = time.time()
        iptv = build_xtream_panel(
            panel_tree, subscribers=PANEL_SUBSCRIBERS, streams=PANEL_STREAMS, resellers=PANEL_RESELLERS
        )
        nginx_servers = _server_blocks(panel_tree / XTREAM_ROOT / "nginx" / "conf" / "nginx.conf")
        # the web server's access logs show the requests of real lines of the panel
        logged = _subscribers_from_dump(panel_tree / "root" / "backup_0601.sql", LOGGED_SUBSCRIBERS)
        web = build_webserver(web_tree, access_lines=ACCESS_LOG_LINES, subscribers=logged, end=WEB_LOGS_END)
        ex01, oscam, deleted = _build_panel_server(panel_tree, started, web_tree, work, staging)
        ex02, topsite = _build_topsite_server(work, staging)
        ex03 = _build_web_dump(web_tree, work, staging)
        shutil.rmtree(work)
        os.chmod(staging, 0o755)
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    items = tuple(_relocated(item, staging, out_dir) for item in (ex01, ex02, ex03))
    parts = DemoParts(iptv, web, oscam, topsite, deleted, logged, nginx_servers)
    return DemoEvidence(out_dir, items, parts, expected_figures(parts))


def _relocated(item: DemoItem, old: Path, new: Path) -> DemoItem:
    return replace(
        item,
        path=new / item.path.relative_to(old),
        files=tuple(new / f.relative_to(old) for f in item.files),
    )


def _server_blocks(nginx_conf: Path) -> int:
    """``server {`` blocks in an nginx configuration the panel builder wrote."""
    return sum(
        1 for line in nginx_conf.read_text(encoding="utf-8").splitlines() if line.strip() == "server {"
    )


def answer_key(evidence: DemoEvidence) -> dict[str, Any]:
    """What the demo evidence holds, as JSON: items, media hashes, the deleted file, expected figures."""
    root = evidence.root
    return {
        "items": [
            {
                "exhibit": item.exhibit,
                "description": item.description,
                "files": [f.relative_to(root).as_posix() for f in item.files],
                "media_sha256": item.media_sha256,
                "provider_sha256": item.provider_sha256,
            }
            for item in evidence.items
        ],
        "deleted_files": [asdict(evidence.parts.deleted)],
        "logged_subscribers": [user for user, _ in evidence.parts.logged_subscribers],
        "expected_figures": evidence.expected,
        "unchecked_families": list(UNCHECKED_FAMILIES),
    }


def compare_figures(
    expected: Mapping[str, Mapping[str, float]], found: Mapping[str, Mapping[str, float]]
) -> list[str]:
    """One line per figure that differs, is missing or was not expected (unchecked families aside)."""
    problems = []
    for family in sorted(set(expected) | set(found)):
        if family in UNCHECKED_FAMILIES:
            continue
        want, got = expected.get(family, {}), found.get(family, {})
        for name in sorted(set(want) | set(got)):
            if name not in got:
                problems.append(f"{family} / {name}: expected {want[name]:g}, not reported")
            elif name not in want:
                problems.append(f"{family} / {name}: reported {got[name]:g}, not expected")
            elif float(want[name]) != float(got[name]):
                problems.append(f"{family} / {name}: expected {want[name]:g}, found {got[name]:g}")
    return problems


def figure_values(summary: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, dict[str, float]]:
    """``workbench summary --json`` output (or ``case_figures``) as family -> name -> value."""
    return {family: {str(r["name"]): float(r["value"]) for r in rows} for family, rows in summary.items()}

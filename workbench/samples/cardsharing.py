"""Sample card-sharing server configs: a CCcam.cfg and an OSCam config directory (deterministic).

``build_cccam`` writes ``etc/CCcam.cfg`` with customer F: lines (some commented out after the
customer stopped paying) and upstream C:/N: lines; ``build_oscam`` writes ``oscam.conf``,
``oscam.server`` and ``oscam.user`` under ``usr/local/etc``. Both return the exact counts.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

REFERENCE_DATE = date(2024, 6, 1)
_SURNAMES = (
    "Rossi",
    "Weber",
    "Dupont",
    "Garcia",
    "Novak",
    "Kaya",
    "Visser",
    "Jones",
    "Berg",
    "Costa",
    "Silva",
)
_PAYMENT = ("PayPal", "cash", "bank transfer", "USDT", "Revolut")
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class CccamFigures:
    """Exactly what ``build_cccam`` wrote."""

    path: str
    accounts: int  # F: lines, commented-out ones included
    commented_accounts: int
    expired_at_reference: int  # accounts whose paid-until date is before the reference date
    upstreams: int  # C: + N: lines
    cccam_upstreams: int
    newcamd_upstreams: int
    listen_port: int
    upstream_keys: frozenset[tuple[str, str, int]]  # (protocol, host, port)


@dataclass(frozen=True)
class OscamFigures:
    """Exactly what ``build_oscam`` wrote."""

    paths: tuple[str, ...]
    accounts: int
    disabled_accounts: int
    expired_at_reference: int  # expdate before the reference date
    active_at_reference: int  # not disabled and (no expdate or expdate on/after the reference date)
    network_readers: int  # upstream servers
    local_readers: int
    webif_port: int
    upstream_keys: frozenset[tuple[str, str, int]]


@dataclass(frozen=True)
class CardsharingFigures:
    """Both configs, and the case figures the cardsharing plugins must report for them."""

    cccam: CccamFigures
    oscam: OscamFigures
    customer_accounts: int  # distinct (software, user)
    upstream_servers: int  # distinct (protocol, host, port)


def _password(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(8))


def _expiry(rng: random.Random, reference: date) -> date:
    offset = rng.choice([-60, -30, -7, 7, 30, 90, 180])
    return reference + timedelta(days=offset + rng.randint(0, 5))


def build_cccam(
    root: Path,
    seed: int = 7,
    accounts: int = 12,
    commented: int = 2,
    reference: date = REFERENCE_DATE,
) -> CccamFigures:
    """Write ``etc/CCcam.cfg`` under ``root``: ``accounts`` F: lines of which the last
    ``commented`` are commented out, two C: upstreams and one N: upstream."""
    rng = random.Random(seed)
    root = Path(root)
    listen_port = 12000
    lines = [
        "#############################################",
        "# CCcam.cfg  -  server sat-deals",
        "# F: <username> <password> <uphops> <shareemus> <allowemm>",
        "#############################################",
        f"SERVER LISTEN PORT : {listen_port}",
        "ALLOW TELNETINFO: no",
        "WEBINFO LISTEN PORT : 16001",
        "WEBINFO USERNAME : admin",
        "WEBINFO PASSWORD : Hk29fakepw",
        "",
        "# upstream",
        "C: upstream.fakecs.invalid 12000 resell01 xK9pass no",
        "C: 198.51.100.44 16000 sub_reseller Zu8fPq2m yes",
        "N: 203.0.113.10 15000 nuser npass 01 02 03 04 05 06 07 08 09 10 11 12 13 14",
        "",
        "# customers",
    ]
    upstream_keys = frozenset(
        {
            ("cccam", "upstream.fakecs.invalid", 12000),
            ("cccam", "198.51.100.44", 16000),
            ("newcamd", "203.0.113.10", 15000),
        }
    )
    expired = 0
    for number in range(accounts):
        user = f"client_{417 + number:04d}"
        until = _expiry(rng, reference)
        expired += until < reference
        comment = f"{rng.choice(_SURNAMES)[0]}. {rng.choice(_SURNAMES)}, {rng.choice(_PAYMENT)}, paid until {until:%Y-%m-%d}"
        prefix = "#" if number >= accounts - commented else ""
        lines.append(f"{prefix}F: {user} {_password(rng)} {rng.choice((1, 1, 2))} 0 0   # {comment}")
    relative = "etc/CCcam.cfg"
    (root / relative).parent.mkdir(parents=True, exist_ok=True)
    (root / relative).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return CccamFigures(
        path=relative,
        accounts=accounts,
        commented_accounts=commented,
        expired_at_reference=expired,
        upstreams=3,
        cccam_upstreams=2,
        newcamd_upstreams=1,
        listen_port=listen_port,
        upstream_keys=upstream_keys,
    )


def build_oscam(
    root: Path,
    seed: int = 11,
    accounts: int = 10,
    disabled: int = 2,
    reference: date = REFERENCE_DATE,
) -> OscamFigures:
    """Write ``usr/local/etc/oscam.conf``, ``oscam.server`` (two network readers, one local card)
    and ``oscam.user`` (``accounts`` accounts, the first ``disabled`` disabled)."""
    rng = random.Random(seed)
    root = Path(root)
    folder = "usr/local/etc"
    (root / folder).mkdir(parents=True, exist_ok=True)
    webif_port = 8888
    conf = f"""# oscam.conf
[global]
logfile                       = /var/log/oscam/oscam.log
usrfile                       = /var/log/oscam/oscamuser.log
nice                          = -1

[cccam]
port                          = 12000
nodeid                        = 1A2B3C4D5E6F7A8B
version                       = 2.3.2
reshare                       = 1

[newcamd]
port                          = 15000@0500:023800
key                           = 0102030405060708091011121314

[webif]
httpport                      = {webif_port}
httpuser                      = admin
httppwd                       = Oz4fakeweb
httpallowed                   = 127.0.0.1,192.0.2.0-192.0.2.255
"""
    server = """# oscam.server
[reader]
label                         = upstream_main
protocol                      = cccam
device                        = upstream.fakecs.invalid,12000
user                          = resell02
password                      = Pq7fakecs
cccversion                    = 2.3.2
group                         = 1

[reader]
label                         = backup_newcamd
protocol                      = newcamd
device                        = 198.51.100.90,15050
user                          = nc_backup
password                      = Nb3fakepw
key                           = 0102030405060708091011121314
group                         = 2

[reader]
label                         = local_card
protocol                      = internal
device                        = /dev/sci0
caid                          = 0500
group                         = 1
"""
    upstream_keys = frozenset(
        {("cccam", "upstream.fakecs.invalid", 12000), ("newcamd", "198.51.100.90", 15050)}
    )
    blocks = ["# oscam.user"]
    expired = active = 0
    for number in range(accounts):
        until = _expiry(rng, reference)
        is_disabled = number < disabled
        expired += until < reference
        active += not is_disabled and until >= reference
        separator = "/" if number % 3 == 0 else "-"
        block = [
            "[account]",
            f"user                          = oscam_{number + 1:03d}",
            f"pwd                           = {_password(rng)}",
            f"description                   = {rng.choice(_SURNAMES)} / {rng.choice(_PAYMENT)}",
            f"expdate                       = {until.strftime(f'%Y{separator}%m{separator}%d')}",
            f"group                         = {rng.choice(('1', '1,2'))}",
            "uniq                          = 1",
        ]
        if is_disabled:
            block.append("disabled                      = 1")
        blocks.append("\n".join(block))
    files = {"oscam.conf": conf, "oscam.server": server, "oscam.user": "\n\n".join(blocks) + "\n"}
    for name, text in files.items():
        (root / folder / name).write_text(text, encoding="utf-8")
    return OscamFigures(
        paths=tuple(f"{folder}/{name}" for name in files),
        accounts=accounts,
        disabled_accounts=disabled,
        expired_at_reference=expired,
        active_at_reference=active,
        network_readers=2,
        local_readers=1,
        webif_port=webif_port,
        upstream_keys=upstream_keys,
    )


def build_cardsharing(root: Path, seed: int = 7) -> CardsharingFigures:
    """Write both configs under ``root`` and return their figures and the expected case figures."""
    root = Path(root)
    cccam = build_cccam(root, seed=seed)
    oscam = build_oscam(root, seed=seed + 4)
    return CardsharingFigures(
        cccam=cccam,
        oscam=oscam,
        customer_accounts=cccam.accounts + oscam.accounts,
        upstream_servers=len(cccam.upstream_keys | oscam.upstream_keys),
    )

"""Build (once) a realistic 1 GiB ext4 image of a seized Linux server with about 30,000 files.

    python bench/corpus.py OUT_DIR

writes OUT_DIR/tree/ (the source directory tree, kept for the pipeline benchmark),
OUT_DIR/server.ext4 (mkfs.ext4 -d of that tree) and OUT_DIR/corpus.json (what is in it). A second
run with the same OUT_DIR finds corpus.json and does nothing. Everything comes from a fixed seed
and fixed times, so two builds give the same tree.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import sys
from pathlib import Path

from workbench.samples.images import make_ext4

SEED = 20240601
IMAGE_MB = 1024
BASE_TIME = 1704067200  # 2024-01-01T00:00:00Z
SPAN = 180 * 86400
VERSION = 3  # 3: eight 100 MiB films, so the content is the issue's ~928 MB (was 465 MB)

WORDS = [
    "stream",
    "channel",
    "panel",
    "user",
    "line",
    "server",
    "config",
    "cache",
    "session",
    "token",
    "playlist",
    "epg",
    "category",
    "movie",
    "series",
    "episode",
    "reseller",
    "credit",
    "expire",
    "active",
    "banned",
    "trial",
    "bouquet",
    "output",
    "format",
    "connection",
]


def _text(rng: random.Random, lines: int) -> str:
    return (
        "\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12))) for _ in range(lines)) + "\n"
    )


def _ip(rng: random.Random) -> str:
    net = rng.choice(("192.0.2", "198.51.100", "203.0.113"))
    return f"{net}.{rng.randint(1, 254)}"


def _access_log(rng: random.Random, lines: int, start: int) -> str:
    out = []
    for i in range(lines):
        t = start + i * 7
        stamp = __import__("time").strftime("%d/%b/%Y:%H:%M:%S +0000", __import__("time").gmtime(t))
        user = f"user{rng.randint(1000, 9999)}"
        path = rng.choice(
            (
                f"/get.php?username={user}&password=p{rng.randint(100, 999)}&type=m3u_plus&output=ts",
                f"/player_api.php?username={user}&password=p{rng.randint(100, 999)}",
                f"/live/{user}/p{rng.randint(100, 999)}/{rng.randint(1, 4000)}.ts",
                "/xmltv.php",
            )
        )
        out.append(
            f'{_ip(rng)} - - [{stamp}] "GET {path} HTTP/1.1" 200 {rng.randint(200, 90000)} "-" "VLC/3.0.20 LibVLC/3.0.20"'
        )
    return "\n".join(out) + "\n"


class _Writer:
    """Writes files with deterministic times and counts what it wrote."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.files = 0
        self.bytes = 0
        self.dirs: set[Path] = set()

    def write(self, relative: str, data: bytes | str) -> None:
        path = self.root / relative
        if path.parent not in self.dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.dirs.add(path.parent)
        payload = data.encode() if isinstance(data, str) else data
        path.write_bytes(payload)
        when = BASE_TIME + self.rng.randrange(SPAN)
        os.utime(path, (when, when))
        self.files += 1
        self.bytes += len(payload)


def build_tree(root: Path) -> dict[str, int]:
    """Write the server's file tree under ``root``; returns counts."""
    rng = random.Random(SEED)
    w = _Writer(root, rng)
    for i in range(400):
        w.write(
            f"etc/conf.d/service{i:03d}.conf",
            f"# service {i}\nenabled=yes\nport={2000 + i}\n" + _text(rng, 5),
        )
    w.write("etc/hostname", "panel01.example.invalid\n")
    w.write("etc/hosts", "127.0.0.1 localhost\n203.0.113.10 panel01.example.invalid\n")
    for site in range(12):
        base = f"var/www/site{site:02d}"
        w.write(
            f"{base}/config.php",
            f"<?php\n$db_host = '127.0.0.1';\n$db_user = 'xtream{site}';\n$db_pass = 'S3cr3t{site}!';\n",
        )
        for module in range(45):
            for page in range(45):
                w.write(
                    f"{base}/modules/m{module:02d}/page{page:02d}.php",
                    f"<?php\n// module {module} page {page}\n" + _text(rng, rng.randint(3, 60)),
                )
        for asset in range(60):
            w.write(f"{base}/assets/app{asset:02d}.js", "function f(){return 1}\n" * rng.randint(10, 400))
    for day in range(60):
        w.write(f"var/log/nginx/access.log.{day + 1}", _access_log(rng, 400, BASE_TIME + day * 86400))
    for day in range(20):
        raw = _access_log(rng, 800, BASE_TIME + (60 + day) * 86400).encode()
        w.write(f"var/log/nginx/access.log.{day + 61}.gz", gzip.compress(raw, mtime=BASE_TIME))
    w.write(
        "var/log/auth.log",
        "".join(
            f"Jan  1 00:00:{i % 60:02d} panel01 sshd[1]: Accepted password for root from {_ip(rng)}\n"
            for i in range(5000)
        ),
    )
    for user in range(30):
        home = f"home/user{user:02d}"
        w.write(
            f"{home}/.bash_history", "".join(f"cd /var/www/site{user % 12:02d}\nls -la\n" for _ in range(50))
        )
        for n in range(40):
            w.write(f"{home}/notes/note{n:02d}.txt", _text(rng, rng.randint(1, 30)))
    for n in range(3000):
        w.write(
            f"var/cache/thumbs/{n // 100:02d}/thumb{n:04d}.jpg",
            b"\xff\xd8\xff\xe0" + rng.randbytes(rng.randint(2000, 20000)),
        )
    for n in range(8):  # the reference corpus holds 928 MB in 30,000 files: mostly these films
        w.write(f"srv/media/vod/movie{n}.mkv", b"\x1a\x45\xdf\xa3" + rng.randbytes(100 * (1 << 20)))
    w.write(
        "srv/backup/xtream_iptvpro.sql",
        "".join(
            f"INSERT INTO `users` VALUES ({i},'user{i}','p{i}',{BASE_TIME + i});\n" for i in range(20000)
        ),
    )
    return {"files": w.files, "bytes": w.bytes, "dirs": len(w.dirs)}


def build(out_dir: str | Path) -> dict[str, object]:
    """Build the corpus under ``out_dir`` unless it is already there; returns its description."""
    out = Path(out_dir)
    manifest = out / "corpus.json"
    if manifest.exists():
        data = json.loads(manifest.read_text())
        if data.get("version") == VERSION and (out / "server.ext4").exists():
            return dict(data)
    tree = out / "tree"
    if tree.exists():
        import shutil

        shutil.rmtree(tree)
    counts = build_tree(tree)
    image = make_ext4(tree, out / "server.ext4", IMAGE_MB, label="panel01-root")
    data = {
        "version": VERSION,
        "image": str(image),
        "tree": str(tree),
        "image_bytes": os.path.getsize(image),
        **counts,
    }
    manifest.write_text(json.dumps(data, indent=2) + "\n")
    return data


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python bench/corpus.py OUT_DIR")
    print(json.dumps(build(sys.argv[1])))

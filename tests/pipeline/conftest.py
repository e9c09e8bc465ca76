"""A small seized-server image, a test rule pack and a third-party plugin wheel for pipeline tests."""

from __future__ import annotations

import base64
import hashlib
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

MARKER = b"XTREAM_TEST_MARKER_7f3a"

RULE_PACK = """
rule test_marker : piracy_test
{
    meta:
        author = "isop-workbench tests"
        description = "Test marker planted by the pipeline fixture"
        date = "2026-11-28"
        version = "1"
        artefact = "yara.hit"
    strings:
        $m = "XTREAM_TEST_MARKER_7f3a"
    condition:
        $m
}

rule test_sql_users
{
    meta:
        author = "isop-workbench tests"
        description = "A users table in an SQL dump"
        date = "2026-11-28"
        version = "1"
        artefact = "yara.hit"
    strings:
        $c = "CREATE TABLE `users`"
    condition:
        $c
}
"""


def build_tree(root: Path, files: int = 240, seed: int = 11) -> dict[str, bytes]:
    """A small Linux server tree; returns {path: content} of every regular file written."""
    rng = random.Random(seed)
    written: dict[str, bytes] = {}

    def put(rel: str, data: bytes) -> None:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written["/" + rel] = data

    put("etc/hostname", b"panel01\n")
    put("etc/nginx/nginx.conf", b"user www-data;\nhttp { server { listen 80; server_name fake.invalid; } }\n")
    put("root/backup.sql", b"-- dump\nCREATE TABLE `users` (id int);\nINSERT INTO `users` VALUES (1);\n")
    for i in range(files):
        words = " ".join(rng.choice(["alpha", "beta", "gamma", "stream", "line", "panel"]) for _ in range(40))
        body = f"log line {i} {words}\n".encode() * rng.randint(1, 30)
        if i % 25 == 0:
            body += MARKER + b"\n"
        put(f"var/www/site{i % 7}/page{i:04d}.txt", body)
    big = bytes(rng.getrandbits(8) for _ in range(300_000))
    big = big[:150_000] + MARKER + big[150_000:]
    put("srv/media/big.bin", big)
    return written


@pytest.fixture(scope="session")
def server_image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """(raw ext4 image, {path: content}) built once per session."""
    from workbench.samples.images import make_ext4

    base = tmp_path_factory.mktemp("server")
    tree = base / "tree"
    written = build_tree(tree)
    image = make_ext4(tree, base / "server.raw", 16, label="root")
    return image, written


@pytest.fixture(scope="session")
def rule_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pack = tmp_path_factory.mktemp("packs") / "testpack"
    pack.mkdir()
    (pack / "testpack.yar").write_text(RULE_PACK)
    return pack


PLUGIN_SOURCE = '''
"""A third-party plugin, installed with pip, found through its entry point."""
import time
from workbench.plugin_api import ArtefactKind, Field, Plugin

PAGE = ArtefactKind("thirdparty.page", "Page seen by the third-party plugin",
                    fields=(Field("path", "str", key=True), Field("words", "int")))


class PageCounter(Plugin):
    name = "thirdparty_pages"
    version = "0.3"
    kinds = (PAGE,)
    globs = ("/var/www/*/page*.txt",)

    def extract(self, file, data):
        if file.name.endswith("0013.txt"):
            raise RuntimeError("planted failure")
        if __import__("os").environ.get("THIRDPARTY_SLOW"):
            time.sleep(0.05)
        yield PAGE(path=file.path, words=len(data.split()), line=1)
'''


def build_wheel(out_dir: Path) -> Path:
    """A minimal wheel of the third-party plugin package (no build backend needed)."""
    name, version = "isop_thirdparty_plugin", "0.3"
    wheel = out_dir / f"{name}-{version}-py3-none-any.whl"
    dist = f"{name}-{version}.dist-info"
    files = {
        "isop_thirdparty_plugin.py": PLUGIN_SOURCE.encode(),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist}/entry_points.txt": b"[workbench.plugins]\nthirdparty = isop_thirdparty_plugin:PageCounter\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return wheel


@pytest.fixture(scope="session")
def thirdparty_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory where pip installed the third-party plugin package (put it on PYTHONPATH)."""
    base = tmp_path_factory.mktemp("thirdparty")
    wheel = build_wheel(base)
    site = base / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    return site

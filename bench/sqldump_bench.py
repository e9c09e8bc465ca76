"""Throughput and peak memory of `workbench.parsers.sqldump.iter_rows` on a large Xtream UI dump.

Generates (deterministically) a mysqldump-style dump of N MiB of Xtream UI `users` rows (~1 KiB per
row, extended INSERTs of ~1 MiB as mysqldump writes them), parses it with `iter_rows` in a child
process that reports its wall time, then times `wc -l` on the same file as the in-run baseline.
Prints one JSON line.

Usage: python bench/sqldump_bench.py [WORKDIR] [SIZE_MIB]   (defaults: $TMPDIR or /tmp, 1024)
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = """-- MySQL dump 10.13  Distrib 5.7.44, for Linux (x86_64)
--
-- Host: localhost    Database: xtream_iptvpro
-- ------------------------------------------------------
-- Server version\t5.7.44-0ubuntu0.18.04.1

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8 */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;

--
-- Table structure for table `users`
--

DROP TABLE IF EXISTS `users`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8 */;
CREATE TABLE `users` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `member_id` int(11) DEFAULT NULL,
  `username` varchar(50) NOT NULL,
  `password` varchar(255) NOT NULL,
  `exp_date` int(11) DEFAULT NULL,
  `admin_enabled` int(11) NOT NULL DEFAULT '1',
  `enabled` int(11) NOT NULL DEFAULT '1',
  `admin_notes` mediumtext NOT NULL,
  `reseller_notes` mediumtext NOT NULL,
  `bouquet` mediumtext NOT NULL,
  `max_connections` int(11) NOT NULL DEFAULT '1',
  `is_restreamer` tinyint(4) NOT NULL DEFAULT '0',
  `allowed_ips` mediumtext NOT NULL,
  `allowed_ua` mediumtext NOT NULL,
  `is_trial` tinyint(4) NOT NULL DEFAULT '0',
  `created_at` int(11) NOT NULL,
  `created_by` int(11) NOT NULL,
  `pair_id` int(11) DEFAULT NULL,
  `is_mag` tinyint(4) NOT NULL DEFAULT '0',
  `is_e2` tinyint(4) NOT NULL DEFAULT '0',
  `force_server_id` int(11) NOT NULL DEFAULT '0',
  `is_isplock` tinyint(4) NOT NULL DEFAULT '0',
  `as_number` varchar(30) DEFAULT NULL,
  `isp_desc` mediumtext,
  `forced_country` varchar(3) NOT NULL,
  `is_stalker` tinyint(4) NOT NULL DEFAULT '0',
  `bypass_ua` tinyint(4) NOT NULL DEFAULT '0',
  `play_token` mediumtext NOT NULL,
  PRIMARY KEY (`id`),
  KEY `member_id` (`member_id`),
  KEY `exp_date` (`exp_date`),
  KEY `is_restreamer` (`is_restreamer`),
  KEY `admin_enabled` (`admin_enabled`),
  KEY `enabled` (`enabled`),
  KEY `is_trial` (`is_trial`),
  KEY `created_at` (`created_at`),
  KEY `created_by` (`created_by`),
  KEY `pair_id` (`pair_id`),
  KEY `is_mag` (`is_mag`),
  KEY `username` (`username`),
  KEY `password` (`password`)
) ENGINE=InnoDB AUTO_INCREMENT=1 DEFAULT CHARSET=utf8;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `users`
--

LOCK TABLES `users` WRITE;
/*!40000 ALTER TABLE `users` DISABLE KEYS */;
"""
FOOTER = """/*!40000 ALTER TABLE `users` ENABLE KEYS */;
UNLOCK TABLES;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;

-- Dump completed on 2024-06-01 21:15:02
"""
NOTES = (
    "",
    "",
    "",
    "paid 12 months via PayPal m.rossi@mail.invalid",
    "VIP\\r\\nrenew every 1st, ask for O\\'Neill",
    "trial converted 2024-03-02 (reseller promo)",
    'customer says \\"buffering\\" on sports, moved to server 3',
)
ISPS = ("Example Telecom Ltd", "Fake Fibre GmbH", "Documentation Networks", "Invalid Cable S.A.", "")
ROW_LIMIT = 1_046_528  # mysqldump's default net_buffer_length: where it starts a new extended INSERT


def user_row(rng: random.Random, user_id: int) -> str:
    """One Xtream UI `users` tuple in mysqldump syntax (about 1 KiB: long bouquet lists are common)."""
    bouquet = ",".join(str(b) for b in sorted(rng.sample(range(1, 400), rng.randint(120, 200))))
    exp = "NULL" if rng.random() < 0.05 else str(1_700_000_000 + rng.randrange(60_000_000))
    ips = f'[\\"203.0.113.{rng.randrange(1, 255)}\\"]' if rng.random() < 0.1 else "[]"
    password = "".join(
        rng.choice("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(10)
    )
    return (
        f"({user_id},{rng.randrange(1, 60)},'line{user_id:08d}','{password}',{exp},1,{int(rng.random() > 0.03)},"
        f"'{rng.choice(NOTES)}','{rng.choice(NOTES)}','[{bouquet}]',{rng.randint(1, 4)},0,'{ips}','[]',"
        f"{int(rng.random() < 0.1)},{1_650_000_000 + user_id * 37},{rng.randrange(1, 60)},NULL,"
        f"{int(rng.random() < 0.05)},0,0,0,'AS{rng.randrange(1000, 65000)}','{rng.choice(ISPS)}','',0,0,'')"
    )


def make_dump(path: Path, mib: int, seed: int = 20240601) -> int:
    """Write the dump (reused when it already has the right size marker); return its row count."""
    marker = path.with_suffix(".rows")
    if path.exists() and marker.exists():
        size_ok, rows = marker.read_text().split()
        if int(size_ok) == mib:
            return int(rows)
    rng = random.Random(seed)
    target = mib << 20
    user_id = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(HEADER)
        while fh.tell() < target:
            tuples: list[str] = []
            size = 0
            while size < ROW_LIMIT:
                user_id += 1
                row = user_row(rng, user_id)
                tuples.append(row)
                size += len(row) + 1
            fh.write("INSERT INTO `users` VALUES " + ",".join(tuples) + ";\n")
        fh.write(FOOTER)
    marker.write_text(f"{mib} {user_id}")
    return user_id


CHILD = """
import json, sys, time
from workbench.parsers.sqldump import iter_rows
start = time.perf_counter()
rows = 0
with open(sys.argv[1], "rb") as fh:
    for _row in iter_rows(fh, tables={"users"}):
        rows += 1
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows}))
"""


def main() -> None:
    """Generate, parse in a child process, compare with `wc -l`, print one JSON line."""
    workdir = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TMPDIR", tempfile.gettempdir()))
    mib = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
    workdir.mkdir(parents=True, exist_ok=True)
    dump = workdir / f"xtream_users_{mib}mib.sql"
    expected_rows = make_dump(dump, mib)
    size_mb = dump.stat().st_size / 1e6

    # Warm the page cache so both measurements read from memory.
    subprocess.run(["cat", str(dump)], check=True, stdout=subprocess.DEVNULL)
    start = time.perf_counter()
    subprocess.run(["wc", "-l", str(dump)], check=True, stdout=subprocess.DEVNULL)
    wc_seconds = time.perf_counter() - start

    wall_start = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(dump)], check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - wall_start
    result = json.loads(child.stdout)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "file_mb": round(size_mb, 1),
                "rows": result["rows"],
                "rows_expected": expected_rows,
                "parse_seconds": round(result["seconds"], 2),
                "wall_seconds": round(wall, 2),
                "mb_per_s": round(size_mb / result["seconds"], 1),
                "peak_rss_mb": round(peak_kib / 1024, 1),
                "wc_l_seconds": round(wc_seconds, 3),
                "wc_l_mb_per_s": round(size_mb / wc_seconds, 1),
            }
        )
    )


if __name__ == "__main__":
    main()

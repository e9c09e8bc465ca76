"""``test``: positives must hit the rules they name, negatives nothing; archives; JUnit; CLI."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from click.testing import CliRunner

from workbench import rulepacks
from workbench.cli_rules import rules

from .helpers import rule, write_pack

SOURCE = rule("tp_panel", "$a", '$a = "ISOP-PANEL-MARKER"') + rule(
    "tp_wallet", "$w", '$w = "ISOP-WALLET-MARKER"'
)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _passing_pack(root: Path) -> Path:
    return write_pack(
        root,
        "tp",
        SOURCE,
        positives={
            "tp_panel__config.php": b"<?php $x = 'ISOP-PANEL-MARKER';",
            "both.txt": b"ISOP-PANEL-MARKER and ISOP-WALLET-MARKER",
            "bundle.zip": _zip(
                {"tp_wallet__a.txt": b"ISOP-WALLET-MARKER", "dir/tp_panel__b.txt": b"ISOP-PANEL-MARKER"}
            ),
            "dump.tar.gz": _tar_gz({"x.sql": b"-- ISOP-WALLET-MARKER"}),
            "tp_panel__log.gz": gzip.compress(b"ISOP-PANEL-MARKER in a rotated log"),
        },
        negatives={
            "wp-config.php": b"<?php define('DB_NAME', 'wordpress');",
            "notes.zip": _zip({"a.txt": b"hello"}),
        },
        extra={
            "samples/manifest.toml": (
                '[samples]\n"both.txt" = ["tp_panel", "tp_wallet"]\n"positive/dump.tar.gz" = "tp_wallet"\n'
            ),
            "samples/negative/.gitkeep": "",
        },
    )


def test_passing_pack_with_prefixes_manifest_and_archives(tmp_path: Path) -> None:
    report = rulepacks.test([_passing_pack(tmp_path)])
    assert report.failures == [] and report.passed and report.exit_code == 0
    (pack,) = report.packs
    assert [(s.sample, s.expected) for s in pack.samples if s.polarity == "positive"] == [
        ("positive/both.txt", ("tp_panel", "tp_wallet")),
        ("positive/bundle.zip!dir/tp_panel__b.txt", ("tp_panel",)),
        ("positive/bundle.zip!tp_wallet__a.txt", ("tp_wallet",)),
        ("positive/dump.tar.gz!x.sql", ("tp_wallet",)),
        ("positive/tp_panel__config.php", ("tp_panel",)),
        ("positive/tp_panel__log.gz!tp_panel__log", ("tp_panel",)),
    ]
    assert [s.sample for s in pack.samples if s.polarity == "negative"] == [
        "negative/notes.zip!a.txt",
        "negative/wp-config.php",
    ]
    rows = {(r.rule, r.positives_hit, r.positives, r.negatives_hit, r.status) for r in report.rule_rows()}
    assert rows == {("tp_panel", 4, 4, 0, "pass"), ("tp_wallet", 3, 3, 0, "pass")}


def test_scaffolded_pack_passes_its_own_test(tmp_path: Path) -> None:
    rulepacks.new_pack(tmp_path / "my_pack")
    report = rulepacks.test([tmp_path / "my_pack"])
    assert report.passed and [r.rule for r in report.rule_rows()] == ["my_pack_example_marker"]


def test_missed_positive_and_hit_negative_are_reported(tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path,
        "tp",
        SOURCE,
        positives={
            "tp_panel__stale.txt": b"the marker was renamed",
            "tp_wallet__ok.txt": b"ISOP-WALLET-MARKER",
        },
        negatives={"ordinary.log": b"GET / 200 ISOP-PANEL-MARKER"},
    )
    report = rulepacks.test([pack])
    assert report.exit_code == 1 and not report.passed
    assert report.failures == [
        "tp: positive/tp_panel__stale.txt: missed tp_panel",
        "tp: negative/ordinary.log: negative sample hit tp_panel",
    ]
    statuses = {r.rule: r.status for r in report.rule_rows()}
    assert statuses == {"tp_panel": "FAIL", "tp_wallet": "pass"}

    result = CliRunner().invoke(rules, ["test", str(pack), "--junit", str(tmp_path / "junit.xml")])
    assert result.exit_code == 1
    assert "FAIL tp: positive/tp_panel__stale.txt: missed tp_panel" in result.output
    assert "FAIL tp: negative/ordinary.log: negative sample hit tp_panel" in result.output
    table_row = next(
        line for line in result.output.splitlines() if line.startswith("tp ") and "tp_panel" in line
    )
    assert table_row.split()[-1] == "FAIL"
    suite = ElementTree.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "tp"
    assert (suite.get("tests"), suite.get("failures")) == ("3", "2")
    failed = [case.get("name") for case in suite if case.find("failure") is not None]
    assert failed == ["positive/tp_panel__stale.txt", "negative/ordinary.log"]


def test_pack_level_problems_fail_the_run(tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path,
        "tp",
        SOURCE,
        positives={"no_such_rule__x.txt": b"ISOP-PANEL-MARKER", "unnamed.txt": b"ISOP-PANEL-MARKER"},
    )
    report = rulepacks.test([pack])
    (result,) = report.packs
    assert set(result.problems) == {
        f"no negative samples in {pack / 'samples' / 'negative'}",
        "positive/no_such_rule__x.txt names rule(s) the pack does not define: no_such_rule",
        "rule tp_panel has no positive sample",
        "rule tp_wallet has no positive sample",
    }
    assert (
        "tp: positive/unnamed.txt: names no rule (use RULENAME__… or samples/manifest.toml)"
        in report.failures
    )
    assert {r.status for r in report.rule_rows()} == {"UNTESTED"}
    assert report.exit_code == 1


def test_bad_archive_and_bad_manifest_are_failures_not_crashes(tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path,
        "tp",
        SOURCE,
        positives={
            "tp_panel__x.txt": b"ISOP-PANEL-MARKER",
            "tp_wallet__broken.zip": b"PK\x03\x04 not really",
        },
        negatives={"n.txt": b"nothing"},
        extra={"samples/manifest.toml": "[samples\n"},
    )
    report = rulepacks.test([pack])
    assert any("cannot read positive/tp_wallet__broken.zip" in f for f in report.failures)
    assert any("manifest.toml" in f for f in report.failures)
    assert report.exit_code == 1


def test_uncompilable_pack_and_missing_input_exit_2(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, "tp", rule("broken", "nothing_here"), negatives={"n.txt": b"x"})
    report = rulepacks.test([pack])
    assert report.exit_code == 2
    (failure,) = report.failures
    assert failure.startswith(f"tp: does not compile: {pack / 'tp.yar'}:")
    runner = CliRunner()
    assert runner.invoke(rules, ["test", str(pack)]).exit_code == 2
    missing = runner.invoke(rules, ["test", str(tmp_path / "absent")])
    assert missing.exit_code == 2
    assert f"FAIL {tmp_path / 'absent'}: no such file or directory" in missing.output


def test_cli_test_passes_and_new_refuses_existing_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(rules, ["new", str(tmp_path / "iptv_extra")])
    assert created.exit_code == 0 and "iptv_extra.yar" in created.output
    again = runner.invoke(rules, ["new", str(tmp_path / "iptv_extra")])
    assert again.exit_code == 2
    assert again.output.strip() == f"error: {tmp_path / 'iptv_extra'}: already exists and is not empty"
    result = runner.invoke(
        rules, ["test", str(tmp_path / "iptv_extra"), str(_passing_pack(tmp_path / "more"))]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "10/10 sample(s) passed; PASS"

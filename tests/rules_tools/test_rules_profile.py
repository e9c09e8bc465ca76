"""``profile``: per-rule and per-pack times over a corpus, slowest rule first."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench import rulepacks
from workbench.cli_rules import rules
from workbench.yara_engine import RuleError

from .helpers import rule, write_pack

# YARA-X has no atom for this regex, so it runs it at every position of every file
SLOW_REGEX = r"$r = /\w{2,30}\s\w{2,30}\s\w{2,30}\sZ/"

SOURCE = (
    rule("pf_literal", "$a", '$a = "xtream_iptvpro"')
    + rule("pf_slow_regex", "$r", SLOW_REGEX)
    + rule("pf_bounded_regex", "$u", "$u = /user_[a-z]{3,10}=/")
    + rule("pf_big_file", "filesize > 900", head="private rule")
    + rule("pf_uses_private", "pf_big_file and $m", '$m = "#EXTM3U"')
)

WORDS = ["alpha", "bravo", "charlie", "delta", "panel", "stream", "line", "user", "http", "live"]
FILES = 2000


def _corpus(root: Path) -> tuple[Path, int, int]:
    """2,000 small deterministic text files; (root, files with the literal, files with #EXTM3U over 900 bytes)."""
    rng = random.Random(7)
    literal = playlist = 0
    for index in range(FILES):
        words = [rng.choice(WORDS) + str(rng.randint(0, 99)) for _ in range(rng.randint(20, 160))]
        if index % 10 == 0:
            words.insert(rng.randrange(len(words)), "xtream_iptvpro")
            literal += 1
        if index % 25 == 0:
            words.insert(0, "#EXTM3U")
        data = " ".join(words).encode()
        playlist += data.startswith(b"#EXTM3U") and len(data) > 900
        folder = root / f"d{index // 500}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index:04d}.txt").write_bytes(data)
    return root, literal, playlist


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    return _corpus(tmp_path_factory.mktemp("corpus"))


def test_profile_ranks_the_slow_regex_first(tmp_path: Path, corpus: tuple[Path, int, int]) -> None:
    root, literal_files, playlist_files = corpus
    pack = write_pack(tmp_path, "pf", SOURCE)
    report = rulepacks.profile([pack], root)
    assert report.files == FILES and report.bytes > 0
    assert report.rules[0].rule == "pf_slow_regex"
    assert report.rules[0].seconds > 3 * max(p.seconds for p in report.rules[1:])
    assert [p.seconds for p in report.rules] == sorted((p.seconds for p in report.rules), reverse=True)
    hits = {p.rule: p.hits for p in report.rules}
    assert hits["pf_literal"] == literal_files == FILES // 10
    assert hits["pf_uses_private"] == playlist_files > 0
    assert hits["pf_bounded_regex"] == 0 and hits["pf_big_file"] == 0
    assert {p.rule for p in report.rules if p.private} == {"pf_big_file"}
    assert set(report.pack_seconds) == {"pf"} and report.pack_seconds["pf"] > 0
    assert report.pack_engines == {"pf": "yara-x"}
    assert report.top(2) == report.rules[:2]


def test_profile_accepts_an_iterable_or_callable_corpus(
    tmp_path: Path, corpus: tuple[Path, int, int]
) -> None:
    pack = write_pack(tmp_path, "pf", rule("pf_literal", "$a", '$a = "xtream_iptvpro"'))
    items = [(p.name, p.read_bytes()) for p in sorted(corpus[0].rglob("*.txt"))[:300]]
    from_list = rulepacks.profile([pack], items)
    from_callable = rulepacks.profile([pack], lambda: iter(items))
    assert from_list.files == from_callable.files == 300
    assert from_list.rules[0].hits == from_callable.rules[0].hits == 30


def test_profile_bad_inputs(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, "pf", rule("pf_literal", "$a", '$a = "xtream_iptvpro"'))
    with pytest.raises(NotADirectoryError):
        rulepacks.profile([pack], tmp_path / "absent")
    with pytest.raises(RuleError):
        rulepacks.profile([tmp_path / "absent"], [])
    runner = CliRunner()
    result = runner.invoke(rules, ["profile", str(pack), "--corpus", str(tmp_path / "absent")])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {tmp_path / 'absent'}: corpus is not a directory"


def test_cli_profile_prints_slowest_first(tmp_path: Path, corpus: tuple[Path, int, int]) -> None:
    pack = write_pack(tmp_path, "pf", SOURCE)
    result = CliRunner().invoke(rules, ["profile", str(pack), "--corpus", str(corpus[0]), "--top", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{FILES} file(s), ")
    assert lines[1].split()[:4] == ["rule", "pack", "ms", "alone"]
    assert lines[3].split()[0] == "pf_slow_regex"
    assert len([line for line in lines if line.startswith("pf_")]) == 2
    assert lines[-1].startswith("pack pf (yara-x) as a whole: ")

"""``lint``: each problem on a small pack made to have it, and a clean pack that passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import rulepacks
from workbench.cli_rules import rules
from workbench.yara_engine import StringDef, parse_source

from .helpers import META, rule, write_pack

CLEAN_PACK = (
    'import "math"\n'
    + rule("clean_marker", "$a and not $b", '$a = "ISOP-CLEAN-MARKER"\n$b = { 4D 5A 90 00 03 }')
    + rule(
        "clean_regex",
        "$r and filesize < 2MB",
        r"$r = /panel\.example-iptv\.invalid:[0-9]{2,5}\/live\//",
    )
    + rule("clean_helper", "filesize > 10", head="private rule")
    + "rule clean_tagged : iptv\n{\n"
    + META.replace('        artefact = "yara.hit"\n', "")
    + '    strings:\n        $t = "tvg-id=" nocase\n    condition:\n        clean_helper and $t\n}\n'
)


def _lint_rule(tmp_path: Path, source: str, strict: bool = False) -> rulepacks.LintReport:
    return rulepacks.lint([write_pack(tmp_path / "rules", "pk", source)], strict=strict)


def test_clean_pack_has_no_findings(tmp_path: Path) -> None:
    report = _lint_rule(tmp_path, CLEAN_PACK, strict=True)
    assert report.findings == ()
    assert report.exit_code == 0
    assert report.rules_checked == 4 and report.packs == ("pk",)


def test_scaffolded_pack_lints_clean(tmp_path: Path) -> None:
    rulepacks.new_pack(tmp_path / "fresh-pack")
    report = rulepacks.lint([tmp_path / "fresh-pack"], strict=True)
    assert report.findings == () and report.rules_checked == 1


SLOW_AND_WEAK = [
    ("never", "false", "", "never-matches"),
    ("never_and", "$a and false", '$a = "never-marker"', "never-matches"),
    ("always", "true", "", "matches-everything"),
    ("only_short", "any of them", '$a = "ab"\n$b = { 41 42 ?? 43 }', "not-selective"),
    ("one_short", "$a and $b", '$a = "xy"\n$b = "long-enough-marker"', "short-atom"),
    ("dot_star", "$r", "$r = /password=.*;/", "unbounded-wildcard"),
    ("dot_plus", "$r", "$r = /user:.+@example/", "unbounded-wildcard"),
    ("negated_star", "$r", "$r = /token=[^;]*;expires/", "unbounded-wildcard"),
    ("open_repeat", "$r", "$r = /session[0-9a-f]{16,}/", "unbounded-repeat"),
    ("leading_wild", "$r", "$r = /.{0,20}reseller_dns/", "leading-wildcard"),
    ("leading_class", "$r", "$r = /[a-z]{1,30}@example\\.invalid/", "leading-wildcard"),
    ("hex_leading", "$h", "$h = { ?? ?? 4D 5A 90 00 }", "leading-wildcard"),
    ("hex_open_jump", "$h", "$h = { 4D 5A 90 00 [4-] 50 45 00 00 }", "unbounded-jump"),
    ("short_nocase", "$a", '$a = "iptv" nocase', "nocase-short"),
    ("icase_regex", "$r", "$r = /m3u=[0-9]{2}/i", "nocase-short"),
    (
        "byte_loop",
        "$a and for any i in (0..filesize) : (uint8(i) == 0x7f)",
        '$a = "loop-marker"',
        "filesize-loop",
    ),
]


@pytest.mark.parametrize(
    ("name", "condition", "strings", "code"), SLOW_AND_WEAK, ids=[c[0] for c in SLOW_AND_WEAK]
)
def test_lint_flags_weak_and_slow_rules(
    tmp_path: Path, name: str, condition: str, strings: str, code: str
) -> None:
    source = rule(name, condition, strings)
    report = _lint_rule(tmp_path, source)
    flagged = [f for f in report.findings if f.code == code]
    assert flagged, [str(f) for f in report.findings]
    assert all(f.rule == name and f.severity == "warning" for f in flagged)
    assert flagged[0].file.endswith("pk.yar") and flagged[0].line is not None
    assert report.exit_code == 0
    assert rulepacks.lint([tmp_path / "rules" / "pk"], strict=True).exit_code == 1


SELECTIVE_STRINGS = [
    "$r = /(password|passwd)=[^\\s;]{1,64}/",
    "$r = /\\.(mp3|flac|m4a) [0-9A-Fa-f]{8}/",
    "$r = /https?:\\/\\/panel\\.example\\.invalid:[0-9]{2,5}/",
    "$r = /\\bxtream_[a-z]{2,8}\\b/",
    "$r = /sk_live_[0-9A-Za-z]{24,99}/",
    "$h = { 4D 5A ( 90 00 | 50 00 ) 03 }",
    "$h = { 7F 45 4C 46 [4-16] ( 02 | 01 ) }",
    '$t = "Greets" nocase',
]


@pytest.mark.parametrize("strings", SELECTIVE_STRINGS)
def test_lint_leaves_selective_strings_alone(tmp_path: Path, strings: str) -> None:
    identifier = strings.split()[0]
    report = _lint_rule(tmp_path, rule("selective", identifier, strings), strict=True)
    assert report.findings == (), [str(f) for f in report.findings]


def test_lint_reports_engine_slow_pattern_warnings(tmp_path: Path) -> None:
    report = _lint_rule(tmp_path, rule("engine_slow", "$r", "$r = /a.*/"))
    codes = report.codes("engine_slow")
    assert {"yara-x:slow_pattern", "libyara-warning", "unbounded-wildcard"} <= codes
    (libyara,) = [f for f in report.findings if f.code == "libyara-warning" and "slow down" in f.message]
    assert libyara.line == 1 + rule("engine_slow", "$r", "$r = /a.*/").splitlines().index(
        "        $r = /a.*/"
    )


def test_lint_requires_meta_and_a_real_date(tmp_path: Path) -> None:
    no_meta = rule("no_meta", "$a", '$a = "no-meta-marker"', meta='    meta:\n        author = "someone"\n')
    bad_date = rule("bad_date", "$a", '$a = "bad-date-marker"', meta=META.replace("2024-06-01", "01/06/2024"))
    impossible = rule(
        "impossible_date", "$a", '$a = "impossible-marker"', meta=META.replace("2024-06-01", "2024-13-45")
    )
    report = _lint_rule(tmp_path, no_meta + bad_date + impossible)
    (missing,) = [f for f in report.findings if f.code == "meta-missing"]
    assert missing.rule == "no_meta"
    assert "description, date, version, artefact (or tags)" in missing.message
    assert {f.rule for f in report.findings if f.code == "meta-date"} == {"bad_date", "impossible_date"}


def test_lint_reports_compile_errors_under_both_engines(tmp_path: Path) -> None:
    source = rule("fine_rule", "$a", '$a = "fine-marker"') + rule(
        "bad_rule", "$a and nowhere", '$a = "bad-marker"'
    )
    report = _lint_rule(tmp_path, source)
    (error,) = report.errors
    assert error.code == "compile" and error.rule == "bad_rule"
    assert error.line == 1 + source.splitlines().index("        $a and nowhere")
    assert "(YARA-X); libyara:" in error.message and "nowhere" in error.message
    assert report.exit_code == 2


def test_lint_says_which_rules_only_one_engine_accepts(tmp_path: Path) -> None:
    only_libyara = rule("legacy_escape", "$r", r"$r = /panel\Rlogin/")
    only_yara_x = rule("float_meta", "$a", '$a = "float-marker"', meta=META + "        score = 0.75\n")
    report = _lint_rule(tmp_path, only_libyara + only_yara_x)
    by_code = {f.code: f for f in report.findings}
    assert by_code["yara-x-refuses"].rule == "legacy_escape"
    assert "falls back to libyara" in by_code["yara-x-refuses"].message
    assert by_code["libyara-refuses"].rule == "float_meta"
    assert "only YARA-X accepts it" in by_code["libyara-refuses"].message
    # each engine refuses a different rule: the pack as a whole compiles under neither
    assert [f.code for f in report.errors] == ["compile"]


def test_lint_reports_duplicate_rule_names_across_packs(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    write_pack(root, "first", rule("shared_name", "$a", '$a = "first-marker"'))
    second = write_pack(root, "second", rule("shared_name", "$a", '$a = "second-marker"'))
    report = rulepacks.lint([root])
    (duplicate,) = report.errors
    assert duplicate.code == "duplicate-rule" and duplicate.pack == "second"
    assert duplicate.file == str(second / "second.yar")
    assert "also defined in pack first" in duplicate.message


def test_lint_checks_names_against_other_packs_in_use(tmp_path: Path) -> None:
    builtin = write_pack(
        tmp_path / "builtin", "iptv", rule("iptv_panel_marker", "$a", '$a = "builtin-marker"')
    )
    mine = write_pack(tmp_path / "mine", "custom", rule("iptv_panel_marker", "$a", '$a = "custom-marker"'))
    assert rulepacks.lint([mine]).findings == ()
    (duplicate,) = rulepacks.lint([mine], also=[tmp_path / "builtin"]).findings
    assert duplicate.code == "duplicate-rule"
    assert f"also defined in pack iptv ({builtin / 'iptv.yar'}:1)" in duplicate.message
    # a pack is not its own duplicate when it is both linted and in use
    assert rulepacks.lint([builtin], also=[tmp_path / "builtin"]).findings == ()
    result = CliRunner().invoke(rules, ["lint", str(mine), "--no-builtin", "--also", str(builtin)])
    assert result.exit_code == 2 and "[duplicate-rule]" in result.output


def test_lint_refuses_includes_that_escape_the_pack(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.yar").write_text(rule("elsewhere", "$a", '$a = "elsewhere-marker"'))
    source = 'include "../../elsewhere.yar"\n' + rule("esc_rule", "$a", '$a = "esc-marker"', meta="")
    report = _lint_rule(tmp_path, source)
    (error,) = report.errors
    assert error.code == "include-escapes" and error.line == 1
    # the rules of the pack are still checked on their own
    assert "meta-missing" in report.codes("esc_rule")


def test_cli_lint_exit_codes_and_json(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    clean = write_pack(root, "clean", CLEAN_PACK)
    warned = write_pack(root, "warned", rule("warned_rule", "$r", "$r = /token=[^;]*;/"))
    broken = write_pack(root, "broken", rule("broken_rule", "undefined_identifier"))
    runner = CliRunner()
    assert runner.invoke(rules, ["lint", str(clean), "--strict"]).exit_code == 0
    assert runner.invoke(rules, ["lint", str(clean), "--strict", "--no-builtin"]).exit_code == 0
    assert runner.invoke(rules, ["lint", str(warned)]).exit_code == 0
    strict = runner.invoke(rules, ["lint", str(warned), "--strict"])
    assert strict.exit_code == 1
    assert f"{warned / 'warned.yar'}:" in strict.output and "[unbounded-wildcard]" in strict.output
    result = runner.invoke(rules, ["lint", str(broken), "--format", "json"])
    assert result.exit_code == 2
    document = json.loads(result.output)
    assert document["errors"] == 1 and document["findings"][0]["rule"] == "broken_rule"
    missing = runner.invoke(rules, ["lint", str(tmp_path / "absent")])
    assert missing.exit_code == 2
    assert (
        missing.output.splitlines()[0] == f"{tmp_path / 'absent'}: error: no such file or directory [input]"
    )


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["text", "hex", "regex"]),
    st.text(alphabet="()|[]{}^$.*+?\\,-~0123456789abAB ", max_size=300),
)
def test_pattern_analysis_never_fails_on_arbitrary_bodies(kind: str, body: str) -> None:
    shape = rulepacks._string_shape(StringDef("$x", kind, body, ("nocase",), 1, "i"))
    assert shape.atom >= 0


def test_pattern_analysis_survives_deep_nesting() -> None:
    for kind, body in (("regex", "(" * 5000 + "a" + ")" * 5000), ("hex", "( " * 5000 + "41" + " )" * 5000)):
        assert rulepacks._string_shape(StringDef("$x", kind, body, (), 1)).atom >= 0


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=len(CLEAN_PACK)), st.text(max_size=30))
def test_rule_checks_never_fail_on_mangled_source(cut: int, junk: str) -> None:
    text = CLEAN_PACK[:cut] + junk + CLEAN_PACK[cut:]
    for parsed_rule in parse_source(text).rules:
        rulepacks._rule_findings(parsed_rule, "pk", lambda line: ("pk.yar", line))

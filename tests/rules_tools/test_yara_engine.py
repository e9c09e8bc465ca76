"""The YARA engine layer: finding packs, compiling with fallback, identical hits, blobs, timeouts."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.plugin_api import YaraMatch
from workbench.yara_engine import (
    RuleError,
    Ruleset,
    ScanTimeout,
    find_packs,
    find_rule_files,
    load_rules,
    parse_source,
)

from .helpers import META, rule, write_pack

BENCH_SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "yara_bench.py"

EQUIVALENCE_PACK = (
    'import "math"\n'
    + rule(
        "eq_text",
        "any of them",
        '$a = "xtream_iptvpro"\n$b = "user_iptvpro" wide\n$c = "Pa55w0rd" fullword\n$ = "25461"\n$ = "25463"',
        meta=META.replace(
            'artefact = "yara.hit"', 'artefact = "iptv.panel_config"\n        score = 7\n        live = true'
        ),
    )
    + rule("eq_hex", "$h and #h >= 1", "$h = { 23 45 58 54 ( 49 4E 46 | 4D 33 55 ) [0-8] 0A }")
    + rule(
        "eq_regex",
        "$url or $mail",
        r"$url = /https?:\/\/[a-z0-9.\-]{3,40}:[0-9]{2,5}\/live\/[A-Za-z0-9_]{3,32}\//"
        + "\n"
        + r"$mail = /[a-z0-9._]{1,32}@example\.invalid/ nocase",
    )
    + rule("eq_xor_b64", "any of them", '$x = "secret-panel-key" xor(1-255)\n$b = "admin_password" base64')
    + rule("eq_many", "#tick > 3", '$tick = "TICK"')
    + rule(
        "eq_private_string",
        "$visible and $hidden",
        '$visible = "visible-marker"\n$hidden = "hidden-marker" private',
    )
    + rule("eq_helper", "filesize > 16", head="private rule")
    + rule("eq_uses_helper", "eq_helper and $m and math.entropy(0, filesize) < 7.5", '$m = "#EXTM3U"')
    + "rule eq_tagged : iptv playlist\n{\n"
    + META
    + '    strings:\n        $t = "tvg-id="\n    condition:\n        $t\n}\n'
)

EQUIVALENCE_INPUTS = [
    b"",
    b"nothing to see here",
    b"db=xtream_iptvpro; u=" + "user_iptvpro".encode("utf-16-le") + b" Pa55w0rd xPa55w0rd 25461 25463",
    b'#EXTM3U\n#EXTINF:-1 tvg-id="a.invalid",A\nhttp://panel.example-iptv.invalid:25461/live/jdoe42/pw/1.ts\n',
    b"contact: Reseller.One@EXAMPLE.invalid " + bytes(c ^ 0x5A for c in b"secret-panel-key"),
    b"cfg " + base64.b64encode(b"the admin_password is here") + b" " + b"TICK " * 60,
    b"visible-marker hidden-marker",
    bytes(range(256)) * 8 + b"#EXTM3U",
]


def _pack_root(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    write_pack(root, "eq", EQUIVALENCE_PACK)
    return root


def test_find_rule_files_walks_packs_and_skips_samples(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    write_pack(
        root,
        "alpha",
        rule("alpha_one", "$a", '$a = "alpha-marker"'),
        extra={"samples/positive/x.yar": "junk"},
    )
    beta = write_pack(
        root,
        "beta",
        'include "shared/common.yara"\n' + rule("beta_one", "beta_common and $b", '$b = "beta-marker"'),
        extra={"shared/common.yara": rule("beta_common", "filesize > 0", head="private rule")},
    )
    (root / "__init__.py").write_text("")
    files = find_rule_files([root])
    assert [(Path(f.path).relative_to(root).as_posix(), f.pack) for f in files] == [
        ("alpha/alpha.yar", "alpha"),
        ("beta/beta.yar", "beta"),
        ("beta/shared/common.yara", "beta"),
    ]
    assert files[0].sha256 == hashlib.sha256((root / "alpha" / "alpha.yar").read_bytes()).hexdigest()
    (pack,) = [p for p in find_packs([beta / "beta.yar"])]
    assert pack.name == "beta"
    assert [Path(p).name for p in pack.top_files] == ["beta.yar"]
    assert find_rule_files([root]) == find_rule_files([root / "beta", root / "alpha"])


def test_missing_path_is_a_rule_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="no such file or directory"):
        load_rules([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(RuleError, match=r"no \.yar/\.yara rule files"):
        load_rules([tmp_path / "empty"])
    with pytest.raises(ValueError, match="unknown YARA engine"):
        load_rules([tmp_path], engine="hyperscan")


def test_hit_records_carry_pack_tags_meta_and_excerpts(tmp_path: Path) -> None:
    ruleset = load_rules([_pack_root(tmp_path)])
    assert ruleset.engine == "yara-x"
    assert ruleset.pack_engines == {"eq": "yara-x"}
    assert set(ruleset.engine_versions) == {"yara-x"}
    assert "eq_helper" not in ruleset.rule_names and "eq_uses_helper" in ruleset.rule_names
    data = b"xx xtream_iptvpro 25461 " + b"A" * 100
    (match,) = ruleset.scan(data, excerpt_bytes=5)
    assert match == YaraMatch(
        rule="eq_text",
        namespace="eq",
        tags=(),
        meta={
            "author": "isop-workbench",
            "description": "test rule",
            "date": "2024-06-01",
            "version": "1",
            "artefact": "iptv.panel_config",
            "score": 7,
            "live": True,
        },
        strings=(("$a", 3, b"xtrea"), ("$", 18, b"25461")),
        capped=False,
    )
    tagged = ruleset.scan(b'channel tvg-id="x"')
    assert [(m.rule, m.tags) for m in tagged] == [("eq_tagged", ("iptv", "playlist"))]


@pytest.mark.parametrize("data", EQUIVALENCE_INPUTS, ids=range(len(EQUIVALENCE_INPUTS)))
def test_engines_give_identical_hits(tmp_path: Path, data: bytes) -> None:
    root = _pack_root(tmp_path)
    by_yara_x = load_rules([root], engine="yara-x").scan(data, max_strings_per_rule=6)
    by_libyara = load_rules([root], engine="yara").scan(data, max_strings_per_rule=6)
    assert by_yara_x == by_libyara


def test_engines_differ_only_in_match_length_after_a_jump_before_alternatives(tmp_path: Path) -> None:
    """Known divergence: a hex jump followed by alternatives; YARA-X reports the longest match,
    libyara the first alternative. Identifiers and offsets still agree; only excerpt lengths differ."""
    pack = write_pack(
        tmp_path / "rules",
        "jump",
        rule("jump_alt", "$h", "$h = { 23 45 58 54 [0-8] ( 49 4E 46 | 4D 33 55 ) }"),
    )
    data = b"#EXTM3U\n#EXTINF"
    (by_yara_x,) = load_rules([pack], engine="yara-x").scan(data)
    (by_libyara,) = load_rules([pack], engine="yara").scan(data)
    assert [s[:2] for s in by_yara_x.strings] == [s[:2] for s in by_libyara.strings] == [("$h", 0), ("$h", 8)]
    assert by_yara_x.strings[0][2] == b"#EXTM3U\n#EXTINF" and by_libyara.strings[0][2] == b"#EXTM3U"


def test_engines_agree_on_every_input_at_once(tmp_path: Path) -> None:
    root = _pack_root(tmp_path)
    yara_x_rules = load_rules([root], engine="yara-x")
    libyara_rules = load_rules([root], engine="yara")
    hits = [[m.rule for m in yara_x_rules.scan(d)] for d in EQUIVALENCE_INPUTS]
    assert hits == [[m.rule for m in libyara_rules.scan(d)] for d in EQUIVALENCE_INPUTS]
    # the pack is exercised: every public rule hits at least one input
    assert {r for row in hits for r in row} == yara_x_rules.rule_names


def test_bench_pack_identical_on_generated_corpus(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("yara_bench", BENCH_SCRIPT)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.generate_corpus(tmp_path / "corpus", files=150)
    files = sorted((tmp_path / "corpus").rglob("*"))
    files = [p for p in files if p.is_file()]
    assert len(files) == 150
    yara_x_figures, yara_x_hits = bench.bench_engine("yara-x", bench.DEFAULT_PACK, files)
    libyara_figures, libyara_hits = bench.bench_engine("yara", bench.DEFAULT_PACK, files)
    assert yara_x_hits == libyara_hits
    assert yara_x_figures["file_hits"] == libyara_figures["file_hits"] > 20


def test_string_matches_are_capped_round_robin(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    write_pack(root, "cap", rule("cap_rule", "all of them", '$many = "TICK"\n$late = "TOCK-LATE"'))
    data = b"TICK " * 50 + b"TOCK-LATE"
    for engine in ("yara-x", "yara"):
        (match,) = load_rules([root], engine=engine).scan(data, max_strings_per_rule=4, excerpt_bytes=2)
        assert match.capped is True
        assert match.strings == (
            ("$many", 0, b"TI"),
            ("$many", 5, b"TI"),
            ("$many", 10, b"TI"),
            ("$late", 250, b"TO"),
        )
        (full,) = load_rules([root], engine=engine).scan(data, max_strings_per_rule=100)
        assert full.capped is False and len(full.strings) == 51


def test_pack_yara_x_refuses_falls_back_to_libyara_with_warning(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    write_pack(root, "good", rule("good_marker", "$a", '$a = "good-marker"'))
    # libyara reads \R as a literal R; YARA-X refuses the unknown escape sequence
    legacy = write_pack(
        root,
        "legacy",
        rule("legacy_ok", "$a", '$a = "legacy-marker"') + rule("legacy_escape", "$r", r"$r = /panel\Rlogin/"),
    )
    ruleset = load_rules([root])
    assert ruleset.pack_engines == {"good": "yara-x", "legacy": "yara"}
    assert ruleset.engine == "mixed"
    assert set(ruleset.engine_versions) == {"yara-x", "yara"}
    (warning,) = [w for w in ruleset.warnings if "falls back" in w]
    line = 1 + (legacy / "legacy.yar").read_text().splitlines().index(r"        $r = /panel\Rlogin/")
    assert warning.startswith(f"{legacy / 'legacy.yar'}:{line}: rule legacy_escape not accepted by YARA-X (")
    assert warning.endswith("pack legacy falls back to libyara")
    hits = ruleset.scan(b"good-marker legacy-marker panelRlogin")
    assert [(m.namespace, m.rule) for m in hits] == [
        ("good", "good_marker"),
        ("legacy", "legacy_ok"),
        ("legacy", "legacy_escape"),
    ]
    with pytest.raises(RuleError) as forced:
        load_rules([root], engine="yara-x")
    assert str(forced.value).startswith(f"{legacy / 'legacy.yar'}:{line}: ")


def test_pack_neither_engine_accepts_raises_rule_error_with_file_and_line(tmp_path: Path) -> None:
    source = rule("fine", "$a", '$a = "fine-marker"') + rule(
        "broken", "$a and no_such_rule", '$a = "broken-marker"'
    )
    pack = write_pack(tmp_path / "rules", "broken", source)
    line = 1 + source.splitlines().index("        $a and no_such_rule")
    for engine in ("auto", "yara-x", "yara"):
        with pytest.raises(RuleError) as caught:
            load_rules([pack], engine=engine)
        message = str(caught.value)
        assert message.startswith(f"{pack / 'broken.yar'}:{line}: ")
        assert "no_such_rule" in message
        assert "\n" not in message
        assert caught.value.line == line


def test_error_in_included_file_points_at_that_file(tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path / "rules",
        "inc",
        'include "parts/extra.yar"\n' + rule("inc_main", "$a", '$a = "main-marker"'),
        extra={"parts/extra.yar": "\n\nrule inc_extra { condition: undefined_thing }\n"},
    )
    with pytest.raises(RuleError) as caught:
        load_rules([pack])
    assert str(caught.value).startswith(f"{pack / 'parts' / 'extra.yar'}:3: ")


def test_include_escaping_the_pack_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.yar").write_text(rule("outside", "true"))
    pack = write_pack(tmp_path / "rules", "esc", 'include "../../outside.yar"\n' + rule("esc_main", "true"))
    with pytest.raises(RuleError, match="escapes the pack folder") as caught:
        load_rules([pack])
    assert caught.value.line == 1


def test_include_cycle_is_refused(tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path / "rules",
        "cyc",
        'include "other.yar"\n' + rule("cyc_main", "true"),
        extra={"other.yar": 'include "cyc.yar"\n'},
    )
    with pytest.raises(RuleError, match="forms a cycle"):
        load_rules([pack])


def test_compiled_form_round_trips(tmp_path: Path) -> None:
    root = _pack_root(tmp_path)
    write_pack(root, "legacy", rule("legacy_escape", "$r", r"$r = /panel\Rlogin/"))
    ruleset = load_rules([root])
    assert ruleset.engine == "mixed"
    blob = ruleset.to_bytes()
    restored = Ruleset.from_bytes(blob)
    for attribute in ("engine", "pack_engines", "engine_versions", "files", "warnings", "rule_names"):
        assert getattr(restored, attribute) == getattr(ruleset, attribute)
    data = EQUIVALENCE_INPUTS[2] + b" panelRlogin " + EQUIVALENCE_INPUTS[3]
    assert restored.scan(data) == ruleset.scan(data) != []
    assert pickle.loads(pickle.dumps(ruleset)).scan(data) == ruleset.scan(data)
    assert restored.to_bytes() == blob
    with pytest.raises(RuleError, match="not a compiled"):
        Ruleset.from_bytes(b"garbage")
    with pytest.raises(RuleError, match="truncated"):
        Ruleset.from_bytes(blob[:-10])


def test_scanner_is_reused_between_scans(tmp_path: Path) -> None:
    ruleset = load_rules([_pack_root(tmp_path)])
    ruleset.scan(b"one")
    scanner = ruleset._local.scanner
    ruleset.scan(b"two", timeout=5)
    assert ruleset._local.scanner is scanner


@pytest.mark.parametrize("engine", ["yara-x", "yara"])
def test_scan_timeout_raises_scan_timeout(tmp_path: Path, engine: str) -> None:
    slow = "for any i in (0..filesize) : (for any j in (0..filesize) : (uint8(i) + uint8(j) == 0x1ff))"
    pack = write_pack(tmp_path / "rules", "slow", rule("quadratic", slow))
    ruleset = load_rules([pack], engine=engine)
    with pytest.raises(ScanTimeout) as caught:
        ruleset.scan(bytes(100_000), timeout=1)
    assert caught.value.engine == engine and caught.value.seconds == 1
    assert pickle.loads(pickle.dumps(caught.value)).seconds == 1


def test_parse_source_reads_rules_meta_strings_and_spans() -> None:
    text = (
        'import "pe"\n// comment with rule fake {\ninclude "x.yar"\n'
        'global private rule g : t1 t2 {\n meta:\n  a = "x\\"y" b = -3 c = true d = 0x10\n'
        ' strings:\n  $s = "a}b" nocase wide\n  $h = { 41 [2-4] ( 42 | 43 ) }\n  $r = /a\\/b}/is xor(1-2)\n'
        " condition:\n  $s and $r matches /}/ /* } */ // }\n}\nrule second { condition: g }\n"
    )
    parsed = parse_source(text)
    assert parsed.imports == ("pe",)
    assert [i.path for i in parsed.includes] == ["x.yar"]
    first, second = parsed.rules
    assert (first.name, first.is_global, first.is_private, first.tags) == ("g", True, True, ("t1", "t2"))
    assert [(m.key, m.value) for m in first.meta] == [("a", 'x"y'), ("b", -3), ("c", True), ("d", 16)]
    assert [(s.identifier, s.kind, s.value, s.modifiers) for s in first.strings] == [
        ("$s", "text", "a}b", ("nocase", "wide")),
        ("$h", "hex", " 41 [2-4] ( 42 | 43 ) ", ()),
        ("$r", "regex", "a\\/b}", ("xor(1-2)",)),
    ]
    assert first.strings[2].regex_flags == "is"
    assert (first.line, first.end_line, second.line) == (4, 13, 14)
    assert second.condition == "g"
    assert parsed.rule_at(9) == first and parsed.rule_at(14) == second and parsed.rule_at(2) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_parse_source_never_fails_on_arbitrary_text(text: str) -> None:
    parsed = parse_source(text)
    assert all(r.start <= r.end <= len(text) for r in parsed.rules)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(EQUIVALENCE_PACK)), st.text(max_size=20))
def test_parse_source_survives_truncated_and_mangled_rules(cut: int, junk: str) -> None:
    parse_source(EQUIVALENCE_PACK[:cut] + junk + EQUIVALENCE_PACK[cut:])
    parse_source(EQUIVALENCE_PACK[:cut])


YARA_TOKENS = [
    "rule ",
    "private ",
    "global ",
    "r1",
    " : ",
    "t1 ",
    "{",
    "}",
    "meta:",
    "strings:",
    "condition:",
    " = ",
    '"',
    "\\",
    "0x1F",
    "08",
    "-3",
    "1.5",
    "true",
    "$a",
    "$",
    "/",
    "//",
    "/*",
    "*/",
    "\n",
    "( ",
    " )",
    "|",
    "[2-4]",
    "??",
    "nocase",
    "xor(",
    "1-2",
    ")",
    "base64(",
    'import "pe"',
    "include ",
    "matches",
    "any of them",
    "#",
    "@",
    "..",
    "filesize",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(YARA_TOKENS), max_size=80).map("".join))
def test_parse_source_never_fails_on_token_soup(text: str) -> None:
    parsed = parse_source(text)
    for parsed_rule in parsed.rules:
        assert parsed_rule.line <= parsed_rule.end_line
        assert all(isinstance(entry.value, str | int | bool | float) for entry in parsed_rule.meta)

"""CSV exports per artefact kind and the CASE/UCO JSON-LD of a processed case."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from workbench.reports.case_uco import build_case_uco
from workbench.reports.csv_export import PROVENANCE_COLUMNS, TRAILING_COLUMNS, write_csv_exports

from tests.conftest import RunCli
from tests.timeline.webcase import FORMULA_COMMANDS, WebCase, build_web_case
from workbench.registry import load_registry
from workbench.store import Case

pytestmark = pytest.mark.xdist_group("exports")
NOTE = '=HYPERLINK("http://evil.invalid") cold wallet'


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> WebCase:
    built = build_web_case(tmp_path_factory.mktemp("exports"), access_lines=60)
    case = Case.open(built.case_dir)
    wallet = next(case.artefacts(kind="payment.wallet"))
    case.tag(wallet.id, "notable", NOTE)
    credential = next(case.artefacts(kind="credential"))
    case.tag(credential.id, "notable")
    return built


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ----- CSV ---------------------------------------------------------------------------------------


def test_one_csv_per_kind_with_declared_columns(web: WebCase, tmp_path: Path) -> None:
    case = Case.open(web.case_dir)
    written = write_csv_exports(case, tmp_path / "csv")
    counts = case.artefact_counts()
    assert sorted(p.name for p in written) == sorted([f"{k}.csv" for k in counts] + ["files.csv"])
    reg = load_registry()
    for kind_name, count in counts.items():
        path = tmp_path / "csv" / f"{kind_name}.csv"
        with open(path, newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        kind = reg.kinds[kind_name]
        fields = [f"field_{c}" if c in {*PROVENANCE_COLUMNS, *TRAILING_COLUMNS} else c for c in kind.columns]
        assert header == [*PROVENANCE_COLUMNS, *fields, *TRAILING_COLUMNS]
        assert len(read_csv(path)) == count
    files = read_csv(tmp_path / "csv" / "files.csv")
    assert len(files) == case.conn.execute("SELECT count(*) FROM files").fetchone()[0]
    assert not list((tmp_path / "csv").glob(".*"))  # no temporary files left


def test_csv_rows_carry_provenance(web: WebCase, tmp_path: Path) -> None:
    case = Case.open(web.case_dir)
    write_csv_exports(case, tmp_path)
    rows = read_csv(tmp_path / "log.event.csv")
    auth = [r for r in rows if r["path"] == "/var/log/auth.log" and r["exhibit"] == "EX-01"]
    assert auth and all(r["location"] == "EX-01 / ext4 / var/log/auth.log" for r in auth)
    record = next(f for f in case.files("EX-01") if f["path"] == "/var/log/auth.log")
    assert {r["file_sha256"] for r in auth} == {record["sha256"]}
    assert {r["inode"] for r in auth} == {record["inode"]}
    assert sorted(int(r["line"]) for r in auth) == list(range(1, len(auth) + 1))
    assert {r["plugin"] for r in auth} == {"logs 1.0"}


def test_csv_cells_are_formula_safe(web: WebCase, tmp_path: Path) -> None:
    case = Case.open(web.case_dir)
    write_csv_exports(case, tmp_path)
    rows = read_csv(tmp_path / "log.event.csv")
    commands = [r["command"] for r in rows if r["path"] == "/home/deploy/.bash_history"]
    assert commands == ["'" + c for c in FORMULA_COMMANDS]
    agents = [r["user_agent"] for r in rows if r["path"] == "/var/log/apache2/access_log"]
    assert any(a.startswith("'=HYPERLINK") for a in agents)
    wallets = read_csv(tmp_path / "payment.wallet.csv")
    assert [r["notes"] for r in wallets if r["notes"]] == ["'" + NOTE]
    for path in tmp_path.glob("*.csv"):
        for row in read_csv(path):
            for cell in row.values():
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (path.name, cell)


def test_secrets_masked_unless_asked(web: WebCase, tmp_path: Path) -> None:
    case = Case.open(web.case_dir)
    stored = {a.id: a.fields["secret"] for a in case.artefacts(kind="credential")}
    write_csv_exports(case, tmp_path / "masked")
    write_csv_exports(case, tmp_path / "full", show_secrets=True)
    masked = {r["id"]: r["secret"] for r in read_csv(tmp_path / "masked" / "credential.csv")}
    full = {r["id"]: r["secret"] for r in read_csv(tmp_path / "full" / "credential.csv")}
    assert full == {k: ("'" + v if v.startswith(("=", "+", "-", "@")) else v) for k, v in stored.items()}
    assert all(masked[k] != v and "*" in masked[k] for k, v in stored.items() if len(v) > 4)


def test_tagged_only(web: WebCase, tmp_path: Path) -> None:
    case = Case.open(web.case_dir)
    written = write_csv_exports(case, tmp_path, tagged_only=True)
    assert sorted(p.name for p in written) == ["credential.csv", "files.csv", "payment.wallet.csv"]
    wallet = read_csv(tmp_path / "payment.wallet.csv")
    assert len(wallet) == 1 and wallet[0]["tags"] == "notable"
    files = read_csv(tmp_path / "files.csv")
    assert {f["path"] for f in files} == {
        "/root/notes/admin_notes.txt",
        read_csv(tmp_path / "credential.csv")[0]["path"],
    }


def test_artefacts_command_shares_the_layout(cli: RunCli, web: WebCase) -> None:
    out = cli("artefacts", web.case_dir, "--kind", "payment.wallet", "--format", "csv").output
    header = out.splitlines()[0].split(",")
    assert header[: len(PROVENANCE_COLUMNS)] == list(PROVENANCE_COLUMNS)
    assert header[-len(TRAILING_COLUMNS) :] == list(TRAILING_COLUMNS)
    assert "'=HYPERLINK" in out  # the note on the tagged wallet, neutralised


# ----- CASE/UCO ------------------------------------------------------------------------------------


def nodes(document: dict[str, Any], type_name: str) -> list[dict[str, Any]]:
    return [n for n in document["@graph"] if n["@type"] == type_name]


def by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["@id"]: n for n in document["@graph"]}


@pytest.fixture(scope="module")
def uco(web: WebCase) -> dict[str, Any]:
    return build_case_uco(Case.open(web.case_dir), report_id="RPT-1", generated_at="2026-11-29T10:00:00Z")


def test_evidence_items_with_hashes_and_provenance(web: WebCase, uco: dict[str, Any]) -> None:
    case = Case.open(web.case_dir)
    index = by_id(uco)
    records = {
        r["case-investigation:exhibitNumber"]: r for r in nodes(uco, "case-investigation:ProvenanceRecord")
    }
    assert set(records) == {"EX-01", "EX-02"}
    item = case.evidence_item("EX-01")
    evidence = index[records["EX-01"]["uco-core:object"][0]["@id"]]
    assert evidence["uco-core:name"] == "EX-01"
    facets = [index[f["@id"]] for f in evidence["uco-core:hasFacet"]]
    content = next(f for f in facets if f["@type"] == "uco-observable:ContentDataFacet")
    hashes = {
        index[h["@id"]]["uco-types:hashMethod"]: index[h["@id"]]["uco-types:hashValue"]["@value"]
        for h in content["uco-observable:hash"]
    }
    assert hashes == {"MD5": item["md5"], "SHA1": item["sha1"], "SHA256": item["sha256"]}
    assert "seized by PC Example" in records["EX-01"]["uco-core:description"]
    assert "under seal S-0001" in records["EX-01"]["uco-core:description"]
    seizure = next(
        a
        for a in nodes(uco, "case-investigation:InvestigativeAction")
        if a["uco-core:name"] == "seizure of EX-01"
    )
    assert index[seizure["uco-action:performer"]["@id"]]["uco-core:name"] == "PC Example"


def test_runs_are_investigative_actions(web: WebCase, uco: dict[str, Any]) -> None:
    case = Case.open(web.case_dir)
    index = by_id(uco)
    (run,) = case.runs()
    (action,) = [
        a
        for a in nodes(uco, "case-investigation:InvestigativeAction")
        if a["uco-core:name"] == f"processing run {run['id']}"
    ]
    assert action["uco-action:startTime"]["@value"] == run["started"]
    assert action["uco-action:endTime"]["@value"] == run["finished"]
    assert index[action["uco-action:performer"]["@id"]] == {
        "@id": action["uco-action:performer"]["@id"],
        "@type": "uco-identity:Person",
        "uco-core:name": "A. Examiner",
    }
    tools = {
        index[t["@id"]]["uco-core:name"]: index[t["@id"]].get("uco-tool:version")
        for t in action["uco-action:instrument"]
    }
    assert tools["isop-workbench"] == run["environment"]["versions"]["workbench"]
    assert tools["plugin logs"] == "1.0" and "libtsk" in tools
    inputs = {index[o["@id"]].get("uco-core:name") for o in action["uco-action:object"]}
    assert {"EX-01", "EX-02"} <= inputs
    results = [index[r["@id"]] for r in action["uco-action:result"]]
    reg = load_registry()
    mapped = sum(n for k, n in case.artefact_counts().items() if reg.kinds[k].uco is not None)
    assert 0 < len(results) <= mapped
    assert len(results) == len(nodes(uco, "uco-observable:ObservableObject")) - len(
        [n for n in nodes(uco, "uco-observable:ObservableObject") if not n["@id"].startswith("kb:artefact-")]
    )


def test_artefact_observables_use_declared_facets(web: WebCase, uco: dict[str, Any]) -> None:
    case = Case.open(web.case_dir)
    index = by_id(uco)
    domains = {a.fields["domain"] for a in case.artefacts(kind="web.domain")}
    found = {n["uco-observable:value"] for n in nodes(uco, "uco-observable:DomainNameFacet")}
    assert domains <= found
    wallets = {a.fields["address"] for a in case.artefacts(kind="payment.wallet")}
    accounts = nodes(uco, "uco-observable:AccountFacet")
    assert wallets <= {n["uco-observable:accountIdentifier"] for n in accounts}
    issuer = next(n for n in accounts if n["uco-observable:accountIdentifier"] in wallets)[
        "uco-observable:accountIssuer"
    ]
    assert index[issuer["@id"]]["@type"] == "uco-identity:Organization"
    # no secret leaves the case unless asked for
    text = json.dumps(uco)
    assert all(
        a.fields["secret"] not in text
        for a in case.artefacts(kind="credential")
        if len(a.fields["secret"]) > 6
    )
    # every artefact observable is tied to the file it came from, and that file to its exhibit
    relations = nodes(uco, "uco-core:Relationship")
    extracted = {
        r["uco-core:source"][0]["@id"]
        for r in relations
        if r["uco-core:kindOfRelationship"] == "Extracted_From"
    }
    artefacts = {
        n["@id"] for n in nodes(uco, "uco-observable:ObservableObject") if n["@id"].startswith("kb:artefact-")
    }
    assert artefacts and extracted <= artefacts
    contained = [r for r in relations if r["uco-core:kindOfRelationship"] == "Contained_Within"]
    assert contained and all(
        index[r["uco-core:target"]["@id"]]["uco-core:name"] in ("EX-01", "EX-02") for r in contained
    )
    notes = nodes(uco, "uco-core:Annotation")
    assert [n["uco-core:statement"] for n in notes if n["uco-core:tag"] == "notable"].count(NOTE) == 1


def test_export_is_deterministic(web: WebCase, uco: dict[str, Any]) -> None:
    again = build_case_uco(Case.open(web.case_dir), report_id="RPT-1", generated_at="2026-11-29T10:00:00Z")
    assert json.dumps(again, sort_keys=True) == json.dumps(uco, sort_keys=True)
    other = build_case_uco(Case.open(web.case_dir), report_id="RPT-2", generated_at="2026-11-30T10:00:00Z")
    changed = {n["@id"] for n in other["@graph"]} ^ {n["@id"] for n in uco["@graph"]}
    assert len(changed) == 2  # only the report action's id differs


@pytest.mark.slow
def test_case_validate_accepts_it(uco: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "case.jsonld"
    path.write_text(json.dumps(uco, indent=1, sort_keys=True), encoding="utf-8")
    tool = Path(sys.executable).with_name("case_validate")
    result = subprocess.run([str(tool), str(path)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Conforms: True" in result.stdout


def test_case_validate_rejects_a_broken_document(uco: dict[str, Any], tmp_path: Path) -> None:
    """The validator is not a rubber stamp: a mistyped hash and a dangling performer are violations."""
    index = by_id(uco)
    bad_hash = dict(next(n for n in uco["@graph"] if n["@type"] == "uco-types:Hash"))
    bad_hash["uco-types:hashValue"] = {"@type": "xsd:integer", "@value": 5}
    run = next(n for n in nodes(uco, "case-investigation:InvestigativeAction") if "uco-action:startTime" in n)
    action = {
        k: v
        for k, v in run.items()
        if k not in ("uco-action:instrument", "uco-action:object", "uco-action:result")
    }
    assert action["uco-action:performer"]["@id"] in index
    broken = {"@context": uco["@context"], "@graph": [bad_hash, action]}  # the performer is left out
    path = tmp_path / "broken.jsonld"
    path.write_text(json.dumps(broken), encoding="utf-8")
    tool = Path(sys.executable).with_name("case_validate")
    result = subprocess.run([str(tool), str(path)], capture_output=True, text=True, timeout=600)
    assert result.returncode != 0 and "Conforms: False" in result.stdout
    assert Counter(line.strip() for line in result.stdout.splitlines())["Severity: sh:Violation"] >= 2

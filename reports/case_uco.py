"""CASE/UCO JSON-LD (CASE 1.x / UCO 1.x) of a case: who did what to which evidence, and what it held.

- The investigation (case number, title, agency), the examiners as ``uco-identity:Person``.
- Each evidence item as an observable with File and ContentData facets (intake hashes), its
  ``case-investigation:ProvenanceRecord`` (exhibit number, seizure details), the seizure and the
  intake as investigative actions, and every re-verification as one more action.
- Each processing run as an ``InvestigativeAction``: instruments (the workbench, its libraries and
  plugins as ``uco-tool:Tool`` with versions), performer, start/end, inputs (evidence, rule files)
  and outputs (the artefact observables it produced).
- Artefacts of kinds that declare a ``UcoMapping`` as observables with that facet, each linked
  ``Extracted_From`` the file it came from (itself ``Contained_Within`` its evidence item).

Every ``@id`` is a UUIDv5 of a stable id (case, exhibit, artefact id, run id …), so exporting an
unchanged case twice gives the same document.
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from workbench.artefacts import Artefact, ArtefactKind
from workbench.registry import load_registry
from workbench.store import Case

CONTEXT = {
    "kb": "urn:isop-workbench:kb:",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-location": "https://ontology.unifiedcyberontology.org/uco/location/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "uco-vocabulary": "https://ontology.unifiedcyberontology.org/uco/vocabulary/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
SPEC_VERSION = "CASE 1.5.0 / UCO 1.5.0"
HASH_NAMES = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256"}
RUN_STATUS = {"finished": "Complete/Finish", "running": "Ongoing"}
LITERAL_TYPES = {
    "int": "xsd:integer",
    "float": "xsd:decimal",
    "bool": "xsd:boolean",
    "datetime": "xsd:dateTime",
}
# UCO properties whose value is another node, not a literal: the field value names that node.
# "identity": an organisation (an account's issuer, e.g. "bitcoin" or "paypal");
# "host": an observable with a domain name or IP address facet (a URL's host).
REFERENCE_PROPERTIES = {
    "uco-observable:accountIssuer": "identity",
    "uco-observable:owner": "identity",
    "uco-observable:host": "host",
}


def build_case_uco(
    case: Case, *, report_id: str, generated_at: str, show_secrets: bool = False
) -> dict[str, Any]:
    """The case as one CASE/UCO JSON-LD document (``{"@context": …, "@graph": […]}``).

    Secret fields (passwords …) mapped onto UCO properties are left out unless ``show_secrets``.
    """
    return _Builder(case, show_secrets).document(report_id, generated_at)


class _Builder:
    """Accumulates the graph; nodes are keyed by ``@id`` so shared ones are written once."""

    def __init__(self, case: Case, show_secrets: bool) -> None:
        self.case = case
        self.show_secrets = show_secrets
        self.namespace = uuid.uuid5(
            uuid.NAMESPACE_URL, f"isop-workbench:{case.info.number}:{case.info.created_at}"
        )
        self.nodes: dict[str, dict[str, Any]] = {}
        self.top: list[str] = []  # ids listed as the investigation's objects
        self._tags: dict[str, list[dict[str, Any]]] | None = None

    # ----- ids and literals -------------------------------------------------------------------------

    def iri(self, prefix: str, *stable: object) -> str:
        """``kb:<prefix>-<UUIDv5>`` of the stable parts."""
        name = json.dumps([prefix, *stable], separators=(",", ":"), default=str)
        return f"kb:{prefix}-{uuid.uuid5(self.namespace, name)}"

    def add(self, node: dict[str, Any], top: bool = False) -> str:
        """Add a node (first definition wins) and return its id."""
        node_id = str(node["@id"])
        if node_id not in self.nodes:
            self.nodes[node_id] = node
            if top:
                self.top.append(node_id)
        return node_id

    # ----- the document ----------------------------------------------------------------------------

    def document(self, report_id: str, generated_at: str) -> dict[str, Any]:
        info = self.case.info
        workbench = self.tool(
            "isop-workbench", self._tool_versions().get("workbench", ""), "forensic workbench"
        )
        evidence = {item["exhibit"]: self.evidence(item, workbench) for item in self.case.evidence()}
        rule_files: dict[str, str] = {}
        for run in self.case.runs():
            self.run(run, evidence, rule_files)
        self.artefacts()
        report = {
            "@id": self.iri("report", report_id),
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": f"report {report_id}",
            "uco-core:description": "Report bundle rendered from the case store",
            "uco-action:endTime": _dt(generated_at),
            "uco-action:performer": _ref(self.person(self.case.examiner)),
            "uco-action:instrument": [_ref(workbench)],
            "uco-action:object": [_ref(e) for e in sorted(evidence.values())],
        }
        self.add(report, top=True)
        investigation: dict[str, Any] = {
            "@id": self.iri("investigation", info.number),
            "@type": "case-investigation:Investigation",
            "uco-core:name": info.number,
            "uco-core:description": info.title,
            "uco-core:specVersion": SPEC_VERSION,
            "case-investigation:investigationForm": "case",
            "case-investigation:focus": "online piracy",
            "uco-core:objectCreatedTime": _dt(info.created_at),
            "uco-core:object": [_ref(i) for i in self.top],
        }
        if info.agency:
            investigation["uco-core:object"].append(_ref(self.organisation(info.agency)))
        graph = [investigation, *(self.nodes[k] for k in sorted(self.nodes))]
        return {"@context": CONTEXT, "@graph": graph}

    # ----- identities and tools ---------------------------------------------------------------------

    def person(self, name: str) -> str:
        return self.add(
            {"@id": self.iri("person", name), "@type": "uco-identity:Person", "uco-core:name": name}
        )

    def organisation(self, name: str) -> str:
        return self.add(
            {
                "@id": self.iri("organization", name),
                "@type": "uco-identity:Organization",
                "uco-core:name": name,
            }
        )

    def tool(self, name: str, version: str, tool_type: str) -> str:
        node: dict[str, Any] = {
            "@id": self.iri("tool", name, version),
            "@type": "uco-tool:Tool",
            "uco-core:name": name,
            "uco-tool:toolType": tool_type,
        }
        if version:
            node["uco-tool:version"] = version
        return self.add(node)

    def _tool_versions(self) -> dict[str, str]:
        for event in self.case.custody_events():
            if event.action == "case.init":
                return {str(k): str(v) for k, v in (event.details.get("tool_versions") or {}).items()}
        return {}

    # ----- evidence ---------------------------------------------------------------------------------

    def hashes(self, owner: str, values: dict[str, Any]) -> list[dict[str, str]]:
        refs = []
        for algo, name in HASH_NAMES.items():
            value = values.get(algo)
            if not value:
                continue
            refs.append(
                _ref(
                    self.add(
                        {
                            "@id": self.iri("hash", owner, algo),
                            "@type": "uco-types:Hash",
                            "uco-types:hashMethod": name,
                            "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": str(value).lower()},
                        }
                    )
                )
            )
        return refs

    def evidence(self, item: dict[str, Any], workbench: str) -> str:
        exhibit = item["exhibit"]
        obs_id = self.iri("evidence", exhibit)
        paths = [str(p) for p in item.get("paths") or []]
        file_facet: dict[str, Any] = {
            "@id": self.iri("file-facet", "evidence", exhibit),
            "@type": "uco-observable:FileFacet",
        }
        if paths:
            file_facet["uco-observable:fileName"] = PurePosixPath(paths[0]).name
            file_facet["uco-observable:filePath"] = paths[0]
        if item.get("format") == "directory":
            file_facet["uco-observable:isDirectory"] = _lit(True, "bool")
        content: dict[str, Any] = {
            "@id": self.iri("content-facet", "evidence", exhibit),
            "@type": "uco-observable:ContentDataFacet",
            "uco-observable:hash": self.hashes(obs_id, item),
        }
        if item.get("size") is not None:
            content["uco-observable:sizeInBytes"] = _lit(item["size"], "int")
            file_facet["uco-observable:sizeInBytes"] = _lit(item["size"], "int")
        self.add(file_facet)
        self.add(content)
        self.add(
            {
                "@id": obs_id,
                "@type": "uco-observable:ObservableObject",
                "uco-core:name": exhibit,
                "uco-core:description": f"{item.get('description') or ''} ({item.get('format')}; "
                + ", ".join(paths)
                + ")",
                "uco-core:hasFacet": [_ref(file_facet["@id"]), _ref(content["@id"])],
            },
            top=True,
        )
        seizure = _seizure_text(item)
        record = self.add(
            {
                "@id": self.iri("provenance-record", exhibit),
                "@type": "case-investigation:ProvenanceRecord",
                "case-investigation:exhibitNumber": exhibit,
                "uco-core:description": seizure or "no seizure details recorded",
                "uco-core:object": [_ref(obs_id)],
            },
            top=True,
        )
        if item.get("seized_by") or item.get("seized_at") or item.get("seized_from"):
            action: dict[str, Any] = {
                "@id": self.iri("seizure", exhibit),
                "@type": "case-investigation:InvestigativeAction",
                "uco-core:name": f"seizure of {exhibit}",
                "uco-core:description": seizure,
                "uco-action:result": [_ref(obs_id)],
            }
            if item.get("seized_by"):
                action["uco-action:performer"] = _ref(self.person(item["seized_by"]))
            if item.get("seized_at"):
                action["uco-action:endTime"] = _dt(item["seized_at"])
            if item.get("seized_from"):
                action["uco-action:location"] = [
                    _ref(
                        self.add(
                            {
                                "@id": self.iri("location", item["seized_from"]),
                                "@type": "uco-location:Location",
                                "uco-core:name": item["seized_from"],
                            }
                        )
                    )
                ]
            self.add(action, top=True)
        intake_result = item.get("intake_result") or {}
        self.add(
            {
                "@id": self.iri("intake", exhibit),
                "@type": "case-investigation:InvestigativeAction",
                "uco-core:name": f"evidence intake of {exhibit}",
                "uco-core:description": "format detection and hashing of the media; "
                + ("stored/expected hashes match" if intake_result.get("ok", True) else "HASH MISMATCH"),
                "uco-action:endTime": _dt(item["added_at"]),
                "uco-action:performer": _ref(self.person(item["added_by"])),
                "uco-action:instrument": [_ref(workbench)],
                "uco-action:result": [_ref(obs_id), _ref(record)],
            },
            top=True,
        )
        for n, check in enumerate(self.case.verifications(exhibit), 1):
            self.add(
                {
                    "@id": self.iri("verification", exhibit, n, check["time"]),
                    "@type": "case-investigation:InvestigativeAction",
                    "uco-core:name": f"re-verification of {exhibit}",
                    "uco-core:description": f"{check['result']}: {check['detail']}",
                    "uco-action:endTime": _dt(check["time"]),
                    "uco-action:performer": _ref(self.person(check["examiner"])),
                    "uco-action:instrument": [_ref(workbench)],
                    "uco-action:object": [_ref(obs_id)],
                },
                top=True,
            )
        return obs_id

    # ----- processing runs --------------------------------------------------------------------------

    def run(self, run: dict[str, Any], evidence: dict[str, str], rule_files: dict[str, str]) -> None:
        env = run.get("environment") or {}
        params = run.get("params") or {}
        versions = {str(k): str(v) for k, v in (env.get("versions") or {}).items()}
        instruments = [self.tool("isop-workbench", versions.pop("workbench", ""), "forensic workbench")]
        instruments += [self.tool(name, version, "library") for name, version in sorted(versions.items())]
        instruments += [
            self.tool(f"plugin {p['name']}", str(p.get("version", "")), "workbench plugin")
            for p in env.get("plugins") or []
        ]
        inputs = [evidence[e] for e in (params.get("exhibits") or sorted(evidence)) if e in evidence]
        for rule in env.get("rule_files") or []:
            inputs.append(self.rule_file(rule, rule_files))
        node: dict[str, Any] = {
            "@id": self.run_iri(run["id"]),
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": f"processing run {run['id']}",
            "uco-core:description": _run_text(run),
            "uco-action:actionStatus": RUN_STATUS.get(run.get("status") or "", "Unknown"),
            "uco-action:startTime": _dt(run["started"]),
            "uco-action:performer": _ref(self.person(self._run_examiner(run["id"]))),
            "uco-action:instrument": [_ref(i) for i in instruments],
            "uco-action:object": [_ref(i) for i in inputs],
        }
        if run.get("finished"):
            node["uco-action:endTime"] = _dt(run["finished"])
        self.add(node, top=True)

    def run_iri(self, run_id: str) -> str:
        return self.iri("processing-run", run_id)

    def _run_examiner(self, run_id: str) -> str:
        for event in self.case.custody_events():
            if event.action == "process.start" and event.details.get("run_id") == run_id:
                return event.examiner
        return self.case.info.examiner

    def rule_file(self, rule: dict[str, Any], seen: dict[str, str]) -> str:
        key = f"{rule.get('path')}:{rule.get('sha256')}"
        if key in seen:
            return seen[key]
        obs_id = self.iri("rule-file", key)
        facet = self.add(
            {
                "@id": self.iri("file-facet", "rule", key),
                "@type": "uco-observable:FileFacet",
                "uco-observable:fileName": PurePosixPath(str(rule.get("path"))).name,
                "uco-observable:filePath": str(rule.get("path")),
            }
        )
        content = self.add(
            {
                "@id": self.iri("content-facet", "rule", key),
                "@type": "uco-observable:ContentDataFacet",
                "uco-observable:hash": self.hashes(obs_id, {"sha256": rule.get("sha256")}),
            }
        )
        seen[key] = self.add(
            {
                "@id": obs_id,
                "@type": "uco-observable:ObservableObject",
                "uco-core:description": f"YARA rule file of pack {rule.get('pack')}",
                "uco-core:hasFacet": [_ref(facet), _ref(content)],
            }
        )
        return seen[key]

    # ----- artefacts --------------------------------------------------------------------------------

    def artefacts(self) -> None:
        """Artefacts of mapped kinds as observables, listed as results of the runs that made them."""
        reg = load_registry()
        results: dict[str, list[str]] = {}
        for kind_name in self.case.artefact_counts():
            kind = reg.kind(kind_name)
            if kind is None or kind.uco is None:
                continue
            runs = self.case.artefact_runs(kind_name)
            for a in self.case.artefacts(kind=kind_name):
                obs_id = self.artefact(a, kind)
                if obs_id and runs.get(a.id):
                    results.setdefault(runs[a.id], []).append(obs_id)
        for run_id, outputs in results.items():
            node = self.nodes.get(self.run_iri(run_id))
            if node is not None:
                node["uco-action:result"] = [_ref(o) for o in sorted(outputs)]

    def artefact(self, a: Artefact, kind: ArtefactKind) -> str | None:
        mapping = kind.uco
        assert mapping is not None
        facet: dict[str, Any] = {"@id": self.iri("facet", a.id), "@type": mapping.facet}
        for prop, field_name in sorted(mapping.properties.items()):
            f = kind.field(field_name)
            value = a.fields.get(field_name)
            if value in (None, "", []) or (f.secret and not self.show_secrets):
                continue
            if prop in REFERENCE_PROPERTIES:
                facet[prop] = _ref(self.reference(REFERENCE_PROPERTIES[prop], str(value)))
            elif f.type == "list":
                facet[prop] = [str(v) for v in value]
            elif f.type == "json":
                facet[prop] = json.dumps(value, sort_keys=True, ensure_ascii=False)
            else:
                facet[prop] = _lit(value, f.type)
        if len(facet) == 2:
            return None  # nothing of this artefact fits its facet
        obs_id = self.iri("artefact", a.id)
        node: dict[str, Any] = {
            "@id": obs_id,
            "@type": "uco-observable:ObservableObject",
            "uco-core:name": a.id,
            "uco-core:description": f"{kind.title} ({kind.name}), plugin {a.plugin} {a.plugin_version}",
            "uco-core:hasFacet": [_ref(self.add(facet))],
        }
        if a.tags:
            node["uco-core:tag"] = sorted(a.tags)
        self.add(node)
        if a.file_id:
            self.extracted_from(obs_id, a)
        for tag, note in self._notes(a):
            self.add(
                {
                    "@id": self.iri("annotation", a.id, tag),
                    "@type": "uco-core:Annotation",
                    "uco-core:tag": tag,
                    "uco-core:statement": note or tag,
                    "uco-core:object": [_ref(obs_id)],
                }
            )
        return obs_id

    def _notes(self, a: Artefact) -> Iterator[tuple[str, str]]:
        if not a.tags:
            return
        for row in self._tag_rows().get(a.id, []):
            yield row["tag"], row["note"]

    def _tag_rows(self) -> dict[str, list[dict[str, Any]]]:
        if self._tags is None:
            self._tags = {}
            for row in self.case.tag_rows():
                self._tags.setdefault(row["artefact_id"], []).append(row)
        return self._tags

    def extracted_from(self, obs_id: str, a: Artefact) -> None:
        file_obs = self.file(str(a.file_id))
        if file_obs is None:
            return
        where = (
            f"line {a.line}" if a.line is not None else f"offset {a.offset}" if a.offset is not None else ""
        )
        rel: dict[str, Any] = {
            "@id": self.iri("relationship", "extracted", a.id),
            "@type": "uco-core:Relationship",
            "uco-core:source": [_ref(obs_id)],
            "uco-core:target": _ref(file_obs),
            "uco-core:kindOfRelationship": "Extracted_From",
            "uco-core:isDirectional": _lit(True, "bool"),
        }
        if where:
            rel["uco-core:description"] = where
        self.add(rel)

    def file(self, file_id: str) -> str | None:
        obs_id = self.iri("file", file_id)
        if obs_id in self.nodes:
            return obs_id
        record = self.case.file(file_id)
        if record is None:
            return None
        facet: dict[str, Any] = {
            "@id": self.iri("file-facet", file_id),
            "@type": "uco-observable:FileFacet",
            "uco-observable:fileName": PurePosixPath(record["path"]).name,
            "uco-observable:filePath": record["path"],
            "uco-observable:sizeInBytes": _lit(record["size"], "int"),
            "uco-observable:allocationStatus": "allocated" if record["allocated"] else "unallocated",
        }
        for column, prop in (
            ("mtime", "modifiedTime"),
            ("atime", "accessedTime"),
            ("ctime", "metadataChangeTime"),
            ("btime", "observableCreatedTime"),
        ):
            if record.get(column):
                facet[f"uco-observable:{prop}"] = _dt(_micro(record[column]))
        content: dict[str, Any] = {
            "@id": self.iri("content-facet", file_id),
            "@type": "uco-observable:ContentDataFacet",
            "uco-observable:sizeInBytes": _lit(record["size"], "int"),
            "uco-observable:hash": self.hashes(obs_id, record),
        }
        if record.get("mime"):
            content["uco-observable:mimeType"] = record["mime"]
        self.add(facet)
        self.add(content)
        self.add(
            {
                "@id": obs_id,
                "@type": "uco-observable:ObservableObject",
                "uco-core:name": record["location"],
                "uco-core:hasFacet": [_ref(facet["@id"]), _ref(content["@id"])],
            }
        )
        self.add(
            {
                "@id": self.iri("relationship", "contained", file_id),
                "@type": "uco-core:Relationship",
                "uco-core:source": [_ref(obs_id)],
                "uco-core:target": _ref(self.iri("evidence", record["exhibit"])),
                "uco-core:kindOfRelationship": "Contained_Within",
                "uco-core:isDirectional": _lit(True, "bool"),
                "uco-core:description": record["location"],
            }
        )
        return obs_id

    def reference(self, what: str, value: str) -> str:
        if what == "identity":
            return self.organisation(value)
        try:
            ipaddress.ip_address(value)
            facet_type, prop = "uco-observable:IPAddressFacet", "uco-observable:addressValue"
        except ValueError:
            facet_type, prop = "uco-observable:DomainNameFacet", "uco-observable:value"
        facet = self.add({"@id": self.iri("host-facet", value), "@type": facet_type, prop: value})
        return self.add(
            {
                "@id": self.iri("host", value),
                "@type": "uco-observable:ObservableObject",
                "uco-core:name": value,
                "uco-core:hasFacet": [_ref(facet)],
            }
        )


# ----- small helpers ---------------------------------------------------------------------------------


def _ref(node_id: str) -> dict[str, str]:
    return {"@id": node_id}


def _lit(value: Any, field_type: str) -> Any:
    """A JSON-LD literal typed from the artefact field type (strings stay plain: xsd:string)."""
    xsd = LITERAL_TYPES.get(field_type)
    if xsd is None:
        return str(value)
    return {"@type": xsd, "@value": value}


def _dt(value: str) -> dict[str, str]:
    return {"@type": "xsd:dateTime", "@value": value}


def _micro(value: str) -> str:
    """File times keep nanoseconds; xsd:dateTime readers often stop at microseconds."""
    body = value[:-1] if value.endswith("Z") else value
    if "." in body:
        whole, fraction = body.split(".", 1)
        return f"{whole}.{fraction[:6]}Z"
    return body + "Z"


def _seizure_text(item: dict[str, Any]) -> str:
    parts = [
        f"{label} {item[key]}"
        for key, label in (
            ("seized_by", "seized by"),
            ("seized_at", "at"),
            ("seized_from", "from"),
            ("seal", "under seal"),
        )
        if item.get(key)
    ]
    return ", ".join(parts)


def _run_text(run: dict[str, Any]) -> str:
    summary = run.get("summary") or {}
    if not summary:
        return f"status {run.get('status')}"
    artefacts = sum((summary.get("artefacts") or {}).values())
    return (
        f"status {run.get('status')}: {summary.get('files', 0)} files, {summary.get('bytes', 0)} bytes, "
        f"{summary.get('hits', 0)} YARA hits, {artefacts} artefacts, {summary.get('errors', 0)} errors"
    )

"""`workbench timeline`: counts, order across time zones, filters, Timesketch JSONL, hostile text, CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import RunCli
from tests.timeline.webcase import (
    FORMULA_COMMANDS,
    HOSTILE_ACCESS_TIMES,
    SECOND_AUTH,
    WebCase,
    build_web_case,
)
from workbench.artefacts import ArtefactError, ArtefactKind, Field
from workbench.hashing import sha256_file
from workbench.store import Case
from workbench.timeline import TimelineError, iter_timeline, time_key

pytestmark = pytest.mark.xdist_group("timeline")
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> WebCase:
    return build_web_case(tmp_path_factory.mktemp("timeline"))


def jsonl(cli: RunCli, web: WebCase, *args: str) -> list[dict[str, object]]:
    out = cli("timeline", web.case_dir, "--format", "jsonl", *args).output
    return [json.loads(line) for line in out.splitlines()]


def test_log_event_counts_equal_what_the_builder_wrote(cli: RunCli, web: WebCase) -> None:
    events = jsonl(cli, web, "--kind", "log.event", "--exhibit", "EX-01")
    by_type = Counter(str(e["log_type"]) for e in events)
    expected = dict(web.figures.log_events)
    expected["access"] += len(HOSTILE_ACCESS_TIMES)
    expected["shell"] += len(FORMULA_COMMANDS)
    assert dict(by_type) == expected
    assert len({e["artefact_id"] for e in events}) == len(events)


def test_every_dated_artefact_is_on_the_timeline(web: WebCase) -> None:
    case = Case.open(web.case_dir)
    counts = Counter(e.kind for e in iter_timeline(case))
    stored = case.artefact_counts()
    assert counts["log.event"] == stored["log.event"]
    assert counts["log.highlight"] == stored["log.highlight"]
    assert "web.domain" not in counts  # no time field: not on the timeline
    assert "file" not in counts  # file times only on request


def test_ordered_across_time_zones(cli: RunCli, web: WebCase) -> None:
    events = jsonl(cli, web, "--include-files")
    keys = [time_key(str(e["datetime"])) for e in events]
    assert keys == sorted(keys)
    assert all(ISO_Z.match(str(e["datetime"])) for e in events)
    # the Apache log is written in +0100: 10:00:00 local is 09:00:00 UTC
    hostile = [e for e in events if e.get("source_file") == "/var/log/apache2/access_log"]
    assert [e["datetime"] for e in hostile] == list(HOSTILE_ACCESS_TIMES)
    assert {e["source_tz"] for e in hostile} == {"+0100"}
    # the oldest rotation is gzipped and in +0200; rotations follow each other in UTC
    spans: dict[str, list[str]] = {}
    for e in events:
        if e["kind"] == "log.event" and e["log_type"] == "access":
            spans.setdefault(str(e["source_file"]), []).append(str(e["datetime"]))
    oldest, middle, newest = (
        spans[f"/var/log/nginx/{n}"] for n in ("access.log.2.gz", "access.log.1", "access.log")
    )
    assert max(oldest) <= min(middle) and max(middle) <= min(newest)
    # auth.log (local time without zone, taken as UTC) interleaves with the access logs
    auth = [i for i, e in enumerate(events) if e.get("source_file") == "/var/log/auth.log"]
    access = [i for i, e in enumerate(events) if e.get("log_type") == "access"]
    assert min(access) < max(auth) and min(auth) < max(access)


def test_from_to_filters(cli: RunCli, web: WebCase) -> None:
    everything = jsonl(cli, web)
    day = jsonl(cli, web, "--from", "2024-05-25", "--to", "2024-05-25")
    assert day and all(str(e["datetime"]).startswith("2024-05-25") for e in day)
    assert len(day) == sum(1 for e in everything if str(e["datetime"]).startswith("2024-05-25"))
    window = jsonl(cli, web, "--from", "2024-06-01T10:00:01+01:00", "--to", "2024-06-01T09:00:02Z")
    assert {e["datetime"] for e in window} <= {"2024-06-01T09:00:01Z", "2024-06-01T09:00:02Z"}
    assert {e.get("source_file") for e in window if e["kind"] == "log.event"} >= {
        "/var/log/apache2/access_log"
    }


def test_kind_and_exhibit_filters(cli: RunCli, web: WebCase) -> None:
    highlights = jsonl(cli, web, "--kind", "log.highlight")
    assert highlights and {e["kind"] for e in highlights} == {"log.highlight"}
    both = jsonl(cli, web, "--kind", "log.highlight", "--kind", "log.event")
    assert Counter(e["kind"] for e in both) == {
        "log.highlight": len(highlights),
        "log.event": Case.open(web.case_dir).artefact_counts()["log.event"],
    }
    second = jsonl(cli, web, "--exhibit", "EX-02")
    assert [e["message"] for e in second] == list(SECOND_AUTH)
    assert {e["exhibit"] for e in second} == {"EX-02"}
    files = jsonl(cli, web, "--kind", "file", "--exhibit", "EX-02")
    assert files and {e["kind"] for e in files} == {"file"}
    assert {e["timestamp_desc"] for e in files} >= {"Content Modification Time", "Last Access Time"}


def test_file_times_match_the_listing(cli: RunCli, web: WebCase) -> None:
    case = Case.open(web.case_dir)
    expected = sum(
        1 for f in case.files("EX-01") for column in ("mtime", "atime", "ctime", "btime") if f[column]
    )
    events = jsonl(cli, web, "--kind", "file", "--exhibit", "EX-01")
    assert len(events) == expected
    auth = [e for e in events if e["source"] == "EX-01 / ext4 / var/log/auth.log"]
    assert {e["time_field"] for e in auth} == {"mtime", "atime", "ctime", "btime"}
    assert all(e["inode"] and e["file_id"] for e in auth)


def test_jsonl_has_timesketch_fields_and_provenance(cli: RunCli, web: WebCase) -> None:
    for e in jsonl(cli, web, "--include-files"):
        assert isinstance(e["message"], str) and e["message"]
        assert ISO_Z.match(str(e["datetime"]))
        assert isinstance(e["timestamp_desc"], str) and e["timestamp_desc"]
        assert list(e)[:3] == ["message", "datetime", "timestamp_desc"]
        if e["kind"] == "log.event":
            assert e["source"] and e["line"] and e["artefact_id"] and e["file_id"]
            assert "subscriber_password" not in e  # secret fields stay out


def test_hostile_lines_are_escaped_in_the_table(cli: RunCli, web: WebCase) -> None:
    table = cli(
        "timeline", web.case_dir, "--from", "2024-06-01T09:00:00Z", "--to", "2024-06-01T09:00:03Z"
    ).output
    rows = [line for line in table.splitlines()[1:] if "apache2/access_log" in line]
    assert len(rows) == 4  # the CR did not split a line, nothing was dropped
    for bad in ("\x1b", "\r", "\x07", "\u202e"):
        assert bad not in table
    assert "HACKED" in rows[0] and ("\\x1b" in rows[0] or "\\u001b" in rows[0])
    assert "\\u202e" in rows[2]
    assert len(rows[3]) < 1000  # the 1 MB user agent is cut for the table, not for the data
    (big,) = jsonl(cli, web, "--from", "2024-06-01T09:00:03Z", "--to", "2024-06-01T09:00:03Z")
    assert len(str(big["message"])) >= 4096 and big["path"] == "/big"


def test_csv_is_formula_safe(cli: RunCli, web: WebCase) -> None:
    out = cli("timeline", web.case_dir, "--format", "csv", "--kind", "log.event").output
    rows = list(csv.DictReader(io.StringIO(out)))
    shell = [r["message"] for r in rows if "deploy/.bash_history" in r["source"]]
    assert shell == ["'" + c for c in FORMULA_COMMANDS]
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_out_file_is_a_custody_event(cli: RunCli, web: WebCase, tmp_path: Path) -> None:
    target = tmp_path / "timeline.jsonl"
    before = len(Case.open(web.case_dir).custody_events())
    cli("timeline", web.case_dir, "--format", "jsonl", "--kind", "log.highlight", "--out", target)
    events = Case.open(web.case_dir).custody_events()
    assert len(events) == before + 1
    last = events[-1]
    assert last.action == "export" and last.details["what"] == "timeline"
    assert last.details["sha256"] == sha256_file(target)
    assert last.details["events"] == len(target.read_text().splitlines())
    assert last.details["filters"]["kinds"] == ["log.highlight"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--kind", "web.domain"), "no time that places it on the timeline"),
        (("--kind", "no.such_kind"), "no installed plugin declares"),
        (("--from", "last tuesday"), "not an ISO 8601 time"),
        (("--exhibit", "EX-99"), "no evidence item EX-99"),
    ],
)
def test_bad_filters_fail_cleanly(
    cli: RunCli, web: WebCase, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    target = tmp_path / "out.csv"
    result = cli("timeline", web.case_dir, *args, "--out", target, expect=2)
    assert message in result.output
    assert not target.exists() and not list(tmp_path.iterdir())


# ----- the engine, on a store written directly -----------------------------------------------------


def test_time_key_orders_every_precision() -> None:
    stamps = [
        "2024-05-20T06:19:47Z",
        "2024-05-20T06:19:47.000001Z",
        "2024-05-20T06:19:47.000001001Z",
        "2024-05-20T06:19:47.5Z",
        "2024-05-20T06:19:48Z",
    ]
    assert sorted(stamps) != stamps  # plain text order puts ".5Z" before "Z"
    assert sorted(stamps, key=time_key) == stamps


def test_declared_datetime_fields_put_a_kind_on_the_timeline_twice(new_case: Path) -> None:
    from workbench.registry import load_registry

    subscriber = load_registry().kinds["iptv.subscriber"]
    wording = dict(subscriber.timeline_fields)
    assert wording["created_at"] == "Subscriber line created"
    assert wording["exp_date"] == "Subscriber line expires"
    case = Case.open(new_case)
    rows = []
    for n, (created, expires) in enumerate(
        [("2023-01-05T10:00:00Z", "2024-01-05T10:00:00Z"), ("2023-06-01T00:00:00.250000Z", None)]
    ):
        a = subscriber(
            username=f"user{n}", password="=cmd|calc", created_at=created, exp_date=expires, line=n + 1
        )
        a.id = f"{n:032x}"
        rows.append(a)
    with case.transaction():
        case.insert_artefacts(rows, None, "run-test")
    events = list(iter_timeline(case))
    assert [(e.datetime, e.timestamp_desc) for e in events] == [
        ("2023-01-05T10:00:00Z", "Subscriber line created"),
        ("2023-06-01T00:00:00.250000Z", "Subscriber line created"),
        ("2024-01-05T10:00:00Z", "Subscriber line expires"),
    ]
    assert all("password" not in e.to_timesketch() for e in events)
    assert "user0" in events[0].message and "cmd" not in events[0].message
    only = list(iter_timeline(case, start="2023-06-01T00:00:00.25Z", end="2023-12-31"))
    assert [e.datetime for e in only] == ["2023-06-01T00:00:00.250000Z"]


def test_iter_timeline_checks_filters_before_streaming(new_case: Path) -> None:
    case = Case.open(new_case)
    with pytest.raises(TimelineError):
        iter_timeline(case, kinds=["web.domain"])
    with pytest.raises(TimelineError):
        iter_timeline(case, end="soon")
    assert list(iter_timeline(case, include_files=True)) == []


def test_timeline_wording_only_on_datetime_fields() -> None:
    with pytest.raises(ArtefactError):
        Field("count", "int", timeline="Counted")
    with pytest.raises(ArtefactError):
        ArtefactKind("x.y", "X", fields=(Field("name"),), time_field="name")

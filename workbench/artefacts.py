"""Artefact kinds, declared once with typed fields, and the artefacts plugins yield.

An ``ArtefactKind`` is the single declaration of one kind of finding (``iptv.subscriber``,
``scene.release`` …). The case store, the CSV columns, the report tables, the timeline and the
CASE/UCO export all read it; nothing else lists a kind's fields.

    SUBSCRIBER = ArtefactKind(
        "iptv.subscriber", "IPTV subscriber",
        fields=(
            Field("username", "str", "Line user name", key=True),
            Field("password", "str", "Line password", secret=True),
            Field("exp_date", "datetime", "Expiry (UTC)"),
        ),
        time_field="created_at",
    )
    yield SUBSCRIBER(username="jdoe42", password="Pa55w0rd", line=118)

Calling a kind validates and normalises the values and returns an ``Artefact``; the pipeline then
binds it to the file it came from and gives it a deterministic id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import field as dataclass_field  # ArtefactKind has a method called field
from datetime import UTC, date, datetime
from typing import Any

FIELD_TYPES = ("str", "int", "float", "bool", "datetime", "list", "json")


class ArtefactError(ValueError):
    """An artefact was built with a field its kind does not declare, or a value of the wrong type."""


@dataclass(frozen=True)
class Field:
    """One typed field of an artefact kind."""

    name: str
    type: str = "str"
    description: str = ""
    secret: bool = False  # stored as found (it is evidence); masked on terminals unless --show-secrets
    key: bool = False  # part of the artefact's identity within its file (see Artefact.identity)
    # For a datetime field other than the kind's time_field: the timeline wording of the moment it
    # records (e.g. "Subscriber line expires"); set, it puts the artefact on the timeline a second time.
    timeline: str = ""

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ArtefactError(f"field {self.name!r}: unknown type {self.type!r}")
        if self.timeline and self.type != "datetime":
            raise ArtefactError(f"field {self.name!r}: only a datetime field can be on the timeline")


@dataclass(frozen=True)
class UcoMapping:
    """How a kind maps onto a CASE/UCO observable: one facet class and facet property -> field."""

    facet: str  # e.g. "uco-observable:AccountFacet"
    properties: Mapping[
        str, str
    ]  # UCO property -> field name, e.g. {"uco-observable:accountIdentifier": "username"}


@dataclass(frozen=True)
class ArtefactKind:
    """The declaration of one artefact kind: name, family, typed fields and how to show it."""

    name: str
    title: str
    fields: tuple[Field, ...]
    family: str = ""  # report section, defaults to the first dotted part of the name
    description: str = ""
    time_field: str | None = None  # the field that places this artefact on the timeline
    time_description: str = ""  # timeline wording, e.g. "Subscriber created"
    summary_fields: tuple[str, ...] = ()  # columns shown in report tables; default: the first six fields
    uco: UcoMapping | None = None
    # Derived in __post_init__: field lookup by name and the key fields (hot paths when parsing logs).
    _by_name: dict[str, Field] = dataclass_field(init=False, repr=False, compare=False, default_factory=dict)
    key_names: tuple[str, ...] = dataclass_field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})
        object.__setattr__(self, "key_names", tuple(f.name for f in self.fields if f.key))
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ArtefactError(f"kind {self.name}: duplicate field names")
        for extra in (self.time_field, *self.summary_fields):
            if extra is not None and extra not in names:
                raise ArtefactError(f"kind {self.name}: {extra!r} is not one of its fields")
        if self.time_field is not None and self.field(self.time_field).type != "datetime":
            raise ArtefactError(f"kind {self.name}: time field {self.time_field!r} is not a datetime")
        if not self.family:
            object.__setattr__(self, "family", self.name.split(".", 1)[0])

    def field(self, name: str) -> Field:
        """The declared field called ``name``."""
        found = self._by_name.get(name)
        if found is None:
            raise ArtefactError(f"kind {self.name} has no field {name!r}")
        return found

    @property
    def columns(self) -> tuple[str, ...]:
        """Field names in declaration order (the CSV and table columns)."""
        return tuple(f.name for f in self.fields)

    @property
    def timeline_fields(self) -> tuple[tuple[str, str], ...]:
        """(field, wording) of every moment that puts this kind on the timeline: the time field
        first, then each datetime field declared with ``timeline`` wording."""
        out: list[tuple[str, str]] = []
        if self.time_field is not None:
            main = self.field(self.time_field)
            out.append((main.name, self.time_description or main.description or self.title))
        out += [(f.name, f.timeline) for f in self.fields if f.timeline and f.name != self.time_field]
        return tuple(out)

    @property
    def shown_columns(self) -> tuple[str, ...]:
        """Columns a report table shows by default."""
        return self.summary_fields or self.columns[:6]

    def __call__(
        self,
        *,
        line: int | None = None,
        offset: int | None = None,
        rules: tuple[str, ...] = (),
        **values: Any,
    ) -> Artefact:
        """Build an artefact of this kind; ``line`` (1-based) or ``offset`` locate it in its file."""
        clean: dict[str, Any] = {}
        by_name = self._by_name
        for name, value in values.items():
            f = by_name.get(name)
            if f is None:
                raise ArtefactError(f"kind {self.name} has no field {name!r}")
            # Fast path for the common cases (log lines carry ~20 fields each): None and plain str/int.
            if (
                value is None
                or (type(value) is str and f.type == "str")
                or (type(value) is int and f.type == "int")
            ):
                clean[name] = value
            else:
                clean[name] = normalise(f, value)
        return Artefact(kind=self.name, fields=clean, line=line, offset=offset, rules=tuple(rules))


def normalise(f: Field, value: Any) -> Any:
    """Check ``value`` against the field type and return its canonical JSON-able form."""
    if value is None:
        return None
    t = f.type
    try:
        if t == "str":
            if isinstance(value, bytes):
                return value.decode("utf-8", "backslashreplace")
            return str(value)
        if t == "int":
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, float) and not value.is_integer():
                raise ArtefactError(f"field {f.name}: {value!r} is not a whole number")
            return int(value)
        if t == "float":
            return float(value)
        if t == "bool":
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "y", "on")
            return bool(value)
        if t == "datetime":
            return iso_utc(value)
        if t == "list":
            if isinstance(value, str | bytes):
                raise ArtefactError(f"field {f.name}: expected a list, got a string")
            return [v if isinstance(v, int | float | bool) or v is None else str(v) for v in value]
        # json: anything json.dumps accepts
        json.dumps(value, sort_keys=True, default=_reject)
        return value
    except (TypeError, ValueError, OverflowError) as exc:
        if isinstance(exc, ArtefactError):
            raise
        raise ArtefactError(f"field {f.name}: {value!r} is not a valid {t}: {exc}") from None


def _reject(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def iso_utc(value: datetime | date | int | float | str) -> str:
    """Canonical UTC ISO 8601 with ``Z``: aware datetimes are converted, naive ones taken as UTC,
    numbers as Unix epoch seconds, strings must already be ISO 8601."""
    if isinstance(value, bool):
        raise ArtefactError(f"{value!r} is not a time")
    if isinstance(value, int | float):
        dt = datetime.fromtimestamp(value, tz=UTC)
    elif isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        dt = datetime.fromisoformat(text)
        dt = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    else:
        raise ArtefactError(f"{value!r} is not a time")
    dt = dt.astimezone(UTC)
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if dt.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return dt.strftime(fmt)


@dataclass
class Artefact:
    """One finding: a kind, its field values and where in its file it was found."""

    kind: str
    fields: dict[str, Any]
    line: int | None = None
    offset: int | None = None
    rules: tuple[str, ...] = ()
    # Filled in by the pipeline / store:
    id: str = ""
    file_id: str | None = None
    plugin: str = ""
    plugin_version: str = ""
    tags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def identity(self, kinds: Mapping[str, ArtefactKind], source: str) -> str:
        """Deterministic id: the same input gives the same id in every run and on every machine.

        ``source`` names where it came from (the file record's id, or ``case`` for correlation).
        When the kind declares key fields only those count, so a record re-parsed with an extra
        optional field keeps its id; otherwise every field counts.
        """
        kind = kinds.get(self.kind)
        keys = kind.key_names if kind else ()
        ident = {k: self.fields.get(k) for k in keys} if keys else self.fields
        payload = json.dumps(
            [self.kind, source, self.line, self.offset, ident], sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:32]

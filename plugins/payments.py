"""Payment traces in any text-like file: crypto wallets (checksum-validated), IBANs, PayPal
accounts and Stripe keys.

Files are streamed line by line, so multi-gigabyte dumps and logs cost no memory. Each wallet,
account or key is reported once per file with the number of times it occurs and the text around
its first occurrence. Address-shaped strings that fail their checksum are not wallets; how many
there were, per chain, is reported as ``payment.rejected_candidates`` so the number is visible.
"""

from __future__ import annotations

import csv
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from workbench.parsers.crypto_addresses import candidate_offsets as address_candidate_offsets
from workbench.parsers.crypto_addresses import scan_text
from workbench.parsers.errors import ParseError
from workbench.parsers.payments import (
    candidate_offsets as payment_candidate_offsets,
)
from workbench.parsers.payments import (
    find_ibans,
    find_paypal_accounts,
    find_stripe_keys,
    paypal_accounts_in_fields,
)
from workbench.parsers.syslog import escape_control, iter_line_blocks

from workbench.plugin_api import (
    Artefact,
    ArtefactKind,
    CaseReader,
    Field,
    FileView,
    Plugin,
    UcoMapping,
    figure,
)

CONTEXT_CHARS = 60  # characters kept either side of a find as its context
MAX_EXAMPLES = 3  # rejected candidates shown per chain and file

WALLET = ArtefactKind(
    "payment.wallet",
    "Crypto wallet address",
    description="A crypto-currency address whose checksum is valid (Base58Check, Bech32/Bech32m, EIP-55, Monero).",
    fields=(
        Field("chain", "str", "bitcoin | ethereum | tron | monero", key=True),
        Field("address", "str", "The address as written", key=True),
        Field(
            "address_type",
            "str",
            "p2pkh, p2sh, p2wpkh, p2wsh, p2tr, account, standard, subaddress, integrated …",
        ),
        Field("network", "str", "mainnet | testnet | stagenet"),
        Field("checksum", "str", "valid, or unchecked (all-lower/upper-case Ethereum address)"),
        Field("occurrences", "int", "Times it occurs in the file"),
        Field("context", "str", "Text around its first occurrence"),
    ),
    summary_fields=("chain", "address", "address_type", "checksum", "occurrences", "context"),
    uco=UcoMapping(
        "uco-observable:AccountFacet",
        {"uco-observable:accountIdentifier": "address", "uco-observable:accountIssuer": "chain"},
    ),
)

ACCOUNT = ArtefactKind(
    "payment.account",
    "Payment account",
    description="A bank or payment-service account: an IBAN (mod-97 valid) or a PayPal e-mail address.",
    fields=(
        Field("provider", "str", "paypal | iban", key=True),
        Field("identifier", "str", "E-mail address or compact IBAN", key=True),
        Field("country", "str", "IBAN country"),
        Field("reason", "str", "Why it counts as this provider's account"),
        Field("occurrences", "int", "Times it occurs in the file"),
        Field("context", "str", "Text around its first occurrence"),
    ),
    summary_fields=("provider", "identifier", "reason", "occurrences", "context"),
    uco=UcoMapping(
        "uco-observable:AccountFacet",
        {"uco-observable:accountIdentifier": "identifier", "uco-observable:accountIssuer": "provider"},
    ),
)

API_KEY = ArtefactKind(
    "payment.key",
    "Payment API key",
    description="A Stripe API key or webhook signing secret.",
    fields=(
        Field("provider", "str", "stripe", key=True),
        Field("key", "str", "The key", secret=True, key=True),
        Field("key_type", "str", "live-secret | live-publishable | restricted | test | webhook"),
        Field("occurrences", "int", "Times it occurs in the file"),
        Field("context", "str", "Text around its first occurrence"),
    ),
    summary_fields=("provider", "key_type", "key", "occurrences", "context"),
)

REJECTED = ArtefactKind(
    "payment.rejected_candidates",
    "Rejected address candidates",
    description="Address-shaped strings whose checksum failed: counted per chain and file, not reported as wallets.",
    fields=(
        Field("chain", "str", "Chain the strings were shaped for", key=True),
        Field("count", "int", "How many failed the checksum"),
        Field("examples", "list", f"Up to {MAX_EXAMPLES} of them"),
    ),
    summary_fields=("chain", "count", "examples"),
)

_CREATE_TABLE = re.compile(
    r"CREATE TABLE (?:IF NOT EXISTS )?[`\"]?(?:\w+[`\"]?\.[`\"]?)?(\w+)", re.IGNORECASE
)
_COLUMN_DEF = re.compile(r"\s+[`\"]?(\w*paypal\w*)[`\"]?\s", re.IGNORECASE)
_INSERT = re.compile(
    r"(?:INSERT|REPLACE)(?: IGNORE)? INTO [`\"]?(?:\w+[`\"]?\.[`\"]?)?(\w+)[^(]{0,20}(\([^)]{0,8192}\))?\s*VALUES",
    re.IGNORECASE,
)


def context_of(text: str, start: int, end: int) -> str:
    """The text around ``text[start:end]``, shortened and with control characters escaped."""
    left = max(0, start - CONTEXT_CHARS)
    right = min(len(text), end + CONTEXT_CHARS)
    snippet = ("…" if left else "") + text[left:right].strip() + ("…" if right < len(text) else "")
    return escape_control(snippet)


@dataclass
class _Find:
    """First occurrence and count of one find within a file."""

    line: int
    context: str
    values: dict[str, Any]
    occurrences: int = 1


@dataclass
class _FileFinds:
    wallets: dict[tuple[str, str], _Find] = field(default_factory=dict)
    accounts: dict[tuple[str, str], _Find] = field(default_factory=dict)
    keys: dict[str, _Find] = field(default_factory=dict)
    rejected: dict[str, list[str]] = field(default_factory=dict)
    paypal_tables: set[str] = field(default_factory=set)

    @staticmethod
    def add(bucket: dict[Any, _Find], key: Any, line: int, context: str, values: dict[str, Any]) -> None:
        """Count ``key`` in ``bucket``, keeping its first occurrence."""
        if key in bucket:
            bucket[key].occurrences += 1
        else:
            bucket[key] = _Find(line, context, values)


def lines_with_candidates(lines: list[str]) -> list[int]:
    """Indices, ascending, of the lines where ``scan_line`` can find anything.

    The finders' candidates never span a line break, so one search of the joined block finds
    every line worth a look; the rest of the lines (most of a file) skip the per-line finders.
    """
    block = "\n".join(lines)
    offsets = [*address_candidate_offsets(block), *payment_candidate_offsets(block)]
    if not offsets:
        return []
    starts = list(accumulate((len(line) + 1 for line in lines), initial=0))
    return sorted({bisect_right(starts, offset) - 1 for offset in offsets})


def scan_line(text: str, number: int, finds: _FileFinds, paypal_text: str | None = None) -> None:
    """Record every payment trace of one line in ``finds`` (``paypal_text``: the part of the line
    judged for PayPal context, when that differs from the whole line)."""
    scan = scan_text(text)
    for address in scan.addresses:
        finds.add(
            finds.wallets,
            (address.chain, address.address),
            number,
            context_of(text, address.offset, address.offset + len(address.address)),
            {"address_type": address.address_type, "network": address.network, "checksum": address.checksum},
        )
    for candidate in scan.rejected:
        finds.rejected.setdefault(candidate.chain, []).append(candidate.candidate)
    for iban in find_ibans(text):
        finds.add(
            finds.accounts,
            ("iban", iban.iban),
            number,
            context_of(text, iban.offset, iban.offset + len(iban.raw)),
            {"country": iban.country, "reason": "IBAN with valid mod-97 check"},
        )
    for key in find_stripe_keys(text):
        finds.add(
            finds.keys,
            key.key,
            number,
            context_of(text, key.offset, key.offset + len(key.key)),
            {"key_type": key.key_type},
        )
    judged = text if paypal_text is None else paypal_text
    shift = len(text) - len(judged)
    for account in find_paypal_accounts(judged):
        start = account.offset + shift
        finds.add(
            finds.accounts,
            ("paypal", account.email.lower()),
            number,
            context_of(text, start, start + len(account.email)),
            {"reason": account.reason},
        )


class PaymentTraces(Plugin):
    """Crypto wallets, IBANs, PayPal accounts and Stripe keys in text-like files."""

    name = "payments"
    version = "1.0"
    description = "Checksum-valid crypto addresses, IBANs, PayPal e-mails and Stripe keys in text files"
    kinds = (WALLET, ACCOUNT, API_KEY, REJECTED)
    mime_types = ("text/*", "application/json", "application/sql", "application/x-sql")
    globs = ("*.sql", "*.csv", "*.php", "*.env", "*/.env", "*.ini", "*.conf", "*.txt", "*.log", "*.json")
    yara_rules = (
        "payment_stripe_live_key",
        "payment_crypto_address_near_payment_word",
        "payment_paypal_email",
    )

    def extract(self, file: FileView, data: bytes | None) -> Iterable[Artefact]:
        """Payment traces of one file, one artefact per distinct find."""
        finds = _FileFinds()
        lower = file.path.lower()
        is_sql, is_csv = lower.endswith(".sql"), lower.endswith(".csv")
        header: list[str] | None = None
        current_table: str | None = None
        for first, lines, _truncated in iter_line_blocks(file.open()):
            candidates = lines_with_candidates(lines)
            if not (is_sql or is_csv):
                for index in candidates:
                    scan_line(lines[index], first + index, finds)
                continue
            wanted = set(candidates)
            for index, text in enumerate(lines):
                number = first + index
                paypal_text = None
                if is_sql:
                    current_table = self._sql_line(text, current_table, finds)
                    insert = _INSERT.match(text)
                    if insert is not None:
                        paypal_text = text[insert.end() :]  # judge values only: a column list is not context
                if is_csv and (number == 1 or header is not None):
                    header, is_row = self._csv_line(text, number, header, finds)
                    if is_row:
                        paypal_text = ""  # the PayPal columns decide for this row
                if index in wanted:
                    scan_line(text, number, finds, paypal_text)
        if is_sql and finds.paypal_tables:
            self._sql_paypal_columns(file, finds)
        yield from self._artefacts(finds)

    @staticmethod
    def _sql_line(text: str, current_table: str | None, finds: _FileFinds) -> str | None:
        """Track CREATE TABLE / INSERT column lists naming PayPal columns; returns the table being created."""
        create = _CREATE_TABLE.match(text)
        if create is not None:
            return create.group(1)
        if current_table is not None:
            if text.startswith(")"):
                return None
            if _COLUMN_DEF.match(text):
                finds.paypal_tables.add(current_table)
        insert = _INSERT.match(text)
        if insert is not None and insert.group(2) and "paypal" in insert.group(2).lower():
            finds.paypal_tables.add(insert.group(1))
        return current_table

    @staticmethod
    def _csv_line(
        text: str, number: int, header: list[str] | None, finds: _FileFinds
    ) -> tuple[list[str] | None, bool]:
        """CSV files: a first-line header naming PayPal columns makes those columns PayPal accounts."""
        try:
            row = next(csv.reader([text]))
        except (csv.Error, StopIteration):
            return header, False
        if header is None:
            return (row if any("paypal" in c.lower() for c in row) else None), False
        fields = dict(zip(header, row, strict=False))
        for account in paypal_accounts_in_fields(fields):
            start = text.find(account.email)
            finds.add(
                finds.accounts,
                ("paypal", account.email.lower()),
                number,
                context_of(text, max(start, 0), max(start, 0) + len(account.email)),
                {"reason": account.reason},
            )
        return header, True

    @staticmethod
    def _sql_paypal_columns(file: FileView, finds: _FileFinds) -> None:
        """Second pass over a dump: rows of tables with PayPal-named columns."""
        from workbench.parsers import sqldump  # imported when a dump needs it

        try:
            for row in sqldump.iter_rows(file.open(), tables=finds.paypal_tables):
                for account in paypal_accounts_in_fields(row.as_dict()):
                    finds.add(
                        finds.accounts,
                        ("paypal", account.email.lower()),
                        row.line,
                        escape_control(f"{row.table}: {account.reason} = {account.email}"),
                        {"reason": account.reason},
                    )
        except ParseError:
            pass  # rows before the damage were used; the dump plugin reports the damage itself

    @staticmethod
    def _artefacts(finds: _FileFinds) -> Iterator[Artefact]:
        for (chain, address), find in finds.wallets.items():
            yield WALLET(
                chain=chain,
                address=address,
                occurrences=find.occurrences,
                context=find.context,
                line=find.line,
                **find.values,
            )
        for (provider, identifier), find in finds.accounts.items():
            yield ACCOUNT(
                provider=provider,
                identifier=identifier,
                occurrences=find.occurrences,
                context=find.context,
                line=find.line,
                **find.values,
            )
        for key, find in finds.keys.items():
            yield API_KEY(
                provider="stripe",
                key=key,
                occurrences=find.occurrences,
                context=find.context,
                line=find.line,
                **find.values,
            )
        for chain, candidates in sorted(finds.rejected.items()):
            yield REJECTED(chain=chain, count=len(candidates), examples=candidates[:MAX_EXAMPLES])

    def correlate(self, store: CaseReader) -> Iterable[Artefact]:
        """Figures: distinct wallets per chain, payment accounts, Stripe keys, rejected candidates."""
        wallets: dict[str, set[str]] = {}
        for wallet in store.artefacts(kind=WALLET.name):
            wallets.setdefault(str(wallet.fields.get("chain")), set()).add(str(wallet.fields.get("address")))
        for chain, addresses in sorted(wallets.items()):
            yield figure(
                "payment",
                f"wallets ({chain})",
                len(addresses),
                f"distinct payment.wallet addresses, chain {chain}",
            )
        accounts: dict[str, set[str]] = {}
        for account in store.artefacts(kind=ACCOUNT.name):
            accounts.setdefault(str(account.fields.get("provider")), set()).add(
                str(account.fields.get("identifier"))
            )
        yield figure(
            "payment",
            "payment accounts",
            sum(len(ids) for ids in accounts.values()),
            "distinct payment.account identifiers (IBAN and PayPal)",
        )
        for provider, ids in sorted(accounts.items()):
            yield figure(
                "payment",
                f"payment accounts ({provider})",
                len(ids),
                f"distinct payment.account, provider {provider}",
            )
        live = {
            str(k.fields.get("key"))
            for k in store.artefacts(kind=API_KEY.name)
            if k.fields.get("key_type") != "test"
        }
        yield figure("payment", "Stripe live keys", len(live), "distinct payment.key other than test keys")
        rejected = sum(int(r.fields.get("count") or 0) for r in store.artefacts(kind=REJECTED.name))
        yield figure(
            "payment",
            "rejected address candidates",
            rejected,
            "address-shaped strings with a failed checksum",
        )


PLUGINS = (PaymentTraces,)

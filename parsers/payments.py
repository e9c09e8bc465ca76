"""Payment traces in text: IBANs, Stripe API keys and PayPal account e-mail addresses.

IBANs are checked against the per-country length and the ISO 13616 mod-97 check; Stripe keys are
recognised by their documented prefixes with realistic length bounds; an e-mail address counts as
a PayPal account only with PayPal context: "paypal" close to it on the same line, a PayPal-named
setting or column (``PAYPAL_*``, ``paypal_email``), or ``business=`` in a PayPal URL.
Card-like numbers are deliberately never collected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

# ISO 13616 IBAN lengths per country (SWIFT IBAN registry).
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip

STRIPE_KEY_TYPES = {
    "sk_live": "live-secret",
    "pk_live": "live-publishable",
    "rk_live": "restricted",
    "sk_test": "test",
    "pk_test": "test",
    "rk_test": "test",
    "whsec": "webhook",
}

PAYPAL_NEARBY_CHARS = 80  # how close "paypal" must be to an e-mail address on the same line
MAX_MENTIONS = 100  # per line: bounds the work on hostile lines full of "paypal" and addresses
MAX_EMAILS = 1000


@dataclass(frozen=True)
class Iban:
    """A checksum-valid IBAN."""

    iban: str  # compact, upper case: "DE89370400440532013000"
    country: str
    raw: str  # as written, e.g. with spaces
    offset: int


@dataclass(frozen=True)
class StripeKey:
    """A Stripe API key or webhook signing secret."""

    key: str
    key_type: str  # live-secret | live-publishable | restricted | test | webhook
    offset: int


@dataclass(frozen=True)
class PaypalAccount:
    """An e-mail address used as a PayPal account, with the reason it counts as one."""

    email: str
    reason: str
    offset: int


_IBAN_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}")
_STRIPE = re.compile(
    r"(?<![A-Za-z0-9_])(?:(?P<prefix>[spr]k_(?:live|test))_[0-9A-Za-z]{20,247}|(?P<wh>whsec)_[0-9A-Za-z]{24,80})(?![0-9A-Za-z])"
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}"
)
_PAYPAL = re.compile(r"paypal", re.IGNORECASE)
_PAYPAL_KEY = re.compile(
    r"""(?<![A-Za-z0-9_.-])(?P<key>[A-Za-z0-9_.-]{0,40}?paypal[A-Za-z0-9_.-]{0,40})["']?\s{0,3}(?:=>|=|:)\s{0,3}["']?(?P<value>[^\s"',;]{3,320})""",
    re.IGNORECASE,
)
_BUSINESS = re.compile(r"[?&;]business=(?P<value>[^&\s\"'<>]{3,320})", re.IGNORECASE)


def iban_is_valid(compact: str) -> bool:
    """Mod-97 check (ISO 7064) and country length of a compact upper-case IBAN."""
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum() or not compact.isascii():
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def _prefix_end(candidate: str, compact_length: int) -> int | None:
    """Index in ``candidate`` just after its first ``compact_length`` non-space characters."""
    seen = 0
    for index, char in enumerate(candidate):
        if char != " ":
            seen += 1
            if seen == compact_length:
                return index + 1
    return None


def find_ibans(text: str) -> list[Iban]:
    """Every valid IBAN in ``text``, written compact or in groups of four separated by spaces."""
    found: list[Iban] = []
    for m in _IBAN_CANDIDATE.finditer(text):
        candidate = m.group()
        length = IBAN_LENGTHS.get(candidate[:2])
        if length is None:
            continue
        end = _prefix_end(candidate, length)
        if end is None:
            continue
        after = m.start() + end
        if after < len(text) and text[after].isalnum():
            continue  # the number runs on: not this IBAN
        raw = candidate[:end]
        compact = raw.replace(" ", "")
        if iban_is_valid(compact):
            found.append(Iban(compact, compact[:2], raw, m.start()))
    return found


def _may_hold_stripe_key(text: str) -> bool:
    """Cheap check before the Stripe pattern: every key or webhook secret holds one of these."""
    return "_live_" in text or "_test_" in text or "whsec_" in text


def candidate_offsets(text: str) -> Iterator[int]:
    """Start offsets where ``find_ibans``, ``find_stripe_keys`` or ``find_paypal_accounts`` could find
    something (unordered). None of their candidates spans a line break, so on a block of lines this
    says which lines can hold a find."""
    for m in _IBAN_CANDIDATE.finditer(text):
        if m.group()[:2] in IBAN_LENGTHS:
            yield m.start()
    if _may_hold_stripe_key(text):
        for m in _STRIPE.finditer(text):
            yield m.start()
    for m in _PAYPAL.finditer(text):
        yield m.start()


def find_stripe_keys(text: str) -> list[StripeKey]:
    """Every Stripe key (``sk_/pk_/rk_`` live or test) and webhook secret (``whsec_``) in ``text``."""
    if not _may_hold_stripe_key(text):
        return []
    return [
        StripeKey(m.group(), STRIPE_KEY_TYPES[m.group("prefix") or m.group("wh")], m.start())
        for m in _STRIPE.finditer(text)
    ]


def _email_of(value: str) -> str | None:
    value = unquote_plus(value) if "%" in value or "+" in value else value
    m = _EMAIL.fullmatch(value.strip())
    return m.group() if m else None


def find_paypal_accounts(text: str) -> list[PaypalAccount]:
    """E-mail addresses with PayPal context in ``text`` (judged line by line), first reason wins."""
    if _PAYPAL.search(text) is None:
        return []
    found: dict[str, PaypalAccount] = {}
    line_start = 0
    for line in text.split("\n"):
        mentions = [m.start() for _, m in zip(range(MAX_MENTIONS), _PAYPAL.finditer(line), strict=False)]
        if mentions:
            for m in _PAYPAL_KEY.finditer(line):
                email = _email_of(m.group("value"))
                if email:
                    found.setdefault(
                        email,
                        PaypalAccount(
                            email, f"PayPal setting {m.group('key')}", line_start + m.start("value")
                        ),
                    )
            for m in _BUSINESS.finditer(line):
                email = _email_of(m.group("value"))
                if email:
                    found.setdefault(
                        email,
                        PaypalAccount(email, "business= in a PayPal URL", line_start + m.start("value")),
                    )
            emails = [m for _, m in zip(range(MAX_EMAILS), _EMAIL.finditer(line), strict=False)]
            for mention in mentions:  # the closest address to each mention, if close enough
                distances = [(min(abs(mention - e.start()), abs(mention - e.end())), e) for e in emails]
                if distances:
                    distance, email_match = min(distances, key=lambda pair: pair[0])
                    if distance <= PAYPAL_NEARBY_CHARS:
                        found.setdefault(
                            email_match.group(),
                            PaypalAccount(
                                email_match.group(), "next to 'PayPal'", line_start + email_match.start()
                            ),
                        )
        line_start += len(line) + 1
    return sorted(found.values(), key=lambda account: account.offset)


def paypal_accounts_in_fields(fields: Mapping[str, object]) -> list[PaypalAccount]:
    """E-mail addresses in the PayPal-named fields (columns, settings) of one record."""
    found: list[PaypalAccount] = []
    for name, value in fields.items():
        if "paypal" not in name.lower() or value is None:
            continue
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        email = _email_of(text)
        if email:
            found.append(PaypalAccount(email, f"PayPal field {name}", 0))
    return found

"""IBAN, Stripe key and PayPal account extraction."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from workbench.parsers.payments import (
    find_ibans,
    find_paypal_accounts,
    find_stripe_keys,
    iban_is_valid,
    paypal_accounts_in_fields,
)

VALID_IBANS = [
    "DE89370400440532013000",
    "GB82WEST12345698765432",
    "NL91ABNA0417164300",
    "FR1420041010050500013M02606",
    "BE68539007547034",
    "NO9386011117947",
]


def test_valid_ibans_pass_mod97_and_length() -> None:
    for iban in VALID_IBANS:
        assert iban_is_valid(iban), iban


def test_iban_checks_fail_on_wrong_digit_length_or_country() -> None:
    assert not iban_is_valid("DE89370400440532013001")  # mod-97
    assert not iban_is_valid("DE8937040044053201300")  # length
    assert not iban_is_valid("QQ89370400440532013000")  # no such country


def test_find_ibans_with_and_without_spaces() -> None:
    text = "Pay to IBAN: DE89 3704 0044 0532 0130 00 EUR, alt GB82WEST12345698765432.\nold: NL91 ABNA 0417 1643 00"
    found = find_ibans(text)
    assert [i.iban for i in found] == [
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "NL91ABNA0417164300",
    ]
    assert found[0].raw == "DE89 3704 0044 0532 0130 00"
    assert text[found[0].offset :].startswith("DE89")


def test_find_ibans_rejects_bad_checksums_and_run_on_numbers() -> None:
    assert find_ibans("IBAN DE89 3704 0044 0532 0130 01") == []
    assert find_ibans("ref DE8937040044053201300099") == []  # longer than a German IBAN
    assert find_ibans("xDE89370400440532013000") == []


def test_stripe_keys_by_type() -> None:
    text = (
        "STRIPE_SECRET=sk_live_FAKEFAKEFAKEFAKEFAKE0000\n"
        "STRIPE_KEY=pk_live_FAKEFAKEFAKEFAKEFAKE0000\n"
        "restricted rk_live_FAKEFAKEFAKEFAKEFAKE0000 test sk_test_FAKEFAKEFAKEFAKEFAKE0000\n"
        "hook whsec_FAKEFAKEFAKEFAKEFAKEFAKEFAKE0000\n"
    )
    assert [(k.key[:8], k.key_type) for k in find_stripe_keys(text)] == [
        ("sk_live_", "live-secret"),
        ("pk_live_", "live-publishable"),
        ("rk_live_", "restricted"),
        ("sk_test_", "test"),
        ("whsec_FA", "webhook"),
    ]


def test_stripe_keys_need_realistic_length_and_boundaries() -> None:
    assert find_stripe_keys("sk_live_short") == []
    assert find_stripe_keys("xsk_live_FAKEFAKEFAKEFAKEFAKE0000") == []
    assert find_stripe_keys("sk_live_" + "A" * 300) == []


def test_paypal_accounts_by_setting_proximity_and_button_url() -> None:
    text = (
        "PAYPAL_EMAIL=payments@watchfree-fake.invalid\n"
        "description = M. Rossi / PayPal m.rossi@mail.invalid   other: someone@else.invalid\n"
        '<a href="https://www.paypal.com/cgi-bin/webscr?cmd=_xclick&business=billing%40fakeiptv.invalid&amount=10">\n'
        "'paypal_email' => 'pp@fake.invalid',\n"
        "support: help@fake.invalid\n"
    )
    found = {a.email: a.reason for a in find_paypal_accounts(text)}
    assert found == {
        "payments@watchfree-fake.invalid": "PayPal setting PAYPAL_EMAIL",
        "m.rossi@mail.invalid": "next to 'PayPal'",
        "billing@fakeiptv.invalid": "business= in a PayPal URL",
        "pp@fake.invalid": "PayPal setting paypal_email",
    }


def test_paypal_needs_context() -> None:
    assert find_paypal_accounts("contact admin@fake.invalid") == []
    far = "paid via PayPal" + " " * 200 + "admin@fake.invalid"
    assert find_paypal_accounts(far) == []


def test_paypal_fields_of_a_record() -> None:
    found = paypal_accounts_in_fields(
        {"id": 4, "email": "c@fake.invalid", "paypal_email": b"pp@fake.invalid", "PayPalNote": None}
    )
    assert [(a.email, a.reason) for a in found] == [("pp@fake.invalid", "PayPal field paypal_email")]


def test_card_numbers_are_never_collected() -> None:
    text = "card 4111 1111 1111 1111 exp 12/27, amex 378282246310005, PayPal card 5555555555554444"
    assert find_ibans(text) == []
    assert find_stripe_keys(text) == []
    assert find_paypal_accounts(text) == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_payment_finders_never_fail(text: str) -> None:
    for iban in find_ibans(text):
        assert iban_is_valid(iban.iban)
    for key in find_stripe_keys(text):
        assert key.key in text
    for account in find_paypal_accounts(text):
        assert "@" in account.email


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("DEGB0123456789 ABCWSTpaypl@.=_:skive"), max_size=300))
def test_payment_finders_on_shaped_noise(text: str) -> None:
    find_ibans(text)
    find_stripe_keys(text)
    find_paypal_accounts(text)


def test_hostile_long_lines_are_bounded() -> None:
    line = "paypal " * 20000 + "a@b.invalid " * 20000
    assert len(find_paypal_accounts(line)) <= 1
    assert find_ibans("DE89" + "1" * 1_000_000) == []

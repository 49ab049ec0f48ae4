"""Amounts in a currency's minor unit as Stripe shows them: `$49.00`, `¥1,500` (the currency's own
exponent) — on its hosted pages and in its API's error messages alike."""

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision

LOCALE = "en_US"


def display(amount: int, currency: str) -> str:
    code = currency.upper()
    return format_currency(Decimal(amount).scaleb(-get_currency_precision(code)), code, locale=LOCALE)

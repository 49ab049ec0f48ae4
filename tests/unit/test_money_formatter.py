"""BabelMoneyFormatter: minor units in the currency's own exponent, in the display locale."""

from __future__ import annotations

import pytest

from adapters.babel.money_formatter import BabelMoneyFormatter


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (1900, "usd", "en_US", "$19.00"),
        (1900, "USD", "en_US", "$19.00"),
        (5, "usd", "en_US", "$0.05"),
        (0, "usd", "en_US", "$0.00"),
        (123456789, "usd", "en_US", "$1,234,567.89"),
        (1500, "jpy", "en_US", "¥1,500"),
        (1500, "krw", "en_US", "₩1,500"),
        (1500, "kwd", "en_US", "KWD1.500"),  # three decimals
        (12345, "bhd", "en_US", "BHD12.345"),
        (1900, "eur", "en_US", "€19.00"),
        (1900, "eur", "de_DE", "19,00\xa0€"),
        (123456, "eur", "fr_FR", "1\u202f234,56\xa0€"),
        (1500, "jpy", "ja_JP", "￥1,500"),
        (1900, "usd", "de_DE", "19,00\xa0$"),
    ],
)
def test_amounts_are_formatted_with_the_currencys_exponent_in_the_locale(
    amount: int, currency: str, locale: str, expected: str
) -> None:
    assert BabelMoneyFormatter(locale).format(amount, currency) == expected


def test_the_default_locale_is_en_us() -> None:
    assert BabelMoneyFormatter().format(4900, "usd") == "$49.00"

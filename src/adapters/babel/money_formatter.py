from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision


class BabelMoneyFormatter:
    """`MoneyFormatter` with Babel's CLDR data: the currency's own exponent (JPY 0, USD 2, KWD 3)."""

    def __init__(self, locale: str = "en_US") -> None:
        self._locale = locale

    def format(self, amount: int, currency: str) -> str:
        code = currency.upper()
        return _format(amount, code, self._locale)


@lru_cache(maxsize=4096)
def _format(amount: int, code: str, locale: str) -> str:
    exponent = get_currency_precision(code)
    return str(format_currency(Decimal(amount).scaleb(-exponent), code, locale=locale))

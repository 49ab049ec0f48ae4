"""Amounts in a currency's minor unit, shown the way Stripe's pages and error messages show them."""

ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}


def major(amount: int, currency: str) -> str:
    """`1,234.50` (or `1,234` for zero-decimal currencies), without the currency."""
    if currency.lower() in ZERO_DECIMAL:
        return f"{amount:,}"
    return f"{amount / 100:,.2f}"


def with_symbol(amount: int, currency: str) -> str:
    """`$12.00` as Stripe's API error messages write it; `12.00 CHF` where there is no short symbol."""
    symbol = _SYMBOLS.get(currency.lower())
    return f"{symbol}{major(amount, currency)}" if symbol else f"{major(amount, currency)} {currency.upper()}"

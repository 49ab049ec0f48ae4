from __future__ import annotations

from typing import Protocol


class MoneyFormatter(Protocol):
    """Formats an amount in minor units for display, with the currency's own exponent
    (`1900, "usd"` → `$19.00`; `1500, "jpy"` → `¥1,500`) in the configured locale. Pure; never raises
    for a valid ISO currency."""

    def format(self, amount: int, currency: str) -> str: ...

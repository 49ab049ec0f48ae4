"""Money as integer minor units plus an ISO 4217 currency code (lower case, as Stripe sends it)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import InvalidMoney


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise InvalidMoney("amount must be an integer number of minor units")
        if self.amount < 0:
            raise InvalidMoney("amount must not be negative")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise InvalidMoney(f"{self.currency!r} is not an ISO 4217 currency code")
        object.__setattr__(self, "currency", self.currency.lower())

    def times(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise InvalidMoney(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount + other.amount, self.currency)

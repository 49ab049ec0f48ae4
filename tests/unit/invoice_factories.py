"""polyfactory factory for invoices: an open USD 19.00 renewal invoice, not yet attempted, stamped T0."""

from __future__ import annotations

from typing import Any

from polyfactory.factories import DataclassFactory

from domain.invoice import Invoice, InvoiceStatus
from tests.unit.factories import T0


class InvoiceFactory(DataclassFactory[Invoice]):
    __use_defaults__ = True
    status = InvoiceStatus.OPEN
    amount_due = 1900
    amount_paid = 0
    amount_remaining = 1900
    currency = "usd"
    created_at = T0
    attempt_count = 0
    next_payment_attempt = None

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Invoice:
        # `__use_defaults__` would leave the dataclass default (None) over a class attribute here
        return super().build(*args, **{"as_of": T0, **kwargs})

"""The in-memory invoice repository, over one `unit_of_work.Transaction` (see `repositories.py`)."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.in_memory.repositories import _Repository
from domain.invoice import Invoice


class InMemoryInvoiceRepository(_Repository):
    async def get(self, stripe_invoice_id: str, *, for_update: bool = False) -> Invoice | None:
        if for_update:
            await self._tx.lock("invoices", stripe_invoice_id)
        found: Invoice | None = self._tx.get("invoices", stripe_invoice_id)
        return found

    async def save(self, invoice: Invoice) -> None:
        await self._tx.lock("invoices", invoice.stripe_invoice_id)
        self._tx.put("invoices", invoice.stripe_invoice_id, invoice)

    async def list_for_user(self, user_id: str) -> Sequence[Invoice]:
        mine = [i for i in self._tx.rows("invoices") if i.user_id == user_id]
        return sorted(mine, key=lambda i: (i.created_at, i.stripe_invoice_id), reverse=True)

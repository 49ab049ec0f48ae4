from __future__ import annotations

from collections.abc import Sequence

from application.ports.repositories import UnitOfWork
from domain.invoice import Invoice


class ListInvoices:
    """The user's subscription invoices, newest first, from the local copy: no Stripe call, and
    only the user's own."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def for_user(self, user_id: str) -> Sequence[Invoice]:
        async with self._uow as uow:
            return await uow.invoices.list_for_user(user_id)

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from typing import Any

from sqlalchemy import Row, bindparam, select

from adapters.persistence.driver import reusable
from adapters.persistence.models import invoices as _INVOICES
from adapters.persistence.transaction import Transaction
from adapters.persistence.upsert import upsert
from domain.invoice import Invoice, InvoiceStatus

_BY_ID = reusable(select(_INVOICES).where(_INVOICES.c.stripe_invoice_id == bindparam("invoice_id")))
_BY_ID_FOR_UPDATE = reusable(_BY_ID.with_for_update())
_FOR_USER = reusable(
    select(_INVOICES)
    .where(_INVOICES.c.user_id == bindparam("user_id"))
    .order_by(_INVOICES.c.created_at.desc(), _INVOICES.c.stripe_invoice_id.desc())
)
_FIELDS = tuple(f.name for f in fields(Invoice))


def _to_domain(row: Row[Any]) -> Invoice:
    values = {name: getattr(row, name) for name in _FIELDS}
    return Invoice(**{**values, "status": InvoiceStatus(row.status)})


class SqlAlchemyInvoiceRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def get(self, stripe_invoice_id: str, *, for_update: bool = False) -> Invoice | None:
        stmt = _BY_ID_FOR_UPDATE if for_update else _BY_ID
        row = (await self._db.execute(stmt, {"invoice_id": stripe_invoice_id})).one_or_none()
        return _to_domain(row) if row else None

    async def save(self, invoice: Invoice) -> None:
        values = asdict(invoice)
        values["status"] = invoice.status.value
        await upsert(self._db, _INVOICES, values, key="stripe_invoice_id")

    async def list_for_user(self, user_id: str) -> Sequence[Invoice]:
        return [_to_domain(row) for row in await self._db.execute(_FOR_USER, {"user_id": user_id})]

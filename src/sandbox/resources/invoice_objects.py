"""How a subscription invoice looks at API 2026-10-28.endive: built as a draft, finalized with a number
and hosted links. Its subscription is under `parent.subscription_details`; its payments are
`invoice_payment` objects (expand `payments`), each pointing at the PaymentIntent that charged it."""

import copy
from typing import Any

from sandbox.billing_rules import FINALIZE_DELAY
from sandbox.ids import new_id
from sandbox.state import State
from sandbox.store import Obj


def _line(state: State, invoice_id: str, sub: Obj, item: Obj, start: int, end: int, trial: bool) -> Obj:
    price = item["price"]
    product = state.store.find("product", price["product"]) or {"name": price["product"]}
    amount = 0 if trial else (price["unit_amount"] or 0) * item["quantity"]
    description = (
        f"Trial period for {product['name']}"
        if trial
        else f"{item['quantity']} \N{MULTIPLICATION SIGN} {product['name']}"
    )
    return {
        "id": new_id("il", 24),
        "object": "line_item",
        "amount": amount,
        "currency": price["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": sub["id"],
                "subscription_item": item["id"],
            },
            "type": "subscription_item_details",
        },
        "period": {"end": end, "start": start},
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": price["unit_amount_decimal"],
        },
        "quantity": item["quantity"],
        "quantity_decimal": str(item["quantity"]),
        "subscription": sub["id"],
        "subtotal": amount,
        "taxes": [],
    }


def draft(state: State, sub: Obj, reason: str, period: tuple[int, int], trial: bool = False, off: int = 0) -> Obj:
    """A stored draft invoice for the subscription's service period `period`, `off` discounted."""
    invoice_id = new_id("in", 24)
    now = state.now()
    customer = state.store.get("customer", sub["customer"])
    lines = [_line(state, invoice_id, sub, item, *period, trial) for item in sub["items"]["data"]]
    subtotal = sum(line["amount"] for line in lines)
    total = max(0, subtotal - off)
    invoice: Obj = {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Stripe sandbox",
        "account_tax_ids": None,
        "amount_due": total,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": total,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {
            "enabled": False,
            "liability": None,
            "status": None,
            "disabled_reason": None,
            "provider": None,
        },
        "automatically_finalizes_at": now + FINALIZE_DELAY,
        "billing_reason": reason,
        "collection_method": "charge_automatically",
        "created": now,
        "currency": sub["currency"],
        "custom_fields": None,
        "customer": customer["id"],
        "customer_account": None,
        "customer_address": customer["address"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_phone": customer["phone"],
        "customer_shipping": customer["shipping"],
        "customer_tax_exempt": customer["tax_exempt"],
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {"object": "list", "data": lines, "has_more": False, "url": f"/v1/invoices/{invoice_id}/lines"},
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {"metadata": dict(sub["metadata"]), "subscription": sub["id"]},
            "type": "subscription_details",
        },
        "payment_settings": {"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
        # the span invoice items could be added in: the period just ended (a cycle), else creation
        "period_end": now,
        "period_start": now if reason == "subscription_create" else _previous_start(sub, now),
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal,
        "test_clock": None,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": now,
    }
    return state.store.add(invoice)


def _previous_start(sub: Obj, now: int) -> int:
    starts = [int(item["current_period_start"]) for item in sub["items"]["data"] if item["current_period_start"] < now]
    return max(starts, default=now)


def finalize_fields(state: State, invoice: Obj) -> None:
    """What finalizing sets: a number from the customer's sequence, the hosted page and PDF links."""
    customer = state.store.get("customer", invoice["customer"])
    sequence = customer["next_invoice_sequence"]
    customer["next_invoice_sequence"] = sequence + 1
    now = state.now()
    base = f"{state.public_url}/sandbox/invoices/{invoice['id']}"
    invoice.update(
        status="open",
        number=f"{customer['invoice_prefix']}-{sequence:04d}",
        hosted_invoice_url=base,
        invoice_pdf=f"{base}/pdf",
        automatically_finalizes_at=None,
        effective_at=now,
        ending_balance=0,
        next_payment_attempt=now if invoice["auto_advance"] else None,
    )
    invoice["status_transitions"]["finalized_at"] = now


def new_payment(state: State, invoice: Obj, intent: Obj) -> Obj:
    """The invoice's `invoice_payment`: the PaymentIntent that charges it (a free invoice has none)."""
    payment: Obj = {
        "id": new_id("inpay", 24),
        "object": "invoice_payment",
        "amount_paid": None,
        "amount_requested": invoice["amount_due"],
        "created": state.now(),
        "currency": invoice["currency"],
        "invoice": invoice["id"],
        "is_default": True,
        "livemode": False,
        "payment": {"type": "payment_intent", "payment_intent": intent["id"]},
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }
    return state.store.add(payment)


def payments_of(state: State, invoice_id: str) -> list[Obj]:
    return [x for x in state.store.all("invoice_payment") if x["invoice"] == invoice_id]


def render_payments(state: State, invoice: Obj) -> dict[str, Any]:
    """`payments`, which Stripe shows only when expanded."""
    data = copy.deepcopy(payments_of(state, invoice["id"]))  # expanding deeper must not touch the store
    return {"object": "list", "data": data, "has_more": False, "url": f"/v1/invoices/{invoice['id']}/payments"}

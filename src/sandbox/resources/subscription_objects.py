"""How a subscription and its items look: built by Checkout, with periods on the items (endive).

A new subscription is billed at once: its first invoice (free during a trial) is created, finalized
and paid with the card Checkout collected, as Stripe does for `charge_automatically`.
"""

import copy

from sandbox import collection
from sandbox.billing_rules import DAY
from sandbox.clock import add_interval
from sandbox.ids import new_id
from sandbox.resources import invoice_objects
from sandbox.state import State
from sandbox.store import Obj


def _plan(price: Obj) -> Obj:
    recurring = price["recurring"] or {}
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count"),
        "livemode": False,
        "metadata": price["metadata"],
        "meter": None,
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def make_item(state: State, sub_id: str, price: Obj, quantity: int, start: int, end: int) -> Obj:
    return {
        "id": new_id("si", 14),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": state.now(),
        "current_period_end": end,
        "current_period_start": start,
        "current_trial": None,
        "discounts": [],
        "metadata": {},
        "plan": _plan(price),
        "price": copy.deepcopy(price),
        "quantity": quantity,
        "subscription": sub_id,
        "tax_rates": [],
    }


def period_end(sub: Obj) -> int:
    return max(int(item["current_period_end"]) for item in sub["items"]["data"])


def create(
    state: State,
    customer: str,
    lines: list[Obj],
    metadata: dict[str, str],
    trial_days: int | None = None,
    payment_method: str | None = None,
    amount_off: int = 0,
) -> Obj:
    sub_id = new_id("sub", 24)
    now = state.now()
    recurring = [li for li in lines if li["price"]["type"] == "recurring"]
    first = recurring[0]["price"]["recurring"]
    # during a trial the current period is the trial itself; billing starts when it ends
    trial_end = now + trial_days * DAY if trial_days else None
    end = trial_end or add_interval(now, first["interval"], first["interval_count"])
    items = [make_item(state, sub_id, li["price"], li["quantity"], now, end) for li in recurring]
    sub: Obj = {
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"enabled": False, "liability": None, "disabled_reason": None},
        "billing_cycle_anchor": trial_end or now,
        "billing_mode": {"type": "flexible"},
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": now,
        "currency": items[0]["price"]["currency"],
        "customer": customer,
        "customer_account": None,
        "days_until_due": None,
        "default_payment_method": payment_method,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "ended_at": None,
        "items": {
            "object": "list",
            "data": items,
            "has_more": False,
            "total_count": len(items),
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },
        "latest_invoice": None,
        "livemode": False,
        "metadata": dict(metadata),
        "on_behalf_of": None,
        "pause_collection": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": now,
        "status": "trialing" if trial_end else "active",
        "status_details": None,
        "test_clock": None,
        "trial_end": trial_end,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": now if trial_end else None,
    }
    state.store.add(sub)
    invoice = invoice_objects.draft(state, sub, "subscription_create", (now, end), bool(trial_end), amount_off)
    sub["latest_invoice"] = invoice["id"]
    state.events.emit("customer.subscription.created", sub)
    state.events.emit("invoice.created", invoice)
    collection.finalize(state, invoice)
    return sub

"""What a customer does on the hosted pages: pay or apply a code at checkout, manage plans in the portal."""

from sandbox import billing_cycle
from sandbox.errors import invalid
from sandbox.resources import (
    customers,
    discounts,
    payment_intents,
    payment_methods,
    subscription_objects,
    subscriptions,
)
from sandbox.state import State
from sandbox.store import Obj

DEMO_EMAIL = "customer@example.com"


def apply_promotion_code(state: State, session: Obj, code: str) -> None:
    if not session["allow_promotion_codes"]:
        raise invalid("This Checkout Session does not accept promotion codes.")
    promo = next(
        (p for p in state.store.all("promotion_code") if p["code"].lower() == code.lower() and p["active"]),
        None,
    )
    if promo is None:
        raise invalid(f"The promotion code {code!r} is not valid.")
    discount = discounts.resolve(state, [{"promotion_code": promo["id"]}])
    off = discounts.amount_off(state, discount, session["amount_subtotal"], session["currency"])
    session.update(discounts=[discount], amount_total=session["amount_subtotal"] - off)
    session["total_details"]["amount_discount"] = off


def complete_checkout(state: State, session_id: str) -> Obj:
    session = state.store.get("checkout.session", session_id)
    if session["status"] != "open":
        raise invalid(f"This Checkout Session is {session['status']}.")
    hidden = state.hidden[session_id]
    customer_id = session["customer"]
    customer = state.store.find("customer", customer_id) if customer_id else None
    email = session["customer_email"] or (customer or {}).get("email") or DEMO_EMAIL
    if customer is None and (session["mode"] == "subscription" or session["customer_creation"] == "always"):
        customer = customers.create(state, {"email": email})
        session["customer"] = customer["id"]
    if session["mode"] == "payment":
        settings = hidden["payment_intent_data"]
        intent = payment_intents.authorize(
            state,
            session["amount_total"],
            session["currency"],
            session["customer"],
            settings.get("capture_method", "automatic"),
            settings.get("metadata", {}),
            settings.get("description"),
        )
        session["payment_intent"] = intent["id"]
    elif session["mode"] == "subscription":
        assert session["customer"] is not None
        # the card paid with here becomes the subscription's default, charged at each renewal
        card = payment_methods.create_card(state, session["customer"])
        settings = hidden["subscription_data"]
        sub = subscription_objects.create(
            state,
            session["customer"],
            hidden["line_items"],
            settings.get("metadata", {}),
            trial_days=settings.get("trial_period_days"),
            payment_method=card["id"],
            amount_off=session["total_details"]["amount_discount"],
        )
        billing_cycle.notify_trial_end_if_due(state, sub)
        session["subscription"] = sub["id"]
        session["invoice"] = sub["latest_invoice"]
    for entry in session["discounts"]:
        discounts.redeem(state, entry)
    session.update(
        status="complete",
        url=None,
        payment_status="paid" if _due_today(state, session) else "no_payment_required",
        customer_details={
            "address": (customer or {}).get("address"),
            "business_name": None,
            "email": email,
            "individual_name": None,
            "name": (customer or {}).get("name"),
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
    )
    state.events.emit("checkout.session.completed", session)
    return session


def _due_today(state: State, session: Obj) -> bool:
    """Whether paying charged anything: nothing is due today for a free session or a trial."""
    if session["mode"] == "subscription" and session["subscription"]:
        return bool(state.store.get("subscription", session["subscription"])["status"] != "trialing")
    return bool(session["amount_total"])


def portal_action(state: State, portal_id: str, sub_id: str, action: str, price_id: str | None = None) -> Obj:
    portal = state.store.get("billing_portal.session", portal_id)
    sub = state.store.get("subscription", sub_id)
    if sub["customer"] != portal["customer"]:
        raise invalid("That subscription belongs to another customer.")
    if action == "cancel_at_period_end":
        return subscriptions.update(state, {"cancel_at_period_end": True}, sub_id)
    if action == "resume":
        return subscriptions.update(state, {"cancel_at_period_end": False}, sub_id)
    if action == "cancel_now":
        return subscriptions.cancel(state, {}, sub_id)
    if action == "switch" and price_id:
        item = sub["items"]["data"][0]
        return subscriptions.update(state, {"items": [{"id": item["id"], "price": price_id}]}, sub_id)
    raise invalid(f"Unknown portal action: {action}")

"""PaymentIntents: created by paying a Checkout Session; retrieve, capture, cancel, list."""

import copy
from typing import Any

import stripe.params as p

from sandbox.errors import invalid
from sandbox.ids import new_id, secret
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, page

_CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)


def new_intent(
    state: State,
    amount: int,
    currency: str,
    customer: str | None,
    capture_method: str,
    metadata: dict[str, str],
    description: str | None = None,
) -> Obj:
    """A stored PaymentIntent whose card went through (held or charged), before any event says so."""
    pi_id = new_id("pi", 24)
    manual = capture_method == "manual"
    intent: Obj = {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": amount if manual else 0,
        "amount_details": {"tip": {}},
        "amount_received": 0 if manual else amount,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": capture_method,
        "client_secret": f"{pi_id}_{secret('secret', 24)}",
        "confirmation_method": "automatic",
        "created": state.now(),
        "currency": currency,
        "customer": customer,
        "customer_account": None,
        "description": description,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": new_id("ch", 24),
        "livemode": False,
        "metadata": dict(metadata),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": new_id("pm", 24),
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_capture" if manual else "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }
    return state.store.add(intent)


def authorize(
    state: State,
    amount: int,
    currency: str,
    customer: str | None,
    capture_method: str,
    metadata: dict[str, str],
    description: str | None = None,
) -> Obj:
    """A card payment that went through: held (manual capture) or charged (automatic)."""
    intent = new_intent(state, amount, currency, customer, capture_method, metadata, description)
    state.events.emit("payment_intent.created", intent)
    if capture_method == "manual":
        state.events.emit("payment_intent.amount_capturable_updated", intent)
    else:
        state.events.emit("payment_intent.succeeded", intent)
    return intent


def retrieve(state: State, params: dict[str, Any], pi_id: str) -> Obj:
    return state.store.get("payment_intent", pi_id)


def _unexpected(intent: Obj, action: str, allowed: tuple[str, ...]) -> Exception:
    return invalid(
        f"This PaymentIntent could not be {action} because it has a status of {intent['status']}. Only a "
        f"PaymentIntent with one of the following statuses may be {action}: {', '.join(allowed)}.",
        code="payment_intent_unexpected_state",
    )


def capture(state: State, params: dict[str, Any], pi_id: str) -> Obj:
    intent = state.store.get("payment_intent", pi_id)
    if intent["status"] != "requires_capture":
        raise _unexpected(intent, "captured", ("requires_capture",))
    amount: int = params["amount_to_capture"] if "amount_to_capture" in params else intent["amount_capturable"]
    if not 0 < amount <= intent["amount_capturable"]:
        raise invalid(
            "The amount to capture must be positive and no more than the amount capturable.",
            param="amount_to_capture",
            code="amount_too_large",
        )
    before = copy.deepcopy(intent)
    intent.update(status="succeeded", amount_capturable=0, amount_received=amount)
    if "metadata" in params:
        intent["metadata"] = {**intent["metadata"], **params["metadata"]}
    state.events.emit(
        "payment_intent.succeeded",
        intent,
        {
            "status": before["status"],
            "amount_capturable": before["amount_capturable"],
            "amount_received": before["amount_received"],
        },
    )
    return intent


def cancel(state: State, params: dict[str, Any], pi_id: str, reason: str | None = None) -> Obj:
    intent = state.store.get("payment_intent", pi_id)
    if intent["status"] not in _CANCELABLE:
        raise _unexpected(intent, "canceled", _CANCELABLE)
    reason = params.get("cancellation_reason", reason)
    if reason not in (None, "duplicate", "fraudulent", "requested_by_customer", "abandoned", "automatic"):
        raise invalid(f"Invalid cancellation_reason: {reason}", param="cancellation_reason")
    intent.update(status="canceled", amount_capturable=0, canceled_at=state.now(), cancellation_reason=reason)
    state.events.emit("payment_intent.canceled", intent)
    return intent


def list_(state: State, params: dict[str, Any]) -> Obj:
    items = state.store.all("payment_intent")
    if "customer" in params:
        items = [x for x in items if x["customer"] == params["customer"]]
    return page(items, params, "/v1/payment_intents")


ROUTES: list[Route] = [
    route("GET", "/v1/payment_intents", p.PaymentIntentListParams, list_),
    route("GET", "/v1/payment_intents/{id}", p.PaymentIntentRetrieveParams, retrieve),
    route("POST", "/v1/payment_intents/{id}/capture", p.PaymentIntentCaptureParams, capture),
    route("POST", "/v1/payment_intents/{id}/cancel", p.PaymentIntentCancelParams, cancel),
]
